/** 4.1.3 Read Instantaneous Import TOU With Blocks Matrices: the time-of-use-with-blocks registers, encrypted. The ESME's command is ECS17e; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, protectedRead, readService } from './esme-reads.ts';

export const readInstantaneousImportTOUWithBlocksMatrices = readService({
  variant: '4.1.3',
  displayName: 'Read Instantaneous Import TOU With Blocks Matrices',
  body: executionOnlyBody('ReadInstantaneousImportTOUWithBlocksMatrices'),
  sender: 'supplierOrNetworkOperator',
  esme: (_b, at) => ({ useCase: 'ECS17e', messageCode: 0x002a, payload: protectedRead(at, 10, [{ classId: 1, obis: '0-0:94.44.34.2', attribute: 2 }]) }),
  example: { name: 'read-tou-block-registers', body: () => ({ kind: 'ReadInstantaneousImportTOUWithBlocksMatrices' as const }) },
});
