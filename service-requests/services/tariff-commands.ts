/**
 * The GBCS of tariffs and balances (DUIS section 1), shared by its modules: the ESME's activity calendars,
 * special days, block thresholds, charges and payment-mode objects (DLMS, catalogue.md §3.1), and the GSME's
 * Calendar, Price and Prepayment cluster commands (GBZ, §3.2). A future-dated request carries its execution
 * time inside the payload as the objects' activation time (§2.8): DLMS "NOW" / a date-time / "NEVER" to cancel,
 * ZCL 0 / UTC seconds / all ones.
 */
import {
  ZclCluster, dlms, encodeAccessRequest, encodeDlmsDateTime, encodeGbz, invokeIdFor, obis, zigbeeTime,
  type AccessSpec, type DlmsData, type GbzComponent,
} from '../../devices/index.ts';
import type {
  Currency, DatePattern, ElecDayProfile, ElecPricePrimary, ElecSwitchingTable, GasPrice, GasTariffElements, PaymentModeBody, PriceSecondary, SpecialDay, TimeOfDay,
} from './tariff-bodies.ts';

/** When the request asks the device to act: now, at a time, or never (a cancellation of what it holds). */
export type Activation = { kind: 'now' } | { kind: 'at'; at: Date } | { kind: 'never' };

/** DUIS cancels a future-dated request with a date in the year 3000 or later (templates: 3000-12-31). */
export function activationOf(executionDateTime: Date | undefined): Activation {
  if (!executionDateTime) return { kind: 'now' };
  if (executionDateTime.getUTCFullYear() >= 3000) return { kind: 'never' };
  return { kind: 'at', at: executionDateTime };
}

// ---------------------------------------------------------------- DLMS (ESME)

const DLMS_NOW = Buffer.from('0000000000000000008000ff', 'hex');
const DLMS_NEVER = Buffer.from('ffffffffffffffffff8000ff', 'hex');

function activationTime(a: Activation): DlmsData {
  return dlms.octets(a.kind === 'now' ? DLMS_NOW : a.kind === 'never' ? DLMS_NEVER : encodeDlmsDateTime(a.at));
}

export const TARIFF_SCRIPT_TABLE = obis('0-0:10.0.100.255');

/** The ESME objects of one element's tariff (catalogue.md §3.1): passive calendar, special days and charges. */
export const ELEMENT_OBJECTS = {
  primary: {
    calendar: obis('0-0:13.0.0.255'),
    specialDays: obis('0-1:11.0.0.255'),
    specialDaysActivation: obis('0-0:94.44.128.29'),
    priceMatrix: obis('0-0:19.20.0.255'),
    /** script selector offset of a TOU action (block actions are 100 + n) */
    touScript: 0,
  },
  secondary: {
    calendar: obis('0-0:13.0.1.255'),
    specialDays: obis('0-1:11.0.1.255'),
    specialDaysActivation: obis('0-0:94.44.128.30'),
    priceMatrix: obis('0-0:19.20.5.255'),
    touScript: 200,
  },
} as const;
export const STANDING_CHARGE = obis('0-0:19.20.4.255');
export const CURRENCY = obis('0-0:94.44.2.0');
export const THRESHOLD_MATRIX_ACTIVATION = obis('0-0:63.1.1.255');
/** block thresholds of TOU threshold set n (1-8), passive: 0-0:16.1.(10+n).255 */
export const passiveThresholds = (n: number) => obis(`0-0:16.1.${10 + n}.255`);
export const PAYMENT_MODE_PASSIVE = obis('0-1:19.0.0.255');
export const DISABLEMENT_THRESHOLD = obis('0-0:94.44.128.22');
export const METER_BALANCE = obis('0-0:19.10.0.255');
export const EMERGENCY_CREDIT = obis('0-0:19.10.1.255');
export const ACCUMULATED_DEBT = obis('0-0:19.10.2.255');
/** the charges a payment mode collects: consumption (primary, secondary) and the standing charge */
const TIME_DEBT_1 = obis('0-0:19.20.1.255');
const TIME_DEBT_2 = obis('0-0:19.20.2.255');
const PAYMENT_DEBT = obis('0-0:19.20.3.255');

