/**
 * CS02c "Issue Security Credentials": the supplier asks the device to generate a new DS or KA key pair. Critical:
 * signed by the key in the supplier DS cell (the originator must be its holder) and MAC'd by the ACB; the counter is
 * checked against the supplier's and recorded. The device answers with a PKCS#10 request for the new key, signed
 * (as a GBCS response) with the DS key it held when the command arrived, the one the SMKI repository certifies, so
 * that the supplier can verify it. The new pair is the device's from then on: `keyGenerations` in its state, from
 * which the caller derives its credentials for every later command (signatures, MAC).
 */
import { encodeApdu, signApdu } from '../../gbcs/apdu.ts';
import { verifyApduSignature } from '../../gbcs/apdu.ts';
import { CS02C_MESSAGE_CODE, Cs02cError, type Cs02cCommand, type Cs02cResponse, buildDeviceCsr, encodeCs02cResponse } from '../../gbcs/cs02c.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { CELL_IDS, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { RejectionAlert, cellLabel, checkCounter, checkMac, factsInCell, hex4, reject } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, cloneState } from '../state.ts';
import type { DeviceOutcome, UseCase } from '../use-case.ts';

function commandOf(m: GbcsMessage): Cs02cCommand {
  if (m.body.kind !== 'cs02c-command') throw new Error(`CS02c was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

function processCs02c(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage): DeviceOutcome {
  const { apdu } = m;
  const cmd = commandOf(m);
  checkMac(state, creds, message, m, true, 'CS02c command');
  const holder = factsInCell(state, 'supplierDS', RejectionAlert.noAuthority);
  if (holder.subjectEui !== apdu.originator) {
    reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${holder.subjectEui ?? '(no EUI)'}, the holder of the ${cellLabel('supplierDS')}`);
  }
  if (!apdu.signature) reject(RejectionAlert.authenticationFailed, `the command is not signed; CS02c must be signed with the key in the ${cellLabel('supplierDS')}`);
  if (!verifyApduSignature(apdu, holder.publicKey)) {
    reject(RejectionAlert.authenticationFailed, `the signature does not verify with the key in the ${cellLabel('supplierDS')} (SKI ${holder.ski})`);
  }
  checkCounter(state, CELL_IDS.supplierDS.role, apdu.counter);

  const next = cloneState(state);
  next.seqNumbers[CELL_IDS.supplierDS.role] = apdu.counter;
  const generation = (state.keyGenerations?.[cmd.keyUsage] ?? 0) + 1;
  let answer: Cs02cResponse;
  const key = creds.generateKey?.(cmd.keyUsage, generation);
  if (key) {
    answer = { csr: { der: buildDeviceCsr({ eui: state.eui, keyUsage: cmd.keyUsage, key }), publicKey: key.point, keyUsage: cmd.keyUsage, deviceEui: state.eui } };
    next.keyGenerations = { ...next.keyGenerations, [cmd.keyUsage]: generation };
  } else {
    answer = { errorCode: Cs02cError.keyGenerationFailed };
  }
  // As the RTDS response: no date-time, signed with the device's (current) DS key.
  const unsigned = encodeApdu({
    cra: 'response',
    counter: apdu.counter,
    originator: state.eui,
    target: apdu.originator,
    messageCode: CS02C_MESSAGE_CODE,
    payload: encodeCs02cResponse(answer),
  });
  return { state: next, response: signApdu(unsigned, creds.dsKey), alerts: [], changedCells: [] };
}

export const CS02C: UseCase = {
  name: 'CS02c',
  messageCodes: [CS02C_MESSAGE_CODE],
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02c 0x000A',
  process: processCs02c,
};
