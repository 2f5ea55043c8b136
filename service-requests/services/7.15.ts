/** 7.15 Read Auxiliary Controller Operational Data: an ESME's auxiliary controllers' identities and operational data (ECS61e). */
import { bodyKit } from '../duis/index.ts';
import { noDspFutureDating, readAuxiliaryOperationalData } from './auxiliary-commands.ts';
import { deviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes } = bodyKit;

export const readAuxiliaryControllerOperationalData = deviceCommandService<{ kind: 'ReadAuxiliaryControllerOperationalData' }>({
  variant: '7.15',
  displayName: 'Read Auxiliary Controller Operational Data',
  body: {
    element: 'ReadAuxiliaryControllerOperationalData',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      s.end();
      return { kind: 'ReadAuxiliaryControllerOperationalData' };
    },
    write: () => '',
  },
  sender: 'supplier',
  command: (_b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS61e', messageCode: 0x011d, payload: readAuxiliaryOperationalData(counter) }
    : `auxiliary controllers are an ESME's, not a ${type}'s`),
  example: { name: 'read-aux-operational', body: () => ({ kind: 'ReadAuxiliaryControllerOperationalData' as const }) },
});
