/**
 * 6.15.2 Update Security Credentials (Device): the supplier gives the device a new certificate of its own
 * (DS or KA), which must certify the key the device already holds. Critical: the request (CV 4) obtains a
 * CS02d pre-command carrying the certificate, which the supplier signs and returns as a SignedPreCommand
 * (CV 5); the DCC adds the ACB MAC. The device checks the certificate against its own key and EUI and
 * answers status 0 (taken) or 3 (not taken); the DCC records a certificate the device took as the
 * device's in the SMKI repository.
 */
import { describeCertificate, dashedEui, RemotePartyRole, validatePath } from '../../pki/index.ts';
import { CS02D_MESSAGE_CODE, encodeCs02dCommand } from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes0615 } from '../codes.ts';
import type { ServiceModule } from '../service.ts';
import { completeSupplierSigned, issueDevicePreCommand, suitsOwnCredentials } from './device-credentials.ts';
import { signedPreCommandOf } from './signed-pre-command.ts';

const { Sequence, checkAttributes, textEl, writeBase64 } = bodyKit;

interface Body {
  kind: 'UpdateSecurityCredentialsDevice';
  deviceCertificate: Buffer;
}

export const updateSecurityCredentialsDevice: ServiceModule<Body> = {
  ...serviceFacts('6.15.2'),
  displayName: 'Update Security Credentials (Device)',
  body: {
    element: 'UpdateSecurityCredentialsDevice',
    read(item, path, ctx) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceCertificate = ctx.certificate(s.required('DeviceCertificate'), `${path}/sr:DeviceCertificate`);
      s.end();
      return { kind: 'UpdateSecurityCredentialsDevice', deviceCertificate };
    },
    write: (b) => textEl('DeviceCertificate', writeBase64(b.deviceCertificate, 'body.deviceCertificate')),
  },
  // Critical: the Service Request itself may only ask for a pre-command (CV 4).
  commandVariants: [4],
  endpoints: { 4: 'serviceT' },
  messageCodes: [CS02D_MESSAGE_CODE],
  device: {
    statuses: ['Commissioned', 'InstalledNotCommissioned'],
    suits: (_body, type) => suitsOwnCredentials(type),
    // Signed with the supplier's key and authorised by the device's supplier DS cell: the registered supplier's.
    authorise: (_body, r) => r.needSupplier(),
  },
  describe: (b) => [{ label: 'DeviceCertificate', certificate: b.deviceCertificate }],
  // the certificate the SMKI issues for the key pair the device generated on its supplier's 6.17
  example: {
    name: 'place-device-certificate',
    prefers: 'generatedKey',
    build(ctx) {
      const supplier = ctx.supplyPoint?.supplierEui ?? ctx.fail('no-supplier', `${dashedEui(ctx.eui)} has no registered supplier to give it a certificate`);
      const deviceCertificate = ctx.generatedKeyCertificate?.() ??
        ctx.fail('bad-argument', `${dashedEui(ctx.eui)} has generated no key pair to certify: send it Issue Security Credentials (6.17) first`);
      return { originator: supplier, target: ctx.eui, commandVariant: 4, body: { kind: 'UpdateSecurityCredentialsDevice', deviceCertificate } };
    },
  },
  steps: [
    {
      name: 'certificates',
      // What the DCC can tell from the certificate alone; whether it certifies the device's key is the device's check.
      run(ctx) {
        const der = (ctx.request.body as Body).deviceCertificate;
        const f = describeCertificate(der);
        const target = ctx.request.requestId.target;
        if (f.kind !== 'device') ctx.reject(Codes0615.certificateInvalid, `DeviceCertificate is a ${f.kind} certificate, not an SMKI device certificate`);
        if (f.subjectEui !== target) ctx.reject(Codes0615.roleOrUsage, `DeviceCertificate names ${f.subjectEui ? dashedEui(f.subjectEui) : 'no device'}, not the target ${dashedEui(target)}`);
        if (f.keyUsage !== 'DS' && f.keyUsage !== 'KA') ctx.reject(Codes0615.roleOrUsage, `DeviceCertificate's key usage is ${f.keyUsage}; a device certificate is digitalSignature or keyAgreement`);
        if (ctx.ports.isRevoked(f)) ctx.reject(Codes0615.revoked, `DeviceCertificate (serial ${f.serialHex}) is revoked`);
        // It must be the SMKI device CA's: a certificate from any other issuer is refused before the device sees it.
        const dcaPath = ctx.ports.deviceCaPath?.();
        if (dcaPath) {
          const pv = validatePath(der, dcaPath.intermediates, dcaPath.anchors, { at: null });
          if (!pv.ok) ctx.reject(Codes0615.certificationPath, `DeviceCertificate (serial ${f.serialHex}) does not chain to the SMKI device CA: ${pv.reason ?? pv.code}`);
        }
        return `${f.keyUsage} device certificate for ${dashedEui(target)}, serial ${f.serialHex}`;
      },
    },
  ],
  handle: (v) => issueDevicePreCommand(v, CS02D_MESSAGE_CODE, encodeCs02dCommand({ certificate: v.request.body.deviceCertificate })),
};

/** 6.15.2 CV 5: the supplier's signed CS02d pre-command; the DCC adds the ACB MAC. */
export const updateSecurityCredentialsDeviceSigned = signedPreCommandOf(updateSecurityCredentialsDevice, {
  refusalCode: Codes0615.preCommand,
  suits: suitsOwnCredentials,
  signerRoles: [RemotePartyRole.Supplier],
  complete: (v, state, dcc) => completeSupplierSigned(v, state, dcc, Codes0615.preCommand),
});
