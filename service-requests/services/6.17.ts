/**
 * 6.17 Issue Security Credentials: the supplier asks a smart meter to generate a new DS or KA key pair
 * (GBCS CS02c, message code 0x000A). Critical: the request (CV 4) obtains the pre-command, which the
 * supplier signs and returns as a SignedPreCommand (CV 5); the DCC then adds the ACB MAC. The device
 * answers with a PKCS#10 request for its new key, which the supplier submits to the SMKI for a device
 * certificate (MP074, the device-CSR route).
 */
import { dashedEui, RemotePartyRole } from '../../pki/index.ts';
import { CS02C_MESSAGE_CODE, encodeApdu, encodeCs02cCommand, type DeviceKeyUsage } from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { GBCS_VERSION, type ServiceModule } from '../service.ts';
import { completeSignedByOriginator, signedPreCommandOf } from './signed-pre-command.ts';

const { Sequence, checkAttributes, readStringEnum, textEl, writeEnum } = bodyKit;

const CREDENTIAL_TYPES = ['Digital Signature', 'Key Agreement'] as const;
type CredentialType = (typeof CREDENTIAL_TYPES)[number];

interface Body {
  kind: 'IssueSecurityCredentials';
  credentialType: CredentialType;
}

/**
 * The 5.4 XSD defines no E0617xx codes, so a signed pre-command that was never issued, is used, altered or
 * badly signed is answered E100 (the request is not valid), with the reason.
 */
export const Codes0617 = { preCommand: Codes.invalidRequest } as const;

const usageOf = (t: CredentialType): DeviceKeyUsage => (t === 'Digital Signature' ? 'DS' : 'KA');

/** CS02c is for smart meters: the comms hub and the gas proxy make no CSR on a supplier's command. */
function suitsMeter(type: string): true | string {
  return type === 'ESME' || type === 'GSME' ? true : `CS02c (6.17) targets a smart meter (ESME or GSME), not a ${type}`;
}

export const issueSecurityCredentials: ServiceModule<Body> = {
  ...serviceFacts('6.17'),
  displayName: 'Issue Security Credentials',
  body: {
    element: 'IssueSecurityCredentials',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const credentialType = readStringEnum(s.required('CredentialType'), `${path}/sr:CredentialType`, CREDENTIAL_TYPES, 'CredentialType') as CredentialType;
      s.end();
      return { kind: 'IssueSecurityCredentials', credentialType };
    },
    write: (b) => textEl('CredentialType', writeEnum(b.credentialType, 'body.credentialType', CREDENTIAL_TYPES)),
  },
  // Critical: the request itself may only ask for a pre-command (CV 4); CV 5 carries the SignedPreCommand.
  commandVariants: [4],
  endpoints: { 4: 'serviceT' },
  messageCodes: [CS02C_MESSAGE_CODE],
  device: {
    statuses: ['Commissioned'],
    suits: (_body, type) => suitsMeter(type),
    // The registered supplier (IS for an ESME, GS for a GSME) asks its meter for new credentials.
    authorise: (_body, r) => r.needSupplier(),
  },
  describe: (b) => [{ label: 'CredentialType', value: `${b.credentialType} (${usageOf(b.credentialType)} key pair)` }],
  example: {
    name: 'issue-credentials',
    build(ctx) {
      const supplier = ctx.supplyPoint?.supplierEui;
      if (!supplier) return ctx.fail('no-supplier', `${dashedEui(ctx.eui)} has no registered supplier to ask it for new credentials`);
      return { originator: supplier, target: ctx.eui, commandVariant: 4, body: { kind: 'IssueSecurityCredentials', credentialType: 'Digital Signature' } };
    },
  },
  handle(v) {
    // The pre-command the supplier must sign with its GBCS digital-signing key (RTDS: no date-time).
    const preCommand = encodeApdu({
      cra: 'command',
      counter: v.request.requestId.counter,
      originator: v.request.requestId.originator,
      target: v.request.requestId.target,
      messageCode: CS02C_MESSAGE_CODE,
      payload: encodeCs02cCommand({ keyUsage: usageOf(v.request.body.credentialType) }),
    });
    return {
      step: { name: 'pre-command', detail: `issued ${preCommand.length}-byte CS02c pre-command (${v.request.body.credentialType}) for signing` },
      answer: { responseCode: Codes.success, content: { preCommand: { gbcsVersion: GBCS_VERSION, gbcsPayload: preCommand } } },
      advanceCounter: true,
      preCommand: { issue: preCommand },
    };
  },
};

/**
 * 6.17 CV 5: the signed pre-command must be exactly the pre-command issued for this RequestID, signed by
 * the supplier's GBCS digital-signing key (the key the meter's supplier DS cell holds); the DCC adds the ACB MAC.
 */
export const issueSecurityCredentialsSigned = signedPreCommandOf(issueSecurityCredentials, {
  refusalCode: Codes0617.preCommand,
  suits: suitsMeter,
  signerRoles: [RemotePartyRole.Supplier],
  complete: (v, state, dcc) => completeSignedByOriginator(v, state, dcc, Codes0617.preCommand, () => RemotePartyRole.Supplier),
});
