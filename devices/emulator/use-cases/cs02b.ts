/**
 * CS02b "Update Security Credentials" (gbcs-cs02b.md §7): authorisation by mode (§7.1), steps 1-9 of §7.2,
 * future-dated execution with the 8F66/8F67 alert. One message code per credentials replacement mode.
 */
import { verifyApduSignature } from '../../gbcs/apdu.ts';
import { unwrapContingencyKey } from '../../gbcs/contingency.ts';
import { describeCellId, describeRole, sameCell } from '../../gbcs/cell-id.ts';
import {
  ALERT_FUTURE_DATED_FAILURE,
  ALERT_FUTURE_DATED_SUCCESS,
  CS02B_MESSAGE_CODES,
  CredentialsReplacementMode,
  type Cs02bCommand,
  type ExecutionOutcome,
  type RemotePartySeqNumberChange,
  type ReplacementOutcome,
  StatusCode,
  encodeCs02bAlert,
  encodeCs02bResponse,
  modeName,
} from '../../gbcs/cs02b.ts';
import { credentialsAlertMessageCode, credentialsMessageCode } from '../../gbcs/cs02g.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { factsOf, validatePathCached } from '../certificate-cache.ts';
import { CELL_IDS, type CellName, type DeviceType, cellNameOf, hasCell, TYPE1_DEVICE_TYPES } from '../cells.ts';
import { deferIfFutureDated } from '../pending.ts';
import { RejectionAlert, cellLabel, checkCounter, checkMac, factsInCell, hex4, reject, signedResponse } from '../security.ts';
import { type DeviceCredentials, type DeviceSecurityState, type PendingCommand, ZERO_ID, cloneState, idsOf } from '../state.ts';
import type { DeviceOutcome, DueExecution, ReplacementFailure, UseCase } from '../use-case.ts';

interface ModeRule {
  /** The cell whose key signs the command; null: authenticated by the ACB MAC alone. */
  authorising: CellName | null;
  /** Roles whose cells the mode may replace (and whose floors [6] may set). */
  roles: readonly number[];
  macRequired: boolean;
}

/** gbcs-cs02b.md §7.1. Modes 0 and 1 (root replacement by the supplier or WAN provider) are not emulated. */
function modeRule(mode: number, type: DeviceType): ModeRule | undefined {
  switch (mode) {
    case 2:
      return { authorising: 'supplierDS', roles: [2], macRequired: true };
    case 3:
      return { authorising: 'networkOperatorDS', roles: [3], macRequired: true };
    case 4:
      // On a CHF the ACB signs with its DS key; elsewhere the device has no ACB DS cell and the MAC authenticates.
      return { authorising: type === 'CHF' ? 'acbDS' : null, roles: [4], macRequired: true };
    case 5:
      return { authorising: 'wanProviderDS', roles: [6], macRequired: true };
    case 6:
      return { authorising: 'transitionalCoSDS', roles: [5], macRequired: true };
    case 7:
      return { authorising: 'transitionalCoSDS', roles: [2], macRequired: true };
    case 8:
      return { authorising: 'recovery', roles: [1, 2, 3, 4, 5, 6], macRequired: false };
    // The root's contingency key (not a certificate in the root cell) authenticates it: authoriseContingency.
    case 9:
      return { authorising: 'root', roles: [0, 1, 2, 3, 4, 5, 6], macRequired: false };
    // CS02g (use-cases/cs02g.ts): the load controller cells, by the load controller itself or by the supplier.
    case 10:
      return { authorising: 'loadControllerDS', roles: [8], macRequired: true };
    case 11:
      return { authorising: 'supplierDS', roles: [8], macRequired: true };
    default:
      return undefined;
  }
}

interface Authorised {
  rule: ModeRule;
  authRole: number;
}

