/** 4.4.4 Retrieve Billing Data Log (Payment Based Debt Payments): each payment-based debt payment (what a top-up recovered) in the period. The ESME's command is ECS20a; another device type's comes from gsme-reads.ts. */
import { gets, lastDay, readLogBody, readService } from './esme-reads.ts';

export const retrieveBillingDataLogDebtPayments = readService({
  variant: '4.4.4',
  displayName: 'Retrieve Billing Data Log (Payment Based Debt Payments)',
  body: readLogBody('RetrieveBillingDataLogDebtPayments', false),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS20a', messageCode: 0x002e, payload: gets(at, [{ log: '0-0:98.1.4.255', from: b.start, to: b.end }]) }),
  example: { name: 'read-debt-payments-log', body: () => ({ kind: 'RetrieveBillingDataLogDebtPayments' as const, ...lastDay() }) },
});
