/**
 * The second leg of a critical service: the SignedPreCommand (CV 5) that returns the pre-command
 * the DCC issued, now signed by the User. One leg module per critical service, made from it here;
 * the critical service supplies what is its own (which devices, which signers, how it completes).
 */
import type { DeviceType } from '../../pki/index.ts';
import { bodyKit } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { DccCapability, HandlerState, ServiceModule, ValidatedRequest } from '../service.ts';

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
      return {
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
