import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import {
  checkProfile,
  dashedEui,
  describeCertificate,
  deviceSubjectAltNameExtension,
  keyUsageExtension,
  rawPublicKey,
  validatePath,
  type Eui,
} from '../../pki/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { signDeviceCsrEnvelope, buildDeviceCsrEnvelope } from '../../src/smki/index.ts';
import { META } from '../../src/world/world.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { csrPem, deviceCsr, freshKeys } from './csr-helpers.ts';

// MP074 on a real server: device CSRs only over the gateway listener, only from Authorised
// Subscribers for Device Certificates who have completed UEPT, only for devices in the inventory.

const AUTHORISED = '90B3D51F42000001'; // made an Authorised Subscriber for Device Certificates below
const NOT_AUTHORISED = '90B3D51F42000002'; // a DCC User with UEPT, but no device-certificate authorisation
const NO_UEPT = '90B3D51F42000003'; // authorised, but UEPT not completed

interface Answer {
  status: number;
  refusal: string | null;
  reason: string | null;
  text: string;
}

let h: Harness;
let devices: Eui[];

async function post(url: string, body: string | Buffer, o: { contentType?: string; accept?: string } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': o.contentType ?? 'application/xml', ...(o.accept ? { accept: o.accept } : {}) },
    body,
  });
  return { status: res.status, refusal: res.headers.get('x-dcc-sim-refusal'), reason: res.headers.get('x-dcc-sim-reason'), text: await res.text() };
}

const gateway = (body: string | Buffer, o?: { contentType?: string; accept?: string }) => post(`${h.server.url}/smki/device-csr`, body, o);
const signed = (requester: Eui, csr: Buffer | string, deviceId?: Eui) =>
  signDeviceCsrEnvelope({ requester, csr, ...(deviceId ? { deviceId } : {}) }, xmlSignerOf(h.world, requester));
const deviceCertCount = () => h.world.store.searchCertificates({ kind: 'device', limit: 1_000_000 }).length;
const certificateOf = (a: Answer) => Buffer.from(/<CertificateBody>([^<]+)<\/CertificateBody>/.exec(a.text)![1]!, 'base64');

beforeAll(async () => {
  h = await startHarness({ smkiPort: 0 });
  h.world.store.setPartyFlags(AUTHORISED, { deviceSubscriber: true });
  h.world.store.setPartyFlags(NO_UEPT, { deviceSubscriber: true, ueptCompleted: false });
  devices = h.world.store.listDevices({ limit: 6 }).devices.map((d) => d.eui);
});
afterAll(async () => h?.close());

