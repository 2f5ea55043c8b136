/**
 * The GBCS general-signing APDU (gbcs-cs02b.md §3):
 *
 *   DF | 09 cra counter(8) | 08 originator | 08 target | 00 or 0C date-time(12) |
 *   <len> other-information (message code, ...) | <len> payload | 00, or 40 r||s
 *
 * The signature covers the octets after DF through the last payload octet.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ScalarKey, type Eui, type P256PrivateKey } from '../../pki/index.ts';
import { type Annotate, encodeLength, hex, readLength } from './ber.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from './dlms-time.ts';
import { GbcsError } from './errors.ts';

export const GENERAL_SIGNING_TAG = 0xdf;
export const SIGNATURE_LENGTH = 64;

export type Cra = 'command' | 'response' | 'alert';
export const CRA_FLAG: Record<Cra, number> = { command: 1, response: 2, alert: 3 };
const CRA_BY_FLAG: Record<number, Cra> = { 1: 'command', 2: 'response', 3: 'alert' };

export interface GroupingHeader {
  cra: Cra;
  /** Originator counter, uint64. */
  counter: bigint;
  /** Business originator ID. */
  originator: Eui;
  /** Business target ID. */
  target: Eui;
  /** DLMS date-time: absent in commands and alerts, present in responses. */
  dateTime?: Date;
  /** The first two octets of other-information. */
  messageCode: number;
  /** Octets of other-information after the message code (supplementary remote party data), kept verbatim. */
  otherInformationExtra?: Buffer;
}

export interface ApduFields extends GroupingHeader {
  payload: Buffer;
}

/**
 * How the APDU ends: 'signed' (40 + r||s), 'unsigned' (signature length 00: the GBCS pre-command form
 * and MAC-only commands), 'pre-command' (ends at the payload, as RTDS and DCC Boxed before 1.4.1 send it).
 */
export type ApduForm = 'signed' | 'unsigned' | 'pre-command';

export interface GeneralSigningApdu extends ApduFields {
  signature: Buffer | null;
  form: ApduForm;
  /** Octets covered by the signature: after DF through the last payload octet. */
  signedData: Buffer;
  /** The whole APDU as decoded (a view into the input). */
  bytes: Buffer;
  /** Offsets of the payload inside `bytes`. */
  payloadOffset: number;
}

const EUI_RE = /^[0-9A-Fa-f]{16}$/;

export function euiBytes(eui: Eui, what: string): Buffer {
  if (typeof eui !== 'string' || !EUI_RE.test(eui)) throw new GbcsError('bad-argument', `${what}: '${String(eui)}' is not a 16-hex-digit EUI-64`);
  return Buffer.from(eui, 'hex');
}

function counterBytes(counter: bigint): Buffer {
  if (typeof counter !== 'bigint' || counter < 0n || counter >= 1n << 64n) {
    throw new GbcsError('bad-argument', `originator counter ${String(counter)} is not a uint64 bigint`);
  }
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(counter);
  return b;
}

function messageCodeBytes(code: number): Buffer {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new GbcsError('bad-argument', `message code ${code} is not a uint16`);
  return Buffer.from([code >> 8, code & 0xff]);
}

/** The grouping header and payload, i.e. the signed octets preceded by DF. */
function encodeUpToPayload(f: ApduFields): Buffer {
  const flag = CRA_FLAG[f.cra];
  if (flag === undefined) throw new GbcsError('bad-argument', `CRA '${String(f.cra)}' is not command, response or alert`);
  if (!Buffer.isBuffer(f.payload)) throw new GbcsError('bad-argument', 'payload must be a Buffer');
  const other = Buffer.concat([messageCodeBytes(f.messageCode), f.otherInformationExtra ?? Buffer.alloc(0)]);
  return Buffer.concat([
    Buffer.from([GENERAL_SIGNING_TAG, 0x09, flag]),
    counterBytes(f.counter),
    Buffer.from([0x08]),
    euiBytes(f.originator, 'business originator'),
    Buffer.from([0x08]),
    euiBytes(f.target, 'business target'),
    f.dateTime ? Buffer.concat([Buffer.from([0x0c]), encodeDlmsDateTime(f.dateTime)]) : Buffer.from([0x00]),
    encodeLength(other.length),
    other,
    encodeLength(f.payload.length),
    f.payload,
  ]);
}

