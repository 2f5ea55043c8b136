/**
 * 1.5 Update Meter Balance: the supplier adjusts or resets the meter balance. ESME: ECS04a adjusts, ECS04b resets
 * meter balance, emergency credit and accumulated debt (in either payment mode). GSME: Credit Adjustment, GCS40a/b
 * (adjust/reset in prepayment mode) and GCS40c/d (adjust/reset in credit mode). Critical.
 */
import { criticalDeviceCommandService } from './device-command.ts';
import { meterBalanceBody, type MeterBalanceBody } from './tariff-bodies.ts';
import { ecs04a, ecs04b, gcs40 } from './tariff-commands.ts';

/** GSME use case, message code and Credit Adjustment type of each mode and action (GBCS mapping table). */
const GSME = {
  prepayment: { adjust: ['GCS40a', 0x0086, 0], reset: ['GCS40b', 0x00b4, 1] },
  credit: { adjust: ['GCS40c', 0x00c0, 3], reset: ['GCS40d', 0x00c2, 2] },
} as const;

export const [updateMeterBalance, updateMeterBalanceSigned] = criticalDeviceCommandService<MeterBalanceBody>({
  variant: '1.5',
  displayName: 'Update Meter Balance',
  body: meterBalanceBody,
  sender: 'supplier',
  command(b, type, { counter, now }) {
    if (type === 'ESME') {
      return b.adjustment === undefined
        ? { useCase: 'ECS04b', messageCode: 0x00b3, payload: ecs04b(counter) }
        : { useCase: 'ECS04a', messageCode: 0x001c, payload: ecs04a(counter, b.adjustment) };
    }
    if (type === 'GSME') {
      const [useCase, messageCode, adjustmentType] = GSME[b.mode][b.adjustment === undefined ? 'reset' : 'adjust'];
      return { useCase, messageCode, payload: gcs40(now, adjustmentType, b.adjustment ?? 0) };
    }
    return `a meter balance is held by an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'adjust-balance', body: () => ({ kind: 'UpdateMeterBalance' as const, mode: 'prepayment' as const, adjustment: 1000 }) },
  describe: (b) => [{ label: `Meter balance (${b.mode} mode)`, value: b.adjustment === undefined ? 'reset to zero' : `adjust by ${b.adjustment}` }],
});
