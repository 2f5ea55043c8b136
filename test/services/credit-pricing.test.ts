/**
 * Prepayment credit priced by the tariff (issue 17, "tariff change → next read priced by it"): an ESME in
 * prepayment mode drains, between two balance reads (4.18), by each half hour's import (its 4.8.1 profile) at the
 * price of the register the tariff selects for that half hour, plus the standing charge. The expectation is worked
 * out here from the profile the meter reads and the tariff as the RTDS template states it, not from the emulator's
 * tariff code; the TOU registers (4.1.2) moved by the same half hours.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DlmsData, GbcsMessage } from '../../devices/index.ts';
import { conformanceWorld, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { sensitivePlaintext } from '../helpers/sensitive-reads.ts';

const ESME = '00DB1234567890A0';
const HALF_HOUR = 1_800_000;
const DAY = 86_400_000;
/** the device's currency unit is a thousandth of a penny: GBP × 10⁻⁵, the templates' price and standing-charge scale */
const STANDING_CHARGE_PER_DAY = 20000;

let w: ConformanceWorld | undefined;
afterEach(() => {
  w?.close();
  w = undefined;
});

function ok(r: TemplateRun): GbcsMessage {
  expect(r.final, `${r.answer.responseCode} ${r.finalReason ?? ''}`).toBe('I0');
  return r.deviceResponse!;
}

function items(d: DlmsData | undefined): DlmsData[] {
  if (!d || (d.type !== 'structure' && d.type !== 'array' && d.type !== 'compact-array')) throw new Error(`not a list: ${d?.type}`);
  return d.items;
}

const num = (d: DlmsData | undefined): number => {
  if (d?.type !== 'double-long-unsigned' && d?.type !== 'double-long') throw new Error(`not a number: ${d?.type}`);
  return d.value;
};

