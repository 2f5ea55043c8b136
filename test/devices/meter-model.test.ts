/**
 * The meter model (devices/meter/) as a user of the simulator sees it: registers that advance with the clock by
 * exactly what the half-hour profile shows, households and seasons that look different, solar export only in
 * daylight, nothing accrued while the supply is off, the same numbers every time, and a prepayment balance that
 * runs out when the model says it will.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signed, signedOfDay } from '../../devices/meter/hash.ts';
import { roundNonNegative } from '../../devices/meter/load.ts';
import {
  HOUSEHOLD_KINDS,
  balanceAt,
  balancesAt,
  balanceCrossing,
  dailyConsumptionLog,
  dailyReadLog,
  daylight,
  gasEnergyKWh,
  halfHour,
  instantaneous,
  maximumDemand,
  meterModel,
  profileRows,
  registerAt,
  tariffRegisters,
  touRegisterAt,
  type HouseholdKind,
  type MeterModel,
  type MeterSpec,
  type Quantity,
  type SwitchingTable,
} from '../../devices/index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EPOCH = new Date('2024-03-10T09:17:00Z');
const eui = (i: number) => (0x90b3d51f30010000n + BigInt(i)).toString(16).toUpperCase();
const elec = (i: number, more: Partial<MeterSpec> = {}) => meterModel({ eui: eui(i), fuel: 'electricity', epoch: EPOCH, ...more });
const gas = (i: number, more: Partial<MeterSpec> = {}) => meterModel({ eui: eui(i), fuel: 'gas', epoch: EPOCH, ...more });
const utc = (s: string) => new Date(`${s}Z`);
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const sum = (xs: readonly { value: number }[]) => xs.reduce((a, r) => a + r.value, 0);
const dayRows = (m: MeterModel, q: Quantity, day: string) => profileRows(m, q, utc(`${day}T00:00`), plus(utc(`${day}T00:00`), DAY));

/** The first of the model's meters that has solar panels, and the first without. */
const solarIndex = Array.from({ length: 200 }, (_, i) => i).find((i) => elec(i).premises.solarKWp > 0)!;
const plainIndex = Array.from({ length: 200 }, (_, i) => i).find((i) => elec(i).premises.solarKWp === 0)!;

/** Mean daily amount over the days [from, from + days). */
function meanDaily(m: MeterModel, q: Quantity, from: string, days: number): number {
  const start = utc(`${from}T00:00`);
  return sum(dailyConsumptionLog(m, q, start, plus(start, days * DAY))) / days;
}

/** The share of a day's amount in the UTC hours [a, b), averaged over the weekdays or weekend days of four weeks. */
function share(m: MeterModel, q: Quantity, from: string, weekend: boolean, a: number, b: number): number {
  let part = 0;
  let all = 0;
  for (let d = 0; d < 28; d++) {
    const start = plus(utc(`${from}T00:00`), d * DAY);
    const wd = start.getUTCDay();
    if ((wd === 0 || wd === 6) !== weekend) continue;
    for (const r of profileRows(m, q, start, plus(start, DAY))) {
      const h = r.start.getUTCHours() + r.start.getUTCMinutes() / 60;
      all += r.value;
      if (h >= a && h < b) part += r.value;
    }
  }
  return part / all;
}

