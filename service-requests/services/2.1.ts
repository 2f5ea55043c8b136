/**
 * 2.1 Update Prepay Configuration: the supplier sets a prepayment meter's thresholds (debt recovery cap,
 * emergency credit limit and threshold, low credit, maximum balance and credit) and its non-disablement calendar,
 * now or from an ExecutionDateTime (the device holds it and raises 8F66 per setting then; the year 3000 or later
 * cancels what is held). ESME: ECS08a; GSME: GCS05. Critical.
 *
 * The RTDS templates of ECS08 and ECS08a carry the same body: nothing in a request tells them apart, so the DCC
 * sends ECS08a, the use case of the current mapping (ECS08 has no message type there).
 */
import type { Element } from '@xmldom/xmldom';
import { bodyKit } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import {
  WEEKDAYS, activationOf, updatePrepayConfigElec, updatePrepayConfigGas,
  type ElecNonDisablementCalendar, type GasNonDisablementCalendar, type NonDisablementAction, type PrepayThresholds, type TimeOfDay, type Weekday, type WildDate,
} from './prepayment-commands.ts';

const { Sequence, StructureError, checkAttributes, readDateTime, readInteger, readStringEnum, readUnsigned, el, textEl, emptyEl, writeExecution } = bodyKit;

export type UpdatePrepayConfigurationBody = { kind: 'UpdatePrepayConfiguration'; executionDateTime?: Date } & PrepayThresholds & (
  | { fuel: 'electricity'; calendar: ElecNonDisablementCalendar }
  | { fuel: 'gas'; calendar: GasNonDisablementCalendar }
);

const ACTIONS: readonly NonDisablementAction[] = ['START', 'STOP'];

function int(e: Element, path: string, min: bigint, max: bigint, what: string): number {
  return Number(readInteger(e, path, min, max, what));
}

/** Sequence over `e` with no attributes but `allowed`. */
function seq(e: Element, path: string, allowed: string[] = []): InstanceType<typeof Sequence> {
  checkAttributes(e, path, allowed);
  return new Sequence(e, path);
}

/** A choice of Specified<part> (a number) or a NonSpecified…/wildcard element (undefined). */
function wildPart(e: Element, path: string, specified: string, min: number, max: number): number | undefined {
  const s = seq(e, path);
  const x = s.take();
  s.end();
  if (x.localName === specified) return int(x, `${path}/sr:${specified}`, BigInt(min), BigInt(max), `${min}..${max}`);
  if (!x.localName?.startsWith('NonSpecified')) throw new StructureError(`${path}: expected sr:${specified} or a NonSpecified element, found ${x.localName}`);
  checkAttributes(x, `${path}/sr:${x.localName}`);
  new Sequence(x, `${path}/sr:${x.localName}`).end();
  return undefined;
}

function readWildDate(e: Element, path: string, names: [string, string, string, string]): WildDate {
  const s = seq(e, path);
  const d: WildDate = {};
  const year = wildPart(s.required(names[0]), `${path}/sr:${names[0]}`, 'SpecifiedYear', 2014, 9999);
  const month = wildPart(s.required(names[1]), `${path}/sr:${names[1]}`, 'SpecifiedMonth', 1, 12);
  const day = wildPart(s.required(names[2]), `${path}/sr:${names[2]}`, 'SpecifiedDayOfMonth', 1, 31);
  const dayOfWeek = wildPart(s.required(names[3]), `${path}/sr:${names[3]}`, 'SpecifiedDayOfWeek', 1, 7);
  s.end();
  if (year !== undefined) d.year = year;
  if (month !== undefined) d.month = month;
  if (day !== undefined) d.day = day;
  if (dayOfWeek !== undefined) d.dayOfWeek = dayOfWeek;
  return d;
}

const ELEC_DATE: [string, string, string, string] = ['Year', 'Month', 'DayOfMonth', 'DayOfWeek'];
const GAS_DATE: [string, string, string, string] = ['GasYearWithWildcards', 'GasMonthWithWildcards', 'GasDayOfMonthWithWildcards', 'GasDayOfWeekWithWildcards'];

function text(e: Element, path: string, allowed: string[] = []): string {
  checkAttributes(e, path, allowed);
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) throw new StructureError(`${path}: holds an element where a value belongs`);
  return (e.textContent ?? '').trim();
}

