/**
 * The load model: how much a premises imports, exports or burns each UTC day (an O(1) formula of the day), and how
 * a day's amount spreads over its 48 half hours (the day's shape). Amounts are integers (Wh, varh, dm³): a day's
 * total is rounded first, then apportioned over the slots by cumulative rounding, so the 48 slots always sum to the
 * day exactly. This is the "nominal" consumption, as if the supply were always on; model.ts removes supply-off time.
 */
import { seedOf, signed, signedOfDay, unit } from './hash.ts';
import type { HouseholdKind, Premises } from './premises.ts';
import { DAY_MS, SLOTS_PER_DAY, SLOT_MS, YEAR_DAYS, isWeekend, ukClockOffset, weekdayOf, yearPhase } from './time.ts';

/**
 * What a register counts. Electricity: active import/export energy in Wh, reactive import/export energy in varh.
 * Gas: volume in dm³ (litres; 1000 to the m³).
 */
export type Quantity = 'activeImport' | 'activeExport' | 'reactiveImport' | 'reactiveExport' | 'gasVolume';

export const ELECTRICITY_QUANTITIES: readonly Quantity[] = ['activeImport', 'activeExport', 'reactiveImport', 'reactiveExport'];

// --- weather, shared by every premises (one region) ----------------------------------------------------------------

const WEATHER = seedOf('dcc-sim:weather');
/** Base temperature (°C) of heating degree days. */
const HDD_BASE = 15.5;

/** Daily mean temperature (°C): a seasonal cycle coldest about 20 January, and a weather anomaly that persists a few days. */
function computeAnomaly(day: number): number {
  const n = (d: number) => signed(WEATHER, d, 1);
  return 4 * (0.5 * n(day) + 0.3 * n(day - 1) + 0.2 * n(day - 2));
}

function normalTemperature(day: number): number {
  return 10.5 - 6 * Math.cos(yearPhase(day, 19));
}

/**
 * The regional facts of each day (weather, seasonal cycles) are the same for every premises: they are computed
 * once per day and kept, for the days of 1990 … 2099 (other days are computed each time). A read of a register
 * then costs a few multiplications and one hash per day.
 */
const FIRST_CACHED_DAY = Date.UTC(1990, 0, 1) / DAY_MS;
const CACHED_DAYS = Date.UTC(2100, 0, 1) / DAY_MS - FIRST_CACHED_DAY;
const cachedTemperature = new Float64Array(CACHED_DAYS).fill(NaN);
const cachedAnomaly = new Float64Array(CACHED_DAYS).fill(NaN);
const cachedSeason = new Float64Array(CACHED_DAYS).fill(NaN);

/** The day's weather anomaly: how much warmer (°C) than normal for the time of year. */
function anomaly(day: number): number {
  const k = day - FIRST_CACHED_DAY;
  if (!(k >= 0 && k < CACHED_DAYS)) return computeAnomaly(day);
  let v = cachedAnomaly[k]!;
  if (Number.isNaN(v)) v = cachedAnomaly[k] = computeAnomaly(day);
  return v;
}

export function temperature(day: number): number {
  const k = day - FIRST_CACHED_DAY;
  if (!(k >= 0 && k < CACHED_DAYS)) return normalTemperature(day) + anomaly(day);
  let v = cachedTemperature[k]!;
  if (Number.isNaN(v)) v = cachedTemperature[k] = normalTemperature(day) + anomaly(day);
  return v;
}

/** cos of the yearly phase peaking on 15 January: 1 in mid-winter, -1 in mid-summer. */
function season(day: number): number {
  const k = day - FIRST_CACHED_DAY;
  if (!(k >= 0 && k < CACHED_DAYS)) return Math.cos(yearPhase(day, 14));
  let v = cachedSeason[k]!;
  if (Number.isNaN(v)) v = cachedSeason[k] = Math.cos(yearPhase(day, 14));
  return v;
}

export function heatingDegrees(day: number): number {
  return Math.max(0, HDD_BASE - temperature(day));
}

/** 0 overcast … 1 clear sky, persisting a little from the day before. */
export function clearness(day: number): number {
  return 0.6 * unit(WEATHER, day, 2) + 0.4 * unit(WEATHER, day - 1, 2);
}

