/** 4.15 Read Load Limit Data: the load limiter's settings and its counter. The ESME's command is ECS27; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, gets, readService } from './esme-reads.ts';

export const readLoadLimitData = readService({
  variant: '4.15',
  displayName: 'Read Load Limit Data',
  body: executionOnlyBody('ReadLoadLimitData'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS27', messageCode: 0x0042, payload: gets(at, [[9000, '0-0:94.44.0.3', 2], [3, '0-0:94.44.42.255', 2], [3, '0-0:94.44.42.255', 3], [71, '0-0:17.0.0.255', 4], [71, '0-0:17.0.0.255', 6], [71, '0-0:17.0.0.255', 7]]) }),
  example: { name: 'read-load-limit', body: () => ({ kind: 'ReadLoadLimitData' as const }) },
});
