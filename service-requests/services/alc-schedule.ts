/**
 * The auxiliary load control switches' calendar, shared by 6.14.2 (ECS46c) and 6.14.3 (ECS46d): switching
 * times per switch (the schedule 0-1:12.0.2.255, each entry running script 256·switch + 1 to activate or + 2 to
 * deactivate in the script table 0-0:10.0.103.255), its special days (0-1:11.0.3.255), and which switches are
 * HAN-connected (HCALCS, by EUI, 0-0:94.44.0.21..25), as the RTDS ECS46c vectors carry them.
 */
import type { Element } from '@xmldom/xmldom';
import { dlms, obis, type DlmsData } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';

const { Sequence, checkAttributes, readUnsigned, readStringEnum, readEui } = bodyKit;
const { StructureError } = bodyKit;

export interface DateSpec { year?: number; month?: number; day?: number; dayOfWeek?: number }

export interface SwitchingTime {
  switch: number;
  activate: boolean;
  /** special day indices (1-20) it applies on */
  specialDays: number[];
  /** 0 Monday … 6 Sunday */
  days: number[];
  /** seconds after midnight UTC */
  time: number;
  start: DateSpec;
  end: DateSpec;
}

export interface AlcCalendar {
  schedule: SwitchingTime[];
  specialDays: { index: number; date: DateSpec }[];
  /** switch index → HCALCS EUI (upper-case hex), or null for an ALCS */
  switches: { index: number; hcalcs: string | null }[];
}

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export function indexOf(e: Element, path: string, max: number, attribute = 'index'): number {
  checkAttributes(e, path, [attribute]);
  const i = Number(e.getAttribute(attribute));
  if (!Number.isInteger(i) || i < 1 || i > max) throw new StructureError(`${path}/@${attribute}: '${e.getAttribute(attribute)}' is not 1-${max}`);
  return i;
}

export function readTime(item: Element, path: string): number {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec((item.textContent ?? '').trim());
  if (!m) throw new StructureError(`${path}: '${item.textContent}' is not an xs:time`);
  let s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (m[4] && m[4] !== 'Z') s -= (m[4].startsWith('-') ? -1 : 1) * (Number(m[4].slice(1, 3)) * 3600 + Number(m[4].slice(4, 6)) * 60);
  return ((s % 86400) + 86400) % 86400;
}

/** sr:Date: Year, Month, DayOfMonth, DayOfWeek, each Specified… or NonSpecified…. */
export function readDateSpec(item: Element, path: string): DateSpec {
  const s = new Sequence(item, path);
  const out: DateSpec = {};
  const part = (name: string, specified: string, max: number, key: keyof DateSpec) => {
    const p = `${path}/sr:${name}`;
    const q = new Sequence(s.required(name), p);
    const v = q.optional(specified);
    if (v) out[key] = readUnsigned(v, `${p}/sr:${specified}`, max, specified);
    else q.required(`Non${specified}`);
    q.end();
  };
  part('Year', 'SpecifiedYear', 9999, 'year');
  part('Month', 'SpecifiedMonth', 12, 'month');
  part('DayOfMonth', 'SpecifiedDayOfMonth', 31, 'day');
  part('DayOfWeek', 'SpecifiedDayOfWeek', 7, 'dayOfWeek');
  s.end();
  return out;
}

/** An optional sr:DaysOfWeekApplicability: 0 Monday … 6 Sunday. */
export function readDays(q: InstanceType<typeof Sequence>, p: string): number[] {
  const dow = q.optional('DaysOfWeekApplicability');
  if (!dow) return [];
  return new Sequence(dow, `${p}/sr:DaysOfWeekApplicability`).repeated('DayOfWeekApplicability', 0, 7).map((d, j) => {
    const dp = `${p}/sr:DaysOfWeekApplicability/sr:DayOfWeekApplicability[${j + 1}]`;
    const r = new Sequence(d, dp);
    const day = readStringEnum(r.required('DayOfWeekID'), `${dp}/sr:DayOfWeekID`, DAYS, 'DayOfWeekID');
    r.end();
    return DAYS.indexOf(day as (typeof DAYS)[number]);
  });
}

