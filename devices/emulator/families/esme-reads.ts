/**
 * ESME reads (DUIS section 4, catalogue.md §1.4 and §3.1): the meter's registers, profiles and logs as the DLMS
 * COSEM objects RTDS reads them from, every live value computed from the meter model (devices/meter) at the
 * command's time, so that a meter read twice a day apart has moved on by that day's consumption.
 *
 * - Sensitive reads go through the class-30 "data protection" objects 0-0:43.2.n.255: method 1 reads the objects
 *   its parameter lists (a date range restricting a log) and returns them encrypted to the requester's KA key
 *   (catalogue.md §2.3).
 * - Profiles and logs are class-7 objects read with a date range (access selector 1, from/to in seconds since
 *   2000-01-01 UTC) and answered as compact arrays. A row is stamped with its capture time: a half-hour profile
 *   row at the end of its half hour, a daily row at the midnight that closes the day, both ends of the range
 *   included (as RTDS: a day's range gives 49 half-hour rows).
 * - Configuration the section-4 reads show but other families set (tariff, prepayment and load-limit settings)
 *   is not claimed here: what a command stored answers, and a meter nobody configured answers with the settings
 *   the RTDS ESME was delivered with (FACTORY, from the RTDS success responses).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { RemotePartyRole } from '../../../pki/index.ts';
import { encryptSensitive } from '../../gbcs/sensitive.ts';
import { encodeDlmsDateTime, decodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import {
  DataAccessResult, decodeDlmsData, dlms, encodeAccessResponse, encodeDlmsData, obis,
  type AccessSpec, type DlmsData, type TypeDescription,
} from '../../gbcs/dlms.ts';
import {
  dailyConsumptionLog, dailyReadLog, instantaneous, maximumDemand, meterModel, profileRows, registerAt,
  type MeterModel, type Quantity,
} from '../../meter/index.ts';
import type { CommandContext } from '../app-use-case.ts';
import { factsOf } from '../certificate-cache.ts';
import { objectKey, runAccess, type CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import { cosemObjects } from './index.ts';
import { dlmsUseCase, type UseCaseFamily } from './kit.ts';
import { clampInt32, creditFigures, creditFiguresAt, paymentDebtRecoveriesOf, topUpsOf, type CreditFigures } from './prepayment.ts';
import type { SupplySection } from './supply.ts';
import { activeTariffOf, tariffActionAt } from './tariffs.ts';

// ---------------------------------------------------------------- the living meter

/**
 * Where every ESME's registers start from zero: before the earliest period the RTDS read templates ask for
 * (March 2014), so that those reads find rows. A fixed instant keeps a never-commanded meter stateless.
 */
export const ESME_EPOCH = new Date(Date.UTC(2014, 0, 1));

/** When this ESME's load switch was open (nothing accrues then). */
const supplyOffOf = (ctx: CommandContext) =>
  ((ctx.app.supply as SupplySection | undefined)?.off ?? []).map((o) => (o.to ? { from: new Date(o.from), to: new Date(o.to) } : { from: new Date(o.from) }));

/**
 * The one door to live values: the meter model of this ESME with its supply history (nothing accrues while
 * the load switch is open, supply.ts).
 */
export function meterOf(ctx: CommandContext): MeterModel {
  return meterModel({
    eui: ctx.device.eui,
    fuel: 'electricity',
    epoch: ESME_EPOCH,
    supplyOff: supplyOffOf(ctx),
  });
}

/**
 * A twin-element ESME's secondary element (DUIS ESMEVariant B…): a second circuit behind the same meter, modelled
 * as an electrically heated household of its own (its premises keyed apart from the primary's, so its figures
 * differ but stay deterministic). It has no load switch of its own here: it is off when the primary is.
 */
export function secondaryMeterOf(ctx: CommandContext): MeterModel {
  return meterModel({
    eui: ctx.device.eui,
    fuel: 'electricity',
    epoch: ESME_EPOCH,
    premisesKey: `${ctx.device.eui} secondary element`,
    household: 'electricHeating',
    supplyOff: supplyOffOf(ctx),
  });
}

/** Whether this ESME was made with a secondary element (its reads then carry that element's registers). */
export const isTwinElement = (ctx: CommandContext): boolean => ctx.device.type === 'ESME' && (ctx.device.esmeVariant ?? '').startsWith('B');

/** A twin-element ESME's secondary element has 4 TOU registers (tariff scripts 201-204) and no blocks. */
const SECONDARY_TOU_REGISTERS = 4;

const HALF_HOUR = 1_800_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const Y2000 = Date.UTC(2000, 0, 1);

/** DLMS profile time stamps: double-long-unsigned seconds since 2000-01-01 UTC (catalogue.md §2.4). */
const stamp = (ms: number): DlmsData => dlms.dlu(Math.floor((ms - Y2000) / 1000));
const dlu = (n: number): DlmsData => dlms.dlu(Math.max(0, Math.min(0xffffffff, Math.round(n))));

/** DLMS units: 27 W, 30 Wh, 32 varh, 255 count. */
const WH = dlms.scalerUnit(0, 30);
const VARH = dlms.scalerUnit(0, 32);
const WATT = dlms.scalerUnit(0, 27);
const COUNT = dlms.scalerUnit(0, 255);

const register = (ctx: CommandContext, q: Quantity): number => registerAt(meterOf(ctx), q, ctx.now);

