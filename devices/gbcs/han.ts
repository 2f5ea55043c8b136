/**
 * The ASN.1 (DER) payloads of installation and the HAN (catalogue.md §2.6), as the RTDS vectors show them:
 *
 *   CS03A1/A2/B/C Join (0x000D, 0x00AB, 0x000E, 0x00AF)
 *     Command  = SEQUENCE { method INTEGER (0 A initiator, 1 A responder, 2 B, 3 C), OCTET STRING(8) other EUI,
 *                           INTEGER other device type [, Certificate of the other device (method C)] }
 *     Response = INTEGER status (0 success)
 *   CS04AC/B Unjoin (0x000F, 0x0010): Command = OCTET STRING(8) EUI; Response = INTEGER status
 *   CS07 Read Device Log (0x0013): Command = NULL; Response = SEQUENCE { INTEGER status, SEQUENCE OF SEQUENCE { EUI, type } }
 *   GCS59 Restore GPF Device Log (0x008C, 8.12.2): Command = SEQUENCE { SEQUENCE OF SEQUENCE { EUI, type } };
 *     Response = SEQUENCE { SEQUENCE OF SEQUENCE { SEQUENCE { EUI, type }, INTEGER join response code (0 success) } }
 *   GCS28 Set Time (0x007F, 6.11 and 8.1.1 on a GSME): Command = SEQUENCE { validity start, validity end }
 *     (GeneralizedTime); Response = SEQUENCE { device time GeneralizedTime, INTEGER time status (0 reliable) }
 *
 * Device-type integers (catalogue.md §0.2): 0 GSME, 1 ESME, 2 CHF, 3 GPF, 4 HCALCS, 5 PPMID, 6 Type 2.
 */
import { type Annotate, BerReader, DerWriter, TAG, hex, type LengthStyle } from './ber.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const HanMessageCode = {
  CS03A1: 0x000d,
  CS03A2: 0x00ab,
  CS03B: 0x000e,
  CS03C: 0x00af,
  CS04AC: 0x000f,
  CS04B: 0x0010,
  CS07: 0x0013,
  GCS28: 0x007f,
  GCS59: 0x008c,
} as const;

export const JoinMethod = { aInitiator: 0, aResponder: 1, b: 2, c: 3 } as const;

/** The HAN device-type integers of join and device-log payloads. */
export const HAN_DEVICE_TYPE = { GSME: 0, ESME: 1, CHF: 2, GPF: 3, HCALCS: 4, PPMID: 5, Type2: 6 } as const;
const TYPE_NAME = Object.fromEntries(Object.entries(HAN_DEVICE_TYPE).map(([k, v]) => [v, k])) as Record<number, string>;
export const hanDeviceTypeName = (n: number): string => TYPE_NAME[n] ?? `type ${n}`;

/** Status integers of join, unjoin and device-log responses (RTDS shows 0, 1, 2, 3 and 11). */
export const HanStatus = {
  success: 0,
  /** unjoin: the device is not joined (the RTDS CS04 error vectors) */
  notJoined: 1,
  /** join: the other device's type cannot join this device by this method (the RTDS CS03B error vector) */
  incompatible: 2,
  /** join: the device's join table is full (the RTDS CS03A1 error vector) */
  noCapacity: 3,
  /** join (method C): the certificate does not name the other device (the RTDS CS03C error vector) */
  badCertificate: 11,
} as const;

export interface JoinCommand {
  method: number;
  otherEui: string;
  otherType: number;
  /** method C: the other device's certificate (DER) */
  certificate?: Buffer;
}

export interface HanLogEntry {
  eui: string;
  type: number;
}

export interface DeviceLogResponse {
  status: number;
  /** absent in an error response (the RTDS CS07 error vector is SEQUENCE { INTEGER 1 }) */
  entries?: HanLogEntry[];
}

export interface SetTimeCommand {
  validityStart: Date;
  validityEnd: Date;
}

export interface SetTimeResponse {
  deviceTime: Date;
  timeStatus: number;
}

const euiOf = (b: Buffer): string => hex(b);
const euiBytes = (eui: string, what: string): Buffer => {
  if (!/^[0-9A-Fa-f]{16}$/.test(eui)) throw new GbcsError('bad-argument', `${what}: '${eui}' is not a 16-hex-digit EUI-64`);
  return Buffer.from(eui, 'hex');
};

export function encodeJoinCommand(c: JoinCommand): Buffer {
  const w = new DerWriter();
  return w.seq(w.int(c.method), w.octets(euiBytes(c.otherEui, 'join: other device')), w.int(c.otherType), ...(c.certificate ? [c.certificate] : []));
}

