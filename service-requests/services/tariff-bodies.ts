/**
 * The DUIS bodies of tariffs and balances (section 1): the XSD's tariff, price, meter balance and payment mode
 * types read from a checked tree and written back. Shared by the section's modules; the GBCS they become is in
 * tariff-commands.ts.
 */
import type { Element } from '@xmldom/xmldom';
import { bodyKit, type BodyCodec } from '../duis/index.ts';

const { Sequence, StructureError, checkAttributes, readBoolean, readDateTime, readInteger, readString, readStringEnum, el, textEl, writeExecution } = bodyKit;

// ---------------------------------------------------------------- values

/** A date pattern as DUIS and GBCS give it: an absent field is "not specified" (a wildcard). */
export interface DatePattern {
  year?: number;
  month?: number;
  /** 1-31, or the last / second-last day of the month (electricity only) */
  dayOfMonth?: number | 'last' | 'secondLast';
  /** 1 Monday .. 7 Sunday */
  dayOfWeek?: number;
}

/** xs:time as a switching time: hours, minutes, seconds, hundredths (UTC). */
export interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
}

export interface Indexed {
  index: number;
  value: number;
}

export interface WeekProfile {
  weekName: number;
  /** the day profile of each day, Monday first (ReferencedDayName index 1-7) */
  days: number[];
}

export interface SpecialDay {
  date: DatePattern;
  dayName: number;
}

export type ElecTariffAction = { tou: number } | { block: number };

export interface ElecDayProfile {
  dayName: number;
  schedule: { start: TimeOfDay; action: ElecTariffAction }[];
}

export interface ElecSeason {
  name: string;
  start: DatePattern;
  weekName: number;
}

export interface ElecSwitchingTable {
  dayProfiles: ElecDayProfile[];
  weekProfiles: WeekProfile[];
  seasons: ElecSeason[];
}

export type Currency = 'GBP' | 'ECB';

export interface ElecTariffElements {
  kind: 'electricity';
  currency: Currency;
  switching: ElecSwitchingTable;
  specialDays: SpecialDay[];
  /** block thresholds of each of the 8 TOU threshold sets, in index order */
  thresholds: number[][];
}

export interface GasTariffElements {
  kind: 'gas';
  switching: {
    dayProfiles: { dayName: number; action: { tou: number } | 'block' }[];
    weekProfiles: WeekProfile[];
    seasons: { start: DatePattern; weekName: number }[];
  };
  specialDays: SpecialDay[];
  thresholds: Indexed[];
}

export interface ElecBlockPrices {
  /** the TOU threshold set (1-8) */
  index: number;
  prices: Indexed[];
}

export interface ElecPricePrimary {
  kind: 'electricity';
  standingCharge: number;
  standingChargeScale: number;
  priceScale: number;
  tariff: 'block' | 'tou' | 'hybrid';
  blockPrices: ElecBlockPrices[];
  touPrices: Indexed[];
}

export interface GasPrice {
  kind: 'gas';
  currency: Currency;
  standingCharge: number;
  tariff: { kind: 'block'; prices: Indexed[]; numberOfThresholds: number } | { kind: 'tou'; prices: Indexed[] };
}

export type PricePrimary = ElecPricePrimary | GasPrice;

export interface PriceSecondary {
  priceScale: number;
  prices: Indexed[];
}

// ---------------------------------------------------------------- readers

function int(e: Element, path: string, min: number, max: number, what: string): number {
  return Number(readInteger(e, path, BigInt(min), BigInt(max), what));
}

function indexed(e: Element, path: string, maxIndex: number, min: number, max: number, what: string): Indexed {
  checkAttributes(e, path, ['index']);
  const raw = e.getAttribute('index') ?? '';
  const index = Number(raw);
  if (!/^\s*\+?\d+\s*$/.test(raw) || index < 1 || index > maxIndex) throw new StructureError(`${path}/@index: ${JSON.stringify(raw)} is not 1..${maxIndex}`);
  const clone = e.cloneNode(true) as Element;
  clone.removeAttribute('index');
  return { index, value: int(clone, path, min, max, what) };
}

function byIndex<T extends { index: number }>(items: T[], path: string): T[] {
  const seen = new Set<number>();
  for (const i of items) {
    if (seen.has(i.index)) throw new StructureError(`${path}: index ${i.index} occurs twice`);
    seen.add(i.index);
  }
  return [...items].sort((a, b) => a.index - b.index);
}

