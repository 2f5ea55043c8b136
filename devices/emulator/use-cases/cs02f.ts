/**
 * CS02f "Provide Security Credential Details" (GBCS 4, 0x011B): reads cells, load controller's included.
 * Two ways in, as RTDS shows them:
 * - MAC only (`6.24.1_CS02fMAC`): authorised by the ACB KA cell, the ACB's counter; answered MAC-only with no
 *   signature and no date-time, as CS02a.
 * - Signed (`NA_CS02fSignature`): authorised by a DS cell (supplier, transitional CoS, ...) whose holder is the
 *   originator and signed with its key, that role's counter; no MAC wrapper; answered signed, no date-time.
 * A role with no cell on this device is reported 25 trustAnchorNotFound; the transitional CoS role is
 * reported 127 other, as both RTDS error vectors do (CS02f does not report it).
 */
import { encodeApdu, verifyApduSignature } from '../../gbcs/apdu.ts';
import { describeCellId } from '../../gbcs/cell-id.ts';
import type { Cs02aRoleDetails } from '../../gbcs/cs02a.ts';
import { StatusCode } from '../../gbcs/cs02b.ts';
import { CS02F_MESSAGE_CODE, type Cs02fCommand, encodeCs02fResponse } from '../../gbcs/cs02f.ts';
import { wrapWithMac } from '../../gbcs/mac.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { CELL_IDS, cellNameOf, hasCell, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { roleDetails } from './cs02a.ts';
import { RejectionAlert, cellLabel, checkCounter, checkMac, factsInCell, hex4, reject, signedResponse } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, cloneState } from '../state.ts';
import type { DeviceOutcome, UseCase } from '../use-case.ts';

/** The transitional CoS role, which CS02f answers 127 (other) for. */
const TRANS_COS = 5;

function commandOf(m: GbcsMessage): Cs02fCommand {
  if (m.body.kind !== 'cs02f-command') throw new Error(`CS02f was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

function processCs02f(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage): DeviceOutcome {
  const { apdu } = m;
  const cmd = commandOf(m);
  const name = cellNameOf(cmd.authorisingCell);
  if (!name || !hasCell(state.type, name)) {
    reject(RejectionAlert.noAuthority, `CS02f names the ${describeCellId(cmd.authorisingCell)} cell as authorising, which a ${state.type} does not have`);
  }
  const byMac = name === 'acbKA';
  if (!byMac && CELL_IDS[name].keyUsage !== 'DS') {
    reject(RejectionAlert.noAuthority, `CS02f is authorised by the ACB KA cell (MAC) or a digital-signing cell, not the ${cellLabel(name)}`);
  }
  checkMac(state, creds, message, m, byMac, 'CS02f command');
  const holder = factsInCell(state, name, RejectionAlert.noAuthority);
  if (holder.subjectEui !== apdu.originator) {
    reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${holder.subjectEui ?? '(no EUI)'}, the holder of the ${cellLabel(name)}`);
  }
  if (!byMac) {
    if (!apdu.signature) reject(RejectionAlert.authenticationFailed, `the command is not signed; it must be signed with the key in the ${cellLabel(name)}`);
    if (!verifyApduSignature(apdu, holder.publicKey)) {
      reject(RejectionAlert.authenticationFailed, `the signature does not verify with the key in the ${cellLabel(name)} (SKI ${holder.ski})`);
    }
  }
  const authRole = CELL_IDS[name].role;
  checkCounter(state, authRole, apdu.counter);

  const roles: Cs02aRoleDetails[] = cmd.roles.map((role) => (role === TRANS_COS ? { role, status: StatusCode.other } : roleDetails(state, role)));
  const next = cloneState(state);
  next.seqNumbers[authRole] = apdu.counter;
  const payload = encodeCs02fResponse({ roles });
  if (!byMac) return { state: next, response: signedResponse(state, creds, apdu, payload, null), alerts: [], changedCells: [] };
  const response = encodeApdu({ cra: 'response', counter: apdu.counter, originator: state.eui, target: apdu.originator, messageCode: CS02F_MESSAGE_CODE, payload });
  const acb = factsInCell(state, 'acbKA', RejectionAlert.noAuthority);
  return { state: next, response: wrapWithMac(response, creds.kaKey, acb.publicKey), alerts: [], changedCells: [] };
}

export const CS02F: UseCase = {
  name: 'CS02f',
  messageCodes: [CS02F_MESSAGE_CODE],
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02f 0x011B',
  process: processCs02f,
};
