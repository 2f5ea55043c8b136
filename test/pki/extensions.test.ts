// Certificate extensions as the parser sees them: one parser per known extension (pki/extensions/),
// unknown ones carried unparsed and refused by the validators only when critical.
import { describe, expect, it } from 'vitest';
import {
  basicConstraintsExtension, buildCertificate, checkProfile, describeCertificate, OID, PkiError, validatePath,
} from '../../pki/index.ts';
import type { ExtensionSpec } from '../../pki/index.ts';
import { makeTestPki, NOW, T0, T_ORG_END } from './fixtures.ts';

const pki = makeTestPki();
const key = pki.keys('extension tests');
const UNKNOWN = '1.3.6.1.4.1.99999.1';

function cert(extensions: ExtensionSpec[]): Buffer {
  return buildCertificate({
    issuer: pki.oca.facts.subjectNameDer,
    subject: [{ type: 'OU', value: '03', encoding: 'utf8' }],
    notBefore: T0,
    notAfter: T_ORG_END,
    publicKey: key.publicKey,
    extensions,
    signingKey: pki.oca.privateKey,
  });
}

const junk = (oid: string, critical = true): ExtensionSpec => ({ oid, critical, valueDer: Buffer.from('0500', 'hex') });

function parseError(der: Buffer): PkiError {
  try {
    describeCertificate(der);
  } catch (e) {
    expect(e).toBeInstanceOf(PkiError);
    return e as PkiError;
  }
  throw new Error('the certificate parsed');
}

describe('certificate extensions', () => {
  it('a known extension holding malformed DER makes the certificate unreadable, naming the extension', () => {
    const expected: [string, string][] = [
      [OID.keyUsage, 'keyUsage: expected tag 0x03, found 0x05'],
      [OID.subjectKeyIdentifier, 'subjectKeyIdentifier: expected tag 0x04, found 0x05'],
      [OID.authorityKeyIdentifier, 'authorityKeyIdentifier: expected tag 0x30, found 0x05'],
      [OID.basicConstraints, 'basicConstraints: expected tag 0x30, found 0x05'],
      [OID.certificatePolicies, 'certificatePolicies: expected tag 0x30, found 0x05'],
      [OID.subjectAltName, 'subjectAltName: expected tag 0x30, found 0x05'],
    ];
    for (const [oid, message] of expected) {
      const e = parseError(cert([junk(oid)]));
      expect(e.code).toBe('not-a-certificate');
      expect(e.message).toBe(`not a certificate: ${message}`);
    }
  });

  it('errors inside an extension name the part that is wrong', () => {
    // basicConstraints holding an OCTET STRING where cA or pathLenConstraint belong
    const bc: ExtensionSpec = { oid: OID.basicConstraints, critical: true, valueDer: Buffer.from('3003040100', 'hex') };
    expect(parseError(cert([bc])).message).toBe('not a certificate: basicConstraints: unexpected tag 0x4');
    // a PolicyInformation with three parts
    const cp: ExtensionSpec = { oid: OID.certificatePolicies, critical: true, valueDer: Buffer.from('300b3009060100060100060100', 'hex') };
    expect(parseError(cert([cp])).message).toBe('not a certificate: PolicyInformation: expected policyIdentifier and optional qualifiers');
  });

  it('with several malformed extensions, the one reported does not depend on their order in the certificate', () => {
    // keyUsage is parsed before subjectAltName whichever comes first
    expect(parseError(cert([junk(OID.subjectAltName), junk(OID.keyUsage)])).message).toBe('not a certificate: keyUsage: expected tag 0x03, found 0x05');
    expect(parseError(cert([junk(OID.keyUsage), junk(OID.subjectAltName)])).message).toBe('not a certificate: keyUsage: expected tag 0x03, found 0x05');
  });

  it('a repeated extension: the first occurrence is the one that counts', () => {
    const f = describeCertificate(cert([basicConstraintsExtension(true, 0), basicConstraintsExtension(false)]));
    expect(f.basicConstraints).toEqual({ ca: true, pathLen: 0, critical: true });
    expect(f.extensions.map((e) => e.oid)).toEqual([OID.basicConstraints, OID.basicConstraints]);
  });

  it('an extension without a parser is carried as it is, whatever its contents', () => {
    const f = describeCertificate(cert([{ oid: UNKNOWN, critical: false, valueDer: Buffer.from('ff', 'hex') }]));
    expect(f.extensions).toEqual([{ oid: UNKNOWN, critical: false, valueDer: Buffer.from('ff', 'hex') }]);
  });

  it('a critical extension without a parser is refused by the profile check and by path validation, with the same reasons as before', () => {
    const der = cert([junk(UNKNOWN)]);
    expect(checkProfile(der, { kind: 'organisation' })).toContainEqual({
      code: 'unknown-critical-extension',
      message: `extension ${UNKNOWN} is critical and not one a validator understands`,
    });
    const serial = describeCertificate(der).serialHex;
    expect(validatePath(der, [pki.oca.certificate], [pki.root.certificate], { at: NOW })).toMatchObject({
      ok: false,
      code: 'unknown-critical-extension',
      reason: `organisation certificate 'OU=03' (serial ${serial}) has critical extension ${UNKNOWN}, which this validator does not understand`,
    });
  });

  it('every extension with a parser may be critical without being called unknown', () => {
    const seen = new Set<string>();
    for (const der of [pki.noDs, pki.deviceDs, pki.oca.certificate, pki.root.certificate]) {
      const critical = describeCertificate(der).extensions.map((e) => ({ ...e, critical: true }));
      for (const e of critical) seen.add(e.oid);
      expect(checkProfile(cert(critical), { kind: 'organisation' }).map((p) => p.code)).not.toContain('unknown-critical-extension');
    }
    const parsed = [OID.keyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.basicConstraints, OID.certificatePolicies, OID.subjectAltName];
    expect([...seen].sort()).toEqual([...parsed].sort());
  });
});
