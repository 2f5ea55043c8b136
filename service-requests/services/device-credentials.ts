/**
 * What 6.15.2 and 6.24.2 share: both are critical services about the device's own certificates (CS02d,
 * CS02e). The supplier obtains an unsigned pre-command from its RequestID, signs it with its GBCS
 * digital-signing key and returns it; the DCC checks it and adds the ACB MAC.
 */
import { RemotePartyRole } from '../../pki/index.ts';
import { encodeApdu } from '../../devices/index.ts';
import { Codes } from '../codes.ts';
import { GBCS_VERSION, type DccCapability, type HandlerState, type ServiceOutcome, type ValidatedRequest } from '../service.ts';
import { completeSignedByOriginator, type SignedPreCommandBody } from './signed-pre-command.ts';

/** The unsigned pre-command from the User's RequestID (originator, target, counter), answered I0. */
export function issueDevicePreCommand(v: ValidatedRequest<any>, messageCode: number, payload: Buffer): ServiceOutcome {
  const rid = v.request.requestId;
  const preCommand = encodeApdu({ cra: 'command', counter: rid.counter, originator: rid.originator, target: rid.target, messageCode, payload });
  return {
    step: { name: 'pre-command', detail: `issued ${preCommand.length}-byte pre-command for signing` },
    answer: { responseCode: Codes.success, content: { preCommand: { gbcsVersion: GBCS_VERSION, gbcsPayload: preCommand } } },
    advanceCounter: true,
    preCommand: { issue: preCommand },
  };
}

/**
 * The signed pre-command must be exactly the one issued for this RequestID, signed by a current
 * supplier digital-signing certificate of the originator; the command then travels with the ACB MAC.
 */
export function completeSupplierSigned(v: ValidatedRequest<SignedPreCommandBody>, state: HandlerState, dcc: DccCapability, refusalCode: string): Buffer {
  return completeSignedByOriginator(v, state, dcc, refusalCode, () => RemotePartyRole.Supplier);
}

/** The devices that hold their own certificates and a supplier DS cell to authorise CS02d/CS02e. */
export function suitsOwnCredentials(type: string): true | string {
  return type === 'CHF' ? 'a comms hub has no supplier cell to authorise a command about its own certificates' : true;
}
