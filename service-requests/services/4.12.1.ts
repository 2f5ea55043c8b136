/** 4.12.1 Read Maximum Demand Import Registers: the highest half-hourly import demand of the period and when it was. The ESME's command is ECS18b; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, gets, readService } from './esme-reads.ts';

export const readMaximumDemandImportRegisters = readService({
  variant: '4.12.1',
  displayName: 'Read Maximum Demand Import Registers',
  body: executionOnlyBody('ReadMaximumDemandImportRegisters'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS18b', messageCode: 0x002c, payload: gets(at, [[1, '0-0:94.44.5.0', 2], [1, '0-0:94.44.5.1', 2], [4, '1-0:1.6.0.255', 2], [4, '1-0:1.6.0.255', 3], [4, '1-0:1.6.0.255', 5], [4, '1-0:1.6.1.255', 2], [4, '1-0:1.6.1.255', 3], [4, '1-0:1.6.1.255', 5], [10, '0-0:12.0.0.255', 2]]) }),
  example: { name: 'read-max-demand-import', body: () => ({ kind: 'ReadMaximumDemandImportRegisters' as const }) },
});