/**
 * The regional factors a run of days multiplies by, kept for whole 64-day blocks of the cached days: a meter's first
 * read sums ~4,700 days, and a loop that calls season() and anomaly() per day is not inlined whole by V8, which then
 * boxes its doubles (~300 instructions a day, bench/measurements.md). Each entry is the same expression of the same
 * day as the per-day functions compute, so the sums are the same.
 */
const REGIONAL_BLOCK = 64;
const regionalFilled = new Uint8Array(Math.ceil(CACHED_DAYS / REGIONAL_BLOCK));
/** 1 - 0.015 × anomaly: the import's weather factor */
const cachedWeatherFactor = new Float64Array(CACHED_DAYS);
const cachedHeatingDegrees = new Float64Array(CACHED_DAYS);
/** the solar yield's peak sun hours and sky factor */
const cachedPeakSunHours = new Float64Array(CACHED_DAYS);
const cachedSky = new Float64Array(CACHED_DAYS);

/** Whether days [start, start + days) are all cached days; if so, their regional factors are filled in. */
function regionalDays(start: number, days: number): boolean {
  const k0 = start - FIRST_CACHED_DAY;
  const k1 = k0 + days;
  if (!(k0 >= 0 && k1 <= CACHED_DAYS)) return false;
  for (let b = Math.floor(k0 / REGIONAL_BLOCK); b * REGIONAL_BLOCK < k1; b++) {
    if (regionalFilled[b]) continue;
    for (let k = b * REGIONAL_BLOCK; k < Math.min(CACHED_DAYS, (b + 1) * REGIONAL_BLOCK); k++) {
      const day = k + FIRST_CACHED_DAY;
      season(day);
      cachedWeatherFactor[k] = 1 - 0.015 * anomaly(day);
      cachedHeatingDegrees[k] = heatingDegrees(day);
      cachedPeakSunHours[k] = peakSunHours(day);
      cachedSky[k] = sky(day);
    }
    regionalFilled[b] = 1;
  }
  return true;
}

/** Heating degree days of an average year, measured on the model's own weather (four years from 2020). */
const HDD_PER_YEAR = (() => {
  let sum = 0;
  const from = Date.UTC(2020, 0, 1) / DAY_MS;
  for (let d = from; d < from + 1461; d++) sum += heatingDegrees(d);
  return (sum / 1461) * YEAR_DAYS;
})();

/** 1 in mid-January, 0 in mid-July. */
function winterness(day: number): number {
  return 0.5 + 0.5 * season(day);
}

// --- the sun, for the solar shape (a UK midlands site, 52.5° N 1.5° W) --------------------------------------------

const LATITUDE = (52.5 * Math.PI) / 180;
const LONGITUDE_HOURS = -1.5 / 15;

function declination(day: number): number {
  return ((-23.44 * Math.PI) / 180) * Math.cos(yearPhase(day, -10));
}

/** Sine of the sun's elevation at an instant. */
export function sunElevationSine(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const hours = (ms - day * DAY_MS) / 3_600_000;
  const d = declination(day);
  const hourAngle = ((hours + LONGITUDE_HOURS - 12) * Math.PI) / 12;
  return Math.sin(LATITUDE) * Math.sin(d) + Math.cos(LATITUDE) * Math.cos(d) * Math.cos(hourAngle);
}

/** Sunrise and sunset (ms) of a UTC day at the model's site, where the sun's centre crosses the horizon. */
export function sunTimes(day: number): { sunrise: number; sunset: number } {
  const d = declination(day);
  const halfDayHours = (Math.acos(-Math.tan(LATITUDE) * Math.tan(d)) * 12) / Math.PI;
  const noon = day * DAY_MS + (12 - LONGITUDE_HOURS) * 3_600_000;
  return { sunrise: Math.round(noon - halfDayHours * 3_600_000), sunset: Math.round(noon + halfDayHours * 3_600_000) };
}

// --- daily totals ---------------------------------------------------------------------------------------------------