export function decodeJoinCommand(payload: Buffer, ann?: Annotate, base = 0): JoinCommand {
  const top = BerReader.of(payload, 'join command', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'join command');
  top.expectEnd();
  const r = top.inner(seq, 'join command');
  const method = r.small('method', 0, 3, 'join method', (n) => ['A initiator', 'A responder', 'B', 'C'][n] ?? String(n));
  const otherEui = euiOf(r.octets('other device', 8, 'other device EUI'));
  const otherType = r.small('device type', 0, 255, 'other device type', hanDeviceTypeName);
  const out: JoinCommand = { method, otherEui, otherType };
  const cert = r.optional(TAG.SEQUENCE, 'certificate');
  if (cert) {
    r.note(cert, 'other device certificate', `${cert.end - cert.start} octets`);
    out.certificate = Buffer.from(r.whole(cert));
  }
  r.expectEnd();
  return out;
}

export function encodeUnjoinCommand(eui: string): Buffer {
  return new DerWriter().octets(euiBytes(eui, 'unjoin: other device'));
}

export function decodeUnjoinCommand(payload: Buffer, ann?: Annotate, base = 0): string {
  const top = BerReader.of(payload, 'unjoin command', base, ann);
  const eui = euiOf(top.octets('other device', 8, 'other device EUI'));
  top.expectEnd();
  return eui;
}

export function encodeHanStatus(status: number, style: LengthStyle = 'rtds'): Buffer {
  return new DerWriter(style).int(status);
}

export function decodeHanStatus(payload: Buffer, ann?: Annotate, base = 0): number {
  const top = BerReader.of(payload, 'status response', base, ann);
  const status = top.small('status', 0, 255, 'response code');
  top.expectEnd();
  return status;
}

export function encodeDeviceLogResponse(r: DeviceLogResponse, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  const list = r.entries ? [w.seq(...r.entries.map((e) => w.seq(w.octets(euiBytes(e.eui, 'device log entry')), w.int(e.type))))] : [];
  return w.seq(w.int(r.status), ...list);
}

export function decodeDeviceLogResponse(payload: Buffer, ann?: Annotate, base = 0): DeviceLogResponse {
  const top = BerReader.of(payload, 'device log', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'device log');
  top.expectEnd();
  const r = top.inner(seq, 'device log');
  const status = r.small('status', 0, 255, 'response code');
  if (r.atEnd()) return { status };
  const list = r.read(TAG.SEQUENCE, 'entries');
  r.expectEnd();
  const l = r.inner(list, 'entries');
  const entries: HanLogEntry[] = [];
  while (!l.atEnd()) {
    const e = l.inner(l.read(TAG.SEQUENCE, 'entry'), 'entry');
    const eui = euiOf(e.octets('EUI', 8, 'device EUI'));
    const type = e.small('type', 0, 255, 'device type', hanDeviceTypeName);
    e.expectEnd();
    entries.push({ eui, type });
  }
  return { status, entries };
}

/** What a GPF answers for each device log entry GCS59 restores. */
export interface GpfLogRestoreResult {
  entry: HanLogEntry;
  status: number;
}

function writeEntry(w: DerWriter, e: HanLogEntry): Buffer {
  return w.seq(w.octets(euiBytes(e.eui, 'GPF device log entry')), w.int(e.type));
}

function readEntry(r: BerReader): HanLogEntry {
  const e = r.inner(r.read(TAG.SEQUENCE, 'entry'), 'entry');
  const eui = euiOf(e.octets('EUI', 8, 'device EUI'));
  const type = e.small('type', 0, 255, 'device type', hanDeviceTypeName);
  e.expectEnd();
  return { eui, type };
}

/** The one SEQUENCE OF inside the outer SEQUENCE both GCS59 payloads have, as a reader of its items. */
function gcs59List(payload: Buffer, what: string, ann: Annotate | undefined, base: number): BerReader {
  const top = BerReader.of(payload, what, base, ann);
  const seq = top.read(TAG.SEQUENCE, what);
  top.expectEnd();
  const r = top.inner(seq, what);
  const list = r.read(TAG.SEQUENCE, 'entries');
  r.expectEnd();
  return r.inner(list, 'entries');
}

export function encodeGpfLogRestoreCommand(entries: readonly HanLogEntry[]): Buffer {
  const w = new DerWriter();
  return w.seq(w.seq(...entries.map((e) => writeEntry(w, e))));
}

export function decodeGpfLogRestoreCommand(payload: Buffer, ann?: Annotate, base = 0): HanLogEntry[] {
  const l = gcs59List(payload, 'GCS59 command', ann, base);
  const entries: HanLogEntry[] = [];
  while (!l.atEnd()) entries.push(readEntry(l));
  return entries;
}

export function encodeGpfLogRestoreResponse(results: readonly GpfLogRestoreResult[], style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(w.seq(...results.map((x) => w.seq(writeEntry(w, x.entry), w.int(x.status)))));
}

