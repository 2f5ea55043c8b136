/**
 * 6.23 Update Security Credentials (CoS): change of supplier. The gaining supplier, now registered
 * for the MPxN, sends its certificates; the DCC's Transitional CoS party — whose certificate every
 * meter holds in its TransCoS cell — signs a CS02b SupplierByTransCoS command (and the ACB MACs it),
 * so the losing supplier's certificates leave the supplier cells without the losing supplier's help.
 * Future-datable: the device holds it and answers 8F66/8F67 when it runs.
 */
import { dashedEui, RemotePartyRole } from '../../pki/index.ts';
import {
  CANCELLATION_DATE_TIME, CELL_IDS, CredentialsReplacementMode, cs02bMessageCode, encodeApdu, encodeCs02bCommand, signApdu, wrapWithAcbMac,
  type Cs02bReplacement,
} from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';
import { credentialsSteps, describeCredentials, suitsRemotePartyRole, type SecurityCredentialsBody } from './security-credentials.ts';

const {
  Sequence, checkAttributes, readDateTime, readFloor, readBoolean, readString, el, textEl, writeBase64, writeFloor, writeExecution, writeString,
} = bodyKit;

type Body = Extract<SecurityCredentialsBody, { kind: 'UpdateSecurityCredentialsCoS' }>;

