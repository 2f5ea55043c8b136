/** 4.8.1 Read Active Import Profile Data: the half-hourly active import profile of the period, encrypted. The ESME's command is ECS22b; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const readActiveImportProfileData = readService({
  variant: '4.8.1',
  displayName: 'Read Active Import Profile Data',
  body: readLogBody('ReadActiveImportProfileData', true),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => ({ useCase: 'ECS22b', messageCode: 0x0037, payload: protectedRead(at, 7, [{ classId: 7, obis: '0-0:99.1.0.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-import-profile', body: () => ({ kind: 'ReadActiveImportProfileData' as const, ...lastDay() }) },
});
