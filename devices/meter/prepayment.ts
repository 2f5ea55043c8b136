/**
 * Prepayment arithmetic on the meter model: the balance at an instant given a price (flat or per TOU register), a
 * standing charge and a starting balance; and the instant at which the balance reaches a threshold, so that a
 * device can raise its low-credit alerts and disable the supply at the right moment. Pure: the caller keeps the
 * balance, top-ups and debts and starts new terms from each change.
 */
import { amountBetween, checkQuantity, forEachSlot, type MeterModel } from './model.ts';
import type { Quantity } from './load.ts';
import { gasEnergyKWh, DEFAULT_CALORIFIC_VALUE } from './reads.ts';
import { compileSwitching, registerIn, TOU_REGISTERS, type SwitchingTable } from './tariff.ts';
import { DAY_MS, SLOT_MS, dayOf } from './time.ts';

/** Prices per TOU register: `perRegister[r - 1]` is the price per kWh of register r of the switching table. */
export interface TouPrices {
  readonly switching: SwitchingTable;
  readonly perRegister: readonly number[];
}

/** A register priced by blocks: its block counter at `terms.from`, its thresholds (ascending) and each block's price. */
export interface BlockPrices {
  readonly counter: number;
  readonly thresholds: readonly number[];
  /** prices[k] is block k + 1's; a block beyond the last price is priced as the last */
  readonly prices: readonly number[];
}

/**
 * Prices by a tariff the caller keeps (seasons, special days, block sets): each half hour counts in the register
 * `registerOf` names for its start (1-based index into `perRegister`), at that register's flat price or, for a
 * register priced by blocks, at the price of the block its counter is in (split exactly at a threshold).
 */
export interface RegisterPrices {
  readonly registerOf: (slotStart: number) => number;
  readonly perRegister: readonly (number | BlockPrices)[];
}

/**
 * The terms a balance drains by, in one money unit of the caller's choice (pence, or the device's currency units
 * after its price scale). Prices and the standing charge must not be negative.
 */
export interface PrepaymentTerms {
  /** The instant the balance is known at. */
  readonly from: Date;
  /** The balance at `from`. */
  readonly balance: number;
  /** Standing charge per day, taken continuously (pro rata to the millisecond), whether or not the supply is on. */
  readonly standingChargePerDay: number;
  /** Price per kWh of active import (electricity) or of gas energy: flat, per TOU register, or per register of the caller's tariff. */
  readonly price: number | TouPrices | RegisterPrices;
  /** Gas: calorific value (MJ/m³) turning volume into kWh. Default 39.5. */
  readonly calorificValue?: number;
}

/** kWh per register unit (Wh, or dm³ of gas). */
function kWhPerUnit(m: MeterModel, terms: PrepaymentTerms): number {
  return m.fuel === 'gas' ? gasEnergyKWh(1, terms.calorificValue ?? DEFAULT_CALORIFIC_VALUE) : 1 / 1000;
}

function check(m: MeterModel, terms: PrepaymentTerms): { q: Quantity; from: number } {
  const q: Quantity = m.fuel === 'gas' ? 'gasVolume' : 'activeImport';
  checkQuantity(m, q);
  const from = terms.from.getTime();
  if (!Number.isFinite(from)) throw new RangeError('terms.from is not a valid date');
  if (!(terms.standingChargePerDay >= 0)) throw new RangeError('the standing charge must not be negative');
  if (typeof terms.price === 'number') {
    if (!(terms.price >= 0)) throw new RangeError('the price must not be negative');
  } else if ('registerOf' in terms.price) {
    const prices = terms.price.perRegister.flatMap((p) => (typeof p === 'number' ? [p] : [...p.prices, p.counter]));
    if (prices.some((p) => !(p >= 0))) throw new RangeError('register prices and block counters must not be negative');
  } else {
    compileSwitching(terms.price.switching);
    if (terms.price.perRegister.length > TOU_REGISTERS || terms.price.perRegister.some((p) => !(p >= 0))) {
      throw new RangeError(`TOU prices: at most ${TOU_REGISTERS}, none negative`);
    }
  }
  return { q, from };
}

/**
 * Consumption, in register units, counted per price: one number for a flat price, one per TOU register otherwise.
 * Integers, so that adding spans is exact and the balance is the same however the time is cut.
 */
type Consumption = number[];

function consumption(m: MeterModel, q: Quantity, terms: PrepaymentTerms, a: number, b: number, into: Consumption): void {
  if (typeof terms.price === 'number') {
    into[0]! += amountBetween(m, q, a, b);
    return;
  }
  if ('registerOf' in terms.price) {
    const { registerOf, perRegister } = terms.price;
    forEachSlot(m, q, a, b, (s, v) => {
      const r = registerOf(s);
      if (!(r >= 1 && r <= perRegister.length)) throw new RangeError(`register ${r} of the half hour at ${new Date(s).toISOString()} has no price`);
      into[r - 1]! += v;
    });
    return;
  }
  const table = compileSwitching(terms.price.switching);
  forEachSlot(m, q, a, b, (s, v) => {
    into[registerIn(table, s) - 1]! += v;
  });
}

