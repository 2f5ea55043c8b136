/**
 * One shape for every use case beyond CS02 (DLMS for ESME and CHF, GBZ for GSME and GPF, ASN.1 for HAN and
 * firmware): the device checks the command as GBCS says (ACB MAC, the originator holds a cell of a role the
 * use case accepts, a critical command's signature by that role's DS cell, the role's counter), lets the use
 * case act on its application state, and answers: a critical command's response signed with the device's DS
 * key, any other's MAC'd to the originator's KA cell. A use case only says what it does (`run`).
 */
import type { KeyObject } from 'node:crypto';
import type { Eui } from '../../pki/index.ts';
import { encodeApdu, signApdu, verifyApduSignature, type GeneralSigningApdu } from '../gbcs/apdu.ts';
import { wrapWithMac } from '../gbcs/mac.ts';
import type { GbcsBody, GbcsMessage } from '../gbcs/message.ts';
import type { DeviceAppState } from './app-state.ts';
import { CELL_IDS, type CellName, type DeviceType, hasCell } from './cells.ts';
import { deferIfFutureDated } from './pending.ts';
import { RejectionAlert, cellLabel, checkCounter, checkMac, reject } from './security.ts';
import { factsOf } from './certificate-cache.ts';
import { type DeviceCredentials, type DeviceSecurityState, type PendingCommand, cloneState, newDeviceState } from './state.ts';
import type { DeviceOutcome, DueExecution, MirroredDevice, UseCase, UseCaseReads } from './use-case.ts';

/** The DS and KA cells through which a remote party role commands a device. */
const ROLE_CELLS: Readonly<Record<number, { ds: CellName; ka?: CellName }>> = {
  1: { ds: 'recovery' },
  2: { ds: 'supplierDS', ka: 'supplierKA' },
  3: { ds: 'networkOperatorDS', ka: 'networkOperatorKA' },
  4: { ds: 'acbDS', ka: 'acbKA' },
  5: { ds: 'transitionalCoSDS' },
  6: { ds: 'wanProviderDS' },
  8: { ds: 'loadControllerDS', ka: 'loadControllerKA' },
};

/** An alert the command makes the device raise (besides its response). */
export interface RaisedAlert {
  messageCode: number;
  payload: Buffer;
  /** critical alerts are signed; others are MAC'd to the recipient's KA cell */
  critical: boolean;
  /** default: the command's originator */
  to?: Eui;
  /** the remote party role whose KA cell the recipient holds (for the MAC); default: the command's */
  toRole?: number;
}

export interface CommandContext {
  /** the state when the command arrived (read only) */
  readonly device: DeviceSecurityState;
  /** the application state to change (the caller's copy; kept only if the command is accepted) */
  readonly app: DeviceAppState;
  readonly message: GbcsMessage;
  readonly apdu: GeneralSigningApdu;
  readonly body: GbcsBody;
  readonly now: Date;
  /** the remote party role that authorised the command */
  readonly role: number;
  /**
   * A GPF's read (the spec reads `mirroredGsme`): the GSME it mirrors as it stands now, its credit caught up on a copy
   * (read only; absent when the GPF has no paired GSME).
   */
  readonly mirroredGsme?: { readonly device: DeviceSecurityState; readonly app: DeviceAppState };
  readonly creds: DeviceCredentials;
  /** the originator's key-agreement public key (the KA cell of its role), for MACs and sensitive payloads */
  readonly originatorKa: KeyObject | undefined;
  /** the device holds the command until `at` (answers now, runs `executeDue` then); the cancellation time cancels */
  defer(at: Date): boolean;
  raise(alert: RaisedAlert): void;
  /** records the top-up counter a UTRN was taken at (the device's prepayment top-up floor) */
  setTopUpSeqNumber(counter: bigint): void;
  /** the device's own originator counter, advanced (shared with its alerts): a URP response's supplementary originator counter */
  nextOriginatorCounter(): bigint;
  /** the response's other-information after the message code, instead of the command's echoed (a URP response's) */
  setResponseOtherInformation(extra: Buffer): void;
}

/** What a held command does when its time comes: the alerts it raises (8F66 per object, or 8F67). */
export interface DueContext {
  readonly device: DeviceSecurityState;
  readonly app: DeviceAppState;
  readonly pending: PendingCommand;
  readonly message: GbcsMessage;
  readonly now: Date;
}

