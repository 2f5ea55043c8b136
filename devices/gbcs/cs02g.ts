/**
 * CS02g "Update Security Credentials (Load Controller)" (GBCS 4), as the `6.15.1_CS02gLoadControllerBySupplier`
 * and `NA_CS02gLoadControllerByLoadController` vectors show it: the payloads are CS02b's (cs02b.ts), with
 * credentials replacement mode 11 (loadControllerBySupplier, message code 0x0126) or 10
 * (loadControllerByLoadController, 0x0125) — codes that do not follow CS02b's 0x0100 + mode — and the
 * future-dated execution alert (8F66/8F67) under message code 0x0124 instead of 00CB.
 */
import {
  CredentialsReplacementMode, type Cs02bAlert, type Cs02bCommand, type Cs02bResponse, cs02bMessageCode,
  decodeCs02bAlert, decodeCs02bCommand, decodeCs02bResponse,
} from './cs02b.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02G_BY_LOAD_CONTROLLER_MESSAGE_CODE = 0x0125;
export const CS02G_BY_SUPPLIER_MESSAGE_CODE = 0x0126;
export const CS02G_ALERT_MESSAGE_CODE = 0x0124;
export const CS02G_MESSAGE_CODES: readonly number[] = [CS02G_BY_LOAD_CONTROLLER_MESSAGE_CODE, CS02G_BY_SUPPLIER_MESSAGE_CODE];

/** The message code a CS02b/CS02g command of this credentials replacement mode travels under. */
export function credentialsMessageCode(mode: number): number {
  if (mode === CredentialsReplacementMode.loadControllerByLoadController) return CS02G_BY_LOAD_CONTROLLER_MESSAGE_CODE;
  if (mode === CredentialsReplacementMode.loadControllerBySupplier) return CS02G_BY_SUPPLIER_MESSAGE_CODE;
  return cs02bMessageCode(mode);
}

/** The message code of the alert a future-dated command of this mode raises when it runs. */
export function credentialsAlertMessageCode(mode: number): number {
  return mode === CredentialsReplacementMode.loadControllerByLoadController || mode === CredentialsReplacementMode.loadControllerBySupplier
    ? CS02G_ALERT_MESSAGE_CODE
    : 0x00cb;
}

export type Cs02gBody =
  | { kind: 'cs02g-command'; command: Cs02bCommand }
  | { kind: 'cs02g-response'; response: Cs02bResponse }
  | { kind: 'cs02g-alert'; alert: Cs02bAlert };

export const CS02G_CODEC: UseCaseCodec<Cs02gBody> = {
  name: 'CS02g',
  messageCodes: CS02G_MESSAGE_CODES,
  alertMessageCodes: [CS02G_ALERT_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02g-command', command: decodeCs02bCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02g-response', response: decodeCs02bResponse(payload, ann, base) }),
  decodeAlert: (payload, ann, base) => ({ kind: 'cs02g-alert', alert: decodeCs02bAlert(payload, ann, base) }),
};
