import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authorityKeyIdentifierExtension, basicConstraintsExtension, buildCertificate, certificatePoliciesExtension, certificateToPem, checkProfile,
  describeCertificate, deviceSubjectAltNameExtension, euiUniqueIdentifier, keyUsageExtension, SMKI_TEST_POLICY_OID, smkiKeyIdentifier,
  subjectKeyIdentifierExtension, validatePath,
} from '../../pki/index.ts';
import type { CaHandle, ExtensionSpec, NameAttributeSpec, ProfileExpectation } from '../../pki/index.ts';
import { DEVICE_EUI, makeTestPki, NO_EUI, NOW, T0, T_ORG_END } from './fixtures.ts';

const pki = makeTestPki();
const leafKey = pki.keys('crafted leaf');
const keyId = (ca: CaHandle): Buffer => Buffer.from(ca.facts.ski, 'hex');
const subjectOf = (ca: CaHandle): Buffer => ca.facts.subjectNameDer;

const ORG_SUBJECT = (ou = '03', eui = NO_EUI): NameAttributeSpec[] => [{ type: 'OU', value: ou, encoding: 'utf8' }, euiUniqueIdentifier(eui)];

interface OrgTweaks {
  subject?: NameAttributeSpec[];
  extensions?: (standard: ExtensionSpec[]) => ExtensionSpec[];
  notBefore?: Date;
  notAfter?: Date;
  issuer?: CaHandle;
}

/** An organisation certificate built field by field; with no tweaks it is a conformant NO DS certificate. */
function orgCert(t: OrgTweaks = {}): Buffer {
  const issuer = t.issuer ?? pki.oca;
  const standard = [
    keyUsageExtension('DS'),
    subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)),
    certificatePoliciesExtension([SMKI_TEST_POLICY_OID]),
    authorityKeyIdentifierExtension(keyId(issuer)),
  ];
  return buildCertificate({
    issuer: subjectOf(issuer),
    subject: t.subject ?? ORG_SUBJECT(),
    notBefore: t.notBefore ?? T0,
    notAfter: t.notAfter ?? T_ORG_END,
    publicKey: leafKey.publicKey,
    extensions: t.extensions ? t.extensions(standard) : standard,
    signingKey: issuer.privateKey,
  });
}

function deviceCert(extensions: (standard: ExtensionSpec[]) => ExtensionSpec[], notAfter = new Date(Date.UTC(9999, 11, 31, 23, 59, 59))): Buffer {
  const standard = [
    keyUsageExtension('KA'),
    subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)),
    deviceSubjectAltNameExtension(DEVICE_EUI),
    certificatePoliciesExtension([SMKI_TEST_POLICY_OID]),
    authorityKeyIdentifierExtension(keyId(pki.dca)),
  ];
  return buildCertificate({
    issuer: subjectOf(pki.dca),
    subject: [],
    notBefore: T0,
    notAfter,
    publicKey: leafKey.publicKey,
    extensions: extensions(standard),
    signingKey: pki.dca.privateKey,
  });
}

const NO_DS: ProfileExpectation = { kind: 'organisation', role: 3, keyUsage: 'DS', eui: NO_EUI };
const codes = (der: Uint8Array, expect: ProfileExpectation): string[] => checkProfile(der, expect).map((p) => p.code);
const orgPath = (leaf: Uint8Array, at: Date | null = NOW) => validatePath(leaf, [pki.oca.certificate], [pki.root.certificate], { at });

describe('the crafting helpers make conformant certificates when untweaked (control)', () => {
  it('org and device', () => {
    expect(checkProfile(orgCert(), NO_DS)).toEqual([]);
    expect(orgPath(orgCert()).ok).toBe(true);
    expect(checkProfile(deviceCert((s) => s), { kind: 'device', keyUsage: 'KA', eui: DEVICE_EUI })).toEqual([]);
    expect(validatePath(deviceCert((s) => s), [pki.dca.certificate], [pki.root.certificate], { at: NOW }).ok).toBe(true);
  });
});

