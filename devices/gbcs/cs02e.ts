/**
 * CS02e "Provide Device Certificate from Device" (SRV 6.24.2), message code 0x000C, as the `6.24.2_CS02e`
 * vectors show it: a critical command, signed by the supplier and MAC'd by the ACB.
 *
 *   Command  = SEQUENCE { keyUsage KeyUsage }: digitalSignature (30 04 03 02 07 80) or keyAgreement (30 04 03 02 03 08)
 *   Response = Certificate (the device's certificate of that usage, DER) or INTEGER status (RTDS error: 3),
 *              signed by the device, not MAC'd.
 */
import { type Annotate, BerReader, DerWriter, TAG } from './ber.ts';
import { encodeKeyUsage, readKeyUsage } from './cell-id.ts';
import { DeviceCertificateStatus, deviceCertificateStatusName, encodeStatusResponse, readCertificateTlv } from './cs02d.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02E_MESSAGE_CODE = 0x000c;

export interface Cs02eCommand {
  /** which of its two certificates the device is asked for */
  keyUsage: 'DS' | 'KA';
}

export type Cs02eResponse = { certificate: Buffer } | { status: number };

export function encodeCs02eCommand(c: Cs02eCommand): Buffer {
  if (c.keyUsage !== 'DS' && c.keyUsage !== 'KA') throw new GbcsError('bad-argument', `CS02e asks for a DS or KA certificate, not '${String(c.keyUsage)}'`);
  const w = new DerWriter('der');
  return w.seq(encodeKeyUsage(w, c.keyUsage));
}

export function decodeCs02eCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02eCommand {
  const top = BerReader.of(payload, 'CS02e command', base, ann);
  const t = top.read(TAG.SEQUENCE, 'ProvideDeviceCertificateCommand');
  top.note(t, 'CS02e command');
  top.expectEnd();
  const r = top.inner(t, 'CS02e command');
  const keyUsage = readKeyUsage(r, 'key usage');
  r.expectEnd();
  // A device holds no keyCertSign certificate of its own.
  if (keyUsage === 'CA') throw new GbcsError('bad-payload', 'CS02e command: a device has no keyCertSign certificate to provide');
  return { keyUsage };
}

export function encodeCs02eResponse(r: Cs02eResponse): Buffer {
  if ('certificate' in r) return readCertificateTlv(r.certificate, 'CS02e response', 0);
  return encodeStatusResponse(r.status);
}

export function decodeCs02eResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02eResponse {
  if (payload[0] === TAG.SEQUENCE) return { certificate: readCertificateTlv(payload, 'CS02e response', base, ann) };
  const top = BerReader.of(payload, 'CS02e response', base, ann);
  const status = top.small('status', 0, 255, 'status', deviceCertificateStatusName);
  top.expectEnd();
  if (status === DeviceCertificateStatus.success) throw new GbcsError('bad-payload', 'CS02e response: status success carries no certificate');
  return { status };
}

export type Cs02eBody = { kind: 'cs02e-command'; command: Cs02eCommand } | { kind: 'cs02e-response'; response: Cs02eResponse };

export const CS02E_CODEC: UseCaseCodec<Cs02eBody> = {
  name: 'CS02e',
  messageCodes: [CS02E_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02e-command', command: decodeCs02eCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02e-response', response: decodeCs02eResponse(payload, ann, base) }),
};
