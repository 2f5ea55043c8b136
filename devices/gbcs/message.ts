/**
 * Whole GBCS messages: optional general-ciphering (MAC) wrapper, general-signing APDU, typed payload.
 * Also the field annotations for the web console's hex view.
 */
import type { Annotate } from './ber.ts';
import { type GeneralSigningApdu, decodeApdu } from './apdu.ts';
import { CS02A_MESSAGE_CODE, type Cs02aCommand, type Cs02aResponse, decodeCs02aCommand, decodeCs02aResponse } from './cs02a.ts';
import {
  CS02B_ALERT_MESSAGE_CODE,
  CS02B_MESSAGE_CODE_BASE,
  type Cs02bAlert,
  type Cs02bCommand,
  type Cs02bResponse,
  decodeCs02bAlert,
  decodeCs02bCommand,
  decodeCs02bResponse,
} from './cs02b.ts';
import { GbcsError } from './errors.ts';
import { MAC_LENGTH, isGeneralCiphering, unwrapGeneralCiphering } from './mac.ts';

export type GbcsBody =
  | { kind: 'cs02b-command'; command: Cs02bCommand }
  | { kind: 'cs02b-response'; response: Cs02bResponse }
  | { kind: 'cs02b-alert'; alert: Cs02bAlert }
  | { kind: 'cs02a-command'; command: Cs02aCommand }
  | { kind: 'cs02a-response'; response: Cs02aResponse }
  | { kind: 'other' };

export interface GbcsMessage {
  /** The general-ciphering wrapper and its 12-octet MAC, when present (the MAC is not checked here). */
  mac?: Buffer;
  apdu: GeneralSigningApdu;
  body: GbcsBody;
}

/** CS02b modes 0..9 use message codes 0x0100..0x0109. */
export function isCs02bMessageCode(code: number): boolean {
  return code >= CS02B_MESSAGE_CODE_BASE && code <= CS02B_MESSAGE_CODE_BASE + 9;
}

export function decodeBody(apdu: GeneralSigningApdu, ann?: Annotate, apduBase = 0): GbcsBody {
  const base = apduBase + apdu.payloadOffset;
  const code = apdu.messageCode;
  if (code === CS02A_MESSAGE_CODE) {
    if (apdu.cra === 'command') return { kind: 'cs02a-command', command: decodeCs02aCommand(apdu.payload, ann, base) };
    if (apdu.cra === 'response') return { kind: 'cs02a-response', response: decodeCs02aResponse(apdu.payload, ann, base) };
  } else if (isCs02bMessageCode(code)) {
    if (apdu.cra === 'command') return { kind: 'cs02b-command', command: decodeCs02bCommand(apdu.payload, ann, base) };
    if (apdu.cra === 'response') return { kind: 'cs02b-response', response: decodeCs02bResponse(apdu.payload, ann, base) };
  } else if (code === CS02B_ALERT_MESSAGE_CODE && apdu.cra === 'alert') {
    return { kind: 'cs02b-alert', alert: decodeCs02bAlert(apdu.payload, ann, base) };
  }
  ann?.(base, apdu.payload.length, 'payload (not decoded)');
  return { kind: 'other' };
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
