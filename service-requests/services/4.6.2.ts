/** 4.6.2 Retrieve Export Daily Read Log: the export register at each midnight of the period; the DCC's ACB sends it on the export supplier's behalf (catalogue.md §1.4 ‡). The ESME's command is ECS21c; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const retrieveExportDailyReadLog = readService({
  variant: '4.6.2',
  displayName: 'Retrieve Export Daily Read Log',
  body: readLogBody('RetrieveExportDailyReadLog', false),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS21c', messageCode: 0x0035, payload: gets(at, [{ log: '0-0:98.1.10.255', from: b.start, to: b.end }]) }),
  viaAcb: true,
  example: { name: 'read-export-daily-log', body: () => ({ kind: 'RetrieveExportDailyReadLog' as const, ...lastDay() }) },
});