/** Steps 1-5 of §7.2 plus the mode's reach; throws Rejection. */
function authoriseCs02b(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, cmd: Cs02bCommand): Authorised {
  const { apdu } = m;
  const name = modeName(cmd.mode);
  if (apdu.messageCode !== credentialsMessageCode(cmd.mode)) {
    reject(
      RejectionAlert.integrityCheckFailed,
      `message code ${hex4(apdu.messageCode)} does not match mode ${cmd.mode} (${name}), which needs ${hex4(credentialsMessageCode(cmd.mode))}`,
    );
  }
  const rule = modeRule(cmd.mode, state.type);
  if (!rule) reject(RejectionAlert.integrityCheckFailed, `credentials replacement mode ${cmd.mode} (${name}) is not supported by this emulator`);

  checkMac(state, creds, message, m, rule.macRequired, `CS02b ${name} command`);

  const authRole = rule.authorising ? CELL_IDS[rule.authorising].role : CELL_IDS.acbKA.role;
  checkCounter(state, authRole, apdu.counter);
  if (cmd.authorisingSeqNumber !== apdu.counter) {
    reject(RejectionAlert.integrityCheckFailed, `[3] authorisingRemotePartySeqNumber ${cmd.authorisingSeqNumber} differs from the originator counter ${apdu.counter}`);
  }

  if (cmd.plaintextSymmetricKey && cmd.mode !== CredentialsReplacementMode.anyByContingency) {
    reject(RejectionAlert.integrityCheckFailed, `[0] plaintextSymmetricKey is only for anyByContingency, not ${name}`);
  }
  if (cmd.mode === CredentialsReplacementMode.anyByContingency) {
    authoriseContingency(state, m, cmd);
  } else if (rule.authorising) {
    const want = CELL_IDS[rule.authorising];
    if (!cmd.authorisingCell) reject(RejectionAlert.noAuthority, `[2] authorising cell is missing; ${name} is authorised by the ${cellLabel(rule.authorising)}`);
    if (!sameCell(cmd.authorisingCell, want)) {
      reject(RejectionAlert.noAuthority, `[2] names the ${describeCellId(cmd.authorisingCell)} cell; ${name} is authorised by the ${cellLabel(rule.authorising)}`);
    }
    const holder = factsInCell(state, rule.authorising, RejectionAlert.noAuthority);
    if (holder.subjectEui !== apdu.originator) {
      reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${holder.subjectEui ?? '(no EUI)'}, the holder of the ${cellLabel(rule.authorising)}`);
    }
    if (!apdu.signature) reject(RejectionAlert.authenticationFailed, `the command is not signed; ${name} must be signed with the key in the ${cellLabel(rule.authorising)}`);
    if (!verifyApduSignature(apdu, holder.publicKey)) {
      reject(RejectionAlert.authenticationFailed, `the signature does not verify with the key in the ${cellLabel(rule.authorising)} (SKI ${holder.ski})`);
    }
  } else {
    if (cmd.authorisingCell) {
      reject(RejectionAlert.noAuthority, `[2] names the ${describeCellId(cmd.authorisingCell)} cell, but on a ${state.type} ${name} is authorised by the ACB MAC alone and carries no [2]`);
    }
    const acb = factsInCell(state, 'acbKA', RejectionAlert.noAuthority);
    if (acb.subjectEui !== apdu.originator) {
      reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${acb.subjectEui ?? '(no EUI)'}, the holder of the ACB KA cell`);
    }
  }

  for (const r of cmd.replacements) {
    if (!rule.roles.includes(r.target.role)) {
      reject(RejectionAlert.noAuthority, `target cell ${describeCellId(r.target)} is outside what ${name} may replace (${rule.roles.map(describeRole).join(', ')})`);
    }
  }
  for (const c of cmd.otherSeqNumberChanges ?? []) {
    if (!rule.roles.includes(c.role) || c.role === authRole) {
      reject(RejectionAlert.noAuthority, `[6] sets the ${describeRole(c.role)} floor, which ${name} may not change through [6]`);
    }
    if (c.topUpFloorSeqNumber !== undefined && c.role !== 2) {
      reject(RejectionAlert.integrityCheckFailed, `[6] gives a prepayment top-up floor to the ${describeRole(c.role)}; only the supplier has one`);
    }
  }
  if (cmd.newTopUpFloorSeqNumber !== undefined && authRole !== 2) {
    reject(RejectionAlert.integrityCheckFailed, `[5] sets a prepayment top-up floor, but the authorising role ${describeRole(authRole)} has none`);
  }
  return { rule, authRole };
}

