/**
 * A meter's model: its premises (from the EUI), its epoch (registers are zero there) and the intervals its supply
 * was off. Amounts come from load.ts; this file removes supply-off time and integrates.
 *
 * Within a half hour, a slot's amount accrues evenly over the time the supply is on, and a register shows the
 * floor of what has accrued (so registers are integers that never decrease, and reach the slot's amount exactly at
 * its end). A slot the supply was off for part of keeps floor(amount × on-time / 30 min).
 */
import { nominalBlockPair, nominalDaySlots, nominalDayTotal, type Quantity } from './load.ts';
import { premisesOf, type Fuel, type HouseholdKind, type Premises } from './premises.ts';
import { DAY_MS, SLOTS_PER_DAY, SLOT_MS, dayOf } from './time.ts';

/** An interval when the supply was off (ESME disconnected, GSME valve closed); `to` absent: still off. */
export interface SupplyOff {
  readonly from: Date;
  readonly to?: Date;
}

export interface MeterSpec {
  readonly eui: string;
  readonly fuel: Fuel;
  /** Where the registers start from zero: the meter's installation or commissioning, or any fixed instant. */
  readonly epoch: Date;
  /** When the supply was off. Any order; overlapping intervals are merged. */
  readonly supplyOff?: readonly SupplyOff[];
  /** Hash this instead of the EUI to pick the premises (e.g. an MPxN, so that the ESME and GSME of a home agree). */
  readonly premisesKey?: string;
  /** Force the household shape instead of drawing it. */
  readonly household?: HouseholdKind;
}

/** A meter's model, built once by meterModel and then read by every function of the model. Immutable. */
export interface MeterModel {
  readonly eui: string;
  readonly fuel: Fuel;
  readonly premises: Premises;
  /** Milliseconds. */
  readonly epoch: number;
  /** Supply-off intervals, sorted and merged: [from, to) pairs in ms, `to` may be Infinity. */
  readonly off: readonly (readonly [number, number])[];
}

const GAS_QUANTITIES = new Set<Quantity>(['gasVolume']);

/** Builds a meter's model from its EUI, fuel, epoch and supply-off intervals. */
export function meterModel(spec: MeterSpec): MeterModel {
  if (!spec.eui) throw new RangeError('a meter needs an EUI');
  const epoch = spec.epoch.getTime();
  if (!Number.isFinite(epoch)) throw new RangeError('the epoch is not a valid date');
  const intervals = (spec.supplyOff ?? []).map((o): [number, number] => {
    const from = o.from.getTime();
    const to = o.to ? o.to.getTime() : Infinity;
    if (!Number.isFinite(from) || Number.isNaN(to) || to < from) throw new RangeError('a supply-off interval must have from ≤ to');
    return [from, to];
  });
  intervals.sort((a, b) => a[0] - b[0]);
  const off: [number, number][] = [];
  for (const i of intervals) {
    const last = off.at(-1);
    if (last && i[0] <= last[1]) last[1] = Math.max(last[1], i[1]);
    else if (i[1] > i[0]) off.push([i[0], i[1]]);
  }
  return Object.freeze({
    eui: spec.eui,
    fuel: spec.fuel,
    premises: premisesOf(spec.premisesKey ?? spec.eui, spec.fuel, spec.household),
    epoch,
    off: Object.freeze(off.map((o) => Object.freeze(o))),
  });
}

export function checkQuantity(m: MeterModel, q: Quantity): void {
  if ((m.fuel === 'gas') !== GAS_QUANTITIES.has(q)) throw new RangeError(`a ${m.fuel} meter has no ${q} register`);
}

// --- supply off -----------------------------------------------------------------------------------------------------