/** sr:ScheduleDatesAndTime: the switch time and the dates it applies between. */
export function readPeriodAndTime(item: Element, tp: string): { time: number; start: DateSpec; end: DateSpec } {
  const t = new Sequence(item, tp);
  const time = readTime(t.required('SwitchTime'), `${tp}/sr:SwitchTime`);
  const start = readDateSpec(t.required('StartDate'), `${tp}/sr:StartDate`);
  const end = readDateSpec(t.required('EndDate'), `${tp}/sr:EndDate`);
  t.end();
  return { time, start, end };
}

export function readAlcCalendar(s: InstanceType<typeof Sequence>, path: string): AlcCalendar {
  const schedule = s.repeated('ALCSHCALCSConnectionSchedule', 1, 48).map((e, i): SwitchingTime => {
    const p = `${path}/sr:ALCSHCALCSConnectionSchedule[${i + 1}]`;
    const q = new Sequence(e, p);
    const sw = q.required('ActivateDeactivateSwitch');
    const swIndex = indexOf(sw, `${p}/sr:ActivateDeactivateSwitch`, 5);
    const c = new Sequence(sw, `${p}/sr:ActivateDeactivateSwitch`);
    const activate = c.optional('ActivateSwitch') !== undefined;
    if (!activate) c.required('DeactivateSwitch');
    c.end();
    const specialDays = q.repeated('SpecialDaysApplicability', 0, 20).map((d, j) => indexOf(d, `${p}/sr:SpecialDaysApplicability[${j + 1}]`, 20));
    const days = readDays(q, p);
    const when = readPeriodAndTime(q.required('ALCSScheduleDatesAndTime'), `${p}/sr:ALCSScheduleDatesAndTime`);
    q.end();
    return { switch: swIndex, activate, specialDays, days, ...when };
  });
  const sp = `${path}/sr:ALCSHCALCSSpecialDays`;
  const specialDays = new Sequence(s.required('ALCSHCALCSSpecialDays'), sp).repeated('ALCSHCALCSSpecialDay', 0, 20)
    .map((d, i) => ({ index: indexOf(d, `${sp}/sr:ALCSHCALCSSpecialDay[${i + 1}]`, 20), date: readDateSpec(d, `${sp}/sr:ALCSHCALCSSpecialDay[${i + 1}]`) }));
  const switches = s.repeated('SwitchTypeAndId', 0, 5).map((e, i) => {
    const p = `${path}/sr:SwitchTypeAndId[${i + 1}]`;
    const index = indexOf(e, p, 5);
    const q = new Sequence(e, p);
    const h = q.optional('HCALCS');
    const hcalcs = h ? readEui(h, `${p}/sr:HCALCS`) : (q.required('ALCS'), null);
    q.end();
    return { index, hcalcs };
  });
  return { schedule, specialDays, switches };
}

const dateOctets = (d: DateSpec) => Buffer.from([(d.year ?? 0xffff) >> 8, (d.year ?? 0xffff) & 0xff, d.month ?? 0xff, d.day ?? 0xff, d.dayOfWeek ?? 0xff]);

function bits(n: number, set: readonly number[]): DlmsData {
  const b = Buffer.alloc(Math.ceil(n / 8));
  for (const i of set) if (i < n) b[i >> 3]! |= 0x80 >> (i & 7);
  return dlms.bits(n, b);
}

/** One entry of the calendar: the script it runs, at what time, on which days and special days, between which dates. */
export interface CalendarEntry { script: number; time: number; days: number[]; specialDays: number[]; start: DateSpec; end: DateSpec }

/** The special days (0-1:11.0.3.255) and the schedule (0-1:12.0.2.255) of a calendar. */
export function calendarSets(specialDays: AlcCalendar['specialDays'], entries: readonly CalendarEntry[]): [number, string, number, DlmsData][] {
  const count = specialDays.length;
  return [
    [11, '00010B0003FF', 2, dlms.array(specialDays.map((d) => dlms.structure(dlms.longUnsigned(d.index), dlms.octets(dateOctets(d.date)), dlms.unsigned(d.index))))],
    [10, '00010C0002FF', 2, dlms.array(entries.map((e, i) => dlms.structure(
      dlms.longUnsigned(i + 1), dlms.boolean(true), dlms.octets(obis('0-0:10.0.103.255')), dlms.longUnsigned(e.script),
      dlms.octets(Buffer.from([Math.floor(e.time / 3600), Math.floor(e.time / 60) % 60, e.time % 60, 0])), dlms.longUnsigned(0xffff),
      bits(7, e.days), bits(count, e.specialDays.map((x) => x - 1)), dlms.octets(dateOctets(e.start)), dlms.octets(dateOctets(e.end)),
    )))],
  ];
}

