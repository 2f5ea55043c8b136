/**
 * The GBCS of prepayment (DUIS 2.x), shared by its service modules: the ESME's token gateway, credit and charge
 * objects (DLMS, catalogue.md §3.1) and the GSME's Prepayment cluster commands (ZCL, §3.2). Payloads are as the
 * RTDS vectors carry them, counters and times of issue aside.
 */
import { ZclCluster, dlms, encodeAccessRequest, encodeDlmsDateTime, encodeGbz, invokeIdFor, obis, zigbeeTime, type AccessSpec, type DlmsData, type GbzComponent } from '../../devices/index.ts';

export const TOKEN_GATEWAY = obis('0-0:19.40.0.255');
export const EMERGENCY_CREDIT = obis('0-0:19.10.1.255');
/** charges: time-based debt 1 and 2, payment-based debt */
export const TIME_DEBT_1 = obis('0-0:19.20.1.255');
export const TIME_DEBT_2 = obis('0-0:19.20.2.255');
export const PAYMENT_DEBT = obis('0-0:19.20.3.255');

/** A Prepayment-cluster command component (client to server). */
export function prepaymentCommand(commandId: number, payload: Buffer, sequence = 0): GbzComponent {
  return { control: 0, clusterId: ZclCluster.prepayment, frameControl: 0x01, sequence, commandId, payload };
}

/** CS01a: the token gateway's enter method with the UTRN's 20 digits. */
export function enterUtrn(counter: bigint, utrn: string): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{ kind: 'action', classId: 115, obis: TOKEN_GATEWAY, id: 1 }],
    data: [dlms.octets(Buffer.from(utrn, 'latin1'))],
  });
}

/** CS01b: Consumer Top Up {originating device 0, UTRN as an octet string}. */
export function consumerTopUp(utrn: string): Buffer {
  const digits = Buffer.from(utrn, 'latin1');
  return encodeGbz({ components: [prepaymentCommand(0x04, Buffer.concat([Buffer.from([0x00, digits.length]), digits]))] });
}

/** ECS09: invoke the emergency credit (class 112 method 3). */
export function invokeEmergencyCredit(counter: bigint): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: [{ kind: 'action', classId: 112, obis: EMERGENCY_CREDIT, id: 3 }], data: [dlms.integer(0)] });
}

/** GCS06: Select Available Emergency Credit {issue time 0, originating device 0}. */
export function selectEmergencyCredit(): Buffer {
  return encodeGbz({ components: [prepaymentCommand(0x00, Buffer.alloc(5))] });
}

export type RecoveryPeriod = 'HOURLY' | 'DAILY';

export interface ElecRecovery { rate: number; priceScale: number; period: RecoveryPeriod }
export interface GasRecovery { rate: number; period: RecoveryPeriod }

export interface DebtUpdate {
  timeDebt1: number;
  timeDebt2: number;
  paymentDebt: number;
  /** the share of each payment recovered (0-10000) */
  recoveryPerPayment: number;
}

const PERIOD_SECONDS: Record<RecoveryPeriod, number> = { HOURLY: 3600, DAILY: 86400 };

/** A charge's passive unit charge: {scaling {commodity 0, price scale}, commodity reference none, [{index '', rate}]}. */
function unitCharge(r: ElecRecovery): DlmsData {
  return dlms.structure(
    dlms.structure(dlms.integer(0), dlms.integer(r.priceScale)),
    dlms.structure(dlms.longUnsigned(0), dlms.octets(Buffer.alloc(6)), dlms.integer(0)),
    dlms.array([dlms.structure(dlms.octets(Buffer.alloc(0)), dlms.long(r.rate))]),
  );
}

/**
 * ECS07: the two time-based debts' recovery rates and periods (activated at once), the payment-based debt's
 * recovery share, then each debt increased by its amount (method 4, update_total_amount_remaining).
 */
export function updateElecDebt(counter: bigint, d: DebtUpdate, r1: ElecRecovery, r2: ElecRecovery): Buffer {
  const specs: AccessSpec[] = [];
  const data: DlmsData[] = [];
  const add = (kind: 'set' | 'action', o: string, id: number, v: DlmsData) => {
    specs.push({ kind, classId: 113, obis: o, id });
    data.push(v);
  };
  add('set', TIME_DEBT_1, 6, unitCharge(r1));
  add('set', TIME_DEBT_2, 6, unitCharge(r2));
  add('set', PAYMENT_DEBT, 13, dlms.longUnsigned(d.recoveryPerPayment));
  add('set', TIME_DEBT_1, 8, dlms.dlu(PERIOD_SECONDS[r1.period]));
  add('set', TIME_DEBT_2, 8, dlms.dlu(PERIOD_SECONDS[r2.period]));
  add('action', TIME_DEBT_1, 2, dlms.integer(0));
  add('action', TIME_DEBT_2, 2, dlms.integer(0));
  add('action', PAYMENT_DEBT, 4, dlms.dl(d.paymentDebt));
  add('action', TIME_DEBT_1, 4, dlms.dl(d.timeDebt1));
  add('action', TIME_DEBT_2, 4, dlms.dl(d.timeDebt2));
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs, data });
}