describe('registers and the half-hour profile', () => {
  it('a day later, the import register has grown by exactly the sum of that day\'s 48 half hours', () => {
    for (let i = 0; i < 12; i++) {
      const m = elec(i);
      const midnight = utc('2025-11-04T00:00');
      const rows = dayRows(m, 'activeImport', '2025-11-04');
      expect(rows).toHaveLength(48);
      expect(registerAt(m, 'activeImport', plus(midnight, DAY)) - registerAt(m, 'activeImport', midnight)).toBe(sum(rows));
    }
  });

  it('holds for every quantity, for gas, on the epoch day and on the days the clocks change', () => {
    const cases: [MeterModel, Quantity, string][] = [
      [elec(solarIndex), 'activeExport', '2025-06-21'],
      [elec(solarIndex), 'reactiveExport', '2025-06-21'],
      [elec(3), 'reactiveImport', '2025-01-15'],
      [gas(4), 'gasVolume', '2025-01-15'],
      [elec(5), 'activeImport', '2024-03-10'], // the epoch day: the register starts at 09:17
      [elec(5), 'activeImport', '2025-03-30'], // BST starts
      [gas(6), 'gasVolume', '2025-10-26'], // BST ends
    ];
    for (const [m, q, day] of cases) {
      const midnight = utc(`${day}T00:00`);
      const rows = dayRows(m, q, day);
      expect(registerAt(m, q, plus(midnight, DAY)) - registerAt(m, q, midnight), `${q} ${day}`).toBe(sum(rows));
      expect(sum(rows), `${q} ${day}`).toBeGreaterThan(0);
    }
    // The epoch day's profile starts with the half hour holding the epoch.
    expect(dayRows(elec(5), 'activeImport', '2024-03-10')[0]!.start).toEqual(utc('2024-03-10T09:00'));
  });

  it('is zero at and before the epoch, then integer and never decreasing, minute by minute', () => {
    const m = elec(7);
    expect(registerAt(m, 'activeImport', utc('2020-01-01T00:00'))).toBe(0);
    expect(registerAt(m, 'activeImport', EPOCH)).toBe(0);
    let previous = 0;
    for (let t = EPOCH.getTime(); t < EPOCH.getTime() + 6 * HOUR; t += 60_000) {
      const r = registerAt(m, 'activeImport', new Date(t));
      expect(Number.isInteger(r)).toBe(true);
      expect(r).toBeGreaterThanOrEqual(previous);
      previous = r;
    }
    expect(previous).toBeGreaterThan(0);
    // Within a half hour the register moves steadily, reaching the half hour's amount at its end.
    const slot = halfHour(m, 'activeImport', utc('2025-02-03T18:10'));
    const start = registerAt(m, 'activeImport', slot.start);
    expect(registerAt(m, 'activeImport', plus(slot.start, 15 * 60_000)) - start).toBe(Math.floor(slot.value / 2));
    expect(registerAt(m, 'activeImport', slot.end) - start).toBe(slot.value);
  });

  it('the daily read log holds the registers at each midnight, and the daily consumption log their differences', () => {
    const m = gas(8);
    const log = dailyReadLog(m, utc('2025-12-01T00:00'), utc('2025-12-10T00:00'));
    expect(log.map((r) => r.at)).toEqual(Array.from({ length: 10 }, (_, d) => plus(utc('2025-12-01T00:00'), d * DAY)));
    for (const r of log) expect(r.register).toBe(registerAt(m, 'gasVolume', r.at));
    const days = dailyConsumptionLog(m, 'gasVolume', utc('2025-12-01T00:00'), utc('2025-12-10T00:00'));
    expect(days.map((d) => d.value)).toEqual(log.slice(1).map((r, k) => r.register - log[k]!.register));
    // No midnight before the epoch is logged.
    expect(dailyReadLog(m, utc('2024-03-01T00:00'), utc('2024-03-12T00:00')).map((r) => r.at)).toEqual([utc('2024-03-11T00:00'), utc('2024-03-12T00:00')]);
  });

  it('maximum demand is the highest half hour of the period, with its time', () => {
    const m = elec(9);
    const from = utc('2025-12-01T00:00');
    const to = utc('2025-12-08T00:00');
    const rows = profileRows(m, 'activeImport', from, to);
    const md = maximumDemand(m, 'activeImport', from, to)!;
    const top = Math.max(...rows.map((r) => r.value));
    expect(md.value).toBe(top);
    expect(md.watts).toBe(2 * top);
    expect(rows.find((r) => r.value === top)!.start).toEqual(md.start);
    expect(maximumDemand(m, 'activeImport', from, from)).toBeUndefined();
  });
});

