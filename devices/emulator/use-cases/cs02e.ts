/**
 * CS02e "Provide Device Certificate from Device": the device returns its own DS or KA certificate. Critical:
 * signed by the supplier (its DS cell), MAC'd by the ACB. The response is signed by the device and, as in
 * RTDS, carries no date-time.
 */
import { DeviceCertificateStatus } from '../../gbcs/cs02d.ts';
import { CS02E_MESSAGE_CODE, type Cs02eCommand, encodeCs02eResponse } from '../../gbcs/cs02e.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { CELL_IDS, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { checkSupplierCritical, hex4, signedResponse } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, cloneState } from '../state.ts';
import type { DeviceOutcome, UseCase } from '../use-case.ts';

function commandOf(m: GbcsMessage): Cs02eCommand {
  if (m.body.kind !== 'cs02e-command') throw new Error(`CS02e was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

function processCs02e(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage): DeviceOutcome {
  const cmd = commandOf(m);
  checkSupplierCritical(state, creds, message, m, 'CS02e command');
  const next = cloneState(state);
  next.seqNumbers[CELL_IDS.supplierDS.role] = m.apdu.counter;
  const certificate = creds.ownCertificates?.()[cmd.keyUsage];
  // A device that holds no certificate of that usage answers the failure status RTDS shows (3).
  const payload = encodeCs02eResponse(certificate ? { certificate } : { status: DeviceCertificateStatus.failure });
  return { state: next, response: signedResponse(state, creds, m.apdu, payload, null), alerts: [], changedCells: [] };
}

export const CS02E: UseCase = {
  name: 'CS02e',
  messageCodes: [CS02E_MESSAGE_CODE],
  // A comms hub holds no supplier DS cell: checkSupplierCritical refuses it there (0x8F30).
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02e 0x000C',
  process: processCs02e,
};
