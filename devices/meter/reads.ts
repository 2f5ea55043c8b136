/**
 * What a meter shows: registers at an instant, half-hour profiles, daily logs, maximum demand and instantaneous
 * values. Every function takes the time; nothing reads a clock.
 */
import { signed } from './hash.ts';
import { sunTimes, type Quantity } from './load.ts';
import {
  amountBetween, amountSinceEpoch, checkQuantity, daySlots, dayTotal, forEachSlot, onTime, supplyOn, type MeterModel,
} from './model.ts';
import { TariffAccumulator, type Tariff, type TariffRegisters } from './tariff.ts';
import { DAY_MS, MINUTE_MS, SLOT_MS, dayOf, ukClockOffset } from './time.ts';

/** An interval's amount: a half-hour profile row or a day's consumption. */
export interface IntervalAmount {
  readonly start: Date;
  readonly end: Date;
  /** Wh, varh or dm³. */
  readonly value: number;
}

/** A row of the daily read log: the registers at a UTC midnight. */
export interface DailyRead {
  readonly at: Date;
  readonly register: number;
  /** The tariff's TOU and block registers at that midnight, when a tariff was given. */
  readonly tariff?: TariffRegisters;
}

export interface MaximumDemand {
  /** The half hour of the highest demand (the earliest, on a tie). */
  readonly start: Date;
  readonly end: Date;
  /** Its energy, Wh (or varh, dm³). */
  readonly value: number;
  /** Its mean power over the half hour, W (value × 2). */
  readonly watts: number;
}

export interface InstantaneousValues {
  /** Active power imported and exported now, W (at most one is non-zero). */
  readonly activeImportW: number;
  readonly activeExportW: number;
  /** RMS voltage, V, to 0.1 V. */
  readonly voltageV: number;
  /** RMS current, A, to 0.01 A. */
  readonly currentA: number;
  readonly powerFactor: number;
  /** Whether the supply is on at that instant (before the epoch it may be, but nothing flows through the meter). */
  readonly supplyOn: boolean;
}

const ms = (d: Date, what: string): number => {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
};

/** The cumulative register of a quantity at an instant: an integer (Wh, varh, dm³) counted from the epoch, never decreasing. */
export function registerAt(m: MeterModel, q: Quantity, at: Date): number {
  checkQuantity(m, q);
  return amountSinceEpoch(m, q, ms(at, 'at'));
}

/**
 * The half hour containing `at` and its whole amount, including any part of it after `at` (the part after the
 * epoch; supply-off time removed). For what has accrued so far, take the difference of two registerAt.
 */
export function halfHour(m: MeterModel, q: Quantity, at: Date): IntervalAmount {
  checkQuantity(m, q);
  const s = Math.floor(ms(at, 'at') / SLOT_MS) * SLOT_MS;
  return { start: new Date(s), end: new Date(s + SLOT_MS), value: amountBetween(m, q, s, s + SLOT_MS) };
}

/** The complete half hours from the one starting at or after `from` to the one ending at or before `to`, after the epoch. */
function completeSlots(m: MeterModel, q: Quantity, from: Date, to: Date, visit: (s: number, v: number) => void): void {
  checkQuantity(m, q);
  const first = Math.max(Math.ceil(ms(from, 'from') / SLOT_MS), Math.floor(m.epoch / SLOT_MS)) * SLOT_MS;
  const end = Math.floor(ms(to, 'to') / SLOT_MS) * SLOT_MS;
  if (end > first) forEachSlot(m, q, first, end, visit);
}

/**
 * The half-hour profile: a row for each complete half hour in [from, to] (the slot holding the epoch counts only
 * what came after it; none before). Rows of a UTC day sum to that day's register increase exactly.
 */
export function profileRows(m: MeterModel, q: Quantity, from: Date, to: Date): IntervalAmount[] {
  const rows: IntervalAmount[] = [];
  completeSlots(m, q, from, to, (s, value) => rows.push({ start: new Date(s), end: new Date(s + SLOT_MS), value }));
  return rows;
}

/** The highest half hour among the complete half hours in [from, to], or undefined if there is none. */
export function maximumDemand(m: MeterModel, q: Quantity, from: Date, to: Date): MaximumDemand | undefined {
  let best = -1;
  let at = 0;
  completeSlots(m, q, from, to, (s, v) => {
    if (v > best) [best, at] = [v, s];
  });
  return best < 0 ? undefined : { start: new Date(at), end: new Date(at + SLOT_MS), value: best, watts: best * 2 };
}

/** The amount of each complete UTC day in [from, to] that ends after the epoch (the daily consumption log). */
export function dailyConsumptionLog(m: MeterModel, q: Quantity, from: Date, to: Date): IntervalAmount[] {
  checkQuantity(m, q);
  const rows: IntervalAmount[] = [];
  const last = Math.floor(ms(to, 'to') / DAY_MS);
  for (let d = Math.max(Math.ceil(ms(from, 'from') / DAY_MS), dayOf(m.epoch)); d < last; d++) {
    const start = d * DAY_MS;
    const value = start >= m.epoch ? dayTotal(m, q, d) : amountBetween(m, q, start, start + DAY_MS);
    rows.push({ start: new Date(start), end: new Date(start + DAY_MS), value });
  }
  return rows;
}