/** Index of the first off interval ending after `t`. */
function firstOffAfter(m: MeterModel, t: number): number {
  let lo = 0;
  let hi = m.off.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (m.off[mid]![1] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Milliseconds of [a, b) with the supply on. */
export function onTime(m: MeterModel, a: number, b: number): number {
  let on = b - a;
  for (let k = firstOffAfter(m, a); k < m.off.length; k++) {
    const [from, to] = m.off[k]!;
    if (from >= b) break;
    on -= Math.min(b, to) - Math.max(a, from);
  }
  return on;
}

/** Whether the supply is on at instant t. */
export function supplyOn(m: MeterModel, t: number): boolean {
  const k = firstOffAfter(m, t);
  return !(k < m.off.length && m.off[k]![0] <= t);
}

function touchesOff(m: MeterModel, a: number, b: number): boolean {
  const k = firstOffAfter(m, a);
  return k < m.off.length && m.off[k]![0] < b;
}

// --- amounts --------------------------------------------------------------------------------------------------------

/** The amounts of a day's 48 slots with supply-off time taken out (the whole slots, ignoring the epoch). */
export function daySlots(m: MeterModel, q: Quantity, day: number): number[] {
  const slots = nominalDaySlots(m.premises, q, day);
  const start = day * DAY_MS;
  if (!touchesOff(m, start, start + DAY_MS)) return slots;
  for (let i = 0; i < SLOTS_PER_DAY; i++) {
    const s = start + i * SLOT_MS;
    const on = onTime(m, s, s + SLOT_MS);
    if (on < SLOT_MS) slots[i] = Math.floor((slots[i]! * on) / SLOT_MS);
  }
  return slots;
}

/** A day's amount with supply-off time taken out (the whole day): O(1) unless the supply was off that day. */
export function dayTotal(m: MeterModel, q: Quantity, day: number): number {
  const start = day * DAY_MS;
  if (!touchesOff(m, start, start + DAY_MS)) return nominalDayTotal(m.premises, q, day);
  let sum = 0;
  for (const v of daySlots(m, q, day)) sum += v;
  return sum;
}

/** What a slot of amount `amount` starting at s has accrued by t (s ≤ t ≤ s + 30 min): the floor of the on-time share. */
export function accruedInSlot(m: MeterModel, amount: number, s: number, t: number): number {
  if (amount === 0 || t <= s) return 0;
  if (t >= s + SLOT_MS) return amount;
  if (m.off.length === 0 || !touchesOff(m, s, s + SLOT_MS)) return Math.floor((amount * (t - s)) / SLOT_MS);
  const total = onTime(m, s, s + SLOT_MS);
  return total === 0 ? 0 : Math.floor((amount * onTime(m, s, t)) / total);
}

/**
 * The amount accrued in [a, b), clipped to the epoch: whole days come from wholeDays (block sums kept per
 * premises), the two ends cost one day's slots each.
 */
export function amountBetween(m: MeterModel, q: Quantity, a: number, b: number): number {
  a = Math.max(a, m.epoch);
  if (b <= a) return 0;
  let sum = 0;
  const first = dayOf(a);
  const last = dayOf(b);
  if (first === last) return withinDay(m, q, first, a, b);
  sum += withinDay(m, q, first, a, (first + 1) * DAY_MS);
  sum += wholeDays(m, q, first + 1, last);
  if (b > last * DAY_MS) sum += withinDay(m, q, last, last * DAY_MS, b);
  return sum;
}

// --- whole days, in blocks kept per premises ------------------------------------------------------------------------

/**
 * A register read integrates every day since the epoch (ESMEs: 2014), one hash per day: ~4,700 days a read today
 * (bench/meter-model.md). Days are summed in blocks of BLOCK_DAYS aligned on day 0, and the nominal sum of a
 * block is kept per premises and quantity, so the next read of that meter (and the other registers of the same
 * read) costs the blocks' lookups and at most two part-blocks of days. A block any supply-off interval touches is
 * summed afresh each time and never kept: what is kept depends only on the premises, so meter models of the same
 * premises with other supply histories share it. Sums of integers: the result is the same, cached or not.
 */
const BLOCK_DAYS = 64;
/**
 * Premises × quantity series kept, least recently used dropped first: ~1.3 kB each for blocks since 2000, so at most
 * ~20 MB for the last ~8,000 meters read. A load of reads each of another meter (the bench's fleet reads) gains
 * nothing from it; a working set of meters read again and again (a head-end's test set, the soak) does.
 */
const KEPT_SERIES = 16_384;
/** Blocks before 2000 are summed each time (no ESME or GSME epoch is that early). */
const FIRST_KEPT_BLOCK = Math.floor(Date.UTC(2000, 0, 1) / DAY_MS / BLOCK_DAYS);
const blockSums = new Map<string, Float64Array>();

/** Quantities computed from the same daily amounts are summed together (reactive is active × tan φ, per day). */
const SUMMED_WITH: Record<Quantity, Quantity | undefined> = {
  activeImport: 'reactiveImport', reactiveImport: 'activeImport', activeExport: 'reactiveExport', reactiveExport: 'activeExport', gasVolume: undefined,
};

function seriesKey(p: Premises, q: Quantity): string {
  return `${p.fuel}/${p.household}/${p.seed}/${q}`;
}

/**
 * A series' block sums from FIRST_KEPT_BLOCK on, NaN where a block is not summed yet, holding at least block index
 * `upTo`. A typed array: its elements live outside the JS heap, so a series dropped from the LRU (every read of a
 * load of ever-new meters drops some) is not ~1.3 kB of array the young generation copied and promoted first.
 */
function keptSeries(key: string, upTo: number): Float64Array {
  let sums = blockSums.get(key);
  if (sums) {
    // most recently used last
    blockSums.delete(key);
  } else if (blockSums.size >= KEPT_SERIES) {
    blockSums.delete(blockSums.keys().next().value!);
  }
  if (!sums || sums.length <= upTo) {
    // room for a few more years of a simulated clock moved on, without growing again
    const grown = new Float64Array(upTo + 1 + 64).fill(Number.NaN);
    if (sums) grown.set(sums);
    sums = grown;
  }
  blockSums.set(key, sums);
  return sums;
}

/** Forgets every kept block sum and register (tests compare cached and uncached reads). */
export function forgetBlockSums(): void {
  blockSums.clear();
  registers.clear();
}

/**
 * The last registers read, by premises, quantity, epoch, instant and supply-off intervals (all a register depends
 * on): a read's objects ask for the same register several times (4.1.1: the import register for itself, for the
 * TOU registers and for the block matrix), each ~65,000 instructions even with the block sums kept.
 */
const registers = new Map<string, number>();
const REGISTERS_KEPT = 256;

/** amountBetween(m, q, m.epoch, t): a register at t. */
export function amountSinceEpoch(m: MeterModel, q: Quantity, t: number): number {
  const key = `${seriesKey(m.premises, q)}/${m.epoch}/${t}${m.off.length > 0 ? `/${m.off.join(';')}` : ''}`;
  let v = registers.get(key);
  if (v === undefined) {
    v = amountBetween(m, q, m.epoch, t);
    if (registers.size >= REGISTERS_KEPT) registers.delete(registers.keys().next().value!);
    registers.set(key, v);
  }
  return v;
}

/** The sum of dayTotal over days [from, to). */
export function wholeDays(m: MeterModel, q: Quantity, from: number, to: number): number {
  if (to <= from) return 0;
  const firstBlock = Math.ceil(from / BLOCK_DAYS);
  const endBlock = Math.floor(to / BLOCK_DAYS);
  if (endBlock <= firstBlock) return dayByDay(m, q, from, to);
  let sum = dayByDay(m, q, from, firstBlock * BLOCK_DAYS) + dayByDay(m, q, endBlock * BLOCK_DAYS, to);
  const upTo = Math.max(0, endBlock - 1 - FIRST_KEPT_BLOCK);
  const sums = keptSeries(seriesKey(m.premises, q), upTo);
  const partner = SUMMED_WITH[q];
  let partnerSums: Float64Array | undefined;
  for (let k = firstBlock; k < endBlock; k++) {
    const i = k - FIRST_KEPT_BLOCK;
    const start = k * BLOCK_DAYS;
    // what is kept is the nominal sum: this meter's supply-off time comes out day by day
    if (i < 0 || (m.off.length > 0 && touchesOff(m, start * DAY_MS, (start + BLOCK_DAYS) * DAY_MS))) {
      sum += dayByDay(m, q, start, start + BLOCK_DAYS);
      continue;
    }
    const kept = sums[i]!;
    if (!Number.isNaN(kept)) {
      sum += kept;
      continue;
    }
    if (partner) {
      // the partner's amounts fall out of the same days' work: kept too, for the read's next register
      partnerSums ??= keptSeries(seriesKey(m.premises, partner), upTo);
      const [own, other] = nominalBlockPair(m.premises, q, partner, start, BLOCK_DAYS);
      sums[i] = own;
      partnerSums[i] = other;
      sum += own;
    } else {
      let own = 0;
      for (let d = start; d < start + BLOCK_DAYS; d++) own += nominalDayTotal(m.premises, q, d);
      sums[i] = own;
      sum += own;
    }
  }
  return sum;
}

/** The sum of dayTotal over days [from, to): the part-blocks at either end of wholeDays, and blocks the supply-off touches. */
function dayByDay(m: MeterModel, q: Quantity, from: number, to: number): number {
  // With the supply on throughout, each day's total is its nominal one: summed by the block loop (the same daily
  // totals, a tenth of the instructions of a dayTotal call per day; every register read pays up to 126 such days).
  const partner = SUMMED_WITH[q];
  if (partner && to > from && !touchesOff(m, from * DAY_MS, to * DAY_MS)) return nominalBlockPair(m.premises, q, partner, from, to - from)[0];
  let sum = 0;
  for (let d = from; d < to; d++) sum += dayTotal(m, q, d);
  return sum;
}

/** The amount accrued in [a, b) within one day (a, b inside the day or at its ends). */
function withinDay(m: MeterModel, q: Quantity, day: number, a: number, b: number): number {
  const start = day * DAY_MS;
  if (a === start && b === start + DAY_MS) return dayTotal(m, q, day);
  const slots = daySlots(m, q, day);
  let sum = 0;
  const i0 = Math.floor((a - start) / SLOT_MS);
  const i1 = Math.min(SLOTS_PER_DAY - 1, Math.floor((b - start) / SLOT_MS));
  for (let i = i0; i <= i1; i++) {
    const s = start + i * SLOT_MS;
    const v = slots[i]!;
    sum += accruedInSlot(m, v, s, Math.min(b, s + SLOT_MS)) - accruedInSlot(m, v, s, Math.max(a, s));
  }
  return sum;
}

/**
 * Calls `visit` for each half-hour slot overlapping [a, b) (clipped to the epoch), in order, with the slot's start
 * (ms) and the amount accrued in the overlap. Costs one day's slots per day.
 */
export function forEachSlot(m: MeterModel, q: Quantity, a: number, b: number, visit: (slotStart: number, amount: number) => void): void {
  a = Math.max(a, m.epoch);
  for (let day = dayOf(a); day * DAY_MS < b; day++) {
    const start = day * DAY_MS;
    const slots = daySlots(m, q, day);
    const i0 = Math.max(0, Math.floor((a - start) / SLOT_MS));
    for (let i = i0; i < SLOTS_PER_DAY; i++) {
      const s = start + i * SLOT_MS;
      if (s >= b) return;
      const v = slots[i]!;
      const lo = Math.max(a, s);
      const hi = Math.min(b, s + SLOT_MS);
      visit(s, lo === s && hi === s + SLOT_MS ? v : accruedInSlot(m, v, s, hi) - accruedInSlot(m, v, s, lo));
    }
  }
}