/** dcc-sim's assignment of the E0623xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0623 = {
  certificateInvalid: 'E062301', // not a certificate / not the SMKI organisation profile
  roleOrUsage: 'E062302', // not a supplier certificate, or key usage does not fit the slot
  certificationPath: 'E062303', // does not chain to the SMKI root
  revoked: 'E062304',
  outOfDate: 'E062305', // outside its validity while ApplyTimeBasedCPVChecks is true
  mpxn: 'E062306', // ImportMPxN is not the device's, or the DCC cannot act as the Transitional CoS party for it
} as const;

const MODE = CredentialsReplacementMode.supplierByTransCoS;

export const updateSecurityCredentialsCoS: ServiceModule<Body> = {
  ...serviceFacts('6.23'),
  displayName: 'Update Security Credentials (CoS)',
  body: {
    element: 'UpdateSecurityCredentialsCoS',
    read(item, path, ctx): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      const executionDateTime = exec ? readDateTime(exec, `${path}/sr:ExecutionDateTime`) : undefined;
      const floorSeqNumber = readFloor(s.required('SupplierFloorSeqNumber'), `${path}/sr:SupplierFloorSeqNumber`);
      const topUp = s.optional('SupplierPrepaymentTopUpFloorSeqNumber');
      const rcPath = `${path}/sr:SupplierReplacementCertificates`;
      const rc = s.required('SupplierReplacementCertificates');
      checkAttributes(rc, rcPath);
      const c = new Sequence(rc, rcPath);
      const digitalSigning = ctx.certificate(c.required('DigitalSigningCertificate'), `${rcPath}/sr:DigitalSigningCertificate`);
      const ka = c.optional('KeyAgreementCertificate');
      const kaTopUp = c.optional('KeyAgreementTopUpCertificate');
      const keyAgreement = ka ? ctx.certificate(ka, `${rcPath}/sr:KeyAgreementCertificate`) : undefined;
      const keyAgreementTopUp = kaTopUp ? ctx.certificate(kaTopUp, `${rcPath}/sr:KeyAgreementTopUpCertificate`) : undefined;
      c.end();
      const cpcPath = `${path}/sr:CertificationPathCertificates`;
      const cpc = s.required('CertificationPathCertificates');
      checkAttributes(cpc, cpcPath);
      const cs = new Sequence(cpc, cpcPath);
      const certificationPath = cs.repeated('Certificate', 1, 3).map((e, i) => ctx.certificate(e, `${cpcPath}/sr:Certificate[${i + 1}]`));
      cs.end();
      const applyTimeBasedCpvChecks = readBoolean(s.required('ApplyTimeBasedCPVChecks'), `${path}/sr:ApplyTimeBasedCPVChecks`);
      const importMpxn = readString(s.required('ImportMPxN'), `${path}/sr:ImportMPxN`, 1, 13);
      s.end();
      return {
        kind: 'UpdateSecurityCredentialsCoS',
        remotePartyRole: 'Supplier',
        ...(executionDateTime ? { executionDateTime } : {}),
        floorSeqNumber,
        ...(topUp ? { topUpFloorSeqNumber: readFloor(topUp, `${path}/sr:SupplierPrepaymentTopUpFloorSeqNumber`) } : {}),
        digitalSigning,
        ...(keyAgreement ? { keyAgreement } : {}),
        ...(keyAgreementTopUp ? { keyAgreementTopUp } : {}),
        certificationPath,
        applyTimeBasedCpvChecks,
        importMpxn,
      };
    },
    write(b) {
      let out = writeExecution(b.executionDateTime) + textEl('SupplierFloorSeqNumber', writeFloor(b.floorSeqNumber ?? 0n, 'body.floorSeqNumber'));
      if (b.topUpFloorSeqNumber !== undefined) out += textEl('SupplierPrepaymentTopUpFloorSeqNumber', writeFloor(b.topUpFloorSeqNumber, 'body.topUpFloorSeqNumber'));
      let certs = textEl('DigitalSigningCertificate', writeBase64(b.digitalSigning, 'body.digitalSigning'));
      if (b.keyAgreement !== undefined) certs += textEl('KeyAgreementCertificate', writeBase64(b.keyAgreement, 'body.keyAgreement'));
      if (b.keyAgreementTopUp !== undefined) certs += textEl('KeyAgreementTopUpCertificate', writeBase64(b.keyAgreementTopUp, 'body.keyAgreementTopUp'));
      out += el('SupplierReplacementCertificates', certs);
      if (!Array.isArray(b.certificationPath) || b.certificationPath.length < 1 || b.certificationPath.length > 3) {
        throw new RangeError('body.certificationPath: 1..3 certificates are required');
      }
      out += el('CertificationPathCertificates', b.certificationPath.map((c, i) => textEl('Certificate', writeBase64(c, `body.certificationPath[${i}]`))).join(''));
      out += textEl('ApplyTimeBasedCPVChecks', String(b.applyTimeBasedCpvChecks));
      return out + textEl('ImportMPxN', writeString(b.importMpxn, 'body.importMpxn', 1, 13));
    },
  },
  commandVariants: [1, 2, 3],
  endpoints: { 1: 'serviceS' },
  messageCodes: [cs02bMessageCode(MODE)],
  device: {
    statuses: ['Commissioned'],
    suits: (_body, type) => suitsRemotePartyRole('Supplier', type),
    authorise(body, r) {
      // The gaining supplier is the one registration data now names, for the MPxN the request names.
      if (body.importMpxn !== r.device.mpxn) {
        r.fail(Codes0623.mpxn, `ImportMPxN ${body.importMpxn} is not ${r.device.type} ${dashedEui(r.device.eui)}'s (${r.device.mpxn ?? 'it has none'})`);
      }
      r.needSupplier();
    },
  },
  steps: credentialsSteps(Codes0623),
  describe: (b) => [...describeCredentials(b), { label: 'ImportMPxN', value: b.importMpxn }],
  example: {
    name: 'change-of-supplier',
    build(ctx) {
      const sp = ctx.supplyPoint!;
      const supplier = sp.supplierEui ?? ctx.fail('no-registration', 'no supplier is registered for this device');
      const certs = ctx.currentCertificates(supplier, RemotePartyRole.Supplier);
      const ds = certs.ds ?? ctx.fail('no-certificate', `${dashedEui(supplier)} has no supplier digital-signing certificate`);
      return {
        originator: supplier,
        target: ctx.eui,
        commandVariant: 1,
        body: {
          kind: 'UpdateSecurityCredentialsCoS', remotePartyRole: 'Supplier', floorSeqNumber: 0n, topUpFloorSeqNumber: 0n,
          digitalSigning: ds, keyAgreement: certs.ka, keyAgreementTopUp: certs.kaTopUp,
          certificationPath: ctx.certificationPath, applyTimeBasedCpvChecks: true, importMpxn: sp.mpxn,
        },
      };
    },
  },
  needs: () => ({ dccCounter: 'TransCoS', signerForCell: 'transitionalCoSDS', deviceKeyAgreement: true }),
  handle(v, state, dcc) {
    const body = v.request.body;
    const signer = state.cellSigner ?? refuse(v, Codes0623.mpxn, 'command',
      `the DCC holds no key for the Transitional CoS certificate in ${dashedEui(v.request.requestId.target)}'s cell, so it cannot act for the change of supplier`);
    const counter = state.dccCounter!;
    const target = (slot: string) => (slot === 'DS' ? CELL_IDS.supplierDS : slot === 'KA' ? CELL_IDS.supplierKA : CELL_IDS.supplierTopUpKA);
    const replacements: Cs02bReplacement[] = (v.replacements ?? []).map((r) => ({ certificate: r.facts.der, target: target(r.slot) }));
    const exec = body.executionDateTime;
    const unsigned = encodeApdu({
      cra: 'command',
      counter,
      originator: signer.eui,
      target: v.request.requestId.target,
      messageCode: cs02bMessageCode(MODE),
      payload: encodeCs02bCommand({
        mode: MODE,
        applyTimeBasedCpvChecks: body.applyTimeBasedCpvChecks,
        authorisingCell: { role: RemotePartyRole.TransitionalCoS, keyUsage: 'DS', cellUsage: 0 },
        authorisingSeqNumber: counter,
        // The floors are the gaining supplier's, not the authorising TransCoS party's: [6], as RTDS has it.
        otherSeqNumberChanges: [{
          role: RemotePartyRole.Supplier,
          floorSeqNumber: body.floorSeqNumber ?? 0n,
          ...(body.topUpFloorSeqNumber !== undefined ? { topUpFloorSeqNumber: body.topUpFloorSeqNumber } : {}),
        }],
        replacements,
        certificationPath: body.certificationPath,
        // DUIS cancels a future-dated request with 3000-12-31; GBCS with 9999-12-31T23:59:59Z.
        executionDateTime: exec && exec.getUTCFullYear() >= 3000 ? CANCELLATION_DATE_TIME : exec,
      }),
    });
    return {
      step: { name: 'command', detail: `DCC (Transitional CoS ${dashedEui(signer.eui)}) command, counter ${counter}, signed and MAC'd by the ACB` },
      answer: { responseCode: Codes.acknowledged },
      command: wrapWithAcbMac(signApdu(unsigned, signer.key), dcc.acbKaKey, state.deviceKeyAgreement!),
      advanceCounter: true,
    };
  },
};
