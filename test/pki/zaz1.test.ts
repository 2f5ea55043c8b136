import { sign, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  certificateFromPem, checkProfile, describeCertificate, privateKeyFromPem, rawPublicKey, smkiKeyIdentifier, validatePath, verifyIssuedBy,
} from '../../pki/index.ts';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { keystoreEntry, NOW, rawKeystore, templateCertificates } from './fixtures.ts';

const NO_615 = 'CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML';
const RTDS = join(import.meta.dirname, '../../../shared/rtds');
const RTDS_KEYSTORE = join(import.meta.dirname, '../../../shared/rtds-keystore');
const z1 = templateCertificates(NO_615, 'Certificate')[0]!;
const noDs2025 = templateCertificates(NO_615, 'DigitalSigningCertificate')[0]!;
const noKa2025 = templateCertificates(NO_615, 'KeyAgreementCertificate')[0]!;
const pem = (name: string): Buffer => certificateFromPem(keystoreEntry(name).certificate);

describe('describeCertificate on the ZAZ1 keystore (smki.md §4 tables)', () => {
  const entries = rawKeystore();

  it('reads all 33 certificates: EUI, role, serial and usage agree with how the keystore files them', () => {
    expect(entries).toHaveLength(33);
    for (const e of entries) {
      const f = describeCertificate(certificateFromPem(e.certificate));
      expect(f.subjectEui, e.name).toBe(e.eui.toUpperCase());
      expect(f.role, e.name).toBe(e.role);
      expect(f.serialDecimal, e.name).toBe(e.serial);
      expect(f.keyUsage, e.name).toBe(e.usage === 'digitalSignature' ? 'DS' : 'KA');
      expect(f.kind, e.name).toBe(e.role === 135 || e.role === 137 ? 'xml-signing' : 'organisation');
      // every ZAZ1 SKI is RFC 5280 method 2 over the public point
      expect(f.ski, e.name).toBe(smkiKeyIdentifier(f.publicKey).toString('hex').toUpperCase());
    }
  });

  it('Z1 network operator and supplier certificates', () => {
    const no = describeCertificate(pem('Z1-networkOperator-ds'));
    expect(no.serialHex.startsWith('4FC025')).toBe(true);
    expect(no).toMatchObject({ subjectEui: '90B3D51F30020000', role: 3, keyUsage: 'DS', issuerDn: 'CN=Z1,OU=07', aki: '4F5688D7EC933BE2' });
    expect(no.subjectDn).toBe('x500UniqueIdentifier=#03090090B3D51F30020000,OU=03');
    expect(no.policyOids).toEqual(['1.2.826.0.1.8641679.1.2.1.4']);
    expect(no.notAfter.toISOString()).toBe('2025-10-29T23:59:59.000Z');
    const sup = describeCertificate(pem('Z1-supplier-ds'));
    expect(sup.subjectDn).toBe('x500UniqueIdentifier=#03090090B3D51F30010000,OU=02,CN=GITTESTSUPPLIER');
    expect(sup.serialHex.startsWith('4FBC52')).toBe(true);
    const lc = describeCertificate(pem('Z1-loadController-ka'));
    expect(lc).toMatchObject({ subjectEui: '90B3D51F30010008', role: 8, keyUsage: 'KA' });
  });

  it('the 2018-2118 XML-signing certificates: OU 87/89, no AKI, serials as smki.md', () => {
    const user = describeCertificate(pem('xml-sign-90B3D51F30020000-ds'));
    expect(user).toMatchObject({ kind: 'xml-signing', role: 0x87, subjectEui: '90B3D51F30020000', aki: null, issuerDn: 'CN=Z1,OU=07' });
    expect(user.serialHex.startsWith('1ECC6E')).toBe(true);
    const dsp = describeCertificate(pem('dsp-xml-sign-90B3D51F30000002-ds'));
    expect(dsp).toMatchObject({ kind: 'xml-signing', role: 0x89, subjectEui: '90B3D51F30000002' });
    expect(dsp.serialHex.startsWith('7DAC72')).toBe(true);
    // their one departure from the profile is the missing AKI
    expect(checkProfile(user, { kind: 'xml-signing', role: 0x87, keyUsage: 'DS', eui: '90B3D51F30020000' }).map((p) => p.code)).toEqual(['aki-missing']);
  });

  it('the ZAZ1 org certificates conform to the profile checker; MDR ones carry NULL signature parameters', () => {
    for (const e of rawKeystore().filter((x) => x.name.startsWith('Z1'))) {
      const f = describeCertificate(certificateFromPem(e.certificate));
      expect(checkProfile(f, { kind: 'organisation', role: e.role, keyUsage: f.keyUsage as 'DS' | 'KA', eui: e.eui }), e.name).toEqual([]);
    }
    expect(checkProfile(pem('mdr-ds'), { kind: 'organisation' }).map((p) => p.code)).toEqual(['signature-algorithm']);
  });
});