/**
 * Encodes a general-signing APDU. Without a signature it ends with signature length 00 (the GBCS
 * pre-command form); `omitSignatureLength` leaves that octet out, as RTDS pre-command files do.
 */
export function encodeApdu(f: ApduFields, opts: { signature?: Buffer | null; omitSignatureLength?: boolean } = {}): Buffer {
  const body = encodeUpToPayload(f);
  const sig = opts.signature ?? null;
  if (sig) {
    if (sig.length !== SIGNATURE_LENGTH) throw new GbcsError('bad-argument', `signature must be ${SIGNATURE_LENGTH} octets (r||s), got ${sig.length}`);
    return Buffer.concat([body, Buffer.from([SIGNATURE_LENGTH]), sig]);
  }
  return opts.omitSignatureLength ? body : Buffer.concat([body, Buffer.from([0x00])]);
}

/**
 * Decodes a general-signing APDU occupying all of `bytes`.
 * `base` is the APDU's offset in the whole message, for annotations.
 */
export function decodeApdu(bytes: Buffer, ann?: Annotate, base = 0): GeneralSigningApdu {
  const what = 'general-signing APDU';
  // undefined without an annotator: note?.() then skips its arguments too (a counter's and a date's text, a signature's hex)
  const note = ann ? (off: number, len: number, label: string, value?: string) => ann(base + off, len, label, value) : undefined;
  const need = (pos: number, n: number, field: string) => {
    if (pos + n > bytes.length) {
      throw new GbcsError('bad-frame', `${what}: ${field} at offset ${base + pos} needs ${n} octets, only ${bytes.length - pos} remain`);
    }
  };
  need(0, 1, 'tag');
  if (bytes[0] !== GENERAL_SIGNING_TAG) {
    throw new GbcsError('bad-frame', `${what}: expected tag DF at offset ${base}, found ${hex(bytes.subarray(0, 1))}`);
  }
  note?.(0, 1, 'general-signing tag', 'DF');
  need(1, 1, 'transaction id length');
  if (bytes[1] !== 0x09) throw new GbcsError('bad-frame', `${what}: transaction id length must be 09, found ${hex(bytes.subarray(1, 2))}`);
  need(2, 9, 'transaction id');
  const cra = CRA_BY_FLAG[bytes[2]!];
  if (!cra) throw new GbcsError('bad-frame', `${what}: CRA flag ${hex(bytes.subarray(2, 3))} is not 01 (command), 02 (response) or 03 (alert)`);
  note?.(1, 1, 'transaction id length', '9');
  note?.(2, 1, 'CRA flag', cra);
  const counter = bytes.readBigUInt64BE(3);
  note?.(3, 8, 'originator counter', counter.toString());
  let pos = 11;
  const readEui = (field: string): Eui => {
    need(pos, 9, field);
    if (bytes[pos] !== 0x08) throw new GbcsError('bad-frame', `${what}: ${field} length must be 08, found ${hex(bytes.subarray(pos, pos + 1))}`);
    const eui = hex(bytes.subarray(pos + 1, pos + 9));
    note?.(pos, 9, field, eui);
    pos += 9;
    return eui;
  };
  const originator = readEui('business originator');
  const target = readEui('business target');
  need(pos, 1, 'date-time length');
  const dtLen = bytes[pos]!;
  let dateTime: Date | undefined;
  if (dtLen === 0x0c) {
    need(pos + 1, 12, 'date-time');
    dateTime = decodeDlmsDateTime(bytes.subarray(pos + 1, pos + 13), `${what}: date-time`);
    note?.(pos, 13, 'date-time', dateTime.toISOString());
    pos += 13;
  } else if (dtLen === 0x00) {
    note?.(pos, 1, 'date-time', 'absent');
    pos += 1;
  } else {
    throw new GbcsError('bad-frame', `${what}: date-time length must be 00 or 0C, found ${hex(bytes.subarray(pos, pos + 1))}`);
  }
  const oi = readLength(bytes, pos, bytes.length, `${what}: other-information`);
  if (oi.length < 2) throw new GbcsError('bad-frame', `${what}: other-information must hold at least the 2-octet message code, has ${oi.length}`);
  need(pos + oi.size, oi.length, 'other-information');
  const oiStart = pos + oi.size;
  const messageCode = bytes.readUInt16BE(oiStart);
  note?.(pos, oi.size, 'other-information length', String(oi.length));
  note?.(oiStart, 2, 'message code', `0x${messageCode.toString(16).padStart(4, '0').toUpperCase()}`);
  const otherInformationExtra = oi.length > 2 ? Buffer.from(bytes.subarray(oiStart + 2, oiStart + oi.length)) : undefined;
  if (otherInformationExtra) note?.(oiStart + 2, oi.length - 2, 'other-information (supplementary)', hex(otherInformationExtra));
  pos = oiStart + oi.length;
  const cl = readLength(bytes, pos, bytes.length, `${what}: content length`);
  need(pos + cl.size, cl.length, 'payload');
  note?.(pos, cl.size, 'content length', String(cl.length));
  const payloadOffset = pos + cl.size;
  const payload = bytes.subarray(payloadOffset, payloadOffset + cl.length);
  pos = payloadOffset + cl.length;
  const signedData = bytes.subarray(1, pos);
  let signature: Buffer | null = null;
  let form: ApduForm;
  if (pos === bytes.length) {
    form = 'pre-command';
  } else {
    const sl = bytes[pos]!;
    if (sl === 0x00) {
      form = 'unsigned';
      note?.(pos, 1, 'signature length', '0 (no signature)');
      pos += 1;
    } else if (sl === SIGNATURE_LENGTH) {
      need(pos + 1, SIGNATURE_LENGTH, 'signature');
      note?.(pos, 1, 'signature length', '64');
      signature = bytes.subarray(pos + 1, pos + 1 + SIGNATURE_LENGTH);
      note?.(pos + 1, SIGNATURE_LENGTH, 'signature (r||s)', hex(signature));
      form = 'signed';
      pos += 1 + SIGNATURE_LENGTH;
    } else {
      throw new GbcsError('bad-frame', `${what}: signature length must be 00 or 40, found ${hex(bytes.subarray(pos, pos + 1))} at offset ${base + pos}`);
    }
    if (pos !== bytes.length) {
      throw new GbcsError('bad-frame', `${what}: ${bytes.length - pos} unexpected octets after the signature at offset ${base + pos}`);
    }
  }
  const out: GeneralSigningApdu = {
    cra,
    counter,
    originator,
    target,
    messageCode,
    payload,
    signature,
    form,
    signedData,
    bytes,
    payloadOffset,
  };
  if (dateTime) out.dateTime = dateTime;
  if (otherInformationExtra) out.otherInformationExtra = otherInformationExtra;
  return out;
}