describe('the invariants, for any meter, epoch, supply-off intervals and day', () => {
  const HALF_HOUR = 30 * 60_000;
  const base = utc('2024-01-01T00:00').getTime();
  const arbitraryMeter = fc.record({
    i: fc.integer({ min: 0, max: 1_000_000 }),
    fuel: fc.constantFrom('electricity' as const, 'gas' as const),
    epochMinutes: fc.integer({ min: 0, max: 400 * 24 * 60 }),
    off: fc.array(fc.record({ start: fc.integer({ min: 0, max: 800 * 24 * 60 }), minutes: fc.option(fc.integer({ min: 0, max: 5 * 24 * 60 })) }), { maxLength: 4 }),
  }).map(({ i, fuel, epochMinutes, off }) => meterModel({
    eui: eui(i),
    fuel,
    epoch: new Date(base + epochMinutes * 60_000),
    supplyOff: off.map((o) => ({ from: new Date(base + o.start * 60_000), ...(o.minutes === null ? {} : { to: new Date(base + (o.start + o.minutes) * 60_000) }) })),
  }));
  const quantities = (m: MeterModel): Quantity[] => (m.fuel === 'gas' ? ['gasVolume'] : ['activeImport', 'activeExport', 'reactiveImport', 'reactiveExport']);

  it('a day\'s half hours sum to the register\'s increase over the day, and the register never decreases', () => {
    fc.assert(
      fc.property(arbitraryMeter, fc.integer({ min: 0, max: 820 }), fc.array(fc.integer({ min: 0, max: 86_400_000 }), { minLength: 2, maxLength: 12 }), (m, day, offsets) => {
        const midnight = new Date(base + day * DAY);
        for (const q of quantities(m)) {
          const rows = profileRows(m, q, midnight, plus(midnight, DAY));
          expect(registerAt(m, q, plus(midnight, DAY)) - registerAt(m, q, midnight)).toBe(sum(rows));
          for (const r of rows) {
            if (m.off.some(([a, b]) => a <= r.start.getTime() && r.end.getTime() <= b)) expect(r.value).toBe(0);
          }
          const reads = [...offsets].sort((a, b) => a - b).map((o) => registerAt(m, q, plus(midnight, o)));
          for (const [k, r] of reads.entries()) {
            expect(Number.isInteger(r)).toBe(true);
            if (k > 0) expect(r).toBeGreaterThanOrEqual(reads[k - 1]!);
          }
        }
        expect(profileRows(m, quantities(m)[0]!, midnight, plus(midnight, DAY)).every((r) => r.end.getTime() - r.start.getTime() === HALF_HOUR)).toBe(true);
      }),
      { numRuns: 150, seed: 20261202 },
    );
  });
});

