/**
 * CS02a "Provide Security Credential Details": reads cells. MAC-only, authorised by the ACB KA cell. The
 * counter is checked against the ACB's and then recorded; the seq numbers reported are those held when the
 * command arrived (which is what the RTDS GSME vector shows: ACB seq 0 in the answer to an ACB command with
 * counter 0x516). The response carries no date-time and no signature, and is MACed by the device.
 */
import { encodeApdu } from '../../gbcs/apdu.ts';
import { describeCellId, sameCell } from '../../gbcs/cell-id.ts';
import { CS02A_MESSAGE_CODE, type Cs02aCommand, type Cs02aRoleDetails, encodeCs02aResponse } from '../../gbcs/cs02a.ts';
import { StatusCode } from '../../gbcs/cs02b.ts';
import { wrapWithMac } from '../../gbcs/mac.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { CELL_IDS, cellsOf, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { RejectionAlert, checkCounter, checkMac, factsInCell, hex4, reject } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, cloneState, idsOf } from '../state.ts';
import type { DeviceOutcome, UseCase } from '../use-case.ts';

/** The dispatcher only hands CS02a its own message code, which the codec decodes as a CS02a command. */
function commandOf(m: GbcsMessage): Cs02aCommand {
  if (m.body.kind !== 'cs02a-command') throw new Error(`CS02a was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

/** What CS02a (and CS02f) report of one remote party role: its cells' IDs and counter, or 25 when it has no cell here. */
export function roleDetails(state: DeviceSecurityState, role: number): Cs02aRoleDetails {
  const names = cellsOf(state.type).filter((n) => CELL_IDS[n].role === role);
  if (names.length === 0) return { role, status: StatusCode.trustAnchorNotFound };
  return {
    role,
    status: StatusCode.success,
    currentSeqNumber: state.seqNumbers[role] ?? 0n,
    cells: names.map((n) => {
      const ids = idsOf(state.cells[n]);
      return { keyUsage: CELL_IDS[n].keyUsage, cellUsage: CELL_IDS[n].cellUsage, subjectUniqueId: ids.uid, subjectKeyId: ids.ski };
    }),
  };
}

function processCs02a(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage): DeviceOutcome {
  const { apdu } = m;
  const cmd = commandOf(m);
  checkMac(state, creds, message, m, true, 'CS02a command');
  if (!sameCell(cmd.authorisingCell, CELL_IDS.acbKA)) {
    reject(RejectionAlert.noAuthority, `CS02a names the ${describeCellId(cmd.authorisingCell)} cell as authorising; only the ACB KA cell may authorise it`);
  }
  const acb = factsInCell(state, 'acbKA', RejectionAlert.noAuthority);
  if (acb.subjectEui !== apdu.originator) {
    reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${acb.subjectEui ?? '(no EUI)'}, the holder of the ACB KA cell`);
  }
  checkCounter(state, CELL_IDS.acbKA.role, apdu.counter);

  const roles = cmd.roles.map((role) => roleDetails(state, role));
  const next = cloneState(state);
  next.seqNumbers[CELL_IDS.acbKA.role] = apdu.counter;
  const response = encodeApdu({
    cra: 'response',
    counter: apdu.counter,
    originator: state.eui,
    target: apdu.originator,
    messageCode: CS02A_MESSAGE_CODE,
    payload: encodeCs02aResponse({ roles }),
  });
  return { state: next, response: wrapWithMac(response, creds.kaKey, acb.publicKey), alerts: [], changedCells: [] };
}

export const CS02A: UseCase = {
  name: 'CS02a',
  messageCodes: [CS02A_MESSAGE_CODE],
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02a 0x0008',
  process: processCs02a,
};
