/** 1.2.2 Update Price (Secondary Element): the supplier changes a twin-element ESME's secondary TOU prices (ECS01d). Critical. */
import { criticalDeviceCommandService } from './device-command.ts';
import { priceSecondaryBody, type PriceSecondaryBody } from './tariff-bodies.ts';
import { activationOf, ecs01d } from './tariff-commands.ts';
import { describeTariff, exampleSecondaryPrices } from './tariff-examples.ts';

export const [updatePriceSecondary, updatePriceSecondarySigned] = criticalDeviceCommandService<PriceSecondaryBody>({
  variant: '1.2.2',
  displayName: 'Update Price (Secondary Element)',
  body: priceSecondaryBody,
  sender: 'supplier',
  messageCodes: [0x00c7],
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS01d', messageCode: 0x00c7, payload: ecs01d(counter, b.prices, activationOf(b.executionDateTime)) }
    : `secondary element prices are set on an ESME, not a ${type}`),
  example: { name: 'update-secondary-price', body: () => ({ kind: 'UpdatePriceSecondaryElement' as const, prices: exampleSecondaryPrices() }) },
  describe: (b) => describeTariff(b.executionDateTime, b.prices),
});
