/**
 * Sensitive payloads: the RTDS ESME's encrypted 4.1.1 register read decrypts with the supplier's KA key and
 * the device's KA certificate (both from the RTDS keystore), to the plaintext catalogue.md §2.3 shows; and
 * what the emulator encrypts decrypts the same way, while the wrong party or counter does not authenticate.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decryptSensitive, encryptSensitive } from '../../devices/index.ts';
import { REPO, rtds } from './helpers.ts';

const KEYS = resolve(REPO, '../shared/rtds-keystore');
const supplierKa = createPrivateKey(readFileSync(resolve(KEYS, '90b3d51f30010000-ka.key')));
const supplierKaPublic = createPublicKey(supplierKa);
const esmeKaPublic = new X509Certificate(readFileSync(resolve(KEYS, '00db1234567890a0-ka.pem'))).publicKey;

describe('sensitive payloads', () => {
  it('decrypts the RTDS ECS17b response with the supplier KA key', () => {
    const m = decodeGbcsMessage(rtds('4.1.1_ECS17b', 'ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'));
    if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
    const protectedResult = m.body.response.data[0]!;
    if (protectedResult.type !== 'structure') throw new Error(protectedResult.type);
    const ciphered = protectedResult.items[1]!;
    if (ciphered.type !== 'octet-string') throw new Error(ciphered.type);
    const plain = decryptSensitive(ciphered.value, supplierKa, esmeKaPublic, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter });
    expect(plain.toString('hex').toUpperCase()).toBe('0201020406' + '0000000A' + '02020F00161E' + '06' + '0000000A' + '02020F001620');
    expect(() => decryptSensitive(ciphered.value, supplierKa, esmeKaPublic, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter + 1n })).toThrow('does not authenticate');
  });

  it('what a device encrypts, its recipient decrypts', () => {
    const device = createPrivateKey(readFileSync(resolve(KEYS, '90b3d51f30000002-ka.key'))); // any P-256 key stands for the device here
    const p = { device: '00DB1234567890A0', party: '90B3D51F30010000', counter: 4242n };
    const c = encryptSensitive(Buffer.from('register 12345 Wh'), device, supplierKaPublic, p);
    expect(decryptSensitive(c, supplierKa, createPublicKey(device), p).toString()).toBe('register 12345 Wh');
    expect(() => decryptSensitive(c, supplierKa, createPublicKey(device), { ...p, party: '90B3D51F30020000' })).toThrow('does not authenticate');
  });
});