export function decodeGpfLogRestoreResponse(payload: Buffer, ann?: Annotate, base = 0): GpfLogRestoreResult[] {
  const l = gcs59List(payload, 'GCS59 response', ann, base);
  const results: GpfLogRestoreResult[] = [];
  while (!l.atEnd()) {
    const x = l.inner(l.read(TAG.SEQUENCE, 'result'), 'result');
    const entry = readEntry(x);
    const status = x.small('status', 0, 255, 'join response code');
    x.expectEnd();
    results.push({ entry, status });
  }
  return results;
}

export function encodeSetTimeCommand(c: SetTimeCommand): Buffer {
  const w = new DerWriter();
  return w.seq(w.generalizedTime(c.validityStart), w.generalizedTime(c.validityEnd));
}

export function decodeSetTimeCommand(payload: Buffer, ann?: Annotate, base = 0): SetTimeCommand {
  const top = BerReader.of(payload, 'set time command', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'set time command');
  top.expectEnd();
  const r = top.inner(seq, 'set time command');
  const validityStart = r.generalizedTime('validity start');
  const validityEnd = r.generalizedTime('validity end');
  r.expectEnd();
  return { validityStart, validityEnd };
}

export function encodeSetTimeResponse(r: SetTimeResponse, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(w.generalizedTime(r.deviceTime), w.int(r.timeStatus));
}

export function decodeSetTimeResponse(payload: Buffer, ann?: Annotate, base = 0): SetTimeResponse {
  const top = BerReader.of(payload, 'set time response', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'set time response');
  top.expectEnd();
  const r = top.inner(seq, 'set time response');
  const deviceTime = r.generalizedTime('device time');
  const timeStatus = r.small('time status', 0, 255, 'time status', (n) => (n === 0 ? 'reliable' : `status ${n}`));
  r.expectEnd();
  return { deviceTime, timeStatus };
}

export type HanBody =
  | { kind: 'join-command'; command: JoinCommand }
  | { kind: 'unjoin-command'; otherEui: string }
  | { kind: 'han-status-response'; status: number }
  | { kind: 'device-log-command' }
  | { kind: 'device-log-response'; response: DeviceLogResponse }
  | { kind: 'set-time-command'; command: SetTimeCommand }
  | { kind: 'set-time-response'; response: SetTimeResponse }
  | { kind: 'gpf-log-restore-command'; entries: HanLogEntry[] }
  | { kind: 'gpf-log-restore-response'; results: GpfLogRestoreResult[] };

const statusResponse = (payload: Buffer, ann?: Annotate, base?: number): HanBody => ({ kind: 'han-status-response', status: decodeHanStatus(payload, ann, base) });

export const JOIN_CODEC: UseCaseCodec<HanBody> = {
  name: 'CS03 (join)',
  messageCodes: [HanMessageCode.CS03A1, HanMessageCode.CS03A2, HanMessageCode.CS03B, HanMessageCode.CS03C],
  decodeCommand: (payload, ann, base) => ({ kind: 'join-command', command: decodeJoinCommand(payload, ann, base) }),
  decodeResponse: statusResponse,
};

export const UNJOIN_CODEC: UseCaseCodec<HanBody> = {
  name: 'CS04 (unjoin)',
  messageCodes: [HanMessageCode.CS04AC, HanMessageCode.CS04B],
  decodeCommand: (payload, ann, base) => ({ kind: 'unjoin-command', otherEui: decodeUnjoinCommand(payload, ann, base) }),
  decodeResponse: statusResponse,
};

export const DEVICE_LOG_CODEC: UseCaseCodec<HanBody> = {
  name: 'CS07',
  messageCodes: [HanMessageCode.CS07],
  decodeCommand: (payload, ann, base) => {
    const top = BerReader.of(payload, 'CS07 command', base, ann);
    top.null('CS07 command', 'read device log');
    top.expectEnd();
    return { kind: 'device-log-command' };
  },
  decodeResponse: (payload, ann, base) => ({ kind: 'device-log-response', response: decodeDeviceLogResponse(payload, ann, base) }),
};

export const SET_TIME_CODEC: UseCaseCodec<HanBody> = {
  name: 'GCS28',
  messageCodes: [HanMessageCode.GCS28],
  decodeCommand: (payload, ann, base) => ({ kind: 'set-time-command', command: decodeSetTimeCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'set-time-response', response: decodeSetTimeResponse(payload, ann, base) }),
};

export const GPF_LOG_RESTORE_CODEC: UseCaseCodec<HanBody> = {
  name: 'GCS59',
  messageCodes: [HanMessageCode.GCS59],
  decodeCommand: (payload, ann, base) => ({ kind: 'gpf-log-restore-command', entries: decodeGpfLogRestoreCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'gpf-log-restore-response', results: decodeGpfLogRestoreResponse(payload, ann, base) }),
};
