import { createECDH, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deriveKeyPair, deriveScalarKey, PkiError, publicKeyFromRaw, rawPublicKey, ScalarKey } from '../../pki/index.ts';

// Devices hold their keys as ScalarKeys (no node:crypto import per device). They must be the same
// keys deriveKeyPair gives, sign what node:crypto verifies, agree on ECDH, and never show the scalar.

const secret = Buffer.from('world seed for scalar keys');

describe('ScalarKey', () => {
  it('is the key deriveKeyPair derives for the same secret and label', () => {
    const pair = deriveKeyPair(secret, 'device/00DB123456789001/DS');
    const key = deriveScalarKey(secret, 'device/00DB123456789001/DS');
    expect(key.point.equals(rawPublicKey(pair.publicKey))).toBe(true);
    expect(deriveScalarKey(secret, 'device/00DB123456789001/KA').point.equals(key.point)).toBe(false);
  });

  it('signs 64-octet r || s that node:crypto verifies, deterministically', () => {
    const key = deriveScalarKey(secret, 'signer');
    const message = Buffer.from('a GBCS response APDU, as signed data');
    const sig = key.sign(message);
    expect(sig.length).toBe(64);
    expect(key.sign(message).equals(sig)).toBe(true); // RFC 6979
    const pub = publicKeyFromRaw(key.point);
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(verify('sha256', Buffer.from('another message'), { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(false);
  });

  it('agrees on the ECDH secret with the peer, in either direction', () => {
    const device = deriveScalarKey(secret, 'device KA');
    const acb = createECDH('prime256v1');
    acb.generateKeys();
    expect(device.sharedSecret(acb.getPublicKey()).equals(acb.computeSecret(device.point))).toBe(true);
    expect(device.sharedSecret(acb.getPublicKey()).equals(device.sharedSecret(acb.getPublicKey()))).toBe(true);
  });

  it('never shows its scalar in JSON or inspection', () => {
    const key = deriveScalarKey(secret, 'secret-keeping');
    const scalar = key.exportScalar().toString('hex');
    expect(JSON.stringify({ key })).not.toContain(scalar);
    expect(inspect(key, { showHidden: true, depth: 5 })).not.toContain(scalar);
    expect(inspect(key)).toContain('ScalarKey');
  });

  it('refuses a scalar that is not 32 octets or not on the curve', () => {
    expect(() => new ScalarKey(Buffer.alloc(31, 1))).toThrow(PkiError);
    expect(() => new ScalarKey(Buffer.alloc(32, 0))).toThrow(PkiError);
  });
});