function choiceOf(e: Element, path: string, names: readonly string[]): [string, Element] {
  const s = new Sequence(e, path);
  const c = s.peek();
  if (!c || !names.includes(c.localName ?? '')) throw new StructureError(`${path}: expected one of ${names.map((n) => `sr:${n}`).join(', ')}`);
  s.take();
  s.end();
  return [c.localName!, c];
}

function empty(e: Element, path: string): void {
  checkAttributes(e, path);
  new Sequence(e, path).end();
}

const MAX_INT = 2147483647;

function readDate(e: Element, path: string, gas: boolean): DatePattern {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const n = gas
    ? { y: 'GasYearWithWildcards', m: 'GasMonthWithWildcards', d: 'GasDayOfMonthWithWildcards', w: 'GasDayOfWeekWithWildcards' }
    : { y: 'Year', m: 'Month', d: 'DayOfMonth', w: 'DayOfWeek' };
  const out: DatePattern = {};
  const [yn, y] = choiceOf(s.required(n.y), `${path}/sr:${n.y}`, ['SpecifiedYear', 'NonSpecifiedYear']);
  if (yn === 'SpecifiedYear') out.year = int(y, `${path}/sr:${n.y}/sr:SpecifiedYear`, 2014, 9999, 'year');
  else empty(y, `${path}/sr:${n.y}/sr:NonSpecifiedYear`);
  const [mn, m] = choiceOf(s.required(n.m), `${path}/sr:${n.m}`, ['SpecifiedMonth', 'NonSpecifiedMonth']);
  if (mn === 'SpecifiedMonth') out.month = int(m, `${path}/sr:${n.m}/sr:SpecifiedMonth`, 1, 12, 'month');
  const dayChoices = gas ? ['SpecifiedDayOfMonth', 'GasNonSpecifiedDayOfMonth'] : ['SpecifiedDayOfMonth', 'LastDayOfMonth', 'SecondLastDayOfMonth', 'NonSpecifiedDayOfMonth'];
  const [dn, d] = choiceOf(s.required(n.d), `${path}/sr:${n.d}`, dayChoices);
  if (dn === 'SpecifiedDayOfMonth') out.dayOfMonth = int(d, `${path}/sr:${n.d}/sr:SpecifiedDayOfMonth`, 1, 31, 'day of month');
  else if (dn === 'LastDayOfMonth') out.dayOfMonth = 'last';
  else if (dn === 'SecondLastDayOfMonth') out.dayOfMonth = 'secondLast';
  const [wn, w] = choiceOf(s.required(n.w), `${path}/sr:${n.w}`, ['SpecifiedDayOfWeek', 'NonSpecifiedDayOfWeek']);
  if (wn === 'SpecifiedDayOfWeek') out.dayOfWeek = int(w, `${path}/sr:${n.w}/sr:SpecifiedDayOfWeek`, 1, 7, 'day of week');
  s.end();
  return out;
}

const TIME_RE = /^\s*(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]00:00)?\s*$/;

function readTime(e: Element, path: string): TimeOfDay {
  checkAttributes(e, path);
  const text = e.textContent ?? '';
  const m = TIME_RE.exec(text);
  // Devices switch in UTC: a time with another offset would have to be moved across midnight, which DUIS does not ask for.
  if (!m) throw new StructureError(`${path}: ${JSON.stringify(text)} is not an xs:time in UTC (hh:mm:ss[.ss][Z])`);
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (hour > 23 || minute > 59 || second > 59) throw new StructureError(`${path}: ${JSON.stringify(text)} is not a time of day`);
  return { hour, minute, second, hundredths: m[4] ? Math.floor(Number(`0.${m[4]}`) * 100) : 0 };
}

function readWeekProfiles(e: Element, path: string, max: number, maxDay: number): WeekProfile[] {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const out = s.repeated('WeekProfile', 1, max).map((w, i) => {
    const p = `${path}/sr:WeekProfile[${i + 1}]`;
    checkAttributes(w, p);
    const ws = new Sequence(w, p);
    const weekName = int(ws.required('WeekName'), `${p}/sr:WeekName`, 1, max, 'week name');
    const days = byIndex(ws.repeated('ReferencedDayName', 7, 7).map((d, j) => indexed(d, `${p}/sr:ReferencedDayName[${j + 1}]`, 7, 1, maxDay, 'day name')), p);
    ws.end();
    return { weekName, days: days.map((d) => d.value) };
  });
  s.end();
  return out;
}

