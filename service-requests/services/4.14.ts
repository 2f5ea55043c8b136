/** 4.14 Read Prepayment Daily Read Log: the prepayment values at each midnight of the period, encrypted. The ESME's command is ECS21b; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const readPrepaymentDailyReadLog = readService({
  variant: '4.14',
  displayName: 'Read Prepayment Daily Read Log',
  body: readLogBody('ReadPrepaymentDailyReadLog', true),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS21b', messageCode: 0x0034, payload: protectedRead(at, 6, [{ classId: 7, obis: '0-0:98.1.8.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-prepayment-daily-log', body: () => ({ kind: 'ReadPrepaymentDailyReadLog' as const, ...lastDay() }) },
});