describe('households, seasons and weekdays', () => {
  it('the households of many EUIs cover every shape, and about a fifth of them export', () => {
    const models = Array.from({ length: 400 }, (_, i) => elec(i));
    const kinds = new Set(models.map((m) => m.premises.household));
    expect([...kinds].sort()).toEqual([...HOUSEHOLD_KINDS].sort());
    const exporting = models.filter((m) => m.premises.solarKWp > 0).length;
    expect(exporting).toBeGreaterThan(40);
    expect(exporting).toBeLessThan(120);
    // Gas premises never have storage heaters.
    expect(new Set(Array.from({ length: 200 }, (_, i) => gas(i).premises.household)).has('electricHeating')).toBe(false);
  });

  it('households use different amounts: a small flat least, storage heaters most', () => {
    const daily = (household: HouseholdKind) => meanDaily(elec(11, { household }), 'activeImport', '2025-01-01', 365);
    expect(daily('smallFlat')).toBeLessThan(daily('family'));
    expect(daily('family')).toBeLessThan(daily('electricHeating'));
    // A year of a family is a few thousand kWh.
    expect(daily('family') * 365).toBeGreaterThan(2000_000);
    expect(daily('family') * 365).toBeLessThan(6000_000);
  });

  it('winter days use more than summer days, electric and gas heating much more', () => {
    const ratio = (m: MeterModel, q: Quantity) => meanDaily(m, q, '2025-01-06', 28) / meanDaily(m, q, '2025-07-07', 28);
    expect(ratio(elec(12, { household: 'family' }), 'activeImport')).toBeGreaterThan(1.2);
    expect(ratio(elec(12, { household: 'electricHeating' }), 'activeImport')).toBeGreaterThan(2);
    expect(ratio(gas(12, { household: 'family' }), 'gasVolume')).toBeGreaterThan(3);
  });

  it('weekdays and weekends have different shapes, and a home worker uses the daytime more', () => {
    const family = elec(13, { household: 'family' });
    const worker = elec(13, { household: 'homeWorker' });
    // Weekday mornings start earlier: 06:00-08:00 UTC (winter, so local time) holds more of a weekday than of a weekend day.
    expect(share(family, 'activeImport', '2025-01-06', false, 6, 8)).toBeGreaterThan(share(family, 'activeImport', '2025-01-06', true, 6, 8) * 1.2);
    // On weekdays the home worker's 09:00-16:00 is a larger part of the day than the family's.
    expect(share(worker, 'activeImport', '2025-01-06', false, 9, 16)).toBeGreaterThan(share(family, 'activeImport', '2025-01-06', false, 9, 16) * 1.3);
    // Storage heaters charge at night.
    expect(share(elec(13, { household: 'electricHeating' }), 'activeImport', '2025-01-06', false, 0, 7.5)).toBeGreaterThan(0.4);
    // Gas heating peaks in the morning and evening, with a quiet night.
    const g = gas(13, { household: 'family' });
    expect(share(g, 'gasVolume', '2025-01-06', false, 6, 8)).toBeGreaterThan(4 * share(g, 'gasVolume', '2025-01-06', false, 1, 3));
  });

  it('a summer profile is not a winter one: evenings peak later and lower', () => {
    const m = elec(14, { household: 'family' });
    const evening = (from: string) => share(m, 'activeImport', from, false, 16, 19);
    expect(evening('2025-01-06')).toBeGreaterThan(evening('2025-07-07'));
  });
});

describe('export', () => {
  it('an exporting premises exports only in daylight, more in summer than in winter', () => {
    const m = elec(solarIndex);
    for (const day of ['2025-06-21', '2025-12-21', '2025-03-20']) {
      const { sunrise, sunset } = daylight(utc(`${day}T12:00`));
      const rows = dayRows(m, 'activeExport', day);
      expect(sum(rows)).toBeGreaterThan(0);
      for (const r of rows) {
        const mid = r.start.getTime() + 15 * 60_000;
        if (r.value > 0) {
          expect(mid).toBeGreaterThan(sunrise.getTime());
          expect(mid).toBeLessThan(sunset.getTime());
        }
        if (r.start.getUTCHours() < 3 || r.start.getUTCHours() >= 21) expect(r.value).toBe(0);
      }
    }
    expect(meanDaily(m, 'activeExport', '2025-06-01', 30)).toBeGreaterThan(2.5 * meanDaily(m, 'activeExport', '2025-12-01', 30));
  });

  it('a premises without panels never exports', () => {
    const m = elec(plainIndex);
    expect(registerAt(m, 'activeExport', utc('2026-01-01T00:00'))).toBe(0);
    expect(registerAt(m, 'reactiveExport', utc('2026-01-01T00:00'))).toBe(0);
  });

  it('export shows in the instantaneous values at a sunny noon and never at night', () => {
    const m = elec(solarIndex);
    const noons = Array.from({ length: 30 }, (_, d) => instantaneous(m, plus(utc('2025-06-01T12:10'), d * DAY)));
    expect(noons.some((v) => v.activeExportW > 0)).toBe(true);
    expect(instantaneous(m, utc('2025-06-15T01:10')).activeExportW).toBe(0);
  });
});