function readSpecialDays(e: Element, path: string, max: number, gas: boolean): SpecialDay[] {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const out = s.repeated('SpecialDay', 0, max).map((d, i) => {
    const p = `${path}/sr:SpecialDay[${i + 1}]`;
    checkAttributes(d, p);
    const ds = new Sequence(d, p);
    const date = readDate(ds.required('Date'), `${p}/sr:Date`, gas);
    const dayName = int(ds.required('ReferencedDayName'), `${p}/sr:ReferencedDayName`, 1, gas ? 4 : 16, 'day name');
    ds.end();
    return { date, dayName };
  });
  s.end();
  return out;
}

function readElecSwitching(e: Element, path: string, secondary: boolean): ElecSwitchingTable {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const dp = s.required('DayProfiles');
  checkAttributes(dp, `${path}/sr:DayProfiles`);
  const dps = new Sequence(dp, `${path}/sr:DayProfiles`);
  const dayProfiles = dps.repeated('DayProfile', 1, 16).map((d, i): ElecDayProfile => {
    const p = `${path}/sr:DayProfiles/sr:DayProfile[${i + 1}]`;
    checkAttributes(d, p);
    const ds = new Sequence(d, p);
    const dayName = int(ds.required('DayName'), `${p}/sr:DayName`, 1, 16, 'day name');
    const schedule = ds.repeated('ProfileSchedule', 1, 48).map((x, j) => {
      const q = `${p}/sr:ProfileSchedule[${j + 1}]`;
      checkAttributes(x, q);
      const xs = new Sequence(x, q);
      const start = readTime(xs.required('StartTime'), `${q}/sr:StartTime`);
      const tou = xs.optional('TOUTariffAction');
      let action: ElecTariffAction;
      if (tou) action = { tou: int(tou, `${q}/sr:TOUTariffAction`, 1, secondary ? 4 : 48, 'TOU tariff action') };
      else if (secondary) throw new StructureError(`${q}: sr:TOUTariffAction is missing`);
      else action = { block: int(xs.required('BlockTariffAction'), `${q}/sr:BlockTariffAction`, 1, 8, 'block tariff action') };
      xs.end();
      return { start, action };
    });
    ds.end();
    return { dayName, schedule };
  });
  dps.end();
  const weekProfiles = readWeekProfiles(s.required('WeekProfiles'), `${path}/sr:WeekProfiles`, 4, 16);
  const se = s.required('Seasons');
  checkAttributes(se, `${path}/sr:Seasons`);
  const ses = new Sequence(se, `${path}/sr:Seasons`);
  const seasons = ses.repeated('Season', 1, 4).map((x, i) => {
    const p = `${path}/sr:Seasons/sr:Season[${i + 1}]`;
    checkAttributes(x, p);
    const xs = new Sequence(x, p);
    const name = readString(xs.required('SeasonName'), `${p}/sr:SeasonName`, 0, 8);
    const start = readDate(xs.required('SeasonStartDate'), `${p}/sr:SeasonStartDate`, false);
    const weekName = int(xs.required('ReferencedWeekName'), `${p}/sr:ReferencedWeekName`, 1, 4, 'week name');
    xs.end();
    return { name, start, weekName };
  });
  ses.end();
  s.end();
  return { dayProfiles, weekProfiles, seasons };
}

const CURRENCIES = ['GBP', 'ECB'] as const;

function readElecTariff(e: Element, path: string): ElecTariffElements {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const currency = readStringEnum(s.required('CurrencyUnits'), `${path}/sr:CurrencyUnits`, CURRENCIES, 'currency') as Currency;
  const switching = readElecSwitching(s.required('SwitchingTable'), `${path}/sr:SwitchingTable`, false);
  const specialDays = readSpecialDays(s.required('SpecialDays'), `${path}/sr:SpecialDays`, 50, false);
  const tm = s.required('ThresholdMatrix');
  checkAttributes(tm, `${path}/sr:ThresholdMatrix`);
  const tms = new Sequence(tm, `${path}/sr:ThresholdMatrix`);
  const thresholds = tms.repeated('Thresholds', 8, 8).map((t, i) => {
    const p = `${path}/sr:ThresholdMatrix/sr:Thresholds[${i + 1}]`;
    // ElecThresholds has no index attribute in the XSD, though templates write one: the order is what counts.
    checkAttributes(t, p, ['index']);
    const ts = new Sequence(t, p);
    const list = byIndex(ts.repeated('BlockThreshold', 1, 3).map((b, j) => indexed(b, `${p}/sr:BlockThreshold[${j + 1}]`, 3, 0, 4294967295, 'unsignedInt')), p);
    ts.end();
    return list.map((b) => b.value);
  });
  tms.end();
  s.end();
  return { kind: 'electricity', currency, switching, specialDays, thresholds };
}

