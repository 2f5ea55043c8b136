/**
 * Time-of-use and block registers. A switching table maps each half hour of the day (UTC) to a TOU register
 * (1 … 48), with its own bands for weekends if given. Block thresholds split each TOU rate's consumption in the
 * block period into up to 4 blocks (3 thresholds per rate, rates 1 … 8).
 */
import { forEachSlot, type MeterModel } from './model.ts';
import type { Quantity } from './load.ts';
import { DAY_MS, SLOTS_PER_DAY, SLOT_MS, isWeekend } from './time.ts';

export const TOU_REGISTERS = 48;
export const BLOCK_RATES = 8;
export const BLOCKS = 4;

/** A band of a switching table: from `start` ('HH:MM', UTC, on the hour or half hour) until the next band, register `register`. */
export interface TouBand {
  readonly start: string;
  readonly register: number;
}

export interface SwitchingTable {
  /** The bands of Monday to Friday, in order; the first starts at '00:00'. */
  readonly weekday: readonly TouBand[];
  /** The bands of Saturday and Sunday (default: the weekday bands). */
  readonly weekend?: readonly TouBand[];
}

export interface Tariff {
  readonly switching: SwitchingTable;
  /** When the tariff took effect: its registers count from here (or from the epoch if later). Default: the epoch. */
  readonly activeFrom?: Date;
  /**
   * Block thresholds per TOU rate (index 0 is rate 1), each up to 3 ascending integers in register units (Wh, or
   * dm³ for gas). Give them only for a tariff whose switching table uses registers 1 … 8.
   */
  readonly blockThresholds?: readonly (readonly number[])[];
  /** When the block counters restart from zero (the end of each block period, or a ResetTariffBlockCounterMatrix). */
  readonly blockCounterResets?: readonly Date[];
}

export interface TariffRegisters {
  /** The 48 TOU registers; index 0 is register 1. */
  readonly tou: number[];
  /** The TOU × block registers, [rate 1 … 8][block 1 … 4], cumulative since the tariff took effect (zero without thresholds). */
  readonly blocks: number[][];
  /** The block counters, [rate][block], since the last block-counter reset. */
  readonly blockCounters: number[][];
}

const compiled = new WeakMap<SwitchingTable, readonly [Int8Array, Int8Array]>();

function parseBands(bands: readonly TouBand[], which: string): Int8Array {
  const out = new Int8Array(SLOTS_PER_DAY);
  if (bands.length === 0) throw new RangeError(`the ${which} switching table has no bands`);
  let previous = -1;
  bands.forEach((b, k) => {
    const match = /^(\d{2}):(\d{2})$/.exec(b.start);
    const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
    if (!(minutes >= 0 && minutes < 1440 && minutes % 30 === 0)) {
      throw new RangeError(`${which} band ${k}: start '${b.start}' is not a half hour 'HH:MM' of the day`);
    }
    if (!Number.isInteger(b.register) || b.register < 1 || b.register > TOU_REGISTERS) {
      throw new RangeError(`${which} band ${k}: register ${b.register} is not 1 … ${TOU_REGISTERS}`);
    }
    const slot = minutes / 30;
    if (k === 0 ? slot !== 0 : slot <= previous) throw new RangeError(`the ${which} bands must start at 00:00 and be in order`);
    out.fill(b.register, slot);
    previous = slot;
  });
  return out;
}

/** The TOU register (1 … 48) of each half hour of a weekday and of a weekend day. Validated once per table. */
export function compileSwitching(table: SwitchingTable): readonly [weekday: Int8Array, weekend: Int8Array] {
  let c = compiled.get(table);
  if (!c) {
    const weekday = parseBands(table.weekday, 'weekday');
    c = [weekday, table.weekend ? parseBands(table.weekend, 'weekend') : weekday];
    compiled.set(table, c);
  }
  return c;
}

/** The TOU register (1 … 48) that a switching table gives the half hour starting at `slotStart` (ms). */
export function touRegisterOf(table: SwitchingTable, slotStart: number): number {
  return registerIn(compileSwitching(table), slotStart);
}

