/**
 * BER reading and DER-style writing for GBCS payloads.
 *
 * The reader accepts definite lengths in any form, because RTDS device output encodes lengths 128-255
 * non-minimally as `82 00 xx` (gbcs-cs02b.md §4); everything else about the input is checked strictly.
 * The writer emits minimal (DER) lengths, or the RTDS device form when asked.
 */
import { GbcsError } from './errors.ts';

/** Field sink used by annotateGbcs: absolute offset in the whole message, length, label, decoded value. */
export type Annotate = (offset: number, length: number, label: string, value?: string) => void;

/** 'der': minimal lengths; 'rtds': lengths 128-255 as `82 00 xx`, as RTDS device responses and alerts do. */
export type LengthStyle = 'der' | 'rtds';

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  ENUMERATED: 0x0a,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

export interface Tlv {
  tag: number;
  /** Offsets into the reader's buffer. */
  start: number;
  contentStart: number;
  end: number;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

function tagName(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0').toUpperCase()}`;
}

/**
 * Reads a BER definite length at `pos` (the length octets, not the tag).
 * Returns the content length and how many octets the length took.
 */
export function readLength(buf: Uint8Array, pos: number, limit: number, what: string): { length: number; size: number } {
  if (pos >= limit) throw new GbcsError('bad-ber', `${what}: missing length octet at offset ${pos}`);
  const first = buf[pos]!;
  if (first < 0x80) return { length: first, size: 1 };
  if (first === 0x80) throw new GbcsError('bad-ber', `${what}: indefinite length at offset ${pos} is not allowed`);
  const n = first & 0x7f;
  if (n > 4) throw new GbcsError('bad-ber', `${what}: a ${n}-octet length at offset ${pos} is too large`);
  if (pos + 1 + n > limit) throw new GbcsError('bad-ber', `${what}: length octets at offset ${pos} run past the end`);
  let length = 0;
  for (let i = 1; i <= n; i++) length = length * 256 + buf[pos + i]!;
  return { length, size: 1 + n };
}

export class BerReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    readonly what: string,
    /** Absolute offset of buf[0] in the whole message (for annotations). */
    readonly base = 0,
    readonly ann?: Annotate,
  ) {
    this.pos = start;
  }

  static of(buf: Buffer, what: string, base = 0, ann?: Annotate): BerReader {
    return new BerReader(buf, 0, buf.length, what, base, ann);
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peekTag(): number | undefined {
    return this.pos < this.end ? this.buf[this.pos] : undefined;
  }

  /** Reads the next TLV, which must carry `tag`. */
  read(tag: number, what: string): Tlv {
    const start = this.pos;
    if (start >= this.end) throw new GbcsError('bad-ber', `${this.what}: ${what} is missing (no data left at offset ${this.base + start})`);
    const actual = this.buf[start]!;
    if (actual !== tag) {
      throw new GbcsError(
        'bad-ber',
        `${this.what}: ${what} expected tag ${tagName(tag)} at offset ${this.base + start}, found ${tagName(actual)}`,
      );
    }
    const { length, size } = readLength(this.buf, start + 1, this.end, `${this.what}: ${what}`);
    const contentStart = start + 1 + size;
    const end = contentStart + length;
    if (end > this.end) {
      throw new GbcsError(
        'bad-ber',
        `${this.what}: ${what} at offset ${this.base + start} claims ${length} content octets but only ${this.end - contentStart} remain`,
      );
    }
    this.pos = end;
    return { tag: actual, start, contentStart, end };
  }

  /** Reads the next TLV if it carries `tag`. */
  optional(tag: number, what: string): Tlv | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** A reader over the content of `t`. */
  inner(t: Tlv, what: string): BerReader {
    return new BerReader(this.buf, t.contentStart, t.end, what, this.base, this.ann);
  }

  content(t: Tlv): Buffer {
    return this.buf.subarray(t.contentStart, t.end);
  }

  whole(t: Tlv): Buffer {
    return this.buf.subarray(t.start, t.end);
  }

  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new GbcsError('bad-ber', `${this.what}: ${this.end - this.pos} unexpected trailing octets at offset ${this.base + this.pos}`);
    }
  }

  note(t: Tlv, label: string, value?: string): void {
    this.ann?.(this.base + t.start, t.end - t.start, label, value);
  }

  // --- typed reads -------------------------------------------------------------------------

  bigint(what: string, label = what): bigint {
    const t = this.read(TAG.INTEGER, what);
    const v = integerValue(this.content(t), `${this.what}: ${what}`);
    this.note(t, label, v.toString());
    return v;
  }

  /** A non-negative INTEGER, e.g. a sequence number (counters are 0..2^64-1). */
  unsigned(what: string, label = what, tag: number = TAG.INTEGER): bigint {
    const t = this.read(tag, what);
    const v = integerValue(this.content(t), `${this.what}: ${what}`);
    if (v < 0n) throw new GbcsError('bad-payload', `${this.what}: ${what} must not be negative, got ${v}`);
    if (v >= 1n << 64n) throw new GbcsError('bad-payload', `${this.what}: ${what} exceeds 64 bits (${v})`);
    this.note(t, label, v.toString());
    return v;
  }

  /** A small INTEGER (mode, role, usage) as a number within [min, max]. */
  small(what: string, min: number, max: number, label = what, describe?: (n: number) => string, tag: number = TAG.INTEGER): number {
    const t = this.read(tag, what);
    const v = integerValue(this.content(t), `${this.what}: ${what}`);
    if (v < BigInt(min) || v > BigInt(max)) {
      throw new GbcsError('bad-payload', `${this.what}: ${what} must be in ${min}..${max}, got ${v}`);
    }
    const n = Number(v);
    this.note(t, label, describe ? describe(n) : String(n));
    return n;
  }

  enumerated(what: string, label = what, describe?: (n: number) => string): number {
    const t = this.read(TAG.ENUMERATED, what);
    const v = integerValue(this.content(t), `${this.what}: ${what}`);
    if (v < 0n || v > 0x7fffffffn) throw new GbcsError('bad-payload', `${this.what}: ${what} value ${v} is out of range`);
    const n = Number(v);
    this.note(t, label, describe ? describe(n) : String(n));
    return n;
  }

  octets(what: string, size?: number, label = what): Buffer {
    const t = this.read(TAG.OCTET_STRING, what);
    const c = this.content(t);
    if (size !== undefined && c.length !== size) {
      throw new GbcsError('bad-payload', `${this.what}: ${what} must be ${size} octets, got ${c.length}`);
    }
    this.note(t, label, hex(c));
    return c;
  }

  null(what: string, label = what): void {
    const t = this.read(TAG.NULL, what);
    if (t.end !== t.contentStart) throw new GbcsError('bad-payload', `${this.what}: ${what} NULL must be empty`);
    this.note(t, label, 'NULL');
  }

  generalizedTime(what: string, label = what): Date {
    const t = this.read(TAG.GENERALIZED_TIME, what);
    const d = decodeGeneralizedTime(this.content(t), `${this.what}: ${what}`);
    this.note(t, label, d.toISOString());
    return d;
  }
}

