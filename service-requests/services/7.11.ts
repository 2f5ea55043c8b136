/** 7.11 Read Boost Button Details: the ESME's boost button, its uses between two times, and the switches it boosts (ECS61c). */
import { bodyKit } from '../duis/index.ts';
import { noDspFutureDating, readBoostButton } from './auxiliary-commands.ts';
import { deviceCommandService } from './device-command.ts';

const { Sequence, StructureError, checkAttributes, readDateTime, el, textEl } = bodyKit;

export interface ReadBoostButtonDetailsBody {
  kind: 'ReadBoostButtonDetails';
  from: Date;
  to: Date;
}

export const readBoostButtonDetails = deviceCommandService<ReadBoostButtonDetailsBody>({
  variant: '7.11',
  displayName: 'Read Boost Button Details',
  body: {
    element: 'ReadBoostButtonDetails',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      noDspFutureDating(s, path);
      const p = `${path}/sr:ReadLogPeriod`;
      const period = s.required('ReadLogPeriod');
      checkAttributes(period, p);
      const ps = new Sequence(period, p);
      const from = readDateTime(ps.required('StartDateTime'), `${p}/sr:StartDateTime`);
      const to = readDateTime(ps.required('EndDateTime'), `${p}/sr:EndDateTime`);
      ps.end();
      s.end();
      if (to < from) throw new StructureError(`${p}: EndDateTime is before StartDateTime`);
      return { kind: 'ReadBoostButtonDetails', from, to };
    },
    write: (b) => el('ReadLogPeriod', textEl('StartDateTime', b.from.toISOString()) + textEl('EndDateTime', b.to.toISOString())),
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS61c', messageCode: 0x005e, payload: readBoostButton(counter, b.from, b.to) }
    : `the boost button is an ESME's, not a ${type}'s`),
  example: { name: 'read-boost', body: () => ({ kind: 'ReadBoostButtonDetails' as const, from: new Date(Date.now() - 7 * 86_400_000), to: new Date() }) },
  describe: (b) => [{ label: 'From', value: b.from.toISOString() }, { label: 'To', value: b.to.toISOString() }],
});
