/**
 * Whole GBCS messages: optional general-ciphering (MAC) wrapper, general-signing APDU, typed payload.
 * Also the field annotations for the web console's hex view.
 */
import type { Annotate } from './ber.ts';
import { type GeneralSigningApdu, decodeApdu } from './apdu.ts';
import { payloadDecoderFor } from './codecs.ts';
import type { Cs02aBody } from './cs02a.ts';
import type { Cs02bBody } from './cs02b.ts';
import type { Cs02cBody } from './cs02c.ts';
import type { Cs02dBody } from './cs02d.ts';
import type { Cs02eBody } from './cs02e.ts';
import type { FirmwareBody } from './firmware.ts';
import type { HanBody } from './han.ts';
import {
  DLMS_ACCESS_REQUEST, DLMS_ACCESS_RESPONSE, DLMS_DATA_NOTIFICATION, decodeAccessRequest, decodeAccessResponse, decodeDataNotification,
  type AccessRequest, type AccessResponse, type DataNotification,
} from './dlms.ts';
import { decodeGbz, decodeGbzAlert, isGbz, type GbzAlert, type GbzPayload } from './gbz.ts';
import type { Cs02fBody } from './cs02f.ts';
import type { Cs02gBody } from './cs02g.ts';
import { GbcsError } from './errors.ts';
import { MAC_LENGTH, isGeneralCiphering, unwrapGeneralCiphering } from './mac.ts';

/** One variant per payload a registered codec decodes (codecs.ts); 'other' for a payload no codec reads. */
export type GbcsBody =
  | Cs02aBody | Cs02bBody | Cs02cBody | Cs02dBody | Cs02eBody | Cs02fBody | Cs02gBody | HanBody | FirmwareBody
  | { kind: 'dlms-request'; request: AccessRequest }
  | { kind: 'dlms-response'; response: AccessResponse }
  | { kind: 'dlms-notification'; notification: DataNotification }
  | { kind: 'gbz'; gbz: GbzPayload }
  | { kind: 'gbz-alert'; alert: GbzAlert }
  | { kind: 'other' };

export interface GbcsMessage {
  /** The general-ciphering wrapper and its 12-octet MAC, when present (the MAC is not checked here). */
  mac?: Buffer;
  apdu: GeneralSigningApdu;
  body: GbcsBody;
}

/** Decodes the payload with the codec registered for its message code and CRA flag (codecs.ts). */
export function decodeBody(apdu: GeneralSigningApdu, ann?: Annotate, apduBase = 0): GbcsBody {
  const base = apduBase + apdu.payloadOffset;
  const decode = payloadDecoderFor(apdu.messageCode, apdu.cra);
  if (decode) return decode(apdu.payload, ann, base);
  return decodeByForm(apdu, ann, base) ?? (ann?.(base, apdu.payload.length, 'payload (not decoded)'), { kind: 'other' });
}

/**
 * DLMS and GBZ payloads say what they are in their first octets (D9/DA/0F, 01 09); one decoder serves every
 * ESME, CHF, GSME and GPF use case, so those need no codec of their own.
 */
function decodeByForm(apdu: GeneralSigningApdu, ann: Annotate | undefined, base: number): GbcsBody | undefined {
  const p = apdu.payload;
  if (p.length === 0) return undefined;
  if (apdu.cra === 'command' && p[0] === DLMS_ACCESS_REQUEST) return { kind: 'dlms-request', request: decodeAccessRequest(p, ann, base) };
  if (apdu.cra === 'response' && p[0] === DLMS_ACCESS_RESPONSE) return { kind: 'dlms-response', response: decodeAccessResponse(p, ann, base) };
  if (apdu.cra === 'alert' && p[0] === DLMS_DATA_NOTIFICATION) return { kind: 'dlms-notification', notification: decodeDataNotification(p, ann, base) };
  if (isGbz(p)) return apdu.cra === 'alert' ? { kind: 'gbz-alert', alert: decodeGbzAlert(p, ann, base) } : { kind: 'gbz', gbz: decodeGbz(p, ann, base) };
  return undefined;
}

/** Decodes a whole message (DD-wrapped or a bare DF APDU, pre-commands included). Throws GbcsError. */
export function decodeGbcsMessage(message: Buffer, ann?: Annotate): GbcsMessage {
  if (!Buffer.isBuffer(message)) throw new GbcsError('bad-argument', 'GBCS message must be a Buffer');
  if (isGeneralCiphering(message)) {
    const { apdu: bytes, mac, apduOffset } = unwrapGeneralCiphering(message, ann);
    const apdu = decodeApdu(bytes, ann, apduOffset);
    const body = decodeBody(apdu, ann, apduOffset);
    ann?.(message.length - MAC_LENGTH, MAC_LENGTH, 'MAC', mac.toString('hex').toUpperCase());
    return { mac, apdu, body };
  }
  const apdu = decodeApdu(message, ann, 0);
  return { apdu, body: decodeBody(apdu, ann, 0) };
}

export interface GbcsAnnotation {
  offset: number;
  length: number;
  label: string;
  value?: string;
}

/**
 * Field annotations for a hex view, parents before children. Never throws: a decoding failure
 * becomes a final 'error' annotation from the furthest decoded offset to the end.
 */
export function annotateGbcs(bytes: Uint8Array): GbcsAnnotation[] {
  const out: GbcsAnnotation[] = [];
  const ann: Annotate = (offset, length, label, value) => {
    const a: GbcsAnnotation = { offset, length, label };
    if (value !== undefined) a.value = value;
    out.push(a);
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    decodeGbcsMessage(buf, ann);
  } catch (e) {
    // Leaves carry a value and containers do not: after a leaf, decoding failed at its end; inside a container, at its start.
    const last = out[out.length - 1];
    const reached = last ? (last.value !== undefined ? last.offset + last.length : last.offset) : 0;
    out.push({ offset: reached, length: Math.max(0, buf.length - reached), label: 'error', value: (e as Error).message });
  }
  out.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return out;
}
