/** 7.8 Reset Auxiliary Load: the supplier ends an auxiliary load switch's override, back to its schedule (ECS47Reset, 0x0055). Critical. */
import { bodyKit } from '../duis/index.ts';
import { alcsOperation, readOneToFive } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes } = bodyKit;

export interface ResetAuxiliaryLoadBody {
  kind: 'ResetAuxiliaryLoad';
  /** the switch, 1-5 */
  index: number;
}

export const [resetAuxiliaryLoad, resetAuxiliaryLoadSigned] = criticalDeviceCommandService<ResetAuxiliaryLoadBody>({
  variant: '7.8',
  displayName: 'Reset Auxiliary Load',
  body: {
    element: 'ResetAuxiliaryLoad',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const c = s.required('ResetALCSHCALCS');
      const p = `${path}/sr:ResetALCSHCALCS`;
      checkAttributes(c, p, ['index']);
      const index = readOneToFive(c, p, 'index');
      new Sequence(c, p).end();
      s.end();
      return { kind: 'ResetAuxiliaryLoad', index };
    },
    write: (b) => `<sr:ResetALCSHCALCS index="${b.index}"/>`,
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47Reset', messageCode: 0x0055, payload: alcsOperation(counter, b.index, 'reset') }
    : `auxiliary loads are switched by an ESME, not a ${type}`),
  example: { name: 'reset-aux-load', body: () => ({ kind: 'ResetAuxiliaryLoad' as const, index: 1 }) },
  describe: (b) => [{ label: 'Switch', value: String(b.index) }],
});