/**
 * The 48 TOU registers at `at` (a secondary element's 4): what the import register counted before the element's
 * tariff was activated (tariffs.ts) is in TOU register 1, and each half hour since in the register its day
 * profile switches to (a switch to block set n counts in TOU rate n, whose blocks blockValues splits). A meter
 * never given a tariff counts all in 1.
 */
function touValues(ctx: CommandContext, at: Date, element: 'primary' | 'secondary' = 'primary'): number[] {
  const m = element === 'primary' ? meterOf(ctx) : secondaryMeterOf(ctx);
  const total = registerAt(m, 'activeImport', at);
  const tou = new Array<number>(element === 'primary' ? 48 : SECONDARY_TOU_REGISTERS).fill(0);
  const t = activeTariffOf(ctx.app)?.[element];
  const from = t?.dayProfiles?.length ? Math.max(Date.parse(t.activatedAt), ESME_EPOCH.getTime()) : NaN;
  if (!t || !(from < at.getTime())) {
    tou[0] = total;
    return tou;
  }
  const registerOf = (slotStart: number): number => {
    const a = tariffActionAt(t, new Date(slotStart));
    if (a && 'block' in a && a.block >= 1 && a.block <= BLOCK_SETS && element === 'primary') return a.block;
    return a && 'tou' in a && a.tou >= 1 && a.tou <= tou.length ? a.tou : 1;
  };
  let counted = registerAt(m, 'activeImport', new Date(from));
  tou[0] = counted;
  for (const r of profileRows(m, 'activeImport', new Date(from), at)) {
    tou[registerOf(r.start.getTime())! - 1]! += r.value;
    counted += r.value;
  }
  // the half hour under way (and any part-slot at the activation) in the register in force now
  tou[registerOf(at.getTime() - 1) - 1]! += total - counted;
  return tou;
}

function touRegisters(values: number[], n: number): DlmsData {
  return dlms.array(Array.from({ length: n }, (_, i) => dlu(values[i] ?? 0)));
}

const BLOCK_SETS = 8;
const BLOCKS = 4;

/**
 * The TOU × block registers at `at`, [block 1-4][rate 1-8]: a rate's TOU register is in its block 1, except what
 * the rate's block set (a block-price switch of the primary tariff) counted since the tariff took effect, which is
 * in the block that set's counter was in: the set's thresholds, split exactly at one, counters restarting at a
 * 1.7 reset (tariffs.ts `blockCountersResetAt`). credit.ts prices the same half hours at the same blocks' prices.
 */
function blockValues(ctx: CommandContext, at: Date, tou: number[]): number[][] {
  const blocks = Array.from({ length: BLOCKS }, (_, k) => (k === 0 ? tou.slice(0, BLOCK_SETS) : new Array<number>(BLOCK_SETS).fill(0)));
  const tariff = activeTariffOf(ctx.app);
  const t = tariff?.primary;
  if (!t?.dayProfiles?.some((p) => p.switches.some((x) => 'block' in x.action))) return blocks;
  const from = Math.max(Date.parse(t.activatedAt), ESME_EPOCH.getTime());
  const end = at.getTime();
  if (!(from < end)) return blocks;
  const reset = Date.parse(tariff?.blockCountersResetAt ?? '');
  const counters = new Array<number>(BLOCK_SETS).fill(0);
  const count = (slotStart: number, wh: number) => {
    if (slotStart >= reset && slotStart - HALF_HOUR < reset) counters.fill(0);
    const a = tariffActionAt(t, new Date(slotStart));
    if (!a || !('block' in a) || a.block < 1 || a.block > BLOCK_SETS) return;
    const set = a.block - 1;
    const thresholds = t.blockThresholds?.[set] ?? [];
    blocks[0]![set]! -= wh;
    for (let k = 0, left = wh; left > 0; k++) {
      const room = k < Math.min(thresholds.length, BLOCKS - 1) ? Math.max(0, thresholds[k]! - counters[set]!) : Infinity;
      const part = Math.min(left, room);
      blocks[k]![set]! += part;
      counters[set]! += part;
      left -= part;
    }
  };
  const m = meterOf(ctx);
  const amount = (x: number, y: number) => registerAt(m, 'activeImport', new Date(y)) - registerAt(m, 'activeImport', new Date(x));
  // the part half hours at either end from the registers, as touValues counts them
  const first = Math.min(Math.ceil(from / HALF_HOUR) * HALF_HOUR, end);
  if (first > from) count(Math.floor(from / HALF_HOUR) * HALF_HOUR, amount(from, first));
  let counted = first;
  for (const r of profileRows(m, 'activeImport', new Date(first), at)) {
    count(r.start.getTime(), r.value);
    counted = r.end.getTime();
  }
  if (end > counted) count(Math.floor((end - 1) / HALF_HOUR) * HALF_HOUR, amount(counted, end));
  return blocks;
}

/** The TOU × block registers as the register rows carry them: one array of the 8 rates per block. */
function blockArrays(ctx: CommandContext, at: Date, tou: number[]): DlmsData[] {
  return blockValues(ctx, at, tou).map((b) => touRegisters(b, BLOCK_SETS));
}

/**
 * Meter balance, emergency credit balance, accumulated debt, payment-based debt, time-based debts 1 and 2, in
 * the device's currency units, as the tariffs and prepayment families keep them (prepayment.ts creditFigures, as
 * 4.18 reads the balance; the order within the structure is our reading of RTDS, which shows only the types).
 */