/** Two's complement big-endian INTEGER content to bigint. */
export function integerValue(c: Uint8Array, what: string): bigint {
  if (c.length === 0) throw new GbcsError('bad-ber', `${what}: INTEGER has no content octets`);
  if (c.length > 16) throw new GbcsError('bad-ber', `${what}: INTEGER of ${c.length} octets is too large`);
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  if (c[0]! & 0x80) v -= 1n << BigInt(8 * c.length);
  return v;
}

const GT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** GeneralizedTime as GBCS uses it: exactly `YYYYMMDDhhmmssZ`. */
export function decodeGeneralizedTime(c: Uint8Array, what: string): Date {
  const s = Buffer.from(c).toString('latin1');
  const m = GT.exec(s);
  if (!m) throw new GbcsError('bad-payload', `${what}: GeneralizedTime '${s.slice(0, 32)}' is not YYYYMMDDhhmmssZ`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw new GbcsError('bad-payload', `${what}: GeneralizedTime '${s}' is not a valid date-time`);
  }
  return date;
}

export function encodeGeneralizedTime(d: Date): Buffer {
  if (Number.isNaN(d.getTime())) throw new GbcsError('bad-argument', 'execution date-time is an invalid Date');
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new GbcsError('bad-argument', `year ${y} does not fit GeneralizedTime`);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = `${p(y, 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return Buffer.from(s, 'latin1');
}

// --- writing ----------------------------------------------------------------------------------

export function encodeLength(n: number, style: LengthStyle = 'der'): Buffer {
  if (!Number.isInteger(n) || n < 0) throw new GbcsError('bad-argument', `cannot encode length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  if (style === 'rtds' && n < 0x100) return Buffer.from([0x82, 0x00, n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function integerContent(n: bigint | number): Buffer {
  let v = BigInt(n);
  if (v === 0n) return Buffer.from([0]);
  let len = 1;
  if (v > 0n) {
    while (v >= 1n << BigInt(8 * len - 1)) len++;
  } else {
    while (v < -(1n << BigInt(8 * len - 1))) len++;
    v += 1n << BigInt(8 * len);
  }
  return Buffer.from(v.toString(16).padStart(len * 2, '0'), 'hex');
}

export class DerWriter {
  constructor(readonly style: LengthStyle = 'der') {}

  tlv(tag: number, ...parts: Uint8Array[]): Buffer {
    const content = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag]), encodeLength(content.length, this.style), content]);
  }
  seq(...parts: Uint8Array[]): Buffer {
    return this.tlv(TAG.SEQUENCE, ...parts);
  }
  int(n: bigint | number, tag: number = TAG.INTEGER): Buffer {
    return this.tlv(tag, integerContent(n));
  }
  enumerated(n: number): Buffer {
    return this.tlv(TAG.ENUMERATED, integerContent(n));
  }
  octets(b: Uint8Array): Buffer {
    return this.tlv(TAG.OCTET_STRING, b);
  }
  null(): Buffer {
    return Buffer.from([TAG.NULL, 0]);
  }
  generalizedTime(d: Date): Buffer {
    return this.tlv(TAG.GENERALIZED_TIME, encodeGeneralizedTime(d));
  }
}