describe('supply off', () => {
  const from = utc('2025-01-10T10:12');
  const to = utc('2025-01-11T07:40');

  it('nothing accrues while the supply is off, and the rest of the day is as before', () => {
    const on = elec(20);
    const off = elec(20, { supplyOff: [{ from, to }] });
    for (const q of ['activeImport', 'reactiveImport'] as const) {
      expect(registerAt(off, q, to)).toBe(registerAt(off, q, from));
      expect(registerAt(off, q, from)).toBe(registerAt(on, q, from));
    }
    const rows = profileRows(off, 'activeImport', utc('2025-01-10T00:00'), utc('2025-01-12T00:00'));
    const before = profileRows(on, 'activeImport', utc('2025-01-10T00:00'), utc('2025-01-12T00:00'));
    for (const [k, r] of rows.entries()) {
      const s = r.start.getTime();
      if (s >= from.getTime() && s + 30 * 60_000 <= to.getTime()) expect(r.value).toBe(0);
      if (s + 30 * 60_000 <= from.getTime() || s >= to.getTime()) expect(r.value).toBe(before[k]!.value);
      if (s < from.getTime() && s + 30 * 60_000 > from.getTime()) expect(r.value).toBeLessThan(before[k]!.value);
    }
    // The profile still sums to the register's increase on the days of the interval.
    for (const day of ['2025-01-10', '2025-01-11']) {
      const midnight = utc(`${day}T00:00`);
      expect(registerAt(off, 'activeImport', plus(midnight, DAY)) - registerAt(off, 'activeImport', midnight)).toBe(sum(dayRows(off, 'activeImport', day)));
    }
    expect(instantaneous(off, utc('2025-01-10T18:00')).activeImportW).toBe(0);
    expect(instantaneous(off, utc('2025-01-10T18:00')).currentA).toBe(0);
    expect(instantaneous(on, utc('2025-01-10T18:00')).activeImportW).toBeGreaterThan(0);
  });

  it('a closed gas valve stops the volume register, for good when it is not reopened', () => {
    const m = gas(21, { supplyOff: [{ from }] });
    expect(registerAt(m, 'gasVolume', utc('2027-01-01T00:00'))).toBe(registerAt(m, 'gasVolume', from));
    expect(registerAt(m, 'gasVolume', from)).toBe(registerAt(gas(21), 'gasVolume', from));
  });

  it('overlapping intervals, given in any order, count once', () => {
    const a = elec(22, { supplyOff: [{ from: utc('2025-02-01T12:00'), to: utc('2025-02-02T00:00') }, { from: utc('2025-02-01T06:00'), to: utc('2025-02-01T18:00') }] });
    const b = elec(22, { supplyOff: [{ from: utc('2025-02-01T06:00'), to: utc('2025-02-02T00:00') }] });
    expect(registerAt(a, 'activeImport', utc('2025-03-01T00:00'))).toBe(registerAt(b, 'activeImport', utc('2025-03-01T00:00')));
  });
});