/** xs:time as the templates write it (hh:mm:ss[.ff][Z]); the schedule is in UTC. */
function readTime(e: Element, path: string): TimeOfDay {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]00:00)?$/.exec(text(e, path));
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new StructureError(`${path}: not an xs:time (hh:mm:ss, UTC)`);
  return { hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3]), hundredths: m[4] ? Number(m[4].slice(0, 2).padEnd(2, '0')) : 0 };
}

/** xs:date (years past 9999 allowed: the templates use 65535, a DLMS "any year"). */
function readDate(e: Element, path: string): WildDate {
  const m = /^(\d{4,5})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/.exec(text(e, path));
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) < 1 || Number(m[3]) > 31 || Number(m[1]) > 65535) throw new StructureError(`${path}: not an xs:date`);
  const year = Number(m[1]);
  return { ...(year === 0xffff ? {} : { year }), month: Number(m[2]), day: Number(m[3]) };
}

function readElecCalendar(e: Element, path: string): ElecNonDisablementCalendar {
  const s = seq(e, path);
  const sdPath = `${path}/sr:ElectricitySpecialDays`;
  const sd = seq(s.required('ElectricitySpecialDays'), sdPath);
  const specialDays = sd.repeated('SpecialDay', 0, 20).map((x, i) => {
    const p = `${sdPath}/sr:SpecialDay[${i + 1}]`;
    checkAttributes(x, p, ['index']);
    const index = Number(x.getAttribute('index'));
    if (!Number.isInteger(index) || index < 1 || index > 20) throw new StructureError(`${p}: attribute index must be 1..20`);
    const xs = new Sequence(x, p);
    const date = readWildDate(xs.required('Date'), `${p}/sr:Date`, ELEC_DATE);
    xs.end();
    return { index, date };
  });
  sd.end();
  const schedule = s.repeated('ElectricityNonDisablementSchedule', 1, 22).map((x, i) => {
    const p = `${path}/sr:ElectricityNonDisablementSchedule[${i + 1}]`;
    const xs = seq(x, p);
    const script = readStringEnum(xs.required('NonDisablementScript'), `${p}/sr:NonDisablementScript`, ACTIONS, 'non-disablement script') as NonDisablementAction;
    const sda = seq(xs.required('SpecialDaysApplicability'), `${p}/sr:SpecialDaysApplicability`);
    const special = sda.repeated('SpecialDayApplicability', 0, 20).map((y, j) => {
      const q = `${p}/sr:SpecialDaysApplicability/sr:SpecialDayApplicability[${j + 1}]`;
      const ys = seq(y, q);
      const id = int(ys.required('SpecialDayID'), `${q}/sr:SpecialDayID`, 1n, 20n, '1..20');
      ys.end();
      return id;
    });
    sda.end();
    const dwa = seq(xs.required('DaysOfWeekApplicability'), `${p}/sr:DaysOfWeekApplicability`);
    const days = dwa.repeated('DayOfWeekApplicability', 0, 7).map((y, j) => {
      const q = `${p}/sr:DaysOfWeekApplicability/sr:DayOfWeekApplicability[${j + 1}]`;
      const ys = seq(y, q);
      const d = readStringEnum(ys.required('DayOfWeekID'), `${q}/sr:DayOfWeekID`, WEEKDAYS, 'day of the week') as Weekday;
      ys.end();
      return d;
    });
    dwa.end();
    const tp = `${p}/sr:ScheduleDatesAndTime`;
    const ts = seq(xs.required('ScheduleDatesAndTime'), tp);
    const time = readTime(ts.required('SwitchTime'), `${tp}/sr:SwitchTime`);
    const start = readDate(ts.required('StartDate'), `${tp}/sr:StartDate`);
    const end = readDate(ts.required('EndDate'), `${tp}/sr:EndDate`);
    ts.end();
    xs.end();
    return { script, specialDays: special, days, time, start, end };
  });
  s.end();
  return { specialDays, schedule };
}

