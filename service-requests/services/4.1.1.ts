/** 4.1.1 Read Instantaneous Import Registers: the active and reactive import registers, encrypted to the requester (DSP future-datable; CV 2 gives the command for local delivery). The ESME's command is ECS17b; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, protectedRead, readService } from './esme-reads.ts';

export const readInstantaneousImportRegisters = readService({
  variant: '4.1.1',
  displayName: 'Read Instantaneous Import Registers',
  body: executionOnlyBody('ReadInstantaneousImportRegisters'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS17b', messageCode: 0x0027, payload: protectedRead(at, 8, [{ classId: 1, obis: '0-0:94.44.34.10', attribute: 2 }]) }),
  localDelivery: true,
  example: { name: 'read-import-registers', body: () => ({ kind: 'ReadInstantaneousImportRegisters' as const }) },
});
