/**
 * Simple-typed DUIS values read from elements, each checked against its XSD type; errors name the
 * element path and what was expected.
 */
import type { Element } from '@xmldom/xmldom';
import { dashedEui, parseEui } from '../../pki/index.ts';
import type { Eui } from '../../pki/index.ts';
import { StructureError, simpleText, checkAttributes } from './dom.ts';
import type { RequestId } from './model.ts';
import {
  charLength, collapse, parseXsBase64, parseXsBoolean, parseXsDateTime, parseXsInteger, totalDigits,
} from './xsd-types.ts';

export const UINT64_MAX = 2n ** 64n - 1n;
export const FLOOR_MAX = 9223372036854775807n;

const PAIR = '[A-Fa-f0-9]{2}';
const EUI_PATTERN = `${PAIR}(?:-${PAIR}){7}`;
const EUI_RE = new RegExp(`^${EUI_PATTERN}$`);
// The XSD's 20-branch pattern is exactly: 0, or 1..20 digits without a leading zero, at most 2^64-1.
const REQUEST_ID_RE = new RegExp(`^(${EUI_PATTERN}):(${EUI_PATTERN}):(0|[1-9][0-9]{0,19})$`);

function value(el: Element, path: string): string {
  checkAttributes(el, path);
  return simpleText(el, path);
}

function q(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/**
 * Parses the RequestIDType lexical form (already whitespace-collapsed); null when it does not match.
 * `text` keeps the form received, so an answer echoes exactly what the user sent.
 */
export function parseRequestIdText(text: string): RequestId | null {
  const m = REQUEST_ID_RE.exec(text);
  if (m === null) return null;
  const counter = BigInt(m[3]!);
  if (counter > UINT64_MAX) return null;
  const originator = parseEui(m[1]!);
  const target = parseEui(m[2]!);
  return { originator, target, counter, text };
}

export function readRequestId(el: Element, path: string): RequestId {
  const s = collapse(value(el, path));
  const id = parseRequestIdText(s);
  if (id === null) {
    throw new StructureError(`${path}: ${q(s)} is not a RequestID (expected EUI:EUI:counter, EUIs as 8 dash-separated hex pairs, counter 0..18446744073709551615 without leading zeros)`);
  }
  return id;
}

export function readEui(el: Element, path: string): Eui {
  const s = collapse(value(el, path));
  if (!EUI_RE.test(s)) throw new StructureError(`${path}: ${q(s)} is not an EUI (expected 8 dash-separated hex pairs, e.g. 00-DB-12-34-56-78-90-A2)`);
  return parseEui(s);
}

/** xs:token enumeration (whitespace collapsed first). */
export function readTokenEnum<T extends string>(el: Element, path: string, allowed: readonly T[]): T {
  const s = collapse(value(el, path));
  if (!(allowed as readonly string[]).includes(s)) throw new StructureError(`${path}: ${q(s)} is not one of ${allowed.join(', ')}`);
  return s as T;
}

/** xs:string enumeration: no whitespace processing, the value must match exactly. */
export function readStringEnum(el: Element, path: string, allowed: readonly string[], what: string): string {
  const s = value(el, path);
  if (!allowed.includes(s)) throw new StructureError(`${path}: ${q(s)} is not a DUIS ${what}`);
  return s;
}

export function readInteger(el: Element, path: string, min: bigint, max: bigint, what: string): bigint {
  const raw = value(el, path);
  const v = parseXsInteger(raw);
  if (v === null) throw new StructureError(`${path}: ${q(collapse(raw))} is not an integer (${what})`);
  if (v < min || v > max) throw new StructureError(`${path}: ${v} is out of range ${min}..${max} (${what})`);
  return v;
}

export function readFloor(el: Element, path: string): bigint {
  return readInteger(el, path, 0n, FLOOR_MAX, 'floorSequenceNumber: nonNegativeInteger ≤ 9223372036854775807');
}

export function readBoolean(el: Element, path: string): boolean {
  const raw = value(el, path);
  const b = parseXsBoolean(raw);
  if (b === null) throw new StructureError(`${path}: ${q(collapse(raw))} is not an xs:boolean (true, false, 1 or 0)`);
  return b;
}

export function readDateTime(el: Element, path: string): Date {
  const r = parseXsDateTime(value(el, path));
  if ('error' in r) throw new StructureError(`${path}: ${r.error}`);
  return r.date;
}

export function readBase64(el: Element, path: string): Buffer {
  const r = parseXsBase64(value(el, path));
  if ('error' in r) throw new StructureError(`${path}: not valid xs:base64Binary: ${r.error}`);
  return r.bytes;
}

/** xs:string with length facets, whitespace preserved. */
export function readString(el: Element, path: string, minLength: number, maxLength: number): string {
  const s = value(el, path);
  const n = charLength(s);
  if (n < minLength || n > maxLength) {
    throw new StructureError(`${path}: ${q(s)} has ${n} characters, expected ${minLength === maxLength ? minLength : `${minLength}..${maxLength}`}`);
  }
  return s;
}

/** positiveInteger with totalDigits 12 (UPRN), returned in canonical form. */
export function readUprn(el: Element, path: string): string {
  const raw = value(el, path);
  const v = parseXsInteger(raw);
  if (v === null || v < 1n) throw new StructureError(`${path}: ${q(collapse(raw))} is not a positive integer (UPRN)`);
  if (totalDigits(v) > 12) throw new StructureError(`${path}: ${v} has more than 12 digits (UPRN)`);
  return v.toString();
}

export function readUnsigned(el: Element, path: string, max: number, what: string): number {
  return Number(readInteger(el, path, 0n, BigInt(max), what));
}

/** The DUIS text of a RequestID from its parts: upper-case dashed EUIs, decimal counter. */
export function formatRequestId(id: { originator: string; target: string; counter: bigint | number }): string {
  if (typeof id.counter === 'number' && !Number.isSafeInteger(id.counter)) {
    throw new RangeError(`RequestID counter ${id.counter} is not a safe integer: pass a bigint`);
  }
  const counter = typeof id.counter === 'number' ? BigInt(id.counter) : id.counter;
  if (typeof counter !== 'bigint' || counter < 0n || counter > UINT64_MAX) {
    throw new RangeError(`RequestID counter ${String(id.counter)} is outside 0..18446744073709551615`);
  }
  return `${dashedEui(parseEui(id.originator))}:${dashedEui(parseEui(id.target))}:${counter}`;
}