/** The APDU without any signature-length octet or signature (the RTDS pre-command form). */
export function stripSignature(apdu: Buffer): Buffer {
  const d = decodeApdu(apdu);
  return apdu.subarray(0, 1 + d.signedData.length);
}

function requireKey(key: KeyObject, type: 'private' | 'public', what: string): void {
  if (!key || typeof key !== 'object' || key.type !== type || key.asymmetricKeyType !== 'ec') {
    throw new GbcsError('bad-key', `${what}: expected an EC P-256 ${type} KeyObject`);
  }
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new GbcsError('bad-key', `${what}: expected curve P-256, got ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`);
  }
}

/**
 * Signs a pre-command (with or without its trailing 00) or any unsigned APDU: ECDSA P-256 / SHA-256
 * over the octets after DF through the payload, appended as 40 || r || s.
 */
export function signApdu(apdu: Buffer, privateKey: P256PrivateKey): Buffer {
  if (!(privateKey instanceof ScalarKey)) requireKey(privateKey, 'private', 'signApdu');
  const d = decodeApdu(apdu);
  if (d.form === 'signed') throw new GbcsError('bad-argument', 'signApdu: the APDU is already signed');
  const sig = privateKey instanceof ScalarKey ? privateKey.sign(d.signedData) : sign('sha256', d.signedData, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return Buffer.concat([apdu.subarray(0, 1 + d.signedData.length), Buffer.from([SIGNATURE_LENGTH]), sig]);
}

/** True when `apdu` carries a signature that verifies with `publicKey`; false when absent or wrong. */
export function verifyApduSignature(apdu: Buffer | GeneralSigningApdu, publicKey: KeyObject): boolean {
  requireKey(publicKey, 'public', 'verifyApduSignature');
  const d = Buffer.isBuffer(apdu) ? decodeApdu(apdu) : apdu;
  if (!d.signature) return false;
  return verify('sha256', d.signedData, { key: publicKey, dsaEncoding: 'ieee-p1363' }, d.signature);
}
