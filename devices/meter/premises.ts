/**
 * The premises behind a meter, chosen from a hash of its key (the device EUI unless the caller gives a premises
 * key): the household's shape, how much it uses, whether it has solar panels, its power factor and where it sits
 * on the low-voltage feeder. Everything here is a fixed function of the key.
 */
import { seedOf, unit } from './hash.ts';

export type Fuel = 'electricity' | 'gas';

/**
 * The household shapes. `electricHeating` (storage heaters on an off-peak night rate) only occurs behind
 * electricity meters; a gas meter's household is one of the other three.
 */
export type HouseholdKind = 'smallFlat' | 'family' | 'electricHeating' | 'homeWorker';

export const HOUSEHOLD_KINDS: readonly HouseholdKind[] = ['smallFlat', 'family', 'electricHeating', 'homeWorker'];

export interface Premises {
  readonly fuel: Fuel;
  /** The hash seed of the premises key; every other draw of noise starts from it. */
  readonly seed: number;
  readonly household: HouseholdKind;
  /**
   * Electricity: typical yearly import in kWh. Gas: typical yearly volume in m³. (Both before weather and the
   * daily noise; the average over years is close to it.)
   */
  readonly annual: number;
  /** Peak power of the solar panels in kWp; 0 when the premises does not export. Gas: always 0. */
  readonly solarKWp: number;
  /** Share of the solar generation that is exported rather than used in the home (0.3 … 0.7). */
  readonly exportShare: number;
  /** Reactive to active energy ratio (tan φ) of the import, and of the export (the inverter's). */
  readonly tanPhiImport: number;
  readonly tanPhiExport: number;
  /** Steady offset of this premises' supply voltage from 230 V (its place on the feeder), in volts. */
  readonly voltageOffset: number;
}

/** Yearly import (kWh) or gas volume (m³) of each household shape, before the premises' own ±25 %. */
const ANNUAL: Record<Fuel, Record<HouseholdKind, number>> = {
  electricity: { smallFlat: 1800, family: 3600, electricHeating: 8000, homeWorker: 3200 },
  gas: { smallFlat: 550, family: 1150, electricHeating: 1150, homeWorker: 1300 },
};

/** Share of electricity premises with solar panels. */
export const SOLAR_SHARE = 0.2;

/** The premises of a key (an EUI or a premises identifier) for a meter of `fuel`; `household` overrides the draw. */
export function premisesOf(key: string, fuel: Fuel, household?: HouseholdKind): Premises {
  const seed = seedOf(`${fuel === 'gas' ? 'gas' : 'elec'}:${key.toUpperCase()}`);
  const draw = (n: number) => unit(seed, -1000 - n);
  const h = household ?? pickHousehold(fuel, draw(1));
  if (fuel === 'gas' && h === 'electricHeating') throw new RangeError('a gas meter cannot serve an electrically heated household');
  const annual = Math.round(ANNUAL[fuel][h] * (0.75 + 0.5 * draw(2)));
  const solar = fuel === 'electricity' && draw(3) < SOLAR_SHARE;
  const solarKWp = solar ? Math.round((2.5 + 2 * draw(4)) * 10) / 10 : 0;
  const exportShare = solar ? (h === 'homeWorker' ? 0.3 + 0.2 * draw(5) : 0.45 + 0.25 * draw(5)) : 0;
  const tanPhiImport = h === 'electricHeating' ? 0.08 + 0.07 * draw(6) : 0.15 + 0.2 * draw(6);
  const tanPhiExport = solar ? 0.02 + 0.04 * draw(7) : 0;
  const voltageOffset = Math.round((-4 + 10 * draw(8)) * 10) / 10;
  return Object.freeze({ fuel, seed, household: h, annual, solarKWp, exportShare, tanPhiImport, tanPhiExport, voltageOffset });
}

function pickHousehold(fuel: Fuel, u: number): HouseholdKind {
  if (fuel === 'gas') return u < 0.3 ? 'smallFlat' : u < 0.72 ? 'family' : 'homeWorker';
  return u < 0.28 ? 'smallFlat' : u < 0.63 ? 'family' : u < 0.73 ? 'electricHeating' : 'homeWorker';
}
