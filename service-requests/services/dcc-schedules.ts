/**
 * DCC schedules (DUIS 5.1-5.3): what a schedule is (the CreateSchedule body), when its occurrences fall, and
 * the read request each occurrence stands for. The DCC keeps schedules in its own table (migration 13) and,
 * as the simulated clock passes an occurrence, sends the scheduled read on the User's behalf and delivers the
 * device's response as a DSPScheduledMessage (src/dcc/dcc.ts, runDueSchedules).
 */
import type { Element } from '@xmldom/xmldom';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, type RequestBody } from '../duis/index.ts';

const { Sequence, StructureError, checkAttributes, displayName, el, readEui, readInteger, readStringEnum, textEl, writeEui } = bodyKit;

export const FREQUENCIES = ['Daily', 'Weekly', 'Monthly', 'Quarterly', 'Half-Yearly', 'Yearly'] as const;
export type ScheduleFrequency = (typeof FREQUENCIES)[number];

/** The reads a schedule may make: the XSD's choice element (DSP + the read's body element). */
const LOG_READS = [
  'RetrieveImportDailyReadLog', 'RetrieveExportDailyReadLog', 'ReadActiveImportProfileData', 'ReadReactiveImportProfileData',
  'ReadExportProfileData', 'ReadNetworkData', 'ReadPrepaymentDailyReadLog', 'RetrieveDailyConsumptionLog',
] as const;
const PLAIN_READS = [
  'ReadMaximumDemandImportRegisters', 'ReadMaximumDemandExportRegisters', 'ReadLoadLimitData', 'ReadActivePowerImport', 'ReadInstantaneousExportRegisters',
] as const;

/** A log read's period relative to the occurrence's day: whole days back (≤ 0) and a UTC time of day. */
export interface LogPeriodOffset {
  startDateOffset: number;
  startTime: string;
  endDateOffset: number;
  endTime: string;
}

export interface CreateScheduleBody {
  kind: 'CreateSchedule';
  frequency: ScheduleFrequency;
  /** YYYY-MM-DD */
  startDate: string;
  endDate?: string;
  /** HH:MM:SS (UTC) the reads go at; default midnight */
  executionStartTime?: string;
  kaCertificate?: Buffer;
  serviceReference: string;
  serviceReferenceVariant: string;
  deviceId: Eui;
  /** the read's body element (without DSP) and, for a log, its period */
  read: { element: string; period?: LogPeriodOffset };
}

// ---------------------------------------------------------------- xs:date and xs:time

const DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function zoneMs(z: string | undefined): number {
  if (!z || z === 'Z') return 0;
  const sign = z[0] === '-' ? -1 : 1;
  return sign * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6))) * 60_000;
}

function readDate(e: Element, path: string): string {
  const t = (e.textContent ?? '').trim();
  const m = DATE.exec(t);
  if (!m || Number.isNaN(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)) || +m[2]! < 1 || +m[2]! > 12 || +m[3]! < 1 || +m[3]! > 31) {
    throw new StructureError(`${path}: '${t}' is not an xs:date`);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** xs:time, normalised to UTC 'HH:MM:SS'. */
function readTime(e: Element, path: string): string {
  const t = (e.textContent ?? '').trim();
  const m = TIME.exec(t);
  if (!m || +m[1]! > 23 || +m[2]! > 59 || +m[3]! > 59) throw new StructureError(`${path}: '${t}' is not an xs:time`);
  const ms = (((+m[1]! * 60 + +m[2]!) * 60 + +m[3]!) * 1000 - zoneMs(m[5]) + 86_400_000) % 86_400_000;
  return new Date(ms).toISOString().slice(11, 19);
}

const timeMs = (t: string): number => {
  const [h, m, s] = t.split(':').map(Number);
  return ((h! * 60 + m!) * 60 + s!) * 1000;
};

const dateMs = (d: string): number => Date.parse(`${d}T00:00:00Z`);

// ---------------------------------------------------------------- the body

export const createScheduleBody = {
  element: 'CreateSchedule' as const,
  read(item: Element, path: string, ctx: { certificate(el: Element, path: string): Buffer }): CreateScheduleBody {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const frequency = readStringEnum(s.required('ScheduleFrequency'), `${path}/sr:ScheduleFrequency`, FREQUENCIES, 'ScheduleFrequency') as ScheduleFrequency;
    const startDate = readDate(s.required('ScheduleStartDate'), `${path}/sr:ScheduleStartDate`);
    const end = s.optional('ScheduleEndDate');
    const time = s.optional('ScheduleExecutionStartTime');
    const cert = s.optional('KAPublicSecurityCredential');
    const serviceReference = (s.required('DSPScheduledServiceReference').textContent ?? '').trim();
    const serviceReferenceVariant = (s.required('DSPScheduledServiceReferenceVariant').textContent ?? '').trim();
    const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
    const choice = s.peek();
    const element = choice?.localName?.startsWith('DSP') ? choice.localName.slice(3) : undefined;
    if (!choice || !element || ![...LOG_READS, ...PLAIN_READS].includes(element as never)) {
      throw new StructureError(`${path}: expected the scheduled read (sr:DSPRetrieveImportDailyReadLog …), found ${choice ? displayName(choice) : 'nothing'}`);
    }
    s.take();
    s.end();
    const p = `${path}/sr:${choice.localName}`;
    checkAttributes(choice, p);
    const body: CreateScheduleBody = { kind: 'CreateSchedule', frequency, startDate, serviceReference, serviceReferenceVariant, deviceId, read: { element } };
    const rs = new Sequence(choice, p);
    if ((LOG_READS as readonly string[]).includes(element)) {
      const offset = (name: string) => Number(readInteger(rs.required(name), `${p}/sr:${name}`, -400n, 0n, 'logPeriodOffset'));
      const startDateOffset = offset('StartDateOffset');
      const startTime = readTime(rs.required('StartTime'), `${p}/sr:StartTime`);
      const endDateOffset = offset('EndDateOffset');
      const endTime = readTime(rs.required('EndTime'), `${p}/sr:EndTime`);
      body.read.period = { startDateOffset, startTime, endDateOffset, endTime };
    }
    rs.end();
    if (end) body.endDate = readDate(end, `${path}/sr:ScheduleEndDate`);
    if (time) body.executionStartTime = readTime(time, `${path}/sr:ScheduleExecutionStartTime`);
    if (cert) body.kaCertificate = ctx.certificate(cert, `${path}/sr:KAPublicSecurityCredential`);
    return body;
  },
  write: (b: CreateScheduleBody): string => scheduleDetailsXml(b),
};

/** The DSPSchedule children (the request body, and a schedule's DSPScheduleDetails in 5.2's answer). */
export function scheduleDetailsXml(b: CreateScheduleBody): string {
  const p = b.read.period;
  const read = p
    ? textEl('StartDateOffset', String(p.startDateOffset)) + textEl('StartTime', `${p.startTime}Z`) + textEl('EndDateOffset', String(p.endDateOffset)) + textEl('EndTime', `${p.endTime}Z`)
    : '';
  return textEl('ScheduleFrequency', b.frequency) + textEl('ScheduleStartDate', b.startDate) +
    (b.endDate ? textEl('ScheduleEndDate', b.endDate) : '') +
    (b.executionStartTime ? textEl('ScheduleExecutionStartTime', `${b.executionStartTime}Z`) : '') +
    (b.kaCertificate ? textEl('KAPublicSecurityCredential', Buffer.from(b.kaCertificate).toString('base64')) : '') +
    textEl('DSPScheduledServiceReference', b.serviceReference) + textEl('DSPScheduledServiceReferenceVariant', b.serviceReferenceVariant) +
    textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) + el(`DSP${b.read.element}`, read);
}