/**
 * The daily read log: the register (and, given a tariff, its TOU and block registers) at each UTC midnight in
 * [from, to] at or after the epoch. Quantity: active import for electricity, volume for gas, unless given.
 */
export function dailyReadLog(
  m: MeterModel,
  from: Date,
  to: Date,
  options: { readonly quantity?: Quantity; readonly tariff?: Tariff } = {},
): DailyRead[] {
  const q = options.quantity ?? (m.fuel === 'gas' ? 'gasVolume' : 'activeImport');
  checkQuantity(m, q);
  const rows: DailyRead[] = [];
  const first = Math.max(Math.ceil(ms(from, 'from') / DAY_MS), Math.ceil(m.epoch / DAY_MS));
  const last = Math.floor(ms(to, 'to') / DAY_MS);
  if (last < first) return rows;
  const tariff = options.tariff ? new TariffAccumulator(m, q, options.tariff) : undefined;
  let register = amountBetween(m, q, m.epoch, first * DAY_MS);
  for (let d = first; d <= last; d++) {
    if (d > first) register += dayTotal(m, q, d - 1);
    const at = d * DAY_MS;
    let registers: TariffRegisters | undefined;
    if (tariff) {
      tariff.advanceTo(at);
      registers = tariff.snapshot();
    }
    rows.push(registers ? { at: new Date(at), register, tariff: registers } : { at: new Date(at), register });
  }
  return rows;
}

/** The TOU and block registers of a tariff at an instant (zero before the tariff took effect). */
export function tariffRegisters(m: MeterModel, tariff: Tariff, at: Date, quantity?: Quantity): TariffRegisters {
  const q = quantity ?? (m.fuel === 'gas' ? 'gasVolume' : 'activeImport');
  checkQuantity(m, q);
  const acc = new TariffAccumulator(m, q, tariff);
  acc.advanceTo(ms(at, 'at'));
  return acc.snapshot();
}

/** Mean power (W) of the current half hour over its on-time, with a small per-minute ripple. */
function powerNow(m: MeterModel, q: Quantity, t: number): number {
  const day = dayOf(t);
  const i = Math.floor((t - day * DAY_MS) / SLOT_MS);
  const amount = daySlots(m, q, day)[i]!;
  if (amount === 0) return 0;
  const s = day * DAY_MS + i * SLOT_MS;
  const on = onTime(m, s, s + SLOT_MS);
  const ripple = 1 + 0.1 * signed(m.premises.seed, Math.floor(t / MINUTE_MS), q === 'activeImport' ? 11 : 12);
  return Math.round(((amount * 3_600_000) / on) * ripple);
}

/**
 * Instantaneous electricity values: active power from the current half hour's mean (with a ±10 % per-minute
 * ripple that registers do not see), voltage about 230 V (the premises' place on the feeder, an evening dip, a
 * little noise), current from power, voltage and power factor. With the supply off, power and current are 0; the
 * voltage is still measured on the supply side.
 */
export function instantaneous(m: MeterModel, at: Date): InstantaneousValues {
  checkQuantity(m, 'activeImport');
  const t = ms(at, 'at');
  const on = supplyOn(m, t);
  const flowing = on && t >= m.epoch;
  const importW = flowing ? powerNow(m, 'activeImport', t) : 0;
  const exportW = flowing ? powerNow(m, 'activeExport', t) : 0;
  const net = importW - exportW;
  const p = m.premises;
  const hours = ((t % DAY_MS) / 3_600_000 + ukClockOffset(t)) % 24;
  const eveningDip = Math.exp(-0.5 * ((hours - 18.5) / 2) ** 2);
  const voltage = 230 + p.voltageOffset + 1 - 3 * eveningDip + (exportW > 0 ? 1.5 : 0) + 0.6 * signed(p.seed, Math.floor(t / MINUTE_MS), 13);
  const tan = net >= 0 ? p.tanPhiImport : p.tanPhiExport;
  const powerFactor = 1 / Math.sqrt(1 + tan * tan);
  const activeImportW = Math.max(0, net);
  const activeExportW = Math.max(0, -net);
  return {
    activeImportW,
    activeExportW,
    voltageV: Math.round(voltage * 10) / 10,
    currentA: Math.round(((activeImportW + activeExportW) / (voltage * powerFactor)) * 100) / 100,
    powerFactor: Math.round(powerFactor * 1000) / 1000,
    supplyOn: on,
  };
}

/** Sunrise and sunset at the model's site on the UTC day of `day`: exporting premises export only between them. */
export function daylight(day: Date): { sunrise: Date; sunset: Date } {
  const { sunrise, sunset } = sunTimes(dayOf(ms(day, 'day')));
  return { sunrise: new Date(sunrise), sunset: new Date(sunset) };
}

/** Standard correction factor of UK gas billing (temperature and pressure). */
export const GAS_VOLUME_CORRECTION = 1.02264;
/** Default calorific value, MJ/m³. */
export const DEFAULT_CALORIFIC_VALUE = 39.5;

/** The energy (kWh) of a gas volume given in dm³, with the UK billing formula m³ × CV × 1.02264 / 3.6. */
export function gasEnergyKWh(volumeDm3: number, calorificValue = DEFAULT_CALORIFIC_VALUE): number {
  return ((volumeDm3 / 1000) * calorificValue * GAS_VOLUME_CORRECTION) / 3.6;
}
