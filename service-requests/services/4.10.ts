/**
 * 4.10 Read Network Data: voltage sag and swell counts and the RMS voltage profile of the period, per phase: a
 * polyphase ESME (inventory ESMEVariant C…) is read with ECS23b, any other with ECS23. Not sensitive. Another
 * device type's command comes from gsme-reads.ts.
 */
import { type Get, gets, lastDay, readLogBody, readService } from './esme-reads.ts';

/** The network data of one phase (L1: 32, L2: 52, L3: 72). */
const phase = (c: number, from: Date, to: Date): Get[] => [
  [3, `1-0:${c}.32.0.4`, 2], [3, `1-0:${c}.32.0.4`, 3], [3, `1-0:${c}.36.0.4`, 2], [3, `1-0:${c}.36.0.4`, 3],
  { log: `1-0:${c}.24.0.255`, from, to }, [7, `1-0:${c}.24.0.255`, 4],
];

export const readNetworkData = readService({
  variant: '4.10',
  displayName: 'Read Network Data',
  body: readLogBody('ReadNetworkData', true),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => (at.esmeVariant?.startsWith('C')
    ? { useCase: 'ECS23b', messageCode: 0x00bc, payload: gets(at, [32, 52, 72].flatMap((c) => phase(c, b.start, b.end))) }
    : { useCase: 'ECS23', messageCode: 0x0039, payload: gets(at, phase(32, b.start, b.end)) }),
  example: { name: 'read-network-data', body: () => ({ kind: 'ReadNetworkData' as const, ...lastDay() }) },
});
