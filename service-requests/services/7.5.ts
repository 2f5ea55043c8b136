/** 7.5 Activate Auxiliary Load: the supplier switches an auxiliary load on for a while (ESME auxiliary load control switch, ECS47Activate, message code 0x0055). Critical. */
import { bodyKit } from '../duis/index.ts';
import { alcsOperation, readOneToFive } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes, readUnsigned, el, textEl } = bodyKit;

export interface ActivateAuxiliaryLoadBody {
  kind: 'ActivateAuxiliaryLoad';
  /** the switch, 1-5 */
  index: number;
  /** minutes */
  duration: number;
}

export const [activateAuxiliaryLoad, activateAuxiliaryLoadSigned] = criticalDeviceCommandService<ActivateAuxiliaryLoadBody>({
  variant: '7.5',
  displayName: 'Activate Auxiliary Load',
  body: {
    element: 'ActivateAuxiliaryLoad',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const c = s.required('ActivateALCSHCALCS');
      const p = `${path}/sr:ActivateALCSHCALCS`;
      checkAttributes(c, p, ['index']);
      const index = readOneToFive(c, p, 'index');
      const cs = new Sequence(c, p);
      const duration = readUnsigned(cs.required('Duration'), `${p}/sr:Duration`, 65535, 'xs:unsignedShort');
      cs.end();
      s.end();
      return { kind: 'ActivateAuxiliaryLoad', index, duration };
    },
    write: (b) => el('ActivateALCSHCALCS', textEl('Duration', String(b.duration))).replace('<sr:ActivateALCSHCALCS>', `<sr:ActivateALCSHCALCS index="${b.index}">`),
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47Activate', messageCode: 0x0055, payload: alcsOperation(counter, b.index, 'activate', b.duration) }
    : `auxiliary loads are switched by an ESME, not a ${type}`),
  example: { name: 'activate-aux-load', body: () => ({ kind: 'ActivateAuxiliaryLoad' as const, index: 1, duration: 30 }) },
  describe: (b) => [{ label: 'Switch', value: String(b.index) }, { label: 'Duration (minutes)', value: String(b.duration) }],
});
