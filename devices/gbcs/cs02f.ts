/**
 * CS02f "Provide Security Credential Details" (GBCS 4, message code 0x011B), as the `6.24.1_CS02fMAC`
 * and `NA_CS02fSignature` vectors show it. Its payloads have CS02a's layout (cs02a.ts): a command naming
 * the authorising cell and the roles asked for, a response of one entry per role. What differs is the
 * message code, that the load controller (role 8) may be asked for, and that it may be authenticated
 * either by the ACB MAC alone (authorising cell ACB KA) or by a remote party's signature (authorising
 * cell that party's DS cell; no MAC wrapper, the response then signed by the device).
 */
import type { Annotate } from './ber.ts';
import { type Cs02aCommand, type Cs02aResponse, decodeCs02aCommand, decodeCs02aResponse, encodeCs02aCommand, encodeCs02aResponse } from './cs02a.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02F_MESSAGE_CODE = 0x011b;

export type Cs02fCommand = Cs02aCommand;
export type Cs02fResponse = Cs02aResponse;

export const encodeCs02fCommand = encodeCs02aCommand;
export const encodeCs02fResponse = encodeCs02aResponse;

export function decodeCs02fCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02fCommand {
  return decodeCs02aCommand(payload, ann, base);
}

export function decodeCs02fResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02fResponse {
  return decodeCs02aResponse(payload, ann, base);
}

export type Cs02fBody = { kind: 'cs02f-command'; command: Cs02fCommand } | { kind: 'cs02f-response'; response: Cs02fResponse };

export const CS02F_CODEC: UseCaseCodec<Cs02fBody> = {
  name: 'CS02f',
  messageCodes: [CS02F_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02f-command', command: decodeCs02fCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02f-response', response: decodeCs02fResponse(payload, ann, base) }),
};