describe('describeCertificate on the DUIS templates', () => {
  it('the Z1 organisation CA from CertificationPathCertificates', () => {
    const f = describeCertificate(z1);
    expect(f).toMatchObject({
      kind: 'issuing-ca', role: 7, subjectEui: null, keyUsage: 'CA', ski: '4F5688D7EC933BE2', aki: '48CF1B32697C4669',
      serialHex: '71872BDBC82789BC1401CE01BA06ADA3', subjectDn: 'CN=Z1,OU=07', issuerDn: 'CN=ZA,OU=00',
    });
    expect(f.notBefore.toISOString()).toBe('2015-10-29T00:00:00.000Z');
    expect(f.notAfter.toISOString()).toBe('2040-10-28T23:59:59.000Z');
    expect(f.basicConstraints).toEqual({ ca: true, pathLen: 0, critical: true });
    expect(checkProfile(f, { kind: 'issuing-ca' })).toEqual([]);
  });

  it('the 2025 renewals in the CS02b templates: serial prefixes, EUIs, roles, usages', () => {
    const seen = [
      [noDs2025, '4A08E1', '90B3D51F30020000', 3, 'DS'],
      [noKa2025, '5D9A1D', '90B3D51F30020000', 3, 'KA'],
      [templateCertificates('CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'KeyAgreementTopUpCertificate')[0]!, '208BB5', '90B3D51F30010000', 2, 'KA'],
      [templateCertificates('CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'DigitalSigningCertificate')[0]!, '44B7F8', '90B3D51F30030000', 2, 'DS'],
    ] as const;
    for (const [der, prefix, eui, role, usage] of seen) {
      const f = describeCertificate(der);
      expect(f.serialHex.startsWith(prefix)).toBe(true);
      expect(f).toMatchObject({ kind: 'organisation', subjectEui: eui, role, keyUsage: usage, aki: '4F5688D7EC933BE2' });
      expect(f.notAfter.toISOString()).toBe('2035-09-01T23:59:59.000Z');
    }
  });

  it('the 2025 NO certificate reuses the Z1b keystore key pair (a keystore signature verifies under it)', () => {
    const f = describeCertificate(noDs2025);
    const ks = keystoreEntry('Z1b-networkOperator-ds');
    expect(f.ski).toBe(describeCertificate(certificateFromPem(ks.certificate)).ski);
    const key = privateKeyFromPem(ks.privateKey!);
    expect(rawPublicKey(key).equals(rawPublicKey(f.publicKey))).toBe(true);
    expect(verify('sha256', Buffer.from('hello'), f.publicKey, sign('sha256', Buffer.from('hello'), key))).toBe(true);
  });

  it('the CS02d device certificate: empty subject, SAN EUI, E357 issuer, its own policy', () => {
    const f = describeCertificate(templateCertificates('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', 'DeviceCertificate')[0]!);
    expect(f).toMatchObject({ kind: 'device', subjectEui: '00DB1234567890A0', role: null, keyUsage: 'DS', subjectDn: '', issuerDn: 'CN=E357' });
    expect(f.policyOids).toEqual(['1.2.826.0.1.1800000.1.2.1.4']);
    expect(checkProfile(f, { kind: 'device', keyUsage: 'DS', eui: '00-DB-12-34-56-78-90-A0', policyOid: '1.2.826.0.1.1800000.1.2.1.4' })).toEqual([]);
  });

  it('the 8.5 template quirk: a digitalSignature certificate in the KeyAgreementCertificate slot', () => {
    const acb = templateCertificates('CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML', 'KeyAgreementCertificate')[0]!;
    expect(checkProfile(acb, { kind: 'organisation', role: 4, keyUsage: 'KA', eui: '90B3D51F30000002' }).map((p) => p.code)).toEqual(['key-usage-mismatch']);
  });

  it('RTDS\'s own 8.5 command places the ACB\'s keyAgreement certificate, not the template\'s digitalSignature one: RTDS did not place that either', () => {
    const template = describeCertificate(templateCertificates('CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML', 'KeyAgreementCertificate')[0]!);
    const hex = readFileSync(join(RTDS, '8.5_CS02bACBByACB', 'CS02bACBByACB_8.5_SUCCESS_COMMAND_GBCS.HEX'), 'utf8').trim();
    const body = decodeGbcsMessage(Buffer.from(hex, 'hex')).body;
    if (body.kind !== 'cs02b-command') throw new Error(body.kind);
    const placed = body.command.replacements.map((r) => describeCertificate(r.certificate));
    expect(placed.map((f) => [f.subjectEui, f.keyUsage, f.ski])).toEqual([['90B3D51F30000002', 'KA', '4897771D34FCB0C6']]);
    expect([template.keyUsage, template.ski]).toEqual(['DS', '4A208EB7060CD12C']);
  });

  it('the CS02d certificate is RTDS\'s ESME …A0\'s own, issued by the RTDS device CA E357, whose certificate no source holds', () => {
    const cert = templateCertificates('CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML', 'DeviceCertificate')[0]!;
    expect(cert.equals(certificateFromPem(readFileSync(join(RTDS_KEYSTORE, '00db1234567890a0-ds.pem'), 'utf8')))).toBe(true);
    const e357 = describeCertificate(cert).aki;
    expect(e357).toBe('47D40AF3412904A0');
    // neither the RTDS keystore nor the ZAZ1 keystore (nor any template, see the Z1-only path above) has a certificate with that key id
    const rtdsKeystore = readdirSync(RTDS_KEYSTORE).filter((f) => f.endsWith('.pem') && readFileSync(join(RTDS_KEYSTORE, f), 'utf8').includes('BEGIN CERTIFICATE')).map((f) => describeCertificate(certificateFromPem(readFileSync(join(RTDS_KEYSTORE, f), 'utf8'))));
    const zaz1 = rawKeystore().map((e) => describeCertificate(certificateFromPem(e.certificate)));
    expect([...rtdsKeystore, ...zaz1].filter((f) => f.ski === e357)).toEqual([]);
  });
});

describe('ZAZ1 path validation with Z1 pinned (the ZA root is not published)', () => {
  it('the 2025 NO DS and KA certificates validate against Z1 from the same template', () => {
    for (const leaf of [noDs2025, noKa2025]) {
      const r = validatePath(leaf, [z1], [z1], { at: NOW });
      expect(r.ok, r.reason).toBe(true);
      expect(r.chain!.map((c) => c.kind)).toEqual(['organisation', 'issuing-ca']);
    }
    expect(verifyIssuedBy(describeCertificate(noDs2025), describeCertificate(z1))).toBe(true);
  });

  it('the 2015 Z1 NO certificate is expired now, valid in 2020, fine without time checks', () => {
    const old = pem('Z1-networkOperator-ds');
    expect(validatePath(old, [], [z1], { at: NOW })).toMatchObject({ ok: false, code: 'expired' });
    expect(validatePath(old, [], [z1], { at: new Date('2020-01-01T00:00:00Z') }).ok).toBe(true);
    expect(validatePath(old, [], [z1], { at: null }).ok).toBe(true);
  });

  it('the OU 87 XML-signing certificate does not chain to Z1 (different signing key)', () => {
    const r = validatePath(pem('xml-sign-90B3D51F30020000-ds'), [], [z1], { at: NOW });
    expect(r).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('certificates from the foreign OB and Z99 CAs find no path to Z1', () => {
    expect(validatePath(pem('otherUser-ds'), [], [z1], { at: null })).toMatchObject({ ok: false, code: 'no-path' });
    expect(validatePath(pem('mdr-ds'), [], [z1], { at: null })).toMatchObject({ ok: false, code: 'no-path' });
  });
});
