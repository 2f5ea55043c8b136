/**
 * The second leg of a critical service: the SignedPreCommand (CV 5) that returns the pre-command
 * the DCC issued, now signed by the User. One leg module per critical service, made from it here;
 * the critical service supplies what is its own (which devices, which signers, how it completes).
 */
import { dashedEui, RemotePartyRole, type DeviceType } from '../../pki/index.ts';
import { decodeApdu, verifyApduSignature, wrapWithAcbMac, type GeneralSigningApdu } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { DccCapability, HandlerState, ServiceModule, ServiceOutcome, ValidatedRequest } from '../service.ts';

const { Sequence, checkAttributes, readDateTime, readBase64, textEl, writeBase64, writeExecution } = bodyKit;

export interface SignedPreCommandBody {
  kind: 'SignedPreCommand';
  executionDateTime?: Date;
  gbcsPayload: Buffer;
}

/** CommandVariants whose input is a Signed Pre-Command. */
export const SIGNED_PRE_COMMAND_VARIANTS: readonly number[] = [5, 6, 7];

export interface PreCommandLeg {
  /** the response code for a missing, used, altered or badly signed pre-command */
  refusalCode: string;
  /** true, or why the device type cannot take the command */
  suits(type: DeviceType): true | string;
  /** the remote party roles whose digital-signing certificates may have signed it */
  signerRoles: readonly number[];
  /** checks the signed pre-command against the issued one and returns the command as it travels (MAC'd) */
  complete(v: ValidatedRequest<SignedPreCommandBody>, state: HandlerState, dcc: DccCapability): Buffer;
  /** what the device's successful response changes in the inventory (8.1.1: Commissioned) */
  onDeviceResponse?(v: ValidatedRequest<SignedPreCommandBody>, now: Date): ServiceOutcome['onDeviceResponse'];
}

export function signedPreCommandOf(critical: ServiceModule<any>, leg: PreCommandLeg): ServiceModule<SignedPreCommandBody> {
  return {
    ...critical,
    displayName: 'Signed Pre-Command',
    example: undefined,
    body: {
      element: 'SignedPreCommand',
      read(item, path) {
        checkAttributes(item, path);
        const s = new Sequence(item, path);
        const exec = s.optional('ExecutionDateTime');
        const executionDateTime = exec ? readDateTime(exec, `${path}/sr:ExecutionDateTime`) : undefined;
        const gbcsPayload = readBase64(s.required('GBCSPayload'), `${path}/sr:GBCSPayload`);
        s.end();
        return executionDateTime ? { kind: 'SignedPreCommand', executionDateTime, gbcsPayload } : { kind: 'SignedPreCommand', gbcsPayload };
      },
      write: (b) => writeExecution(b.executionDateTime) + textEl('GBCSPayload', writeBase64(b.gbcsPayload, 'body.gbcsPayload')),
    },
    commandVariants: SIGNED_PRE_COMMAND_VARIANTS,
    endpoints: { 5: 'serviceS' },
    completesPreCommand: { refusalCode: leg.refusalCode },
    device: {
      statuses: critical.device!.statuses,
      suits: (_body, type) => leg.suits(type),
      // Checked when its pre-command was issued; the RequestID ties the two legs together.
      authorise() {},
    },
    steps: [],
    describe: (b) => [{ label: 'GBCSPayload', gbcs: b.gbcsPayload, title: 'signed pre-command (request, CV 5)' }],
    needs: () => ({ preCommand: true, organisationCertificates: { roles: leg.signerRoles, usage: 'DS' }, deviceKeyAgreement: true }),
    handle(v, state, dcc) {
      const command = leg.complete(v, state, dcc);
      const after = leg.onDeviceResponse?.(v, dcc.now);
      return {
        ...(after ? { onDeviceResponse: after } : {}),
        step: { name: 'pre-command', detail: 'signed pre-command matches and verifies; ACB MAC added' },
        answer: { responseCode: Codes.acknowledged },
        command,
        // The RequestID is the pre-command's: its counter was taken when the pre-command was issued.
        advanceCounter: false,
        preCommand: { consume: true },
      };
    },
  };
}

/**
 * The usual completion: the signed pre-command must be exactly the one issued for this RequestID,
 * signed by a current digital-signing certificate of the originator in the role `roleOf` reads from
 * the issued pre-command; the command then travels with the ACB MAC.
 */
export function completeSignedByOriginator(
  v: ValidatedRequest<SignedPreCommandBody>,
  state: HandlerState,
  dcc: DccCapability,
  refusalCode: string,
  roleOf: (issued: GeneralSigningApdu) => number,
): Buffer {
  const fail = (reason: string): never => refuse(v, refusalCode, 'pre-command', reason);
  let apdu;
  try {
    apdu = decodeApdu(v.request.body.gbcsPayload);
  } catch (err) {
    return fail(`GBCSPayload is not a general-signing APDU: ${(err as Error).message}`);
  }
  if (apdu.form !== 'signed' || !apdu.signature) fail('GBCSPayload carries no signature; sign the pre-command and append 0x40 and r||s');
  const issued = decodeApdu(state.preCommand!.payload);
  if (!apdu.signedData.equals(issued.signedData)) {
    fail(`the signed GBCS differs from the pre-command issued for ${v.request.requestId.text}; only the signature may be added`);
  }
  const role = roleOf(issued);
  const roleWord = role === RemotePartyRole.Supplier ? 'supplier' : role === RemotePartyRole.LoadController ? 'load controller' : 'network operator';
  const keys = (state.organisationCertificates?.get(role) ?? []).filter((c) => !c.revoked);
  const originator = dashedEui(v.request.requestId.originator);
  if (keys.length === 0) fail(`${originator} has no unrevoked ${roleWord} digital-signing certificate in the SMKI repository`);
  if (!keys.some((k) => verifyApduSignature(apdu, k.facts.publicKey))) {
    fail(`the pre-command signature does not verify with any digital-signing certificate of ${originator} (${roleWord})`);
  }
  return wrapWithAcbMac(apdu.bytes, dcc.acbKaKey, state.deviceKeyAgreement!);
}
