import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeApdu, decodeGbcsMessage, verifyApduSignature, type Cs02cCsr } from '../../devices/index.ts';
import { describeCertificate, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { buildRequest, type ServiceBody } from '../../service-requests/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { signDeviceCsrEnvelope } from '../../src/smki/index.ts';
import { signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { asyncResponses, checkDuisAnswer, deviceState, postRaw } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 6.17 Issue Security Credentials end to end, both legs (CV 4 for the pre-command, CV 5 with it signed by the
// supplier): the meter generates a new key pair and answers a CSR; the supplier gets a device certificate for
// it over the gateway (MP074); later commands to the meter work with its new keys (its signatures, both MACs).

describe('6.17 Issue Security Credentials (demo world)', () => {
  let h: Harness;
  let esme: Eui;
  let supplier: Eui;
  beforeAll(async () => {
    h = await startHarness();
    const w = h.world;
    const d = w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 200 }).devices.find((x) => x.mpxn && w.store.getSupplyPoint(x.mpxn)?.supplierEui)!;
    esme = d.eui;
    supplier = w.store.getSupplyPoint(d.mpxn!)!.supplierEui!;
    w.store.setPartyFlags(supplier, { deviceSubscriber: true, ueptCompleted: true });
  });
  afterAll(async () => h?.close());

  const request = (originator: Eui, counter: bigint, credentialType: 'Digital Signature' | 'Key Agreement') =>
    buildRequest({ requestId: { originator, target: esme, counter }, commandVariant: 4, body: { kind: 'IssueSecurityCredentials', credentialType } as ServiceBody });
  const signedLeg = (requestId: string, gbcsPayload: Buffer) =>
    buildRequest({ requestId, commandVariant: 5, serviceReference: '6.17', serviceReferenceVariant: '6.17', body: { kind: 'SignedPreCommand', gbcsPayload } });
  const snapshot = () => JSON.stringify({ ...deviceState(h.world, esme), keys: h.world.store.deviceKeyGenerations(esme) });

  /** Leg 1 (I0 with the pre-command), leg 2 (I99), then the device's response: its GBCS, signed by the device. */
  async function issue(credentialType: 'Digital Signature' | 'Key Agreement'): Promise<{ csr: Cs02cCsr; response: Buffer }> {
    const leg1 = await h.post('serviceT', h.signAs(supplier, request(supplier, h.nextCounter(), credentialType)));
    expect(leg1.code, leg1.reason ?? '').toBe('I0');
    const r1 = checkDuisAnswer(h.world, leg1.xml, 'I0');
    if (r1.body.kind !== 'ResponseMessage' || !r1.body.content || !('preCommand' in r1.body.content)) throw new Error('no PreCommand');
    const requestId = r1.requestId!.text;
    const leg2 = await h.post('serviceS', h.signAs(supplier, signedLeg(requestId, signPreCommand(h.world, r1.body.content.preCommand.gbcsPayload))));
    expect(leg2.code, leg2.reason ?? '').toBe('I99');
    checkDuisAnswer(h.world, leg2.xml, 'I99');
    const rs = await asyncResponses(h.server.url, requestId);
    for (const r of rs) checkDuisAnswer(h.world, r.xml);
    expect(rs.map((r) => `${r.kind} ${r.responseCode}`)).toContain('response I0');
    const xml = rs.find((r) => r.kind === 'response')!.xml;
    const response = Buffer.from(/<(?:sr:)?GBCSPayload>([^<]+)</.exec(xml)![1]!, 'base64');
    const m = decodeGbcsMessage(response);
    if (m.body.kind !== 'cs02c-response' || !('csr' in m.body.response)) throw new Error(`no CSR in the device's response (${m.body.kind})`);
    return { csr: m.body.response.csr, response };
  }

  async function certify(csr: Buffer): Promise<Buffer> {
    const res = await fetch(`${h.server.url}/smki/device-csr`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: signDeviceCsrEnvelope({ requester: supplier, csr, deviceId: esme }, xmlSignerOf(h.world, supplier)),
    });
    const text = await res.text();
    expect(res.status, res.headers.get('x-dcc-sim-reason') ?? text).toBe(201);
    return Buffer.from(/<CertificateBody>([^<]+)<\/CertificateBody>/.exec(text)![1]!, 'base64');
  }

  const dsCertKey = () => describeCertificate(h.world.deviceCertificates(esme).dsCertificate.der).publicKey;

  it('refusals change nothing: a party that is not the supplier (E4), an unsigned, altered or foreign-signed pre-command (E100)', async () => {
    const before = snapshot();
    const other = h.world.store.listParties().find((p) => p.dccUser && p.userRoles.includes('IS') && p.eui !== supplier && h.world.currentOrganisationCertificates(p.eui, RemotePartyRole.Supplier).ds)!.eui;
    const byOther = await h.post('serviceT', h.signAs(other, request(other, h.nextCounter(), 'Digital Signature')));
    expect(byOther.code).toBe('E4');
    checkDuisAnswer(h.world, byOther.xml, 'E4');

    const leg1 = await h.post('serviceT', h.signAs(supplier, request(supplier, h.nextCounter(), 'Digital Signature')));
    expect(leg1.code).toBe('I0');
    const r1 = leg1.response;
    if (r1.body.kind !== 'ResponseMessage' || !r1.body.content || !('preCommand' in r1.body.content)) throw new Error('no PreCommand');
    const pre = r1.body.content.preCommand.gbcsPayload;
    const requestId = r1.requestId!.text;
    const unsigned = await h.post('serviceS', h.signAs(supplier, signedLeg(requestId, pre)));
    expect([unsigned.code, unsigned.reason]).toEqual(['E100', expect.stringContaining('carries no signature')]);
    checkDuisAnswer(h.world, unsigned.xml, 'E100');
    const altered = Buffer.from(pre);
    altered[altered.length - 2]! ^= 0x01; // the keyUsage bits
    const alteredAns = await h.post('serviceS', h.signAs(supplier, signedLeg(requestId, signPreCommand(h.world, altered))));
    expect(alteredAns.code).toBe('E100');
    // Signed by the other supplier's DS key: not the originator's.
    const { gbcsSignerOf } = await import('../../src/client.ts');
    const { signApdu } = await import('../../devices/index.ts');
    const foreign = await h.post('serviceS', h.signAs(supplier, signedLeg(requestId, signApdu(pre, gbcsSignerOf(h.world, other, RemotePartyRole.Supplier)))));
    expect([foreign.code, foreign.reason]).toEqual(['E100', expect.stringContaining('does not verify')]);
    expect(snapshot()).toBe(before);
  });

  it('DS: the meter answers a CSR for a new key, signed with its old key; the CSR route certifies it; the meter then signs with the new key', async () => {
    const oldDs = dsCertKey();
    const oldKa = Buffer.from(h.world.deviceKeys(esme).kaKey.point);
    const { csr, response } = await issue('Digital Signature');
    expect(csr).toMatchObject({ deviceEui: esme, keyUsage: 'DS' });
    expect(verifyApduSignature(decodeApdu(response), oldDs)).toBe(true);
    // The new pair is the device's: persisted, derived from the world secret, EUI and generation.
    expect(h.world.store.deviceKeyGenerations(esme)).toEqual({ DS: 1 });
    expect(h.world.deviceKeys(esme).dsKey.point.equals(csr.publicKey)).toBe(true);
    expect(h.world.deviceKey(esme, 'DS', 1).point.equals(csr.publicKey)).toBe(true);
    expect(h.world.deviceKeys(esme).kaKey.point.equals(oldKa)).toBe(true);

    const cert = await certify(csr.der);
    expect(describeCertificate(cert).subjectEui).toBe(esme);
    expect(h.world.deviceCertificates(esme).dsCertificate.der.equals(cert)).toBe(true);

    // A later command: the meter's response now verifies with the new certificate, not the old one.
    const next = await issue('Key Agreement');
    expect(verifyApduSignature(decodeApdu(next.response), describeCertificate(cert).publicKey)).toBe(true);
    expect(verifyApduSignature(decodeApdu(next.response), oldDs)).toBe(false);
    expect(next.csr).toMatchObject({ deviceEui: esme, keyUsage: 'KA' });
    expect(h.world.store.deviceKeyGenerations(esme)).toEqual({ DS: 1, KA: 1 });
    expect(h.world.deviceKeys(esme).kaKey.point.equals(next.csr.publicKey)).toBe(true);
    const kaCert = await certify(next.csr.der);
    expect(h.world.deviceCertificates(esme).kaCertificate.der.equals(kaCert)).toBe(true);
  });

  it('KA: after the new key agreement key, a MAC\'d command (6.24.1, CS02a) still works both ways', async () => {
    expect(h.world.store.deviceKeyGenerations(esme)).toEqual({ DS: 1, KA: 1 });
    const counter = h.nextCounter();
    const ans = await h.post('serviceS', h.signAs(supplier, buildRequest({
      requestId: { originator: supplier, target: esme, counter }, commandVariant: 1,
      body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier'] } as ServiceBody,
    })));
    expect(ans.code, ans.reason ?? '').toBe('I99');
    const rs = await asyncResponses(h.server.url, ans.response.requestId!.text);
    for (const r of rs) checkDuisAnswer(h.world, r.xml);
    expect(rs.map((r) => `${r.kind} ${r.responseCode}`)).toContain('response I0');
  });
});

