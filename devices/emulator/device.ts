/**
 * The device side of CS02a/CS02b: pure functions over an explicit security state (gbcs-cs02b.md §7.2).
 * No I/O and no clock: the caller passes `now` and persists the returned state together with the
 * response it produced.
 */
import type { KeyObject } from 'node:crypto';
import type { CertificateFacts, Eui, P256PrivateKey } from '../../pki/index.ts';
import { decodeApdu, encodeApdu, signApdu, verifyApduSignature, type GeneralSigningApdu } from '../gbcs/apdu.ts';
import { type CellId, describeCellId, describeRole, sameCell } from '../gbcs/cell-id.ts';
import { CS02A_MESSAGE_CODE, type Cs02aCommand, type Cs02aRoleDetails, encodeCs02aResponse } from '../gbcs/cs02a.ts';
import {
  ALERT_FUTURE_DATED_FAILURE,
  ALERT_FUTURE_DATED_SUCCESS,
  CANCELLATION_DATE_TIME,
  CS02B_ALERT_MESSAGE_CODE,
  type Cs02bCommand,
  type ExecutionOutcome,
  type RemotePartySeqNumberChange,
  type ReplacementOutcome,
  StatusCode,
  cs02bMessageCode,
  decodeCs02bCommand,
  encodeCs02bAlert,
  encodeCs02bResponse,
  modeName,
} from '../gbcs/cs02b.ts';
import { isGeneralCiphering, unwrapGeneralCiphering, verifyMac, wrapWithMac } from '../gbcs/mac.ts';
import { decodeBody, type GbcsBody, type GbcsMessage } from '../gbcs/message.ts';
import { factsOf, validatePathCached } from './certificate-cache.ts';
import { CELL_IDS, type CellName, type DeviceType, cellNameOf, cellsOf, hasCell, isDeviceType } from './cells.ts';

export interface PendingCommand {
  /** Originator counter of the future-dated command. */
  counter: bigint;
  originator: Eui;
  executeAt: Date;
  /** The authenticated general-signing APDU as received (without the MAC wrapper). */
  command: Buffer;
}

export interface DeviceSecurityState {
  eui: Eui;
  type: DeviceType;
  /** DER of the certificate each cell holds. */
  cells: Partial<Record<CellName, Buffer>>;
  /** Per remote party role: the last accepted originator counter, or the floor a CS02b set. */
  seqNumbers: Partial<Record<number, bigint>>;
  /** Supplier prepayment top-up specialist floor. */
  topUpSeqNumber: bigint;
  /** The last alert counter used; the next alert carries alertCounter + 1. */
  alertCounter: bigint;
  pending: PendingCommand[];
}

/** A device's own private keys. Its certificates are the SMKI repository's business: a meter answers without them. */
export interface DeviceCredentials {
  dsKey: P256PrivateKey;
  kaKey: P256PrivateKey;
}

/** Why a replacement did not succeed, for logs and the console (the GBCS response only carries the status). */
export interface ReplacementFailure {
  cell: CellId;
  status: number;
  reason: string;
}

export interface DeviceOutcome {
  /** The new state; the input is never mutated. */
  state: DeviceSecurityState;
  /** Signed GBCS response (CS02a: MAC-wrapped). */
  response?: Buffer;
  /** Signed GBCS alerts (8F66/8F67 when future-dated commands execute). */
  alerts: Buffer[];
  /** The command was discarded and the state is unchanged. */
  rejected?: { alertCode: number; reason: string };
  changedCells: CellName[];
  replacementFailures?: ReplacementFailure[];
}

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

class Rejection extends Error {
  constructor(
    readonly alertCode: number,
    reason: string,
  ) {
    super(reason);
  }
}

function reject(alertCode: number, reason: string): never {
  throw new Rejection(alertCode, reason);
}

const ZERO_ID = '0000000000000000';

interface ModeRule {
  /** The cell whose key signs the command; null: authenticated by the ACB MAC alone. */
  authorising: CellName | null;
  /** Roles whose cells the mode may replace (and whose floors [6] may set). */
  roles: readonly number[];
  macRequired: boolean;
}

/** gbcs-cs02b.md §7.1. Modes 0, 1 and 9 (root replacement, contingency) are not emulated. */
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
    default:
      return undefined;
  }
}

// --- state helpers ------------------------------------------------------------------------------

