/**
 * Time for the meter model. Every instant is milliseconds since 1970-01-01T00:00Z (UTC, like every device
 * time in GBCS). Days are UTC days numbered from 1970-01-01 (day 0, a Thursday); a day has 48 half-hour slots.
 */

export const MINUTE_MS = 60_000;
export const SLOT_MS = 30 * MINUTE_MS;
export const DAY_MS = 86_400_000;
export const SLOTS_PER_DAY = 48;
/** Mean length of the year, in days (the seasonal cycles use it). */
export const YEAR_DAYS = 365.2425;

/** The UTC day number of an instant. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** 0 Sunday … 6 Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const w = weekdayOf(day);
  return w === 0 || w === 6;
}

/** The phase (radians) of a yearly cycle peaking on `peakDay` (day of the year, 0 = 1 January). */
export function yearPhase(day: number, peakDay: number): number {
  return (2 * Math.PI * (day - peakDay)) / YEAR_DAYS;
}

const bstCache = new Map<number, readonly [number, number]>();

/** The start and end (ms) of British Summer Time in a year: 01:00 UTC on the last Sundays of March and October. */
function bstOf(year: number): readonly [number, number] {
  let r = bstCache.get(year);
  if (!r) {
    const lastSunday = (month: number) => {
      const last = Date.UTC(year, month + 1, 0); // last day of the month
      return last - weekdayOf(dayOf(last)) * DAY_MS + 3_600_000;
    };
    r = [lastSunday(2), lastSunday(9)];
    bstCache.set(year, r);
  }
  return r;
}

/** Hours the UK clock is ahead of UTC at an instant: 1 in British Summer Time, else 0. */
export function ukClockOffset(ms: number): number {
  const [start, end] = bstOf(new Date(ms).getUTCFullYear());
  return ms >= start && ms < end ? 1 : 0;
}
