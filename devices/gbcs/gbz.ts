/**
 * GBZ, the wrapper GBCS puts round ZigBee ZCL for GSME and GPF use cases (catalogue.md §2.5):
 *
 *   01 09 ‖ component count ‖ per component: control ‖ cluster(2, BE) ‖ length(2, BE) ‖ [extended header] ‖
 *   ZCL header {frame control, sequence, command id} ‖ ZCL payload (little-endian, ZigBee rules)
 *
 * Control bits: 0x01 last component, 0x02 encrypted (extended header 00 00, then the ZCL header, a 2-octet
 * ciphered length and `31 00000000` ‖ ciphertext ‖ 12-octet tag), 0x10 a 4-octet from-date-time header.
 * Alerts: 01 09 ‖ count ‖ alert code(2, BE) ‖ UTC seconds since 2000 (4, BE) ‖ the rest.
 * Every decoder re-encodes to the same bytes (test/devices/gbz.test.ts, on every RTDS GBZ vector).
 */
import { type Annotate, hex } from './ber.ts';
import { GbcsError } from './errors.ts';

export const GBZ_PROFILE_ID = 0x0109;

export const GbzControl = { last: 0x01, encrypted: 0x02, fromDateTime: 0x10 } as const;

export const ZclCluster = {
  price: 0x0700,
  metering: 0x0702,
  messaging: 0x0703,
  prepayment: 0x0705,
  calendar: 0x0707,
  deviceManagement: 0x0708,
  basic: 0x0000,
  time: 0x000a,
} as const;

export interface GbzEncryptedPart {
  /** the 2-octet extended header before the ZCL header (00 00 in RTDS) */
  extendedHeader: Buffer;
  /** security header (31 00000000), ciphertext and 12-octet tag, as carried */
  ciphered: Buffer;
}

export interface GbzComponent {
  /** the control byte without the last-component bit (the encoder sets that on the last one) */
  control: number;
  clusterId: number;
  /** 0x10 components: the from-date-time header (UTC seconds since 2000, as carried: 4 octets BE) */
  fromDateTime?: Buffer;
  frameControl: number;
  sequence: number;
  commandId: number;
  /** the ZCL payload (plain components) */
  payload: Buffer;
  /** 0x02 components: the encrypted payload */
  encrypted?: GbzEncryptedPart;
}

export interface GbzPayload {
  components: GbzComponent[];
}

export interface GbzAlert {
  alertCode: number;
  /** UTC seconds since 2000-01-01 */
  time: number;
  /** the component count the alert declares */
  componentCount: number;
  /** everything after the timestamp (components, or the 8F66/8F67 future-dated details) */
  rest: Buffer;
}

/** 2000-01-01T00:00:00Z, the ZigBee epoch. */
export const ZIGBEE_EPOCH_MS = Date.UTC(2000, 0, 1);
export function zigbeeTime(d: Date): number {
  return Math.floor((d.getTime() - ZIGBEE_EPOCH_MS) / 1000) >>> 0;
}
export function dateOfZigbeeTime(s: number): Date {
  return new Date(ZIGBEE_EPOCH_MS + s * 1000);
}

export function isGbz(payload: Buffer): boolean {
  return payload.length >= 3 && payload[0] === 0x01 && payload[1] === 0x09;
}

export function encodeGbz(p: GbzPayload): Buffer {
  if (p.components.length === 0 || p.components.length > 255) throw new GbcsError('bad-argument', 'GBZ: 1..255 components');
  const parts = p.components.map((c, i) => {
    const last = i === p.components.length - 1;
    const control = (c.control & ~GbzControl.last) | (last ? GbzControl.last : 0);
    const zclHeader = Buffer.from([c.frameControl, c.sequence, c.commandId]);
    let body: Buffer;
    if (control & GbzControl.encrypted) {
      if (!c.encrypted) throw new GbcsError('bad-argument', 'GBZ: an encrypted component needs its encrypted part');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(c.encrypted.ciphered.length);
      body = Buffer.concat([c.encrypted.extendedHeader, zclHeader, len, c.encrypted.ciphered]);
    } else {
      body = Buffer.concat([zclHeader, c.payload]);
    }
    if (control & GbzControl.fromDateTime) {
      if (!c.fromDateTime || c.fromDateTime.length !== 4) throw new GbcsError('bad-argument', 'GBZ: a 0x10 component needs a 4-octet from-date-time');
      body = Buffer.concat([c.fromDateTime, body]);
    }
    const head = Buffer.alloc(5);
    head[0] = control;
    head.writeUInt16BE(c.clusterId, 1);
    head.writeUInt16BE(body.length, 3);
    return Buffer.concat([head, body]);
  });
  return Buffer.concat([Buffer.from([0x01, 0x09, p.components.length]), ...parts]);
}