function readGasTariff(e: Element, path: string): GasTariffElements {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const sw = s.required('SwitchingTable');
  const swp = `${path}/sr:SwitchingTable`;
  checkAttributes(sw, swp);
  const sws = new Sequence(sw, swp);
  const dp = sws.required('DayProfiles');
  checkAttributes(dp, `${swp}/sr:DayProfiles`);
  const dps = new Sequence(dp, `${swp}/sr:DayProfiles`);
  const dayProfiles = dps.repeated('DayProfile', 1, 4).map((d, i) => {
    const p = `${swp}/sr:DayProfiles/sr:DayProfile[${i + 1}]`;
    checkAttributes(d, p);
    const ds = new Sequence(d, p);
    const dayName = int(ds.required('DayName'), `${p}/sr:DayName`, 1, 4, 'day name');
    const tou = ds.optional('TOUTariffAction');
    let action: { tou: number } | 'block';
    if (tou) action = { tou: int(tou, `${p}/sr:TOUTariffAction`, 1, 4, 'TOU tariff action') };
    else {
      empty(ds.required('BlockTariff'), `${p}/sr:BlockTariff`);
      action = 'block';
    }
    ds.end();
    return { dayName, action };
  });
  dps.end();
  const weekProfiles = readWeekProfiles(sws.required('WeekProfiles'), `${swp}/sr:WeekProfiles`, 2, 4);
  const se = sws.required('Seasons');
  checkAttributes(se, `${swp}/sr:Seasons`);
  const ses = new Sequence(se, `${swp}/sr:Seasons`);
  const seasons = ses.repeated('Season', 1, 3).map((x, i) => {
    const p = `${swp}/sr:Seasons/sr:Season[${i + 1}]`;
    checkAttributes(x, p);
    const xs = new Sequence(x, p);
    const start = readDate(xs.required('SeasonStartDate'), `${p}/sr:SeasonStartDate`, true);
    const weekName = int(xs.required('ReferencedWeekName'), `${p}/sr:ReferencedWeekName`, 1, 2, 'week name');
    xs.end();
    return { start, weekName };
  });
  ses.end();
  sws.end();
  const specialDays = readSpecialDays(s.required('SpecialDays'), `${path}/sr:SpecialDays`, 20, true);
  const tm = s.required('ThresholdMatrix');
  checkAttributes(tm, `${path}/sr:ThresholdMatrix`);
  const tms = new Sequence(tm, `${path}/sr:ThresholdMatrix`);
  const thresholds = byIndex(tms.repeated('BlockThreshold', 1, 3).map((b, j) => indexed(b, `${path}/sr:ThresholdMatrix/sr:BlockThreshold[${j + 1}]`, 3, 0, 281474976710655, 'gas threshold')), path);
  tms.end();
  s.end();
  return { kind: 'gas', switching: { dayProfiles, weekProfiles, seasons }, specialDays, thresholds };
}

const PRICE = [-32768, 32767] as const;

