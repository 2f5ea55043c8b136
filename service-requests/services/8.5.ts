/**
 * 8.5 Service Opt Out: the supplier of a (non-domestic) smart meter takes it out of DCC services. The
 * DCC replaces its own Access Control Broker key-agreement certificate in the meter's ACB KA cell with
 * the one the request carries (GBCS CS02b accessControlBrokerByACB, message code 0x0104, as RTDS's
 * CS02bACBByACB vector: originated by the ACB with its own counter, no [2], the ACB's new floor in [4],
 * authenticated by the ACB MAC alone). From then on the DCC holds no key the meter trusts: once the
 * meter has changed its ACB KA cell the inventory marks it Withdrawn, and device services to it are
 * refused E5 until 8.6 Service Opt In.
 *
 * Choices where DUIS leaves dcc-sim to decide (docs/response-codes.md):
 * - Who: the DUIS matrix lists no eligible role. dcc-sim accepts the meter's registered supplier (IS for
 *   an ESME, GS for a GSME): RTDS's template comes from the supplier, and the opt-out is the supplier's
 *   election for its customer's meter; no other party has standing to end the DCC's service to it.
 * - When: ExecutionDateTime is mandatory and the DCC is to hold the request until then (matrix: DSP).
 *   dcc-sim does not hold requests: a date in the past or now is carried out at once, a later one is
 *   refused (E080503) rather than silently brought forward.
 * - Which devices: the meters (ESME, GSME). A comms hub's or GPF's ACB cells serve every meter behind it.
 */
import { dashedEui, DCC_EUI, RemotePartyRole } from '../../pki/index.ts';
import { CELL_IDS, CredentialsReplacementMode, cs02bMessageCode, encodeApdu, encodeCs02bCommand, wrapWithAcbMac } from '../../devices/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { ServiceModule } from '../service.ts';
import { checkReplacements, type SecurityCredentialsBody } from './security-credentials.ts';

const { Sequence, checkAttributes, readDateTime, readFloor, readBoolean, el, textEl, writeBase64, writeFloor, writeDateTime } = bodyKit;

interface Body {
  kind: 'ServiceOptOut';
  executionDateTime: Date;
  acbFloorSeqNumber: bigint;
  /** only a device with an ACB DS cell (a comms hub) has a use for it */
  digitalSigning?: Buffer;
  keyAgreement: Buffer;
  certificationPath: Buffer[];
  applyTimeBasedCpvChecks: boolean;
}