function readGasCalendar(e: Element, path: string): GasNonDisablementCalendar {
  const s = seq(e, path);
  const dp = `${path}/sr:DayProfiles`;
  const ds = seq(s.required('DayProfiles'), dp);
  const dayProfiles = ds.repeated('GasNonDisablementDayProfile', 1, 5).map((x, i) => {
    const p = `${dp}/sr:GasNonDisablementDayProfile[${i + 1}]`;
    const xs = seq(x, p);
    const actions = xs.repeated('TimeStartAction', 1, 3).map((y, j) => {
      const q = `${p}/sr:TimeStartAction[${j + 1}]`;
      const ys = seq(y, q);
      const time = readTime(ys.required('StartTime'), `${q}/sr:StartTime`);
      const action = readStringEnum(ys.required('NonDisablementAction'), `${q}/sr:NonDisablementAction`, ACTIONS, 'non-disablement action') as NonDisablementAction;
      ys.end();
      return { time, action };
    });
    const name = int(xs.required('GasDayName'), `${p}/sr:GasDayName`, 1n, 255n, 'day name');
    xs.end();
    return { name, actions };
  });
  ds.end();
  const wp = `${path}/sr:WeekProfiles`;
  const ws = seq(s.required('WeekProfiles'), wp);
  const weekProfiles = ws.repeated('WeekProfile', 1, 2).map((x, i) => {
    const p = `${wp}/sr:WeekProfile[${i + 1}]`;
    const xs = seq(x, p);
    const name = int(xs.required('WeekName'), `${p}/sr:WeekName`, 1n, 255n, 'week name');
    const days = xs.repeated('ReferencedDayName', 7, 7).map((y, j) => {
      const q = `${p}/sr:ReferencedDayName[${j + 1}]`;
      checkAttributes(y, q, ['index']);
      if (Number(y.getAttribute('index')) !== j + 1) throw new StructureError(`${q}: the seven days are listed in order, index ${j + 1} here`);
      const v = Number(text(y, q, ['index']).replace(/^$/, 'x'));
      if (!Number.isInteger(v) || v < 1 || v > 255) throw new StructureError(`${q}: not a day name`);
      return v;
    });
    xs.end();
    return { name, days };
  });
  ws.end();
  const sp = `${path}/sr:SeasonProfiles`;
  const ss = seq(s.required('SeasonProfiles'), sp);
  const seasons = ss.repeated('Season', 1, 3).map((x, i) => {
    const p = `${sp}/sr:Season[${i + 1}]`;
    const xs = seq(x, p);
    const start = readWildDate(xs.required('SeasonStartDate'), `${p}/sr:SeasonStartDate`, GAS_DATE);
    const week = int(xs.required('ReferencedWeekName'), `${p}/sr:ReferencedWeekName`, 1n, 255n, 'week name');
    xs.end();
    return { start, week };
  });
  ss.end();
  const dd = `${path}/sr:SpecialDays`;
  const dds = seq(s.required('SpecialDays'), dd);
  const specialDays = dds.repeated('SpecialDay', 0, 20).map((x, i) => {
    const p = `${dd}/sr:SpecialDay[${i + 1}]`;
    const xs = seq(x, p);
    const date = readWildDate(xs.required('Date'), `${p}/sr:Date`, GAS_DATE);
    const day = int(xs.required('ReferencedDayName'), `${p}/sr:ReferencedDayName`, 1n, 255n, 'day name');
    xs.end();
    return { date, day };
  });
  dds.end();
  s.end();
  return { dayProfiles, weekProfiles, seasons, specialDays };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const writeTime = (t: TimeOfDay) => `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}.${pad(t.hundredths)}Z`;
const writeDate = (d: WildDate) => `${d.year ?? 65535}-${pad(d.month ?? 1)}-${pad(d.day ?? 1)}Z`;
function writeWild(d: WildDate, names: [string, string, string, string]): string {
  const part = (name: string, v: number | undefined, specified: string, none: string) => el(name, v === undefined ? emptyEl(none) : textEl(specified, String(v)));
  return part(names[0], d.year, 'SpecifiedYear', 'NonSpecifiedYear') + part(names[1], d.month, 'SpecifiedMonth', 'NonSpecifiedMonth')
    + part(names[2], d.day, 'SpecifiedDayOfMonth', 'NonSpecifiedDayOfMonth') + part(names[3], d.dayOfWeek, 'SpecifiedDayOfWeek', 'NonSpecifiedDayOfWeek');
}

function writeElec(c: ElecNonDisablementCalendar): string {
  return el('ElectricitySpecialDays', c.specialDays.map((d) => `<sr:SpecialDay index="${d.index}">${el('Date', writeWild(d.date, ELEC_DATE))}</sr:SpecialDay>`).join(''))
    + c.schedule.map((e) => el('ElectricityNonDisablementSchedule',
      textEl('NonDisablementScript', e.script)
      + el('SpecialDaysApplicability', e.specialDays.map((id) => el('SpecialDayApplicability', textEl('SpecialDayID', String(id)))).join(''))
      + el('DaysOfWeekApplicability', e.days.map((d) => el('DayOfWeekApplicability', textEl('DayOfWeekID', d))).join(''))
      + el('ScheduleDatesAndTime', textEl('SwitchTime', writeTime(e.time)) + textEl('StartDate', writeDate(e.start)) + textEl('EndDate', writeDate(e.end))))).join('');
}

function writeGas(c: GasNonDisablementCalendar): string {
  return el('DayProfiles', c.dayProfiles.map((d) => el('GasNonDisablementDayProfile',
    d.actions.map((a) => el('TimeStartAction', textEl('StartTime', writeTime(a.time)) + textEl('NonDisablementAction', a.action))).join('') + textEl('GasDayName', String(d.name)))).join(''))
    + el('WeekProfiles', c.weekProfiles.map((w) => el('WeekProfile', textEl('WeekName', String(w.name)) + w.days.map((d, i) => `<sr:ReferencedDayName index="${i + 1}">${d}</sr:ReferencedDayName>`).join(''))).join(''))
    + el('SeasonProfiles', c.seasons.map((s) => el('Season', el('SeasonStartDate', writeWild(s.start, GAS_DATE)) + textEl('ReferencedWeekName', String(s.week)))).join(''))
    + el('SpecialDays', c.specialDays.map((d) => el('SpecialDay', el('Date', writeWild(d.date, GAS_DATE)) + textEl('ReferencedDayName', String(d.day)))).join(''));
}

const INT = [-2147483648n, 2147483647n] as const;
const UINT = [0n, 4294967295n] as const;

export const [updatePrepayConfiguration, updatePrepayConfigurationSigned] = criticalDeviceCommandService<UpdatePrepayConfigurationBody>({
  variant: '2.1',
  displayName: 'Update Prepay Configuration',
  body: {
    element: 'UpdatePrepayConfiguration',
    read(item, path) {
      const s = seq(item, path);
      const exec = s.optional('ExecutionDateTime');
      const executionDateTime = exec ? readDateTime(exec, `${path}/sr:ExecutionDateTime`) : undefined;
      const elec = s.optional('UpdatePrepayConfigElectricity');
      const c = elec ?? s.required('UpdatePrepayConfigGas');
      const p = `${path}/sr:${elec ? 'UpdatePrepayConfigElectricity' : 'UpdatePrepayConfigGas'}`;
      s.end();
      const cs = seq(c, p);
      const range = elec ? INT : UINT;
      const v = (name: string, lo: bigint, hi: bigint, what: string) => int(cs.required(name), `${p}/sr:${name}`, lo, hi, what);
      const debtRecoveryRateCap = elec ? v('DebtRecoveryRateCap', 0n, 65535n, 'xs:unsignedShort') : v('DebtRecoveryRateCap', INT[0], INT[1], 'xs:int');
      const emergencyCreditLimit = v('EmergencyCreditLimit', range[0], range[1], elec ? 'xs:int' : 'xs:unsignedInt');
      const emergencyCreditThreshold = v('EmergencyCreditThreshold', range[0], range[1], elec ? 'xs:int' : 'xs:unsignedInt');
      const lowCreditThreshold = v('LowCreditThreshold', range[0], range[1], elec ? 'xs:int' : 'xs:unsignedInt');
      const calName = elec ? 'ElectricityNonDisablementCalendar' : 'GasNonDisablementCalendar';
      const calEl = cs.required(calName);
      const calendar = elec ? readElecCalendar(calEl, `${p}/sr:${calName}`) : readGasCalendar(calEl, `${p}/sr:${calName}`);
      const maxMeterBalance = v('MaxMeterBalance', range[0], range[1], elec ? 'xs:int' : 'xs:unsignedInt');
      const maxCreditThreshold = v('MaxCreditThreshold', range[0], range[1], elec ? 'xs:int' : 'xs:unsignedInt');
      cs.end();
      const t = { debtRecoveryRateCap, emergencyCreditLimit, emergencyCreditThreshold, lowCreditThreshold, maxMeterBalance, maxCreditThreshold };
      const base = { kind: 'UpdatePrepayConfiguration' as const, ...(executionDateTime ? { executionDateTime } : {}), ...t };
      return elec ? { ...base, fuel: 'electricity', calendar: calendar as ElecNonDisablementCalendar } : { ...base, fuel: 'gas', calendar: calendar as GasNonDisablementCalendar };
    },
    write(b) {
      const inner = textEl('DebtRecoveryRateCap', String(b.debtRecoveryRateCap)) + textEl('EmergencyCreditLimit', String(b.emergencyCreditLimit))
        + textEl('EmergencyCreditThreshold', String(b.emergencyCreditThreshold)) + textEl('LowCreditThreshold', String(b.lowCreditThreshold))
        + (b.fuel === 'electricity' ? el('ElectricityNonDisablementCalendar', writeElec(b.calendar)) : el('GasNonDisablementCalendar', writeGas(b.calendar)))
        + textEl('MaxMeterBalance', String(b.maxMeterBalance)) + textEl('MaxCreditThreshold', String(b.maxCreditThreshold));
      return writeExecution(b.executionDateTime) + el(b.fuel === 'electricity' ? 'UpdatePrepayConfigElectricity' : 'UpdatePrepayConfigGas', inner);
    },
  },
  sender: 'supplier',
  messageCodes: [0x00de, 0x006f],
  command(b, type, { counter, now }) {
    const a = activationOf(b.executionDateTime);
    if (type === 'ESME') {
      if (b.fuel !== 'electricity') return 'an ESME takes UpdatePrepayConfigElectricity, not the gas configuration';
      return { useCase: 'ECS08a', messageCode: 0x00de, payload: updatePrepayConfigElec(counter, b, b.calendar, a) };
    }
    if (type === 'GSME') {
      if (b.fuel !== 'gas') return 'a GSME takes UpdatePrepayConfigGas, not the electricity configuration';
      return { useCase: 'GCS05', messageCode: 0x006f, payload: updatePrepayConfigGas(b, b.calendar, a, now) };
    }
    return `a prepayment configuration is an ESME's or a GSME's, not a ${type}'s`;
  },
  example: {
    name: 'prepay-config',
    body: (ctx) => {
      const t = { debtRecoveryRateCap: 30, emergencyCreditLimit: 300_000, emergencyCreditThreshold: 100_000, lowCreditThreshold: 200_000, maxMeterBalance: 5_000_000, maxCreditThreshold: 1_000_000 };
      const time = (hour: number): TimeOfDay => ({ hour, minute: 0, second: 0, hundredths: 0 });
      return ctx.device?.type === 'GSME'
        ? {
          kind: 'UpdatePrepayConfiguration', fuel: 'gas', ...t,
          calendar: {
            dayProfiles: [{ name: 1, actions: [{ time: time(0), action: 'START' }, { time: time(8), action: 'STOP' }, { time: time(18), action: 'START' }] }],
            weekProfiles: [{ name: 1, days: [1, 1, 1, 1, 1, 1, 1] }],
            seasons: [{ start: { month: 1, day: 1 }, week: 1 }],
            specialDays: [],
          },
        }
        : {
          kind: 'UpdatePrepayConfiguration', fuel: 'electricity', ...t,
          calendar: {
            specialDays: [],
            schedule: [
              { script: 'START', specialDays: [], days: ['Saturday', 'Sunday'], time: time(0), start: { month: 1, day: 1 }, end: { month: 12, day: 31 } },
              { script: 'STOP', specialDays: [], days: ['Saturday', 'Sunday'], time: time(23), start: { month: 1, day: 1 }, end: { month: 12, day: 31 } },
            ],
          },
        };
    },
  },
  describe: (b) => [
    ...(b.executionDateTime ? [{ label: 'ExecutionDateTime', value: b.executionDateTime.toISOString() }] : []),
    { label: 'Emergency credit limit / threshold', value: `${b.emergencyCreditLimit} / ${b.emergencyCreditThreshold}` },
    { label: 'Low credit threshold', value: String(b.lowCreditThreshold) },
    { label: 'Max meter balance / credit', value: `${b.maxMeterBalance} / ${b.maxCreditThreshold}` },
    { label: 'Debt recovery rate cap', value: String(b.debtRecoveryRateCap) },
  ],
});
