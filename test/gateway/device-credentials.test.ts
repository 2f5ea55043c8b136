import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { issueDeviceCertificate } from '../../pki/index.ts';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { buildRequest, type DuisResponse } from '../../service-requests/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { asyncResponses, checkDuisAnswer, dumpDeviceTables, postRaw } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 6.24.2 and 6.15.2, the critical services about a device's own certificates (CS02e, CS02d), on the
// RTDS ESME of a ZAZ1 world: the RTDS templates (CV 4) and the signed pre-commands (CV 5) signed by the
// DCC's tool, every answer checked against the DUIS XSD and by the tool's validator, and the device's
// asynchronous I0 carrying GBCS that parses.

const ESME = '00DB1234567890A0';
const hasJava = javaAvailable();

describe.skipIf(!hasJava)('6.24.2 and 6.15.2 on the RTDS ESME (ZAZ1), both legs', () => {
  let h: Harness;
  let counter = 5000n;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile() });
  });
  afterAll(async () => {
    await h?.close();
    if (h) rmSync(dirname(h.file), { recursive: true, force: true });
  });

  async function send(endpoint: 'serviceS' | 'serviceT', unsigned: string, code: string): Promise<{ r: DuisResponse; xml: string; reason: string | null }> {
    const signed = await signWithTool(unsigned);
    expect(duisXsdErrors(signed)).toEqual([]);
    const a = await postRaw(h.server.url, endpoint, signed);
    expect(a.code, a.reason ?? '').toBe(code);
    await validateWithTool(a.body);
    return { r: checkDuisAnswer(h.world, a.body, code), xml: a.body, reason: a.reason };
  }

  /** CV 4 from the template (with `edit` applied), the pre-command signed by the supplier's GBCS key, CV 5. */
  async function bothLegs(name: string, edit: (xml: string) => string = (x) => x) {
    const leg1 = await send('serviceT', edit(rtdsTemplate(name, counter++)), 'I0');
    const b = leg1.r.body;
    if (b.kind !== 'ResponseMessage' || !b.content || !('preCommand' in b.content)) throw new Error('no PreCommand');
    const c = b.content;
    const requestId = leg1.r.requestId!.text;
    const leg2 = (payload: Buffer) => buildRequest({
      requestId, commandVariant: 5, serviceReference: b.serviceReference, serviceReferenceVariant: b.serviceReferenceVariant,
      body: { kind: 'SignedPreCommand', gbcsPayload: payload },
    });
    return { requestId, preCommand: c.preCommand.gbcsPayload, leg2 };
  }

  /** The device's asynchronous I0, validated, and its GBCS decoded. */
  async function deviceAnswer(requestId: string) {
    const rs = await asyncResponses(h.server.url, requestId);
    expect(rs.map((x) => `${x.kind} ${x.responseCode}`)).toEqual(['response I0']);
    await validateWithTool(rs[0]!.xml);
    const r = checkDuisAnswer(h.world, rs[0]!.xml, 'I0');
    expect(r.requestId!.text).toBe(requestId);
    const b = r.body;
    if (b.kind !== 'ResponseMessage' || !b.content || !('gbcsPayload' in b.content)) throw new Error('no GBCSPayload');
    return decodeGbcsMessage(b.content.gbcsPayload);
  }

  it('6.24.2: the device returns its own DS certificate, the one the SMKI repository holds for it; a bad signature changes nothing', async () => {
    const { requestId, preCommand, leg2 } = await bothLegs('CS02e_6.24.2_SUCCESS_REQUEST_DUIS.XML');
    const before = dumpDeviceTables(h.world);
    const forged = await send('serviceS', leg2(Buffer.concat([preCommand.subarray(0, -1), Buffer.from([0x40]), Buffer.alloc(64, 1)])), 'E062401');
    expect(forged.reason).toMatch(/does not verify/);
    expect(dumpDeviceTables(h.world)).toBe(before);
    await send('serviceS', leg2(signPreCommand(h.world, preCommand)), 'I99');
    const m = await deviceAnswer(requestId);
    expect([m.apdu.cra, m.apdu.originator, m.apdu.target, m.apdu.dateTime]).toEqual(['response', ESME, ZAZ1_SUPPLIER, undefined]);
    expect(m.body).toEqual({ kind: 'cs02e-response', response: { certificate: h.world.deviceCertificates(ESME).dsCertificate.der } });
    // Used once: the same signed pre-command again is refused.
    await send('serviceS', leg2(signPreCommand(h.world, preCommand)), 'E062401');
  });

  it('6.24.2 for the KA certificate', async () => {
    const { requestId, preCommand, leg2 } = await bothLegs('CS02e_6.24.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('Digital Signature', 'Key Agreement'));
    await send('serviceS', leg2(signPreCommand(h.world, preCommand)), 'I99');
    expect((await deviceAnswer(requestId)).body).toEqual({ kind: 'cs02e-response', response: { certificate: h.world.deviceCertificates(ESME).kaCertificate.der } });
  });

  it('6.15.2: a new certificate for the device\'s own DS key is taken (status 0) and becomes its certificate; 6.24.2 then returns it', async () => {
    const w = h.world;
    const dcaId = Number(w.meta('device_ca_id'));
    const dca = { certificate: w.certificate(dcaId).der, facts: w.certificateFacts(dcaId), privateKey: w.privateKeyOf(dcaId)! };
    const fresh = issueDeviceCertificate(dca, { deviceEui: ESME, keyUsage: 'DS', publicKey: w.deviceKeys(ESME).dsKey.point, notBefore: new Date('2026-10-01T00:00:00Z') });
    const old = w.deviceCertificates(ESME).dsCertificate.der;
    expect(fresh.equals(old)).toBe(false);
    const withFresh = (x: string) => x.replace(/<sr:DeviceCertificate>[^<]*<\/sr:DeviceCertificate>/, `<sr:DeviceCertificate>${fresh.toString('base64')}</sr:DeviceCertificate>`);
    const { requestId, preCommand, leg2 } = await bothLegs('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', withFresh);
    await send('serviceS', leg2(signPreCommand(w, preCommand)), 'I99');
    const m = await deviceAnswer(requestId);
    expect(m.body).toEqual({ kind: 'cs02d-response', response: { status: 0 } });
    expect(w.deviceCertificates(ESME).dsCertificate.der.equals(fresh)).toBe(true);
    const read = await bothLegs('CS02e_6.24.2_SUCCESS_REQUEST_DUIS.XML');
    await send('serviceS', read.leg2(signPreCommand(w, read.preCommand)), 'I99');
    expect((await deviceAnswer(read.requestId)).body).toEqual({ kind: 'cs02e-response', response: { certificate: fresh } });
  });

  it('6.15.2 with the RTDS template\'s certificate, issued by the RTDS device CA and not this world\'s: refused E061505, nothing changed', async () => {
    const mine = h.world.deviceCertificates(ESME).dsCertificate.der;
    const before = dumpDeviceTables(h.world);
    const a = await send('serviceT', rtdsTemplate('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', counter++), 'E061505');
    expect(a.reason).toMatch(/does not chain to the SMKI device CA/);
    expect(dumpDeviceTables(h.world)).toBe(before);
    expect(h.world.deviceCertificates(ESME).dsCertificate.der.equals(mine)).toBe(true);
  });

  it('6.15.2 refusals change nothing: a certificate of another device (E061504), an organisation certificate (E061501)', async () => {
    const other = h.world.deviceCertificates('00DB1234567890A3').dsCertificate.der;
    const before = dumpDeviceTables(h.world);
    const put = (der: Buffer) => (x: string) => x.replace(/<sr:DeviceCertificate>[^<]*<\/sr:DeviceCertificate>/, `<sr:DeviceCertificate>${der.toString('base64')}</sr:DeviceCertificate>`);
    const a = await send('serviceT', put(other)(rtdsTemplate('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', counter++)), 'E061504');
    expect(a.reason).toMatch(/names 00-DB-12-34-56-78-90-A3/);
    const org = h.world.certificate(h.world.store.getDeviceSecurity(ESME)!.cells.supplierDS!).der;
    await send('serviceT', put(org)(rtdsTemplate('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', counter++)), 'E061501');
    expect(dumpDeviceTables(h.world)).toBe(before);
  });
});