describe('determinism', () => {
  it('the same EUI gives the same numbers; another EUI does not', () => {
    const read = (m: MeterModel) => [
      registerAt(m, 'activeImport', utc('2026-05-05T13:13')),
      registerAt(m, 'reactiveImport', utc('2026-05-05T13:13')),
      ...dayRows(m, 'activeImport', '2026-05-04').map((r) => r.value),
      instantaneous(m, utc('2026-05-05T13:13')),
    ];
    expect(read(elec(30))).toEqual(read(elec(30)));
    expect(read(elec(31))).not.toEqual(read(elec(30)));
    // The EUI is read case-insensitively, and a premises key ties two meters to one household.
    expect(meterModel({ eui: eui(30).toLowerCase(), fuel: 'electricity', epoch: EPOCH }).premises).toEqual(elec(30).premises);
    expect(elec(32, { premisesKey: 'MPAN 1200012345678' }).premises).toEqual(elec(33, { premisesKey: 'MPAN 1200012345678' }).premises);
  });

  it("a day's noise in the summing loop (signedOfDay) is signed's, for any seed, day number and slot", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 300 }), (seed, day, b) => {
        expect(signedOfDay(seed, day, b)).toBe(signed(seed, day, b));
      }),
    );
  });

  it("the day loop's rounding (roundNonNegative) is Math.round's for every non-negative double below 2^52", () => {
    const edges = [0, 0.5, 0.49999999999999994, 0.5000000000000001, 1.5, 2.5, 2 ** 52 - 0.5, 2 ** 52 - 1, 4503599627370495.5, 1e-300, 5e-324];
    for (let k = 0; k < 2000; k++) edges.push(k + 0.5, k + 0.5 - 2 ** -40, k + 0.49999999999999994, (k + 0.5) * (1 + Number.EPSILON));
    for (const x of edges) expect(roundNonNegative(x), String(x)).toBe(Math.round(x));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2 ** 52, maxExcluded: true, noNaN: true }), (x) => {
        expect(roundNonNegative(x)).toBe(Math.round(x));
      }),
      { numRuns: 20_000 },
    );
  });

  it('pins a few figures, so that a change to the model is a visible decision', () => {
    const m = elec(0);
    expect({
      household: m.premises.household,
      solarKWp: m.premises.solarKWp,
      import2025: registerAt(m, 'activeImport', utc('2026-01-01T00:00')) - registerAt(m, 'activeImport', utc('2025-01-01T00:00')),
      gas2025: registerAt(gas(0), 'gasVolume', utc('2026-01-01T00:00')) - registerAt(gas(0), 'gasVolume', utc('2025-01-01T00:00')),
    }).toMatchInlineSnapshot(`
      {
        "gas2025": 697732,
        "household": "family",
        "import2025": 4383589,
        "solarKWp": 0,
      }
    `);
  });
});

describe('instantaneous values', () => {
  it('voltage is near 230 V within the statutory limits, and the current follows power, voltage and power factor', () => {
    for (let i = 0; i < 40; i++) {
      const v = instantaneous(elec(i), plus(utc('2025-03-03T00:07'), i * 37 * 60_000));
      expect(v.voltageV).toBeGreaterThanOrEqual(216.2);
      expect(v.voltageV).toBeLessThanOrEqual(253);
      const p = v.activeImportW + v.activeExportW;
      expect(v.currentA).toBeCloseTo(p / (v.voltageV * v.powerFactor), 1);
    }
  });

  it('active power is close to the half hour\'s mean', () => {
    const m = elec(40);
    const slot = halfHour(m, 'activeImport', utc('2025-01-20T18:05'));
    const minutes = Array.from({ length: 30 }, (_, k) => instantaneous(m, plus(slot.start, k * 60_000)).activeImportW);
    const mean = minutes.reduce((a, b) => a + b, 0) / 30;
    expect(mean).toBeGreaterThan(slot.value * 2 * 0.9);
    expect(mean).toBeLessThan(slot.value * 2 * 1.1);
  });
});

