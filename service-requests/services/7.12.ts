/** 7.12 Set Randomised Offset Limit: the most an ESME delays its scheduled switching, in seconds (ECS38). Critical. */
import { bodyKit } from '../duis/index.ts';
import { randomisedOffsetLimit } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

const { Sequence, checkAttributes, readUnsigned, textEl } = bodyKit;

export interface SetRandomisedOffsetLimitBody {
  kind: 'SetRandomisedOffsetLimit';
  /** seconds, 0-1799 */
  limit: number;
}

export const [setRandomisedOffsetLimit, setRandomisedOffsetLimitSigned] = criticalDeviceCommandService<SetRandomisedOffsetLimitBody>({
  variant: '7.12',
  displayName: 'Set Randomised Offset Limit',
  body: {
    element: 'SetRandomisedOffsetLimit',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const limit = readUnsigned(s.required('RandomisedOffsetLimit'), `${path}/sr:RandomisedOffsetLimit`, 1799, '0..1799');
      s.end();
      return { kind: 'SetRandomisedOffsetLimit', limit };
    },
    write(b) {
      if (!Number.isInteger(b.limit) || b.limit < 0 || b.limit > 1799) throw new RangeError(`RandomisedOffsetLimit: 0..1799, not ${b.limit}`);
      return textEl('RandomisedOffsetLimit', String(b.limit));
    },
  },
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS38', messageCode: 0x004b, payload: randomisedOffsetLimit(counter, b.limit) }
    : `the randomised offset is an ESME's, not a ${type}'s`),
  example: { name: 'randomised-offset', body: () => ({ kind: 'SetRandomisedOffsetLimit' as const, limit: 900 }) },
  describe: (b) => [{ label: 'Randomised offset limit (s)', value: String(b.limit) }],
});