/**
 * anyByContingency: [2], when present, names the root cell; the device unwraps the root's contingency public key
 * it holds with [0] and verifies the signature with it. The originator is not matched to the root cell, which
 * carries no EUI. No contingency key held (none made, or spent by an earlier contingency command) is no authority.
 */
function authoriseContingency(state: DeviceSecurityState, m: GbcsMessage, cmd: Cs02bCommand): void {
  const { apdu } = m;
  if (cmd.authorisingCell && !sameCell(cmd.authorisingCell, CELL_IDS.root)) {
    reject(RejectionAlert.noAuthority, `[2] names the ${describeCellId(cmd.authorisingCell)} cell; anyByContingency is authorised by the root's contingency key`);
  }
  if (!state.rootContingencyKey) {
    reject(RejectionAlert.noAuthority, `${state.eui} holds no contingency key for its root (none was established, or an earlier contingency command spent it)`);
  }
  if (!cmd.plaintextSymmetricKey) reject(RejectionAlert.authenticationFailed, 'anyByContingency carries no [0] plaintextSymmetricKey, so the contingency key cannot be unwrapped');
  const key = unwrapContingencyKey(cmd.plaintextSymmetricKey, state.rootContingencyKey);
  if (!key) reject(RejectionAlert.authenticationFailed, "[0] plaintextSymmetricKey does not unwrap the root's contingency key the device holds");
  if (!apdu.signature) reject(RejectionAlert.authenticationFailed, "the command is not signed; anyByContingency must be signed with the root's contingency key");
  if (!verifyApduSignature(apdu, key)) reject(RejectionAlert.authenticationFailed, "the signature does not verify with the root's contingency key");
}

/** Steps 7-9 of §7.2: replace cells one by one (partial success allowed), then apply the floors. */
function execute(
  state: DeviceSecurityState,
  cmd: Cs02bCommand,
  counter: bigint,
  now: Date,
): { state: DeviceSecurityState; outcome: ExecutionOutcome; changedCells: CellName[]; failures: ReplacementFailure[] } {
  const s = cloneState(state);
  const rule = modeRule(cmd.mode, s.type);
  if (!rule) throw new Error(`execute: mode ${cmd.mode} has no rule`); // authoriseCs02b has already refused it
  const authRole = rule.authorising ? CELL_IDS[rule.authorising].role : CELL_IDS.acbKA.role;
  const changedCells: CellName[] = [];
  const failures: ReplacementFailure[] = [];
  const replacementOutcomes: ReplacementOutcome[] = [];

  for (const r of cmd.replacements) {
    const name = cellNameOf(r.target);
    const present = name !== undefined && hasCell(s.type, name);
    const existing = present ? idsOf(s.cells[name]) : { uid: ZERO_ID, ski: ZERO_ID };
    const verdict = present ? checkReplacement(s, name, r.certificate, cmd, now) : { status: StatusCode.trustAnchorNotFound, reason: `a ${s.type} has no ${describeCellId(r.target)} cell` };
    let replacing = existing;
    if (verdict.status === StatusCode.success && name) {
      s.cells[name] = r.certificate;
      replacing = idsOf(r.certificate);
      if (!changedCells.includes(name)) changedCells.push(name);
    } else {
      failures.push({ cell: r.target, status: verdict.status, reason: verdict.reason });
    }
    replacementOutcomes.push({
      cell: r.target,
      status: verdict.status,
      existingSubjectUniqueId: existing.uid,
      existingSubjectKeyId: existing.ski,
      replacingSubjectUniqueId: replacing.uid,
      replacingSubjectKeyId: replacing.ski,
    });
  }

  // Floors are "set to" (gbcs-cs02b.md §7.2 step 9): a new party starts from the floor the command gives.
  const seqNumberChanges: RemotePartySeqNumberChange[] = [];
  if (cmd.newFloorSeqNumber !== undefined || cmd.newTopUpFloorSeqNumber !== undefined) {
    const floor = cmd.newFloorSeqNumber ?? s.seqNumbers[authRole] ?? 0n;
    s.seqNumbers[authRole] = floor;
    const change: RemotePartySeqNumberChange = { role: authRole, floorSeqNumber: floor };
    if (cmd.newTopUpFloorSeqNumber !== undefined) {
      s.topUpSeqNumber = cmd.newTopUpFloorSeqNumber;
      change.topUpFloorSeqNumber = cmd.newTopUpFloorSeqNumber;
    }
    seqNumberChanges.push(change);
  }
  for (const c of cmd.otherSeqNumberChanges ?? []) {
    s.seqNumbers[c.role] = c.floorSeqNumber;
    if (c.topUpFloorSeqNumber !== undefined) s.topUpSeqNumber = c.topUpFloorSeqNumber;
    seqNumberChanges.push({ ...c });
  }

  return {
    state: s,
    outcome: { authorisingSeqNumber: counter, mode: cmd.mode, seqNumberChanges, replacementOutcomes },
    changedCells,
    failures,
  };
}

