/** 7.3 Arm Supply: the supplier arms an ESME's load switch (ECS44, script 54) or a GSME's valve (GCS39) for the consumer to reconnect. Critical. */
import { criticalDeviceCommandService, emptyBody } from './device-command.ts';
import { changeSupply, supplyScript } from './supply-commands.ts';

export const [armSupply, armSupplySigned] = criticalDeviceCommandService({
  variant: '7.3',
  displayName: 'Arm Supply',
  body: emptyBody('ArmSupply'),
  sender: 'supplier',
  command(_b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS44', messageCode: 0x0051, payload: supplyScript(counter, 54) };
    if (type === 'GSME') return { useCase: 'GCS39', messageCode: 0x0085, payload: changeSupply(1, now) };
    return `supply is armed on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'arm-supply', body: () => ({ kind: 'ArmSupply' as const }) },
});
