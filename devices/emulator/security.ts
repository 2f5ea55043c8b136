/**
 * The checks every use case makes before acting (gbcs-cs02b.md §7.2): ACB MAC, originator counter against
 * the stored one, the certificate a cell holds; and the signed response a device returns. A failed check
 * throws a Rejection, which the dispatcher turns into a discarded command.
 */
import type { CertificateFacts } from '../../pki/index.ts';
import { encodeApdu, signApdu, verifyApduSignature, type GeneralSigningApdu } from '../gbcs/apdu.ts';
import { describeCellId, describeRole } from '../gbcs/cell-id.ts';
import { verifyMac } from '../gbcs/mac.ts';
import type { GbcsMessage } from '../gbcs/message.ts';
import { factsOf } from './certificate-cache.ts';
import { CELL_IDS, type CellName, hasCell } from './cells.ts';
import type { DeviceCredentials, DeviceSecurityState } from './state.ts';

/**
 * Alert codes a device raises when it discards a command (gbcs-cs02b.md §7.2 names them; which one is
 * raised for which failure is our choice, the RTDS has no vectors for rejections):
 * - 0x8F1E integrity check of content or format: undecodable, not a command, wrong target, message code
 *   not matching the payload, [3] not equal to the originator counter, a mode we do not emulate;
 * - 0x8F3D trusted source authentication failure: MAC missing or wrong, signature missing or wrong;
 * - 0x8F30 source does not have authority: [2] not the cell the mode requires, that cell absent or empty on
 *   this device, originator not the holder of that cell, a target cell or [6] role outside the mode;
 * - 0x8F53 other authentication failure: originator counter not above the stored one (replay).
 */
export const RejectionAlert = {
  integrityCheckFailed: 0x8f1e,
  noAuthority: 0x8f30,
  authenticationFailed: 0x8f3d,
  otherAuthFailure: 0x8f53,
} as const;

/** Thrown by a check; the dispatcher catches it and discards the command with this alert and reason. */
export class Rejection extends Error {
  constructor(
    readonly alertCode: number,
    reason: string,
  ) {
    super(reason);
  }
}

export function reject(alertCode: number, reason: string): never {
  throw new Rejection(alertCode, reason);
}

export function hex4(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

export function cellLabel(name: CellName): string {
  return `${describeCellId(CELL_IDS[name])} cell`;
}

export function factsInCell(state: DeviceSecurityState, name: CellName, alertCode: number): CertificateFacts {
  if (!hasCell(state.type, name)) reject(alertCode, `a ${state.type} has no ${cellLabel(name)}`);
  const der = state.cells[name];
  if (!der) reject(alertCode, `the ${cellLabel(name)} of ${state.eui} is empty`);
  const f = factsOf(der);
  if (!f) reject(alertCode, `the ${cellLabel(name)} holds a certificate that cannot be parsed`);
  return f;
}

export function checkMac(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, required: boolean, what: string): void {
  if (!m.mac) {
    if (required) reject(RejectionAlert.authenticationFailed, `${what} has no MAC wrapper; it must carry the ACB MAC`);
    return;
  }
  const acb = factsInCell(state, 'acbKA', RejectionAlert.authenticationFailed);
  const r = verifyMac(message, creds.kaKey, acb.publicKey);
  if (!r.ok) reject(RejectionAlert.authenticationFailed, `${what}: ${r.reason} (ACB KA cell SKI ${acb.ski})`);
}

export function checkCounter(state: DeviceSecurityState, role: number, counter: bigint): void {
  const stored = state.seqNumbers[role];
  if (stored !== undefined && counter <= stored) {
    reject(
      RejectionAlert.otherAuthFailure,
      `originator counter ${counter} is not greater than the ${describeRole(role)} counter ${stored} the device holds (replay)`,
    );
  }
}

/** `now` null: the response carries no date-time (CS02d and CS02e responses in RTDS carry none). */
export function signedResponse(state: DeviceSecurityState, creds: DeviceCredentials, apdu: GeneralSigningApdu, payload: Buffer, now: Date | null): Buffer {
  const unsigned = encodeApdu({
    cra: 'response',
    counter: apdu.counter,
    originator: state.eui,
    target: apdu.originator,
    ...(now ? { dateTime: now } : {}),
    messageCode: apdu.messageCode,
    payload,
  });
  return signApdu(unsigned, creds.dsKey);
}

/**
 * The checks of a critical command the supplier signs and the ACB MACs (CS02d, CS02e): the ACB MAC, the
 * originator is the holder of the supplier DS cell and signed with its key, the supplier counter moves on.
 */
export function checkSupplierCritical(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, what: string): void {
  const { apdu } = m;
  checkMac(state, creds, message, m, true, what);
  const holder = factsInCell(state, 'supplierDS', RejectionAlert.noAuthority);
  if (holder.subjectEui !== apdu.originator) {
    reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${holder.subjectEui ?? '(no EUI)'}, the holder of the ${cellLabel('supplierDS')}`);
  }
  if (!apdu.signature) reject(RejectionAlert.authenticationFailed, `${what} is not signed; it must be signed with the key in the ${cellLabel('supplierDS')}`);
  if (!verifyApduSignature(apdu, holder.publicKey)) {
    reject(RejectionAlert.authenticationFailed, `the signature does not verify with the key in the ${cellLabel('supplierDS')} (SKI ${holder.ski})`);
  }
  checkCounter(state, CELL_IDS.supplierDS.role, apdu.counter);
}
