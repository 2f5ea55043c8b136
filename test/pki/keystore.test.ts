import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeCertificate, PkiError, rawPublicKey, readDccBoxedKeystore, writeDccBoxedKeystore } from '../../pki/index.ts';
import type { KeystoreEntry } from '../../pki/index.ts';
import { KEYSTORE_PATH, keystoreEntry, makeTestPki, NO_EUI } from './fixtures.ts';

const original = readFileSync(KEYSTORE_PATH, 'utf8');

function failure(json: string): PkiError {
  try {
    readDccBoxedKeystore(json);
  } catch (e) {
    if (e instanceof PkiError) return e;
    throw e;
  }
  throw new Error('expected readDccBoxedKeystore to throw');
}

describe('DCC Boxed keystore', () => {
  it('reads keystore.json: 33 entries, each with a matching private key', () => {
    const entries = readDccBoxedKeystore(original);
    expect(entries).toHaveLength(33);
    const no = entries.find((e) => e.name === 'Z1-networkOperator-ka')!;
    expect(no).toMatchObject({ eui: '90B3D51F30020000', usage: 'KA', serialDecimal: keystoreEntry('Z1-networkOperator-ka').serial, role: 3 });
    expect(describeCertificate(no.certificate).serialDecimal).toBe(no.serialDecimal);
    for (const e of entries) expect(rawPublicKey(e.privateKey!).equals(rawPublicKey(describeCertificate(e.certificate).publicKey))).toBe(true);
  });

  it('read -> write -> read round trip; the written JSON has the same content as the original', () => {
    const entries = readDccBoxedKeystore(original);
    const written = writeDccBoxedKeystore(entries);
    const again = readDccBoxedKeystore(written);
    expect(again.map(summary)).toEqual(entries.map(summary));
    expect(JSON.parse(written)).toEqual(JSON.parse(original));
  });

  it('writes entries of our own PKI, with and without private keys', () => {
    const pki = makeTestPki();
    const entries: KeystoreEntry[] = [
      { eui: NO_EUI, usage: 'DS', serialDecimal: describeCertificate(pki.noDs).serialDecimal, certificate: pki.noDs, privateKey: pki.keys('no-ds').privateKey, name: 'X1-networkOperator-ds', role: 3 },
      { eui: NO_EUI, usage: 'KA', serialDecimal: describeCertificate(pki.noKa).serialDecimal, certificate: pki.noKa, name: 'X1-networkOperator-ka', role: 3 },
    ];
    const json = writeDccBoxedKeystore(entries);
    expect(Object.keys(JSON.parse(json))).toEqual(['90b3d51f30020000']);
    const back = readDccBoxedKeystore(json);
    expect(back.map(summary)).toEqual(entries.map(summary));
    expect(back[1]!.privateKey).toBeUndefined();
    expect(() => writeDccBoxedKeystore([entries[0]!, entries[0]!])).toThrow(/duplicate 90b3d51f30020000\/digitalSignature/);
  });

  it('rejects malformed keystores with the path of the bad entry', () => {
    expect(failure('{"90b3d51f30020000": ').message).toMatch(/^keystore is not valid JSON/);
    expect(failure('[]').message).toMatch(/top level must be an object keyed by EUI/);
    expect(failure('{"90b3d51f3002": {}}').message).toMatch(/^keystore\['90b3d51f3002'\]: '90b3d51f3002' is not an EUI-64/);
    expect(failure('{"90b3d51f30020000": {"signing": {}}}').message).toMatch(/\['signing'\]: key usage must be 'digitalSignature' or 'keyAgreement'/);

    const doc = JSON.parse(original);
    const bySerial = doc['90b3d51f30020000'].keyAgreement as Record<string, { certificate: string; privateKey: string; role: unknown }>;
    const [serial, entry] = Object.entries(bySerial)[0]!;

    const misfiled = { '90b3d51f30020000': { keyAgreement: { '12345': entry } } };
    const e1 = failure(JSON.stringify(misfiled));
    expect(e1.code).toBe('bad-keystore');
    expect(e1.message).toBe(`keystore['90b3d51f30020000']['keyAgreement']['12345'].certificate: certificate serial is ${serial}, but it is filed under 12345`);

    const wrongUsage = { '90b3d51f30020000': { digitalSignature: { [serial]: entry } } };
    expect(failure(JSON.stringify(wrongUsage)).message).toMatch(/certificate key usage is keyAgreement, but it is filed under digitalSignature/);

    const wrongEui = { '90b3d51f30010000': { keyAgreement: { [serial]: entry } } };
    expect(failure(JSON.stringify(wrongEui)).message).toMatch(/certificate is for EUI 90B3D51F30020000, but it is filed under 90B3D51F30010000/);

    const otherKey = Object.values(doc['90b3d51f30010000'].keyAgreement as Record<string, { privateKey: string }>)[0]!.privateKey;
    const wrongKey = { '90b3d51f30020000': { keyAgreement: { [serial]: { ...entry, privateKey: otherKey } } } };
    expect(failure(JSON.stringify(wrongKey)).message).toMatch(/\.privateKey: private key does not belong to the certificate/);

    const badRole = { '90b3d51f30020000': { keyAgreement: { [serial]: { ...entry, role: '3' } } } };
    expect(failure(JSON.stringify(badRole)).message).toMatch(/\.role: must be an integer role code 0\.\.255, got "3"/);

    const garbage = { '90b3d51f30020000': { keyAgreement: { [serial]: { ...entry, certificate: '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n' } } } };
    expect(failure(JSON.stringify(garbage)).message).toMatch(/\.certificate: not a certificate: /);

    const badKey = { '90b3d51f30020000': { keyAgreement: { [serial]: { ...entry, privateKey: 'not a key' } } } };
    expect(failure(JSON.stringify(badKey)).message).toMatch(/\.privateKey: not a PEM private key/);
  });
});

function summary(e: KeystoreEntry) {
  return {
    eui: e.eui, usage: e.usage, serial: e.serialDecimal, cert: e.certificate.toString('hex'), name: e.name, role: e.role,
    key: e.privateKey ? rawPublicKey(e.privateKey).toString('hex') : null,
  };
}
