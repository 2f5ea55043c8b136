/** 7.2 Disable Supply: the supplier opens an ESME's load switch (ECS43, script 52) or closes a GSME's valve (GCS32). Critical. */
import { criticalDeviceCommandService, emptyBody } from './device-command.ts';
import { changeSupply, supplyScript } from './supply-commands.ts';

export const [disableSupply, disableSupplySigned] = criticalDeviceCommandService({
  variant: '7.2',
  displayName: 'Disable Supply',
  body: emptyBody('DisableSupply'),
  sender: 'supplier',
  command(_b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS43', messageCode: 0x0050, payload: supplyScript(counter, 52) };
    if (type === 'GSME') return { useCase: 'GCS32', messageCode: 0x0081, payload: changeSupply(0, now) };
    return `supply is disabled on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'disable-supply', body: () => ({ kind: 'DisableSupply' as const }) },
});