describe('time-of-use and block registers', () => {
  const switching: SwitchingTable = {
    weekday: [{ start: '00:00', register: 1 }, { start: '07:00', register: 2 }, { start: '16:00', register: 3 }, { start: '19:00', register: 2 }, { start: '23:00', register: 1 }],
    weekend: [{ start: '00:00', register: 1 }, { start: '08:00', register: 2 }],
  };
  const activeFrom = utc('2025-01-06T00:00');

  it('the TOU registers share out the import since the tariff took effect, by the switching table', () => {
    const m = elec(50);
    const at = utc('2025-01-20T10:20');
    const r = tariffRegisters(m, { switching, activeFrom }, at);
    expect(r.tou).toHaveLength(48);
    expect(r.tou.reduce((a, b) => a + b, 0)).toBe(registerAt(m, 'activeImport', at) - registerAt(m, 'activeImport', activeFrom));
    // Register 3 counts exactly the weekday half hours from 16:00 to 19:00.
    const rows = profileRows(m, 'activeImport', activeFrom, utc('2025-01-20T00:00'));
    const peak = rows.filter((row) => touRegisterAt(switching, row.start) === 3);
    expect(peak).toHaveLength(10 * 6);
    expect(r.tou[2]).toBe(sum(peak));
    expect(r.tou.slice(3).every((v) => v === 0)).toBe(true);
  });

  it('block registers fill block 1 of a rate up to its threshold, then block 2, and the counters restart at a reset', () => {
    const m = elec(51);
    const reset = utc('2025-01-13T00:00');
    const tariff = { switching, activeFrom, blockThresholds: [[2_000, 5_000], [8_000]], blockCounterResets: [reset] };
    const before = tariffRegisters(m, tariff, reset);
    const night = before.tou[0]!;
    expect(night).toBeGreaterThan(5_000); // the test needs a full first and second block
    expect(before.blocks[0]).toEqual([2_000, 3_000, night - 5_000, 0]);
    // At the reset the counters are back to zero; the registers are not.
    expect(before.blockCounters[0]).toEqual([0, 0, 0, 0]);
    expect(tariffRegisters(m, tariff, plus(reset, -1)).blockCounters[0]).toEqual(before.blocks[0]);
    const later = tariffRegisters(m, tariff, utc('2025-01-14T00:00'));
    const nightSince = later.tou[0]! - night;
    expect(nightSince).toBeGreaterThan(0);
    expect(later.blockCounters[0]).toEqual([Math.min(2_000, nightSince), Math.max(0, Math.min(3_000, nightSince - 2_000)), Math.max(0, nightSince - 5_000), 0]);
    expect(later.blocks[0]!.reduce((a, b) => a + b, 0)).toBe(later.tou[0]);
    // Rate 3 has no thresholds: all of it is block 1.
    expect(later.blocks[2]).toEqual([later.tou[2], 0, 0, 0]);
  });

  it('the daily read log carries the tariff registers at each midnight', () => {
    const m = gas(52);
    const tariff = { switching, activeFrom };
    const log = dailyReadLog(m, utc('2025-01-07T00:00'), utc('2025-01-09T00:00'), { tariff });
    for (const row of log) expect(row.tariff).toEqual(tariffRegisters(m, tariff, row.at));
  });

  it('refuses a switching table it cannot read', () => {
    const m = elec(53);
    expect(() => tariffRegisters(m, { switching: { weekday: [{ start: '00:10', register: 1 }] } }, utc('2025-01-07T00:00'))).toThrow(RangeError);
    expect(() => tariffRegisters(m, { switching: { weekday: [{ start: '00:00', register: 49 }] } }, utc('2025-01-07T00:00'))).toThrow(RangeError);
    expect(() => tariffRegisters(m, { switching: { weekday: [{ start: '00:00', register: 9 }] }, blockThresholds: [[1]] }, utc('2025-01-07T00:00'))).toThrow(RangeError);
    expect(() => registerAt(m, 'gasVolume', utc('2025-01-07T00:00'))).toThrow(RangeError);
  });
});

