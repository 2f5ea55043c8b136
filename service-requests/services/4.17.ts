/** 4.17 Retrieve Daily Consumption Log: each day's consumption in the period, encrypted. The ESME's command is ECS66; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const retrieveDailyConsumptionLog = readService({
  variant: '4.17',
  displayName: 'Retrieve Daily Consumption Log',
  body: readLogBody('RetrieveDailyConsumptionLog', true),
  sender: 'supplierOrNetworkOperator',
  esme: (b, at) => ({ useCase: 'ECS66', messageCode: 0x0060, payload: protectedRead(at, 4, [{ classId: 7, obis: '0-0:99.1.3.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-daily-consumption', body: () => ({ kind: 'RetrieveDailyConsumptionLog' as const, ...lastDay() }) },
});
