/** 7.4 Read Supply Status: the ESME's load switch state (ECS45) or the GSME's valve and battery (GCS33). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { readLoadSwitch, readValve } from './supply-commands.ts';

export const readSupplyStatus = deviceCommandService({
  variant: '7.4',
  displayName: 'Read Supply Status',
  body: emptyBody('ReadSupplyStatus'),
  sender: 'supplier',
  command(_b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS45', messageCode: 0x0052, payload: readLoadSwitch(counter) };
    if (type === 'GSME') return { useCase: 'GCS33', messageCode: 0x0082, payload: readValve() };
    return `supply status is read from an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'read-supply', body: () => ({ kind: 'ReadSupplyStatus' as const }) },
});