const SEASONAL_SWING: Record<HouseholdKind, number> = { smallFlat: 0.18, family: 0.22, electricHeating: 0.1, homeWorker: 0.28 };
/** Weekend day relative to the week's average day, electricity and gas. */
const WEEKEND_ELECTRICITY: Record<HouseholdKind, number> = { smallFlat: 1.06, family: 1.12, electricHeating: 1.05, homeWorker: 0.94 };
const WEEKEND_GAS: Record<HouseholdKind, number> = { smallFlat: 1.05, family: 1.08, electricHeating: 1.08, homeWorker: 0.9 };

function weekFactor(weekendFactor: number, day: number): number {
  return isWeekend(day) ? weekendFactor : (7 - 2 * weekendFactor) / 5;
}

/**
 * What importOfDay needs of a premises, whatever the day: looked up once for a run of days (a meter's first read sums
 * ~4,700 of them; a keyed lookup of the household's factors per day was most of a day's cost, bench/measurements.md).
 */
interface ImportTerms {
  readonly perDay: number;
  readonly swing: number;
  readonly weekend: number;
  readonly weekday: number;
  /** electric heating: the heating part's factor of the day's heating degrees; 0 otherwise */
  readonly heatingPerDegree: number;
}

/**
 * Kept per premises object: a register read asks for them once per 64-day block (~80 times), and each time looked
 * the household up by a string key in two Records (megamorphic keyed loads, ~60,000 instructions a read).
 */
const importTermsOf = new WeakMap<Premises, ImportTerms>();

function importTerms(p: Premises): ImportTerms {
  let t = importTermsOf.get(p);
  if (t === undefined) {
    const weekend = WEEKEND_ELECTRICITY[p.household];
    t = {
      perDay: (p.annual * 1000) / YEAR_DAYS,
      swing: SEASONAL_SWING[p.household],
      weekend,
      weekday: (7 - 2 * weekend) / 5,
      heatingPerDegree: p.household === 'electricHeating' ? 0.55 * p.annual * 1000 : 0,
    };
    importTermsOf.set(p, t);
  }
  return t;
}

/**
 * `signed` held here: run through tsx, an imported function is read through a getter on every call, a tenth of
 * the day loop's time.
 */
const dayNoise = signed;
const dayNoiseOf = signedOfDay;

/** Electricity imported on a day, Wh (nominal), from the premises' terms and whether the day is a weekend day. */
function importOn(p: Premises, t: ImportTerms, day: number, weekendDay: boolean): number {
  const noise = 1 + 0.12 * dayNoise(p.seed, day, 1);
  const week = weekendDay ? t.weekend : t.weekday;
  const seasonal = 1 + t.swing * season(day);
  if (t.heatingPerDegree !== 0) {
    const heating = (t.heatingPerDegree * heatingDegrees(day)) / HDD_PER_YEAR;
    return Math.round((0.45 * t.perDay * seasonal * week + heating) * noise);
  }
  // Cold spells raise the load a little (lighting, kettles, the odd fan heater).
  const weather = 1 - 0.015 * anomaly(day);
  return Math.round(t.perDay * seasonal * week * weather * noise);
}

/** Electricity imported on a day, Wh (nominal). */
function importOfDay(p: Premises, day: number): number {
  return importOn(p, importTerms(p), day, isWeekend(day));
}

function peakSunHours(day: number): number {
  return 3.3 + 2.5 * Math.cos(yearPhase(day, 172));
}

function sky(day: number): number {
  return 0.45 + 0.55 * clearness(day);
}

/** Electricity exported on a day, Wh (nominal): the solar yield of the day times the share not used at home. */
function exportOfDay(p: Premises, day: number): number {
  if (p.solarKWp === 0) return 0;
  return Math.round(1000 * p.solarKWp * peakSunHours(day) * sky(day) * p.exportShare * (1 + 0.08 * signed(p.seed, day, 2)));
}

/** Gas burnt on a day (dm³), and the share of it for hot water and cooking rather than space heating. */
function gasOfDay(p: Premises, day: number): { total: number; hotWater: number } {
  const noise = 1 + 0.1 * signed(p.seed, day, 1);
  const week = weekFactor(WEEKEND_GAS[p.household], day);
  const hotWater = ((0.22 * p.annual * 1000) / YEAR_DAYS) * (1 + 0.15 * season(day)) * week * noise;
  const heating = ((0.78 * p.annual * 1000 * heatingDegrees(day)) / HDD_PER_YEAR) * week * noise;
  return { total: Math.round(hotWater + heating), hotWater: hotWater / Math.max(1e-9, hotWater + heating) };
}

