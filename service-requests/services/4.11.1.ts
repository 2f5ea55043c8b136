/** 4.11.1 Read Tariff (Primary Element): the primary element's tariff: calendar, day and week profiles, block thresholds, prices and standing charge. The ESME's command is ECS24; another device type's comes from gsme-reads.ts. */
import { emptyBody, type Get, gets, readService } from './esme-reads.ts';

const PRIMARY_TARIFF: Get[] = [
  [3, '0-0:94.44.1.7', 2], [3, '0-0:94.44.1.7', 3], [20, '0-0:13.0.0.255', 3], [20, '0-0:13.0.0.255', 4], [20, '0-0:13.0.0.255', 5], [11, '0-0:11.0.0.255', 2],
  ...[11, 12, 13, 14, 15, 16, 17, 18].map((n): Get => [21, `0-0:16.0.${n}.255`, 2]),
  [9000, '0-0:94.44.2.0', 2], [113, '0-0:19.20.4.255', 5], [113, '0-0:19.20.0.255', 5],
];

export const readTariffPrimaryElement = readService({
  variant: '4.11.1',
  displayName: 'Read Tariff (Primary Element)',
  body: emptyBody('ReadTariffPrimaryElement'),
  sender: 'supplier',
  esme: (_b, at) => ({ useCase: 'ECS24', messageCode: 0x003a, payload: gets(at, PRIMARY_TARIFF) }),
  example: { name: 'read-tariff', body: () => ({ kind: 'ReadTariffPrimaryElement' as const }) },
});