/**
 * Change Debt (Prepayment 0x02): issuer event id ‖ label (empty) ‖ amount ‖ recovery method ‖ amount type ‖
 * start time (now) ‖ collection time ‖ frequency ‖ recovery amount ‖ balance percentage.
 */
function changeDebt(sequence: number, issuerEvent: number, amount: number, method: number, amountType: number, frequency: number, recovery: number, percentage: number): GbzComponent {
  const p = Buffer.alloc(24);
  p.writeUInt32LE(issuerEvent, 0);
  p[4] = 0; // debt label: empty octet string
  p.writeInt32LE(amount, 5);
  p[9] = method;
  p[10] = amountType;
  // start time 0 (now), collection time 0
  p[17] = frequency;
  p.writeUInt32LE(recovery >>> 0, 18);
  p.writeUInt16LE(percentage, 22);
  return prepaymentCommand(0x02, p, sequence);
}

/** ZCL debt recovery frequency: 0 per hour, 1 per day. */
const FREQUENCY: Record<RecoveryPeriod, number> = { HOURLY: 0, DAILY: 1 };

/**
 * GCS04: three Change Debt commands, each an increment (amount types 1, 3, 5: debts 1, 2, 3 incremental): the two
 * time-based debts at their rates, the payment-based one at its share of each payment (percentage method).
 * The issuer event id is the time of issue, as RTDS.
 */
export function updateGasDebt(d: DebtUpdate, r1: GasRecovery, r2: GasRecovery, now: Date): Buffer {
  const event = zigbeeTime(now);
  return encodeGbz({
    components: [
      changeDebt(0, event, d.timeDebt1, 0, 1, FREQUENCY[r1.period], r1.rate, 0),
      changeDebt(1, event, d.timeDebt2, 0, 3, FREQUENCY[r2.period], r2.rate, 0),
      changeDebt(2, event, d.paymentDebt, 1, 5, FREQUENCY.DAILY, 0, d.recoveryPerPayment),
    ],
  });
}

// ---------------------------------------------------------------- 2.1 prepayment configuration

/** A calendar date whose parts may be left unspecified (undefined: the wildcard). */
export interface WildDate { year?: number; month?: number; day?: number; dayOfWeek?: number }

/** A time of day. */
export interface TimeOfDay { hour: number; minute: number; second: number; hundredths: number }

export type NonDisablementAction = 'START' | 'STOP';
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface PrepayThresholds {
  debtRecoveryRateCap: number;
  emergencyCreditLimit: number;
  emergencyCreditThreshold: number;
  lowCreditThreshold: number;
  maxMeterBalance: number;
  maxCreditThreshold: number;
}

export interface ElecNonDisablementCalendar {
  specialDays: { index: number; date: WildDate }[];
  schedule: { script: NonDisablementAction; specialDays: number[]; days: Weekday[]; time: TimeOfDay; start: WildDate; end: WildDate }[];
}

export interface GasNonDisablementCalendar {
  dayProfiles: { name: number; actions: { time: TimeOfDay; action: NonDisablementAction }[] }[];
  weekProfiles: { name: number; days: number[] }[];
  seasons: { start: WildDate; week: number }[];
  specialDays: { date: WildDate; day: number }[];
}

/** When a future-datable command takes effect: now, at a time, or never (it cancels what is pending). */
export type Activation = { kind: 'now' } | { kind: 'at'; at: Date } | { kind: 'never' };

/** DUIS: an ExecutionDateTime in the year 3000 or later cancels (catalogue.md §2.8). */
export function activationOf(exec: Date | undefined): Activation {
  if (!exec) return { kind: 'now' };
  return exec.getUTCFullYear() >= 3000 ? { kind: 'never' } : { kind: 'at', at: exec };
}

const DLMS_NOW = Buffer.from('0000000000000000008000ff', 'hex');
const DLMS_NEVER = Buffer.from('ffffffffffffffffff8000ff', 'hex');