function cloneState(s: DeviceSecurityState): DeviceSecurityState {
  return {
    eui: s.eui,
    type: s.type,
    cells: { ...s.cells },
    seqNumbers: { ...s.seqNumbers },
    topUpSeqNumber: s.topUpSeqNumber,
    alertCounter: s.alertCounter,
    pending: s.pending.map((p) => ({ ...p })),
  };
}

function checkInputs(state: DeviceSecurityState, creds: DeviceCredentials, now: Date): void {
  if (!state || typeof state.eui !== 'string' || !/^[0-9A-F]{16}$/.test(state.eui)) {
    throw new TypeError(`device state: eui '${String(state?.eui)}' is not 16 upper-case hex digits`);
  }
  if (!isDeviceType(state.type)) throw new TypeError(`device state: type '${String(state.type)}' is not ESME, GSME, GPF or CHF`);
  if (!creds || !creds.dsKey || !creds.kaKey) throw new TypeError('device credentials: dsKey and kaKey are required');
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
}

/** Subject unique ID and SKI a cell reports (zeros for an empty cell or the EUI-less root). */
function idsOf(der: Buffer | undefined): { uid: string; ski: string } {
  if (!der) return { uid: ZERO_ID, ski: ZERO_ID };
  const f = factsOf(der);
  if (!f) return { uid: ZERO_ID, ski: ZERO_ID };
  return { uid: f.subjectEui ?? ZERO_ID, ski: ski8(f) };
}

/** SMKI key identifiers are 8 octets; a foreign one is cut to its first 8 so it still fits the response. */
function ski8(f: CertificateFacts): string {
  if (/^[0-9A-F]{16}$/.test(f.ski)) return f.ski;
  if (f.ski.length > 16) return f.ski.slice(0, 16);
  return ZERO_ID;
}

function cellLabel(name: CellName): string {
  return `${describeCellId(CELL_IDS[name])} cell`;
}

function factsInCell(state: DeviceSecurityState, name: CellName, alertCode: number): CertificateFacts {
  if (!hasCell(state.type, name)) reject(alertCode, `a ${state.type} has no ${cellLabel(name)}`);
  const der = state.cells[name];
  if (!der) reject(alertCode, `the ${cellLabel(name)} of ${state.eui} is empty`);
  const f = factsOf(der);
  if (!f) reject(alertCode, `the ${cellLabel(name)} holds a certificate that cannot be parsed`);
  return f;
}

// --- common checks ------------------------------------------------------------------------------

function checkMac(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, required: boolean, what: string): void {
  if (!m.mac) {
    if (required) reject(RejectionAlert.authenticationFailed, `${what} has no MAC wrapper; it must carry the ACB MAC`);
    return;
  }
  const acb = factsInCell(state, 'acbKA', RejectionAlert.authenticationFailed);
  const r = verifyMac(message, creds.kaKey, acb.publicKey);
  if (!r.ok) reject(RejectionAlert.authenticationFailed, `${what}: ${r.reason} (ACB KA cell SKI ${acb.ski})`);
}

function checkCounter(state: DeviceSecurityState, role: number, counter: bigint): void {
  const stored = state.seqNumbers[role];
  if (stored !== undefined && counter <= stored) {
    reject(
      RejectionAlert.otherAuthFailure,
      `originator counter ${counter} is not greater than the ${describeRole(role)} counter ${stored} the device holds (replay)`,
    );
  }
}

function signedResponse(state: DeviceSecurityState, creds: DeviceCredentials, apdu: GeneralSigningApdu, payload: Buffer, now: Date): Buffer {
  const unsigned = encodeApdu({
    cra: 'response',
    counter: apdu.counter,
    originator: state.eui,
    target: apdu.originator,
    dateTime: now,
    messageCode: apdu.messageCode,
    payload,
  });
  return signApdu(unsigned, creds.dsKey);
}

// --- CS02b --------------------------------------------------------------------------------------

interface Authorised {
  rule: ModeRule;
  authRole: number;
}

