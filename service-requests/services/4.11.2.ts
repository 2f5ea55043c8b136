/** 4.11.2 Read Tariff (Secondary Element): the secondary element's tariff. The ESME's command is ECS24b; another device type's comes from gsme-reads.ts. */
import { emptyBody, type Get, gets, readService } from './esme-reads.ts';

const SECONDARY_TARIFF: Get[] = [
  [113, '0-0:19.20.5.255', 5], [3, '0-0:94.44.1.8', 2], [3, '0-0:94.44.1.8', 3], [11, '0-0:11.0.1.255', 2], [20, '0-0:13.0.1.255', 3], [20, '0-0:13.0.1.255', 4], [20, '0-0:13.0.1.255', 5],
];

export const readTariffSecondaryElement = readService({
  variant: '4.11.2',
  displayName: 'Read Tariff (Secondary Element)',
  body: emptyBody('ReadTariffSecondaryElement'),
  sender: 'supplier',
  esme: (_b, at) => ({ useCase: 'ECS24b', messageCode: 0x00bd, payload: gets(at, SECONDARY_TARIFF) }),
  example: { name: 'read-secondary-tariff', body: () => ({ kind: 'ReadTariffSecondaryElement' as const }) },
});