function prepayValues(f: CreditFigures): DlmsData[] {
  return [f.balance, f.emergencyCredit, f.accumulatedDebt, f.paymentDebt, f.timeDebt1, f.timeDebt2]
    .map((v) => dlms.dl(clampInt32(v)));
}

// ---------------------------------------------------------------- logs (class 7)

const DLU: TypeDescription = { type: 'double-long-unsigned' };
const DL: TypeDescription = { type: 'double-long' };
const arrayOf = (count: number): TypeDescription => ({ type: 'array', count, element: DLU });
const row = (...elements: TypeDescription[]): TypeDescription => ({ type: 'structure', elements });

const REGISTER_ROW = row(DLU, DLU, arrayOf(48), arrayOf(8), arrayOf(8), arrayOf(8), arrayOf(8));
/** A twin-element ESME's register row (RTDS TWIN vectors): the secondary element's total after the primary's, its 4 TOU registers after the 48. */
const TWIN_REGISTER_ROW = row(DLU, DLU, DLU, arrayOf(48), arrayOf(SECONDARY_TOU_REGISTERS), arrayOf(8), arrayOf(8), arrayOf(8), arrayOf(8));
const PREPAY_ROW = row(DLU, DL, DL, DL, DL, DL, DL);
const AMOUNT_ROW = row(DLU, DLU);

interface Log {
  obis: string;
  name: string;
  description: TypeDescription;
  /** a twin-element ESME's rows, when they carry the secondary element too (`rows` then gives them) */
  twinDescription?: TypeDescription;
  /** attribute 4, capture period (s); 0 for event-driven logs */
  period: number;
  /** the rows captured in [from, to] (ms, both included, to ≤ now) */
  rows(ctx: CommandContext, from: number, to: number): DlmsData[];
}

/** Capture times (multiples of `step`, after the epoch) in [from, to]. */
function captures(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.max(Math.ceil(from / step), Math.floor(ESME_EPOCH.getTime() / step) + 1) * step; t <= to; t += step) out.push(t);
  return out;
}

function halfHourProfile(q: Quantity, ...more: Quantity[]): Log['rows'] {
  return (ctx, from, to) => {
    const m = meterOf(ctx);
    // A row stamped t holds the half hour that ended at t.
    const cols = [q, ...more].map((x) => profileRows(m, x, new Date(from - HALF_HOUR), new Date(to)));
    return cols[0]!.map((r, i) => dlms.structure(stamp(r.end.getTime()), ...cols.map((c) => dlu(c[i]!.value))));
  };
}

function dailyAmounts(q: Quantity): Log['rows'] {
  return (ctx, from, to) =>
    dailyConsumptionLog(meterOf(ctx), q, new Date(from - DAY), new Date(to)).map((r) => dlms.structure(stamp(r.end.getTime()), dlu(r.value)));
}

function registerRows(ctx: CommandContext, times: number[]): DlmsData[] {
  const m = meterOf(ctx);
  const twin = isTwinElement(ctx) ? secondaryMeterOf(ctx) : undefined;
  return times.map((t) => {
    const tou = touValues(ctx, new Date(t));
    const total = dlu(registerAt(m, 'activeImport', new Date(t)));
    if (!twin) return dlms.structure(stamp(t), total, touRegisters(tou, 48), ...blockArrays(ctx, new Date(t), tou));
    const secondary = [dlu(registerAt(twin, 'activeImport', new Date(t))), touRegisters(touValues(ctx, new Date(t), 'secondary'), SECONDARY_TOU_REGISTERS)] as const;
    return dlms.structure(stamp(t), total, secondary[0], touRegisters(tou, 48), secondary[1], ...blockArrays(ctx, new Date(t), tou));
  });
}

/** The active import profile; a twin-element ESME's rows add the secondary element's half hour. */
const importProfile: Log['rows'] = (ctx, from, to) => {
  if (!isTwinElement(ctx)) return halfHourProfile('activeImport')(ctx, from, to);
  const cols = [meterOf(ctx), secondaryMeterOf(ctx)].map((m) => profileRows(m, 'activeImport', new Date(from - HALF_HOUR), new Date(to)));
  return cols[0]!.map((r, i) => dlms.structure(stamp(r.end.getTime()), dlu(r.value), dlu(cols[1]![i]!.value)));
};

/** A prepayment log's rows: each time with the money the meter had then. */
function prepayRows(ctx: CommandContext, times: number[]): DlmsData[] {
  return times.map((t) => dlms.structure(stamp(t), ...prepayValues(creditFiguresAt(ctx.app, new Date(t)))));
}

/** An event log's rows {time, amount}: each event in [from, to], oldest first. */
function amountRows(events: readonly { at: string; amount: number }[], from: number, to: number): DlmsData[] {
  return events.filter((e) => Date.parse(e.at) >= from && Date.parse(e.at) <= to).map((e) => dlms.structure(stamp(Date.parse(e.at)), dlu(e.amount)));
}

/** The first instant of each month (UTC) in [from, to], after the epoch: the default billing calendar bills monthly. */
function monthStarts(from: number, to: number): number[] {
  const out: number[] = [];
  const next = (t: number) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  };
  const d = new Date(from);
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (t < from) t = next(t);
  for (; t <= to; t = next(t)) if (t > ESME_EPOCH.getTime()) out.push(t);
  return out;
}

