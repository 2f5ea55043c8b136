/**
 * DLMS COSEM as GBCS carries it (catalogue.md §2.4): A-XDR Data values, the ACCESS request and
 * response every ESME and CHF use case is made of, and the data-notification of DLMS alerts.
 *
 *   request      D9 ‖ long-invoke-id(4) ‖ date-time ‖ n ‖ n×spec ‖ n ‖ n×Data
 *   response     DA ‖ long-invoke-id(4) ‖ date-time ‖ 00 ‖ n ‖ n×Data ‖ n ‖ n×{tag, result}
 *   notification 0F ‖ long-invoke-id(4) ‖ date-time ‖ Data
 *
 * A spec is {tag, class-id(2), OBIS(6), attribute or method(1)}, get-with-selection adding the access
 * selector and its parameters (a Data). Every decoder re-encodes to the same bytes (test/devices/dlms.test.ts
 * checks that on every RTDS vector), so a decoded command can be compared and rebuilt field by field.
 */
import { type Annotate, hex } from './ber.ts';
import { GbcsError } from './errors.ts';

export const DLMS_ACCESS_REQUEST = 0xd9;
export const DLMS_ACCESS_RESPONSE = 0xda;
export const DLMS_DATA_NOTIFICATION = 0x0f;

/** A-XDR Data (DLMS Blue Book): the types GBCS uses. Integers above 2^53 use bigint. */
export type DlmsData =
  | { type: 'null' }
  | { type: 'array'; items: DlmsData[] }
  | { type: 'structure'; items: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; bits: number; bytes: Buffer }
  | { type: 'double-long'; value: number }
  | { type: 'double-long-unsigned'; value: number }
  | { type: 'octet-string'; value: Buffer }
  | { type: 'visible-string'; value: Buffer }
  | { type: 'utf8-string'; value: Buffer }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: number }
  | { type: 'unsigned'; value: number }
  | { type: 'long-unsigned'; value: number }
  | { type: 'long64'; value: bigint }
  | { type: 'long64-unsigned'; value: bigint }
  | { type: 'enum'; value: number }
  | { type: 'float32'; value: Buffer }
  | { type: 'float64'; value: Buffer }
  | { type: 'date-time'; value: Buffer }
  | { type: 'date'; value: Buffer }
  | { type: 'time'; value: Buffer }
  | { type: 'compact-array'; description: TypeDescription; items: DlmsData[] };

/** A compact array's contents-description. */
export type TypeDescription =
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] }
  | { type: Exclude<DlmsData['type'], 'array' | 'structure' | 'compact-array'> };

export const DLMS_TAG: Record<DlmsData['type'], number> = {
  null: 0x00, array: 0x01, structure: 0x02, boolean: 0x03, 'bit-string': 0x04, 'double-long': 0x05,
  'double-long-unsigned': 0x06, 'octet-string': 0x09, 'visible-string': 0x0a, 'utf8-string': 0x0c,
  integer: 0x0f, long: 0x10, unsigned: 0x11, 'long-unsigned': 0x12, 'compact-array': 0x13, long64: 0x14,
  'long64-unsigned': 0x15, enum: 0x16, float32: 0x17, float64: 0x18, 'date-time': 0x19, date: 0x1a, time: 0x1b,
};
const TYPE_OF_TAG = new Map(Object.entries(DLMS_TAG).map(([k, v]) => [v, k as DlmsData['type']]));

const FIXED: Partial<Record<DlmsData['type'], number>> = {
  null: 0, boolean: 1, 'double-long': 4, 'double-long-unsigned': 4, integer: 1, long: 2, unsigned: 1, 'long-unsigned': 2,
  long64: 8, 'long64-unsigned': 8, enum: 1, float32: 4, float64: 8, 'date-time': 12, date: 5, time: 4,
};

// ---------------------------------------------------------------- builders (for readable handlers)