export function decodeGbz(bytes: Buffer, ann?: Annotate, base = 0): GbzPayload {
  const note = (off: number, len: number, label: string, value?: string) => ann?.(base + off, len, label, value);
  if (!isGbz(bytes)) throw new GbcsError('bad-gbz', `GBZ: expected profile id 0109 at offset ${base}`);
  note(0, 2, 'GBZ profile id', '0x0109');
  const count = bytes[2]!;
  note(2, 1, 'component count', String(count));
  let pos = 3;
  const components: GbzComponent[] = [];
  for (let i = 0; i < count; i++) {
    if (pos + 5 > bytes.length) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: header runs past the end`);
    const control = bytes[pos]!;
    const clusterId = bytes.readUInt16BE(pos + 1);
    const length = bytes.readUInt16BE(pos + 3);
    const start = pos + 5;
    const end = start + length;
    if (end > bytes.length) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: length ${length} runs past the end`);
    const isLast = i === count - 1;
    if (Boolean(control & GbzControl.last) !== isLast) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: last-component bit is ${control & 1 ? 'set' : 'clear'}`);
    note(pos, 5 + length, `component ${i + 1}`, `cluster 0x${clusterId.toString(16).padStart(4, '0').toUpperCase()}, control 0x${control.toString(16).padStart(2, '0')}`);
    let p = start;
    const c: GbzComponent = { control: control & ~GbzControl.last, clusterId, frameControl: 0, sequence: 0, commandId: 0, payload: Buffer.alloc(0) };
    if (control & GbzControl.fromDateTime) {
      if (p + 4 > end) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: from-date-time runs past the component`);
      c.fromDateTime = Buffer.from(bytes.subarray(p, p + 4));
      note(p, 4, 'from date-time', hex(c.fromDateTime));
      p += 4;
    }
    let extendedHeader: Buffer | undefined;
    if (control & GbzControl.encrypted) {
      extendedHeader = Buffer.from(bytes.subarray(p, p + 2));
      note(p, 2, 'extended header', hex(extendedHeader));
      p += 2;
    }
    if (p + 3 > end) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: ZCL header runs past the component`);
    c.frameControl = bytes[p]!;
    c.sequence = bytes[p + 1]!;
    c.commandId = bytes[p + 2]!;
    note(p, 3, 'ZCL header', `frame control 0x${c.frameControl.toString(16).padStart(2, '0')}, command 0x${c.commandId.toString(16).padStart(2, '0')}`);
    p += 3;
    if (extendedHeader) {
      if (p + 2 > end) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: ciphered length runs past the component`);
      const n = bytes.readUInt16BE(p);
      if (p + 2 + n !== end) throw new GbcsError('bad-gbz', `GBZ component ${i + 1}: ciphered length ${n} does not fill the component`);
      c.encrypted = { extendedHeader, ciphered: Buffer.from(bytes.subarray(p + 2, end)) };
      note(p + 2, n, 'encrypted ZCL payload');
    } else {
      c.payload = Buffer.from(bytes.subarray(p, end));
      if (c.payload.length) note(p, c.payload.length, 'ZCL payload', hex(c.payload));
    }
    components.push(c);
    pos = end;
  }
  if (pos !== bytes.length) throw new GbcsError('bad-gbz', `GBZ: ${bytes.length - pos} octets after the last component`);
  return { components };
}

export function encodeGbzAlert(a: GbzAlert): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt16BE(GBZ_PROFILE_ID, 0);
  head[2] = a.componentCount;
  head.writeUInt16BE(a.alertCode, 3);
  head.writeUInt32BE(a.time >>> 0, 5);
  return Buffer.concat([head, a.rest]);
}

export function decodeGbzAlert(bytes: Buffer, ann?: Annotate, base = 0): GbzAlert {
  if (!isGbz(bytes) || bytes.length < 9) throw new GbcsError('bad-gbz', 'GBZ alert: expected profile id 0109 and a 9-octet header');
  const a: GbzAlert = { componentCount: bytes[2]!, alertCode: bytes.readUInt16BE(3), time: bytes.readUInt32BE(5), rest: Buffer.from(bytes.subarray(9)) };
  ann?.(base, 2, 'GBZ profile id', '0x0109');
  ann?.(base + 2, 1, 'component count', String(a.componentCount));
  ann?.(base + 3, 2, 'alert code', `0x${a.alertCode.toString(16).toUpperCase()}`);
  ann?.(base + 5, 4, 'time', dateOfZigbeeTime(a.time).toISOString());
  if (a.rest.length) ann?.(base + 9, a.rest.length, 'alert details', hex(a.rest));
  return a;
}

// ---------------------------------------------------------------- ZCL values

/** ZCL data types GBCS uses (type id → octets; strings are length-prefixed). */
export const ZclType = {
  bool: 0x10, bitmap8: 0x18, bitmap16: 0x19, bitmap32: 0x1b, uint8: 0x20, uint16: 0x21, uint24: 0x22, uint32: 0x23, uint40: 0x24, uint48: 0x25,
  int8: 0x28, int16: 0x29, int24: 0x2a, int32: 0x2b, int48: 0x2d, enum8: 0x30, enum16: 0x31, octets: 0x41, chars: 0x42, utc: 0xe2,
} as const;

