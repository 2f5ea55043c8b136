/**
 * A small strict DER reader and writer. Certificates are parsed and built here rather than through
 * pkijs/asn1js so that issuance is byte-exact and cheap (no WebCrypto, no object graphs), and so
 * that parsing untrusted bytes fails with a specific reason instead of a BER-lenient guess.
 */
import { PkiError } from './errors.ts';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One parsed TLV; offsets index into `buf`. */
export interface Tlv {
  tag: number; // the whole identifier octet
  buf: Buffer;
  start: number;
  contentStart: number;
  end: number;
}

function fail(what: string, detail: string): never {
  throw new PkiError('bad-der', `${what}: ${detail}`);
}

/** Reads one TLV at `offset`, which must end at or before `limit`. */
export function readTlv(buf: Buffer, offset: number, limit: number, what: string): Tlv {
  if (offset >= limit) fail(what, 'unexpected end of data');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) fail(what, `high-tag-number identifier 0x${tag.toString(16)} is not supported`);
  let p = offset + 1;
  if (p >= limit) fail(what, 'missing length octet');
  const first = buf[p++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    fail(what, 'indefinite length is not DER');
  } else {
    const n = first & 0x7f;
    if (n > 4) fail(what, `length of ${n} octets is too large`);
    if (p + n > limit) fail(what, 'length octets run past the end');
    if (buf[p] === 0) fail(what, 'length has a leading zero octet (not DER)');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
    if (length < 0x80) fail(what, 'long-form length below 128 (not DER)');
  }
  const end = p + length;
  if (end > limit) fail(what, `length ${length} runs past the end of its container`);
  return { tag, buf, start: offset, contentStart: p, end };
}

/** Parses `bytes` as exactly one TLV with nothing after it. */
export function readSingle(bytes: Uint8Array, what: string): Tlv {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const t = readTlv(buf, 0, buf.length, what);
  if (t.end !== buf.length) fail(what, `${buf.length - t.end} trailing byte(s) after the DER value`);
  return t;
}

export function expectTag(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) fail(what, `expected tag 0x${tag.toString(16).padStart(2, '0')}, found 0x${t.tag.toString(16).padStart(2, '0')}`);
  return t;
}

/** The children of a constructed TLV. */
export function children(t: Tlv, what: string): Tlv[] {
  if ((t.tag & 0x20) === 0) fail(what, 'expected a constructed value');
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTlv(t.buf, p, t.end, what);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function content(t: Tlv): Buffer {
  return t.buf.subarray(t.contentStart, t.end);
}

export function whole(t: Tlv): Buffer {
  return t.buf.subarray(t.start, t.end);
}

export function decodeOid(t: Tlv, what: string): string {
  expectTag(t, TAG.OID, what);
  const c = content(t);
  if (c.length === 0) fail(what, 'empty OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let v = 0n;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (v === 0n && b === 0x80) fail(what, 'OBJECT IDENTIFIER arc has a leading 0x80 (not DER)');
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 40n ? 0n : v < 80n ? 1n : 2n;
        arcs.push(first.toString(), (v - first * 40n).toString());
      } else {
        arcs.push(v.toString());
      }
      v = 0n;
    } else if (i === c.length - 1) {
      fail(what, 'OBJECT IDENTIFIER ends inside an arc');
    }
  }
  return arcs.join('.');
}

export function decodeBoolean(t: Tlv, what: string): boolean {
  expectTag(t, TAG.BOOLEAN, what);
  const c = content(t);
  if (c.length !== 1 || (c[0] !== 0x00 && c[0] !== 0xff)) fail(what, 'BOOLEAN must be one octet 00 or FF');
  return c[0] === 0xff;
}

/** INTEGER content bytes, checked for minimal encoding. */
export function decodeIntegerBytes(t: Tlv, what: string): Buffer {
  expectTag(t, TAG.INTEGER, what);
  const c = content(t);
  if (c.length === 0) fail(what, 'empty INTEGER');
  if (c.length > 1 && ((c[0] === 0x00 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0))) {
    fail(what, 'INTEGER is not minimally encoded');
  }
  return c;
}

