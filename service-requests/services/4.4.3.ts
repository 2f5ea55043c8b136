/** 4.4.3 Retrieve Billing Calendar Triggered Billing Data Log: the billing calendar's register and prepayment snapshots in the period, encrypted. The ESME's command is ECS20c; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const retrieveBillingCalendarTriggeredBillingDataLog = readService({
  variant: '4.4.3',
  displayName: 'Retrieve Billing Calendar Triggered Billing Data Log',
  body: readLogBody('RetrieveBillingCalendarTriggeredBillingDataLog', true),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS20c', messageCode: 0x0030, payload: protectedRead(at, 2, [{ classId: 7, obis: '0-0:98.1.0.255', attribute: 2, range: { from: b.start, to: b.end } }, { classId: 7, obis: '0-0:98.1.1.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-billing-calendar-log', body: () => ({ kind: 'RetrieveBillingCalendarTriggeredBillingDataLog' as const, ...lastDay() }) },
});