/** The nominal amount of a quantity on a UTC day: an integer, computed in O(1). */
export function nominalDayTotal(p: Premises, q: Quantity, day: number): number {
  switch (q) {
    case 'activeImport':
      return importOfDay(p, day);
    case 'activeExport':
      return exportOfDay(p, day);
    case 'reactiveImport':
      return Math.round(importOfDay(p, day) * p.tanPhiImport);
    case 'reactiveExport':
      return Math.round(exportOfDay(p, day) * p.tanPhiExport);
    case 'gasVolume':
      return gasOfDay(p, day).total;
  }
}

/**
 * Math.round of a non-negative x below 2^52, without its branch on the fraction (the day loop's two roundings a
 * day were mispredicted half the time): floor(x + 0.5) is the same there, x + 0.5 rounding across an integer only
 * for the largest double below 0.5. Every amount the day loop rounds is non-negative (each factor is positive).
 */
export function roundNonNegative(x: number): number {
  return x === 0.49999999999999994 ? 0 : Math.floor(x + 0.5);
}

/**
 * The nominal totals of a quantity and its partner (active and reactive of the same direction) over `days` days
 * from `start`: each day's active amount is computed once for both. Equal to summing nominalDayTotal of each.
 */
export function nominalBlockPair(p: Premises, q: Quantity, partner: Quantity, start: number, days: number): [number, number] {
  const active = q === 'activeImport' || q === 'activeExport' ? q : partner;
  let activeSum = 0;
  let reactiveSum = 0;
  // one loop per direction: a call through a variable holding either function is not inlined
  if (regionalDays(start, days)) {
    // the same expressions as importOn and exportOfDay, the regional factors read from the blocks filled in
    const base = start - FIRST_CACHED_DAY;
    const seed = p.seed;
    if (active === 'activeImport') {
      const { perDay, swing, weekend, weekday: weekdayFactor, heatingPerDegree } = importTerms(p);
      const tanPhi = p.tanPhiImport;
      let weekday = weekdayOf(start);
      if (heatingPerDegree !== 0) {
        for (let i = 0; i < days; i++, weekday = weekday === 6 ? 0 : weekday + 1) {
          const k = base + i;
          const noise = 1 + 0.12 * dayNoiseOf(seed, start + i, 1);
          const week = weekday === 0 || weekday === 6 ? weekend : weekdayFactor;
          const seasonal = 1 + swing * cachedSeason[k]!;
          const a = roundNonNegative((0.45 * perDay * seasonal * week + (heatingPerDegree * cachedHeatingDegrees[k]!) / HDD_PER_YEAR) * noise);
          activeSum += a;
          reactiveSum += roundNonNegative(a * tanPhi);
        }
      } else {
        for (let i = 0; i < days; i++, weekday = weekday === 6 ? 0 : weekday + 1) {
          const k = base + i;
          const noise = 1 + 0.12 * dayNoiseOf(seed, start + i, 1);
          const week = weekday === 0 || weekday === 6 ? weekend : weekdayFactor;
          const a = roundNonNegative(perDay * (1 + swing * cachedSeason[k]!) * week * cachedWeatherFactor[k]! * noise);
          activeSum += a;
          reactiveSum += roundNonNegative(a * tanPhi);
        }
      }
    } else if (p.solarKWp > 0) {
      const peak = 1000 * p.solarKWp;
      const share = p.exportShare;
      const tanPhi = p.tanPhiExport;
      for (let i = 0; i < days; i++) {
        const k = base + i;
        const a = roundNonNegative(peak * cachedPeakSunHours[k]! * cachedSky[k]! * share * (1 + 0.08 * dayNoiseOf(seed, start + i, 2)));
        activeSum += a;
        reactiveSum += roundNonNegative(a * tanPhi);
      }
    }
  } else if (active === 'activeImport') {
    const terms = importTerms(p);
    // the weekday steps along with the day (0 Sunday … 6 Saturday)
    let weekday = weekdayOf(start);
    for (let d = start; d < start + days; d++, weekday = weekday === 6 ? 0 : weekday + 1) {
      const a = importOn(p, terms, d, weekday === 0 || weekday === 6);
      activeSum += a;
      reactiveSum += Math.round(a * p.tanPhiImport);
    }
  } else if (p.solarKWp > 0) {
    for (let d = start; d < start + days; d++) {
      const a = exportOfDay(p, d);
      activeSum += a;
      reactiveSum += Math.round(a * p.tanPhiExport);
    }
  }
  return q === active ? [activeSum, reactiveSum] : [reactiveSum, activeSum];
}