export interface AppUseCaseSpec {
  /** the GBCS use case, e.g. 'ECS45' */
  name: string;
  messageCodes: readonly number[];
  deviceTypes: readonly DeviceType[];
  /** the remote party roles whose commands it runs, in the order their cells are tried */
  roles: readonly number[];
  /** critical (SME.C.C): signed by the role's DS key and answered with a signed response */
  critical: boolean;
  /** responses carry the grouping-header date-time (catalogue.md §2.2) */
  responseDateTime?: boolean;
  /** what it reads beyond the device's own state (the caller loads it; the context carries it) */
  reads?: UseCaseReads;
  /** acts on ctx.app and returns the response payload; throws a Rejection (security.ts) to discard */
  run(ctx: CommandContext): Buffer;
  /** for commands it defers: acts at their time and returns the alerts' payloads (message code, payload) */
  executeDue?(ctx: DueContext): { messageCode: number; payload: Buffer }[];
}

function kaOf(state: DeviceSecurityState, name: CellName | undefined): KeyObject | undefined {
  if (!name || !hasCell(state.type, name)) return undefined;
  const der = state.cells[name];
  return der ? factsOf(der)?.publicKey : undefined;
}

/** The role of `spec.roles` whose DS (or KA) cell the originator holds. */
function roleOf(state: DeviceSecurityState, spec: AppUseCaseSpec, originator: Eui): number {
  for (const role of spec.roles) {
    const cells = ROLE_CELLS[role];
    if (!cells) continue;
    for (const name of [cells.ds, cells.ka]) {
      if (!name || !hasCell(state.type, name)) continue;
      const der = state.cells[name];
      if (der && factsOf(der)?.subjectEui === originator) return role;
    }
  }
  const wanted = spec.roles.map((r) => ROLE_CELLS[r]?.ds).filter((n): n is CellName => !!n).map(cellLabel).join(' or ');
  return reject(RejectionAlert.noAuthority, `originator ${originator} holds no cell that may send ${spec.name} (${wanted || 'no role'})`);
}

/**
 * What a device does on its own between commands, caught up when the next command reaches it (before the use
 * case runs, on the same copy of its application state), and before a held command acts at its time: a
 * prepayment meter's credit draining (credit.ts).
 */
const catchUps: ((ctx: CommandContext) => void)[] = [];

export function onEveryCommand(catchUp: (ctx: CommandContext) => void): void {
  catchUps.push(catchUp);
}

/** Runs the catch-ups on `ctx` (a command's, or the clock's between commands: between-commands.ts). */
export function catchUp(ctx: CommandContext): void {
  for (const c of catchUps) c(ctx);
}

/**
 * Runs the catch-ups with no command: on the clock's tick between commands (between-commands.ts), before a held
 * command acts at its time, and on a copy a read sees (standingAt). Only what a catch-up reads is there (the device,
 * its application state, the clock, a way to raise alerts); what only a command may do throws.
 */
export function catchUpWithoutCommand(device: DeviceSecurityState, app: DeviceAppState, now: Date, raise: (a: RaisedAlert) => void, creds?: DeviceCredentials): void {
  const fail = (what: string) => () => { throw new Error(`${what} needs a command`); };
  catchUp({
    device, app, now, creds, role: 0, originatorKa: undefined, raise,
    defer: fail('defer'), setTopUpSeqNumber: fail('a top-up'), nextOriginatorCounter: fail('a response'), setResponseOtherInformation: fail('a response'),
  } as unknown as CommandContext);
}

/**
 * What a device notes of what a command (or a held one at its time) changed, for its logs of the past: `note` sees
 * the application state as the command finds it, after the catch-ups, and returns what to do once the use case has
 * acted on that same copy: a prepayment meter's money changing at the command's instant (prepayment.ts).
 */
type Note = (app: DeviceAppState, now: Date) => () => void;
const notes: Note[] = [];

export function noteEveryCommand(note: Note): void {
  notes.push(note);
}

/** Runs `act` between the notes' looks before and after it. */
function noted<T>(app: DeviceAppState, now: Date, act: () => T): T {
  const afterwards = notes.map((n) => n(app, now));
  const out = act();
  for (const a of afterwards) a();
  return out;
}

/**
 * A device as its reads see it at `now`, from its stored application state: what it did on its own since its last
 * command (its credit drained, its switch or valve opened for lack of it) caught up on a copy, its alerts dropped
 * (they are its own to raise when it catches up itself). Read only: `app` is not changed.
 *
 * The GSME as its GPF's mirror holds it (`mirroredGsme`), so a read through the GPF agrees with one of the GSME;
 * and the meter the console's panel shows (meter-view.ts).
 */
export function standingAt(eui: Eui, type: DeviceType, stored: DeviceAppState, now: Date): { readonly device: DeviceSecurityState; readonly app: DeviceAppState } {
  const device = newDeviceState(eui, type);
  const app: DeviceAppState = structuredClone(stored);
  catchUpWithoutCommand(device, app, now, () => {});
  return { device, app };
}

/** The GSME as its GPF's mirror holds it at `now` (standingAt): what a GPF's read and its meter panel show. */
export function mirrorAt(gsme: MirroredDevice, now: Date): NonNullable<CommandContext['mirroredGsme']> {
  return standingAt(gsme.eui, 'GSME', gsme.app, now);
}

