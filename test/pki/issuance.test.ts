import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildCertificate, certificateFromPem, certificateToPem, checkProfile, keyUsageExtension, createRootCa, describeCertificate, deriveKeyPair, deviceSubjectAltNameExtension,
  issueDeviceCa, issueDeviceCertificate, issueIssuingCa, issueOrganisationCertificate, PkiError, rawPublicKey, RemotePartyRole, SMKI_TEST_POLICY_OID, smkiKeyIdentifier,
  validatePath, verifyIssuedBy,
} from '../../pki/index.ts';
import { DEVICE_EUI, makeTestPki, NO_EUI, NOW, SEED, T0, templateCertificates } from './fixtures.ts';

const pki = makeTestPki();
const rawPublicKeyHex = (k: Parameters<typeof rawPublicKey>[0]): string => rawPublicKey(k).toString('hex');
const tmp = mkdtempSync(path.join(tmpdir(), 'dcc-sim-pki-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

function writePem(name: string, der: Uint8Array): string {
  writeFileSync(path.join(tmp, name), certificateToPem(der));
  return name;
}

describe('issued certificates follow their SMKI profiles', () => {
  const cases = [
    ['root', pki.root.certificate, { kind: 'root' as const, role: 0 }],
    ['issuing CA', pki.oca.certificate, { kind: 'issuing-ca' as const, role: 7 }],
    ['device CA', pki.dca.certificate, { kind: 'device-ca' as const }],
    ['network operator DS', pki.noDs, { kind: 'organisation' as const, role: 3, keyUsage: 'DS' as const, eui: NO_EUI }],
    ['network operator KA', pki.noKa, { kind: 'organisation' as const, role: 3, keyUsage: 'KA' as const, eui: NO_EUI }],
    ['XML signing', pki.xmlSign, { kind: 'xml-signing' as const, role: 0x87, keyUsage: 'DS' as const, eui: NO_EUI }],
    ['device DS', pki.deviceDs, { kind: 'device' as const, keyUsage: 'DS' as const, eui: DEVICE_EUI }],
  ] as const;

  it.each(cases)('%s passes checkProfile and is described as that kind', (_name, der, expectation) => {
    expect(checkProfile(der, expectation)).toEqual([]);
    expect(describeCertificate(der).kind).toBe(expectation.kind);
  });

  it('org, xml-signing and device leaves chain to the root through their CA', () => {
    for (const [leaf, ca] of [[pki.noDs, pki.oca], [pki.noKa, pki.oca], [pki.xmlSign, pki.oca], [pki.deviceDs, pki.dca]] as const) {
      const r = validatePath(leaf, [ca.certificate], [pki.root.certificate], { at: NOW });
      expect(r).toMatchObject({ ok: true });
      expect(r.chain!.map((c) => c.kind)).toEqual([describeCertificate(leaf).kind, ca.facts.kind, 'root']);
      expect(verifyIssuedBy(describeCertificate(leaf), ca.facts)).toBe(true);
      expect(verifyIssuedBy(describeCertificate(leaf), pki.root.facts)).toBe(false);
    }
  });

  it.each([
    ['organisation', () => pki.noDs, () => pki.oca.certificate],
    ['xml-signing', () => pki.xmlSign, () => pki.oca.certificate],
    ['device', () => pki.deviceDs, () => pki.dca.certificate],
  ])('openssl verify -x509_strict accepts the %s chain (with the SMKI policy required)', (name, leaf, ca) => {
    const root = writePem('root.pem', pki.root.certificate);
    const caFile = writePem(`${name}-ca.pem`, ca());
    const leafFile = writePem(`${name}.pem`, leaf());
    const plain = openssl(['verify', '-x509_strict', '-CAfile', root, '-untrusted', caFile, leafFile]);
    expect(plain.out).toContain(`${leafFile}: OK`);
    expect(plain.ok).toBe(true);
    const policy = openssl(['verify', '-x509_strict', '-policy_check', '-explicit_policy', '-policy', SMKI_TEST_POLICY_OID, '-CAfile', root, '-untrusted', caFile, leafFile]);
    expect(policy.ok).toBe(true);
    // and openssl does notice when the anchor is a different root
    const other = makeTestPki(Buffer.from('another world'));
    const wrongRoot = writePem('other-root.pem', other.root.certificate);
    expect(openssl(['verify', '-x509_strict', '-CAfile', wrongRoot, '-untrusted', caFile, leafFile]).ok).toBe(false);
  });
});

describe('issued certificates match the ZAZ1 layout byte for byte', () => {
  it('org certificate: 16-byte positive serial, names, extension order and encodings as ZAZ1', () => {
    const f = describeCertificate(pki.noDs);
    expect(f.serialHex).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(f.serialHex.startsWith('00')).toBe(false);
    expect(BigInt(`0x${f.serialHex}`).toString()).toBe(f.serialDecimal);
    expect(f.subjectDn).toBe('x500UniqueIdentifier=#03090090B3D51F30020000,OU=03');
    expect(f.issuerDn).toBe('CN=X1,OU=07');
    expect(f.extensions.map((e) => `${e.oid}${e.critical ? '!' : ''}`)).toEqual(['2.5.29.15!', '2.5.29.14', '2.5.29.32!', '2.5.29.35']);
    expect(f.extensions[0]!.valueDer.toString('hex')).toBe('03020780');
    expect(describeCertificate(pki.noKa).extensions[0]!.valueDer.toString('hex')).toBe('03020308');
    expect(f.extensions[2]!.valueDer.toString('hex')).toBe('3011300f060d2a863a0001848fb90f01020104');
    expect(f.ski).toBe(smkiKeyIdentifier(pki.keys('no-ds').publicKey).toString('hex').toUpperCase());
    expect(f.aki).toBe(pki.oca.facts.ski);
    // the OU is UTF8String and the EUI a 64-bit BIT STRING, as in the ZAZ1 org certs
    expect(pki.noDs.includes(Buffer.from('0c023033', 'hex'))).toBe(true);
    expect(pki.noDs.includes(Buffer.from('060355042d03090090b3d51f30020000', 'hex'))).toBe(true);
    // issuer bytes are the OCA subject bytes (PrintableString OU then CN)
    expect(f.issuerNameDer.equals(pki.oca.facts.subjectNameDer)).toBe(true);
    expect(f.issuerNameDer.toString('hex')).toBe('301a310b3009060355040b13023037310b3009060355040313025831');
  });

  it('issuing CA: OU=07 then CN as PrintableString, KU!, BC! pathLen 0, CP!, SKI, AKI as Z1', () => {
    const z1 = templateCertificates('CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML', 'Certificate')[0]!;
    const ours = describeCertificate(pki.oca.certificate);
    const theirs = describeCertificate(z1);
    expect(ours.extensions.map((e) => [e.oid, e.critical])).toEqual(theirs.extensions.map((e) => [e.oid, e.critical]));
    expect(ours.extensions.slice(0, 3).map((e) => e.valueDer.toString('hex'))).toEqual(theirs.extensions.slice(0, 3).map((e) => e.valueDer.toString('hex')));
    expect(ours.subjectDn).toBe('CN=X1,OU=07');
    expect(ours.subjectNameDer.toString('hex')).toBe('301a310b3009060355040b13023037310b3009060355040313025831');
    expect(ours.issuerNameDer.toString('hex')).toBe('301a310b3009060355040b13023030310b3009060355040313025841');
    expect(ours.basicConstraints).toEqual({ ca: true, pathLen: 0, critical: true });
    expect(describeCertificate(pki.root.certificate).aki).toBeNull();
  });

  it('device certificate: empty subject, 99991231235959Z, SAN byte-identical to the CS02d template', () => {
    const template = describeCertificate(templateCertificates('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', 'DeviceCertificate')[0]!);
    expect(template.subjectEui).toBe('00DB1234567890A0');
    const templateSan = template.extensions.find((e) => e.oid === '2.5.29.17')!;
    expect(Buffer.from(deviceSubjectAltNameExtension('00DB1234567890A0').valueDer).equals(templateSan.valueDer)).toBe(true);
    const f = describeCertificate(pki.deviceDs);
    expect(f.subjectDn).toBe('');
    expect(f.subjectEui).toBe(DEVICE_EUI);
    expect(f.role).toBeNull();
    expect(f.extensions.map((e) => `${e.oid}${e.critical ? '!' : ''}`)).toEqual(template.extensions.map((e) => `${e.oid}${e.critical ? '!' : ''}`));
    expect(f.notAfter.toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(pki.deviceDs.includes(Buffer.from('180f39393939313233313233353935395a', 'hex'))).toBe(true);
    expect(pki.deviceDs.includes(Buffer.from('170d3234303130313030303030305a', 'hex'))).toBe(true); // UTCTime notBefore
  });

  it('switches validity to GeneralizedTime from 2050 (RFC 5280)', () => {
    const f = describeCertificate(pki.root.certificate); // notAfter 2074
    expect(f.notAfter.toISOString()).toBe('2074-01-01T00:00:00.000Z');
    expect(pki.root.certificate.includes(Buffer.from('180f32303734303130313030303030305a', 'hex'))).toBe(true);
    expect(pki.oca.certificate.includes(Buffer.from('170d3439313233313233353935395a', 'hex'))).toBe(true); // 2049 stays UTCTime
  });
});

/** The tbsCertificate TLV of a certificate (outer SEQUENCE, then the first element). */
function tbsOf(der: Buffer): Buffer {
  const headerLength = (at: number): [number, number] => {
    const first = der[at + 1]!;
    if (first < 0x80) return [2, first];
    const n = first & 0x7f;
    return [2 + n, der.subarray(at + 2, at + 2 + n).reduce((a, b) => a * 256 + b, 0)];
  };
  const [outer] = headerLength(0);
  const [h, len] = headerLength(outer);
  return der.subarray(outer, outer + h + len);
}

/** Our TBS with the fields that must differ (serial, issuer key id) swapped for the real certificate's. */
function alignedTbs(ours: Buffer, real: Buffer): Buffer {
  const o = describeCertificate(ours);
  const r = describeCertificate(real);
  const hex = tbsOf(ours).toString('hex').replace(o.serialHex.toLowerCase(), r.serialHex.toLowerCase()).replace(o.aki!.toLowerCase(), r.aki!.toLowerCase());
  return Buffer.from(hex, 'hex');
}

describe('issuance reproduces real SMKI certificates byte for byte (all but serial, issuer key id and signature)', () => {
  const zaz1Root = createRootCa({ commonName: 'ZA', keyPair: deriveKeyPair(SEED, 'ZA'), notBefore: T0, notAfter: new Date('2060-01-01T00:00:00Z') });
  const z1 = issueIssuingCa(zaz1Root, { commonName: 'Z1', keyPair: deriveKeyPair(SEED, 'Z1'), notBefore: new Date('2015-10-29T00:00:00Z'), notAfter: new Date('2040-10-28T23:59:59Z') });

  it('the Z1 organisation CA certificate', () => {
    const real = templateCertificates('CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML', 'Certificate')[0]!;
    // the SKI is a function of the key, so swap it as well
    const ours = alignedTbs(z1.certificate, real).toString('hex').replace(z1.facts.ski.toLowerCase(), describeCertificate(real).ski.toLowerCase());
    const realTbs = tbsOf(real).toString('hex');
    const realKey = describeCertificate(real).publicKey;
    expect(ours.replace(rawPublicKeyHex(z1.facts.publicKey), rawPublicKeyHex(realKey))).toBe(realTbs);
  });

  it('the 2025 network operator DS and the supplier DS with its CN', () => {
    for (const [file, commonName, eui, role] of [
      ['CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML', undefined, '90B3D51F30020000', RemotePartyRole.NetworkOperator],
      ['CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'GITTESTSUPPLIER', '90B3D51F30010000', RemotePartyRole.Supplier],
    ] as const) {
      const real = templateCertificates(file, 'DigitalSigningCertificate')[0]!;
      const f = describeCertificate(real);
      const ours = issueOrganisationCertificate(z1, {
        eui, role, keyUsage: 'DS', publicKey: f.publicKey, notBefore: f.notBefore, notAfter: f.notAfter, ...(commonName ? { commonName } : {}),
      });
      expect(alignedTbs(ours, real).toString('hex')).toBe(tbsOf(real).toString('hex'));
    }
  });

  it('the CS02d device certificate (issuer CN=E357, its RTDS policy)', () => {
    const real = templateCertificates('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', 'DeviceCertificate')[0]!;
    const f = describeCertificate(real);
    const e357 = issueDeviceCa(zaz1Root, { commonName: 'E357', keyPair: deriveKeyPair(SEED, 'E357'), notBefore: T0, notAfter: new Date('2060-01-01T00:00:00Z') });
    const ours = issueDeviceCertificate(e357, { deviceEui: f.subjectEui!, keyUsage: 'DS', publicKey: f.publicKey, notBefore: f.notBefore, policyOid: f.policyOids[0]! });
    expect(alignedTbs(ours, real).toString('hex')).toBe(tbsOf(real).toString('hex'));
  });
});

describe('deterministic issuance', () => {
  it('a world seeded twice is byte-identical, a different seed is not', () => {
    const again = makeTestPki(SEED);
    for (const k of ['noDs', 'noKa', 'xmlSign', 'deviceDs'] as const) expect(again[k].equals(pki[k])).toBe(true);
    expect(again.root.certificate.equals(pki.root.certificate)).toBe(true);
    expect(makeTestPki(Buffer.from('other')).noDs.equals(pki.noDs)).toBe(false);
  });

  it('certificate signatures are RFC 6979 exactly as @noble/curves p256 makes them', () => {
    for (let i = 0; i < 40; i++) {
      const signer = deriveKeyPair(SEED, `signer ${i}`);
      const der = buildCertificate({
        issuer: [{ type: 'CN', value: `CA ${i}`, encoding: 'printable' }],
        subject: [{ type: 'CN', value: `subject ${'x'.repeat(i)}`, encoding: 'utf8' }],
        notBefore: T0,
        notAfter: new Date('2030-01-01T00:00:00Z'),
        publicKey: pki.keys(`subject ${i}`).publicKey,
        extensions: [keyUsageExtension('DS')],
        signingKey: signer.privateKey,
      });
      const tbs = tbsOf(der);
      const tail = der.subarray(der.indexOf(tbs) + tbs.length);
      expect(tail.subarray(0, 12).toString('hex')).toBe('300a06082a8648ce3d040302'); // ecdsa-with-SHA256, no parameters
      expect(tail[12]).toBe(0x03); // BIT STRING
      const signature = tail.subarray(15);
      const scalar = Buffer.from(signer.privateKey.export({ format: 'jwk' }).d!, 'base64url');
      expect(signature.toString('hex')).toBe(Buffer.from(p256.sign(tbs, scalar, { format: 'der' })).toString('hex'));
    }
  });

  it('serials differ between certificates of the same CA', () => {
    const serials = new Set([pki.noDs, pki.noKa, pki.xmlSign].map((d) => describeCertificate(d).serialHex));
    expect(serials.size).toBe(3);
  });
});

describe('issuance refuses what the profiles forbid', () => {
  it('a role/usage pair the role table does not allow, a CA role, a KA XML-signing cert', () => {
    const base = { eui: NO_EUI, publicKey: pki.keys('x').publicKey, notBefore: T0, notAfter: new Date('2030-01-01T00:00:00Z') };
    expect(() => issueOrganisationCertificate(pki.oca, { ...base, role: RemotePartyRole.Recovery, keyUsage: 'KA' })).toThrow(/recovery certificate cannot have key usage KA/);
    expect(() => issueOrganisationCertificate(pki.oca, { ...base, role: RemotePartyRole.IssuingAuthority, keyUsage: 'DS' })).toThrow(/issuingAuthority has no organisation certificates/);
    expect(() => issueOrganisationCertificate(pki.oca, { ...base, role: RemotePartyRole.XmlSign, keyUsage: 'KA' })).toThrow(PkiError);
  });

  it('an issuer of the wrong kind, or a CaHandle whose key is not the certificate key', () => {
    expect(() => issueDeviceCertificate(pki.oca, { deviceEui: DEVICE_EUI, keyUsage: 'KA', publicKey: pki.keys('d').publicKey, notBefore: T0 })).toThrow(/has kind issuing-ca, expected device-ca/);
    const forged = { ...pki.oca, privateKey: pki.keys('not the oca').privateKey };
    expect(() =>
      issueOrganisationCertificate(forged, { eui: NO_EUI, role: 3, keyUsage: 'DS', publicKey: pki.keys('x').publicKey, notBefore: T0, notAfter: T0 }),
    ).toThrow(/private key does not belong/);
    const root = createRootCa({ commonName: 'R', keyPair: pki.keys('r2'), notBefore: T0, notAfter: new Date('2030-01-01T00:00:00Z') });
    expect(() => issueIssuingCa(pki.oca, { commonName: 'Y', keyPair: pki.keys('y'), notBefore: T0, notAfter: T0 })).toThrow(/has kind issuing-ca, expected root/);
    expect(describeCertificate(root.certificate).kind).toBe('root');
  });
});

describe('PEM', () => {
  it('round-trips and rejects text without a certificate block', () => {
    expect(certificateFromPem(certificateToPem(pki.noDs)).equals(pki.noDs)).toBe(true);
    expect(() => certificateFromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).toThrow(/no -----BEGIN CERTIFICATE----- block/);
  });
});
