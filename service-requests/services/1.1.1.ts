/**
 * 1.1.1 Update Import Tariff (Primary Element): the supplier replaces the whole import tariff of an ESME
 * (ECS01a: calendar, special days, block thresholds, currency, standing charge, prices) or a GSME (GCS01a: the
 * Calendar and Price cluster publishes), now, at ExecutionDateTime, or cancelling one the device holds. Critical.
 */
import { criticalDeviceCommandService } from './device-command.ts';
import { tariffPrimaryBody, type TariffPrimaryBody } from './tariff-bodies.ts';
import { activationOf, ecs01a, gcs01a } from './tariff-commands.ts';
import { describeTariff, exampleElecTariff, exampleGasTariff } from './tariff-examples.ts';

export const [updateImportTariffPrimary, updateImportTariffPrimarySigned] = criticalDeviceCommandService<TariffPrimaryBody>({
  variant: '1.1.1',
  displayName: 'Update Import Tariff (Primary Element)',
  body: tariffPrimaryBody,
  sender: 'supplier',
  messageCodes: [0x0019, 0x006b],
  command(b, type, { counter, now }) {
    const a = activationOf(b.executionDateTime);
    if (type === 'ESME' && b.tariff.kind === 'electricity' && b.prices.kind === 'electricity') {
      return { useCase: 'ECS01a', messageCode: 0x0019, payload: ecs01a(counter, b.tariff.currency, b.tariff, b.prices, a) };
    }
    if (type === 'GSME' && b.tariff.kind === 'gas' && b.prices.kind === 'gas') return { useCase: 'GCS01a', messageCode: 0x006b, payload: gcs01a(now, b.tariff, b.prices, a) };
    if (type !== 'ESME' && type !== 'GSME') return `an import tariff is set on an ESME or a GSME, not a ${type}`;
    return `a ${b.tariff.kind} tariff does not fit a ${type}`;
  },
  example: { name: 'update-tariff', body: (ctx) => ({ kind: 'UpdateImportTariffPrimaryElement' as const, ...(ctx.device?.type === 'GSME' ? exampleGasTariff() : exampleElecTariff()) }) },
  describe: (b) => describeTariff(b.executionDateTime, b.prices, b.tariff),
});
