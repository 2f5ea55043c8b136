/** 7.7 Read Auxiliary Load Switch Data: an ESME's switches' descriptions, identities, special days, schedule and states (ECS61a). */
import { bodyKit } from '../duis/index.ts';
import { noDspFutureDating, readAlcsData } from './auxiliary-commands.ts';
import { deviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes } = bodyKit;

export const readAlcsDataService = deviceCommandService<{ kind: 'ReadALCSData' }>({
  variant: '7.7',
  displayName: 'Read Auxiliary Load Switch Data',
  body: {
    element: 'ReadALCSData',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      s.end();
      return { kind: 'ReadALCSData' };
    },
    write: () => '',
  },
  sender: 'supplier',
  command: (_b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS61a', messageCode: 0x00bb, payload: readAlcsData(counter) }
    : `auxiliary load switches are an ESME's, not a ${type}'s`),
  example: { name: 'read-alcs', body: () => ({ kind: 'ReadALCSData' as const }) },
});
