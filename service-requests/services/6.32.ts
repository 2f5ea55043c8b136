/** 6.32 Read CHF Sub GHz Channel Log: the dual-band comms hub's channel changes between two times (DBCH02‡: profile 0-0:94.44.10.3 by range). */
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsLogRead } from './configuration-commands.ts';

const { Sequence, checkAttributes, readDateTime, el, textEl, writeDateTime } = bodyKit;

interface Body { kind: 'ReadCHFSubGHzChannelLog'; from: Date; to: Date }

const body: BodyCodec<Body> = {
  element: 'ReadCHFSubGHzChannelLog',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const p = `${path}/sr:ReadLogPeriod`;
    const q = new Sequence(s.required('ReadLogPeriod'), p);
    const from = readDateTime(q.required('StartDateTime'), `${p}/sr:StartDateTime`);
    const to = readDateTime(q.required('EndDateTime'), `${p}/sr:EndDateTime`);
    q.end();
    s.end();
    return { kind: 'ReadCHFSubGHzChannelLog', from, to };
  },
  write: (b) => el('ReadLogPeriod', textEl('StartDateTime', writeDateTime(b.from, 'body.from')) + textEl('EndDateTime', writeDateTime(b.to, 'body.to'))),
};

export const readChfSubGhzChannelLog = deviceCommandService({
  variant: '6.32',
  displayName: 'Read CHF Sub GHz Channel Log',
  body,
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('the sub-GHz channel log', {
    CHF: (b, { counter }) => ({ useCase: 'DBCH02', messageCode: 0x010b, viaAcb: true, payload: dlmsLogRead(counter, '0-0:94.44.10.3', b.from, b.to) }),
  }),
  example: { name: 'read-sub-ghz-log', body: () => ({ kind: 'ReadCHFSubGHzChannelLog' as const, from: new Date(Date.UTC(2000, 0, 1)), to: new Date(Date.UTC(2099, 11, 31)) }) },
  describe: (b) => [{ label: 'ReadLogPeriod', value: `${b.from.toISOString()} – ${b.to.toISOString()}` }],
});
