/**
 * 6.18.1 Set Maximum Demand Configurable Time Period: the network operator sets the daily window in which the
 * ESME measures its configurable-time maximum demand (ECS37): two entries of the schedule 0-0:12.0.0.255, which
 * run script 1 (start) and script 2 (end) of the script table 0-0:10.128.100.255 every day.
 */
import { dlms, obis } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution } from './configuration-commands.ts';

const { Sequence, checkAttributes, el, textEl, writeExecution } = bodyKit;

/** Seconds after midnight UTC. */
interface Body { kind: 'SetMaximumDemandConfigurableTimePeriod'; executionDateTime?: Date; start: number; end: number }

function readTime(item: { textContent: string | null }, path: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec((item.textContent ?? '').trim());
  if (!m) throw new bodyKit.StructureError(`${path}: '${item.textContent}' is not an xs:time`);
  let s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (m[4] && m[4] !== 'Z') s -= (m[4].startsWith('-') ? -1 : 1) * (Number(m[4].slice(1, 3)) * 3600 + Number(m[4].slice(4, 6)) * 60);
  return ((s % 86400) + 86400) % 86400;
}

const timeText = (s: number) => `${[Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((x) => String(x).padStart(2, '0')).join(':')}Z`;

const body: BodyCodec<Body> = {
  element: 'SetMaximumDemandConfigurableTimePeriod',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const p = `${path}/sr:MaximumDemandTimePeriodSchedule`;
    const q = new Sequence(s.required('MaximumDemandTimePeriodSchedule'), p);
    const start = readTime(q.required('StartTime'), `${p}/sr:StartTime`);
    const end = readTime(q.required('EndTime'), `${p}/sr:EndTime`);
    q.end();
    s.end();
    return { kind: 'SetMaximumDemandConfigurableTimePeriod', ...exec, start, end };
  },
  write: (b) => writeExecution(b.executionDateTime) + el('MaximumDemandTimePeriodSchedule', textEl('StartTime', timeText(b.start)) + textEl('EndTime', timeText(b.end))),
};

/** One schedule entry: index, enabled, script table and script, time, validity, every day, no special days, any date. */
function entry(index: number, script: number, seconds: number) {
  const time = Buffer.from([Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60, 0]);
  return dlms.structure(
    dlms.longUnsigned(index), dlms.boolean(true), dlms.octets(obis('0-0:10.128.100.255')), dlms.longUnsigned(script), dlms.octets(time),
    dlms.longUnsigned(0xffff), dlms.bits(7, Buffer.from([0xfe])), dlms.bits(0, Buffer.alloc(0)), dlms.octets('000001ffff'), dlms.octets('ffffffffff'),
  );
}

export const setMaximumDemandConfigurableTimePeriod = deviceCommandService({
  variant: '6.18.1',
  displayName: 'Set Maximum Demand Configurable Time Period',
  body,
  sender: 'networkOperator',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the maximum demand period', {
    ESME: (b, { counter }) => ({ useCase: 'ECS37', messageCode: 0x004a, payload: dlmsAccess(counter, [['set', 10, '00000C0000FF', 2, dlms.array([entry(0, 1, b.start), entry(1, 2, b.end)])]]) }),
  }),
  example: { name: 'set-max-demand-period', body: () => ({ kind: 'SetMaximumDemandConfigurableTimePeriod' as const, start: 17 * 3600, end: 22 * 3600 }) },
  describe: (b) => [{ label: 'StartTime', value: timeText(b.start) }, { label: 'EndTime', value: timeText(b.end) }],
});