export function appUseCase(spec: AppUseCaseSpec): UseCase {
  const what = `${spec.name} command`;
  const useCase: UseCase = {
    name: spec.name,
    messageCodes: spec.messageCodes,
    deviceTypes: spec.deviceTypes,
    emulated: spec.name,
    ...(spec.reads ? { reads: spec.reads } : {}),
    process(state, creds, message, m, now, inputs = {}): DeviceOutcome {
      const { apdu } = m;
      checkMac(state, creds, message, m, true, what);
      const role = roleOf(state, spec, apdu.originator);
      const cells = ROLE_CELLS[role]!;
      if (spec.critical) {
        if (!apdu.signature) reject(RejectionAlert.authenticationFailed, `${what} is critical and not signed; it must be signed with the key in the ${cellLabel(cells.ds)}`);
        const ds = factsOf(state.cells[cells.ds]!);
        if (!ds || !verifyApduSignature(apdu, ds.publicKey)) reject(RejectionAlert.authenticationFailed, `the signature does not verify with the key in the ${cellLabel(cells.ds)}`);
      }
      checkCounter(state, CELL_IDS[cells.ds].role, apdu.counter);
      const next = cloneState(state);
      next.seqNumbers[CELL_IDS[cells.ds].role] = apdu.counter;
      const app: DeviceAppState = next.app ?? {};
      const raised: RaisedAlert[] = [];
      const originatorKa = kaOf(state, cells.ka);
      let responseExtra = apdu.otherInformationExtra;
      const mirrored = spec.reads?.mirroredGsme && state.type === 'GPF' ? inputs.mirroredGsme : undefined;
      const ctx: CommandContext = {
        device: state, app, message: m, apdu, body: m.body, now, role, creds, originatorKa,
        ...(mirrored ? { mirroredGsme: mirrorAt(mirrored, now) } : {}),
        defer: (at) => deferIfFutureDated(next, apdu, at, now),
        raise: (a) => raised.push(a),
        setTopUpSeqNumber: (c) => { next.topUpSeqNumber = c; },
        nextOriginatorCounter: () => (next.alertCounter += 1n),
        setResponseOtherInformation: (extra) => { responseExtra = extra; },
      };
      catchUp(ctx);
      const payload = noted(app, now, () => spec.run(ctx));
      if (Object.keys(app).length > 0) next.app = app;
      const unsigned = encodeApdu({
        cra: 'response', counter: apdu.counter, originator: state.eui, target: apdu.originator,
        ...(spec.responseDateTime ? { dateTime: now } : {}),
        messageCode: apdu.messageCode,
        ...(responseExtra ? { otherInformationExtra: responseExtra } : {}),
        payload,
      });
      let response: Buffer;
      if (spec.critical) response = signApdu(unsigned, creds.dsKey);
      else if (originatorKa) response = wrapWithMac(unsigned, creds.kaKey, originatorKa);
      else reject(RejectionAlert.noAuthority, `the ${role === 2 ? 'supplier' : 'originator'}'s KA cell is empty: the device cannot MAC its response`);
      const alerts = raised.map((a) => {
        next.alertCounter += 1n;
        const to = a.to ?? apdu.originator;
        const body = encodeApdu({ cra: 'alert', counter: next.alertCounter, originator: state.eui, target: to, messageCode: a.messageCode, payload: a.payload });
        if (a.critical) return signApdu(body, creds.dsKey);
        const ka = a.toRole !== undefined ? kaOf(state, ROLE_CELLS[a.toRole]?.ka) : originatorKa;
        if (!ka) throw new Error(`${spec.name}: no KA cell to MAC the alert 0x${a.messageCode.toString(16)} to ${to}`);
        return wrapWithMac(body, creds.kaKey, ka);
      });
      return { state: next, response, alerts, changedCells: [] };
    },
  };
  if (spec.executeDue) {
    const due = spec.executeDue;
    useCase.executeDue = (state, pending, command, now): DueExecution => {
      const app: DeviceAppState = state.app ?? {};
      // What the device did on its own until the command's instant happened under the terms then in force (a
      // prepayment meter's credit drained at the old tariff's prices); its alerts go first, as they happened.
      const raised: RaisedAlert[] = [];
      catchUpWithoutCommand(state, app, pending.executeAt, (a) => raised.push(a));
      const device = { ...state, alertCounter: state.alertCounter + BigInt(raised.length) };
      const alerts = noted(app, pending.executeAt, () => due({ device, app, pending, message: command, now }));
      if (Object.keys(app).length > 0) state.app = app;
      return { state, changedCells: [], failures: [], alerts: [...raised, ...alerts] };
    };
  }
  return useCase;
}