// --- daily shapes ---------------------------------------------------------------------------------------------------

/** A bump centred at hour c (width w hours), wrapping round midnight. */
function bump(h: number, c: number, w: number): number {
  let d = Math.abs(h - c);
  d = Math.min(d, 24 - d);
  return Math.exp(-0.5 * (d / w) ** 2);
}

/** About 1 between hours a and b (a < b), easing in and out over half an hour. */
function plateau(h: number, a: number, b: number): number {
  return 1 / (1 + Math.exp(-(h - a) / 0.15)) / (1 + Math.exp(-(b - h) / 0.15));
}

/** Relative electricity demand at local hour h. */
function electricityShape(kind: HouseholdKind, weekend: boolean, winter: boolean, h: number): number {
  const flat = kind === 'smallFlat' ? 0.8 : 1;
  let v = 0.3;
  v += flat * (weekend ? 1.1 * bump(h, 9.25, 1.2) : bump(h, 7.25, 0.7));
  v += flat * (winter ? 2.0 * bump(h, 18, 1.7) : 1.3 * bump(h, 19.25, 1.7));
  v += 0.6 * bump(h, 21.75, 1);
  if (weekend) v += (kind === 'smallFlat' ? 0.4 : 0.6) * plateau(h, 10, 17);
  else if (kind === 'homeWorker') v += 0.75 * plateau(h, 8.75, 17.5) + 0.6 * bump(h, 12.75, 0.6);
  else v += 0.15 * plateau(h, 9, 16);
  if (kind === 'family' && !weekend) v += 0.5 * bump(h, 16, 1.2);
  if (kind === 'electricHeating') v += (winter ? 4.5 : 1.2) * plateau(h, 0.5, 7.5) + (winter ? 0.8 * bump(h, 17, 1.5) : 0);
  return v;
}

function heatingShape(kind: HouseholdKind, weekend: boolean, h: number): number {
  const daytime = weekend || kind === 'homeWorker' ? 1.2 : kind === 'smallFlat' ? 0.15 : 0.25;
  return 0.03 + 3 * bump(h, 6.75, 0.8) + 2.2 * bump(h, 18.5, 2.2) + daytime * plateau(h, 9, 16);
}

function hotWaterShape(weekend: boolean, h: number): number {
  return 0.03 + 1.6 * bump(h, weekend ? 8.75 : 7, 0.5) + bump(h, 18.25, 0.7) + 0.4 * bump(h, 21.5, 0.5);
}

/** 48 weights by local half hour (slot j covers local hours j/2 … j/2 + 1/2), summing to 1. */
function table(f: (h: number) => number): Float64Array {
  const t = new Float64Array(SLOTS_PER_DAY);
  let sum = 0;
  for (let j = 0; j < SLOTS_PER_DAY; j++) sum += t[j] = f(j / 2 + 0.25);
  for (let j = 0; j < SLOTS_PER_DAY; j++) t[j]! /= sum;
  return t;
}

type Shapes = { readonly summer: Float64Array; readonly winter: Float64Array };
const key = (kind: HouseholdKind, weekend: boolean) => `${kind}/${weekend ? 'weekend' : 'weekday'}`;
const ELECTRICITY_SHAPES = new Map<string, Shapes>();
const HEATING_SHAPES = new Map<string, Float64Array>();
const HOT_WATER_SHAPES = [table((h) => hotWaterShape(false, h)), table((h) => hotWaterShape(true, h))] as const;
for (const kind of ['smallFlat', 'family', 'electricHeating', 'homeWorker'] as const) {
  for (const weekend of [false, true]) {
    ELECTRICITY_SHAPES.set(key(kind, weekend), {
      summer: table((h) => electricityShape(kind, weekend, false, h)),
      winter: table((h) => electricityShape(kind, weekend, true, h)),
    });
    HEATING_SHAPES.set(key(kind, weekend), table((h) => heatingShape(kind, weekend, h)));
  }
}