describe('checkProfile rejects each profile violation with its own problem', () => {
  it('wrong OU on an issuing CA', () => {
    const ca = buildCertificate({
      issuer: subjectOf(pki.root),
      subject: [{ type: 'OU', value: '05', encoding: 'printable' }, { type: 'CN', value: 'X9', encoding: 'printable' }],
      notBefore: T0,
      notAfter: T_ORG_END,
      publicKey: leafKey.publicKey,
      signingKey: pki.root.privateKey,
      extensions: [
        keyUsageExtension('CA'),
        basicConstraintsExtension(true, 0),
        certificatePoliciesExtension([SMKI_TEST_POLICY_OID]),
        subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)),
        authorityKeyIdentifierExtension(keyId(pki.root)),
      ],
    });
    const problems = checkProfile(ca, { kind: 'issuing-ca' });
    expect(problems).toEqual([{ code: 'subject-ou', message: "subject OU is '05'; an issuing (organisation) CA certificate has OU=07 (issuingAuthority)" }]);
  });

  it('an organisation OU that is not two hex digits', () => {
    expect(codes(orgCert({ subject: ORG_SUBJECT('3') }), { kind: 'organisation' })).toEqual(['subject-ou']);
  });

  it('two key usages', () => {
    const cert = orgCert({ extensions: (s) => [{ oid: '2.5.29.15', critical: true, valueDer: Buffer.from('03020388', 'hex') }, ...s.slice(1)] });
    const problems = checkProfile(cert, NO_DS);
    expect(problems).toEqual([
      { code: 'key-usage-bits', message: 'keyUsage has 2 bits set (digitalSignature, keyAgreement); an organisation certificate has exactly one' },
    ]);
  });

  it('keyUsage bits in a non-DER BIT STRING (unused bits not declared)', () => {
    const cert = orgCert({ extensions: (s) => [{ oid: '2.5.29.15', critical: true, valueDer: Buffer.from('03020080', 'hex') }, ...s.slice(1)] });
    expect(checkProfile(cert, NO_DS)).toEqual([{ code: 'key-usage-encoding', message: 'keyUsage BIT STRING 03020080 is not the DER form 03020780' }]);
  });

  it('keyUsage not critical', () => {
    expect(codes(orgCert({ extensions: (s) => [keyUsageExtension('DS', false), ...s.slice(1)] }), NO_DS)).toEqual(['key-usage-not-critical']);
  });

  it('missing policy', () => {
    expect(codes(orgCert({ extensions: (s) => s.filter((e) => e.oid !== '2.5.29.32') }), NO_DS)).toEqual(['policy-missing']);
  });

  it('non-critical policy', () => {
    const cert = orgCert({ extensions: (s) => s.map((e) => (e.oid === '2.5.29.32' ? { ...e, critical: false } : e)) });
    expect(checkProfile(cert, NO_DS)).toEqual([{ code: 'policy-not-critical', message: 'certificatePolicies is not marked critical; SMKI requires it critical' }]);
  });

  it('a policy other than the expected one', () => {
    const cert = orgCert({ extensions: (s) => s.map((e) => (e.oid === '2.5.29.32' ? certificatePoliciesExtension(['1.2.826.0.1.1800000.1.2.1.4']) : e)) });
    expect(codes(cert, NO_DS)).toEqual(['policy-mismatch']);
    expect(codes(cert, { ...NO_DS, policyOid: '1.2.826.0.1.1800000.1.2.1.4' })).toEqual([]);
  });

  it('wrong SKI length (a 20-byte SHA-1 id as @peculiar/x509 makes by default)', () => {
    const cert = orgCert({ extensions: (s) => s.map((e) => (e.oid === '2.5.29.14' ? subjectKeyIdentifierExtension(Buffer.alloc(20, 0x41)) : e)) });
    expect(checkProfile(cert, NO_DS)).toEqual([{ code: 'ski-length', message: 'subjectKeyIdentifier is 20 bytes; SMKI requires 8' }]);
  });

  it('an 8-byte SKI that is not method 2 of the key', () => {
    const cert = orgCert({ extensions: (s) => s.map((e) => (e.oid === '2.5.29.14' ? subjectKeyIdentifierExtension(Buffer.alloc(8, 0x41)) : e)) });
    expect(codes(cert, NO_DS)).toEqual(['ski-method']);
  });

  it('missing AKI', () => {
    expect(codes(orgCert({ extensions: (s) => s.slice(0, 3) }), NO_DS)).toEqual(['aki-missing']);
  });

  it('unknown critical extension', () => {
    const cert = orgCert({ extensions: (s) => [...s, { oid: '1.3.6.1.4.1.99999.1', critical: true, valueDer: Buffer.from('0500', 'hex') }] });
    expect(checkProfile(cert, NO_DS)).toEqual([
      { code: 'unknown-critical-extension', message: 'extension 1.3.6.1.4.1.99999.1 is critical and not one a validator understands' },
    ]);
    // a non-critical unknown extension is fine
    expect(codes(orgCert({ extensions: (s) => [...s, { oid: '1.3.6.1.4.1.99999.1', critical: false, valueDer: Buffer.from('0500', 'hex') }] }), NO_DS)).toEqual([]);
  });

  it('device cert with non-critical SAN', () => {
    const cert = deviceCert((s) => s.map((e) => (e.oid === '2.5.29.17' ? deviceSubjectAltNameExtension(DEVICE_EUI, false) : e)));
    expect(codes(cert, { kind: 'device', keyUsage: 'KA', eui: DEVICE_EUI })).toEqual(['san-not-critical']);
  });

  it('device cert with a finite notAfter, and one with a subject', () => {
    const finite = deviceCert((s) => s, new Date('2040-01-01T00:00:00Z'));
    expect(codes(finite, { kind: 'device' })).toEqual(['device-not-after']);
    const named = buildCertificate({
      issuer: subjectOf(pki.dca),
      subject: [{ type: 'CN', value: 'meter', encoding: 'utf8' }],
      notBefore: T0,
      notAfter: new Date(Date.UTC(9999, 11, 31, 23, 59, 59)),
      publicKey: leafKey.publicKey,
      signingKey: pki.dca.privateKey,
      extensions: [keyUsageExtension('DS'), subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)), deviceSubjectAltNameExtension(DEVICE_EUI), certificatePoliciesExtension([SMKI_TEST_POLICY_OID]), authorityKeyIdentifierExtension(keyId(pki.dca))],
    });
    expect(codes(named, { kind: 'device' })).toEqual(['subject-not-empty']);
  });

  it('wrong EUI for the party or device', () => {
    expect(checkProfile(pki.noDs, { ...NO_DS, eui: '90-B3-D5-1F-30-01-00-00' })).toEqual([
      { code: 'eui-mismatch', message: 'certificate is for EUI 90B3D51F30020000; expected 90B3D51F30010000' },
    ]);
    expect(codes(pki.deviceDs, { kind: 'device', eui: '00DB1234567890A1' })).toEqual(['eui-mismatch']);
  });

  it('wrong role or key usage for the slot', () => {
    expect(checkProfile(pki.noDs, { kind: 'organisation', role: 2 })).toEqual([
      { code: 'role-mismatch', message: 'subject OU is 03 (networkOperator); this slot needs OU=02 (supplier)' },
    ]);
    expect(checkProfile(pki.noDs, { kind: 'organisation', keyUsage: 'KA' })).toEqual([
      { code: 'key-usage-mismatch', message: 'certificate key usage is digitalSignature; this slot needs keyAgreement' },
    ]);
    expect(codes(pki.xmlSign, { kind: 'organisation', role: 3 })).toEqual(expect.arrayContaining(['role-not-allowed', 'role-mismatch']));
  });

  it('a usage the role does not have (recovery KA), a CA role in an organisation certificate', () => {
    const recoveryKa = orgCert({ subject: ORG_SUBJECT('01', '90B3D51F30000001'), extensions: (s) => [keyUsageExtension('KA'), ...s.slice(1)] });
    expect(codes(recoveryKa, { kind: 'organisation' })).toEqual(['usage-not-allowed-for-role']);
    expect(codes(orgCert({ subject: ORG_SUBJECT('07') }), { kind: 'organisation' })).toEqual(['role-not-allowed']);
  });

  it('an organisation certificate checked as a device certificate', () => {
    expect(codes(pki.noDs, { kind: 'device' })).toEqual(expect.arrayContaining(['kind-mismatch', 'subject-not-empty', 'san-missing']));
  });

  it('an issuing CA without pathLen 0', () => {
    const ca = buildCertificate({
      issuer: subjectOf(pki.root),
      subject: [{ type: 'OU', value: '07', encoding: 'printable' }, { type: 'CN', value: 'X8', encoding: 'printable' }],
      notBefore: T0,
      notAfter: T_ORG_END,
      publicKey: leafKey.publicKey,
      signingKey: pki.root.privateKey,
      extensions: [keyUsageExtension('CA'), basicConstraintsExtension(true), certificatePoliciesExtension([SMKI_TEST_POLICY_OID]), subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)), authorityKeyIdentifierExtension(keyId(pki.root))],
    });
    expect(checkProfile(ca, { kind: 'issuing-ca' })).toEqual([{ code: 'path-length', message: 'basicConstraints pathLenConstraint is absent; an issuing CA has pathLen 0' }]);
  });

  it('bytes that are not a certificate', () => {
    const problems = checkProfile(Buffer.from('30820100', 'hex'), NO_DS);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('not-a-certificate');
    expect(problems[0]!.message).toMatch(/runs past the end/);
    const truncated = pki.noDs.subarray(0, pki.noDs.length - 10);
    expect(() => describeCertificate(truncated)).toThrow(/not a certificate: Certificate: length \d+ runs past the end/);
  });
});