const LOGS: Log[] = [
  { obis: '0-0:99.1.0.255', name: 'active import profile', description: AMOUNT_ROW, twinDescription: row(DLU, DLU, DLU), period: 1800, rows: importProfile },
  { obis: '0-0:99.1.2.255', name: 'reactive import profile', description: AMOUNT_ROW, period: 1800, rows: halfHourProfile('reactiveImport') },
  { obis: '0-0:99.1.1.255', name: 'export profile', description: row(DLU, DLU, DLU), period: 1800, rows: halfHourProfile('activeExport', 'reactiveExport') },
  { obis: '0-0:99.1.3.255', name: 'daily consumption log', description: AMOUNT_ROW, period: 86400, rows: dailyAmounts('activeImport') },
  {
    obis: '0-0:98.1.9.255', name: 'import daily read log', description: REGISTER_ROW, twinDescription: TWIN_REGISTER_ROW, period: 86400,
    rows: (ctx, from, to) => registerRows(ctx, dailyReadLog(meterOf(ctx), new Date(from), new Date(to)).map((r) => r.at.getTime())),
  },
  {
    obis: '0-0:98.1.10.255', name: 'export daily read log', description: AMOUNT_ROW, period: 86400,
    rows: (ctx, from, to) => dailyReadLog(meterOf(ctx), new Date(from), new Date(to), { quantity: 'activeExport' }).map((r) => dlms.structure(stamp(r.at.getTime()), dlu(r.register))),
  },
  { obis: '0-0:98.1.8.255', name: 'prepayment daily read log', description: PREPAY_ROW, period: 86400, rows: (ctx, from, to) => prepayRows(ctx, captures(from, to, DAY)) },
  // Each payment-based debt payment (what a top-up recovered) and each prepayment credit (a top-up's UTRN value), at
  // the time the meter took the top-up: the top-ups it records (prepayment.ts), as the GSME's logs of them.
  { obis: '0-0:98.1.4.255', name: 'billing data log (payment-based debt payments)', description: AMOUNT_ROW, period: 0, rows: (ctx, from, to) => amountRows(paymentDebtRecoveriesOf(ctx.app), from, to) },
  { obis: '0-0:98.1.5.255', name: 'billing data log (prepayment credits)', description: AMOUNT_ROW, period: 0, rows: (ctx, from, to) => amountRows(topUpsOf(ctx.app), from, to) },
  // Billing calendar snapshots: monthly, on the 1st at midnight (the default billing calendar).
  { obis: '0-0:98.1.0.255', name: 'billing calendar triggered billing data log', description: REGISTER_ROW, twinDescription: TWIN_REGISTER_ROW, period: 0, rows: (ctx, from, to) => registerRows(ctx, monthStarts(from, to)) },
  { obis: '0-0:98.1.1.255', name: 'billing calendar triggered prepayment log', description: PREPAY_ROW, period: 0, rows: (ctx, from, to) => prepayRows(ctx, monthStarts(from, to)) },
  // Snapshots on a change of payment mode or tariff: none has happened on a meter that only reads.
  {
    obis: '0-0:98.1.2.255', name: 'change of mode / tariff triggered billing data log',
    description: row(DLU, DLU, arrayOf(48), arrayOf(8), arrayOf(8), arrayOf(8), arrayOf(8), DL, DL, DL, DL, DL, DL),
    twinDescription: row(DLU, DLU, DLU, arrayOf(48), arrayOf(SECONDARY_TOU_REGISTERS), arrayOf(8), arrayOf(8), arrayOf(8), arrayOf(8), DL, DL, DL, DL, DL, DL),
    period: 0, rows: () => [],
  },
  // Network data: the RMS voltage at the end of each hour, per phase.
  ...[32, 52, 72].map((c): Log => ({
    obis: `1-0:${c}.24.0.255`, name: `RMS voltage profile (phase ${(c - 12) / 20})`, description: AMOUNT_ROW, period: 3600,
    rows: (ctx, from, to) => {
      const m = meterOf(ctx);
      return captures(from, to, HOUR).map((t) => dlms.structure(stamp(t), dlu(instantaneous(m, new Date(t - 1)).voltageV)));
    },
  })),
];

/** The date range of a get-with-selection (selector 1: restricting object, from, to, columns). */
function rangeOf(spec: AccessSpec, now: Date): { from: number; to: number } {
  const p = spec.parameters;
  const at = (d: DlmsData | undefined): number | undefined => {
    if (d?.type === 'double-long-unsigned') return Y2000 + d.value * 1000;
    if ((d?.type === 'octet-string' || d?.type === 'date-time') && d.value.length === 12) return decodeDlmsDateTime(d.value).getTime();
    return undefined;
  };
  const from = p?.type === 'structure' ? at(p.items[1]) : undefined;
  const to = p?.type === 'structure' ? at(p.items[2]) : undefined;
  // A log holds nothing after the meter's present; a plain get of the buffer gives its last day.
  return { from: from ?? now.getTime() - DAY, to: Math.min(to ?? now.getTime(), now.getTime()) };
}