// ---------------------------------------------------------------- kept as JSON

export function scheduleToJson(b: CreateScheduleBody): string {
  return JSON.stringify({ ...b, kaCertificate: b.kaCertificate?.toString('base64') });
}

export function scheduleFromJson(json: string): CreateScheduleBody {
  const o = JSON.parse(json) as CreateScheduleBody & { kaCertificate?: string };
  const { kaCertificate, ...rest } = o;
  return kaCertificate ? { ...rest, kaCertificate: Buffer.from(kaCertificate, 'base64') } : rest;
}

// ---------------------------------------------------------------- occurrences

const MONTHS: Partial<Record<ScheduleFrequency, number>> = { Monthly: 1, Quarterly: 3, 'Half-Yearly': 6, Yearly: 12 };

/** The n-th occurrence (n = 0: the first) of a schedule, UTC. */
function occurrence(b: CreateScheduleBody, n: number): Date {
  const start = new Date(dateMs(b.startDate));
  const months = MONTHS[b.frequency];
  const day = months
    ? Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + n * months, start.getUTCDate())
    : start.getTime() + n * (b.frequency === 'Weekly' ? 7 : 1) * 86_400_000;
  return new Date(day + timeMs(b.executionStartTime ?? '00:00:00'));
}

/** The first occurrence after `after` (or at it, when `inclusive`), or undefined when the schedule has ended. */
export function nextOccurrence(details: string, after: Date, inclusive = false): Date | undefined {
  const b = scheduleFromJson(details);
  const end = b.endDate ? dateMs(b.endDate) + 86_400_000 : Infinity;
  for (let n = 0; n < 100_000; n++) {
    const t = occurrence(b, n);
    if (t.getTime() >= end) return undefined;
    if (inclusive ? t >= after : t > after) return t;
  }
  return undefined;
}

/** The read an occurrence makes: the scheduled service and its body (a log read's period from the offsets). */
export function scheduledRead(details: string, at: Date): { serviceReference: string; serviceReferenceVariant: string; deviceId: Eui; body: RequestBody } {
  const b = scheduleFromJson(details);
  const day = Math.floor(at.getTime() / 86_400_000) * 86_400_000;
  const p = b.read.period;
  const body = p
    ? { kind: b.read.element, start: new Date(day + p.startDateOffset * 86_400_000 + timeMs(p.startTime)), end: new Date(day + p.endDateOffset * 86_400_000 + timeMs(p.endTime)) }
    : { kind: b.read.element };
  return { serviceReference: b.serviceReference, serviceReferenceVariant: b.serviceReferenceVariant, deviceId: b.deviceId, body };
}

export function describeSchedule(b: CreateScheduleBody): { label: string; value: string }[] {
  return [
    { label: 'Schedule', value: `${b.frequency} from ${b.startDate}${b.endDate ? ` to ${b.endDate}` : ''}${b.executionStartTime ? ` at ${b.executionStartTime}Z` : ''}` },
    { label: 'Scheduled service', value: `${b.serviceReferenceVariant} ${b.read.element}` },
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
  ];
}