describe('validatePath rejects each path problem with its own code', () => {
  it('pathLen violation: a CA below the pathLen-0 issuing CA (openssl agrees)', () => {
    const subKey = pki.keys('sub-ca');
    const subCa = buildCertificate({
      issuer: subjectOf(pki.oca),
      subject: [{ type: 'OU', value: '07', encoding: 'printable' }, { type: 'CN', value: 'X1a', encoding: 'printable' }],
      notBefore: T0,
      notAfter: T_ORG_END,
      publicKey: subKey.publicKey,
      signingKey: pki.oca.privateKey,
      extensions: [keyUsageExtension('CA'), basicConstraintsExtension(true, 0), certificatePoliciesExtension([SMKI_TEST_POLICY_OID]), subjectKeyIdentifierExtension(smkiKeyIdentifier(subKey.publicKey)), authorityKeyIdentifierExtension(keyId(pki.oca))],
    });
    const subHandle: CaHandle = { certificate: subCa, facts: describeCertificate(subCa), privateKey: subKey.privateKey };
    const leaf = orgCert({ issuer: subHandle });
    const r = validatePath(leaf, [subCa, pki.oca.certificate], [pki.root.certificate], { at: NOW });
    expect(r.ok).toBe(false);
    expect(r.code).toBe('path-length');
    expect(r.reason).toMatch(/issuing-ca certificate 'CN=X1,OU=07' .* allows 0 CA certificate\(s\) below it \(pathLen 0\) but the path has 1/);
    expect(r.chain!.map((c) => c.subjectDn)).toEqual([describeCertificate(leaf).subjectDn, 'CN=X1a,OU=07', 'CN=X1,OU=07', 'CN=XA,OU=00']);

    const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-pki-'));
    try {
      writeFileSync(path.join(dir, 'root.pem'), certificateToPem(pki.root.certificate));
      writeFileSync(path.join(dir, 'chain.pem'), certificateToPem(subCa) + certificateToPem(pki.oca.certificate));
      writeFileSync(path.join(dir, 'leaf.pem'), certificateToPem(leaf));
      let out = '';
      try {
        execFileSync('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        out = String((e as { stderr?: string; stdout?: string }).stdout) + String((e as { stderr?: string }).stderr);
      }
      expect(out).toMatch(/path length constraint exceeded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown critical extension anywhere on the path', () => {
    const cert = orgCert({ extensions: (s) => [...s, { oid: '1.3.6.1.4.1.99999.1', critical: true, valueDer: Buffer.from('0500', 'hex') }] });
    expect(orgPath(cert)).toMatchObject({ ok: false, code: 'unknown-critical-extension' });
  });

  it('missing policy', () => {
    const r = orgPath(orgCert({ extensions: (s) => s.filter((e) => e.oid !== '2.5.29.32') }));
    expect(r).toMatchObject({ ok: false, code: 'policy' });
    expect(r.reason).toMatch(/asserts policy \(none\); the path needs 1\.2\.826\.0\.1\.8641679\.1\.2\.1\.4/);
  });

  it('expired at `at`, not yet valid, and no time check when at is null', () => {
    const cert = orgCert({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') });
    const expired = orgPath(cert);
    expect(expired).toMatchObject({ ok: false, code: 'expired' });
    expect(expired.reason).toMatch(/expired at 2025-01-01T00:00:00.000Z \(checked at 2026-11-23T12:00:00.000Z\)/);
    expect(orgPath(cert, new Date('2024-06-01T00:00:00Z')).ok).toBe(true);
    expect(orgPath(cert, null).ok).toBe(true);
    expect(orgPath(pki.noDs, new Date('2023-12-31T23:59:59Z'))).toMatchObject({ ok: false, code: 'not-yet-valid' });
  });

  it('bad signature', () => {
    const tampered = Buffer.from(pki.noDs);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01; // inside the ECDSA s value
    const r = orgPath(tampered);
    expect(r).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(r.reason).toMatch(/signature on organisation certificate .* does not verify under the key of issuing-ca certificate 'CN=X1,OU=07'/);
    // a changed TBS byte (the EUI) breaks the signature too
    const edited = Buffer.from(pki.noDs);
    const at = edited.indexOf(Buffer.from('90b3d51f30020000', 'hex'));
    edited[at + 7] = 0x01;
    expect(orgPath(edited)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('wrong anchor', () => {
    const other = makeTestPki(Buffer.from('another world'));
    const r = validatePath(pki.noDs, [pki.oca.certificate], [other.root.certificate], { at: NOW });
    expect(r).toMatchObject({ ok: false, code: 'no-path' });
    expect(r.reason).toMatch(/key id/);
    // same names, different keys: the OCA's AKI does not match the foreign root's SKI
    const noIntermediate = validatePath(pki.noDs, [], [pki.root.certificate], { at: NOW });
    expect(noIntermediate).toMatchObject({ ok: false, code: 'no-path' });
    expect(noIntermediate.reason).toMatch(/issuer 'CN=X1,OU=07' \(key id [0-9A-F]{16}\)/);
  });

  it('a non-CA issuer', () => {
    const noKey = pki.keys('no-ds');
    const fakeCa: CaHandle = { certificate: pki.noDs, facts: describeCertificate(pki.noDs), privateKey: noKey.privateKey };
    const leaf = buildCertificate({
      issuer: describeCertificate(pki.noDs).subjectNameDer,
      subject: ORG_SUBJECT('03', '90B3D51F30020001'),
      notBefore: T0,
      notAfter: T_ORG_END,
      publicKey: leafKey.publicKey,
      signingKey: fakeCa.privateKey,
      extensions: [keyUsageExtension('DS'), subjectKeyIdentifierExtension(smkiKeyIdentifier(leafKey.publicKey)), certificatePoliciesExtension([SMKI_TEST_POLICY_OID]), authorityKeyIdentifierExtension(keyId(fakeCa))],
    });
    const r = validatePath(leaf, [pki.noDs, pki.oca.certificate], [pki.root.certificate], { at: NOW });
    expect(r).toMatchObject({ ok: false, code: 'not-a-ca' });
  });

  it('a trust anchor may be the pinned issuing CA, listed among the intermediates too', () => {
    expect(validatePath(pki.noDs, [pki.oca.certificate], [pki.oca.certificate], { at: NOW })).toMatchObject({ ok: true });
    expect(validatePath(pki.noDs, [], [pki.oca.certificate], { at: NOW }).chain!.map((c) => c.kind)).toEqual(['organisation', 'issuing-ca']);
  });

  it('garbage among the inputs is named', () => {
    const r = validatePath(pki.noDs, [Buffer.from('3003020101', 'hex')], [pki.root.certificate], { at: NOW });
    expect(r).toMatchObject({ ok: false, code: 'not-a-certificate' });
    expect(r.reason).toMatch(/^intermediate 1: not a certificate/);
  });
});
