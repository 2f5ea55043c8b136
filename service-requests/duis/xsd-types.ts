/**
 * Lexical checks for the XML Schema built-in types DUIS uses, written to the XSD 1.0 rules
 * (whitespace facet, lexical space) so that what passes here also passes libxml2's validator.
 * Each function returns null for an invalid lexical form; callers turn that into a message that
 * names the element.
 */

const XML_WS = /[\t\n\r ]+/g;

/** whiteSpace="collapse": what xs:token, xs:integer, xs:boolean, xs:dateTime... see. */
export function collapse(s: string): string {
  return s.replace(XML_WS, ' ').trim();
}

/** Length in characters (code points), as XSD length facets count. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** xs:integer and its restrictions: optional sign, digits, leading zeros allowed. */
export function parseXsInteger(lexical: string): bigint | null {
  const s = collapse(lexical);
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  return BigInt(s);
}

/** Number of significant digits, for the totalDigits facet. */
export function totalDigits(value: bigint): number {
  return (value < 0n ? -value : value).toString().length;
}

export function parseXsBoolean(lexical: string): boolean | null {
  const s = collapse(lexical);
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return null;
}

/** xs:decimal (schemaVersion). */
export function isXsDecimal(lexical: string): boolean {
  return /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(collapse(lexical));
}

const DATE_TIME = /^(-?[1-9]\d{4,}|-?\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export type DateTimeResult = { date: Date } | { error: string };

/**
 * xs:dateTime. Years before 0001 (valid XSD) and beyond 275759 (outside what a Date holds) are
 * refused with their own message. Without a time zone the value is taken as UTC, the DCC's own convention. Fractions beyond
 * milliseconds are truncated.
 */
export function parseXsDateTime(lexical: string): DateTimeResult {
  const s = collapse(lexical);
  const m = DATE_TIME.exec(s);
  if (m === null) {
    return { error: `${JSON.stringify(s)} is not an xs:dateTime (expected YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])` };
  }
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x)) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  const zone = m[8];
  if (year === 0) return { error: `year 0000 does not exist in xs:dateTime (${s})` };
  if (year < 0 || year > 275759) return { error: `year ${m[1]} is outside the years dcc-sim handles (0001..275759) in ${s}` };
  if (month < 1 || month > 12) return { error: `month ${m[2]} is out of range in ${s}` };
  if (day < 1 || day > daysInMonth(year, month)) return { error: `day ${m[3]} does not exist in ${m[1]}-${m[2]} (${s})` };
  const endOfDay = hour === 24 && minute === 0 && second === 0 && /^0*$/.test(fraction);
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) return { error: `time of day is out of range in ${s}` };
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59 || (zh === 14 && zm !== 0)) return { error: `time zone ${zone} is out of range in ${s}` };
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zh * 60 + zm);
  }
  const ms = Number((fraction + '000').slice(0, 3));
  // setUTCFullYear keeps years 1..99 as they are (Date.UTC would move them to 19xx).
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, ms);
  const date = new Date(local.getTime() - offsetMinutes * 60_000);
  return { date };
}

/** The Boxed style: UTC with milliseconds, '2025-10-30T20:56:25.804Z'. */
export function formatXsDateTime(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError('dateTime must be a valid Date');
  const y = date.getUTCFullYear();
  if (y < 1 || y > 9999) throw new RangeError(`dateTime year ${y} is outside 0001..9999`);
  return date.toISOString();
}

// XSD base64Binary lexical space: groups of four, the last group's padding and spare bits canonical.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

export type Base64Result = { bytes: Buffer } | { error: string };

export function parseXsBase64(lexical: string): Base64Result {
  const s = lexical.replace(XML_WS, '');
  if (!BASE64.test(s)) {
    const bad = /[^A-Za-z0-9+/=]/.exec(s);
    if (bad !== null) return { error: `base64 contains the character ${JSON.stringify(bad[0])}` };
    if (s.length % 4 !== 0) return { error: `base64 length ${s.length} is not a multiple of 4 (truncated?)` };
    return { error: 'base64 padding is malformed' };
  }
  return { bytes: Buffer.from(s, 'base64') };
}

export function isXsHexBinary(lexical: string): boolean {
  return /^(?:[0-9A-Fa-f]{2})*$/.test(collapse(lexical));
}