function dlmsActivation(a: Activation): Buffer {
  return a.kind === 'now' ? DLMS_NOW : a.kind === 'never' ? DLMS_NEVER : encodeDlmsDateTime(a.at);
}

/** A DLMS date: year (FFFF unspecified) ‖ month ‖ day ‖ day of week (FF unspecified). */
function dlmsDate(d: WildDate): Buffer {
  const b = Buffer.from([0xff, 0xff, d.month ?? 0xff, d.day ?? 0xff, d.dayOfWeek ?? 0xff]);
  if (d.year !== undefined) b.writeUInt16BE(d.year, 0);
  return b;
}

function bits(count: number, on: (i: number) => boolean): DlmsData {
  const bytes = Buffer.alloc(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) if (on(i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return dlms.bits(count, bytes);
}

/** The prepayment settings' class-9000 objects (catalogue.md §3.1, 2.1), each activated through its attribute 6. */
export const PREPAY_SETTING = {
  maxMeterBalance: obis('0-0:94.44.2.20'),
  maxCreditThreshold: obis('0-0:94.44.2.10'),
  debtRecoveryRateCap: obis('0-0:94.44.128.12'),
  debtRecoveryRateCapPeriod: obis('0-0:94.44.128.13'),
  lowCreditThreshold: obis('0-0:94.44.128.9'),
  emergencyCreditLimit: obis('0-0:94.44.128.2'),
  emergencyCreditThreshold: obis('0-0:94.44.128.3'),
  /** the non-disablement special days' and schedule's activation objects */
  specialDaysActivation: obis('0-0:94.44.128.31'),
  calendarActivation: obis('0-0:94.44.128.28'),
} as const;
export const NON_DISABLEMENT_SPECIAL_DAYS = obis('0-1:11.0.2.255');
export const NON_DISABLEMENT_SCHEDULE = obis('0-1:12.0.1.255');
const SUPPLY_SCRIPT_TABLE = obis('0-0:10.0.106.255');
/** the supply script table's non-disablement scripts */
const NON_DISABLEMENT_SCRIPT: Record<NonDisablementAction, number> = { START: 32, STOP: 33 };
/** the debt recovery rate cap applies per week */
const RATE_CAP_PERIOD_SECONDS = 604_800;

/**
 * ECS08a (ECS08: the maximum meter balance in attribute 2 rather than 4): the non-disablement special days and
 * schedule, the thresholds, then every setting's activation time.
 */
export function updatePrepayConfigElec(counter: bigint, t: PrepayThresholds, cal: ElecNonDisablementCalendar, a: Activation, ecs08 = false): Buffer {
  const specs: AccessSpec[] = [];
  const data: DlmsData[] = [];
  const set = (classId: number, o: string, id: number, v: DlmsData) => {
    specs.push({ kind: 'set', classId, obis: o, id });
    data.push(v);
  };
  const at = dlms.octets(dlmsActivation(a));
  const s = PREPAY_SETTING;
  set(11, NON_DISABLEMENT_SPECIAL_DAYS, 2, dlms.array(cal.specialDays.map((d) => dlms.structure(dlms.longUnsigned(d.index), dlms.octets(dlmsDate(d.date)), dlms.unsigned(d.index)))));
  set(9000, s.maxMeterBalance, ecs08 ? 2 : 4, dlms.dl(t.maxMeterBalance));
  set(9000, s.maxCreditThreshold, 4, dlms.dl(t.maxCreditThreshold));
  set(10, NON_DISABLEMENT_SCHEDULE, 2, dlms.array(cal.schedule.map((e, i) => dlms.structure(
    dlms.longUnsigned(i + 1),
    dlms.boolean(true),
    dlms.octets(SUPPLY_SCRIPT_TABLE),
    dlms.longUnsigned(NON_DISABLEMENT_SCRIPT[e.script]),
    dlms.octets(Buffer.from([e.time.hour, e.time.minute, e.time.second, e.time.hundredths])),
    dlms.longUnsigned(0xffff),
    bits(7, (d) => e.days.includes(WEEKDAYS[d]!)),
    bits(Math.max(5, ...e.specialDays), (d) => e.specialDays.includes(d + 1)),
    dlms.octets(dlmsDate(e.start)),
    dlms.octets(dlmsDate(e.end)),
  ))));
  set(9000, s.debtRecoveryRateCap, 4, dlms.longUnsigned(t.debtRecoveryRateCap));
  set(9000, s.debtRecoveryRateCapPeriod, 4, dlms.dl(RATE_CAP_PERIOD_SECONDS));
  set(9000, s.lowCreditThreshold, 4, dlms.dl(t.lowCreditThreshold));
  set(9000, s.emergencyCreditLimit, 4, dlms.dl(t.emergencyCreditLimit));
  set(9000, s.specialDaysActivation, 6, at);
  set(9000, s.emergencyCreditThreshold, 4, dlms.dl(t.emergencyCreditThreshold));
  for (const o of [s.maxMeterBalance, s.maxCreditThreshold, s.debtRecoveryRateCap, s.debtRecoveryRateCapPeriod, s.lowCreditThreshold, s.emergencyCreditLimit, s.emergencyCreditThreshold, s.calendarActivation]) {
    set(9000, o, 6, at);
  }
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs, data });
}

