/** 4.2 Read Instantaneous Export Registers: the active and reactive export registers with their units (not sensitive). The ESME's command is ECS17a; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, gets, readService } from './esme-reads.ts';

export const readInstantaneousExportRegisters = readService({
  variant: '4.2',
  displayName: 'Read Instantaneous Export Registers',
  body: executionOnlyBody('ReadInstantaneousExportRegisters'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS17a', messageCode: 0x0026, payload: gets(at, [[3, '1-0:2.8.0.255', 2], [3, '1-0:2.8.0.255', 3], [3, '1-0:4.8.0.255', 2], [3, '1-0:4.8.0.255', 3]]) }),
  example: { name: 'read-export-registers', body: () => ({ kind: 'ReadInstantaneousExportRegisters' as const }) },
});