const set = (classId: number, o: string, id: number): AccessSpec => ({ kind: 'set', classId, obis: o, id });
const action = (classId: number, o: string, id: number): AccessSpec => ({ kind: 'action', classId, obis: o, id });

function access(counter: bigint, items: [AccessSpec, DlmsData][]): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: items.map((x) => x[0]), data: items.map((x) => x[1]) });
}

/** A DLMS date-time (12 octets) of a date pattern at midnight: wildcards are 0xFF (year 0xFFFF). */
function seasonStart(d: DatePattern): Buffer {
  const b = Buffer.from('ffffffffff000000008000ff', 'hex');
  if (d.year !== undefined) b.writeUInt16BE(d.year, 0);
  if (d.month !== undefined) b[2] = d.month;
  b[3] = dlmsDay(d.dayOfMonth);
  if (d.dayOfWeek !== undefined) b[4] = d.dayOfWeek;
  return b;
}

/** DLMS day of month: 0xFE last, 0xFD second last, 0xFF not specified. */
function dlmsDay(d: DatePattern['dayOfMonth']): number {
  return d === undefined ? 0xff : d === 'last' ? 0xfe : d === 'secondLast' ? 0xfd : d;
}

/** A DLMS date (5 octets). */
function dlmsDate(d: DatePattern): Buffer {
  const b = Buffer.from('ffffffffff', 'hex');
  if (d.year !== undefined) b.writeUInt16BE(d.year, 0);
  if (d.month !== undefined) b[2] = d.month;
  b[3] = dlmsDay(d.dayOfMonth);
  if (d.dayOfWeek !== undefined) b[4] = d.dayOfWeek;
  return b;
}

function dlmsTime(t: TimeOfDay): Buffer {
  return Buffer.from([t.hour, t.minute, t.second, t.hundredths]);
}

function calendarSets(o: string, table: ElecSwitchingTable, touScript: number): [AccessSpec, DlmsData][] {
  const seasons = dlms.array(table.seasons.map((s) => dlms.structure(dlms.octets(Buffer.from(s.name, 'latin1')), dlms.octets(seasonStart(s.start)), dlms.octets(Buffer.from([s.weekName])))));
  const weeks = dlms.array(table.weekProfiles.map((w) => dlms.structure(dlms.octets(Buffer.from([w.weekName])), ...w.days.map((d) => dlms.unsigned(d)))));
  const script = (a: ElecDayProfile['schedule'][number]['action']) => ('tou' in a ? touScript + a.tou : 100 + a.block);
  const days = dlms.array(table.dayProfiles.map((d) => dlms.structure(dlms.unsigned(d.dayName), dlms.array(d.schedule.map((x) =>
    dlms.structure(dlms.octets(dlmsTime(x.start)), dlms.octets(Buffer.from(TARIFF_SCRIPT_TABLE, 'hex')), dlms.longUnsigned(script(x.action))))))));
  return [[set(20, o, 7), seasons], [set(20, o, 8), weeks], [set(20, o, 9), days]];
}

function specialDays(days: SpecialDay[]): DlmsData {
  return dlms.array(days.map((d, i) => dlms.structure(dlms.longUnsigned(i + 1), dlms.octets(dlmsDate(d.date)), dlms.unsigned(d.dayName))));
}

/** class 113 unit charge: {scaling {commodity scale, price scale}, commodity reference, charge table} */
function unitCharge(commodityScale: number, priceScale: number, commodity: [number, string, number], table: [Buffer, number][]): DlmsData {
  return dlms.structure(
    dlms.structure(dlms.integer(commodityScale), dlms.integer(priceScale)),
    dlms.structure(dlms.longUnsigned(commodity[0]), dlms.octets(commodity[1]), dlms.integer(commodity[2])),
    dlms.array(table.map(([index, charge]) => dlms.structure(dlms.octets(index), dlms.long(charge)))),
  );
}

function standingCharge(p: ElecPricePrimary): DlmsData {
  return unitCharge(0, p.standingChargeScale, [0, '000000000000', 0], [[Buffer.alloc(0), p.standingCharge]]);
}

