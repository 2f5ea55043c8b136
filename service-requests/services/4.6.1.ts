/** 4.6.1 Retrieve Import Daily Read Log: the import registers at each midnight of the period, encrypted. The ESME's command is ECS21a; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const retrieveImportDailyReadLog = readService({
  variant: '4.6.1',
  displayName: 'Retrieve Import Daily Read Log',
  body: readLogBody('RetrieveImportDailyReadLog', true),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS21a', messageCode: 0x0033, payload: protectedRead(at, 5, [{ classId: 7, obis: '0-0:98.1.9.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-import-daily-log', body: () => ({ kind: 'RetrieveImportDailyReadLog' as const, ...lastDay() }) },
});
