/**
 * CS02d "Update Device Certificate on Device": the device takes a new certificate of its own. Critical:
 * signed by the supplier (its DS cell), MAC'd by the ACB. The device can check only what it knows: the
 * certificate is a device certificate naming its EUI, of usage DS or KA, and certifies the private key it
 * holds for that usage (it holds no device CA to check the issuer). Otherwise it answers status 3, as the
 * RTDS error vector does for a certificate with keyUsage nonRepudiation; the command was authenticated,
 * so its counter is recorded either way. The response is signed and carries no date-time, as in RTDS.
 */
import { createPublicKey } from 'node:crypto';
import { type P256PrivateKey, rawPublicKey, ScalarKey } from '../../../pki/index.ts';
import { CS02D_MESSAGE_CODE, type Cs02dCommand, DeviceCertificateStatus, encodeStatusResponse } from '../../gbcs/cs02d.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { factsOf } from '../certificate-cache.ts';
import { CELL_IDS, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { checkSupplierCritical, hex4, signedResponse } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, cloneState } from '../state.ts';
import type { DeviceOutcome, UseCase } from '../use-case.ts';

function commandOf(m: GbcsMessage): Cs02dCommand {
  if (m.body.kind !== 'cs02d-command') throw new Error(`CS02d was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

function pointOf(key: P256PrivateKey): Buffer {
  return key instanceof ScalarKey ? key.point : rawPublicKey(createPublicKey(key));
}

/** The usage the certificate takes on this device, or why the device refuses it. */
export function judgeOwnCertificate(state: DeviceSecurityState, creds: DeviceCredentials, der: Buffer): { usage: 'DS' | 'KA' } | { reason: string } {
  const f = factsOf(der);
  if (!f) return { reason: 'the certificate cannot be parsed' };
  if (f.kind !== 'device') return { reason: `it is a ${f.kind} certificate, not a device certificate` };
  if (f.subjectEui !== state.eui) return { reason: `it names ${f.subjectEui ?? 'no EUI'}, not this device ${state.eui}` };
  if (f.keyUsage !== 'DS' && f.keyUsage !== 'KA') return { reason: `its key usage is ${f.keyUsage}, neither digitalSignature nor keyAgreement alone` };
  const own = pointOf(f.keyUsage === 'DS' ? creds.dsKey : creds.kaKey);
  if (!rawPublicKey(f.publicKey).equals(own)) return { reason: `its public key is not the device's ${f.keyUsage} key` };
  return { usage: f.keyUsage };
}

function processCs02d(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage): DeviceOutcome {
  const cmd = commandOf(m);
  checkSupplierCritical(state, creds, message, m, 'CS02d command');
  const next = cloneState(state);
  next.seqNumbers[CELL_IDS.supplierDS.role] = m.apdu.counter;
  const verdict = judgeOwnCertificate(state, creds, cmd.certificate);
  const status = 'usage' in verdict ? DeviceCertificateStatus.success : DeviceCertificateStatus.failure;
  const outcome: DeviceOutcome = {
    state: next,
    response: signedResponse(state, creds, m.apdu, encodeStatusResponse(status), null),
    alerts: [],
    changedCells: [],
  };
  if ('usage' in verdict) outcome.ownCertificate = { usage: verdict.usage, certificate: Buffer.from(cmd.certificate) };
  return outcome;
}

export const CS02D: UseCase = {
  name: 'CS02d',
  messageCodes: [CS02D_MESSAGE_CODE],
  // A comms hub holds no supplier DS cell: checkSupplierCritical refuses it there (0x8F30).
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02d 0x000B',
  process: processCs02d,
};