/**
 * The primary price matrix: 48 TOU prices (index 0x01-0x30), then the block prices of the 8 TOU threshold sets
 * (index 0xA1-0xA8 block 1, 0xB1-0xB8 block 2, 0xC1.. block 3, 0xD1.. block 4); prices not given are 0.
 */
function primaryPriceMatrix(p: ElecPricePrimary): DlmsData {
  const table: [Buffer, number][] = [];
  for (let t = 1; t <= 48; t++) table.push([Buffer.from([t]), p.touPrices.find((x) => x.index === t)?.value ?? 0]);
  for (let b = 1; b <= 4; b++) {
    for (let s = 1; s <= 8; s++) table.push([Buffer.from([0xa0 + 0x10 * (b - 1) + s]), p.blockPrices.find((x) => x.index === s)?.prices.find((x) => x.index === b)?.value ?? 0]);
  }
  // consumption charged per kWh of the active import register 1-0:1.8.0.255 (class 3, value)
  return unitCharge(3, p.priceScale, [3, obis('1-0:1.8.0.255'), 2], table);
}

function secondaryPriceMatrix(p: PriceSecondary): DlmsData {
  const table: [Buffer, number][] = [];
  for (let t = 1; t <= 4; t++) table.push([Buffer.from([t]), p.prices.find((x) => x.index === t)?.value ?? 0]);
  // the secondary element's import register 1-20:1.8.0.255
  return unitCharge(3, p.priceScale, [3, obis('1-20:1.8.0.255'), 2], table);
}

function priceSets(p: ElecPricePrimary): [AccessSpec, DlmsData][] {
  return [[set(113, STANDING_CHARGE, 6), standingCharge(p)], [set(113, ELEMENT_OBJECTS.primary.priceMatrix, 6), primaryPriceMatrix(p)]];
}

/** ECS01a: the primary element's whole tariff, activated together. */
export function ecs01a(counter: bigint, currency: Currency, t: { switching: ElecSwitchingTable; specialDays: SpecialDay[]; thresholds: number[][] }, p: ElecPricePrimary, a: Activation): Buffer {
  const o = ELEMENT_OBJECTS.primary;
  const when = activationTime(a);
  return access(counter, [
    ...calendarSets(o.calendar, t.switching, o.touScript),
    [set(11, o.specialDays, 2), specialDays(t.specialDays)],
    ...t.thresholds.map((v, i): [AccessSpec, DlmsData] => [set(21, passiveThresholds(i + 1), 2), dlms.array(v.map((x) => dlms.dlu(x)))]),
    [set(9000, CURRENCY, 4), dlms.boolean(currency === 'GBP')],
    ...priceSets(p),
    [set(20, o.calendar, 10), when],
    [set(9000, o.specialDaysActivation, 6), when],
    [set(9000, CURRENCY, 6), when],
    [set(113, STANDING_CHARGE, 7), when],
    [set(113, o.priceMatrix, 7), when],
    [set(9000, THRESHOLD_MATRIX_ACTIVATION, 6), when],
  ]);
}

/** ECS01b: the primary element's standing charge and prices. */
export function ecs01b(counter: bigint, p: ElecPricePrimary, a: Activation): Buffer {
  const when = activationTime(a);
  return access(counter, [...priceSets(p), [set(113, STANDING_CHARGE, 7), when], [set(113, ELEMENT_OBJECTS.primary.priceMatrix, 7), when]]);
}

/** ECS01c: the secondary element's prices, calendar and special days. */
export function ecs01c(counter: bigint, switching: ElecSwitchingTable, days: SpecialDay[], p: PriceSecondary, a: Activation): Buffer {
  const o = ELEMENT_OBJECTS.secondary;
  const when = activationTime(a);
  return access(counter, [
    [set(113, o.priceMatrix, 6), secondaryPriceMatrix(p)],
    ...calendarSets(o.calendar, switching, o.touScript),
    [set(11, o.specialDays, 2), specialDays(days)],
    [set(20, o.calendar, 10), when],
    [set(113, o.priceMatrix, 7), when],
    [set(9000, o.specialDaysActivation, 6), when],
  ]);
}