/** The local half hour (0 … 47) of each UTC slot of a day, following British Summer Time. */
function localSlots(day: number): Int8Array {
  const start = day * DAY_MS;
  const out = new Int8Array(SLOTS_PER_DAY);
  const a = ukClockOffset(start);
  const b = ukClockOffset(start + DAY_MS - 1);
  for (let i = 0; i < SLOTS_PER_DAY; i++) {
    const offset = a === b ? a : ukClockOffset(start + i * SLOT_MS);
    out[i] = (i + 2 * offset) % SLOTS_PER_DAY;
  }
  return out;
}

/** The relative weights of a day's 48 UTC slots for a quantity (not normalised; reactive excluded). */
function dayWeights(p: Premises, q: Exclude<Quantity, 'reactiveImport' | 'reactiveExport'>, day: number): Float64Array {
  const w = new Float64Array(SLOTS_PER_DAY);
  if (q === 'activeExport') {
    for (let i = 0; i < SLOTS_PER_DAY; i++) {
      const s = sunElevationSine(day * DAY_MS + i * SLOT_MS + SLOT_MS / 2);
      w[i] = s > 0 ? s ** 1.2 * (1 + 0.3 * signed(p.seed, day, 200 + i)) : 0;
    }
    return w;
  }
  const local = localSlots(day);
  const weekend = isWeekend(day);
  if (q === 'gasVolume') {
    const share = gasOfDay(p, day).hotWater;
    const hw = HOT_WATER_SHAPES[weekend ? 1 : 0];
    const heat = HEATING_SHAPES.get(key(p.household, weekend))!;
    for (let i = 0; i < SLOTS_PER_DAY; i++) {
      const j = local[i]!;
      w[i] = (share * hw[j]! + (1 - share) * heat[j]!) * (1 + 0.25 * signed(p.seed, day, 100 + i));
    }
    return w;
  }
  const shapes = ELECTRICITY_SHAPES.get(key(p.household, weekend))!;
  const winter = winterness(day);
  for (let i = 0; i < SLOTS_PER_DAY; i++) {
    const j = local[i]!;
    w[i] = ((1 - winter) * shapes.summer[j]! + winter * shapes.winter[j]!) * (1 + 0.35 * signed(p.seed, day, 100 + i));
  }
  return w;
}

/**
 * Splits a non-negative integer total over weights by cumulative rounding: part i is round(total × W(i)) −
 * round(total × W(i − 1)), W being the running share of the weights, and the last running value is the total
 * itself. The parts are non-negative integers, each within 1 of its exact share, and they sum to the total exactly.
 */
export function apportion(total: number, weights: ArrayLike<number>): number[] {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  const out = new Array<number>(n).fill(0);
  if (total === 0 || n === 0) return out;
  if (!(sum > 0)) {
    // No weight at all: spread evenly (the model never asks for this with a non-zero total, but stay exact).
    for (let i = 0; i < n; i++) out[i] = Math.floor(total / n) + (i < total % n ? 1 : 0);
    return out;
  }
  let running = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    running += weights[i]!;
    const upTo = i === n - 1 ? total : Math.round((total * running) / sum);
    out[i] = upTo - previous;
    previous = upTo;
  }
  return out;
}

/** The nominal amounts of a day's 48 UTC half hours (slot i starts at i × 30 min after midnight UTC); they sum to nominalDayTotal. */
export function nominalDaySlots(p: Premises, q: Quantity, day: number): number[] {
  if (q === 'reactiveImport' || q === 'reactiveExport') {
    const active = nominalDaySlots(p, q === 'reactiveImport' ? 'activeImport' : 'activeExport', day);
    return apportion(nominalDayTotal(p, q, day), active);
  }
  const total = nominalDayTotal(p, q, day);
  if (total === 0) return new Array<number>(SLOTS_PER_DAY).fill(0);
  return apportion(total, dayWeights(p, q, day));
}
