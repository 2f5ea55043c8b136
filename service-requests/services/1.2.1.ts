/**
 * 1.2.1 Update Price (Primary Element): the supplier changes an ESME's standing charge and prices (ECS01b) or a
 * GSME's tariff information and prices (GCS01b), now, at ExecutionDateTime, or cancelling. Critical.
 */
import { criticalDeviceCommandService } from './device-command.ts';
import { pricePrimaryBody, type PricePrimaryBody } from './tariff-bodies.ts';
import { activationOf, ecs01b, gcs01b } from './tariff-commands.ts';
import { describeTariff, exampleElecPrices, exampleGasPrices } from './tariff-examples.ts';

export const [updatePricePrimary, updatePricePrimarySigned] = criticalDeviceCommandService<PricePrimaryBody>({
  variant: '1.2.1',
  displayName: 'Update Price (Primary Element)',
  body: pricePrimaryBody,
  sender: 'supplier',
  messageCodes: [0x00a2, 0x00a3],
  command(b, type, { counter, now }) {
    const a = activationOf(b.executionDateTime);
    if (type === 'ESME' && b.prices.kind === 'electricity') return { useCase: 'ECS01b', messageCode: 0x00a2, payload: ecs01b(counter, b.prices, a) };
    if (type === 'GSME' && b.prices.kind === 'gas') return { useCase: 'GCS01b', messageCode: 0x00a3, payload: gcs01b(now, b.prices, a) };
    if (type !== 'ESME' && type !== 'GSME') return `prices are set on an ESME or a GSME, not a ${type}`;
    return `${b.prices.kind} prices do not fit a ${type}`;
  },
  example: { name: 'update-price', body: (ctx) => ({ kind: 'UpdatePricePrimaryElement' as const, prices: ctx.device?.type === 'GSME' ? exampleGasPrices() : exampleElecPrices() }) },
  describe: (b) => describeTariff(b.executionDateTime, b.prices),
});