function readPricePrimary(e: Element, path: string): PricePrimary {
  checkAttributes(e, path);
  const [name, c] = choiceOf(e, path, ['ElectricityPriceElements', 'GasPriceElements']);
  const p = `${path}/sr:${name}`;
  checkAttributes(c, p);
  const s = new Sequence(c, p);
  if (name === 'GasPriceElements') {
    const currency = readStringEnum(s.required('CurrencyUnits'), `${p}/sr:CurrencyUnits`, CURRENCIES, 'currency') as Currency;
    const standingCharge = int(s.required('StandingCharge'), `${p}/sr:StandingCharge`, 0, 4294967295, 'unsignedInt');
    const block = s.optional('BlockTariff');
    let tariff: GasPrice['tariff'];
    if (block) {
      checkAttributes(block, `${p}/sr:BlockTariff`);
      const bs = new Sequence(block, `${p}/sr:BlockTariff`);
      const prices = byIndex(bs.repeated('BlockPrice', 1, 4).map((x, i) => indexed(x, `${p}/sr:BlockTariff/sr:BlockPrice[${i + 1}]`, 4, 0, 4294967295, 'unsignedInt')), p);
      const numberOfThresholds = int(bs.required('NumberOfThresholds'), `${p}/sr:BlockTariff/sr:NumberOfThresholds`, 1, 3, 'number of thresholds');
      bs.end();
      tariff = { kind: 'block', prices, numberOfThresholds };
    } else {
      const tou = s.required('TOUTariff');
      checkAttributes(tou, `${p}/sr:TOUTariff`);
      const ts = new Sequence(tou, `${p}/sr:TOUTariff`);
      tariff = { kind: 'tou', prices: byIndex(ts.repeated('TOUPrice', 1, 4).map((x, i) => indexed(x, `${p}/sr:TOUTariff/sr:TOUPrice[${i + 1}]`, 4, 0, 4294967295, 'unsignedInt')), p) };
      ts.end();
    }
    s.end();
    return { kind: 'gas', currency, standingCharge, tariff };
  }
  const standingCharge = int(s.required('StandingCharge'), `${p}/sr:StandingCharge`, ...PRICE, 'PriceType (short)');
  const standingChargeScale = int(s.required('StandingChargeScale'), `${p}/sr:StandingChargeScale`, -128, 127, 'PriceScale');
  const priceScale = int(s.required('PriceScale'), `${p}/sr:PriceScale`, -128, 127, 'PriceScale');
  const t = s.peek();
  const kinds = { BlockTariff: 'block', TOUTariff: 'tou', HybridTariff: 'hybrid' } as const;
  const kindName = t?.localName as keyof typeof kinds | undefined;
  if (!t || !kindName || !(kindName in kinds)) throw new StructureError(`${p}: expected sr:BlockTariff, sr:TOUTariff or sr:HybridTariff after sr:PriceScale`);
  s.take();
  s.end();
  const tp = `${p}/sr:${kindName}`;
  checkAttributes(t, tp);
  const ts = new Sequence(t, tp);
  const tariff = kinds[kindName];
  const blockPrices = tariff === 'tou' ? [] : byIndex(ts.repeated('BlockPrices', 1, 8).map((b, i) => {
    const bp = `${tp}/sr:BlockPrices[${i + 1}]`;
    const set = indexedElement(b, bp, 8);
    const bs = new Sequence(b, bp);
    const prices = byIndex(bs.repeated('BlockPrice', 1, 4).map((x, j) => indexed(x, `${bp}/sr:BlockPrice[${j + 1}]`, 4, ...PRICE, 'PriceType (short)')), bp);
    bs.end();
    return { index: set, prices };
  }), tp);
  const touPrices = tariff === 'block' ? [] : byIndex(ts.repeated('TOUPrice', 1, 48).map((x, i) => indexed(x, `${tp}/sr:TOUPrice[${i + 1}]`, 48, ...PRICE, 'PriceType (short)')), tp);
  ts.end();
  return { kind: 'electricity', standingCharge, standingChargeScale, priceScale, tariff, blockPrices, touPrices };
}

function indexedElement(e: Element, path: string, max: number): number {
  checkAttributes(e, path, ['index']);
  const raw = e.getAttribute('index') ?? '';
  const n = Number(raw);
  if (!/^\s*\+?\d+\s*$/.test(raw) || n < 1 || n > max) throw new StructureError(`${path}/@index: ${JSON.stringify(raw)} is not 1..${max}`);
  return n;
}

function readPriceSecondary(e: Element, path: string): PriceSecondary {
  checkAttributes(e, path);
  const s = new Sequence(e, path);
  const priceScale = int(s.required('PriceScale'), `${path}/sr:PriceScale`, -128, 127, 'PriceScale');
  const prices = byIndex(s.repeated('ElectricityPriceElement', 1, 4).map((x, i) => indexed(x, `${path}/sr:ElectricityPriceElement[${i + 1}]`, 4, ...PRICE, 'PriceType (short)')), path);
  s.end();
  return { priceScale, prices };
}

function readExecution(s: InstanceType<typeof Sequence>, path: string): Date | undefined {
  const x = s.optional('ExecutionDateTime');
  return x ? readDateTime(x, `${path}/sr:ExecutionDateTime`) : undefined;
}

// ---------------------------------------------------------------- writers