describe.skipIf(!javaAvailable())('6.17 RTDS template, both legs signed by the DCC signing tool (ZAZ1)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile() });
  });
  afterAll(async () => {
    await h?.close();
    if (h) rmSync(dirname(h.file), { recursive: true, force: true });
  });

  it('CS02c_6.17_SUCCESS: the RTDS pre-command, then the device answers I0 with a CSR like the RTDS response', async () => {
    const ESME = '00DB1234567890A0';
    const rtds = (f: string) => Buffer.from(readFileSync(new URL(`../../../shared/rtds/6.17_CS02c/${f}`, import.meta.url), 'utf8').trim(), 'hex');
    const leg1 = await postRaw(h.server.url, 'serviceT', await signWithTool(rtdsTemplate('CS02c_6.17_SUCCESS_REQUEST_DUIS.XML', 1000n)));
    expect(leg1.code, leg1.reason ?? '').toBe('I0');
    await validateWithTool(leg1.body);
    const r1 = checkDuisAnswer(h.world, leg1.body, 'I0');
    if (r1.body.kind !== 'ResponseMessage' || !r1.body.content || !('preCommand' in r1.body.content)) throw new Error('no PreCommand');
    const pre = r1.body.content.preCommand.gbcsPayload;
    // dcc-sim's pre-command keeps the empty signature length (00) that RTDS leaves off.
    expect(pre.toString('hex')).toBe(`${rtds('CS02c_6.17_SUCCESS_PRECOMMAND_GBCS.HEX').toString('hex')}00`);
    const leg2 = buildRequest({
      requestId: r1.requestId!.text, commandVariant: 5, serviceReference: '6.17', serviceReferenceVariant: '6.17',
      body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(h.world, pre) },
    });
    const ack = await postRaw(h.server.url, 'serviceS', await signWithTool(leg2));
    expect(ack.code, ack.reason ?? '').toBe('I99');
    await validateWithTool(ack.body);
    const rs = await asyncResponses(h.server.url, r1.requestId!.text);
    for (const r of rs) await validateWithTool(r.xml);
    expect(rs.map((r) => `${r.kind} ${r.responseCode}`)).toContain('response I0');
    const gbcs = Buffer.from(/<(?:sr:)?GBCSPayload>([^<]+)</.exec(rs.find((r) => r.kind === 'response')!.xml)![1]!, 'base64');
    const ours = decodeApdu(gbcs);
    const theirs = decodeApdu(rtds('CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX'));
    // The grouping header is the RTDS response's (up to the payload length, 82 01 xx: the CSR's DER signature is
    // 70-72 octets); the key and the signatures are the device's own.
    expect(ours.payloadOffset).toBe(theirs.payloadOffset);
    expect(gbcs.subarray(0, ours.payloadOffset - 2).toString('hex')).toBe(rtds('CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX').subarray(0, theirs.payloadOffset - 2).toString('hex'));
    const m = decodeGbcsMessage(gbcs);
    expect(m.body).toMatchObject({ kind: 'cs02c-response', response: { csr: { deviceEui: ESME, keyUsage: 'DS' } } });
    expect(h.world.store.deviceKeyGenerations(ESME)).toEqual({ DS: 1 });
  });
});
