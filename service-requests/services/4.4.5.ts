/** 4.4.5 Retrieve Billing Data Log (Prepayment Credits): each prepayment credit (top-up) in the period. The ESME's command is ECS20d; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const retrieveBillingDataLogPrepaymentCredits = readService({
  variant: '4.4.5',
  displayName: 'Retrieve Billing Data Log (Prepayment Credits)',
  body: readLogBody('RetrieveBillingDataLogPrepaymentCredits', false),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS20d', messageCode: 0x00c9, payload: gets(at, [{ log: '0-0:98.1.5.255', from: b.start, to: b.end }]) }),
  example: { name: 'read-prepayment-credits-log', body: () => ({ kind: 'RetrieveBillingDataLogPrepaymentCredits' as const, ...lastDay() }) },
});