export function decodeSmallInteger(t: Tlv, what: string): number {
  const c = decodeIntegerBytes(t, what);
  if (c.length > 4 || (c[0]! & 0x80) !== 0) fail(what, 'expected a small non-negative INTEGER');
  return c.reduce((a, b) => a * 256 + b, 0);
}

export function decodeBitString(t: Tlv, what: string): { unusedBits: number; bytes: Buffer } {
  expectTag(t, TAG.BIT_STRING, what);
  const c = content(t);
  if (c.length === 0) fail(what, 'BIT STRING has no unused-bits octet');
  const unusedBits = c[0]!;
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) fail(what, `invalid unused-bits count ${unusedBits}`);
  return { unusedBits, bytes: c.subarray(1) };
}

export function decodeTime(t: Tlv, what: string): Date {
  const s = content(t).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) fail(what, `UTCTime '${s}' is not YYMMDDHHMMSSZ`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) fail(what, `GeneralizedTime '${s}' is not YYYYMMDDHHMMSSZ`);
    year = Number(m[1]);
  } else {
    fail(what, `expected UTCTime or GeneralizedTime, found tag 0x${t.tag.toString(16)}`);
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    fail(what, `time '${s}' is not a valid calendar time`);
  }
  if (year < 100) date.setUTCFullYear(year); // Date.UTC maps 0..99 to 1900..1999
  return date;
}

// ---------------------------------------------------------------------------------------------
// Writer

function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(body.length), body]);
}

export const seq = (...parts: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, ...parts);

/** DER SET OF: elements sorted by their encodings. */
export function setOf(...parts: Uint8Array[]): Buffer {
  const sorted = [...parts].map((p) => Buffer.from(p)).sort(Buffer.compare);
  return tlv(TAG.SET, ...sorted);
}

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped, 00 added if needed). */
export function integerFromBytes(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = Buffer.from(magnitude.subarray(i));
  if (body.length === 0) body = Buffer.from([0]);
  if ((body[0]! & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(TAG.INTEGER, body);
}

export function integer(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0) throw new PkiError('bad-der', `cannot encode ${n} as a non-negative INTEGER`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return integerFromBytes(Uint8Array.from(bytes.length ? bytes : [0]));
}

const oidCache = new Map<string, Buffer>();

export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  if (!/^[0-2]\.\d+(\.\d+)*$/.test(dotted)) throw new PkiError('bad-der', `'${dotted}' is not a dotted OBJECT IDENTIFIER`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const chunk: number[] = [Number(v & 0x7fn)];
    for (let r = v >> 7n; r > 0n; r >>= 7n) chunk.unshift(Number(r & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  const der = tlv(TAG.OID, Uint8Array.from(out));
  oidCache.set(dotted, der);
  return der;
}

export const boolean = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Uint8Array.from([v ? 0xff : 0x00]));
export const octetString = (b: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, b);
export const bitString = (b: Uint8Array, unusedBits = 0): Buffer => tlv(TAG.BIT_STRING, Uint8Array.from([unusedBits]), b);
export const utf8String = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
export function printableString(s: string): Buffer {
  if (!PRINTABLE.test(s)) throw new PkiError('bad-der', `'${s}' has characters outside PrintableString`);
  return tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
}

/** Context-specific tag [n]; constructed for EXPLICIT tagging and constructed IMPLICIT types. */
export const contextTag = (n: number, constructed: boolean, ...parts: Uint8Array[]): Buffer =>
  tlv(0x80 | (constructed ? 0x20 : 0) | n, ...parts);

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** RFC 5280 §4.1.2.5: UTCTime for 1950..2049, GeneralizedTime otherwise; whole seconds, Z. */
export function time(d: Date): Buffer {
  if (Number.isNaN(d.getTime())) throw new PkiError('bad-der', 'cannot encode an invalid Date');
  const y = d.getUTCFullYear();
  const rest = `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y <= 2049) return tlv(TAG.UTC_TIME, Buffer.from(`${pad2(y % 100)}${rest}`, 'latin1'));
  if (y < 0 || y > 9999) throw new PkiError('bad-der', `year ${y} cannot be encoded as GeneralizedTime`);
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'latin1'));
}