/** The sets of a calendar: HCALCS EUIs of the switches named, the special days, the schedule. */
export function alcCalendarSets(c: AlcCalendar): [number, string, number, DlmsData][] {
  const out: [number, string, number, DlmsData][] = c.switches.map((s) => [1, `00005E2C00${(0x14 + s.index).toString(16).toUpperCase()}`, 2, dlms.octets(s.hcalcs ?? '0000000000000000')]);
  return [...out, ...calendarSets(c.specialDays, c.schedule.map((e) => ({ ...e, script: 256 * e.switch + (e.activate ? 1 : 2) })))];
}

// ---------------------------------------------------------------- writing (examples, scenarios, the console)

const pad2 = (n: number) => String(n).padStart(2, '0');
export const timeText = (s: number): string => `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}Z`;

function choice(specified: string, value: number | undefined, width = 0): string {
  return value === undefined ? `<sr:Non${specified}/>` : `<sr:${specified}>${width ? String(value).padStart(width, '0') : value}</sr:${specified}>`;
}

export function writeDateSpec(d: DateSpec): string {
  return `<sr:Year>${choice('SpecifiedYear', d.year)}</sr:Year><sr:Month>${choice('SpecifiedMonth', d.month, 2)}</sr:Month>`
    + `<sr:DayOfMonth>${choice('SpecifiedDayOfMonth', d.day, 2)}</sr:DayOfMonth><sr:DayOfWeek>${choice('SpecifiedDayOfWeek', d.dayOfWeek)}</sr:DayOfWeek>`;
}

export function writeDays(days: readonly number[]): string {
  if (days.length === 0) return '';
  return `<sr:DaysOfWeekApplicability>${days.map((d) => `<sr:DayOfWeekApplicability><sr:DayOfWeekID>${DAYS[d]}</sr:DayOfWeekID></sr:DayOfWeekApplicability>`).join('')}</sr:DaysOfWeekApplicability>`;
}

export function writePeriodAndTime(element: string, e: { time: number; start: DateSpec; end: DateSpec }): string {
  return `<sr:${element}><sr:SwitchTime>${timeText(e.time)}</sr:SwitchTime><sr:StartDate>${writeDateSpec(e.start)}</sr:StartDate><sr:EndDate>${writeDateSpec(e.end)}</sr:EndDate></sr:${element}>`;
}

export function writeAlcCalendar(c: AlcCalendar): string {
  const schedule = c.schedule.map((e) => `<sr:ALCSHCALCSConnectionSchedule><sr:ActivateDeactivateSwitch index="${e.switch}">${e.activate ? '<sr:ActivateSwitch/>' : '<sr:DeactivateSwitch/>'}</sr:ActivateDeactivateSwitch>`
    + e.specialDays.map((i) => `<sr:SpecialDaysApplicability index="${i}"/>`).join('') + writeDays(e.days)
    + writePeriodAndTime('ALCSScheduleDatesAndTime', e) + '</sr:ALCSHCALCSConnectionSchedule>').join('');
  const special = `<sr:ALCSHCALCSSpecialDays>${c.specialDays.map((d) => `<sr:ALCSHCALCSSpecialDay index="${d.index}">${writeDateSpec(d.date)}</sr:ALCSHCALCSSpecialDay>`).join('')}</sr:ALCSHCALCSSpecialDays>`;
  const switches = c.switches.map((s) => `<sr:SwitchTypeAndId index="${s.index}">${s.hcalcs ? `<sr:HCALCS>${s.hcalcs.match(/../g)!.join('-')}</sr:HCALCS>` : '<sr:ALCS/>'}</sr:SwitchTypeAndId>`).join('');
  return schedule + special + switches;
}