function emptyConsumption(terms: PrepaymentTerms): Consumption {
  const p = terms.price;
  return new Array<number>(typeof p === 'number' ? 1 : 'registerOf' in p ? p.perRegister.length : TOU_REGISTERS).fill(0);
}

/** The cost of a register's first `x` units since its block counter restarted. */
function blockCost(b: BlockPrices, x: number): number {
  let cost = 0;
  let lo = 0;
  for (let k = 0; lo < x; k++) {
    const hi = k < b.thresholds.length ? Math.max(lo, b.thresholds[k]!) : Infinity;
    cost += (Math.min(x, hi) - lo) * (b.prices[Math.min(k, b.prices.length - 1)] ?? 0);
    lo = hi;
  }
  return cost;
}

/** The cost of `used` units in a register (before the kWh conversion). */
function registerCost(price: number | BlockPrices, used: number): number {
  return typeof price === 'number' ? used * price : blockCost(price, price.counter + used) - blockCost(price, price.counter);
}

function balanceOf(m: MeterModel, terms: PrepaymentTerms, from: number, used: Consumption, t: number): number {
  const perUnit = kWhPerUnit(m, terms);
  let cost = 0;
  const p = terms.price;
  if (typeof p === 'number') cost = used[0]! * perUnit * p;
  else if ('registerOf' in p) used.forEach((v, r) => (cost += v === 0 ? 0 : perUnit * registerCost(p.perRegister[r] ?? 0, v)));
  else used.forEach((v, r) => (cost += v === 0 ? 0 : v * perUnit * ((terms.price as TouPrices).perRegister[r] ?? 0)));
  return terms.balance - cost - (terms.standingChargePerDay * (t - from)) / DAY_MS;
}

/** The balance at `at` (≥ terms.from; earlier instants give the starting balance). */
export function balanceAt(m: MeterModel, terms: PrepaymentTerms, at: Date): number {
  return balancesAt(m, terms, [at])[0]!;
}

/**
 * The balance at each of `instants` (in ascending order), each what balanceAt gives for it, in one walk of the
 * consumption (which adds up exactly however the time is cut): every midnight of a long span costs what its last does.
 */
export function balancesAt(m: MeterModel, terms: PrepaymentTerms, instants: readonly Date[]): number[] {
  const { q, from } = check(m, terms);
  const used = emptyConsumption(terms);
  let counted = from;
  return instants.map((at) => {
    const t = Math.max(from, at.getTime());
    if (t < counted) throw new RangeError('balancesAt: the instants must be in ascending order');
    consumption(m, q, terms, counted, t, used);
    counted = t;
    return balanceOf(m, terms, from, used, t);
  });
}

/**
 * The first instant (to the millisecond) in [terms.from, until] at which the balance is at or below `threshold`,
 * or undefined if it stays above it until then. Walks whole days, then the half hours of the crossing day, then
 * bisects within the half hour: O(days) for a flat price.
 */
export function balanceCrossing(m: MeterModel, terms: PrepaymentTerms, threshold: number, until: Date): Date | undefined {
  const { q, from } = check(m, terms);
  const end = until.getTime();
  const used = emptyConsumption(terms);
  const below = (extra: Consumption, t: number) => balanceOf(m, terms, from, extra, t) <= threshold;
  if (below(used, from)) return new Date(from);
  if (!(end > from)) return undefined;
  const plus = (a: number, b: number): Consumption => {
    const next = [...used];
    consumption(m, q, terms, a, b, next);
    return next;
  };
  // Whole days, then half hours: find the span whose end is at or below the threshold.
  let cursor = from;
  let spanEnd = 0;
  for (const step of ['day', 'slot'] as const) {
    const limit = step === 'day' ? end : spanEnd;
    for (;;) {
      if (cursor >= limit) return undefined;
      const next = Math.min(limit, step === 'day' ? (dayOf(cursor) + 1) * DAY_MS : (Math.floor(cursor / SLOT_MS) + 1) * SLOT_MS);
      const after = plus(cursor, next);
      if (below(after, next)) {
        spanEnd = next;
        break;
      }
      used.splice(0, used.length, ...after);
      cursor = next;
    }
  }
  // Within one half hour the balance only falls: bisect for the first millisecond at or below the threshold.
  let lo = cursor;
  let hi = spanEnd;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (below(plus(cursor, mid), mid)) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}