/**
 * One replacement: CPV against the root cell through the command's certification path (time checks only
 * when applyTimeBasedCpvChecks, at `now`), then the certificate's role and key usage against the cell.
 * Status choices: any CPV failure, including an expired or not-yet-valid certificate, is 10 noTrustAnchor
 * (RTDS shows 10 for a certificate from an unknown issuer; GBCS does not say which code a date failure gets);
 * an unparseable certificate or a role / key usage / missing EUI mismatch is 5 badCertificate; a cell the
 * device type lacks is 25 trustAnchorNotFound.
 */
function checkReplacement(s: DeviceSecurityState, name: CellName, certificate: Buffer, cmd: Cs02bCommand, now: Date): { status: number; reason: string } {
  const cell = CELL_IDS[name];
  const f = factsOf(certificate);
  if (!f) return { status: StatusCode.badCertificate, reason: `the certificate for the ${cellLabel(name)} cannot be parsed` };
  // A new root has no path to the old one: the contingency signature over the command is its authority (RFC 5934's
  // apex update). It must still be a CA certificate; the cells after it in the command chain to it.
  if (name === 'root') {
    return f.keyUsage === 'CA' ? { status: StatusCode.success, reason: '' } : { status: StatusCode.badCertificate, reason: `the certificate for the root cell is not a CA certificate (key usage ${f.keyUsage})` };
  }
  const root = s.cells.root;
  if (!root) return { status: StatusCode.noTrustAnchor, reason: 'the root cell is empty, so no path can be validated' };
  // ZAZ1 pins the issuing CA in the root cell: a path certificate claiming the anchor's key identifier must be
  // the anchor itself, or an altered CA certificate would pass unnoticed (RTDS's IMMEDIATE_ERROR vectors: status 10).
  const anchor = factsOf(root);
  const impostor = anchor ? cmd.certificationPath.find((c) => factsOf(c)?.ski === anchor.ski && !c.equals(root)) : undefined;
  if (impostor) return { status: StatusCode.noTrustAnchor, reason: `the certification path carries a certificate with the root cell's key identifier ${anchor!.ski} that is not the root cell's certificate` };
  const path = validatePathCached(certificate, cmd.certificationPath, [root], cmd.applyTimeBasedCpvChecks ? now : null);
  if (!path.ok) return { status: StatusCode.noTrustAnchor, reason: `certification path validation failed (${path.code}): ${path.reason}` };
  // MP128: a gas proxy's network operator cells may hold the ACB's certificates (GPFs are made so,
  // and a GNO leaving DCC User status puts them back), so a GPF accepts role ACB there too.
  const acbInGpfNoCell = s.type === 'GPF' && cell.role === 3 && f.role === 4;
  // A supplier may appoint itself load controller: RTDS places the supplier's own certificates there (CS02g).
  const supplierAsLoadController = cell.role === 8 && f.role === 2;
  if (f.role !== cell.role && !acbInGpfNoCell && !supplierAsLoadController) {
    return { status: StatusCode.badCertificate, reason: `the certificate's role ${f.role === null ? '(none)' : describeRole(f.role)} does not fit the ${cellLabel(name)}` };
  }
  if (f.keyUsage !== cell.keyUsage) {
    return { status: StatusCode.badCertificate, reason: `the certificate's key usage ${f.keyUsage} does not fit the ${cellLabel(name)} (${cell.keyUsage})` };
  }
  if (cell.keyUsage !== 'CA' && !f.subjectEui) {
    return { status: StatusCode.badCertificate, reason: `the certificate for the ${cellLabel(name)} carries no subject EUI` };
  }
  return { status: StatusCode.success, reason: '' };
}

