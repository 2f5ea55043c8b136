/** 4.13 Read Prepayment Configuration: debt recovery, emergency credit, thresholds and the non-disablement calendar. The ESME's command is ECS26a; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, type Get, gets, readService } from './esme-reads.ts';

const PREPAYMENT_CONFIGURATION: Get[] = [
  [113, '0-0:19.20.1.255', 5], [11, '0-0:11.0.2.255', 2], [113, '0-0:19.20.1.255', 8], [113, '0-0:19.20.1.255', 5], [113, '0-0:19.20.2.255', 5],
  [113, '0-0:19.20.2.255', 8], [113, '0-0:19.20.2.255', 5], [113, '0-0:19.20.3.255', 13], [9000, '0-0:94.44.2.10', 2], [21, '0-0:16.0.1.255', 2],
  [9000, '0-0:94.44.2.20', 2], [111, '0-0:19.0.0.255', 16], [111, '0-0:19.0.0.255', 18], [111, '0-0:19.0.0.255', 19], [112, '0-0:19.10.1.255', 9],
  [112, '0-0:19.10.1.255', 10], [10, '0-0:12.0.1.255', 2], [111, '0-0:19.0.0.255', 11],
];

export const readPrepaymentConfiguration = readService({
  variant: '4.13',
  displayName: 'Read Prepayment Configuration',
  body: executionOnlyBody('ReadPrepaymentConfiguration'),
  sender: 'supplier',
  esme: (_b, at) => ({ useCase: 'ECS26a', messageCode: 0x003b, payload: gets(at, PREPAYMENT_CONFIGURATION) }),
  example: { name: 'read-prepayment-configuration', body: () => ({ kind: 'ReadPrepaymentConfiguration' as const }) },
});
