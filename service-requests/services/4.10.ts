/** 4.10 Read Network Data: voltage sag and swell counts and the RMS voltage profile of the period (single phase: ECS23). The ESME's command is ECS23; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const readNetworkData = readService({
  variant: '4.10',
  displayName: 'Read Network Data',
  body: readLogBody('ReadNetworkData', true),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => ({ useCase: 'ECS23', messageCode: 0x0039, payload: gets(at, [[3, '1-0:32.32.0.4', 2], [3, '1-0:32.32.0.4', 3], [3, '1-0:32.36.0.4', 2], [3, '1-0:32.36.0.4', 3], { log: '1-0:32.24.0.255', from: b.start, to: b.end }, [7, '1-0:32.24.0.255', 4]]) }),
  example: { name: 'read-network-data', body: () => ({ kind: 'ReadNetworkData' as const, ...lastDay() }) },
});