const ZCL_SIZE: Record<number, number> = {
  0x10: 1, 0x18: 1, 0x19: 2, 0x1b: 4, 0x20: 1, 0x21: 2, 0x22: 3, 0x23: 4, 0x24: 5, 0x25: 6,
  0x28: 1, 0x29: 2, 0x2a: 3, 0x2b: 4, 0x2d: 6, 0x30: 1, 0x31: 2, 0xe2: 4,
};
const SIGNED = new Set([0x28, 0x29, 0x2a, 0x2b, 0x2d]);

/** A ZCL attribute value: numbers (bigint above 2^53 never occurs: uint48 fits), or bytes for strings. */
export interface ZclValue {
  type: number;
  value: number | Buffer;
}

export function encodeZclValue(v: ZclValue): Buffer {
  if (v.type === ZclType.octets || v.type === ZclType.chars) {
    const b = v.value as Buffer;
    return Buffer.concat([Buffer.from([b.length]), b]);
  }
  const n = ZCL_SIZE[v.type];
  if (n === undefined) throw new GbcsError('bad-argument', `ZCL type 0x${v.type.toString(16)} is not supported`);
  const out = Buffer.alloc(n);
  if (SIGNED.has(v.type)) out.writeIntLE(v.value as number, 0, n);
  else out.writeUIntLE(v.value as number, 0, n);
  return out;
}

export function readZclValue(b: Buffer, pos: number, type: number): { value: ZclValue; size: number } {
  if (type === ZclType.octets || type === ZclType.chars) {
    const n = b[pos]!;
    if (pos + 1 + n > b.length) throw new GbcsError('bad-zcl', `ZCL string at ${pos} runs past the end`);
    return { value: { type, value: Buffer.from(b.subarray(pos + 1, pos + 1 + n)) }, size: 1 + n };
  }
  const n = ZCL_SIZE[type];
  if (n === undefined) throw new GbcsError('bad-zcl', `ZCL type 0x${type.toString(16)} is not supported`);
  if (pos + n > b.length) throw new GbcsError('bad-zcl', `ZCL value at ${pos} runs past the end`);
  return { value: { type, value: SIGNED.has(type) ? b.readIntLE(pos, n) : b.readUIntLE(pos, n) }, size: n };
}

/** ZCL Read Attributes (command 0x00): attribute ids, 16-bit little-endian. */
export function encodeReadAttributes(ids: readonly number[]): Buffer {
  const b = Buffer.alloc(ids.length * 2);
  ids.forEach((id, i) => b.writeUInt16LE(id, i * 2));
  return b;
}

export function decodeReadAttributes(payload: Buffer): number[] {
  if (payload.length % 2) throw new GbcsError('bad-zcl', 'Read Attributes: odd payload length');
  return Array.from({ length: payload.length / 2 }, (_, i) => payload.readUInt16LE(i * 2));
}

export const ZclStatus = { success: 0x00, failure: 0x01, notAuthorized: 0x7e, unsupportedAttribute: 0x86, invalidValue: 0x87, notFound: 0x8b, hardwareFailure: 0xc0 } as const;

export interface ReadAttributeRecord {
  id: number;
  status: number;
  value?: ZclValue;
}

/** ZCL Read Attributes Response (command 0x01): id ‖ status ‖ [type ‖ value]. */
export function encodeReadAttributesResponse(records: readonly ReadAttributeRecord[]): Buffer {
  return Buffer.concat(records.map((r) => {
    const head = Buffer.alloc(3);
    head.writeUInt16LE(r.id, 0);
    head[2] = r.status;
    if (r.status !== ZclStatus.success || !r.value) return head;
    return Buffer.concat([head, Buffer.from([r.value.type]), encodeZclValue(r.value)]);
  }));
}

export function decodeReadAttributesResponse(payload: Buffer): ReadAttributeRecord[] {
  const out: ReadAttributeRecord[] = [];
  let pos = 0;
  while (pos < payload.length) {
    if (pos + 3 > payload.length) throw new GbcsError('bad-zcl', 'Read Attributes Response: truncated record');
    const id = payload.readUInt16LE(pos);
    const status = payload[pos + 2]!;
    pos += 3;
    if (status !== ZclStatus.success) {
      out.push({ id, status });
      continue;
    }
    const type = payload[pos]!;
    const { value, size } = readZclValue(payload, pos + 1, type);
    out.push({ id, status, value });
    pos += 1 + size;
  }
  return out;
}

/** ZCL Default Response (command 0x0B): the command id answered and a status. */
export function encodeDefaultResponse(commandId: number, status: number): Buffer {
  return Buffer.from([commandId, status]);
}
