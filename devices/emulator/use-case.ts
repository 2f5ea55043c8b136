/**
 * What a GBCS use case looks like to the emulator: the message codes it answers, the device types it
 * applies to, and how a device processes its command. The dispatcher finds the use case by message code
 * (registry.ts); the use case does the rest.
 */
import type { Eui } from '../../pki/index.ts';
import type { CellId } from '../gbcs/cell-id.ts';
import type { GbcsMessage } from '../gbcs/message.ts';
import type { DeviceAppState } from './app-state.ts';
import type { CellName, DeviceType } from './cells.ts';
import type { DeviceCredentials, DeviceSecurityState, PendingCommand } from './state.ts';

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
  /** executeDueCommands: the alerts of each held command executed, so each is answered under its own request */
  dueAlerts?: { counter: bigint; originator: string; alerts: Buffer[] }[];
  /** The command was discarded and the state is unchanged. */
  rejected?: { alertCode: number; reason: string };
  changedCells: CellName[];
  replacementFailures?: ReplacementFailure[];
  /** CS02d: the device now holds this certificate as its own (the caller persists it with the state) */
  ownCertificate?: { usage: 'DS' | 'KA'; certificate: Buffer };
}

/** A future-dated command run once its time has come; the dispatcher signs the alert and counts it. */
export interface DueAlert { messageCode: number; payload: Buffer; critical?: boolean; to?: Eui; toRole?: number }

export interface DueExecution {
  state: DeviceSecurityState;
  changedCells: CellName[];
  failures: ReplacementFailure[];
  /** The alert the device raises to the command's originator (CS02b, CS06: one). */
  alert?: DueAlert;
  /**
   * Or several: a DLMS command activating several objects raises one 8F66 per object. Signed to the command's
   * originator, unless an alert names its recipient `to` (what the device raised catching up to the command's
   * instant, e.g. a prepayment meter's credit alerts): then signed if critical, else MAC'd to the KA cell of role `toRole`.
   */
  alerts?: DueAlert[];
}

/** What a use case reads beyond its device's own state; the caller loads it (CommandInputs). */
export interface UseCaseReads {
  /** on a GPF: the GSME it mirrors (catalogue.md §1.15) */
  readonly mirroredGsme?: true;
}

/** Another device's state as the caller loaded it: read by the command, never written. */
export interface MirroredDevice {
  readonly eui: Eui;
  /** its application state (app-state.ts) as stored; {} when no command has changed it */
  readonly app: DeviceAppState;
}

/** What the caller loaded of what the command's use case reads (`UseCase.reads`); absent: there is none. */
export interface CommandInputs {
  /** the GSME the inventory pairs with the GPF: the one in the GPF's comms hub's HAN */
  readonly mirroredGsme?: MirroredDevice;
}

export interface UseCase {
  /** The GBCS use case, e.g. 'CS02b'. */
  readonly name: string;
  /** Every message code whose commands this use case answers; no two use cases share one. */
  readonly messageCodes: readonly number[];
  readonly deviceTypes: readonly DeviceType[];
  /** How the refusal of an unknown message code names this use case, e.g. 'CS02b 0x0102-0x0108'. */
  readonly emulated: string;
  /** What it reads beyond the device's own state, for the caller to load and pass to `process` (absent: nothing). */
  readonly reads?: UseCaseReads;
  /**
   * Processes one decoded command addressed to this device (framing, target and payload already checked).
   * Throws a Rejection (security.ts) to discard it; must not mutate `state`, nor anything in `inputs`.
   */
  process(state: DeviceSecurityState, creds: DeviceCredentials, message: Buffer, decoded: GbcsMessage, now: Date, inputs?: CommandInputs): DeviceOutcome;
  /**
   * Only for use cases that accept future-dated commands (they queue them with pending.ts): runs one whose
   * time has come. `state` is the caller's copy and may be returned as is.
   */
  executeDue?(state: DeviceSecurityState, pending: PendingCommand, command: GbcsMessage, now: Date): DueExecution;
}
