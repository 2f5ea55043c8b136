import 'reflect-metadata';
import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query as boxedQuery, search as boxedSearch } from '@smartdcc/dccboxed-keystore/dist/certificateSearch.js';
import { BoxedKeyStore, KeyUsage } from '@smartdcc/dccboxed-keystore';
import { certificateFromPem, dashedEui, describeCertificate, type Eui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';

// The SMKI portal interface on its own listener: organisation and CA certificates in DCC Boxed's
// XML shape (checked with DCC Boxed's own client library) and as JSON; device certificates never (MP074).

const SUPPLIER = '90B3D51F42000001';

let h: Harness;
let device: Eui;
let deviceSerial: string;
let deviceSki: string;

interface Answer {
  status: number;
  refusal: string | null;
  reason: string | null;
  contentType: string | null;
  text: string;
}

async function portal(path: string, body?: string): Promise<Answer> {
  const res = await fetch(`${h.server.smkiUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/xml' }, body });
  return { status: res.status, refusal: res.headers.get('x-dcc-sim-refusal'), reason: res.headers.get('x-dcc-sim-reason'), contentType: res.headers.get('content-type'), text: await res.text() };
}

const search = (fields: Record<string, string>) =>
  portal('/services/certificatesearch', `<?xml version="1.0" encoding="utf-8"?><CertificateSearchRequest>${Object.entries(fields).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</CertificateSearchRequest>`);
const retrieve = (serial: string) =>
  portal('/services/retrievecertificate', `<?xml version="1.0" encoding="utf-8"?><CertificateDataRequest><CertificateSerial>${serial}</CertificateSerial></CertificateDataRequest>`);
const all = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
const hostPort = () => new URL(h.server.smkiUrl!).host;

beforeAll(async () => {
  h = await startHarness({ smkiPort: 0 });
  // device certificates exist in the repository (issued when the emulator first needs them)
  device = h.world.store.listDevices({ type: 'ESME', limit: 1 }).devices[0]!.eui;
  const creds = h.world.deviceCredentials(device);
  deviceSerial = creds.dsCertificate.serialHex;
  deviceSki = creds.dsCertificate.ski;
});
afterAll(async () => h?.close());

describe('SMKI portal: DCC Boxed XML', () => {
  it('is a listener of its own: no DUIS there, no portal on the gateway', async () => {
    expect(h.server.smkiUrl).toBeDefined();
    expect(h.server.smkiUrl).not.toBe(h.server.url);
    expect((await portal('/api/v1/serviceS', '<x/>')).status).toBe(404);
    const onGateway = await fetch(`${h.server.url}/services/certificatesearch`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<CertificateSearchRequest/>' });
    expect(onGateway.status).toBe(404);
  });

  it('searches by CertificateSubjectName and retrieves each certificate by serial', async () => {
    const a = await search({ CertificateSubjectName: dashedEui(SUPPLIER) });
    expect(a.status, a.text).toBe(200);
    expect(a.contentType).toMatch(/^application\/xml/);
    expect(a.text).toMatch(/^<\?xml[^>]*\?><CertificateSearchResponse><ResponseCode>200<\/ResponseCode><ResponseMessage>Success<\/ResponseMessage><AuditReference>[^<]+<\/AuditReference><Result>/);
    const serials = all(a.text, 'CertificateSerial');
    const repo = h.world.store.searchCertificates({ eui: SUPPLIER });
    expect(new Set(serials)).toEqual(new Set(repo.map((c) => c.serialHex)));
    expect(new Set(all(a.text, 'CertificateSubjectName'))).toEqual(new Set([dashedEui(SUPPLIER)]));
    expect(new Set(all(a.text, 'CertificateRole'))).toEqual(new Set(['2', '135']));
    expect(new Set(all(a.text, 'CertificateStatus'))).toEqual(new Set(['I']));
    for (const c of repo) {
      const r = await retrieve(c.serialHex);
      expect(r.status).toBe(200);
      expect(Buffer.from(all(r.text, 'CertificateBody')[0]!, 'base64').equals(c.der)).toBe(true);
      expect(all(r.text, 'CertificateUsage')[0]).toBe(c.keyUsage);
    }
  });

  it("works with DCC Boxed's own client (@smartdcc/dccboxed-keystore): search, retrieve, keystore lookup by serial", async () => {
    const found = await boxedSearch(
      { q: { CertificateSubjectName: dashedEui(SUPPLIER) }, CertificateRole: '2', CertificateUsage: 'DS', CertificateStatus: 'I' } as unknown as Parameters<typeof boxedSearch>[0],
      hostPort(),
    );
    const expected = h.world.store.searchCertificates({ eui: SUPPLIER, role: 2, keyUsage: 'DS', kind: 'organisation' });
    expect(found.length).toBe(expected.length);
    expect(found.length).toBeGreaterThan(0);
    for (const r of found) {
      expect(r.meta.eui.toString().toUpperCase().replace(/[^0-9A-F]/g, '')).toBe(SUPPLIER);
      expect(r.meta.role).toBe(2);
      expect(expected.map((c) => c.serialHex)).toContain(r.x509.serialNumber.toUpperCase().replace(/^0+(?=..)/, ''));
    }
    const one = await boxedQuery(expected[0]!.serialHex, hostPort());
    expect(one?.x509.raw.equals(expected[0]!.der)).toBe(true);

    const ks = await BoxedKeyStore.new(hostPort());
    try {
      const byKeystore = await ks.query({ serial: BigInt(`0x${expected[0]!.serialHex}`), lookup: 'certificate' });
      expect(byKeystore?.certificate.raw.equals(expected[0]!.der)).toBe(true);
      // BoxedKeyStore looks EUIs up as device certificates (CertificateSubjectAltName): the portal says no.
      await expect(ks.query({ eui: device, keyUsage: KeyUsage.digitalSignature, lookup: 'certificate' })).rejects.toThrow(/403/);
    } finally {
      await ks.cleanup();
    }
  });

  it('answers 402 when nothing matches and 401 for invalid search parameters', async () => {
    expect((await search({ CertificateSubjectName: dashedEui(SUPPLIER), CertificateRole: '3' })).status).toBe(402);
    expect((await retrieve('1234ABCD')).status).toBe(402);
    for (const bad of [
      '<CertificateSearchRequest></CertificateSearchRequest>',
      '<CertificateSearchRequest><CertificateSubjectName>not-an-eui</CertificateSubjectName></CertificateSearchRequest>',
      '<CertificateSearchRequest><Colour>red</Colour></CertificateSearchRequest>',
      '<!DOCTYPE x [<!ENTITY a "b">]><CertificateSearchRequest><CertificateSubjectName>&a;</CertificateSubjectName></CertificateSearchRequest>',
      '<CertificateSearchRequest><CertificateSubjectName>',
    ]) {
      const a = await portal('/services/certificatesearch', bad);
      expect(a.status, bad).toBe(401);
      expect(a.text).toContain('<ResponseCode>401</ResponseCode>');
    }
  });

  it('finds CA certificates by role (root 0, issuing CA 7)', async () => {
    const a = await search({ CertificateRole: '7' });
    expect(a.status).toBe(200);
    const [serial] = all(a.text, 'CertificateSerial');
    const der = Buffer.from(all((await retrieve(serial!)).text, 'CertificateBody')[0]!, 'base64');
    expect(describeCertificate(der).kind).toBe('issuing-ca');
  });
});

describe('SMKI portal: MP074, no device certificates', () => {
  const mp074 = (a: Answer) => {
    expect(a.status, a.text).toBe(403);
    expect(a.refusal).toBe('wrong-interface');
    expect(a.reason).toMatch(/MP074/);
  };

  it('refuses a search by CertificateSubjectAltName, by a device EUI as subject, and a device serial', async () => {
    const byAltName = await search({ CertificateSubjectAltName: dashedEui(device) });
    mp074(byAltName);
    expect(byAltName.text).toContain('<ResponseCode>403</ResponseCode>');
    expect(all(byAltName.text, 'ResponseMessage')[0]).toMatch(/MP074.*DCC Gateway/);
    mp074(await search({ CertificateSubjectName: dashedEui(device) }));
    mp074(await search({ CertificateSerial: deviceSerial }));
    mp074(await retrieve(deviceSerial));
  });

  it('refuses the JSON forms too', async () => {
    mp074(await portal(`/api/certificates?deviceEui=${dashedEui(device)}`));
    mp074(await portal(`/api/certificates?eui=${device}`));
    mp074(await portal('/api/certificates?kind=device'));
    mp074(await portal(`/api/certificates?ski=${deviceSki}`));
    mp074(await portal(`/api/certificates/${deviceSerial}`));
    mp074(await portal(`/api/certificates/${deviceSerial}?format=pem`));
  });

  it('scopes broad searches to organisation and CA certificates', async () => {
    expect(h.world.store.searchCertificates({ kind: 'device', keyUsage: 'DS', limit: 1 }).length).toBe(1);
    const a = await portal('/api/certificates?usage=DS&limit=1000');
    expect(a.status).toBe(200);
    const list = JSON.parse(a.text) as { kind: string; keyUsage: string }[];
    expect(list.length).toBeGreaterThan(5);
    expect(list.every((c) => c.kind !== 'device' && c.keyUsage === 'DS')).toBe(true);
  });

  it('serves organisation certificates as JSON, PEM and DER', async () => {
    const c = h.world.store.searchCertificates({ eui: SUPPLIER, kind: 'organisation', keyUsage: 'KA' })[0]!;
    const json = JSON.parse((await portal(`/api/certificates/${c.serialHex}`)).text) as { subjectEui: string; status: string; pem: string };
    expect(json).toMatchObject({ subjectEui: dashedEui(SUPPLIER), status: 'I' });
    expect(certificateFromPem(json.pem).equals(c.der)).toBe(true);
    const pem = await portal(`/api/certificates/${c.serialDecimal}?format=pem`);
    expect(certificateFromPem(pem.text).equals(c.der)).toBe(true);
    const der = await fetch(`${h.server.smkiUrl}/api/certificates/${c.serialHex}?format=der`);
    expect(der.headers.get('content-type')).toBe('application/pkix-cert');
    expect(Buffer.from(await der.arrayBuffer()).equals(c.der)).toBe(true);
  });

  it('org-certs.zip holds every organisation and CA certificate and no device certificate', async () => {
    const res = await fetch(`${h.server.smkiUrl}/org-certs.zip`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const entries = readZip(Buffer.from(await res.arrayBuffer()));
    const pems = entries.filter((e) => e.name.endsWith('.pem'));
    const kinds = pems.map((e) => describeCertificate(certificateFromPem(e.data.toString('latin1'))).kind);
    expect(kinds).not.toContain('device');
    expect(new Set(kinds)).toEqual(new Set(['organisation', 'xml-signing', 'root', 'issuing-ca', 'device-ca']));
    const served = h.world.store.searchCertificates({ limit: 1_000_000 }).filter((c) => c.kind !== 'device' && c.revokedAt === null);
    expect(pems.length).toBe(served.length);
    const manifest = JSON.parse(entries.find((e) => e.name === 'org-certs/manifest.json')!.data.toString('utf8')) as { file: string }[];
    expect(manifest.map((m) => m.file).sort()).toEqual(pems.map((e) => e.name).sort());
  });
});

/** Reads a ZIP's local entries (deflate or stored) and checks each CRC. */
function readZip(zip: Buffer): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const crc = zip.readUInt32LE(at + 14);
    const packed = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extra = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 30, at + 30 + nameLength);
    const start = at + 30 + nameLength + extra;
    const raw = zip.subarray(start, start + packed);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    expect(crc32(data) >>> 0, name).toBe(crc);
    out.push({ name, data });
    at = start + packed;
  }
  expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
  expect(zip.readUInt16LE(zip.length - 12)).toBe(out.length);
  return out;
}
