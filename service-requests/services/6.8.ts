/**
 * 6.8 Update Device Configuration (Billing Calendar): when the meter closes a billing period (critical).
 * ESME: the billing single-action schedule 0-0:15.0.0.255 execution times (ECS30 monthly; ECS30a the other
 * periodicities); GSME: Publish Billing Period and Publish Block Period on the Price cluster (GCS25 monthly;
 * GCS25a the others). 6.2.3 reads them back.
 */
import { ZclCluster, dlms, zigbeeTime, type DlmsData } from '../../devices/index.ts';
import type { Element } from '@xmldom/xmldom';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, zclCommands } from './configuration-commands.ts';

const { Sequence, checkAttributes, readDateTime, readUnsigned, readStringEnum, el, emptyEl, textEl, writeDateTime } = bodyKit;

const PERIODICITIES = ['Daily', 'Weekly', 'Monthly', 'Quarterly', 'SixMonthly', 'Yearly'] as const;
type Periodicity = (typeof PERIODICITIES)[number];

type Body =
  | { kind: 'UpdateDeviceConfigurationBillingCalendar'; electricity: { time: number; periodicity: Periodicity; day?: number; startMonth?: number } }
  | { kind: 'UpdateDeviceConfigurationBillingCalendar'; gas: { start: Date; periodicity: Periodicity } };

/** Seconds after midnight of an xs:time (UTC). */
function readTime(item: Element, path: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec((item.textContent ?? '').trim());
  if (!m) throw new bodyKit.StructureError(`${path}: '${item.textContent}' is not an xs:time`);
  let s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (m[4] && m[4] !== 'Z') s -= (m[4].startsWith('-') ? -1 : 1) * (Number(m[4].slice(1, 3)) * 3600 + Number(m[4].slice(4, 6)) * 60);
  return ((s % 86400) + 86400) % 86400;
}
const timeText = (s: number) => `${[Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((x) => String(x).padStart(2, '0')).join(':')}Z`;

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationBillingCalendar',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const e = s.optional('ElectricityBillingCalendar');
    if (e) {
      const p = `${path}/sr:ElectricityBillingCalendar`;
      const q = new Sequence(e, p);
      const time = readTime(q.required('BillingTime'), `${p}/sr:BillingTime`);
      const choice = q.take();
      const periodicity = choice.localName as Periodicity;
      const cp = `${p}/sr:${choice.localName}`;
      let out: Extract<Body, { electricity: unknown }>['electricity'];
      if (periodicity === 'Daily') out = { time, periodicity };
      else if (periodicity === 'Weekly') out = { time, periodicity, day: readUnsigned(choice, cp, 7, 'day of week 1-7') };
      else if (periodicity === 'Monthly') out = { time, periodicity, day: readUnsigned(choice, cp, 28, 'day of month 1-28') };
      else if (periodicity === 'Quarterly' || periodicity === 'SixMonthly' || periodicity === 'Yearly') {
        const r = new Sequence(choice, cp);
        const day = readUnsigned(r.required('DayOfMonth'), `${cp}/sr:DayOfMonth`, 28, 'day of month 1-28');
        const startMonth = readUnsigned(r.required('BillingPeriodStartMonth'), `${cp}/sr:BillingPeriodStartMonth`, 12, 'month 1-12');
        r.end();
        out = { time, periodicity, day, startMonth };
      } else throw new bodyKit.StructureError(`${p}: expected Daily, Weekly, Monthly, Quarterly, SixMonthly or Yearly, found ${choice.localName}`);
      if ((out.day !== undefined && out.day < 1) || (out.startMonth !== undefined && out.startMonth < 1)) throw new bodyKit.StructureError(`${cp}: days and months count from 1`);
      q.end();
      s.end();
      return { kind: 'UpdateDeviceConfigurationBillingCalendar', electricity: out };
    }
    const g = s.required('GasBillingCalendar');
    const p = `${path}/sr:GasBillingCalendar`;
    const q = new Sequence(g, p);
    const start = readDateTime(q.required('BillingPeriodStart'), `${p}/sr:BillingPeriodStart`);
    const periodicity = readStringEnum(q.required('Periodicity'), `${p}/sr:Periodicity`, PERIODICITIES, 'Periodicity') as Periodicity;
    q.end();
    s.end();
    return { kind: 'UpdateDeviceConfigurationBillingCalendar', gas: { start, periodicity } };
  },
  write(b) {
    if ('gas' in b) return el('GasBillingCalendar', textEl('BillingPeriodStart', writeDateTime(b.gas.start, 'body.gas.start')) + textEl('Periodicity', b.gas.periodicity));
    const e = b.electricity;
    const choice = e.periodicity === 'Daily' ? emptyEl('Daily')
      : e.periodicity === 'Weekly' || e.periodicity === 'Monthly' ? textEl(e.periodicity, String(e.day))
        : el(e.periodicity, textEl('DayOfMonth', String(e.day)) + textEl('BillingPeriodStartMonth', String(e.startMonth)));
    return el('ElectricityBillingCalendar', textEl('BillingTime', timeText(e.time)) + choice);
  },
};

