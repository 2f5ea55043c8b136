/** 4.4.2 Retrieve Change Of Mode / Tariff Triggered Billing Data Log: the billing snapshots taken at changes of payment mode or tariff in the period, encrypted. The ESME's command is ECS20b; another device type's comes from gsme-reads.ts. */
import { lastDay, protectedRead, readLogBody, readService } from './esme-reads.ts';

export const retrieveCoMOrTariffTriggeredBillingDataLog = readService({
  variant: '4.4.2',
  displayName: 'Retrieve Change Of Mode / Tariff Triggered Billing Data Log',
  body: readLogBody('RetrieveCoMOrTariffTriggeredBillingDataLog', true),
  sender: 'supplier',
  esme: (b, at) => ({ useCase: 'ECS20b', messageCode: 0x002f, payload: protectedRead(at, 3, [{ classId: 7, obis: '0-0:98.1.2.255', attribute: 2, range: { from: b.start, to: b.end } }]) }),
  example: { name: 'read-com-billing-log', body: () => ({ kind: 'RetrieveCoMOrTariffTriggeredBillingDataLog' as const, ...lastDay() }) },
});
