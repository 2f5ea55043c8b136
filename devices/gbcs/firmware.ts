/**
 * The ASN.1 (DER) payloads of firmware (catalogue.md §2.6, §2.8), as the RTDS vectors show them:
 *
 *   CS06 Activate Firmware (0x0012, critical, future-datable)
 *     Command  = SEQUENCE { OCTET STRING(32) image hash, INTEGER originator counter [, GeneralizedTime execution] }
 *     Response = SEQUENCE { INTEGER status, OCTET STRING(4) firmware version } when it ran at once, or NULL
 *                (`05 00`, accepted) when future-dated or cancelled
 *     Alert 0x00CA = SEQUENCE { INTEGER 8F66 or 8F67, GeneralizedTime execution, INTEGER original counter,
 *                SEQUENCE { INTEGER status, OCTET STRING(4) firmware version } }
 *   CS08 Read PPMID/HCALCS Firmware Version (0x0129): Command = NULL; Response = SEQUENCE { OCTET STRING(4) version, INTEGER status }
 *
 * Status: 0 activated (RTDS), 1 no image with this hash (the immediate error vector), 2 failed at execution (8F67).
 */
import { type Annotate, BerReader, DerWriter, TAG, hex, type LengthStyle } from './ber.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS06_MESSAGE_CODE = 0x0012;
export const CS06_ALERT_MESSAGE_CODE = 0x00ca;
export const CS08_MESSAGE_CODE = 0x0129;

export const FirmwareStatus = { activated: 0, noSuchImage: 1, failed: 2 } as const;

export interface ActivateFirmwareCommand {
  imageHash: Buffer;
  counter: bigint;
  executionDateTime?: Date;
}

export interface FirmwareOutcome {
  status: number;
  /** four octets */
  version: Buffer;
}

export interface ActivateFirmwareAlert extends FirmwareOutcome {
  alertCode: number;
  executionDateTime: Date;
  counter: bigint;
}

export function encodeActivateFirmwareCommand(c: ActivateFirmwareCommand): Buffer {
  const w = new DerWriter();
  return w.seq(w.octets(c.imageHash), w.int(c.counter), ...(c.executionDateTime ? [w.generalizedTime(c.executionDateTime)] : []));
}

export function decodeActivateFirmwareCommand(payload: Buffer, ann?: Annotate, base = 0): ActivateFirmwareCommand {
  const top = BerReader.of(payload, 'CS06 command', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'CS06 command');
  top.expectEnd();
  const r = top.inner(seq, 'CS06 command');
  const imageHash = Buffer.from(r.octets('image hash', 32, 'firmware image hash'));
  const counter = r.unsigned('counter', 'originator counter');
  const out: ActivateFirmwareCommand = { imageHash, counter };
  if (!r.atEnd()) out.executionDateTime = r.generalizedTime('execution date-time');
  r.expectEnd();
  return out;
}

function outcome(w: DerWriter, o: FirmwareOutcome): Buffer {
  return w.seq(w.int(o.status), w.octets(o.version));
}

function readOutcome(r: BerReader, what: string): FirmwareOutcome {
  const s = r.inner(r.read(TAG.SEQUENCE, what), what);
  const status = s.small('status', 0, 255, 'activation status');
  const version = Buffer.from(s.octets('firmware version', 4, 'firmware version'));
  s.expectEnd();
  return { status, version };
}

/** The response: the outcome when it ran at once, NULL when held or cancelled. */
export function encodeActivateFirmwareResponse(o: FirmwareOutcome | null, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return o ? outcome(w, o) : w.null();
}

export function decodeActivateFirmwareResponse(payload: Buffer, ann?: Annotate, base = 0): FirmwareOutcome | null {
  const top = BerReader.of(payload, 'CS06 response', base, ann);
  if (top.peekTag() === TAG.NULL) {
    top.null('CS06 response', 'accepted (held or cancelled)');
    top.expectEnd();
    return null;
  }
  const o = readOutcome(top, 'CS06 response');
  top.expectEnd();
  return o;
}

export function encodeActivateFirmwareAlert(a: ActivateFirmwareAlert, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(w.int(a.alertCode), w.generalizedTime(a.executionDateTime), w.int(a.counter), outcome(w, a));
}

export function decodeActivateFirmwareAlert(payload: Buffer, ann?: Annotate, base = 0): ActivateFirmwareAlert {
  const top = BerReader.of(payload, 'CS06 alert', base, ann);
  const seq = top.read(TAG.SEQUENCE, 'CS06 alert');
  top.expectEnd();
  const r = top.inner(seq, 'CS06 alert');
  const alertCode = r.small('alert code', 0, 0xffff, 'alert code', (n) => n.toString(16).toUpperCase());
  const executionDateTime = r.generalizedTime('execution date-time');
  const counter = r.unsigned('counter', 'original counter');
  const o = readOutcome(r, 'outcome');
  r.expectEnd();
  return { alertCode, executionDateTime, counter, ...o };
}

export function encodeFirmwareVersionResponse(o: FirmwareOutcome, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(w.octets(o.version), w.int(o.status));
}

export function decodeFirmwareVersionResponse(payload: Buffer, ann?: Annotate, base = 0): FirmwareOutcome {
  const top = BerReader.of(payload, 'CS08 response', base, ann);
  const s = top.inner(top.read(TAG.SEQUENCE, 'CS08 response'), 'CS08 response');
  top.expectEnd();
  const version = Buffer.from(s.octets('firmware version', 4, 'firmware version'));
  const status = s.small('status', 0, 255, 'status');
  s.expectEnd();
  return { status, version };
}

export type FirmwareBody =
  | { kind: 'cs06-command'; command: ActivateFirmwareCommand }
  | { kind: 'cs06-response'; response: FirmwareOutcome | null }
  | { kind: 'cs06-alert'; alert: ActivateFirmwareAlert }
  | { kind: 'cs08-command' }
  | { kind: 'cs08-response'; response: FirmwareOutcome };

export const CS06_CODEC: UseCaseCodec<FirmwareBody> = {
  name: 'CS06',
  messageCodes: [CS06_MESSAGE_CODE],
  alertMessageCodes: [CS06_ALERT_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs06-command', command: decodeActivateFirmwareCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs06-response', response: decodeActivateFirmwareResponse(payload, ann, base) }),
  decodeAlert: (payload, ann, base) => ({ kind: 'cs06-alert', alert: decodeActivateFirmwareAlert(payload, ann, base) }),
};

export const CS08_CODEC: UseCaseCodec<FirmwareBody> = {
  name: 'CS08',
  messageCodes: [CS08_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => {
    const top = BerReader.of(payload, 'CS08 command', base, ann);
    top.null('CS08 command', 'read firmware version');
    top.expectEnd();
    return { kind: 'cs08-command' };
  },
  decodeResponse: (payload, ann, base) => ({ kind: 'cs08-response', response: decodeFirmwareVersionResponse(payload, ann, base) }),
};

/** The version as DUIS and the inventory write it: eight hex digits. */
export const firmwareVersionText = (v: Buffer): string => hex(v);