function logObject(log: Log): CosemObject {
  return {
    classId: 7,
    obis: obis(log.obis),
    name: log.name,
    get(attribute, ctx, spec) {
      if (attribute === 4) return dlms.dlu(log.period);
      if (attribute !== 2) return undefined;
      if (spec.kind === 'get-with-selection' && spec.selector !== 1) return { result: DataAccessResult.otherReason };
      const { from, to } = rangeOf(spec, ctx.now);
      const items = from <= to ? log.rows(ctx, from, to) : [];
      return { type: 'compact-array', description: (isTwinElement(ctx) && log.twinDescription) || log.description, items };
    },
  };
}

// ---------------------------------------------------------------- registers and instantaneous values

function data(obisText: string, name: string, value: (ctx: CommandContext) => DlmsData): CosemObject {
  return { classId: 1, obis: obis(obisText), name, get: (a, ctx) => (a === 2 ? value(ctx) : undefined) };
}

function energyRegister(obisText: string, name: string, q: Quantity, unit: DlmsData): CosemObject {
  return { classId: 3, obis: obis(obisText), name, get: (a, ctx) => (a === 2 ? dlu(register(ctx, q)) : a === 3 ? unit : undefined) };
}

function countRegister(obisText: string, name: string): CosemObject {
  // Voltage sags and swells: the model's supply voltage stays within the statutory limits, so the counts stay 0;
  // method 1 (reset, the 6.x configuration services) succeeds.
  return {
    classId: 3, obis: obis(obisText), name,
    get: (a) => (a === 2 ? dlms.dlu(0) : a === 3 ? COUNT : undefined),
    action: (m) => ({ result: m === 1 ? DataAccessResult.success : DataAccessResult.objectUnavailable }),
  };
}

/** The start of the current maximum-demand period: the first of the month (UTC), when the meter resets it. */
function demandPeriodStart(now: Date): number {
  return Math.max(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1), ESME_EPOCH.getTime());
}

function maximumDemandRegister(obisText: string, name: string, q: Quantity): CosemObject {
  return {
    classId: 4,
    obis: obis(obisText),
    name,
    get(a, ctx) {
      if (a === 3) return WATT;
      if (a !== 2 && a !== 5) return undefined;
      const md = maximumDemand(meterOf(ctx), q, new Date(demandPeriodStart(ctx.now)), ctx.now);
      if (a === 2) return dlu(md?.watts ?? 0);
      return dlms.octets(encodeDlmsDateTime(md ? md.end : new Date(demandPeriodStart(ctx.now))));
    },
  };
}

const periodStart = (ctx: CommandContext): DlmsData => dlms.octets(encodeDlmsDateTime(new Date(demandPeriodStart(ctx.now))));

const registers: CosemObject[] = [
  // a twin-element ESME adds its secondary element's import register (RTDS ECS17b TWIN)
  data('0-0:94.44.34.10', 'instantaneous import registers', (ctx) => dlms.structure(
    dlu(register(ctx, 'activeImport')), WH, dlu(register(ctx, 'reactiveImport')), VARH,
    ...(isTwinElement(ctx) ? [dlu(registerAt(secondaryMeterOf(ctx), 'activeImport', ctx.now))] : []),
  )),
  // a twin-element ESME adds its secondary element's 4 TOU registers (RTDS ECS17d TWIN)
  data('0-0:94.44.34.1', 'TOU registers matrix', (ctx) => dlms.structure(
    touRegisters(touValues(ctx, ctx.now), 48),
    ...(isTwinElement(ctx) ? [touRegisters(touValues(ctx, ctx.now, 'secondary'), SECONDARY_TOU_REGISTERS)] : []),
  )),
  // TOU rates with their blocks: without block thresholds all in block 1
  // [block 1-4][rate 1-8] flattened, then unused
  data('0-0:94.44.34.2', 'TOU with blocks registers matrix', (ctx) => dlms.structure(touRegisters(blockValues(ctx, ctx.now, touValues(ctx, ctx.now)).flat(), 64))),
  data('0-0:94.44.34.30', 'prepayment values', (ctx) => dlms.structure(...prepayValues(creditFigures(ctx.app)))),
  data('0-0:94.44.34.20', 'active power import', (ctx) => {
    const v = instantaneous(meterOf(ctx), ctx.now);
    return dlms.structure(dlu(v.activeImportW), WATT, dlu(v.activeExportW));
  }),
  energyRegister('1-0:2.8.0.255', 'active export register', 'activeExport', WH),
  energyRegister('1-0:4.8.0.255', 'reactive export register', 'reactiveExport', VARH),
  data('0-0:94.44.5.0', 'maximum demand import period start', periodStart),
  data('0-0:94.44.5.1', 'maximum demand import (configurable period) period start', periodStart),
  data('0-0:94.44.5.2', 'maximum demand export period start', periodStart),
  maximumDemandRegister('1-0:1.6.0.255', 'maximum demand active import', 'activeImport'),
  // The configurable time period covers the whole day until a command sets it, so both import demands agree.
  maximumDemandRegister('1-0:1.6.1.255', 'maximum demand active import (configurable period)', 'activeImport'),
  maximumDemandRegister('1-0:2.6.0.255', 'maximum demand active export', 'activeExport'),
  ...[32, 52, 72].flatMap((c) => [countRegister(`1-0:${c}.32.0.4`, `voltage sags (phase ${(c - 12) / 20})`), countRegister(`1-0:${c}.36.0.4`, `voltage swells (phase ${(c - 12) / 20})`)]),
];

// ---------------------------------------------------------------- data protection (class 30)