/** The same, with the table already compiled. */
export function registerIn(compiledTable: readonly [Int8Array, Int8Array], slotStart: number): number {
  const day = Math.floor(slotStart / DAY_MS);
  return (isWeekend(day) ? compiledTable[1] : compiledTable[0])[Math.floor((slotStart - day * DAY_MS) / SLOT_MS)]!;
}

/** The TOU register (1 … 48) that a switching table gives the half hour holding `at`. */
export function touRegisterAt(table: SwitchingTable, at: Date): number {
  return touRegisterOf(table, Math.floor(at.getTime() / SLOT_MS) * SLOT_MS);
}

function checkThresholds(t: Tariff): readonly (readonly number[])[] | undefined {
  const th = t.blockThresholds;
  if (!th) return undefined;
  if (th.length > BLOCK_RATES) throw new RangeError(`block thresholds are given for at most ${BLOCK_RATES} TOU rates`);
  th.forEach((rate, r) => {
    if (rate.length > BLOCKS - 1) throw new RangeError(`rate ${r + 1}: at most ${BLOCKS - 1} block thresholds`);
    rate.forEach((v, k) => {
      if (!Number.isInteger(v) || v < 0 || (k > 0 && v <= rate[k - 1]!)) {
        throw new RangeError(`rate ${r + 1}: block thresholds must be ascending non-negative integers`);
      }
    });
  });
  const [weekday, weekend] = compileSwitching(t.switching);
  if ([...weekday, ...weekend].some((r) => r > BLOCK_RATES)) {
    throw new RangeError(`a tariff with blocks may only use TOU registers 1 … ${BLOCK_RATES}`);
  }
  return th;
}

const matrix = () => Array.from({ length: BLOCK_RATES }, () => new Array<number>(BLOCKS).fill(0));

/** Walks a tariff's registers forward through time; tariffRegisters and the daily read log use it. */
export class TariffAccumulator {
  readonly tou = new Array<number>(TOU_REGISTERS).fill(0);
  readonly blocks = matrix();
  blockCounters = matrix();
  private readonly thresholds: readonly (readonly number[])[] | undefined;
  private readonly table: readonly [Int8Array, Int8Array];
  private readonly resets: number[];
  private nextReset = 0;
  /** Where the registers stand: everything before this instant has been counted. */
  at: number;

  constructor(
    private readonly m: MeterModel,
    private readonly q: Quantity,
    tariff: Tariff,
  ) {
    this.table = compileSwitching(tariff.switching);
    this.thresholds = checkThresholds(tariff);
    this.at = Math.max(m.epoch, tariff.activeFrom?.getTime() ?? -Infinity);
    this.resets = (tariff.blockCounterResets ?? []).map((d) => d.getTime()).sort((a, b) => a - b);
    while (this.nextReset < this.resets.length && this.resets[this.nextReset]! <= this.at) this.nextReset++;
  }

  /** Counts consumption up to `to`. */
  advanceTo(to: number): void {
    while (this.at < to) {
      const reset = this.resets[this.nextReset];
      const end = reset !== undefined && reset < to ? reset : to;
      forEachSlot(this.m, this.q, this.at, end, (s, amount) => this.add(s, amount));
      this.at = end;
      if (end === reset) {
        this.blockCounters = matrix();
        this.nextReset++;
      }
    }
  }

  private add(slotStart: number, amount: number): void {
    if (amount === 0) return;
    const register = registerIn(this.table, slotStart);
    this.tou[register - 1]! += amount;
    if (!this.thresholds) return;
    const th = this.thresholds[register - 1] ?? [];
    const counters = this.blockCounters[register - 1]!;
    const blocks = this.blocks[register - 1]!;
    let used = counters.reduce((a, b) => a + b, 0);
    let left = amount;
    while (left > 0) {
      let block = 0;
      while (block < th.length && th[block]! <= used) block++;
      const take = block < th.length ? Math.min(left, th[block]! - used) : left;
      counters[block]! += take;
      blocks[block]! += take;
      used += take;
      left -= take;
    }
  }

  snapshot(): TariffRegisters {
    return { tou: [...this.tou], blocks: this.blocks.map((r) => [...r]), blockCounters: this.blockCounters.map((r) => [...r]) };
  }
}