function writeInt(v: number, field: string, min: number, max: number): string {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${field}: ${v} is not an integer in ${min}..${max}`);
  return String(v);
}

function indexedEl(name: string, i: Indexed, field: string, min: number, max: number): string {
  return `<sr:${name} index="${writeInt(i.index, `${field} index`, 1, 48)}">${writeInt(i.value, field, min, max)}</sr:${name}>`;
}

function writeDate(d: DatePattern, gas: boolean): string {
  const none = (n: string) => el(n, '');
  const n = gas
    ? { y: 'GasYearWithWildcards', m: 'GasMonthWithWildcards', d: 'GasDayOfMonthWithWildcards', w: 'GasDayOfWeekWithWildcards', nd: 'GasNonSpecifiedDayOfMonth' }
    : { y: 'Year', m: 'Month', d: 'DayOfMonth', w: 'DayOfWeek', nd: 'NonSpecifiedDayOfMonth' };
  const day = d.dayOfMonth === undefined ? none(n.nd)
    : d.dayOfMonth === 'last' ? none('LastDayOfMonth')
      : d.dayOfMonth === 'secondLast' ? none('SecondLastDayOfMonth')
        : textEl('SpecifiedDayOfMonth', writeInt(d.dayOfMonth, 'day of month', 1, 31));
  return el(n.y, d.year === undefined ? none('NonSpecifiedYear') : textEl('SpecifiedYear', writeInt(d.year, 'year', 2014, 9999)))
    + el(n.m, d.month === undefined ? none('NonSpecifiedMonth') : textEl('SpecifiedMonth', writeInt(d.month, 'month', 1, 12)))
    + el(n.d, day)
    + el(n.w, d.dayOfWeek === undefined ? none('NonSpecifiedDayOfWeek') : textEl('SpecifiedDayOfWeek', writeInt(d.dayOfWeek, 'day of week', 1, 7)));
}

const two = (n: number) => String(n).padStart(2, '0');

export function formatTimeOfDay(t: TimeOfDay): string {
  return `${two(t.hour)}:${two(t.minute)}:${two(t.second)}.${two(t.hundredths)}Z`;
}

function writeWeeks(w: WeekProfile[]): string {
  return el('WeekProfiles', w.map((p) => el('WeekProfile', textEl('WeekName', String(p.weekName))
    + p.days.map((d, i) => `<sr:ReferencedDayName index="${i + 1}">${d}</sr:ReferencedDayName>`).join(''))).join(''));
}

function writeSpecialDays(days: SpecialDay[], gas: boolean): string {
  return el('SpecialDays', days.map((d) => el('SpecialDay', el('Date', writeDate(d.date, gas)) + textEl('ReferencedDayName', String(d.dayName)))).join(''));
}

function writeElecSwitching(t: ElecSwitchingTable): string {
  const days = el('DayProfiles', t.dayProfiles.map((d) => el('DayProfile', textEl('DayName', String(d.dayName)) + d.schedule.map((x) => el('ProfileSchedule',
    textEl('StartTime', formatTimeOfDay(x.start)) + ('tou' in x.action ? textEl('TOUTariffAction', String(x.action.tou)) : textEl('BlockTariffAction', String(x.action.block))))).join(''))).join(''));
  const seasons = el('Seasons', t.seasons.map((s) => el('Season', textEl('SeasonName', s.name) + el('SeasonStartDate', writeDate(s.start, false)) + textEl('ReferencedWeekName', String(s.weekName)))).join(''));
  return el('SwitchingTable', days + writeWeeks(t.weekProfiles) + seasons);
}

function writeTariffElements(t: ElecTariffElements | GasTariffElements): string {
  if (t.kind === 'electricity') {
    return el('ElecTariffElements', textEl('CurrencyUnits', t.currency) + writeElecSwitching(t.switching) + writeSpecialDays(t.specialDays, false)
      + el('ThresholdMatrix', t.thresholds.map((set, i) => `<sr:Thresholds index="${i + 1}">${set.map((v, j) => indexedEl('BlockThreshold', { index: j + 1, value: v }, 'BlockThreshold', 0, 4294967295)).join('')}</sr:Thresholds>`).join('')));
  }
  const sw = t.switching;
  const days = el('DayProfiles', sw.dayProfiles.map((d) => el('DayProfile', textEl('DayName', String(d.dayName)) + (d.action === 'block' ? el('BlockTariff', '') : textEl('TOUTariffAction', String(d.action.tou))))).join(''));
  const seasons = el('Seasons', sw.seasons.map((s) => el('Season', el('SeasonStartDate', writeDate(s.start, true)) + textEl('ReferencedWeekName', String(s.weekName)))).join(''));
  return el('GasTariffElements', el('SwitchingTable', days + writeWeeks(sw.weekProfiles) + seasons) + writeSpecialDays(t.specialDays, true)
    + el('ThresholdMatrix', t.thresholds.map((b) => indexedEl('BlockThreshold', b, 'BlockThreshold', 0, 281474976710655)).join('')));
}

function writePricePrimary(p: PricePrimary): string {
  if (p.kind === 'gas') {
    const t = p.tariff;
    const tariff = t.kind === 'block'
      ? el('BlockTariff', t.prices.map((x) => indexedEl('BlockPrice', x, 'BlockPrice', 0, 4294967295)).join('') + textEl('NumberOfThresholds', writeInt(t.numberOfThresholds, 'NumberOfThresholds', 1, 3)))
      : el('TOUTariff', t.prices.map((x) => indexedEl('TOUPrice', x, 'TOUPrice', 0, 4294967295)).join(''));
    return el('PriceElements', el('GasPriceElements', textEl('CurrencyUnits', p.currency) + textEl('StandingCharge', writeInt(p.standingCharge, 'StandingCharge', 0, 4294967295)) + tariff));
  }
  const blocks = p.blockPrices.map((b) => `<sr:BlockPrices index="${b.index}">${b.prices.map((x) => indexedEl('BlockPrice', x, 'BlockPrice', ...PRICE)).join('')}</sr:BlockPrices>`).join('');
  const tous = p.touPrices.map((x) => indexedEl('TOUPrice', x, 'TOUPrice', ...PRICE)).join('');
  const name = p.tariff === 'block' ? 'BlockTariff' : p.tariff === 'tou' ? 'TOUTariff' : 'HybridTariff';
  return el('PriceElements', el('ElectricityPriceElements', textEl('StandingCharge', writeInt(p.standingCharge, 'StandingCharge', ...PRICE))
    + textEl('StandingChargeScale', writeInt(p.standingChargeScale, 'StandingChargeScale', -128, 127)) + textEl('PriceScale', writeInt(p.priceScale, 'PriceScale', -128, 127))
    + el(name, (p.tariff === 'tou' ? '' : blocks) + (p.tariff === 'block' ? '' : tous))));
}

function writePriceSecondary(p: PriceSecondary): string {
  return el('PriceElements', textEl('PriceScale', writeInt(p.priceScale, 'PriceScale', -128, 127)) + p.prices.map((x) => indexedEl('ElectricityPriceElement', x, 'ElectricityPriceElement', ...PRICE)).join(''));
}

// ---------------------------------------------------------------- the bodies

export interface TariffPrimaryBody {
  kind: 'UpdateImportTariffPrimaryElement';
  executionDateTime?: Date;
  tariff: ElecTariffElements | GasTariffElements;
  prices: PricePrimary;
}

export const tariffPrimaryBody: BodyCodec<TariffPrimaryBody> = {
  element: 'UpdateImportTariffPrimaryElement',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const elec = s.optional('ElecTariffElements');
    const tariff = elec ? readElecTariff(elec, `${path}/sr:ElecTariffElements`) : readGasTariff(s.required('GasTariffElements'), `${path}/sr:GasTariffElements`);
    const prices = readPricePrimary(s.required('PriceElements'), `${path}/sr:PriceElements`);
    s.end();
    if (prices.kind !== tariff.kind) throw new StructureError(`${path}: ${tariff.kind} tariff elements with ${prices.kind} price elements`);
    return { kind: 'UpdateImportTariffPrimaryElement', ...(exec ? { executionDateTime: exec } : {}), tariff, prices };
  },
  write: (b) => writeExecution(b.executionDateTime) + writeTariffElements(b.tariff) + writePricePrimary(b.prices),
};

export interface TariffSecondaryBody {
  kind: 'UpdateImportTariffSecondaryElement';
  executionDateTime?: Date;
  switching: ElecSwitchingTable;
  specialDays: SpecialDay[];
  prices: PriceSecondary;
}

export const tariffSecondaryBody: BodyCodec<TariffSecondaryBody> = {
  element: 'UpdateImportTariffSecondaryElement',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const switching = readElecSwitching(s.required('SwitchingTable'), `${path}/sr:SwitchingTable`, true);
    const specialDays = readSpecialDays(s.required('SpecialDays'), `${path}/sr:SpecialDays`, 50, false);
    const prices = readPriceSecondary(s.required('PriceElements'), `${path}/sr:PriceElements`);
    s.end();
    return { kind: 'UpdateImportTariffSecondaryElement', ...(exec ? { executionDateTime: exec } : {}), switching, specialDays, prices };
  },
  write: (b) => writeExecution(b.executionDateTime) + writeElecSwitching(b.switching) + writeSpecialDays(b.specialDays, false) + writePriceSecondary(b.prices),
};

export interface PricePrimaryBody {
  kind: 'UpdatePricePrimaryElement';
  executionDateTime?: Date;
  prices: PricePrimary;
}

export const pricePrimaryBody: BodyCodec<PricePrimaryBody> = {
  element: 'UpdatePricePrimaryElement',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const prices = readPricePrimary(s.required('PriceElements'), `${path}/sr:PriceElements`);
    s.end();
    return { kind: 'UpdatePricePrimaryElement', ...(exec ? { executionDateTime: exec } : {}), prices };
  },
  write: (b) => writeExecution(b.executionDateTime) + writePricePrimary(b.prices),
};

export interface PriceSecondaryBody {
  kind: 'UpdatePriceSecondaryElement';
  executionDateTime?: Date;
  prices: PriceSecondary;
}

export const priceSecondaryBody: BodyCodec<PriceSecondaryBody> = {
  element: 'UpdatePriceSecondaryElement',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const prices = readPriceSecondary(s.required('PriceElements'), `${path}/sr:PriceElements`);
    s.end();
    return { kind: 'UpdatePriceSecondaryElement', ...(exec ? { executionDateTime: exec } : {}), prices };
  },
  write: (b) => writeExecution(b.executionDateTime) + writePriceSecondary(b.prices),
};

export interface MeterBalanceBody {
  kind: 'UpdateMeterBalance';
  mode: 'prepayment' | 'credit';
  /** an adjustment (added to the balance), or undefined to reset the balance to zero */
  adjustment?: number;
}

export const meterBalanceBody: BodyCodec<MeterBalanceBody> = {
  element: 'UpdateMeterBalance',
  read(item, path) {
    checkAttributes(item, path);
    const [name, c] = choiceOf(item, path, ['PrepaymentMode', 'CreditMode']);
    const p = `${path}/sr:${name}`;
    checkAttributes(c, p);
    const [what, x] = choiceOf(c, p, ['AdjustMeterBalance', 'ResetMeterBalance']);
    const mode = name === 'PrepaymentMode' ? 'prepayment' : 'credit';
    if (what === 'ResetMeterBalance') {
      empty(x, `${p}/sr:ResetMeterBalance`);
      return { kind: 'UpdateMeterBalance', mode };
    }
    return { kind: 'UpdateMeterBalance', mode, adjustment: int(x, `${p}/sr:AdjustMeterBalance`, -MAX_INT - 1, MAX_INT, 'xs:int') };
  },
  write: (b) => el(b.mode === 'prepayment' ? 'PrepaymentMode' : 'CreditMode',
    b.adjustment === undefined ? el('ResetMeterBalance', '') : textEl('AdjustMeterBalance', writeInt(b.adjustment, 'AdjustMeterBalance', -MAX_INT - 1, MAX_INT))),
};

export interface PaymentModeBody {
  kind: 'UpdatePaymentMode';
  executionDateTime?: Date;
  mode: { kind: 'credit' } | { kind: 'prepayment'; suspendDebtDisabled: boolean; suspendDebtEmergency: boolean; disablementThreshold: number };
}

export const paymentModeBody: BodyCodec<PaymentModeBody> = {
  element: 'UpdatePaymentMode',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const credit = s.optional('Credit');
    let mode: PaymentModeBody['mode'];
    if (credit) {
      empty(credit, `${path}/sr:Credit`);
      mode = { kind: 'credit' };
    } else {
      const p = s.required('Prepayment');
      const pp = `${path}/sr:Prepayment`;
      checkAttributes(p, pp);
      const ps = new Sequence(p, pp);
      const suspendDebtDisabled = readBoolean(ps.required('SuspendDebtDisabled'), `${pp}/sr:SuspendDebtDisabled`);
      const suspendDebtEmergency = readBoolean(ps.required('SuspendDebtEmergency'), `${pp}/sr:SuspendDebtEmergency`);
      const disablementThreshold = int(ps.required('DisablementThreshold'), `${pp}/sr:DisablementThreshold`, -MAX_INT - 1, MAX_INT, 'xs:int');
      ps.end();
      mode = { kind: 'prepayment', suspendDebtDisabled, suspendDebtEmergency, disablementThreshold };
    }
    s.end();
    return { kind: 'UpdatePaymentMode', ...(exec ? { executionDateTime: exec } : {}), mode };
  },
  write: (b) => writeExecution(b.executionDateTime) + (b.mode.kind === 'credit' ? el('Credit', '')
    : el('Prepayment', textEl('SuspendDebtDisabled', String(b.mode.suspendDebtDisabled)) + textEl('SuspendDebtEmergency', String(b.mode.suspendDebtEmergency))
      + textEl('DisablementThreshold', writeInt(b.mode.disablementThreshold, 'DisablementThreshold', -MAX_INT - 1, MAX_INT)))),
};