/** Steps 1-5 of §7.2 plus the mode's reach; throws Rejection. */
function authoriseCs02b(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, cmd: Cs02bCommand): Authorised {
  const { apdu } = m;
  const name = modeName(cmd.mode);
  if (apdu.messageCode !== cs02bMessageCode(cmd.mode)) {
    reject(
      RejectionAlert.integrityCheckFailed,
      `message code 0x${apdu.messageCode.toString(16).padStart(4, '0')} does not match mode ${cmd.mode} (${name}), which needs 0x${cs02bMessageCode(cmd.mode).toString(16).padStart(4, '0')}`,
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

  if (rule.authorising) {
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
  const root = s.cells.root;
  if (!root) return { status: StatusCode.noTrustAnchor, reason: 'the root cell is empty, so no path can be validated' };
  const path = validatePathCached(certificate, cmd.certificationPath, [root], cmd.applyTimeBasedCpvChecks ? now : null);
  if (!path.ok) return { status: StatusCode.noTrustAnchor, reason: `certification path validation failed (${path.code}): ${path.reason}` };
  // MP128: a gas proxy's network operator cells may hold the ACB's certificates (GPFs are made so,
  // and a GNO leaving DCC User status puts them back), so a GPF accepts role ACB there too.
  const acbInGpfNoCell = s.type === 'GPF' && cell.role === 3 && f.role === 4;
  if (f.role !== cell.role && !acbInGpfNoCell) {
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

function processCs02b(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, cmd: Cs02bCommand, now: Date): DeviceOutcome {
  const { apdu } = m;
  const { authRole } = authoriseCs02b(state, creds, message, m, cmd);

  const accepted = cloneState(state);
  accepted.seqNumbers[authRole] = apdu.counter;
  const exec = cmd.executionDateTime;

  if (exec && exec.getTime() === CANCELLATION_DATE_TIME.getTime()) {
    // A command dated 9999-12-31T23:59:59Z supersedes pending commands of the same mode (message code).
    accepted.pending = accepted.pending.filter((p) => pendingMessageCode(p) !== apdu.messageCode);
    return { state: accepted, response: signedResponse(state, creds, apdu, encodeCs02bResponse({}), now), alerts: [], changedCells: [] };
  }
  if (exec && exec.getTime() > now.getTime()) {
    accepted.pending.push({ counter: apdu.counter, originator: apdu.originator, executeAt: exec, command: Buffer.from(apdu.bytes) });
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

function pendingMessageCode(p: PendingCommand): number {
  return decodeApdu(p.command).messageCode;
}

// --- CS02a --------------------------------------------------------------------------------------

/**
 * CS02a reads cells: MAC-only, authorised by the ACB KA cell. The counter is checked against the ACB's and
 * then recorded; the seq numbers reported are those held when the command arrived (which is what the RTDS
 * GSME vector shows: ACB seq 0 in the answer to an ACB command with counter 0x516).
 */
function processCs02a(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, m: GbcsMessage, cmd: Cs02aCommand): DeviceOutcome {
  const { apdu } = m;
  checkMac(state, creds, message, m, true, 'CS02a command');
  if (!sameCell(cmd.authorisingCell, CELL_IDS.acbKA)) {
    reject(RejectionAlert.noAuthority, `CS02a names the ${describeCellId(cmd.authorisingCell)} cell as authorising; only the ACB KA cell may authorise it`);
  }
  const acb = factsInCell(state, 'acbKA', RejectionAlert.noAuthority);
  if (acb.subjectEui !== apdu.originator) {
    reject(RejectionAlert.noAuthority, `originator ${apdu.originator} is not ${acb.subjectEui ?? '(no EUI)'}, the holder of the ACB KA cell`);
  }
  checkCounter(state, CELL_IDS.acbKA.role, apdu.counter);

  const cells = cellsOf(state.type);
  const roles: Cs02aRoleDetails[] = cmd.roles.map((role) => {
    const names = cells.filter((n) => CELL_IDS[n].role === role);
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
  });
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

// --- entry points -------------------------------------------------------------------------------

/**
 * Processes one GBCS command addressed to the device. A command failing any check is discarded:
 * the outcome carries `rejected` and the input state object itself. Future-dated commands due by now are
 * not run here; call executeDueCommands first.
 */
export function processCommand(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, now: Date): DeviceOutcome {
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
    let body: GbcsBody;
    try {
      body = decodeBody(apdu);
    } catch (e) {
      reject(RejectionAlert.integrityCheckFailed, `the payload cannot be decoded: ${(e as Error).message}`);
    }
    const m: GbcsMessage = mac ? { apdu, body, mac } : { apdu, body };
    if (body.kind === 'cs02b-command') return processCs02b(state, creds, message, m, body.command, now);
    if (body.kind === 'cs02a-command') return processCs02a(state, creds, message, m, body.command);
    reject(
      RejectionAlert.integrityCheckFailed,
      `message code 0x${apdu.messageCode.toString(16).padStart(4, '0')} is not emulated (CS02a 0x0008 and CS02b 0x0102-0x0108 are)`,
    );
  } catch (e) {
    if (e instanceof Rejection) return { state, alerts: [], rejected: { alertCode: e.alertCode, reason: e.message }, changedCells: [] };
    throw e;
  }
}

/**
 * Executes the pending future-dated commands whose time has come (oldest first) and raises alert 0x8F66
 * (every replacement succeeded) or 0x8F67 (any failed), message code 00CB, to each command's originator.
 */
export function executeDueCommands(state: DeviceSecurityState, creds: DeviceCredentials, now: Date): DeviceOutcome {
  checkInputs(state, creds, now);
  const due = state.pending
    .filter((p) => p.executeAt.getTime() <= now.getTime())
    .sort((a, b) => a.executeAt.getTime() - b.executeAt.getTime() || (a.counter < b.counter ? -1 : a.counter > b.counter ? 1 : 0));
  if (due.length === 0) return { state, alerts: [], changedCells: [] };
  let s = cloneState(state);
  s.pending = s.pending.filter((p) => p.executeAt.getTime() > now.getTime());
  const alerts: Buffer[] = [];
  const changedCells: CellName[] = [];
  const failures: ReplacementFailure[] = [];
  for (const p of due) {
    let cmd: Cs02bCommand;
    try {
      cmd = decodeCs02bCommand(decodeApdu(p.command).payload);
    } catch (e) {
      throw new Error(`pending command ${p.counter} from ${p.originator} is corrupt: ${(e as Error).message}`);
    }
    const done = execute(s, cmd, p.counter, now);
    s = done.state;
    for (const n of done.changedCells) if (!changedCells.includes(n)) changedCells.push(n);
    failures.push(...done.failures);
    s.alertCounter += 1n;
    const allOk = done.outcome.replacementOutcomes.every((o) => o.status === StatusCode.success);
    const payload = encodeCs02bAlert({
      alertCode: allOk ? ALERT_FUTURE_DATED_SUCCESS : ALERT_FUTURE_DATED_FAILURE,
      executionDateTime: p.executeAt,
      outcome: done.outcome,
    });
    const unsigned = encodeApdu({ cra: 'alert', counter: s.alertCounter, originator: s.eui, target: p.originator, messageCode: CS02B_ALERT_MESSAGE_CODE, payload });
    alerts.push(signApdu(unsigned, creds.dsKey));
  }
  const out: DeviceOutcome = { state: s, alerts, changedCells };
  if (failures.length > 0) out.replacementFailures = failures;
  return out;
}

/** A fresh device state: empty counters, no pending commands. */
export function newDeviceState(eui: Eui, type: DeviceType, cells: Partial<Record<CellName, Buffer>> = {}): DeviceSecurityState {
  if (!isDeviceType(type)) throw new TypeError(`type '${String(type)}' is not ESME, GSME, GPF or CHF`);
  for (const name of Object.keys(cells) as CellName[]) {
    if (!hasCell(type, name)) throw new TypeError(`a ${type} has no ${name} cell`);
  }
  return { eui, type, cells: { ...cells }, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n, pending: [] };
}

export interface CellReport {
  name: CellName;
  id: CellId;
  /** Null when the cell is empty or its certificate cannot be parsed. */
  subjectUniqueId: string | null;
  subjectKeyId: string | null;
  state: 'filled' | 'empty' | 'unparseable';
}

/** The cells of a device as CS02a would describe them, for logs and the console. */
export function describeCells(state: DeviceSecurityState): CellReport[] {
  return cellsOf(state.type).map((name) => {
    const der = state.cells[name];
    const f = der ? factsOf(der) : null;
    return {
      name,
      id: { ...CELL_IDS[name] },
      subjectUniqueId: f ? (f.subjectEui ?? ZERO_ID) : null,
      subjectKeyId: f ? ski8(f) : null,
      state: der ? (f ? 'filled' : 'unparseable') : 'empty',
    };
  });
}
