/**
 * 6.24.2 Retrieve Device Security Credentials (Device): the supplier asks the device for its own DS or KA
 * certificate. Critical: the request (CV 4) obtains a CS02e pre-command, which the supplier signs and
 * returns as a SignedPreCommand (CV 5); the DCC adds the ACB MAC and the device answers with the
 * certificate, signed.
 */
import { CS02E_MESSAGE_CODE, encodeCs02eCommand } from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes0624 } from '../codes.ts';
import type { ServiceModule } from '../service.ts';
import { completeSupplierSigned, issueDevicePreCommand, suitsOwnCredentials } from './device-credentials.ts';
import { signedPreCommandOf } from './signed-pre-command.ts';
import { RemotePartyRole } from '../../pki/index.ts';

const { Sequence, checkAttributes, readStringEnum, textEl } = bodyKit;

const CREDENTIAL_TYPES = ['Digital Signature', 'Key Agreement'] as const;
type CredentialType = (typeof CREDENTIAL_TYPES)[number];

interface Body {
  kind: 'RetrieveDeviceSecurityCredentialsDevice';
  credentialType: CredentialType;
}

export const retrieveDeviceSecurityCredentialsDevice: ServiceModule<Body> = {
  ...serviceFacts('6.24.2'),
  displayName: 'Retrieve Device Security Credentials (Device)',
  body: {
    element: 'RetrieveDeviceSecurityCredentialsDevice',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const credentialType = readStringEnum(s.required('CredentialType'), `${path}/sr:CredentialType`, CREDENTIAL_TYPES, 'CredentialType') as CredentialType;
      s.end();
      return { kind: 'RetrieveDeviceSecurityCredentialsDevice', credentialType };
    },
    write(body) {
      if (!CREDENTIAL_TYPES.includes(body.credentialType)) throw new RangeError(`body.credentialType: '${String(body.credentialType)}' is not one of ${CREDENTIAL_TYPES.join(', ')}`);
      return textEl('CredentialType', body.credentialType);
    },
  },
  // Critical: the Service Request itself may only ask for a pre-command (CV 4).
  commandVariants: [4],
  endpoints: { 4: 'serviceT' },
  messageCodes: [CS02E_MESSAGE_CODE],
  device: {
    statuses: ['Commissioned', 'InstalledNotCommissioned'],
    suits: (_body, type) => suitsOwnCredentials(type),
    // Signed with the supplier's key and authorised by the device's supplier DS cell: the registered supplier's.
    authorise: (_body, r) => r.needSupplier(),
  },
  describe: (b) => [{ label: 'CredentialType', value: b.credentialType }],
  example: {
    name: 'read-device-credentials',
    build: (ctx) => ({
      originator: ctx.supplyPoint!.supplierEui!,
      target: ctx.eui,
      commandVariant: 4,
      body: { kind: 'RetrieveDeviceSecurityCredentialsDevice', credentialType: 'Digital Signature' },
    }),
  },
  handle: (v) =>
    issueDevicePreCommand(v, CS02E_MESSAGE_CODE, encodeCs02eCommand({ keyUsage: v.request.body.credentialType === 'Digital Signature' ? 'DS' : 'KA' })),
};

/** 6.24.2 CV 5: the supplier's signed CS02e pre-command; the DCC adds the ACB MAC. */
export const retrieveDeviceSecurityCredentialsDeviceSigned = signedPreCommandOf(retrieveDeviceSecurityCredentialsDevice, {
  refusalCode: Codes0624.preCommand,
  suits: suitsOwnCredentials,
  signerRoles: [RemotePartyRole.Supplier],
  complete: (v, state, dcc) => completeSupplierSigned(v, state, dcc, Codes0624.preCommand),
});