/** A ZAZ1 world whose ESME is in prepayment from `at` with £50 of credit, no disablement threshold and `tariff` (a 1.1.1 template, edited). */
function prepaymentMeter(at: Date, tariff: string, edit: (x: string) => string = (x) => x): { world: ConformanceWorld; esmeKa: KeyObject } {
  const world = conformanceWorld();
  w = world;
  world.dcc.clock.set(at);
  ok(world.run('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:DisablementThreshold>\d+</, '<sr:DisablementThreshold>0<')));
  ok(world.run('ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:AdjustMeterBalance>\d+</, '<sr:AdjustMeterBalance>5000000<')));
  ok(world.run(tariff, edit));
  return { world, esmeKa: new X509Certificate(world.world.deviceCertificates(ESME).kaCertificate.der).publicKey };
}

/** 4.18: the meter balance (currency units). */
function balance(world: ConformanceWorld): number {
  const m = ok(world.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML'));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  return num(m.body.response.data[0]);
}

const period = (from: Date, to: Date) => (x: string) =>
  x.replace(/<sr:StartDateTime>[^<]*</, `<sr:StartDateTime>${from.toISOString()}<`).replace(/<sr:EndDateTime>[^<]*</, `<sr:EndDateTime>${to.toISOString()}<`);

/** 4.8.1: each complete half hour of (from, to] as [start (ms), Wh]. */
function halfHours(world: ConformanceWorld, esmeKa: KeyObject, from: Date, to: Date): [number, number][] {
  const m = ok(world.run('ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', period(new Date(from.getTime() + HALF_HOUR), to)));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  const rows = items(items(sensitivePlaintext(m, m.body.response.data[0]!, esmeKa))[0]);
  // a row is stamped with the end of its half hour, in seconds since 2000-01-01
  return rows.map((r) => [Date.UTC(2000, 0, 1) + num(items(r)[0]) * 1000 - HALF_HOUR, num(items(r)[1])]);
}

/** 4.1.2: the 48 TOU registers (Wh). */
function touRegisters(world: ConformanceWorld, esmeKa: KeyObject): number[] {
  const m = ok(world.run('ECS17d_4.1.2_SINGLE_SUCCESS_REQUEST_DUIS.XML'));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  return items(items(sensitivePlaintext(m, m.body.response.data[0]!, esmeKa))[0]).flatMap(items).map(num);
}

/**
 * The RTDS TOU tariff on a winter weekday (tariffs.test.ts reads its switching table): TOU3 from 06:00 to 23:00
 * UTC, TOU2 the rest of the day.
 */
const touOfWeekdayHalfHour = (start: number): number => {
  const minutes = (start % DAY) / 60_000;
  return minutes >= 6 * 60 && minutes < 23 * 60 ? 3 : 2;
};

/** 4.1.3: the TOU × block registers, [block 1-4][rate 1-8] (Wh). */
function blockRegisters(world: ConformanceWorld, esmeKa: KeyObject): number[][] {
  const m = ok(world.run('ECS17e_4.1.3_SUCCESS_REQUEST_DUIS.XML'));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  const values = items(items(sensitivePlaintext(m, m.body.response.data[0]!, esmeKa))[0]).flatMap(items).map(num);
  return [0, 1, 2, 3].map((k) => values.slice(8 * k, 8 * k + 8));
}

describe('credit drains by the tariff\'s price of each half hour\'s register', () => {
  const day = new Date('2026-12-02T00:00:00Z'); // a Wednesday
  const next = new Date(day.getTime() + DAY);

  /** One day under a TOU tariff with these TOU prices (currency units per kWh): the drain and its expectation. */
  function dayUnder(prices: [number, number, number]): { drain: number; expected: number; touMoved: number[]; byTou: number[] } {
    const { world, esmeKa } = prepaymentMeter(new Date(day.getTime() - 6 * 3_600_000), 'ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML', (x) =>
      prices.reduce((xml, p, i) => xml.replace(new RegExp(`(<sr:TOUPrice index="${i + 1}">)\\d+<`), `$1${p}<`), x));
    world.dcc.clock.set(day);
    const before = balance(world);
    const touBefore = touRegisters(world, esmeKa);
    world.dcc.clock.set(next);
    const after = balance(world);
    const touAfter = touRegisters(world, esmeKa);
    const rows = halfHours(world, esmeKa, day, next);
    expect(rows).toHaveLength(48);
    const byTou = [0, 0, 0];
    for (const [start, wh] of rows) byTou[touOfWeekdayHalfHour(start) - 1]! += wh;
    const expected = rows.reduce((sum, [start, wh]) => sum + (wh / 1000) * prices[touOfWeekdayHalfHour(start) - 1]!, 0) + STANDING_CHARGE_PER_DAY;
    return { drain: before - after, expected, touMoved: touAfter.map((v, i) => v - touBefore[i]!), byTou };
  }

  it('the same day\'s consumption under two TOU tariffs: each drains by Σ kWh × its register\'s price + the standing charge', () => {
    const rtds = dayUnder([2121, 3127, 4744]);
    // the TOU registers moved by exactly the half hours priced in each
    expect(rtds.touMoved.slice(0, 3)).toEqual(rtds.byTou);
    expect(rtds.touMoved.slice(3).every((v) => v === 0)).toBe(true);
    expect(Math.abs(rtds.drain - rtds.expected)).toBeLessThanOrEqual(1);
    w!.close();
    w = undefined;

    // peak and off-peak prices swapped: the same half hours, priced the other way
    const swapped = dayUnder([2121, 4744, 3127]);
    expect(swapped.byTou).toEqual(rtds.byTou);
    expect(Math.abs(swapped.drain - swapped.expected)).toBeLessThanOrEqual(1);
    const difference = ((rtds.byTou[2]! - rtds.byTou[1]!) / 1000) * (4744 - 3127);
    expect(Math.abs(rtds.drain - swapped.drain - difference)).toBeLessThanOrEqual(2);
    expect(rtds.drain).not.toBe(swapped.drain);
  });

  it('a block tariff charges block 1\'s price up to 10 kWh, block 2\'s to 20 kWh and block 3\'s after, split at the threshold', () => {
    const from = new Date('2026-12-07T00:00:00Z');
    const to = new Date(from.getTime() + 3 * DAY);
    const { world, esmeKa } = prepaymentMeter(from, 'ECS01a_1.1.1_IMMEDIATE_BLOCK_SUCCESS_REQUEST_DUIS.XML');
    // the template's block set 1, used all day: thresholds 10000 and 20000 Wh, prices 1361, 2289, 5566 per kWh
    const thresholds = [10_000, 20_000];
    const prices = [1361, 2289, 5566];
    const before = balance(world);
    const blocksBefore = blockRegisters(world, esmeKa);
    world.dcc.clock.set(to);
    const after = balance(world);
    const blocksAfter = blockRegisters(world, esmeKa);
    const rows = halfHours(world, esmeKa, from, to);
    expect(rows).toHaveLength(3 * 48);
    let counter = 0;
    let expected = 3 * STANDING_CHARGE_PER_DAY;
    const crossedAt: number[] = [];
    for (const [start, wh] of rows) {
      // each Wh at the price of the block the counter is in when it is used
      for (let k = 0, left = wh; left > 0; k++) {
        const room = k < thresholds.length ? Math.max(0, thresholds[k]! - counter) : Infinity;
        const part = Math.min(left, room);
        expected += (part / 1000) * prices[k]!;
        counter += part;
        left -= part;
        if (part > 0 && left > 0) crossedAt.push(start);
      }
    }
    // both thresholds were passed within the three days
    expect(counter).toBeGreaterThan(20_000);
    expect(crossedAt).toHaveLength(2);
    expect(Math.abs(before - after - expected)).toBeLessThanOrEqual(1);
    // the block registers (rate 1) moved as priced: 10 kWh in block 1, 10 kWh in block 2, the rest in block 3
    const moved = blocksAfter.map((b, k) => b[0]! - blocksBefore[k]![0]!);
    expect(moved).toEqual([10_000, 10_000, counter - 20_000, 0]);
    expect(Math.abs(before - after - 3 * STANDING_CHARGE_PER_DAY - moved.slice(0, 3).reduce((sum, wh, k) => sum + (wh / 1000) * prices[k]!, 0))).toBeLessThanOrEqual(1);
    // and priced flat at block 1 it would have drained visibly less
    expect(before - after).toBeGreaterThan(3 * STANDING_CHARGE_PER_DAY + (counter / 1000) * prices[0]! + 1000);
  });
});

describe('a future-dated tariff', () => {
  const day = new Date('2026-12-02T00:00:00Z'); // a Wednesday
  const next = new Date(day.getTime() + DAY);
  const activation = new Date(day.getTime() + 12 * 3_600_000);
  const oldPrices = [2121, 3127, 4744];
  const newPrices = [9000, 12000, 15000];
  const withPrices = (prices: number[]) => (x: string) => prices.reduce((xml, p, i) => xml.replace(new RegExp(`(<sr:TOUPrice index="${i + 1}">)\\d+<`), `$1${p}<`), x);

  it('drains at the old prices until it activates and at the new ones after, though no command came between', () => {
    const { world, esmeKa } = prepaymentMeter(new Date(day.getTime() - 6 * 3_600_000), 'ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML', withPrices(oldPrices));
    world.dcc.clock.set(day);
    const before = balance(world);
    // the same TOU tariff at new prices, future-dated to noon (the meter holds it and answers now)
    ok(world.run('ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML', (x) => withPrices(newPrices)(x)
      .replace('<sr:UpdateImportTariffPrimaryElement>', `<sr:UpdateImportTariffPrimaryElement><sr:ExecutionDateTime>${activation.toISOString()}</sr:ExecutionDateTime>`)
      .replace(/:1006</, ':1106<')));
    // the clock moves past noon to midnight; the DCC runs what fell due, then the supplier reads the balance
    world.dcc.clock.set(next);
    world.dcc.runDueCommands();
    const after = balance(world);
    const rows = halfHours(world, esmeKa, day, next);
    expect(rows).toHaveLength(48);
    const cost = (prices: number[], keep: (start: number) => boolean) =>
      rows.filter(([start]) => keep(start)).reduce((sum, [start, wh]) => sum + (wh / 1000) * prices[touOfWeekdayHalfHour(start) - 1]!, 0);
    const morning = cost(oldPrices, (s) => s < activation.getTime());
    const afternoon = cost(newPrices, (s) => s >= activation.getTime());
    expect(Math.abs(before - after - (morning + afternoon + STANDING_CHARGE_PER_DAY))).toBeLessThanOrEqual(2);
    // not the whole day at the new prices (what charging from the last command at the new tariff would give)
    const allNew = cost(newPrices, () => true) + STANDING_CHARGE_PER_DAY;
    expect(allNew - (before - after)).toBeGreaterThan(1000);
  });
});
