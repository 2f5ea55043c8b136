/** 7.6 Deactivate Auxiliary Load: the supplier switches an auxiliary load off for a while (ESME auxiliary load control switch, ECS47Deactivate, message code 0x0055). Critical. */
import { bodyKit } from '../duis/index.ts';
import { alcsOperation, readOneToFive } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes, readUnsigned, el, textEl } = bodyKit;

export interface DeactivateAuxiliaryLoadBody {
  kind: 'DeactivateAuxiliaryLoad';
  /** the switch, 1-5 */
  index: number;
  /** minutes */
  duration: number;
}

export const [deactivateAuxiliaryLoad, deactivateAuxiliaryLoadSigned] = criticalDeviceCommandService<DeactivateAuxiliaryLoadBody>({
  variant: '7.6',
  displayName: 'Deactivate Auxiliary Load',
  body: {
    element: 'DeactivateAuxiliaryLoad',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const c = s.required('DeactivateALCSHCALCS');
      const p = `${path}/sr:DeactivateALCSHCALCS`;
      checkAttributes(c, p, ['index']);
      const index = readOneToFive(c, p, 'index');
      const cs = new Sequence(c, p);
      const duration = readUnsigned(cs.required('Duration'), `${p}/sr:Duration`, 65535, 'xs:unsignedShort');
      cs.end();
      s.end();
      return { kind: 'DeactivateAuxiliaryLoad', index, duration };
    },
    write: (b) => el('DeactivateALCSHCALCS', textEl('Duration', String(b.duration))).replace('<sr:DeactivateALCSHCALCS>', `<sr:DeactivateALCSHCALCS index="${b.index}">`),
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47Deactivate', messageCode: 0x0055, payload: alcsOperation(counter, b.index, 'deactivate', b.duration) }
    : `auxiliary loads are switched by an ESME, not a ${type}`),
  example: { name: 'deactivate-aux-load', body: () => ({ kind: 'DeactivateAuxiliaryLoad' as const, index: 1, duration: 30 }) },
  describe: (b) => [{ label: 'Switch', value: String(b.index) }, { label: 'Duration (minutes)', value: String(b.duration) }],
});
