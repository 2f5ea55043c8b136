/** 4.16 Read Active Power Import: the active power imported and exported now. The ESME's command is ECS17c; another device type's comes from gsme-reads.ts. */
import { emptyBody, gets, readService } from './esme-reads.ts';

export const readActivePowerImport = readService({
  variant: '4.16',
  displayName: 'Read Active Power Import',
  body: emptyBody('ReadActivePowerImport'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS17c', messageCode: 0x0028, payload: gets(at, [[1, '0-0:94.44.34.20', 2]]) }),
  example: { name: 'read-active-power', body: () => ({ kind: 'ReadActivePowerImport' as const }) },
});