/** ECS01d: the secondary element's prices. */
export function ecs01d(counter: bigint, p: PriceSecondary, a: Activation): Buffer {
  const o = ELEMENT_OBJECTS.secondary;
  return access(counter, [[set(113, o.priceMatrix, 6), secondaryPriceMatrix(p)], [set(113, o.priceMatrix, 7), activationTime(a)]]);
}

/** ECS04a: add `value` to the meter balance. */
export function ecs04a(counter: bigint, value: number): Buffer {
  return access(counter, [[action(112, METER_BALANCE, 1), dlms.dl(value)]]);
}

/** ECS04b: set meter balance, emergency credit and accumulated debt to zero. */
export function ecs04b(counter: bigint): Buffer {
  return access(counter, [METER_BALANCE, EMERGENCY_CREDIT, ACCUMULATED_DEBT].map((o): [AccessSpec, DlmsData] => [action(112, o, 2), dlms.dl(0)]));
}

/** ECS05: run the tariff script that resets the tariff block counter matrix. */
export function ecs05(counter: bigint): Buffer {
  return access(counter, [[action(9, TARIFF_SCRIPT_TABLE, 1), dlms.longUnsigned(99)]]);
}

/** One credit-charge configuration entry: which credit pays which charge, and the collection bits. */
function collect(credit: string, charge: string, bits: number): DlmsData {
  return dlms.structure(dlms.octets(credit), dlms.octets(charge), dlms.bits(3, Buffer.from([bits])));
}

const ALL_TIMES = 0xe0;
/** time-based debts are not collected while supply is disabled */
const NOT_WHEN_DISABLED = 0xc0;

/**
 * ECS02 (credit) and ECS03 (prepayment): the passive payment mode, the credit-charge configuration (as RTDS
 * gives it for a single-element ESME: the DCC cannot tell a twin element from the request) and its activation.
 */
export function ecs02or03(counter: bigint, mode: PaymentModeBody['mode'], a: Activation, twinElement = false): Buffer {
  const when = activationTime(a);
  const [balance, emergency, debt] = [METER_BALANCE, EMERGENCY_CREDIT, ACCUMULATED_DEBT];
  const [consumption, standing] = [ELEMENT_OBJECTS.primary.priceMatrix, STANDING_CHARGE];
  // A twin-element ESME's secondary element is charged from the same credit (RTDS TWIN vectors: the last rows).
  const secondary = ELEMENT_OBJECTS.secondary.priceMatrix;
  if (mode.kind === 'credit') {
    return access(counter, [
      [set(111, PAYMENT_MODE_PASSIVE, 2), dlms.structure(dlms.enum(1), dlms.enum(1))],
      [set(111, PAYMENT_MODE_PASSIVE, 11), dlms.array([
        collect(balance, consumption, ALL_TIMES), collect(balance, standing, ALL_TIMES), ...(twinElement ? [collect(balance, secondary, ALL_TIMES)] : []),
      ])],
      [set(111, PAYMENT_MODE_PASSIVE, 13), when],
    ]);
  }
  const timeDebt = mode.suspendDebtDisabled ? NOT_WHEN_DISABLED : ALL_TIMES;
  const config = [
    collect(balance, consumption, ALL_TIMES), collect(balance, standing, ALL_TIMES), collect(balance, TIME_DEBT_1, timeDebt), collect(balance, TIME_DEBT_2, timeDebt), collect(balance, PAYMENT_DEBT, ALL_TIMES),
    collect(emergency, PAYMENT_DEBT, ALL_TIMES), collect(emergency, consumption, ALL_TIMES), collect(emergency, standing, ALL_TIMES), collect(emergency, TIME_DEBT_1, timeDebt), collect(emergency, TIME_DEBT_2, timeDebt),
    // RTDS: the accumulated-debt rows come with SuspendDebtEmergency
    ...(mode.suspendDebtEmergency ? [collect(debt, standing, ALL_TIMES), collect(debt, TIME_DEBT_1, ALL_TIMES), collect(debt, TIME_DEBT_2, ALL_TIMES)] : []),
    ...(twinElement ? [collect(balance, secondary, ALL_TIMES), collect(emergency, secondary, ALL_TIMES)] : []),
  ];
  return access(counter, [
    [set(111, PAYMENT_MODE_PASSIVE, 2), dlms.structure(dlms.enum(2), dlms.enum(1))],
    [set(9000, DISABLEMENT_THRESHOLD, 4), dlms.dl(mode.disablementThreshold)],
    [set(111, PAYMENT_MODE_PASSIVE, 11), dlms.array(config)],
    [set(9000, DISABLEMENT_THRESHOLD, 6), when],
    [set(111, PAYMENT_MODE_PASSIVE, 13), when],
  ]);
}