export const dlms = {
  null: (): DlmsData => ({ type: 'null' }),
  array: (items: DlmsData[]): DlmsData => ({ type: 'array', items }),
  structure: (...items: DlmsData[]): DlmsData => ({ type: 'structure', items }),
  boolean: (value: boolean): DlmsData => ({ type: 'boolean', value }),
  dl: (value: number): DlmsData => ({ type: 'double-long', value }),
  dlu: (value: number): DlmsData => ({ type: 'double-long-unsigned', value }),
  octets: (value: Buffer | string): DlmsData => ({ type: 'octet-string', value: typeof value === 'string' ? Buffer.from(value, 'hex') : value }),
  visible: (value: string): DlmsData => ({ type: 'visible-string', value: Buffer.from(value, 'latin1') }),
  integer: (value: number): DlmsData => ({ type: 'integer', value }),
  long: (value: number): DlmsData => ({ type: 'long', value }),
  unsigned: (value: number): DlmsData => ({ type: 'unsigned', value }),
  longUnsigned: (value: number): DlmsData => ({ type: 'long-unsigned', value }),
  long64: (value: bigint): DlmsData => ({ type: 'long64', value }),
  long64Unsigned: (value: bigint): DlmsData => ({ type: 'long64-unsigned', value }),
  enum: (value: number): DlmsData => ({ type: 'enum', value }),
  /** {scaler, unit} as class-3 registers give it */
  scalerUnit: (scaler: number, unit: number): DlmsData => ({ type: 'structure', items: [{ type: 'integer', value: scaler }, { type: 'enum', value: unit }] }),
  bits: (bits: number, bytes: Buffer): DlmsData => ({ type: 'bit-string', bits, bytes }),
};

/** A-XDR length: one octet below 0x80, else 0x8n and n octets. */
export function encodeAxdrLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

