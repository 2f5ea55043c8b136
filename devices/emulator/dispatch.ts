/**
 * The device's entry points: checks a command's framing and address, decodes it, and hands it to the use
 * case registered for its message code (registry.ts). Pure functions over an explicit security state: no
 * I/O and no clock; the caller passes `now` and what a use case reads of other devices (commandReads), and
 * persists the returned state with the response it produced.
 */
import { decodeApdu, encodeApdu, signApdu, type GeneralSigningApdu } from '../gbcs/apdu.ts';
import { isGeneralCiphering, unwrapGeneralCiphering } from '../gbcs/mac.ts';
import { decodeBody, type GbcsBody, type GbcsMessage } from '../gbcs/message.ts';
import { frameAlert } from './between-commands.ts';
import type { CellName } from './cells.ts';
import { dueCommands, notYetDue } from './pending.ts';
import { notEmulatedReason, useCaseFor } from './registry.ts';
import { Rejection, RejectionAlert, hex4, reject } from './security.ts';
import { type DeviceCredentials, type DeviceSecurityState, checkInputs, cloneState } from './state.ts';
import type { CommandInputs, DeviceOutcome, ReplacementFailure, UseCase, UseCaseReads } from './use-case.ts';

/**
 * Processes one GBCS command addressed to the device. A command failing any check is discarded:
 * the outcome carries `rejected` and the input state object itself. Future-dated commands due by now are
 * not run here; call executeDueCommands first.
 */
export function processCommand(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, now: Date, inputs: CommandInputs = {}): DeviceOutcome {
  checkInputs(state, creds, now);
  try {
    if (!Buffer.isBuffer(message)) reject(RejectionAlert.integrityCheckFailed, 'the message is not a byte buffer');
    // Framing and grouping header first, so that a misaddressed or non-command message is refused as such.
    let apdu: GeneralSigningApdu;
    let mac: Buffer | undefined;
    try {
      if (isGeneralCiphering(message)) {
        const u = unwrapGeneralCiphering(message);
        apdu = decodeApdu(u.apdu);
        mac = u.mac;
      } else {
        apdu = decodeApdu(message);
      }
    } catch (e) {
      reject(RejectionAlert.integrityCheckFailed, `the message cannot be decoded: ${(e as Error).message}`);
    }
    if (apdu.cra !== 'command') reject(RejectionAlert.integrityCheckFailed, `CRA flag is ${apdu.cra}; a device only accepts commands`);
    if (apdu.target !== state.eui) reject(RejectionAlert.integrityCheckFailed, `the command is addressed to ${apdu.target}, not to this device ${state.eui}`);
    // The payload is decoded before the use case is looked up: a known message code with a bad payload is a
    // format problem, an unknown one has no codec and decodes to 'other'.
    let body: GbcsBody;
    try {
      body = decodeBody(apdu);
    } catch (e) {
      reject(RejectionAlert.integrityCheckFailed, `the payload cannot be decoded: ${(e as Error).message}`);
    }
    const m: GbcsMessage = mac ? { apdu, body, mac } : { apdu, body };
    const useCase = useCaseFor(apdu.messageCode);
    if (!useCase) reject(RejectionAlert.integrityCheckFailed, notEmulatedReason(apdu.messageCode));
    if (!useCase.deviceTypes.includes(state.type)) {
      reject(RejectionAlert.integrityCheckFailed, `message code ${hex4(apdu.messageCode)} (${useCase.name}) does not apply to a ${state.type}`);
    }
    return useCase.process(state, creds, message, m, now, inputs);
  } catch (e) {
    if (e instanceof Rejection) return { state, alerts: [], rejected: { alertCode: e.alertCode, reason: e.message }, changedCells: [] };
    throw e;
  }
}

/**
 * What the use case of a command to this device reads beyond the device's own state (UseCase.reads), for the caller
 * to load into processCommand's `inputs`: nothing for a message the device would refuse before its use case runs.
 */
export function commandReads(state: DeviceSecurityState, message: Buffer): UseCaseReads {
  let messageCode: number;
  try {
    messageCode = decodeApdu(isGeneralCiphering(message) ? unwrapGeneralCiphering(message).apdu : message).messageCode;
  } catch {
    return {};
  }
  const useCase = useCaseFor(messageCode);
  return useCase?.deviceTypes.includes(state.type) ? useCase.reads ?? {} : {};
}

type FutureDatable = UseCase & Required<Pick<UseCase, 'executeDue'>>;

function isFutureDatable(useCase: UseCase | undefined): useCase is FutureDatable {
  return useCase?.executeDue !== undefined;
}

/**
 * Executes the pending future-dated commands whose time has come (oldest first), each through its use case,
 * and raises the alert that use case gives (CS02b: 0x8F66 or 0x8F67, message code 00CB) to each command's
 * originator, signed and counted by the device.
 */
export function executeDueCommands(state: DeviceSecurityState, creds: DeviceCredentials, now: Date): DeviceOutcome {
  checkInputs(state, creds, now);
  const due = dueCommands(state, now);
  if (due.length === 0) return { state, alerts: [], changedCells: [] };
  let s = cloneState(state);
  s.pending = notYetDue(s.pending, now);
  const alerts: Buffer[] = [];
  const dueAlerts: NonNullable<DeviceOutcome['dueAlerts']> = [];
  const changedCells: CellName[] = [];
  const failures: ReplacementFailure[] = [];
  for (const p of due) {
    let useCase: FutureDatable;
    let m: GbcsMessage;
    try {
      const apdu = decodeApdu(p.command);
      const found = useCaseFor(apdu.messageCode);
      if (!isFutureDatable(found)) throw new Error(`message code ${hex4(apdu.messageCode)} has no future-dated execution`);
      useCase = found;
      m = { apdu, body: decodeBody(apdu) };
    } catch (e) {
      throw new Error(`pending command ${p.counter} from ${p.originator} is corrupt: ${(e as Error).message}`);
    }
    const done = useCase.executeDue(s, p, m, now);
    s = done.state;
    for (const n of done.changedCells) if (!changedCells.includes(n)) changedCells.push(n);
    failures.push(...done.failures);
    const mine: Buffer[] = [];
    for (const alert of done.alerts ?? (done.alert ? [done.alert] : [])) {
      s.alertCounter += 1n;
      // an alert of the device's own catch-up names its recipient (and is MAC'd unless critical)
      if (alert.to) {
        mine.push(frameAlert(s, creds, alert));
        continue;
      }
      const unsigned = encodeApdu({ cra: 'alert', counter: s.alertCounter, originator: s.eui, target: p.originator, messageCode: alert.messageCode, payload: alert.payload });
      mine.push(signApdu(unsigned, creds.dsKey));
    }
    alerts.push(...mine);
    dueAlerts.push({ counter: p.counter, originator: p.originator, alerts: mine });
  }
  const out: DeviceOutcome = { state: s, alerts, changedCells, dueAlerts };
  if (failures.length > 0) out.replacementFailures = failures;
  return out;
}
