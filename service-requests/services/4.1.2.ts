/** 4.1.2 Read Instantaneous Import TOU Matrices: the 48 time-of-use registers, encrypted. The ESME's command is ECS17d; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, protectedRead, readService } from './esme-reads.ts';

export const readInstantaneousImportTOUMatrices = readService({
  variant: '4.1.2',
  displayName: 'Read Instantaneous Import TOU Matrices',
  body: executionOnlyBody('ReadInstantaneousImportTOUMatrices'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS17d', messageCode: 0x0029, payload: protectedRead(at, 9, [{ classId: 1, obis: '0-0:94.44.34.1', attribute: 2 }]) }),
  example: { name: 'read-tou-registers', body: () => ({ kind: 'ReadInstantaneousImportTOUMatrices' as const }) },
});
