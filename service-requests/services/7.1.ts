/** 7.1 Enable Supply: the supplier reconnects an ESME's load switch (critical; ECS42, script 51). */
import { criticalDeviceCommandService, emptyBody } from './device-command.ts';
import { supplyScript } from './supply-commands.ts';

export const [enableSupply, enableSupplySigned] = criticalDeviceCommandService({
  variant: '7.1',
  displayName: 'Enable Supply',
  body: emptyBody('EnableSupply'),
  sender: 'supplier',
  command: (_b, type, { counter, now }) => (type === 'ESME' ? { useCase: 'ECS42', messageCode: 0x004f, payload: supplyScript(counter, 51) } : `supply is enabled remotely only on an ESME, not a ${type}`),
  example: { name: 'enable-supply', body: () => ({ kind: 'EnableSupply' as const }) },
});