/** The dispatcher only hands CS02b (and CS02g) its own message codes, which the codecs decode as commands. */
function commandOf(m: GbcsMessage): Cs02bCommand {
  if (m.body.kind === 'cs02g-command') return m.body.command;
  if (m.body.kind !== 'cs02b-command') throw new Error(`CS02b was handed a ${m.body.kind} body (message code ${hex4(m.apdu.messageCode)})`);
  return m.body.command;
}

export function processCs02b(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, now: Date): DeviceOutcome {
  const { apdu } = m;
  const cmd = commandOf(m);
  const { authRole } = authoriseCs02b(state, creds, message, m, cmd);

  const accepted = cloneState(state);
  accepted.seqNumbers[authRole] = apdu.counter;
  // Its symmetric key has now travelled in clear: the device will not act on this contingency key again.
  if (cmd.mode === CredentialsReplacementMode.anyByContingency) delete accepted.rootContingencyKey;
  if (deferIfFutureDated(accepted, apdu, cmd.executionDateTime, now)) {
    return { state: accepted, response: signedResponse(state, creds, apdu, encodeCs02bResponse({}), now), alerts: [], changedCells: [] };
  }
  const done = execute(accepted, cmd, apdu.counter, now);
  const out: DeviceOutcome = {
    state: done.state,
    response: signedResponse(state, creds, apdu, encodeCs02bResponse({ outcome: done.outcome }), now),
    alerts: [],
    changedCells: done.changedCells,
  };
  if (done.failures.length > 0) out.replacementFailures = done.failures;
  return out;
}

/** Alert 0x8F66 when every replacement succeeded, 0x8F67 when any failed; message code 00CB (CS02g: 0x0124). */
export function executeDueCs02b(state: DeviceSecurityState, pending: PendingCommand, m: GbcsMessage, now: Date): DueExecution {
  const cmd = commandOf(m);
  const done = execute(state, cmd, pending.counter, now);
  const allOk = done.outcome.replacementOutcomes.every((o) => o.status === StatusCode.success);
  const payload = encodeCs02bAlert({
    alertCode: allOk ? ALERT_FUTURE_DATED_SUCCESS : ALERT_FUTURE_DATED_FAILURE,
    executionDateTime: pending.executeAt,
    outcome: done.outcome,
  });
  return { state: done.state, changedCells: done.changedCells, failures: done.failures, alert: { messageCode: credentialsAlertMessageCode(cmd.mode), payload } };
}

export const CS02B: UseCase = {
  name: 'CS02b',
  // Every mode's message code comes here, so that a mode we do not run is refused as such rather than as unknown.
  messageCodes: CS02B_MESSAGE_CODES,
  deviceTypes: TYPE1_DEVICE_TYPES,
  emulated: 'CS02b 0x0102-0x0109',
  process: processCs02b,
  executeDue: executeDueCs02b,
};
