/** 1.7 Reset Tariff Block Counter Matrix: the supplier zeroes an ESME's block consumption counters (ECS05, tariff script 99). Critical. */
import { criticalDeviceCommandService, emptyBody } from './device-command.ts';
import { ecs05 } from './tariff-commands.ts';

export const [resetTariffBlockCounterMatrix, resetTariffBlockCounterMatrixSigned] = criticalDeviceCommandService({
  variant: '1.7',
  displayName: 'Reset Tariff Block Counter Matrix',
  body: emptyBody('ResetTariffBlockCounterMatrix'),
  sender: 'supplier',
  command: (_b, type, { counter }) => (type === 'ESME' ? { useCase: 'ECS05', messageCode: 0x001d, payload: ecs05(counter) } : `the tariff block counter matrix is an ESME's, not a ${type}'s`),
  example: { name: 'reset-block-counters', body: () => ({ kind: 'ResetTariffBlockCounterMatrix' as const }) },
});