describe('prepayment balance', () => {
  const from = utc('2025-02-03T08:00');

  it('drains with consumption and the standing charge, and crosses zero when the model predicts', () => {
    for (const m of [elec(60), elec(61), gas(62)]) {
      const terms = { from, balance: 1500, standingChargePerDay: 45, price: m.fuel === 'gas' ? 7 : 27 };
      const crossing = balanceCrossing(m, terms, 0, plus(from, 60 * DAY))!;
      expect(crossing).toBeDefined();
      expect(balanceAt(m, terms, crossing)).toBeLessThanOrEqual(0);
      expect(balanceAt(m, terms, plus(crossing, -1))).toBeGreaterThan(0);
      // The balance falls all the way: at each midnight it is lower than the one before.
      let previous = Infinity;
      for (let t = from.getTime(); t < crossing.getTime(); t += DAY) {
        const b = balanceAt(m, terms, new Date(t));
        expect(b).toBeLessThan(previous);
        previous = b;
      }
      // A low-credit threshold is crossed before zero.
      expect(balanceCrossing(m, terms, 300, plus(from, 60 * DAY))!.getTime()).toBeLessThan(crossing.getTime());
      // Too short a horizon: no crossing.
      expect(balanceCrossing(m, terms, 0, plus(crossing, -1))).toBeUndefined();
    }
  });

  it('with the supply off only the standing charge drains, so zero comes exactly balance / charge days later', () => {
    const m = elec(63, { supplyOff: [{ from: utc('2025-02-01T00:00') }] });
    const terms = { from, balance: 100, standingChargePerDay: 40, price: 30 };
    expect(balanceCrossing(m, terms, 0, plus(from, 30 * DAY))).toEqual(plus(from, 2.5 * DAY));
    expect(balanceAt(m, terms, plus(from, DAY))).toBeCloseTo(60, 9);
  });

  it('a cheap night rate makes the credit last longer than the day rate everywhere', () => {
    const m = elec(64, { household: 'electricHeating' });
    const switching: SwitchingTable = { weekday: [{ start: '00:00', register: 1 }, { start: '07:30', register: 2 }] };
    const tou = { from, balance: 3000, standingChargePerDay: 50, price: { switching, perRegister: [12, 30] } };
    const flat = { from, balance: 3000, standingChargePerDay: 50, price: 30 };
    const horizon = plus(from, 90 * DAY);
    expect(balanceCrossing(m, tou, 0, horizon)!.getTime()).toBeGreaterThan(balanceCrossing(m, flat, 0, horizon)!.getTime());
    const crossing = balanceCrossing(m, tou, 0, horizon)!;
    expect(balanceAt(m, tou, crossing)).toBeLessThanOrEqual(0);
    expect(balanceAt(m, tou, plus(crossing, -1))).toBeGreaterThan(0);
  });

  it('the balances at several instants, in one walk, are each exactly what balanceAt gives: flat, TOU and block prices', () => {
    const m = elec(66, { household: 'electricHeating' });
    const switching: SwitchingTable = { weekday: [{ start: '00:00', register: 1 }, { start: '07:30', register: 2 }] };
    const prices = [27, { switching, perRegister: [12, 30] }, { registerOf: () => 1, perRegister: [{ counter: 500, thresholds: [4000, 9000], prices: [10, 20, 35] }] }];
    const instants = [from, plus(from, 0.3 * DAY), plus(from, DAY), plus(from, DAY), plus(from, 4.7 * DAY), plus(from, 30 * DAY)];
    for (const price of prices) {
      const terms = { from, balance: 5000, standingChargePerDay: 40, price };
      expect(balancesAt(m, terms, instants)).toEqual(instants.map((t) => balanceAt(m, terms, t)));
    }
    expect(() => balancesAt(m, { from, balance: 0, standingChargePerDay: 0, price: 1 }, [plus(from, DAY), from])).toThrow(RangeError);
  });

  it('gas is charged by energy: volume × calorific value × 1.02264 / 3.6', () => {
    expect(gasEnergyKWh(1000)).toBeCloseTo(11.2206, 4);
    const m = gas(65);
    const terms = { from, balance: 1000, standingChargePerDay: 0, price: 10 };
    const at = plus(from, 3 * DAY);
    const used = registerAt(m, 'gasVolume', at) - registerAt(m, 'gasVolume', from);
    expect(balanceAt(m, terms, at)).toBeCloseTo(1000 - 10 * gasEnergyKWh(used), 9);
  });
});
