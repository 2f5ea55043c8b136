/** 4.3 Read Instantaneous Prepay Values: meter balance, emergency credit and debts, encrypted. The ESME's command is ECS19; another device type's comes from gsme-reads.ts. */
import { executionOnlyBody, protectedRead, readService } from './esme-reads.ts';

export const readInstantaneousPrepayValues = readService({
  variant: '4.3',
  displayName: 'Read Instantaneous Prepay Values',
  body: executionOnlyBody('ReadInstantaneousPrepayValues'),
  sender: 'supplier',
  esme: (_b, at) => ({ useCase: 'ECS19', messageCode: 0x002d, payload: protectedRead(at, 1, [{ classId: 1, obis: '0-0:94.44.34.30', attribute: 2 }]) }),
  example: { name: 'read-prepay-values', body: () => ({ kind: 'ReadInstantaneousPrepayValues' as const }) },
});
