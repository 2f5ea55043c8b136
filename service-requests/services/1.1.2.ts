/**
 * 1.1.2 Update Import Tariff (Secondary Element): the supplier replaces the secondary element's calendar,
 * special days and TOU prices of a twin-element ESME (ECS01c), now, at ExecutionDateTime, or cancelling. Critical.
 */
import { criticalDeviceCommandService } from './device-command.ts';
import { tariffSecondaryBody, type TariffSecondaryBody } from './tariff-bodies.ts';
import { activationOf, ecs01c } from './tariff-commands.ts';
import { describeTariff, exampleSecondaryPrices } from './tariff-examples.ts';

export const [updateImportTariffSecondary, updateImportTariffSecondarySigned] = criticalDeviceCommandService<TariffSecondaryBody>({
  variant: '1.1.2',
  displayName: 'Update Import Tariff (Secondary Element)',
  body: tariffSecondaryBody,
  sender: 'supplier',
  messageCodes: [0x00b7],
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS01c', messageCode: 0x00b7, payload: ecs01c(counter, b.switching, b.specialDays, b.prices, activationOf(b.executionDateTime)) }
    : `a secondary element tariff is set on an ESME, not a ${type}`),
  example: {
    name: 'update-secondary-tariff',
    body: () => ({
      kind: 'UpdateImportTariffSecondaryElement' as const,
      switching: {
        dayProfiles: [{ dayName: 1, schedule: [{ start: { hour: 0, minute: 0, second: 0, hundredths: 0 }, action: { tou: 1 } }, { start: { hour: 7, minute: 0, second: 0, hundredths: 0 }, action: { tou: 2 } }] }],
        weekProfiles: [{ weekName: 1, days: [1, 1, 1, 1, 1, 1, 1] }],
        seasons: [{ name: 'all', start: { year: 2015, month: 1, dayOfMonth: 1 }, weekName: 1 }],
      },
      specialDays: [],
      prices: exampleSecondaryPrices(),
    }),
  },
  describe: (b) => [...describeTariff(b.executionDateTime, b.prices), { label: 'Switching', value: `${b.switching.dayProfiles.length} day profiles, ${b.specialDays.length} special days` }],
});
