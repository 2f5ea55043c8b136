/**
 * CS02d "Update Device Certificate on Device" (SRV 6.15.2), message code 0x000B, as the `6.15.2_CS02d`
 * vectors show it: a critical command, signed by the supplier and MAC'd by the ACB.
 *
 *   Command  = Certificate (the device's new DS or KA certificate, DER, the whole payload)
 *   Response = INTEGER status (RTDS: 0 when the certificate was taken, 3 when it was not: the error vector's
 *              certificate has keyUsage nonRepudiation). The response is signed by the device, not MAC'd.
 */
import { type Annotate, BerReader, DerWriter, type LengthStyle, TAG } from './ber.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02D_MESSAGE_CODE = 0x000b;

/** The response INTEGER of CS02d and CS02e: only these two values appear in RTDS. */
export const DeviceCertificateStatus = {
  success: 0,
  /** the device did not take (CS02d) or cannot provide (CS02e) the certificate */
  failure: 3,
} as const;

export function deviceCertificateStatusName(n: number): string {
  return n === DeviceCertificateStatus.success ? 'success' : n === DeviceCertificateStatus.failure ? 'failure' : `status ${n}`;
}

export interface Cs02dCommand {
  /** DER of the device's replacement certificate */
  certificate: Buffer;
}

export interface Cs02dResponse {
  status: number;
}

/** The payload is the certificate itself: it is checked to be one DER SEQUENCE, its content is the device's to judge. */
export function encodeCs02dCommand(c: Cs02dCommand): Buffer {
  readCertificateTlv(c.certificate, 'CS02d command', 0);
  return Buffer.from(c.certificate);
}

export function readCertificateTlv(payload: Buffer, what: string, base: number, ann?: Annotate): Buffer {
  if (!Buffer.isBuffer(payload)) throw new GbcsError('bad-argument', `${what}: the certificate must be a Buffer`);
  const top = BerReader.of(payload, what, base, ann);
  const t = top.read(TAG.SEQUENCE, 'Certificate');
  top.note(t, 'device certificate', `${t.end - t.start} octets`);
  top.expectEnd();
  return Buffer.from(top.whole(t));
}

export function decodeCs02dCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02dCommand {
  return { certificate: readCertificateTlv(payload, 'CS02d command', base, ann) };
}

export function encodeStatusResponse(status: number, style: LengthStyle = 'rtds'): Buffer {
  return new DerWriter(style).int(status);
}

export function decodeCs02dResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02dResponse {
  const top = BerReader.of(payload, 'CS02d response', base, ann);
  const status = top.small('status', 0, 255, 'status', deviceCertificateStatusName);
  top.expectEnd();
  return { status };
}

export type Cs02dBody = { kind: 'cs02d-command'; command: Cs02dCommand } | { kind: 'cs02d-response'; response: Cs02dResponse };

export const CS02D_CODEC: UseCaseCodec<Cs02dBody> = {
  name: 'CS02d',
  messageCodes: [CS02D_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02d-command', command: decodeCs02dCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02d-response', response: decodeCs02dResponse(payload, ann, base) }),
};