class Reader {
  /**
   * Annotates the octets from `start` to here. Undefined without an annotator, so that `r.note?.(…)` skips
   * its arguments too (every value's text), as decodeApdu's note does.
   */
  readonly note?: (start: number, label: string, value?: string) => void;

  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
    readonly base: number,
    readonly ann?: Annotate,
  ) {
    if (ann) this.note = (start, label, value) => ann(this.base + start, this.pos - start, label, value);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new GbcsError('bad-dlms', `${what} at offset ${this.base + this.pos} needs ${n} octets, only ${this.end - this.pos} remain`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  take(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  length(what: string): number {
    const first = this.u8(what);
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new GbcsError('bad-dlms', `${what}: length form 0x${first.toString(16)} at offset ${this.base + this.pos - 1}`);
    let v = 0;
    for (const b of this.take(n, what)) v = v * 256 + b;
    return v;
  }
}

// ---------------------------------------------------------------- Data

function readFixed(r: Reader, type: DlmsData['type'], what: string): DlmsData {
  const n = FIXED[type]!;
  const b = r.take(n, what);
  switch (type) {
    case 'null': return { type };
    case 'boolean': return { type, value: b[0] !== 0 };
    case 'double-long': return { type, value: b.readInt32BE() };
    case 'double-long-unsigned': return { type, value: b.readUInt32BE() };
    case 'integer': return { type, value: b.readInt8() };
    case 'long': return { type, value: b.readInt16BE() };
    case 'unsigned': return { type, value: b[0]! };
    case 'long-unsigned': return { type, value: b.readUInt16BE() };
    case 'long64': return { type, value: b.readBigInt64BE() };
    case 'long64-unsigned': return { type, value: b.readBigUInt64BE() };
    case 'enum': return { type, value: b[0]! };
    case 'float32': case 'float64': case 'date-time': case 'date': case 'time': return { type, value: Buffer.from(b) };
    default: throw new GbcsError('bad-dlms', `${what}: ${type} is not a fixed-size type`);
  }
}

/** The value of a Data of known type, without its tag (compact-array contents; the tagged form adds the tag). */
function readUntagged(r: Reader, type: DlmsData['type'], what: string, desc?: TypeDescription): DlmsData {
  const start = r.pos;
  let d: DlmsData;
  switch (type) {
    case 'array': case 'structure': {
      if (desc && desc.type === 'array') {
        const items = Array.from({ length: desc.count }, (_, i) => readUntagged(r, desc.element.type, `${what}[${i}]`, desc.element));
        return { type: 'array', items };
      }
      if (desc && desc.type === 'structure') {
        return { type: 'structure', items: desc.elements.map((e, i) => readUntagged(r, e.type, `${what}.${i}`, e)) };
      }
      const n = r.length(`${what} count`);
      const items: DlmsData[] = [];
      for (let i = 0; i < n; i++) items.push(readData(r, `${what}[${i}]`));
      d = { type, items };
      r.note?.(start, `${type}(${n})`);
      return d;
    }
    case 'bit-string': {
      const bits = r.length(`${what} bit count`);
      d = { type, bits, bytes: Buffer.from(r.take(Math.ceil(bits / 8), what)) };
      break;
    }
    case 'octet-string': case 'visible-string': case 'utf8-string': {
      const n = r.length(`${what} length`);
      d = { type, value: Buffer.from(r.take(n, what)) };
      break;
    }
    case 'compact-array': {
      const description = readTypeDescription(r, `${what} type description`);
      const n = r.length(`${what} contents length`);
      const end = r.pos + n;
      r.need(n, `${what} contents`);
      const inner = new Reader(r.buf, r.pos, end, r.base, r.ann);
      const items: DlmsData[] = [];
      while (inner.pos < end) items.push(readUntagged(inner, description.type, `${what}[${items.length}]`, description));
      r.pos = end;
      d = { type, description, items };
      r.note?.(start, `compact-array(${items.length})`);
      return d;
    }
    default:
      d = readFixed(r, type, what);
  }
  r.note?.(start, type, valueText(d));
  return d;
}

function readData(r: Reader, what: string): DlmsData {
  const tag = r.u8(`${what} tag`);
  const type = TYPE_OF_TAG.get(tag);
  if (!type) throw new GbcsError('bad-dlms', `${what}: unknown Data tag 0x${tag.toString(16).padStart(2, '0')} at offset ${r.base + r.pos - 1}`);
  return readUntagged(r, type, what);
}

function readTypeDescription(r: Reader, what: string): TypeDescription {
  const tag = r.u8(what);
  const type = TYPE_OF_TAG.get(tag);
  if (!type || type === 'compact-array') throw new GbcsError('bad-dlms', `${what}: bad type tag 0x${tag.toString(16)}`);
  if (type === 'array') {
    const count = r.take(2, what).readUInt16BE();
    return { type, count, element: readTypeDescription(r, what) };
  }
  if (type === 'structure') {
    const n = r.length(what);
    return { type, elements: Array.from({ length: n }, () => readTypeDescription(r, what)) };
  }
  return { type } as TypeDescription;
}

function valueText(d: DlmsData): string | undefined {
  switch (d.type) {
    case 'null': return 'null';
    case 'array': case 'structure': case 'compact-array': return undefined;
    case 'bit-string': return `${d.bits} bits ${hex(d.bytes)}`;
    case 'octet-string': case 'float32': case 'float64': case 'date-time': case 'date': case 'time': return hex(d.value);
    case 'visible-string': case 'utf8-string': return JSON.stringify(d.value.toString(d.type === 'utf8-string' ? 'utf8' : 'latin1'));
    default: return String(d.value);
  }
}

function writeFixed(d: DlmsData): Buffer {
  const n = FIXED[d.type]!;
  const b = Buffer.alloc(n);
  switch (d.type) {
    case 'null': break;
    case 'boolean': b[0] = d.value ? 0xff : 0x00; break;
    case 'double-long': b.writeInt32BE(d.value); break;
    case 'double-long-unsigned': b.writeUInt32BE(d.value); break;
    case 'integer': b.writeInt8(d.value); break;
    case 'long': b.writeInt16BE(d.value); break;
    case 'unsigned': case 'enum': b.writeUInt8(d.value); break;
    case 'long-unsigned': b.writeUInt16BE(d.value); break;
    case 'long64': b.writeBigInt64BE(d.value); break;
    case 'long64-unsigned': b.writeBigUInt64BE(d.value); break;
    case 'float32': case 'float64': case 'date-time': case 'date': case 'time':
      if (d.value.length !== n) throw new GbcsError('bad-argument', `${d.type} must be ${n} octets, got ${d.value.length}`);
      return Buffer.from(d.value);
    default: throw new GbcsError('bad-argument', `${d.type} is not fixed-size`);
  }
  return b;
}

function writeUntagged(d: DlmsData, desc?: TypeDescription): Buffer {
  switch (d.type) {
    case 'array': case 'structure':
      if (desc) {
        if (desc.type !== d.type) throw new GbcsError('bad-argument', `compact-array element is ${d.type}, its description says ${desc.type}`);
        const elementOf = (i: number) => (desc.type === 'array' ? desc.element : desc.type === 'structure' ? desc.elements[i] : undefined);
        return Buffer.concat(d.items.map((x, i) => writeUntagged(x, elementOf(i))));
      }
      return Buffer.concat([encodeAxdrLength(d.items.length), ...d.items.map(encodeDlmsData)]);
    case 'bit-string': return Buffer.concat([encodeAxdrLength(d.bits), d.bytes]);
    case 'octet-string': case 'visible-string': case 'utf8-string': return Buffer.concat([encodeAxdrLength(d.value.length), d.value]);
    case 'compact-array': {
      const contents = Buffer.concat(d.items.map((x) => writeUntagged(x, d.description)));
      return Buffer.concat([writeTypeDescription(d.description), encodeAxdrLength(contents.length), contents]);
    }
    default: return writeFixed(d);
  }
}

function writeTypeDescription(t: TypeDescription): Buffer {
  if (t.type === 'array') {
    const c = Buffer.alloc(2);
    c.writeUInt16BE(t.count);
    return Buffer.concat([Buffer.from([DLMS_TAG.array]), c, writeTypeDescription(t.element)]);
  }
  if (t.type === 'structure') return Buffer.concat([Buffer.from([DLMS_TAG.structure]), encodeAxdrLength(t.elements.length), ...t.elements.map(writeTypeDescription)]);
  return Buffer.from([DLMS_TAG[t.type]]);
}

/** One-octet buffers, shared: a tag or a short length is pushed without an allocation. */
const OCTETS = Array.from({ length: 256 }, (_, i) => Buffer.from([i]));

/**
 * Pushes a Data's encoding onto `out`, arrays and structures element by element: concatenated once at the end, not
 * at every level (a read's list of objects is structures three deep; each level copied everything below it again).
 */
function pushTagged(d: DlmsData, out: Buffer[]): void {
  const tag = DLMS_TAG[d.type];
  if (tag === undefined) throw new GbcsError('bad-argument', `unknown DLMS Data type '${String((d as { type: unknown }).type)}'`);
  out.push(OCTETS[tag]!);
  if (d.type === 'array' || d.type === 'structure') {
    const n = d.items.length;
    out.push(n < 0x80 ? OCTETS[n]! : encodeAxdrLength(n));
    for (const x of d.items) pushTagged(x, out);
  } else if (d.type === 'octet-string' || d.type === 'visible-string' || d.type === 'utf8-string') {
    // length and value pushed as they are, not concatenated first (writeUntagged's form)
    const n = d.value.length;
    out.push(n < 0x80 ? OCTETS[n]! : encodeAxdrLength(n), d.value);
  } else {
    out.push(writeUntagged(d));
  }
}

export function encodeDlmsData(d: DlmsData): Buffer {
  const out: Buffer[] = [];
  pushTagged(d, out);
  return Buffer.concat(out);
}

/** Decodes one Data occupying all of `bytes`. */
export function decodeDlmsData(bytes: Buffer, ann?: Annotate, base = 0): DlmsData {
  const r = new Reader(bytes, 0, bytes.length, base, ann);
  const d = readData(r, 'Data');
  if (r.pos !== bytes.length) throw new GbcsError('bad-dlms', `Data: ${bytes.length - r.pos} octets left over`);
  return d;
}

// ---------------------------------------------------------------- OBIS

/** OBIS as 12 hex digits (the wire form) from 'A-B:C.D.E.F' or hex. */
export function obis(text: string): string {
  const m = /^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (m) return Buffer.from(m.slice(1).map(Number)).toString('hex').toUpperCase();
  if (/^[0-9A-Fa-f]{12}$/.test(text)) return text.toUpperCase();
  throw new GbcsError('bad-argument', `'${text}' is not an OBIS code (A-B:C.D.E.F)`);
}

/** 'A-B:C.D.E.F' of 12 hex digits. */
export function obisText(hex12: string): string {
  const b = Buffer.from(hex12, 'hex');
  return `${b[0]}-${b[1]}:${b[2]}.${b[3]}.${b[4]}.${b[5]}`;
}

// ---------------------------------------------------------------- ACCESS

export type AccessKind = 'get' | 'set' | 'action' | 'get-with-selection' | 'set-with-selection';
const ACCESS_TAG: Record<AccessKind, number> = { get: 1, set: 2, action: 3, 'get-with-selection': 4, 'set-with-selection': 5 };
const KIND_OF_TAG = new Map(Object.entries(ACCESS_TAG).map(([k, v]) => [v, k as AccessKind]));

export interface AccessSpec {
  kind: AccessKind;
  classId: number;
  /** 12 hex digits, upper case */
  obis: string;
  /** attribute id (get/set) or method id (action) */
  id: number;
  /** with-selection: access selector and its parameters */
  selector?: number;
  parameters?: DlmsData;
}

export interface AccessRequest {
  invokeId: number;
  /** the APDU's date-time: absent (00) in every RTDS vector */
  dateTime?: Buffer;
  specs: AccessSpec[];
  /** one per spec: the value to set, the method's parameter, or null for a get */
  data: DlmsData[];
}

export interface AccessResult {
  kind: AccessKind;
  /** DLMS data-access-result / action-result: 0 success */
  result: number;
}

export interface AccessResponse {
  invokeId: number;
  dateTime?: Buffer;
  /** one per spec: the value got, the method's return, or null */
  data: DlmsData[];
  results: AccessResult[];
}

export interface DataNotification {
  invokeId: number;
  dateTime?: Buffer;
  body: DlmsData;
}

/** GBCS: long-invoke-id = 0x20 ‖ the low 24 bits of the grouping-header counter. */
export function invokeIdFor(counter: bigint): number {
  return (0x20 << 24 | Number(counter & 0xffffffn)) >>> 0;
}

function readInvokeAndTime(r: Reader): { invokeId: number; dateTime?: Buffer } {
  let s = r.pos;
  const invokeId = r.take(4, 'long-invoke-id').readUInt32BE();
  r.note?.(s, 'long-invoke-id', `0x${invokeId.toString(16).toUpperCase()}`);
  s = r.pos;
  const dt = r.u8('date-time');
  if (dt === 0) {
    r.note?.(s, 'date-time', 'absent');
    return { invokeId };
  }
  const n = dt === 0x0c ? 12 : dt;
  const dateTime = Buffer.from(r.take(n, 'date-time'));
  r.note?.(s, 'date-time', hex(dateTime));
  return { invokeId, dateTime };
}

function writeInvokeAndTime(invokeId: number, dateTime?: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(invokeId >>> 0);
  return Buffer.concat([b, dateTime ? Buffer.concat([Buffer.from([dateTime.length]), dateTime]) : Buffer.from([0])]);
}

function labelOf(s: AccessSpec): string {
  return `${s.kind} class ${s.classId} ${obisText(s.obis)} ${s.kind === 'action' ? 'method' : 'attribute'} ${s.id}`;
}

export function encodeAccessRequest(req: AccessRequest): Buffer {
  if (req.specs.length !== req.data.length) throw new GbcsError('bad-argument', `ACCESS request: ${req.specs.length} specs but ${req.data.length} data`);
  const specs = req.specs.map((s) => {
    const tag = ACCESS_TAG[s.kind];
    if (tag === undefined) throw new GbcsError('bad-argument', `unknown access kind '${String(s.kind)}'`);
    const head = Buffer.alloc(10);
    head[0] = tag;
    head.writeUInt16BE(s.classId, 1);
    Buffer.from(obis(s.obis), 'hex').copy(head, 3);
    head[9] = s.id;
    if (s.kind === 'get-with-selection' || s.kind === 'set-with-selection') {
      if (s.selector === undefined || !s.parameters) throw new GbcsError('bad-argument', `${labelOf(s)}: selector and parameters are required`);
      return Buffer.concat([head, Buffer.from([s.selector]), encodeDlmsData(s.parameters)]);
    }
    return head;
  });
  return Buffer.concat([
    Buffer.from([DLMS_ACCESS_REQUEST]),
    writeInvokeAndTime(req.invokeId, req.dateTime),
    encodeAxdrLength(specs.length),
    ...specs,
    encodeAxdrLength(req.data.length),
    ...req.data.map(encodeDlmsData),
  ]);
}

export function decodeAccessRequest(bytes: Buffer, ann?: Annotate, base = 0): AccessRequest {
  const r = new Reader(bytes, 0, bytes.length, base, ann);
  let s = r.pos;
  if (r.u8('tag') !== DLMS_ACCESS_REQUEST) throw new GbcsError('bad-dlms', `ACCESS request: expected tag D9 at offset ${base}`);
  r.note?.(s, 'DLMS access-request');
  const { invokeId, dateTime } = readInvokeAndTime(r);
  const n = r.length('spec count');
  const specs: AccessSpec[] = [];
  for (let i = 0; i < n; i++) {
    s = r.pos;
    const tag = r.u8('spec tag');
    const kind = KIND_OF_TAG.get(tag);
    if (!kind) throw new GbcsError('bad-dlms', `ACCESS request spec ${i}: unknown tag ${tag}`);
    const b = r.take(9, `spec ${i}`);
    const spec: AccessSpec = { kind, classId: b.readUInt16BE(0), obis: hex(b.subarray(2, 8)), id: b[8]! };
    if (kind === 'get-with-selection' || kind === 'set-with-selection') {
      spec.selector = r.u8('access selector');
      spec.parameters = readData(r, 'access parameters');
    }
    r.note?.(s, `spec ${i + 1}`, labelOf(spec));
    specs.push(spec);
  }
  const m = r.length('data count');
  const data: DlmsData[] = [];
  for (let i = 0; i < m; i++) data.push(readData(r, `data ${i + 1}`));
  if (r.pos !== bytes.length) throw new GbcsError('bad-dlms', `ACCESS request: ${bytes.length - r.pos} octets left over`);
  if (m !== n) throw new GbcsError('bad-dlms', `ACCESS request: ${n} specs but ${m} data`);
  return dateTime ? { invokeId, dateTime, specs, data } : { invokeId, specs, data };
}

export function encodeAccessResponse(res: AccessResponse): Buffer {
  return Buffer.concat([
    Buffer.from([DLMS_ACCESS_RESPONSE]),
    writeInvokeAndTime(res.invokeId, res.dateTime),
    Buffer.from([0]),
    encodeAxdrLength(res.data.length),
    ...res.data.map(encodeDlmsData),
    encodeAxdrLength(res.results.length),
    ...res.results.map((x) => Buffer.from([ACCESS_TAG[x.kind], x.result])),
  ]);
}

export function decodeAccessResponse(bytes: Buffer, ann?: Annotate, base = 0): AccessResponse {
  const r = new Reader(bytes, 0, bytes.length, base, ann);
  let s = r.pos;
  if (r.u8('tag') !== DLMS_ACCESS_RESPONSE) throw new GbcsError('bad-dlms', `ACCESS response: expected tag DA at offset ${base}`);
  r.note?.(s, 'DLMS access-response');
  const { invokeId, dateTime } = readInvokeAndTime(r);
  s = r.pos;
  if (r.u8('access-request-specification') !== 0) throw new GbcsError('bad-dlms', 'ACCESS response: a request-specification list is not supported');
  r.note?.(s, 'request specification', 'absent');
  const n = r.length('data count');
  const data: DlmsData[] = [];
  for (let i = 0; i < n; i++) data.push(readData(r, `data ${i + 1}`));
  const m = r.length('result count');
  const results: AccessResult[] = [];
  for (let i = 0; i < m; i++) {
    s = r.pos;
    const tag = r.u8('result tag');
    const kind = KIND_OF_TAG.get(tag);
    if (!kind) throw new GbcsError('bad-dlms', `ACCESS response result ${i}: unknown tag ${tag}`);
    const result = r.u8('result');
    r.note?.(s, `result ${i + 1}`, `${kind} ${result === 0 ? 'success' : `failure ${result}`}`);
    results.push({ kind, result });
  }
  if (r.pos !== bytes.length) throw new GbcsError('bad-dlms', `ACCESS response: ${bytes.length - r.pos} octets left over`);
  return dateTime ? { invokeId, dateTime, data, results } : { invokeId, data, results };
}

export function encodeDataNotification(n: DataNotification): Buffer {
  return Buffer.concat([Buffer.from([DLMS_DATA_NOTIFICATION]), writeInvokeAndTime(n.invokeId, n.dateTime), encodeDlmsData(n.body)]);
}

export function decodeDataNotification(bytes: Buffer, ann?: Annotate, base = 0): DataNotification {
  const r = new Reader(bytes, 0, bytes.length, base, ann);
  const s = r.pos;
  if (r.u8('tag') !== DLMS_DATA_NOTIFICATION) throw new GbcsError('bad-dlms', `data-notification: expected tag 0F at offset ${base}`);
  r.note?.(s, 'DLMS data-notification');
  const { invokeId, dateTime } = readInvokeAndTime(r);
  const body = readData(r, 'notification body');
  if (r.pos !== bytes.length) throw new GbcsError('bad-dlms', `data-notification: ${bytes.length - r.pos} octets left over`);
  return dateTime ? { invokeId, dateTime, body } : { invokeId, body };
}

/** DLMS data-access-result values GBCS devices answer with. */
export const DataAccessResult = {
  success: 0,
  hardwareFault: 1,
  temporaryFailure: 2,
  readWriteDenied: 3,
  objectUndefined: 4,
  objectUnavailable: 11,
  typeUnmatched: 12,
  otherReason: 250,
} as const;