/** ZCL: the implementation time of a command (0 now, FFFFFFFF never) and of a calendar (FFFFFFFE never, as RTDS). */
function zclActivation(a: Activation, never = 0xffffffff): number {
  return a.kind === 'now' ? 0 : a.kind === 'never' ? never : zigbeeTime(a.at);
}

/** ZCL date: year - 1900 ‖ month ‖ day ‖ day of week, FF unspecified. */
function zclDate(d: WildDate): number[] {
  return [d.year === undefined ? 0xff : d.year - 1900, d.month ?? 0xff, d.day ?? 0xff, d.dayOfWeek ?? 0xff];
}

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
/** the calendar type of a friendly-credit (non-disablement) calendar */
const FRIENDLY_CREDIT_CALENDAR = 0x03;

/**
 * GCS05: Emergency Credit Setup, Set Overall Debt Cap, Set Low Credit Warning Level (its time in a from-date-time
 * header), Set Maximum Credit Limit, then the friendly-credit calendar as Publish Calendar, Day Profiles, Week
 * Profiles, Seasons and Special Days. Issuer event and calendar ids are the time of issue, as RTDS.
 */
export function updatePrepayConfigGas(t: PrepayThresholds, cal: GasNonDisablementCalendar, a: Activation, now: Date): Buffer {
  const event = u32(zigbeeTime(now));
  const when = u32(zclActivation(a));
  const calendarStart = u32(zclActivation(a, 0xfffffffe));
  const provider = u32(0);
  let seq = 0;
  const prepay = (commandId: number, payload: Buffer, extra: Partial<GbzComponent> = {}): GbzComponent => ({ ...prepaymentCommand(commandId, payload, seq++), ...extra });
  const publish = (commandId: number, payload: Buffer): GbzComponent => ({ control: 0, clusterId: ZclCluster.calendar, frameControl: 0x09, sequence: seq++, commandId, payload });
  const head = Buffer.concat([provider, event, event]);
  const fromDateTime = Buffer.alloc(4);
  fromDateTime.writeUInt32BE(zclActivation(a));
  const components: GbzComponent[] = [
    prepay(0x03, Buffer.concat([event, when, u32(t.emergencyCreditLimit), u32(t.emergencyCreditThreshold)])),
    prepay(0x0c, Buffer.concat([provider, event, when, u32(t.debtRecoveryRateCap)])),
    prepay(0x09, u32(t.lowCreditThreshold), { control: 0x10, fromDateTime }),
    prepay(0x0b, Buffer.concat([provider, event, when, u32(t.maxMeterBalance), u32(t.maxCreditThreshold)])),
    publish(0x00, Buffer.concat([head, calendarStart, Buffer.from([FRIENDLY_CREDIT_CALENDAR, 0x00, 0x00, cal.seasons.length, cal.weekProfiles.length, cal.dayProfiles.length])])),
    ...cal.dayProfiles.map((d) => publish(0x01, Buffer.concat([
      head, Buffer.from([d.name, d.actions.length, 0x00, 0x01, FRIENDLY_CREDIT_CALENDAR]),
      ...d.actions.map((x) => Buffer.concat([u16(x.time.hour * 60 + x.time.minute), Buffer.from([x.action === 'START' ? 1 : 0])])),
    ]))),
    ...cal.weekProfiles.map((w) => publish(0x02, Buffer.concat([head, Buffer.from([w.name, ...w.days])]))),
    publish(0x03, Buffer.concat([head, Buffer.from([0x00, 0x01]), ...cal.seasons.map((s) => Buffer.from([...zclDate(s.start), s.week]))])),
    publish(0x04, Buffer.concat([
      head, calendarStart, Buffer.from([FRIENDLY_CREDIT_CALENDAR, cal.specialDays.length, 0x00, 0x01]),
      ...cal.specialDays.map((d) => Buffer.from([...zclDate(d.date), d.day])),
    ])),
  ];
  return encodeGbz({ components });
}