const MONTHS_APART: Partial<Record<Periodicity, number>> = { Quarterly: 3, SixMonthly: 6, Yearly: 12 };

/** The schedule's execution times: {time hh mm ss 00, date yyyy mm dd dow} with FF for "any". */
function executionTimes(e: Extract<Body, { electricity: unknown }>['electricity']): DlmsData {
  const time = Buffer.from([Math.floor(e.time / 3600), Math.floor(e.time / 60) % 60, e.time % 60, 0]);
  const date = (month: number, day: number, dow: number) => Buffer.from([0xff, 0xff, month, day, dow]);
  let dates: Buffer[];
  if (e.periodicity === 'Daily') dates = [date(0xff, 0xff, 0xff)];
  else if (e.periodicity === 'Weekly') dates = [date(0xff, 0xff, e.day!)];
  else if (e.periodicity === 'Monthly') dates = [date(0xff, e.day!, 0xff)];
  else {
    const step = MONTHS_APART[e.periodicity]!;
    dates = Array.from({ length: 12 / step }, (_, i) => date(((e.startMonth! - 1 + i * step) % 12) + 1, e.day!, 0xff));
  }
  return dlms.array(dates.map((d) => dlms.structure(dlms.octets(time), dlms.octets(d))));
}

/** ZCL billing/block period duration and its type (0x2n: duration control "not specified", timebase n: 1 days, 2 weeks, 3 months). */
const DURATION: Record<Periodicity, [number, number]> = { Daily: [1, 0x21], Weekly: [1, 0x22], Monthly: [1, 0x23], Quarterly: [3, 0x23], SixMonthly: [6, 0x23], Yearly: [12, 0x23] };

function gasPeriods(g: { start: Date; periodicity: Periodicity }, now: Date): Buffer {
  const [duration, type] = DURATION[g.periodicity];
  // provider id 0 ‖ issuer event id (the time of issue) ‖ start (ZigBee time) ‖ duration (uint24)
  const head = Buffer.alloc(15);
  head.writeUInt32LE(zigbeeTime(now), 4);
  head.writeUInt32LE(zigbeeTime(g.start), 8);
  head.writeUIntLE(duration, 12, 3);
  // Publish Billing Period: ‖ duration type ‖ tariff type 0; Publish Block Period: ‖ block period control 2 ‖ duration type ‖ tariff type 0 ‖ resolution 1
  return zclCommands([
    [ZclCluster.price, 0x09, 0x09, Buffer.concat([head, Buffer.from([type, 0x00])])],
    [ZclCluster.price, 0x09, 0x01, Buffer.concat([head, Buffer.from([0x02, type, 0x00, 0x01])])],
  ]);
}

export const [updateBillingCalendar, updateBillingCalendarSigned] = criticalDeviceCommandService({
  variant: '6.8',
  displayName: 'Update Device Configuration (Billing Calendar)',
  body,
  sender: 'supplier',
  command: byDeviceType('the billing calendar', {
    ESME: (b, { counter }) => {
      if (!('electricity' in b)) return 'an ESME takes an ElectricityBillingCalendar';
      const monthly = b.electricity.periodicity === 'Monthly';
      return { useCase: monthly ? 'ECS30' : 'ECS30a', messageCode: monthly ? 0x0046 : 0x00d7, payload: dlmsAccess(counter, [['set', 22, '00000F0000FF', 4, executionTimes(b.electricity)]]) };
    },
    GSME: (b, { now }) => {
      if (!('gas' in b)) return 'a GSME takes a GasBillingCalendar';
      const monthly = b.gas.periodicity === 'Monthly';
      return { useCase: monthly ? 'GCS25' : 'GCS25a', messageCode: monthly ? 0x007e : 0x00d8, payload: gasPeriods(b.gas, now) };
    },
  }),
  example: {
    name: 'billing-calendar',
    body: (ctx) => (ctx.device?.type === 'GSME'
      ? { kind: 'UpdateDeviceConfigurationBillingCalendar' as const, gas: { start: new Date(Date.UTC(2030, 0, 1)), periodicity: 'Monthly' as const } }
      : { kind: 'UpdateDeviceConfigurationBillingCalendar' as const, electricity: { time: 0, periodicity: 'Monthly' as const, day: 1 } }),
  },
  describe: (b) => ('gas' in b ? [{ label: 'Periodicity', value: b.gas.periodicity }, { label: 'BillingPeriodStart', value: b.gas.start.toISOString() }] : [{ label: 'Periodicity', value: b.electricity.periodicity }, { label: 'BillingTime', value: timeText(b.electricity.time) }]),
});
