import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dashedEui, deriveKeyPair, generateKeyPair, parseEui, PkiError, privateKeyFromPem, privateKeyFromPkcs8, privateKeyToPkcs8,
  publicKeyFromRaw, rawPublicKey, RemotePartyRole, roleName,
} from '../../pki/index.ts';
import { keystoreEntry } from './fixtures.ts';

describe('EUI', () => {
  it('normalises the dashed DUIS form and plain hex to 16 upper-case digits', () => {
    expect(parseEui('90-b3-d5-1f-30-02-00-00')).toBe('90B3D51F30020000');
    expect(parseEui('90b3d51f30020000')).toBe('90B3D51F30020000');
    expect(dashedEui('90b3d51f30020000')).toBe('90-B3-D5-1F-30-02-00-00');
  });

  it.each(['90B3D51F3002000', '90B3D51F300200000', '90-B3-D5-1F-30-02-00', '90:B3:D5:1F:30:02:00:00', '90B3D51F3002000G', '', '90-B3D5-1F-30-02-00-00-'])(
    'rejects %j with a PkiError saying what an EUI is',
    (text) => {
      let err: unknown;
      try {
        parseEui(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PkiError);
      expect((err as PkiError).code).toBe('bad-eui');
      expect((err as PkiError).message).toMatch(/16 hex digits/);
    },
  );
});

describe('remote party roles', () => {
  it('names every role code by its DUIS/GBCS name', () => {
    expect(roleName(RemotePartyRole.NetworkOperator)).toBe('networkOperator');
    expect(roleName(RemotePartyRole.AccessControlBroker)).toBe('accessControlBroker');
    expect(roleName(RemotePartyRole.XmlSign)).toBe('xmlSign');
    expect(roleName(RemotePartyRole.DspXmlSign)).toBe('dspXmlSign');
    expect(roleName(0x2a)).toBe('role 0x2A');
  });
});

describe('keys', () => {
  it('derives the same P-256 key pair from the same secret and label, and different ones otherwise', () => {
    const a = deriveKeyPair(Buffer.from('world seed 1'), 'supplier-ds');
    const b = deriveKeyPair(Buffer.from('world seed 1'), 'supplier-ds');
    const c = deriveKeyPair(Buffer.from('world seed 1'), 'supplier-ka');
    const d = deriveKeyPair(Buffer.from('world seed 2'), 'supplier-ds');
    expect(privateKeyToPkcs8(a.privateKey).equals(privateKeyToPkcs8(b.privateKey))).toBe(true);
    expect(rawPublicKey(a.publicKey).equals(rawPublicKey(b.publicKey))).toBe(true);
    expect(rawPublicKey(a.publicKey).equals(rawPublicKey(c.publicKey))).toBe(false);
    expect(rawPublicKey(a.publicKey).equals(rawPublicKey(d.publicKey))).toBe(false);
    // the pair is a real pair: a signature by the private key verifies under the public key
    const sig = sign('sha256', Buffer.from('msg'), a.privateKey);
    expect(verify('sha256', Buffer.from('msg'), b.publicKey, sig)).toBe(true);
    expect(a.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('round-trips private keys through PKCS#8 and public keys through the 65-byte point', () => {
    const kp = generateKeyPair();
    const again = privateKeyFromPkcs8(privateKeyToPkcs8(kp.privateKey));
    expect(rawPublicKey(again).equals(rawPublicKey(kp.publicKey))).toBe(true);
    const point = rawPublicKey(kp.publicKey);
    expect(point.length).toBe(65);
    expect(point[0]).toBe(0x04);
    const pub = publicKeyFromRaw(point);
    expect(pub.export({ format: 'der', type: 'spki' }).equals(kp.publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
  });

  it('reads the PKCS#8 PEM keys of the DCC Boxed keystore', () => {
    const e = keystoreEntry('Z1-networkOperator-ds');
    const key = privateKeyFromPem(e.privateKey!);
    const certKey = createPublicKey(e.certificate);
    expect(rawPublicKey(key).equals(rawPublicKey(certKey))).toBe(true);
  });

  it('rejects a point that is not on P-256, a compressed point and a non-P-256 key', () => {
    const point = rawPublicKey(generateKeyPair().publicKey);
    point[64] = point[64]! ^ 1;
    expect(() => publicKeyFromRaw(point)).toThrow(/not on P-256/);
    expect(() => publicKeyFromRaw(point.subarray(0, 33))).toThrow(/65-byte uncompressed point/);
    const ed = privateKeyToPkcs8Safe();
    expect(() => privateKeyFromPkcs8(ed)).toThrow(/expected an EC P-256 key, got ed25519/);
    expect(() => privateKeyFromPkcs8(Buffer.from('3000', 'hex'))).toThrow(PkiError);
  });
});

function privateKeyToPkcs8Safe(): Buffer {
  // an Ed25519 PKCS#8 key (RFC 8410 example) to check the curve guard
  return Buffer.from('302e020100300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842', 'hex');
}
