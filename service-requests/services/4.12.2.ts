/** 4.12.2 Read Maximum Demand Export Registers: the highest half-hourly export demand of the period and when it was. The ESME's command is ECS18a; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, gets, readService } from './esme-reads.ts';

export const readMaximumDemandExportRegisters = readService({
  variant: '4.12.2',
  displayName: 'Read Maximum Demand Export Registers',
  body: executionOnlyBody('ReadMaximumDemandExportRegisters'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS18a', messageCode: 0x002b, payload: gets(at, [[1, '0-0:94.44.5.2', 2], [4, '1-0:2.6.0.255', 2], [4, '1-0:2.6.0.255', 3], [4, '1-0:2.6.0.255', 5]]) }),
  example: { name: 'read-max-demand-export', body: () => ({ kind: 'ReadMaximumDemandExportRegisters' as const }) },
});
