import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DCC, dnoEui, GAS_TRANSPORTERS, SUPPLIERS } from '../../src/world/catalogue.ts';
import { issueOrganisationCertificateFor, revokeCertificate } from '../../src/world/smki.ts';
import { META } from '../../src/world/world.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { dashedEui, keyUsageExtension, OID, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { buildRequest, signDuis } from '../../service-requests/index.ts';
import { cellHolder, signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { forEachStore } from '../helpers/stores.ts';
import {
  asyncResponses,
  checkDuisAnswer,
  deviceState,
  expectAccepted,
  expectAllResponsesSchemaValid,
  expectRejected,
  expectSchemaValid,
  lastCounter,
  requestLog,
  type RejectionExpectation,
} from '../helpers/gateway-checks.ts';
import {
  craftOrgCert,
  foreignOrgCert,
  handoverXml,
  inventoryXml,
  ocaDer,
  orgCerts,
  pickDevice,
  retrieveXml,
  signAs,
  updateXml,
} from '../helpers/gateway-requests.ts';

// The DUIS validation pipeline, one numbered check of the issue at a time, on a real server on
// 127.0.0.1 over a seeded demo world. Every request below is built to pass every check but the one
// under test (schema-valid per the independent XSD oracle unless the schema is what is tested), and
// each rejection is asserted to carry its code, a reason naming the problem, the failed step (and
// the steps passed before it) in /api/requests, and to leave the device tables untouched. The whole
// suite runs over a SQLite world file and over a PostgreSQL world: the gateway must not tell them apart.

forEachStore((store) => {
  let h: Harness;
  const url = () => h.server.url;
  const world = () => h.world;

  const PASSED = {
    parse: [] as string[],
    signature: ['parse'],
    requestId: ['parse', 'signature'],
    service: ['parse', 'signature', 'request-id'],
    userRole: ['parse', 'signature', 'request-id'],
    device: ['parse', 'signature', 'request-id', 'user-role'],
    certificates: ['parse', 'signature', 'request-id', 'user-role', 'registration'],
    networkOperator: ['parse', 'signature', 'request-id', 'user-role', 'registration', 'certificates'],
  };

  /** Rejection of a request that is schema-valid unless the schema (or the bytes) is what is tested. */
  async function rejects(endpoint: 'serviceS' | 'serviceT' | 'serviceD', xml: string | Buffer, exp: RejectionExpectation) {
    const text = xml.toString();
    if (exp.step === 'parse:schema') expect(duisXsdErrors(text), 'the XSD oracle agrees the request is invalid').not.toEqual([]);
    else if (exp.step !== 'parse:xml' && exp.step !== 'parse:size') expectSchemaValid(text);
    return expectRejected(world(), url(), endpoint, xml, exp);
  }

  // Devices of the demo world, chosen by what they hold and who is registered for them.
  let esmeNo: ReturnType<typeof pickDevice>; // commissioned, NO cells hold the registered NO
  let esmeHandover: ReturnType<typeof pickDevice>; // installed, not commissioned: DCC controlled
  let esmeAcbNo: ReturnType<typeof pickDevice>; // commissioned, NO cells still hold the ACB
  let esmeWrongNo: ReturnType<typeof pickDevice>; // commissioned, NO cells hold another DNO (SECMP0063)
  let gpfCadent: ReturnType<typeof pickDevice>; // Cadent supply point, NO cells hold the ACB
  let gpfSgn: ReturnType<typeof pickDevice>; // SGN supply point (SGN is not a DCC User), NO cells hold the ACB
  let gsme: ReturnType<typeof pickDevice>;

  const CADENT = GAS_TRANSPORTERS.find((g) => g.key === 'CADENT')!.eui;
  const SGN = GAS_TRANSPORTERS.find((g) => g.key === 'SGN')!.eui;
  const NGGD = GAS_TRANSPORTERS.find((g) => g.key === 'NGGD')!.eui;
  const NOWHERE = '00DB5AFF00000001';

  beforeAll(async () => {
    h = await startHarness({ store });
    const w = world();
    esmeNo = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.networkOperatorDS === reg.no && c.supplierDS === reg.supplier);
    esmeHandover = pickDevice(w, 'ESME', (d, _reg, c) => d.status === 'InstalledNotCommissioned' && c.supplierDS === DCC.accessControlBroker);
    esmeAcbNo = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.networkOperatorDS === DCC.accessControlBroker && c.supplierDS === reg.supplier);
    esmeWrongNo = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && !!c.networkOperatorDS && c.networkOperatorDS !== reg.no && c.networkOperatorDS !== DCC.accessControlBroker);
    gpfCadent = pickDevice(w, 'GPF', (d, reg, c) => d.status === 'Commissioned' && reg.no === CADENT && c.networkOperatorDS === DCC.accessControlBroker);
    gpfSgn = pickDevice(w, 'GPF', (d, reg, c) => d.status === 'Commissioned' && reg.no === SGN && c.networkOperatorDS === DCC.accessControlBroker);
    gsme = pickDevice(w, 'GSME', (d) => d.status === 'Commissioned');
  });

  afterAll(async () => {
    await h?.close();
  });

  const next = () => h.nextCounter();
  const anotherSupplier = (eui: Eui) => SUPPLIERS.find((s) => s.eui !== eui && s.userRoles.includes('IS') && s.userRoles.includes('GS'))!.eui;

  /** A 6.21 supplier handover of the DCC-controlled ESME by its registered supplier: acceptable as it stands. */
  function supplierHandover(o: { counter?: bigint; ds?: Buffer; ka?: Buffer; topUp?: Buffer; path?: Buffer[]; sender?: Eui; target?: Eui } = {}) {
    const c = orgCerts(world(), esmeHandover.supplier, RemotePartyRole.Supplier);
    return handoverXml({
      sender: o.sender ?? esmeHandover.supplier,
      target: o.target ?? esmeHandover.eui,
      counter: o.counter ?? next(),
      role: 'Supplier',
      ds: o.ds ?? c.ds,
      ka: o.ka ?? c.ka,
      topUp: o.topUp ?? c.topUp,
      path: o.path ?? [ocaDer(world())],
    });
  }

  /** A 6.15.1 (CV 4) network operator update of the ESME whose NO cells hold its registered NO. */
  function noUpdate(o: { ds?: Buffer; ka?: Buffer; path?: Buffer[]; applyTime?: boolean } = {}) {
    return updateXml({
      sender: esmeNo.no,
      target: esmeNo.eui,
      counter: next(),
      role: 'NetworkOperator',
      floor: 0n,
      ...(o.ds ? { ds: o.ds } : {}),
      ...(o.ka ? { ka: o.ka } : {}),
      path: o.path ?? [ocaDer(world())],
      applyTime: o.applyTime ?? true,
    });
  }

  /** The device's answer to an accepted request, queued as an asynchronous DUIS response. */
  async function expectDeviceOutcome(requestId: string, code: string) {
    const responses = await asyncResponses(url(), requestId);
    expect(responses.map((r) => `${r.kind} ${r.responseCode}`)).toContain(`response ${code}`);
  }

  const newNoCert = (eui: Eui, usage: 'DS' | 'KA', extra: { notBefore?: Date; notAfter?: Date } = {}) =>
    world().certificate(issueOrganisationCertificateFor(world(), { eui, role: RemotePartyRole.NetworkOperator, usage, ...extra })).der;

  describe('1. size limit and safe XML parsing', () => {
    it('refuses a signed, otherwise acceptable request padded past the size limit (and accepts it unpadded)', async () => {
      const xml = signAs(world(), esmeNo.supplier, inventoryXml(esmeNo.supplier, esmeNo.mpxn!, next()));
      const padded = xml + ' '.repeat(256 * 1024); // whitespace after the root: outside the signature, still well-formed
      await rejects('serviceD', padded, {
        code: 'E100', step: 'parse:size', reason: /\d+ bytes, the limit is 262144/, passed: PASSED.parse, originator: esmeNo.supplier,
      });
      await expectAccepted(world(), url(), 'serviceD', xml, 'I0');
    });

    it('refuses a DOCTYPE declaring an external entity (XXE), even when it is never referenced', async () => {
      const xml = supplierHandover();
      const signed = signAs(world(), esmeHandover.supplier, xml);
      const xxe = signed.replace(/^(<\?xml[^>]*\?>)/, '$1<!DOCTYPE sr:Request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>');
      expect(xxe).not.toBe(signed);
      await rejects('serviceS', xxe, {
        code: 'E100', step: 'parse:xml', reason: /DOCTYPE \(DTD\) is not allowed/, passed: PASSED.parse, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
    });

    it('refuses entity expansion: an internal-entity bomb, and an entity reference with no DTD at all', async () => {
      const signed = signAs(world(), esmeNo.supplier, inventoryXml(esmeNo.supplier, esmeNo.mpxn!, next()));
      const bomb = signed.replace(
        /^(<\?xml[^>]*\?>)/,
        '$1<!DOCTYPE sr:Request [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
      ).replace(esmeNo.mpxn!, '&c;');
      await rejects('serviceD', bomb, { code: 'E100', step: 'parse:xml', reason: /DOCTYPE/, passed: PASSED.parse, originator: esmeNo.supplier });
      const undeclared = signed.replace(`<sr:MPxN>${esmeNo.mpxn}`, '<sr:MPxN>&mpxn;');
      await rejects('serviceD', undeclared, { code: 'E100', step: 'parse:xml', reason: /entity reference "&mpxn;" is not allowed/, passed: PASSED.parse, originator: esmeNo.supplier });
    });
  });

  describe('2. schema: DUIS 5.4 for the supported services', () => {
    it('refuses a signed 6.21 missing a required element', async () => {
      const xml = supplierHandover().replace(/<sr:ApplyTimeBasedCPVChecks>true<\/sr:ApplyTimeBasedCPVChecks>/, '');
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, xml), {
        code: 'E100', step: 'parse:schema', reason: /ApplyTimeBasedCPVChecks/, passed: PASSED.parse, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
    });

    it('refuses an element the schema does not have, and a value outside an enumeration', async () => {
      const extra = supplierHandover().replace('</sr:ServiceReferenceVariant>', '</sr:ServiceReferenceVariant><sr:Priority>high</sr:Priority>');
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, extra), {
        code: 'E100', step: 'parse:schema', reason: /Priority/, passed: PASSED.parse, device: esmeHandover.eui,
      });
      const role = supplierHandover().replace('<sr:RemotePartyRole>Supplier</sr:RemotePartyRole>', '<sr:RemotePartyRole>Landlord</sr:RemotePartyRole>');
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, role), {
        code: 'E100', step: 'parse:schema', reason: /"Landlord" is not one of/, passed: PASSED.parse, device: esmeHandover.eui,
      });
    });

    it('refuses a body element in the wrong namespace', async () => {
      const xml = supplierHandover().replace(/<sr:RequestHandoverOfDCCControlledDevice>/, '<x:RequestHandoverOfDCCControlledDevice xmlns:x="urn:not-duis">')
        .replace(/<\/sr:RequestHandoverOfDCCControlledDevice>/, '</x:RequestHandoverOfDCCControlledDevice>');
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, xml), {
        code: 'E100', step: 'parse:schema', reason: /RequestHandoverOfDCCControlledDevice.*not a DUIS service request/, passed: PASSED.parse, device: esmeHandover.eui,
      });
    });
  });

  describe('3. XML signature: DCC profile, the sender’s XML-signing certificate, unrevoked', () => {
    it('refuses an unsigned request', async () => {
      await rejects('serviceS', supplierHandover(), {
        code: 'E1', step: 'signature', reason: /no ds:Signature/, passed: PASSED.signature, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
    });

    it('refuses a request changed after signing (digest mismatch)', async () => {
      const signed = signAs(world(), esmeHandover.supplier, supplierHandover());
      const tampered = signed.replace('<sr:ApplyTimeBasedCPVChecks>true<', '<sr:ApplyTimeBasedCPVChecks>false<');
      expect(tampered).not.toBe(signed);
      await rejects('serviceS', tampered, {
        code: 'E1', step: 'signature', reason: /digest mismatch/, passed: PASSED.signature, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
    });

    it('refuses a signature by another party’s XML-signing certificate (originator ≠ signer)', async () => {
      const other = anotherSupplier(esmeHandover.supplier);
      const xml = signDuis(supplierHandover(), xmlSignerOf(world(), other));
      await rejects('serviceS', xml, {
        code: 'E1', step: 'signature', reason: /belongs to .*, not to the RequestID originator/, passed: PASSED.signature, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
    });

    it('refuses a signature by the sender’s organisation (GBCS) certificate, which is not an XML-signing certificate', async () => {
      const ds = world().store.searchCertificates({ eui: esmeHandover.supplier, role: RemotePartyRole.Supplier, keyUsage: 'DS', kind: 'organisation' })[0]!;
      const xml = signDuis(supplierHandover(), { privateKey: world().privateKeyOf(ds.id)!, issuerName: ds.issuerDn, serialDecimal: ds.serialDecimal });
      await rejects('serviceS', xml, {
        code: 'E1', step: 'signature', reason: /not an XML-signing certificate/, passed: PASSED.signature, device: esmeHandover.eui,
      });
    });

    it('refuses a signature by a revoked XML-signing certificate of the sender', async () => {
      const id = issueOrganisationCertificateFor(world(), { eui: esmeHandover.supplier, role: RemotePartyRole.XmlSign, usage: 'DS' });
      const cert = world().certificate(id);
      const signer = { privateKey: world().privateKeyOf(id)!, issuerName: cert.issuerDn, serialDecimal: cert.serialDecimal };
      revokeCertificate(world(), id, 'keyCompromise', new Date());
      await rejects('serviceS', signDuis(supplierHandover(), signer), {
        code: 'E1', step: 'signature', reason: new RegExp(`XML-signing certificate ${cert.serialDecimal} is revoked`), passed: PASSED.signature, device: esmeHandover.eui,
      });
    });

    it('refuses a serial the SMKI repository does not know, and a signature off the DCC profile', async () => {
      const signer = { ...xmlSignerOf(world(), esmeHandover.supplier), serialDecimal: '123456789' };
      await rejects('serviceS', signDuis(supplierHandover(), signer), {
        code: 'E1', step: 'signature', reason: /no certificate with serial 123456789/, passed: PASSED.signature, device: esmeHandover.eui,
      });
      const rsa = signAs(world(), esmeHandover.supplier, supplierHandover()).replace('xmldsig-more#ecdsa-sha256', 'xmldsig#rsa-sha1');
      await rejects('serviceS', rsa, { code: 'E1', step: 'signature', reason: /not the DCC profile's .*ecdsa-sha256/, passed: PASSED.parse, device: esmeHandover.eui });
    });
  });

  describe('4. RequestID: format, originator = signer, strictly increasing counter per originator', () => {
    it('refuses a RequestID that does not fit the pattern (counter with a leading zero; counter beyond uint64)', async () => {
      const xml = signAs(world(), esmeNo.supplier, inventoryXml(esmeNo.supplier, esmeNo.mpxn!, 42n).replace(':42<', ':042<'));
      await rejects('serviceD', xml, { code: 'E100', step: 'parse:schema', reason: /RequestID.*"90-B3-D5-1F-4.*:042" is not a RequestID/, passed: PASSED.parse });
      const big = signAs(world(), esmeNo.supplier, inventoryXml(esmeNo.supplier, esmeNo.mpxn!, 42n).replace(':42<', ':18446744073709551616<'));
      await rejects('serviceD', big, { code: 'E100', step: 'parse:schema', reason: /is not a RequestID/, passed: PASSED.parse });
    });

    it('refuses a counter that is not greater than the last accepted from that originator (replay), leaving the floor where it was', async () => {
      const sender = esmeNo.supplier;
      const counter = next();
      await expectAccepted(world(), url(), 'serviceD', signAs(world(), sender, inventoryXml(sender, esmeNo.mpxn!, counter)), 'I0');
      expect(lastCounter(world(), sender)).toBe(String(counter));
      // the same counter, with different content, freshly signed
      await rejects('serviceS', signAs(world(), sender, retrieveXml(sender, esmeNo.eui, counter)), {
        code: 'E100', step: 'request-id', reason: new RegExp(`counter ${counter} is not greater than ${counter}, the last accepted from`), passed: PASSED.requestId, device: esmeNo.eui, originator: sender,
      });
      await rejects('serviceS', signAs(world(), sender, retrieveXml(sender, esmeNo.eui, counter - 5n)), {
        code: 'E100', step: 'request-id', reason: /not greater than .*\(replay\)/, passed: PASSED.requestId, device: esmeNo.eui, originator: sender,
      });
      // counters are per originator: another party may use a counter this one has used
      const other = esmeNo.no;
      await expectAccepted(world(), url(), 'serviceD', signAs(world(), other, inventoryXml(other, esmeNo.mpxn!, counter)), 'I0');
    });
  });

  describe('5. service, command variant and URL; user role; the device, its status and type; registration', () => {
    it('E12: a command variant that does not fit the service', async () => {
      await rejects('serviceT', signAs(world(), esmeHandover.supplier, supplierHandover().replace('<sr:CommandVariant>1<', '<sr:CommandVariant>4<')), {
        code: 'E12', step: 'parse:command-variant', reason: /CommandVariant 4 is not applicable: 6\.21 is a non-critical/, passed: PASSED.parse, device: esmeHandover.eui,
      });
    });

    it('E13: the right command variant on the wrong URL', async () => {
      await rejects('serviceT', signAs(world(), esmeHandover.supplier, supplierHandover()), {
        code: 'E13', step: 'service', reason: /6\.21 with CommandVariant 1 belongs on \/api\/v1\/serviceS, not \/api\/v1\/serviceT/, passed: PASSED.service, device: esmeHandover.eui,
      });
      await rejects('serviceS', signAs(world(), esmeNo.supplier, inventoryXml(esmeNo.supplier, esmeNo.mpxn!, next())), {
        code: 'E13', step: 'service', reason: /8\.2 .* belongs on \/api\/v1\/serviceD/, passed: PASSED.service, originator: esmeNo.supplier,
      });
    });

    it('refuses a header whose service does not match the body', async () => {
      const c = orgCerts(world(), esmeHandover.supplier, RemotePartyRole.Supplier);
      const xml = buildRequest({
        requestId: { originator: esmeHandover.supplier, target: esmeHandover.eui, counter: next() },
        commandVariant: 1,
        serviceReference: '6.24',
        serviceReferenceVariant: '6.24.1',
        body: { kind: 'RequestHandoverOfDCCControlledDevice', remotePartyRole: 'Supplier', digitalSigning: c.ds, certificationPath: [ocaDer(world())], applyTimeBasedCpvChecks: true },
      });
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, xml), {
        code: 'E100', step: 'parse:consistency', reason: /RequestHandoverOfDCCControlledDevice is service 6\.21, but the header says ServiceReferenceVariant 6\.24\.1/, passed: PASSED.parse, device: esmeHandover.eui,
      });
    });

    it('E2: 6.21 may be sent by IS/GS only, not by a network operator (ED)', async () => {
      const dno = esmeHandover.no;
      await rejects('serviceS', signAs(world(), dno, supplierHandover({ sender: dno })), {
        code: 'E2', step: 'user-role', reason: /6\.21 may be sent by IS\/GS; .* holds ED/, passed: PASSED.userRole, device: esmeHandover.eui, originator: dno,
      });
    });

    it('E3: a party that is not a DCC User (SGN) cannot send even with a valid XML-signing certificate', async () => {
      issueOrganisationCertificateFor(world(), { eui: SGN, role: RemotePartyRole.XmlSign, usage: 'DS' });
      const c = { ds: newNoCert(SGN, 'DS'), ka: newNoCert(SGN, 'KA') };
      const xml = updateXml({ sender: SGN, target: gpfSgn.eui, counter: next(), role: 'NetworkOperator', ...c, path: [ocaDer(world())] });
      await rejects('serviceT', signAs(world(), SGN, xml), {
        code: 'E3', step: 'user-role', reason: /SGN .* is not a DCC User/, passed: PASSED.userRole, device: gpfSgn.eui, originator: SGN,
      });
    });

    it('E19: the target device is not in the inventory', async () => {
      await rejects('serviceS', signAs(world(), esmeNo.supplier, retrieveXml(esmeNo.supplier, NOWHERE, next())), {
        code: 'E19', step: 'device', reason: /00-DB-5A-FF-00-00-00-01 is not in the smart metering inventory/, passed: PASSED.device, originator: esmeNo.supplier,
      });
    });

    it('E5: 6.15.1 needs a commissioned device', async () => {
      const c = orgCerts(world(), esmeHandover.no, RemotePartyRole.NetworkOperator);
      const xml = updateXml({ sender: esmeHandover.no, target: esmeHandover.eui, counter: next(), role: 'NetworkOperator', ...c, path: [ocaDer(world())] });
      await rejects('serviceT', signAs(world(), esmeHandover.no, xml), {
        code: 'E5', step: 'device', reason: /ESME .* is InstalledNotCommissioned; 6\.15\.1 needs Commissioned/, passed: PASSED.device, device: esmeHandover.eui, originator: esmeHandover.no,
      });
    });

    it('E11: a network operator handover to a GSME, which has no network operator cells', async () => {
      const gt = gsme.no;
      const c = orgCerts(world(), gt === SGN ? CADENT : gt, RemotePartyRole.NetworkOperator);
      const xml = handoverXml({ sender: gsme.supplier, target: gsme.eui, counter: next(), role: 'NetworkOperator', ...c, path: [ocaDer(world())] });
      await rejects('serviceS', signAs(world(), gsme.supplier, xml), {
        code: 'E11', step: 'device', reason: /a GSME has no network operator trust-anchor cells/, passed: PASSED.device, device: gsme.eui, originator: gsme.supplier,
      });
    });

    it('E4: a supplier that is not the one registered for the device', async () => {
      const other = anotherSupplier(esmeHandover.supplier);
      const c = orgCerts(world(), other, RemotePartyRole.Supplier);
      const xml = supplierHandover({ sender: other, ds: c.ds, ka: c.ka, topUp: c.topUp });
      await rejects('serviceS', signAs(world(), other, xml), {
        code: 'E4', step: 'registration', reason: /is not the registered Import Supplier for MPAN/, passed: PASSED.device, device: esmeHandover.eui, originator: other,
      });
    });

    it('E4: a network operator neither registered for the ESME nor holding its cells', async () => {
      const stranger = [...Array(14).keys()].map((i) => dnoEui(String(10 + i))).find((e) => e !== esmeNo.no)!;
      const c = orgCerts(world(), stranger, RemotePartyRole.NetworkOperator);
      const xml = updateXml({ sender: stranger, target: esmeNo.eui, counter: next(), role: 'NetworkOperator', ...c, path: [ocaDer(world())] });
      await rejects('serviceT', signAs(world(), stranger, xml), {
        code: 'E4', step: 'registration', reason: /is not the registered network operator for MPAN/, passed: PASSED.device, device: esmeNo.eui, originator: stranger,
      });
    });
  });

  describe('6. replacement certificates: SMKI profile, role, key usage, path, revocation, validity', () => {
    const common = () => ({ device: esmeNo.eui, originator: esmeNo.no, passed: PASSED.certificates, step: 'certificates' });

    it('refuses a certificate that departs from the organisation profile (keyUsage not critical; no certificatePolicies)', async () => {
      const notCritical = craftOrgCert(world(), { eui: esmeNo.no, role: 3, usage: 'DS' }, (s) => ({
        ...s, extensions: s.extensions.map((e) => (e.oid === OID.keyUsage ? keyUsageExtension('DS', false) : e)),
      }));
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: notCritical })), {
        ...common(), code: 'E061501', reason: /DigitalSigningCertificate does not fit the SMKI organisation profile: keyUsage is not marked critical/,
      });
      const noPolicy = craftOrgCert(world(), { eui: esmeNo.no, role: 3, usage: 'KA' }, (s) => ({
        ...s, extensions: s.extensions.filter((e) => e.oid !== OID.certificatePolicies),
      }));
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ka: noPolicy })), {
        ...common(), code: 'E061501', reason: /KeyAgreementCertificate does not fit the SMKI organisation profile: certificatePolicies is absent/,
      });
    });

    it('refuses a device certificate where an organisation certificate belongs', async () => {
      const deviceCert = world().deviceCredentials(esmeNo.eui).dsCertificate.der;
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: deviceCert })), {
        ...common(), code: 'E061501', reason: /DigitalSigningCertificate is a device certificate, not an organisation certificate/,
      });
    });

    it('refuses a certificate whose role (OU) is not the RemotePartyRole', async () => {
      const supplierDs = orgCerts(world(), esmeNo.supplier, RemotePartyRole.Supplier).ds;
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: supplierDs })), {
        ...common(), code: 'E061504', reason: /DigitalSigningCertificate has role supplier \(OU 02\); RemotePartyRole is NetworkOperator/,
      });
    });

    it('refuses a certificate whose key usage does not fit its slot (KA certificate as the DS certificate)', async () => {
      const ka = orgCerts(world(), esmeNo.no, RemotePartyRole.NetworkOperator).ka;
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: ka })), {
        ...common(), code: 'E061504', reason: /DigitalSigningCertificate has key usage KA; the slot needs digitalSignature/,
      });
    });

    it('refuses a certificate that does not chain to the SMKI root: a foreign CA, or the issuing CA missing from the path', async () => {
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: foreignOrgCert({ eui: esmeNo.no, role: 3, usage: 'DS' }) })), {
        ...common(), code: 'E061505', reason: /DigitalSigningCertificate [0-9A-F]+: no trust anchor or intermediate is the issuer/,
      });
      const deviceCa = world().certificate(Number(world().meta(META.deviceCaId))).der;
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: newNoCert(esmeNo.no, 'DS'), path: [deviceCa] })), {
        ...common(), code: 'E061505', reason: /DigitalSigningCertificate [0-9A-F]+: no trust anchor or intermediate is the issuer/,
      });
    });

    it('refuses a revoked certificate', async () => {
      const id = issueOrganisationCertificateFor(world(), { eui: esmeNo.no, role: 3, usage: 'DS' });
      revokeCertificate(world(), id, 'keyCompromise', new Date());
      const cert = world().certificate(id);
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: cert.der })), {
        ...common(), code: 'E061506', reason: new RegExp(`DigitalSigningCertificate ${cert.serialHex} is revoked`),
      });
    });

    it('refuses an expired or not yet valid certificate when ApplyTimeBasedCPVChecks is true, and accepts it when false', async () => {
      const expired = craftOrgCert(world(), { eui: esmeNo.no, role: 3, usage: 'DS', notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2020-12-31T23:59:59Z') });
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: expired, applyTime: true })), {
        ...common(), code: 'E061507', reason: /expired at 2020-12-31T23:59:59/,
      });
      const future = craftOrgCert(world(), { eui: esmeNo.no, role: 3, usage: 'KA', notBefore: new Date('2035-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') });
      await rejects('serviceT', signAs(world(), esmeNo.no, noUpdate({ ka: future, applyTime: true })), {
        ...common(), code: 'E061507', reason: /not valid before 2035-01-01/,
      });
      // no time-based checks: the same certificate is acceptable, and the pre-command is issued
      const before = deviceState(world(), esmeNo.eui);
      const ok = await expectAccepted(world(), url(), 'serviceT', signAs(world(), esmeNo.no, noUpdate({ ds: expired, applyTime: false })), 'I0');
      expect(ok.body).toContain('<sr:PreCommand>');
      expect(deviceState(world(), esmeNo.eui)).toEqual(before); // the first leg never touches the device
    });

    it('6.21 answers its own codes: a revoked certificate (E062103), a supplier certificate of the wrong usage (E062102)', async () => {
      const id = issueOrganisationCertificateFor(world(), { eui: esmeHandover.supplier, role: RemotePartyRole.Supplier, usage: 'DS' });
      revokeCertificate(world(), id, 'superseded', new Date());
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, supplierHandover({ ds: world().certificate(id).der })), {
        code: 'E062103', step: 'certificates', reason: /is revoked/, passed: PASSED.certificates, device: esmeHandover.eui, originator: esmeHandover.supplier,
      });
      const c = orgCerts(world(), esmeHandover.supplier, RemotePartyRole.Supplier);
      await rejects('serviceS', signAs(world(), esmeHandover.supplier, supplierHandover({ topUp: c.ds })), {
        code: 'E062102', step: 'certificates', reason: /KeyAgreementTopUpCertificate has key usage DS; the slot needs keyAgreement/, passed: PASSED.certificates, device: esmeHandover.eui,
      });
    });
  });

  describe('7. network operator check (SECMP0063, MP128 for gas)', () => {
    const noHandover = (dev: ReturnType<typeof pickDevice>, certs: { ds: Buffer; ka?: Buffer }) =>
      signAs(world(), dev.supplier, handoverXml({ sender: dev.supplier, target: dev.eui, counter: next(), role: 'NetworkOperator', ...certs, path: [ocaDer(world())] }));

    it('6.21 to an ESME: refuses another DNO’s certificate; accepts the registered DNO’s', async () => {
      const otherDno = [...Array(14).keys()].map((i) => dnoEui(String(10 + i))).find((e) => e !== esmeAcbNo.no)!;
      await rejects('serviceS', noHandover(esmeAcbNo, orgCerts(world(), otherDno, RemotePartyRole.NetworkOperator)), {
        code: 'E062105', step: 'network-operator', reason: /belongs to .*\(90-B3-D5-1F-40-.*\), but registration data names .* for MPAN \d{13}/,
        passed: PASSED.networkOperator, device: esmeAcbNo.eui, originator: esmeAcbNo.supplier,
      });
      const ok = await expectAccepted(world(), url(), 'serviceS', noHandover(esmeAcbNo, orgCerts(world(), esmeAcbNo.no, RemotePartyRole.NetworkOperator)), 'I99');
      await expectDeviceOutcome(ok.response.requestId!.text, 'I0');
      expect(cellHolder(world(), esmeAcbNo.eui, 'networkOperatorDS')).toBe(esmeAcbNo.no);
    });

    it('6.15.1 to an ESME holding the wrong DNO’s certificate: that DNO may not put its own certificates back', async () => {
      const holder = world().certificate(world().store.getDeviceSecurity(esmeWrongNo.eui)!.cells.networkOperatorDS!).subjectEui!;
      expect(holder).not.toBe(esmeWrongNo.no);
      const xml = updateXml({ sender: holder, target: esmeWrongNo.eui, counter: next(), role: 'NetworkOperator', ds: newNoCert(holder, 'DS'), ka: newNoCert(holder, 'KA'), path: [ocaDer(world())] });
      await rejects('serviceT', signAs(world(), holder, xml), {
        code: 'E061509', step: 'network-operator', reason: /registration data names/, passed: PASSED.networkOperator, device: esmeWrongNo.eui, originator: holder,
      });
    });

    it('6.21 to a Cadent GPF: refuses National Grid Gas Distribution’s certificate; accepts Cadent’s', async () => {
      await rejects('serviceS', noHandover(gpfCadent, orgCerts(world(), NGGD, RemotePartyRole.NetworkOperator)), {
        code: 'E062105', step: 'network-operator', reason: /belongs to National Grid Gas Distribution .* registration data names Cadent Gas .* for MPRN/,
        passed: PASSED.networkOperator, device: gpfCadent.eui, originator: gpfCadent.supplier,
      });
      // MP128: a GNO's certificate needs it unrevoked, too (that part is the certificate check)
      const revokedId = issueOrganisationCertificateFor(world(), { eui: CADENT, role: 3, usage: 'DS' });
      revokeCertificate(world(), revokedId, 'keyCompromise', new Date());
      await rejects('serviceS', noHandover(gpfCadent, { ds: world().certificate(revokedId).der }), {
        code: 'E062103', step: 'certificates', reason: /is revoked/, passed: PASSED.certificates, device: gpfCadent.eui,
      });
      const ok = await expectAccepted(world(), url(), 'serviceS', noHandover(gpfCadent, orgCerts(world(), CADENT, RemotePartyRole.NetworkOperator)), 'I99');
      await expectDeviceOutcome(ok.response.requestId!.text, 'I0');
      expect(cellHolder(world(), gpfCadent.eui, 'networkOperatorDS')).toBe(CADENT);
    });

    it('6.21 to an SGN GPF: refuses SGN’s own certificate (SGN is not a DCC User); accepts the ACB’s (MP128)', async () => {
      const sgnCerts = { ds: newNoCert(SGN, 'DS'), ka: newNoCert(SGN, 'KA') };
      await rejects('serviceS', noHandover(gpfSgn, sgnCerts), {
        code: 'E062105', step: 'network-operator', reason: /SGN is not a DCC User: under MP128 only the ACB certificate/,
        passed: PASSED.networkOperator, device: gpfSgn.eui, originator: gpfSgn.supplier,
      });
      const acb = orgCerts(world(), DCC.accessControlBroker, RemotePartyRole.AccessControlBroker);
      const ok = await expectAccepted(world(), url(), 'serviceS', noHandover(gpfSgn, { ds: acb.ds, ka: acb.ka }), 'I99');
      await expectDeviceOutcome(ok.response.requestId!.text, 'I0');
      expect(cellHolder(world(), gpfSgn.eui, 'networkOperatorDS')).toBe(DCC.accessControlBroker);
    });

    it('MP128A: NGGD, whose certificates a Cadent GPF still holds, may replace them by the ACB’s, not by new ones of its own', async () => {
      const gpf = pickDevice(world(), 'GPF', (d, reg, c) => d.status === 'Commissioned' && reg.no === CADENT && c.networkOperatorDS === NGGD);
      await rejects('serviceT', signAs(world(), NGGD, updateXml({ sender: NGGD, target: gpf.eui, counter: next(), role: 'NetworkOperator', ds: newNoCert(NGGD, 'DS'), ka: newNoCert(NGGD, 'KA'), path: [ocaDer(world())] })), {
        code: 'E061509', step: 'network-operator', reason: /belongs to National Grid Gas Distribution .* registration data names Cadent Gas/,
        passed: PASSED.networkOperator, device: gpf.eui, originator: NGGD,
      });
      const acb = orgCerts(world(), DCC.accessControlBroker, RemotePartyRole.AccessControlBroker);
      const ok = await expectAccepted(world(), url(), 'serviceT', signAs(world(), NGGD, updateXml({ sender: NGGD, target: gpf.eui, counter: next(), role: 'NetworkOperator', ds: acb.ds, ka: acb.ka, path: [ocaDer(world())] })), 'I0');
      expect(ok.body).toContain('<sr:PreCommand>');
    });

    it('networkOperatorCheck: false disapplies SECMP0063 and the MP128 rule', async () => {
      const off = await startHarness({ networkOperatorCheck: false, store });
      try {
        const w = off.world;
        const sign = (dev: ReturnType<typeof pickDevice>, certs: { ds: Buffer; ka?: Buffer }) =>
          signDuis(handoverXml({ sender: dev.supplier, target: dev.eui, counter: off.nextCounter(), role: 'NetworkOperator', ...certs, path: [ocaDer(w)] }), xmlSignerOf(w, dev.supplier));
        const otherDno = [...Array(14).keys()].map((i) => dnoEui(String(10 + i))).find((e) => e !== esmeAcbNo.no)!;
        await expectAccepted(w, off.server.url, 'serviceS', sign(esmeAcbNo, orgCerts(w, otherDno, RemotePartyRole.NetworkOperator)), 'I99');
        await expectAccepted(w, off.server.url, 'serviceS', sign(gpfCadent, orgCerts(w, NGGD, RemotePartyRole.NetworkOperator)), 'I99');
        const sgn = (usage: 'DS' | 'KA') => w.certificate(issueOrganisationCertificateFor(w, { eui: SGN, role: 3, usage })).der;
        await expectAccepted(w, off.server.url, 'serviceS', sign(gpfSgn, { ds: sgn('DS'), ka: sgn('KA') }), 'I99');
        const all = await expectAllResponsesSchemaValid(w, off.server.url);
        expect(all.sync).toBe(3);
      } finally {
        await off.close();
      }
    });
  });

  describe('8. every rejection is specific, explained, logged, and changes nothing', () => {
    it('the request log holds every rejection with its code, reason and failed step', async () => {
      const log = await requestLog(url(), 'limit=1000');
      const rejected = log.filter((e) => e.responseCode !== 'I0' && e.responseCode !== 'I99');
      expect(rejected.length).toBeGreaterThan(40);
      for (const e of rejected) {
        expect(e.responseCode).toMatch(/^E\d+$/);
        expect(e.reason, `#${e.id}`).toMatch(/\w{4,}/);
        expect(e.failedStep, `#${e.id}`).toBeTruthy();
        expect(e.steps?.at(-1)).toMatchObject({ step: e.failedStep, ok: false });
      }
      // every numbered check of the pipeline was tripped at least once
      const steps = new Set(rejected.map((e) => e.failedStep));
      for (const s of ['parse:size', 'parse:xml', 'parse:schema', 'signature', 'request-id', 'parse:command-variant', 'service', 'user-role', 'device', 'registration', 'certificates', 'network-operator']) {
        expect(steps, s).toContain(s);
      }
    });

    it('a future-dated 6.15.1 answers in valid DUIS too: its acceptance, and the device’s 8F66 alert when the clock reaches it', async () => {
      const esme = pickDevice(world(), 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.supplierDS === reg.supplier && d.eui !== esmeNo.eui && d.eui !== esmeWrongNo.eui);
      const certs = orgCerts(world(), esme.supplier, RemotePartyRole.Supplier);
      const now = new Date(((await (await fetch(`${url()}/api/clock`)).json()) as { now: string }).now);
      const requestId = { originator: esme.supplier, target: esme.eui, counter: next() };
      const leg1 = await expectAccepted(world(), url(), 'serviceT', signAs(world(), esme.supplier, buildRequest({
        requestId,
        commandVariant: 4,
        body: {
          kind: 'UpdateSecurityCredentialsKRP', executionDateTime: new Date(now.getTime() + 2 * 86_400_000), remotePartyRole: 'Supplier',
          floorSeqNumber: 0n, topUpFloorSeqNumber: 0n, digitalSigning: certs.ds, keyAgreement: certs.ka, keyAgreementTopUp: certs.topUp!,
          certificationPath: [ocaDer(world())], applyTimeBasedCpvChecks: true,
        },
      })), 'I0');
      const pre = (leg1.response.body as { content: { preCommand: { gbcsPayload: Buffer } } }).content.preCommand.gbcsPayload;
      await expectAccepted(world(), url(), 'serviceS', signAs(world(), esme.supplier, buildRequest({ requestId, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(world(), pre) } })), 'I99');
      expect(world().store.pendingCommands(esme.eui)).toHaveLength(1);
      const moved = await fetch(`${url()}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: '3d' }) });
      expect(moved.status).toBe(200);
      expect(world().store.pendingCommands(esme.eui)).toHaveLength(0);
      const text = `${dashedEui(requestId.originator)}:${dashedEui(requestId.target)}:${requestId.counter}`;
      const rs = await asyncResponses(url(), text);
      const alert = rs.find((r) => r.xml.includes('<sr:FutureDatedDeviceAlertMessage>'));
      expect(alert?.xml).toContain('<sr:FutureDatedAlertCode>8F66</sr:FutureDatedAlertCode>');
      for (const r of rs) checkDuisAnswer(world(), r.xml);
    });

    it('every response this suite received (synchronous and asynchronous) is valid DUIS 5.4, signed by the DCC', async () => {
      await new Promise((r) => setTimeout(r, 50));
      const n = await expectAllResponsesSchemaValid(world(), url());
      expect(n.sync).toBeGreaterThan(45);
      expect(n.async).toBeGreaterThanOrEqual(3); // the accepted handovers' device responses
    });

    it('counter floors are durable: after a restart on the same world file, a replay is still refused', async () => {
      const sender = esmeNo.supplier;
      const counter = next();
      await expectAccepted(world(), url(), 'serviceD', signAs(world(), sender, inventoryXml(sender, esmeNo.mpxn!, counter)), 'I0');
      const file = h.file;
      await h.server.close();
      h = await startHarness({ file });
      expect(lastCounter(world(), sender)).toBe(String(counter));
      await rejects('serviceD', signAs(world(), sender, inventoryXml(sender, esmeNo.mpxn!, counter)), {
        code: 'E100', step: 'request-id', reason: /not greater than/, passed: PASSED.requestId, originator: sender,
      });
    });
  });
});
