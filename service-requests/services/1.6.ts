/**
 * 1.6 Update Payment Mode: the supplier switches an ESME (ECS02 credit, ECS03 prepayment) or a GSME (GCS02,
 * GCS03) between credit and prepayment, now, at ExecutionDateTime, or cancelling a held change. Critical.
 */
import { criticalDeviceCommandService } from './device-command.ts';
import { paymentModeBody, type PaymentModeBody } from './tariff-bodies.ts';
import { activationOf, ecs02or03, gcs02or03 } from './tariff-commands.ts';
import { describeExecution } from './tariff-examples.ts';

export const [updatePaymentMode, updatePaymentModeSigned] = criticalDeviceCommandService<PaymentModeBody>({
  variant: '1.6',
  displayName: 'Update Payment Mode',
  body: paymentModeBody,
  sender: 'supplier',
  messageCodes: [0x001a, 0x001b, 0x006c, 0x006d],
  command(b, type, { counter, now, esmeVariant }) {
    const a = activationOf(b.executionDateTime);
    const credit = b.mode.kind === 'credit';
    // the inventory's ESMEVariant B… (twin element): the secondary element's charges are configured too
    const twin = esmeVariant?.startsWith('B') ?? false;
    if (type === 'ESME') return { useCase: credit ? 'ECS02' : 'ECS03', messageCode: credit ? 0x001a : 0x001b, payload: ecs02or03(counter, b.mode, a, twin) };
    if (type === 'GSME') return { useCase: credit ? 'GCS02' : 'GCS03', messageCode: credit ? 0x006c : 0x006d, payload: gcs02or03(now, b.mode, a) };
    return `a payment mode is set on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'payment-mode', body: () => ({ kind: 'UpdatePaymentMode' as const, mode: { kind: 'prepayment' as const, suspendDebtDisabled: false, suspendDebtEmergency: false, disablementThreshold: 0 } }) },
  describe: (b) => [
    describeExecution(b.executionDateTime),
    { label: 'Payment mode', value: b.mode.kind === 'credit' ? 'credit' : `prepayment (suspend debt: disabled ${b.mode.suspendDebtDisabled}, emergency ${b.mode.suspendDebtEmergency}; disablement threshold ${b.mode.disablementThreshold})` },
  ],
});