describe('device CSR over the gateway: accepted', () => {
  it('issues a device certificate for a signed CSR from an authorised subscriber: profile, path to the root, stored', async () => {
    const keys = freshKeys();
    const csr = deviceCsr({ eui: devices[0]!, usage: 'DS', keys });
    const before = deviceCertCount();
    const a = await gateway(signed(AUTHORISED, csr, devices[0]));
    expect(a.status, a.reason ?? a.text).toBe(201);
    expect(a.text).toContain(`<DeviceID>${dashedEui(devices[0]!)}</DeviceID>`);
    const der = certificateOf(a);
    const f = describeCertificate(der);
    expect(f.kind).toBe('device');
    expect(f.subjectEui).toBe(devices[0]);
    expect(f.keyUsage).toBe('DS');
    expect(rawPublicKey(f.publicKey).equals(rawPublicKey(keys.publicKey))).toBe(true);
    expect(f.subjectDn).toBe('');
    expect(f.notAfter.toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(checkProfile(der, { kind: 'device', keyUsage: 'DS', eui: devices[0]! })).toEqual([]);

    const root = h.world.certificate(Number(h.world.meta(META.rootCertificateId))).der;
    const dca = h.world.certificate(Number(h.world.meta(META.deviceCaId))).der;
    const path = validatePath(der, [dca], [root], { at: h.server.dcc.clock.now() });
    expect(path.ok, path.reason).toBe(true);
    expect(path.chain!.map((c) => c.kind)).toEqual(['device', 'device-ca', 'root']);
    // …and not to anything else: the organisation CA did not issue it.
    const oca = h.world.certificate(Number(h.world.meta(META.issuingCaId))).der;
    expect(validatePath(der, [oca], [root], { at: null }).ok).toBe(false);

    const stored = h.world.store.getCertificateByFingerprint(f.fingerprint);
    expect(stored?.kind).toBe('device');
    expect(stored?.subjectEui).toBe(devices[0]);
    expect(deviceCertCount()).toBe(before + 1);
  });

  it('takes a PEM CSR, answers JSON on request, and a KA CSR gives a KA certificate', async () => {
    const csr = deviceCsr({ eui: devices[1]!, usage: 'KA' });
    const a = await gateway(signed(AUTHORISED, csrPem(csr)), { accept: 'application/json' });
    expect(a.status, a.text).toBe(201);
    const body = JSON.parse(a.text) as { deviceId: string; keyUsage: string; serial: string; pem: string; existing: boolean };
    expect(body).toMatchObject({ deviceId: dashedEui(devices[1]!), keyUsage: 'KA', existing: false });
    const der = Buffer.from(body.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(checkProfile(der, { kind: 'device', keyUsage: 'KA', eui: devices[1]! })).toEqual([]);
    expect(describeCertificate(der).serialHex).toBe(body.serial);
  });

  it('the same CSR sent again returns the certificate already issued (a replay mints nothing)', async () => {
    const csr = deviceCsr({ eui: devices[2]!, usage: 'DS' });
    const first = await gateway(signed(AUTHORISED, csr));
    expect(first.status, first.text).toBe(201);
    const count = deviceCertCount();
    const again = await gateway(signed(AUTHORISED, csr));
    expect(again.status).toBe(200);
    expect(again.text).toContain('<Existing>true</Existing>');
    expect(certificateOf(again).equals(certificateOf(first))).toBe(true);
    expect(deviceCertCount()).toBe(count);
  });

  it('accepts a CSR made by a third-party library (@peculiar/x509)', async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const ku = keyUsageExtension('KA');
    const san = deviceSubjectAltNameExtension(devices[3]!);
    const req = await x509.Pkcs10CertificateRequestGenerator.create({
      keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
      signingAlgorithm: alg,
      extensions: [new x509.Extension(ku.oid, true, new Uint8Array(ku.valueDer)), new x509.Extension(san.oid, true, new Uint8Array(san.valueDer))],
    });
    const a = await gateway(signed(AUTHORISED, req.toString('pem')));
    expect(a.status, a.reason ?? a.text).toBe(201);
    const f = describeCertificate(certificateOf(a));
    expect(f.subjectEui).toBe(devices[3]);
    expect(f.keyUsage).toBe('KA');
  });
});

describe('device CSR: MP074 refusals, each with its reason, none issuing anything', () => {
  let before: number;
  beforeAll(() => {
    before = deviceCertCount();
  });
  afterAll(() => {
    expect(deviceCertCount()).toBe(before);
  });

  const csrFor = (eui: Eui = devices[4]!) => deviceCsr({ eui, usage: 'DS' });

  it('refuses a requester that is not an Authorised Subscriber for Device Certificates', async () => {
    const a = await gateway(signed(NOT_AUTHORISED, csrFor()));
    expect(a.status).toBe(403);
    expect(a.refusal).toBe('not-authorised-subscriber');
    expect(a.reason).toMatch(/not an Authorised Subscriber for Device Certificates/);
    expect(a.text).toContain('<Refusal>not-authorised-subscriber</Refusal>');
  });

  it('refuses an authorised subscriber that has not completed UEPT', async () => {
    const a = await gateway(signed(NO_UEPT, csrFor()));
    expect(a.status).toBe(403);
    expect(a.refusal).toBe('uept-not-completed');
    expect(a.reason).toMatch(/User Entry Process Tests/);
  });

  it('refuses the very same (valid) request on the SMKI portal interface, citing MP074', async () => {
    const body = signed(AUTHORISED, csrFor());
    const a = await post(`${h.server.smkiUrl}/smki/device-csr`, body);
    expect(a.status).toBe(403);
    expect(a.refusal).toBe('wrong-interface');
    expect(a.reason).toMatch(/MP074/);
    expect(a.reason).toMatch(/DCC Gateway/);
    // the control: the gateway accepts it
    const ok = await gateway(body);
    expect(ok.status, ok.text).toBe(201);
    before += 1;
  });

  it('refuses a CSR for a device that is not in the inventory', async () => {
    const a = await gateway(signed(AUTHORISED, csrFor('00DB000000000999')));
    expect(a.status).toBe(422);
    expect(a.refusal).toBe('unknown-device');
    expect(a.reason).toMatch(/00-DB-00-00-00-00-09-99.*not in the smart metering inventory/);
  });

  it('refuses a CSR naming an EUI that is a party, not a device', async () => {
    const a = await gateway(signed(AUTHORISED, csrFor(NOT_AUTHORISED)));
    expect(a.status).toBe(422);
    expect(a.refusal).toBe('not-a-device');
    expect(a.reason).toMatch(/a party, not a device/);
  });

  it('refuses a CSR whose self-signature does not verify', async () => {
    const a = await gateway(signed(AUTHORISED, deviceCsr({ eui: devices[4]!, usage: 'DS', signWith: freshKeys().privateKey })));
    expect(a.status).toBe(422);
    expect(a.refusal).toBe('csr-signature');
    expect(a.reason).toMatch(/self-signature does not verify/);
  });

  it('refuses a CSR that is not a device CSR: a subject, no hardwareModuleName, a non-critical SAN', async () => {
    for (const spec of [{ subjectCn: 'GITTESTSUPPLIER' }, { noSan: true }, { sanNotCritical: true }]) {
      const a = await gateway(signed(AUTHORISED, deviceCsr({ eui: devices[4]!, usage: 'DS', ...spec })));
      expect(a.status, JSON.stringify(spec)).toBe(422);
      expect(a.refusal).toBe('csr-profile');
    }
  });

  it('refuses garbage in the CSR element', async () => {
    const a = await gateway(signed(AUTHORISED, Buffer.from('not a certificate request')));
    expect(a.status).toBe(422);
    expect(a.refusal).toBe('bad-csr');
  });

  it('refuses a DeviceID that is not the device the CSR names', async () => {
    const a = await gateway(signed(AUTHORISED, csrFor(devices[4]), devices[5]));
    expect(a.status).toBe(422);
    expect(a.refusal).toBe('device-mismatch');
  });

  it('refuses a bare CSR and an unsigned envelope: only a signed request from a known party acts', async () => {
    const bare = await gateway(csrFor(), { contentType: 'application/pkcs10' });
    expect(bare.status).toBe(401);
    expect(bare.refusal).toBe('unsigned');
    const unsigned = await gateway(buildDeviceCsrEnvelope({ requester: AUTHORISED, csr: csrFor() }));
    expect(unsigned.status).toBe(401);
    expect(unsigned.refusal).toBe('unsigned');
  });

  it('refuses an envelope signed with another party\'s key, or altered after signing', async () => {
    const csr = csrFor();
    const forged = signDeviceCsrEnvelope({ requester: AUTHORISED, csr }, xmlSignerOf(h.world, NOT_AUTHORISED));
    const a = await gateway(forged);
    expect(a.status).toBe(401);
    expect(a.refusal).toBe('unknown-signer');
    const good = signed(AUTHORISED, csr);
    const altered = good.replace(`<Requester>${dashedEui(AUTHORISED)}</Requester>`, `<Requester>${dashedEui(AUTHORISED)}</Requester><DeviceID>${dashedEui(devices[4]!)}</DeviceID>`);
    expect(altered).not.toBe(good);
    const b = await gateway(altered);
    expect(b.status).toBe(401);
    expect(b.refusal).toBe('bad-signature');
  });
});

describe('the command line', () => {
  it('certs request-device signs a CSR file as the party and prints the device certificate; refusals exit non-zero with the reason', async () => {
    const { runCliAsync } = await import('../helpers/world-cli.ts');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'dcc-sim-csr-'));
    const csrFile = join(dir, 'device.csr');
    writeFileSync(csrFile, csrPem(deviceCsr({ eui: devices[5]!, usage: 'KA' })));
    const [ok, refused] = await Promise.all([
      runCliAsync(['certs', 'request-device', csrFile, '--db', h.file, '--as', dashedEui(AUTHORISED), '--url', h.server.url, '--json']),
      runCliAsync(['certs', 'request-device', csrFile, '--db', h.file, '--as', dashedEui(AUTHORISED), '--url', h.server.smkiUrl!]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const answer = JSON.parse(ok.stdout) as { deviceId: string; keyUsage: string; pem: string };
    expect(answer).toMatchObject({ deviceId: dashedEui(devices[5]!), keyUsage: 'KA' });
    expect(describeCertificate(Buffer.from(answer.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).subjectEui).toBe(devices[5]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/wrong-interface.*MP074/);
  });
});

describe('parties set (CLI) toggles the MP074 flags', () => {
  it('sets and clears --device-subscriber and --uept, and refuses a bad value', async () => {
    const { runCli, runCliAsync } = await import('../helpers/world-cli.ts');
    const { demoWorldFile } = await import('../helpers/gateway.ts');
    const { World } = await import('../../src/world/world.ts');
    const file = demoWorldFile();
    // the two refusals change nothing, so they run beside the first change
    const [on, bad, unknown] = await Promise.all([
      runCliAsync(['parties', 'set', dashedEui(NOT_AUTHORISED), '--db', file, '--device-subscriber', 'true', '--uept', 'false', '--json']),
      runCliAsync(['parties', 'set', NOT_AUTHORISED, '--db', file, '--uept', 'maybe']),
      runCliAsync(['parties', 'set', '00-00-00-00-00-00-00-01', '--db', file, '--uept', 'true']),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--uept takes true or false/);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no party/);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ deviceSubscriber: true, ueptCompleted: false });
    let w = World.open(file);
    expect(w.store.getParty(NOT_AUTHORISED)).toMatchObject({ deviceSubscriber: true, ueptCompleted: false });
    w.close();
    const off = runCli(['parties', 'set', NOT_AUTHORISED, '--db', file, '--device-subscriber', 'no', '--uept', 'yes']);
    expect(off.code, off.stderr).toBe(0);
    w = World.open(file);
    expect(w.store.getParty(NOT_AUTHORISED)).toMatchObject({ deviceSubscriber: false, ueptCompleted: true });
    w.close();
  });
});
