/**
 * Future-dated commands: a command whose execution date-time is later than now is accepted, answered at
 * once, and kept in the state until executeDueCommands runs it. A command dated 9999-12-31T23:59:59Z
 * instead cancels every pending command with the same message code.
 */
import { decodeApdu, type GeneralSigningApdu } from '../gbcs/apdu.ts';
import { CANCELLATION_DATE_TIME } from '../gbcs/cs02b.ts';
import type { DeviceSecurityState, PendingCommand } from './state.ts';

/**
 * Queues or cancels on `accepted` (the caller's copy of the state, the command already accepted). True when
 * the command is not to run now: the device then answers with an empty response.
 */
export function deferIfFutureDated(accepted: DeviceSecurityState, apdu: GeneralSigningApdu, executeAt: Date | undefined, now: Date): boolean {
  if (executeAt && executeAt.getTime() === CANCELLATION_DATE_TIME.getTime()) {
    // A command dated 9999-12-31T23:59:59Z supersedes pending commands of the same message code (CS02b: mode).
    accepted.pending = accepted.pending.filter((p) => pendingMessageCode(p) !== apdu.messageCode);
    return true;
  }
  if (executeAt && executeAt.getTime() > now.getTime()) {
    accepted.pending.push({ counter: apdu.counter, originator: apdu.originator, executeAt, command: Buffer.from(apdu.bytes) });
    return true;
  }
  return false;
}

function pendingMessageCode(p: PendingCommand): number {
  return decodeApdu(p.command).messageCode;
}

/** The pending commands due by `now`, oldest first (equal times: lower counter first). */
export function dueCommands(state: DeviceSecurityState, now: Date): PendingCommand[] {
  return state.pending
    .filter((p) => p.executeAt.getTime() <= now.getTime())
    .sort((a, b) => a.executeAt.getTime() - b.executeAt.getTime() || (a.counter < b.counter ? -1 : a.counter > b.counter ? 1 : 0));
}

/** The pending commands still waiting after `now`. */
export function notYetDue(pending: PendingCommand[], now: Date): PendingCommand[] {
  return pending.filter((p) => p.executeAt.getTime() > now.getTime());
}
