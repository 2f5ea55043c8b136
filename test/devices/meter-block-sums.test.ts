/**
 * The meter model keeps the sums of whole days in blocks per premises (devices/meter/model.ts, wholeDays), so that a
 * meter read again does not integrate from its epoch again. A register read must not depend on it: cached or not,
 * in whatever order meters and quantities are read, across year and block boundaries, with supply-off intervals or
 * without, the register is the day-by-day sum.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meterModel, registerAt, type MeterModel, type Quantity, type SupplyOff } from '../../devices/index.ts';
import { amountBetween, dayTotal, forgetBlockSums } from '../../devices/meter/model.ts';

const DAY = 86_400_000;
const utc = (s: string) => new Date(`${s}Z`);
const ELECTRICITY: Quantity[] = ['activeImport', 'activeExport', 'reactiveImport', 'reactiveExport'];

/** The register the long way: the epoch's day, every whole day by its own total, the day of `at`. */
function dayByDay(m: MeterModel, q: Quantity, at: Date): number {
  const t = at.getTime();
  if (t <= m.epoch) return 0;
  const first = Math.floor(m.epoch / DAY);
  const last = Math.floor(t / DAY);
  // within one day amountBetween never reaches the block sums
  if (first === last) return amountBetween(m, q, m.epoch, t);
  let sum = amountBetween(m, q, m.epoch, (first + 1) * DAY);
  for (let d = first + 1; d < last; d++) sum += dayTotal(m, q, d);
  return sum + amountBetween(m, q, last * DAY, t);
}

/** Instants either side of each new year from 2014 to 2027, and a few inside years. */
const INSTANTS = [
  ...Array.from({ length: 14 }, (_, i) => 2014 + i).flatMap((y) => [
    `${y - 1}-12-31T23:59:59.999`, `${y}-01-01T00:00`, `${y}-01-01T00:17:31`, `${y}-01-02T00:00`,
  ]),
  '2016-02-29T12:00', '2019-07-14T03:30', '2026-12-02T10:30:07',
].map(utc);

// A household with solar panels (export), an electrically heated one and a plain one.
const EUIS = ['90B3D51F30000000', '90B3D51F30000007', '00DB1234567890A0', '90B3D51F3001F00D'];

describe('block sums of whole days', () => {
  it('an ESME read cold, then again, then in another order, is its day-by-day sum across every year boundary', () => {
    for (const eui of EUIS) {
      const m = meterModel({ eui, fuel: 'electricity', epoch: utc('2014-01-01T00:00') });
      const want = new Map(ELECTRICITY.map((q) => [q, INSTANTS.map((t) => dayByDay(m, q, t))]));
      for (const q of ELECTRICITY) {
        forgetBlockSums();
        expect(INSTANTS.map((t) => registerAt(m, q, t)), `${eui} ${q} cold`).toEqual(want.get(q));
        expect(INSTANTS.map((t) => registerAt(m, q, t)), `${eui} ${q} kept`).toEqual(want.get(q));
      }
      // latest first, each quantity after its partner filled the blocks
      forgetBlockSums();
      for (const q of ['reactiveImport', 'activeImport', 'reactiveExport', 'activeExport'] as const) {
        expect([...INSTANTS].reverse().map((t) => registerAt(m, q, t)), `${eui} ${q} latest first`).toEqual([...want.get(q)!].reverse());
      }
    }
  });

  it('a gas meter with an epoch inside a day, cold and kept', () => {
    const m = meterModel({ eui: '00DB1234567890A3', fuel: 'gas', epoch: utc('2015-06-17T13:45:12') });
    const want = INSTANTS.map((t) => dayByDay(m, 'gasVolume', t));
    forgetBlockSums();
    expect(INSTANTS.map((t) => registerAt(m, 'gasVolume', t))).toEqual(want);
    expect(INSTANTS.map((t) => registerAt(m, 'gasVolume', t))).toEqual(want);
  });

  it('meters of the same premises with other supply histories do not share what the supply-off took out', () => {
    const off: SupplyOff[] = [
      { from: utc('2017-12-30T08:00'), to: utc('2018-01-03T17:30') },
      { from: utc('2021-05-01T00:00'), to: utc('2021-09-01T00:00') },
      { from: utc('2026-11-30T10:10') },
    ];
    const spec = { eui: '90B3D51F30000000', fuel: 'electricity' as const, epoch: utc('2014-01-01T00:00'), premisesKey: '1234567890123' };
    const on = meterModel(spec);
    const offAndOn = meterModel({ ...spec, eui: '90B3D51F30000001', supplyOff: off });
    const want = [on, offAndOn].map((m) => INSTANTS.map((t) => dayByDay(m, 'activeImport', t)));
    expect(want[1]!.at(-1)).toBeLessThan(want[0]!.at(-1)!);
    forgetBlockSums();
    for (let round = 0; round < 2; round++) {
      expect(INSTANTS.map((t) => registerAt(offAndOn, 'activeImport', t)), `with supply off, round ${round}`).toEqual(want[1]);
      expect(INSTANTS.map((t) => registerAt(on, 'activeImport', t)), `always on, round ${round}`).toEqual(want[0]);
    }
  });

  it('any meter, epoch, instant and supply history: kept or not, the register is the day-by-day sum', () => {
    const day = (d: Date) => d.getTime();
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
        fc.date({ min: utc('2012-01-01T00:00'), max: utc('2020-01-01T00:00'), noInvalidDate: true }),
        fc.array(fc.date({ min: utc('2012-01-01T00:00'), max: utc('2030-01-01T00:00'), noInvalidDate: true }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.date({ min: utc('2012-01-01T00:00'), max: utc('2030-01-01T00:00'), noInvalidDate: true }), fc.integer({ min: 1, max: 400 * DAY })), { maxLength: 3 }),
        fc.constantFrom<Quantity>('activeImport', 'reactiveImport', 'activeExport', 'reactiveExport'),
        (n, epoch, instants, offs, q) => {
          const eui = n.toString(16).toUpperCase().padStart(16, '0');
          const supplyOff = offs.map(([from, ms]) => ({ from, to: new Date(day(from) + ms) }));
          const m = meterModel({ eui, fuel: 'electricity', epoch, supplyOff });
          const plain = meterModel({ eui, fuel: 'electricity', epoch });
          const want = instants.map((t) => [dayByDay(m, q, t), dayByDay(plain, q, t)]);
          forgetBlockSums();
          const cold = instants.map((t) => [registerAt(m, q, t), registerAt(plain, q, t)]);
          const kept = instants.map((t) => [registerAt(plain, q, t), registerAt(m, q, t)].reverse());
          expect(cold).toEqual(want);
          expect(kept).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });
});