/** Security policy 2 (authenticated and encrypted), key info "agreed key" with parameter 02 (catalogue.md §2.3). */
function protectionParameters(counter: bigint, originator: string, recipient: string): DlmsData {
  const tid = Buffer.alloc(9);
  tid[0] = 0x04;
  tid.writeBigUInt64BE(counter, 1);
  return dlms.array([dlms.structure(dlms.enum(2), dlms.structure(
    dlms.octets(tid), dlms.octets(originator), dlms.octets(recipient), dlms.octets(Buffer.alloc(0)),
    dlms.structure(dlms.enum(2), dlms.structure(dlms.octets('02'), dlms.octets(Buffer.alloc(0)))),
  ))]);
}

/**
 * get_protected_attributes: reads each listed object (a log restricted by its date range) and answers the
 * values as one structure, encrypted to the requester's key-agreement key.
 */
function protectedRead(parameter: DlmsData, ctx: CommandContext): { result: number; data?: DlmsData } {
  const list = parameter.type === 'structure' ? parameter.items[0] : undefined;
  if (list?.type !== 'array') return { result: DataAccessResult.otherReason };
  const values: DlmsData[] = [];
  for (const entry of list.items) {
    const [cls, ln, attr, , restriction] = entry.type === 'structure' ? entry.items : [];
    if (cls?.type !== 'long-unsigned' || ln?.type !== 'octet-string' || attr?.type !== 'integer') return { result: DataAccessResult.otherReason };
    const obisHex = ln.value.toString('hex').toUpperCase();
    const object = cosemObjects().get(objectKey(cls.value, obisHex));
    const range = restriction?.type === 'structure' && restriction.items[0]?.type === 'enum' && restriction.items[0].value === 1 ? restriction.items[1] : undefined;
    const spec: AccessSpec = range?.type === 'structure'
      ? { kind: 'get-with-selection', classId: cls.value, obis: obisHex, id: attr.value, selector: 1, parameters: dlms.structure(dlms.null(), range.items[0]!, range.items[1]!, dlms.array([])) }
      : { kind: 'get', classId: cls.value, obis: obisHex, id: attr.value };
    const value = object?.get?.(attr.value, ctx, spec);
    if (!value || ('result' in value && !('type' in value))) return { result: DataAccessResult.objectUnavailable };
    values.push(value as DlmsData);
  }
  const { party, ka, counter } = sensitiveRecipient(ctx);
  const device = ctx.device.eui;
  const ciphered = encryptSensitive(encodeDlmsData(dlms.structure(...values)), ctx.creds.kaKey, ka, { device, party, counter });
  return { result: DataAccessResult.success, data: dlms.structure(protectionParameters(ctx.apdu.counter, device, ctx.apdu.originator), dlms.octets(ciphered)) };
}

/**
 * Who a sensitive read is for: its originator, or, when the ACB sends it on a User's behalf, the supplementary
 * remote party named in other-information, by the KA cell that holds that party's certificate, or by the
 * certificate that follows (URP) (catalogue.md §2.3).
 */
function sensitiveRecipient(ctx: CommandContext): { party: string; ka: KeyObject; counter: bigint } {
  const extra = ctx.apdu.otherInformationExtra;
  if (ctx.role === RemotePartyRole.AccessControlBroker && extra && extra.length > 16) {
    // URP: the requester's key is not on the device; its KA certificate comes after its EUI and counter. The
    // device encrypts to that key with a counter of its own, which the response carries (catalogue.md §2.2).
    let key: KeyObject;
    try {
      key = new X509Certificate(extra.subarray(16)).publicKey;
    } catch {
      return reject(RejectionAlert.integrityCheckFailed, 'the supplementary remote party\'s KA certificate in other-information does not parse');
    }
    const counter = ctx.nextOriginatorCounter();
    const own = Buffer.alloc(8);
    own.writeBigUInt64BE(counter);
    ctx.setResponseOtherInformation(Buffer.concat([extra.subarray(0, 16), own]));
    return { party: extra.subarray(0, 8).toString('hex').toUpperCase(), ka: key, counter };
  }
  if (ctx.role === RemotePartyRole.AccessControlBroker && extra && extra.length >= 8) {
    const srp = extra.subarray(0, 8).toString('hex').toUpperCase();
    for (const cell of ['supplierKA', 'networkOperatorKA'] as const) {
      const der = ctx.device.cells[cell];
      const facts = der ? factsOf(der) : undefined;
      if (facts?.subjectEui === srp) return { party: srp, ka: facts.publicKey, counter: ctx.apdu.counter };
    }
    return reject(RejectionAlert.noAuthority, `no KA cell holds the key of ${srp}, for whom the ACB asks a sensitive read`);
  }
  const ka = ctx.originatorKa ?? reject(RejectionAlert.noAuthority, 'the requester\'s KA cell is empty: the device cannot encrypt the sensitive read');
  return { party: ctx.apdu.originator, ka, counter: ctx.apdu.counter };
}

const protection: CosemObject[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({
  classId: 30,
  obis: obis(`0-0:43.2.${n}.255`),
  name: `data protection ${n}`,
  action: (method, parameter, ctx) => (method === 1 ? protectedRead(parameter, ctx) : { result: DataAccessResult.otherReason }),
}));

// ---------------------------------------------------------------- settings nobody set