// ---------------------------------------------------------------- GBZ (GSME)

const u8 = (n: number) => Buffer.from([n]);
function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; }
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; }
function i32(n: number): Buffer { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; }
function u24(n: number): Buffer { const b = Buffer.alloc(3); b.writeUIntLE(n, 0, 3); return b; }
function u48(n: number): Buffer { const b = Buffer.alloc(6); b.writeUIntLE(n, 0, 6); return b; }

/**
 * A ZCL start time: 0 now, UTC seconds, or "never". RTDS cancels the Publish Tariff Information with
 * 0xFFFFFFFF and the other publishes with 0xFFFFFFFE.
 */
function zclStart(a: Activation, never = 0xfffffffe): Buffer {
  return u32(a.kind === 'now' ? 0 : a.kind === 'never' ? never : zigbeeTime(a.at));
}

/** ZigBee date: year - 1900, month, day, day of week (0xFF not specified). */
function zclDate(d: DatePattern): Buffer {
  const day = d.dayOfMonth;
  return Buffer.from([d.year === undefined ? 0xff : d.year - 1900, d.month ?? 0xff, typeof day === 'number' ? day : 0xff, d.dayOfWeek ?? 0xff]);
}

/** GBZ components carry the sequence number of their position (RTDS). */
function gbz(components: Omit<GbzComponent, 'sequence'>[]): Buffer {
  return encodeGbz({ components: components.map((c, i) => ({ ...c, sequence: i })) });
}

const PROVIDER = u32(0);
const ISSUER_TARIFF_ID = u32(1);
const CURRENCY_CODE: Record<Currency, number> = { GBP: 826, ECB: 978 };
/** cluster-specific, server to client: the supplier publishes to the meter */
const PUBLISH = 0x09;

function gasTariffInformation(event: Buffer, p: GasPrice, thresholdsInUse: number, a: Activation): Buffer {
  const block = p.tariff.kind === 'block';
  return Buffer.concat([
    PROVIDER, event, ISSUER_TARIFF_ID, zclStart(a, 0xffffffff),
    u8(block ? 0x10 : 0x00), // tariff type: block or TOU
    u8(0), // tariff label: empty
    u8(block ? 0 : p.tariff.prices.length), // price tiers in use
    u8(block ? thresholdsInUse : 0),
    u8(0x00), // unit of measure: kWh
    u16(CURRENCY_CODE[p.currency]),
    u8(0x50), // price trailing digit 5 (prices in 10^-5 of the currency unit)
    u32(p.standingCharge),
    u8(0xff), // tier block mode: not used
    u24(1), u24(1000), // block threshold multiplier and divisor (thresholds in Wh)
  ]);
}

function gasPriceMatrix(event: Buffer, p: GasPrice, a: Activation): Buffer {
  const block = p.tariff.kind === 'block';
  // block prices: tier 0, block index - 1; TOU prices: tier index, no block
  const entries = p.tariff.prices.map((x) => Buffer.concat([u8(block ? x.index - 1 : x.index), u32(x.value)]));
  return Buffer.concat([PROVIDER, event, zclStart(a), ISSUER_TARIFF_ID, u8(0), u8(1), u8(block ? 0x00 : 0x01), ...entries]);
}

function priceComponents(event: Buffer, p: GasPrice, thresholds: number[] | undefined, a: Activation): Omit<GbzComponent, 'sequence'>[] {
  const info = { control: 0, clusterId: ZclCluster.price, frameControl: PUBLISH, commandId: 0x04, payload: gasTariffInformation(event, p, thresholds?.length ?? (p.tariff.kind === 'block' ? p.tariff.numberOfThresholds : 0), a) };
  const matrix = { control: 0, clusterId: ZclCluster.price, frameControl: PUBLISH, commandId: 0x05, payload: gasPriceMatrix(event, p, a) };
  if (!thresholds) return [info, matrix];
  const list = Buffer.concat([PROVIDER, event, zclStart(a), ISSUER_TARIFF_ID, u8(0), u8(1), u8(0x01), u8(thresholds.length), ...thresholds.map(u48)]);
  return [info, { control: 0, clusterId: ZclCluster.price, frameControl: PUBLISH, commandId: 0x06, payload: list }, matrix];
}

