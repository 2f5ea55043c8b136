/**
 * What a device does on its own as the clock moves, with no command to carry it: the catch-ups a command would
 * run first (app-use-case.ts `onEveryCommand`: an ESME's prepayment credit draining), run at `now`, and the
 * alerts they raise (credit-alerts.ts), counted by the device and MAC'd to the recipient (signed if critical).
 * The DCC calls it when its clock moves, so a meter's low-credit or disconnection alert reaches the supplier
 * then, not only with the next command's answer.
 */
import type { KeyObject } from 'node:crypto';
import { encodeApdu, signApdu } from '../gbcs/apdu.ts';
import { wrapWithMac } from '../gbcs/mac.ts';
import { catchUpWithoutCommand, type RaisedAlert } from './app-use-case.ts';
import type { DeviceAppState } from './app-state.ts';
import { CELL_IDS, hasCell, type CellName } from './cells.ts';
import { factsOf } from './certificate-cache.ts';
import { checkInputs, cloneState, type DeviceCredentials, type DeviceSecurityState } from './state.ts';
import type { DeviceOutcome } from './use-case.ts';

/** The KA cell a role's alerts are MAC'd to. */
function kaCellOf(role: number): CellName | undefined {
  return (Object.keys(CELL_IDS) as CellName[]).find((n) => CELL_IDS[n].role === role && CELL_IDS[n].keyUsage === 'KA' && CELL_IDS[n].cellUsage === 0);
}

/** The device caught up to `now`, kept only if it raised alerts (else the input state object itself). */
export function catchUpBetweenCommands(state: DeviceSecurityState, creds: DeviceCredentials, now: Date): DeviceOutcome {
  checkInputs(state, creds, now);
  const app: DeviceAppState = structuredClone(state.app ?? {});
  const raised: RaisedAlert[] = [];
  catchUpWithoutCommand(state, app, now, (a) => raised.push(a), creds);
  // Nothing to tell: the state stays as it was (the next command or tick catches up from the same instant,
  // to the same figures), so a scheduler tick writes nothing.
  if (raised.length === 0) return { state, alerts: [], changedCells: [] };
  const next = cloneState(state);
  next.app = app;
  const alerts = raised.map((a) => {
    next.alertCounter += 1n;
    return frameAlert(next, creds, a);
  });
  return { state: next, alerts, changedCells: [] };
}

/** An alert the device raised on its own, as it sends it under the counter `state.alertCounter`: signed if critical, else MAC'd to its recipient's KA cell. */
export function frameAlert(state: DeviceSecurityState, creds: DeviceCredentials, a: Pick<RaisedAlert, 'messageCode' | 'payload' | 'to' | 'toRole'> & { critical?: boolean }): Buffer {
  if (!a.to) throw new Error('an alert raised between commands names its recipient');
  const body = encodeApdu({ cra: 'alert', counter: state.alertCounter, originator: state.eui, target: a.to, messageCode: a.messageCode, payload: a.payload });
  if (a.critical) return signApdu(body, creds.dsKey);
  const cell = a.toRole === undefined ? undefined : kaCellOf(a.toRole);
  const der = cell && hasCell(state.type, cell) ? state.cells[cell] : undefined;
  const ka: KeyObject | undefined = der ? factsOf(der)?.publicKey : undefined;
  if (!ka) throw new Error(`no KA cell to MAC the alert 0x${a.messageCode.toString(16)} to ${a.to}`);
  return wrapWithMac(body, creds.kaKey, ka);
}