/** dcc-sim's assignment of the E0805xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0805 = {
  certificateInvalid: 'E080501', // not a certificate or not the SMKI organisation profile; not the ACB's role, or the wrong key usage
  certificationPath: 'E080502', // does not chain to the SMKI root, revoked, or out of date while ApplyTimeBasedCPVChecks is true
  executionDateTime: 'E080503', // ExecutionDateTime is later than now: dcc-sim does not hold a request for later
} as const;

const MODE = CredentialsReplacementMode.accessControlBrokerByACB;
const METERS = ['ESME', 'GSME'];

export const serviceOptOut: ServiceModule<Body> = {
  ...serviceFacts('8.5'),
  displayName: 'Service Opt Out',
  assumedUserRoles: ['IS', 'GS'],
  body: {
    element: 'ServiceOptOut',
    read(item, path, ctx): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const executionDateTime = readDateTime(s.required('ExecutionDateTime'), `${path}/sr:ExecutionDateTime`);
      const acbFloorSeqNumber = readFloor(s.required('ACBFloorSeqNumber'), `${path}/sr:ACBFloorSeqNumber`);
      const rcPath = `${path}/sr:ReplacementCertificates`;
      const rc = s.required('ReplacementCertificates');
      checkAttributes(rc, rcPath);
      const c = new Sequence(rc, rcPath);
      const ds = c.optional('DigitalSigningCertificate');
      const digitalSigning = ds ? ctx.certificate(ds, `${rcPath}/sr:DigitalSigningCertificate`) : undefined;
      const keyAgreement = ctx.certificate(c.required('KeyAgreementCertificate'), `${rcPath}/sr:KeyAgreementCertificate`);
      c.end();
      const cpcPath = `${path}/sr:CertificationPathCertificates`;
      const cpc = s.required('CertificationPathCertificates');
      checkAttributes(cpc, cpcPath);
      const cs = new Sequence(cpc, cpcPath);
      const certificationPath = cs.repeated('Certificate', 1, 3).map((e, i) => ctx.certificate(e, `${cpcPath}/sr:Certificate[${i + 1}]`));
      cs.end();
      const applyTimeBasedCpvChecks = readBoolean(s.required('ApplyTimeBasedCPVChecks'), `${path}/sr:ApplyTimeBasedCPVChecks`);
      s.end();
      return {
        kind: 'ServiceOptOut', executionDateTime, acbFloorSeqNumber, ...(digitalSigning ? { digitalSigning } : {}), keyAgreement, certificationPath, applyTimeBasedCpvChecks,
      };
    },
    write(b) {
      let certs = '';
      if (b.digitalSigning !== undefined) certs += textEl('DigitalSigningCertificate', writeBase64(b.digitalSigning, 'body.digitalSigning'));
      certs += textEl('KeyAgreementCertificate', writeBase64(b.keyAgreement, 'body.keyAgreement'));
      if (!Array.isArray(b.certificationPath) || b.certificationPath.length < 1 || b.certificationPath.length > 3) {
        throw new RangeError('body.certificationPath: 1..3 certificates are required');
      }
      return textEl('ExecutionDateTime', writeDateTime(b.executionDateTime, 'body.executionDateTime'))
        + textEl('ACBFloorSeqNumber', writeFloor(b.acbFloorSeqNumber, 'body.acbFloorSeqNumber'))
        + el('ReplacementCertificates', certs)
        + el('CertificationPathCertificates', b.certificationPath.map((c, i) => textEl('Certificate', writeBase64(c, `body.certificationPath[${i}]`))).join(''))
        + textEl('ApplyTimeBasedCPVChecks', String(b.applyTimeBasedCpvChecks));
    },
  },
  example: {
    name: 'opt-out',
    build(ctx) {
      const supplier = ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`);
      // the ACB's current key-agreement certificate: RTDS's choice of cell, with a certificate the path checks accept
      const keyAgreement = ctx.currentCertificates(DCC_EUI, RemotePartyRole.AccessControlBroker).ka ?? ctx.fail('no-certificate', 'the world holds no ACB key-agreement certificate');
      return {
        originator: supplier,
        target: ctx.eui,
        commandVariant: 1,
        // RTDS's date: any date not later than the world's today is carried out at once
        body: { kind: 'ServiceOptOut', executionDateTime: new Date('2015-01-15T00:00:00Z'), acbFloorSeqNumber: 0n, keyAgreement, certificationPath: ctx.certificationPath, applyTimeBasedCpvChecks: true },
      };
    },
  },
  commandVariants: [1, 2, 3],
  endpoints: { 1: 'serviceS' },
  messageCodes: [cs02bMessageCode(MODE)],
  device: {
    statuses: ['Commissioned'],
    suits: (_body, type) => (METERS.includes(type) ? true : `only a smart meter (ESME, GSME) is opted out of DCC services; a ${type}'s ACB cells serve the meters behind it`),
    authorise: (_body, r) => r.needSupplier(),
  },
  steps: [
    {
      name: 'execution-date-time',
      run(ctx) {
        const at = (ctx.request.body as Body).executionDateTime;
        const now = ctx.ports.now();
        if (at.getTime() > now.getTime()) {
          ctx.reject(Codes0805.executionDateTime, `ExecutionDateTime ${at.toISOString()} is later than now (${now.toISOString()}): dcc-sim carries an opt-out out on receipt and does not hold it for later; send it on the day`);
        }
        return `due (${at.toISOString()})`;
      },
    },
    {
      name: 'certificates',
      run(ctx) {
        const b = ctx.request.body as Body;
        if (b.digitalSigning) {
          ctx.reject(Codes0805.certificateInvalid, `a ${ctx.device!.type} has no ACB DS cell: only a comms hub takes a DigitalSigningCertificate for the ACB`);
        }
        // The checks 6.15.1's certificates get, for the ACB's key-agreement slot.
        const asCredentials: SecurityCredentialsBody = {
          kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'ACB', keyAgreement: b.keyAgreement, certificationPath: b.certificationPath, applyTimeBasedCpvChecks: b.applyTimeBasedCpvChecks,
        };
        const codes = { certificateInvalid: Codes0805.certificateInvalid, roleOrUsage: Codes0805.certificateInvalid, certificationPath: Codes0805.certificationPath };
        const { replacements } = checkReplacements(asCredentials, ctx.device!, ctx.ports, codes, (code, reason) => ctx.reject(code, reason));
        ctx.replacements = replacements;
        const f = replacements[0]!.facts;
        if (f.role !== RemotePartyRole.AccessControlBroker) ctx.reject(Codes0805.certificateInvalid, `KeyAgreementCertificate ${f.serialHex} is not an ACB certificate`);
        return `ACB KA ${f.serialHex} of ${dashedEui(f.subjectEui ?? '')}`;
      },
    },
  ],
  describe: (b) => [
    { label: 'ExecutionDateTime', value: b.executionDateTime.toISOString() },
    { label: 'ACBFloorSeqNumber', value: b.acbFloorSeqNumber.toString() },
    { label: 'DigitalSigningCertificate', certificate: b.digitalSigning },
    { label: 'KeyAgreementCertificate', certificate: b.keyAgreement },
    ...b.certificationPath.map((c, i) => ({ label: `CertificationPath[${i}]`, certificate: c })),
    { label: 'ApplyTimeBasedCPVChecks', value: String(b.applyTimeBasedCpvChecks) },
  ],
  needs: () => ({ acbCounter: true, deviceKeyAgreement: true }),
  handle(v, state, dcc) {
    const body = v.request.body;
    const counter = state.acbCounter!;
    const target = v.request.requestId.target;
    const apdu = encodeApdu({
      cra: 'command',
      counter,
      originator: dcc.acbEui,
      target,
      messageCode: cs02bMessageCode(MODE),
      payload: encodeCs02bCommand({
        mode: MODE,
        applyTimeBasedCpvChecks: body.applyTimeBasedCpvChecks,
        // A meter has no ACB DS cell: the ACB MAC alone authenticates, and [2] is absent (RTDS).
        authorisingSeqNumber: counter,
        newFloorSeqNumber: body.acbFloorSeqNumber,
        replacements: [{ certificate: v.replacements![0]!.facts.der, target: CELL_IDS.acbKA }],
        certificationPath: body.certificationPath,
      }),
    });
    return {
      step: { name: 'command', detail: `DCC (ACB) CS02b accessControlBrokerByACB, counter ${counter}, MAC'd; ${dashedEui(target)} Withdrawn once its ACB KA cell changes` },
      answer: { responseCode: Codes.acknowledged },
      command: wrapWithAcbMac(apdu, dcc.acbKaKey, state.deviceKeyAgreement!),
      advanceCounter: true,
      // Out of DCC service only once the meter no longer holds the DCC's key: not when it discards the command or refuses the certificate.
      afterDevice: (changed) => (changed.includes('acbKA') ? [{ kind: 'update', eui: target, set: { status: 'Withdrawn' } }] : []),
    };
  },
};