/** 'class/OBIS/attribute' → A-XDR Data: the settings of the RTDS ESME, from its success responses. */
const FACTORY = new Map<string, string>([
  // 4.11.1_ECS24
  ['3/00005E2C0107/2', '0600000001'],
  ['3/00005E2C0107/3', '02020ffb16fe'],
  ['20/00000D0000FF/3', '010102030903616c6c090c07df0101ff000000008000ff090101'],
  ['20/00000D0000FF/4', '010102080901011101110111011101110111021102'],
  ['20/00000D0000FF/5', '01020202110101020203090407000000090600000a0064ff1200650203090417000000090600000a0064ff1200660202110201010203090400000000090600000a0064ff120001'],
  ['11/00000B0000FF/2', '01020203120001090507df0501ff11020203120002090507df0c19ff1102'],
  ['21/000010000BFF/2', '0103060000271006ffffffff06ffffffff'],
  ['21/000010000CFF/2', '0103060000271006ffffffff06ffffffff'],
  ['21/000010000DFF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['21/000010000EFF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['21/000010000FFF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['21/0000100010FF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['21/0000100011FF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['21/0000100012FF/2', '010306ffffffff06ffffffff06ffffffff'],
  ['9000/00005E2C0200/2', '03ff'],
  ['113/0000131404FF/5', '020302020f000ffb020312000009060000000000000f00010102020900104e20'],
  ['113/0000131400FF/5', '020302020f030ffb020312000309060100010800ff0f020150020209010110084902020901021000000202090103100000020209010410000002020901051000000202090106100000020209010710000002020901081000000202090109100000020209010a100000020209010b100000020209010c100000020209010d100000020209010e100000020209010f1000000202090110100000020209011110000002020901121000000202090113100000020209011410000002020901151000000202090116100000020209011710000002020901181000000202090119100000020209011a100000020209011b100000020209011c100000020209011d100000020209011e100000020209011f1000000202090120100000020209012110000002020901221000000202090123100000020209012410000002020901251000000202090126100000020209012710000002020901281000000202090129100000020209012a100000020209012b100000020209012c100000020209012d100000020209012e100000020209012f100000020209013010000002020901a11008f102020901a2100fa202020901a310000002020901a410000002020901a510000002020901a610000002020901a710000002020901a810000002020901b1100dda02020901b2101b3902020901b310000002020901b410000002020901b510000002020901b610000002020901b710000002020901b810000002020901c110000002020901c210000002020901c310000002020901c410000002020901c510000002020901c610000002020901c710000002020901c810000002020901d110000002020901d210000002020901d310000002020901d410000002020901d510000002020901d610000002020901d710000002020901d8100000'],
  // 4.11.2_ECS24b
  ['113/0000131405FF/5', '020302020f030ffb020312000309060114010800ff0f02010402020901011027100202090102102af80202090103102ee002020901041032c8'],
  ['3/00005E2C0108/2', '0600002710'],
  ['3/00005E2C0108/3', '02020ffb16fe'],
  ['11/00000B0001FF/2', '010302031200000905ffff0c19ff110402031200010905ffff0501ff110402031200020905ffff060aff1104'],
  ['20/00000D0001FF/3', '010402030906737072696e67090c07df0314ff162d00008000ff0901010203090673756d6d6572090c07df0615ff102600008000ff0901010203090466616c6c090c07df0917ff081500008000ff0901020203090677696e746572090c07df0c15ff170300008000ff090102'],
  ['20/00000D0001FF/4', '01020208090101110111011101110111011102110202080901021103110311031103110311041104'],
  ['20/00000D0001FF/5', '01040202110101020203090400000000090600000a0064ff1200c9020309040c000000090600000a0064ff1200ca0202110201020203090400000000090600000a0064ff1200ca020309040c000000090600000a0064ff1200cb0202110301020203090400000000090600000a0064ff1200cb020309040c000000090600000a0064ff1200cc0202110401020203090400000000090600000a0064ff1200cc020309040c000000090600000a0064ff1200c9'],
  // 4.13_ECS26a
  ['113/0000131401FF/5', '020302020f000ffb020312000009060000000000000f00010102020900101388'],
  ['11/00000B0002FF/2', '010402031200010905ffff0c19ff110102031200020905ffff0c1aff11020203120003090507df0405ff11030203120004090507df0403ff1104'],
  ['113/0000131401FF/8', '0600015180'],
  ['113/0000131402FF/5', '020302020f000ffb020312000009060000000000000f00010102020900101770'],
  ['113/0000131402FF/8', '0600015180'],
  ['21/0000100001FF/2', '010105fff85ee0'],
  ['111/0000130000FF/19', '0500093a80'],
  ['10/00000C0001FF/2', '0106020a12000103ff090600000a006aff12002009040000000012ffff0407060404f0090507de0a1aff090507df031dff020a12000203ff090600000a006aff12002009041200000012ffff0407f8040400090507de0a1aff090507df031dff020a12000303ff090600000a006aff12002109040800000012ffff0407f8040400090507de0a1aff090507df031dff020a12000403ff090600000a006aff12002009040000000012ffff0407060404f0090507df031eff090507df0a19ff020a12000503ff090600000a006aff12002009041100000012ffff0407f8040400090507df031eff090507df0a19ff020a12000603ff090600000a006aff12002109040700000012ffff0407f8040400090507df031eff090507df0a19ff'],
  ['111/0000130000FF/11', '010d020309060000130a00ff09060000131400ff0403e0020309060000130a00ff09060000131404ff0403e0020309060000130a00ff09060000131401ff0403c0020309060000130a00ff09060000131402ff0403c0020309060000130a00ff09060000131403ff0403e0020309060000130a01ff09060000131403ff0403e0020309060000130a01ff09060000131400ff0403e0020309060000130a01ff09060000131404ff0403e0020309060000130a01ff09060000131401ff0403c0020309060000130a01ff09060000131402ff0403c0020309060000130a02ff09060000131404ff0403e0020309060000130a02ff09060000131401ff0403e0020309060000130a02ff09060000131402ff0403e0'],
  // 4.15_ECS27
  ['9000/00005E2C0003/2', '0300'],
  ['3/00005E2C2AFF/2', '060000001e'],
  ['3/00005E2C2AFF/3', '02020f0016ff'],
  ['71/0000110000FF/4', '0600001af4'],
  ['71/0000110000FF/6', '060000012c'],
  ['71/0000110000FF/7', '060000001e'],
  // 4.12.1_ECS18b
  ['10/00000C0000FF/2', '0102020a12000103ff090600000a8064ff12000109040c00000012ffff0407fe04000905000001ffff0905ffffffffff020a12000203ff090600000a8064ff12000209040900000012ffff0407fe04000905000001ffff0905ffffffffff'],
]);

/**
 * A twin-element ESME's settings where they differ from the single-element RTDS ESME's (RTDS TWIN responses): its
 * credit-charge configuration also takes the secondary element's price (0-0:19.20.5.255) from the meter balance
 * and the emergency credit.
 */
const TWIN_FACTORY = new Map<string, string>([
  ['111/0000130000FF/11', FACTORY.get('111/0000130000FF/11')!.replace(/^010d/, '010f')
    + '020309060000130a00ff09060000131405ff0403e0' + '020309060000130a01ff09060000131405ff0403e0'],
]);

/** Runs the command on the COSEM table; what no behaviour computes and no command stored answers from FACTORY. */
function readWithFactorySettings(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'dlms-request') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not a DLMS ACCESS request`);
  const request = ctx.body.request;
  const response = runAccess(request, ctx, cosemObjects());
  request.specs.forEach((spec, i) => {
    if (response.results[i]?.result !== DataAccessResult.objectUndefined || (spec.kind !== 'get' && spec.kind !== 'get-with-selection')) return;
    const key = `${spec.classId}/${spec.obis}/${spec.id}`;
    const hex = (isTwinElement(ctx) ? TWIN_FACTORY.get(key) : undefined) ?? FACTORY.get(key);
    if (!hex) return;
    response.data[i] = decodeDlmsData(Buffer.from(hex, 'hex'));
    response.results[i] = { kind: 'get', result: DataAccessResult.success };
  });
  return encodeAccessResponse(response);
}

// ---------------------------------------------------------------- use cases

const S = RemotePartyRole.Supplier;
const NO = RemotePartyRole.NetworkOperator;
const ACB = RemotePartyRole.AccessControlBroker;

/** A read its roles may send, and the ACB too: on a User's behalf for the DCC's schedules (5.1) and the ‡ reads. */
function read(name: string, messageCode: number, roles: number[], responseDateTime = false) {
  const withAcb = roles.includes(ACB) ? roles : [...roles, ACB];
  return dlmsUseCase({ name, messageCodes: [messageCode], deviceTypes: ['ESME'], roles: withAcb, critical: false, responseDateTime, before: readWithFactorySettings });
}

export const ESME_READS: UseCaseFamily = {
  name: 'esme-reads',
  cosem: [...registers, ...LOGS.map(logObject), ...protection],
  useCases: [
    // instantaneous reads carry the response date-time (catalogue.md §2.2)
    read('ECS17a', 0x0026, [S, NO], true),
    read('ECS17b', 0x0027, [S, NO], true),
    read('ECS17c', 0x0028, [S, NO], true),
    read('ECS17d', 0x0029, [S, NO], true),
    read('ECS17e', 0x002a, [S, NO], true),
    read('ECS18a', 0x002b, [S, NO], true),
    read('ECS18b', 0x002c, [S, NO], true),
    read('ECS19', 0x002d, [S], true),
    read('ECS20a', 0x002e, [S]),
    read('ECS20b', 0x002f, [S]),
    read('ECS20c', 0x0030, [S]),
    read('ECS20d', 0x00c9, [S]),
    read('ECS21a', 0x0033, [S]),
    read('ECS21b', 0x0034, [S, ACB]),
    // sent by the DCC's ACB on the export supplier's behalf (catalogue.md §1.4 ‡)
    read('ECS21c', 0x0035, [ACB]),
    read('ECS22a', 0x0036, [S, NO]),
    read('ECS22b', 0x0037, [S, NO]),
    read('ECS22c', 0x0038, [S, NO]),
    read('ECS23', 0x0039, [S, NO], true),
    read('ECS23b', 0x00bc, [S, NO], true),
    read('ECS24', 0x003a, [S]),
    read('ECS24b', 0x00bd, [S]),
    read('ECS26a', 0x003b, [S]),
    read('ECS27', 0x0042, [S, NO]),
    read('ECS66', 0x0060, [S, NO]),
    read('ECS82', 0x0069, [S]),
  ],
};