/** GCS01a: the GSME's calendar, special days, tariff information, block thresholds and prices. */
export function gcs01a(now: Date, t: GasTariffElements, p: GasPrice, a: Activation): Buffer {
  // The issuer event id (and the calendar's issuer id) is the time of issue, as RTDS.
  const event = u32(zigbeeTime(now));
  const head = Buffer.concat([PROVIDER, event, event]);
  const sw = t.switching;
  const cal = (commandId: number, payload: Buffer) => ({ control: 0, clusterId: ZclCluster.calendar, frameControl: PUBLISH, commandId, payload });
  const components = [
    cal(0x00, Buffer.concat([head, zclStart(a), u8(0), u8(0), u8(0), u8(sw.seasons.length), u8(sw.weekProfiles.length), u8(sw.dayProfiles.length)])),
    // one switch a day at midnight: to the TOU tier, or tier 0 for block pricing
    ...sw.dayProfiles.map((d) => cal(0x01, Buffer.concat([head, u8(d.dayName), u8(1), u8(0), u8(1), u8(0), u16(0), u8(d.action === 'block' ? 0 : d.action.tou)]))),
    ...sw.weekProfiles.map((w) => cal(0x02, Buffer.concat([head, u8(w.weekName), ...w.days.map(u8)]))),
    cal(0x03, Buffer.concat([head, u8(0), u8(1), ...sw.seasons.map((s) => Buffer.concat([zclDate(s.start), u8(s.weekName)]))])),
    cal(0x04, Buffer.concat([head, zclStart(a), u8(0), u8(t.specialDays.length), u8(0), u8(1), ...t.specialDays.map((d) => Buffer.concat([zclDate(d.date), u8(d.dayName)]))])),
    ...priceComponents(event, p, p.tariff.kind === 'block' ? t.thresholds.map((x) => x.value) : undefined, a),
  ];
  return gbz(components);
}

/** GCS01b: the GSME's tariff information and prices. */
export function gcs01b(now: Date, p: GasPrice, a: Activation): Buffer {
  return gbz(priceComponents(u32(zigbeeTime(now)), p, undefined, a));
}

/** GCS40a-d: Credit Adjustment, now; `type` 0 adjust / 1 reset (prepayment mode), 3 adjust / 2 reset (credit mode). */
export function gcs40(now: Date, type: 0 | 1 | 2 | 3, value: number): Buffer {
  return gbz([{ control: 0, clusterId: ZclCluster.prepayment, frameControl: 0x01, commandId: 0x05, payload: Buffer.concat([u32(zigbeeTime(now)), u32(0), u8(type), i32(value)]) }]);
}

/**
 * GCS02 (credit) and GCS03 (prepayment): Change Payment Mode with the proposed payment control configuration.
 * RTDS: credit 0x0C94 with no cut-off; prepayment 0x0097, plus 0x0400 when debt is suspended while disabled
 * and 0x0800 unless it is suspended in emergency credit, with the disablement threshold as the cut-off value.
 */
export function gcs02or03(now: Date, mode: PaymentModeBody['mode'], a: Activation): Buffer {
  const [config, cutOff] = mode.kind === 'credit'
    ? [0x0c94, -1]
    : [0x0097 | (mode.suspendDebtDisabled ? 0x0400 : 0) | (mode.suspendDebtEmergency ? 0 : 0x0800), mode.disablementThreshold];
  const payload = Buffer.concat([PROVIDER, u32(zigbeeTime(now)), zclStart(a, 0xffffffff), u16(config), i32(cutOff)]);
  return gbz([{ control: 0, clusterId: ZclCluster.prepayment, frameControl: 0x01, commandId: 0x06, payload }]);
}
