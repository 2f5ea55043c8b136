import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey, diffieHellman, sign, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoxedKeyStore } from '@smartdcc/dccboxed-keystore';
import { readDccBoxedKeystore, type KeystoreEntry } from '../../pki/index.ts';
import { expectOk, KEYSTORE_JSON, openReadonly, runCliAsync, scratchDir, ZAZ1_ISSUING_CA_TEMPLATE } from '../helpers/world-cli.ts';

// `dcc-sim keystore export`: the parties' organisation and XML-signing certificates with their
// private keys as a DCC Boxed keystore.json. It must read back (pki readDccBoxedKeystore and the
// DCC's own @smartdcc/dccboxed-keystore), each key must belong to its certificate, and a ZAZ1
// world must give back the keystore it was seeded from.

const scratch = scratchDir();
const demoWorld = join(scratch.dir, 'demo.db');
const zaz1World = join(scratch.dir, 'zaz1.db');
const demoKeystore = join(scratch.dir, 'demo-keystore.json');
const zaz1Keystore = join(scratch.dir, 'zaz1-keystore.json');
let demoEntries: KeystoreEntry[];

beforeAll(async () => {
  await Promise.all([
    runCliAsync(['seed', '--db', demoWorld, '--premises', '0', '--seed', 'keystore', '--at', '2026-11-01T00:00:00Z']).then((r) => expectOk(r, 'seed demo')),
    runCliAsync(['seed', '--profile', 'zaz1', '--db', zaz1World, '--keystore', KEYSTORE_JSON, '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE]).then((r) =>
      expectOk(r, 'seed zaz1'),
    ),
  ]);
  const [demo, zaz1] = await Promise.all([
    runCliAsync(['keystore', 'export', '--db', demoWorld, '--out', demoKeystore]),
    runCliAsync(['keystore', 'export', '--db', zaz1World, '--out', zaz1Keystore]),
  ]);
  expectOk(demo, 'export demo');
  expectOk(zaz1, 'export zaz1');
  expect(demo.stdout).toMatch(/^wrote \d+ keystore entries to /);
  demoEntries = readDccBoxedKeystore(readFileSync(demoKeystore, 'utf8'));
});

afterAll(() => scratch.cleanup());

describe('keystore export of a demo world', () => {
  it('holds every organisation and XML-signing certificate of the world, each with its private key', () => {
    const db = openReadonly(demoWorld);
    let world: { serial_decimal: string; der: Buffer; subject_eui: string; role: number; key_usage: string }[];
    try {
      world = db
        .prepare("SELECT serial_decimal, der, subject_eui, role, key_usage FROM certificates WHERE kind IN ('organisation', 'xml-signing') ORDER BY serial_decimal")
        .all() as typeof world;
    } finally {
      db.close();
    }
    expect(world.length).toBeGreaterThan(60);
    expect(demoEntries).toHaveLength(world.length);
    const bySerial = new Map(demoEntries.map((e) => [e.serialDecimal, e]));
    for (const c of world) {
      const e = bySerial.get(c.serial_decimal);
      expect(e, c.serial_decimal).toBeDefined();
      expect(Buffer.compare(e!.certificate, c.der)).toBe(0);
      expect(e!.eui).toBe(c.subject_eui);
      expect(e!.role).toBe(c.role);
      expect(e!.usage).toBe(c.key_usage);
      expect(e!.privateKey, `${e!.name} has a private key`).toBeDefined();
    }
    // the summary line counts what was written
    expect(readFileSync(demoKeystore, 'utf8').length).toBeGreaterThan(1000);
  });

  it('every private key signs what its certificate verifies, and not what another certificate does', () => {
    const data = Buffer.from('dcc-sim keystore export check');
    const failures: string[] = [];
    for (const [i, e] of demoEntries.entries()) {
      const certKey = new X509Certificate(e.certificate).publicKey;
      const signature = sign('sha256', data, e.privateKey!);
      if (!verify('sha256', data, certKey, signature)) failures.push(`${e.name}: signature does not verify`);
      const other = demoEntries[(i + 1) % demoEntries.length]!;
      if (verify('sha256', data, new X509Certificate(other.certificate).publicKey, signature)) failures.push(`${e.name}: verifies under ${other.name}`);
    }
    expect(failures).toEqual([]);
  });

  it('key-agreement pairs agree: ECDH of A\'s key with B\'s certificate equals B\'s key with A\'s certificate', () => {
    const ka = demoEntries.filter((e) => e.usage === 'KA');
    expect(ka.length).toBeGreaterThan(10);
    for (const [i, a] of ka.entries()) {
      const b = ka[(i + 1) % ka.length]!;
      const ab = diffieHellman({ privateKey: a.privateKey!, publicKey: new X509Certificate(b.certificate).publicKey });
      const ba = diffieHellman({ privateKey: b.privateKey!, publicKey: new X509Certificate(a.certificate).publicKey });
      expect(ab.equals(ba), `${a.name} / ${b.name}`).toBe(true);
    }
  });

  it('reads back with the DCC Boxed keystore library itself (lookup by serial, as the signing tool does)', async () => {
    const ks = await BoxedKeyStore.new('127.0.0.1', join(scratch.dir, 'boxed-cache.json'), demoKeystore);
    try {
      for (const e of demoEntries.slice(0, 12)) {
        const withKey = await ks.query({ serial: BigInt(e.serialDecimal), lookup: 'privateKey' });
        expect(withKey, e.name).not.toBeNull();
        expect(withKey!.role).toBe(e.role);
        expect(withKey!.eui.toString().toUpperCase().replace(/[^0-9A-F]/g, '')).toBe(e.eui);
        const pub = createPublicKey(withKey!.privateKey);
        expect(pub.export({ format: 'der', type: 'spki' }).equals(new X509Certificate(e.certificate).publicKey.export({ format: 'der', type: 'spki' }))).toBe(true);
        const withCert = await ks.query({ serial: BigInt(e.serialDecimal), lookup: 'certificate' });
        expect(Buffer.from(withCert!.certificate.raw).equals(e.certificate), e.name).toBe(true);
      }
    } finally {
      await ks.cleanup();
    }
  });
});

describe('keystore export of a ZAZ1 world', () => {
  it('gives back the keystore it was seeded from: same certificates, names, roles and keys', () => {
    const original = readDccBoxedKeystore(readFileSync(KEYSTORE_JSON, 'utf8'));
    const exported = readDccBoxedKeystore(readFileSync(zaz1Keystore, 'utf8'));
    const key = (e: KeystoreEntry) => `${e.eui}/${e.usage}/${e.serialDecimal}`;
    const summary = (list: KeystoreEntry[]) =>
      list
        .map((e) => ({
          key: key(e),
          name: e.name,
          role: e.role,
          der: e.certificate.toString('base64'),
          pub: e.privateKey ? createPublicKey(e.privateKey).export({ format: 'der', type: 'spki' }).toString('base64') : null,
        }))
        .sort((a, b) => a.key.localeCompare(b.key));
    expect(summary(exported)).toEqual(summary(original));
  });

  it('seeds a ZAZ1 world again from the exported keystore', async () => {
    const again = join(scratch.dir, 'zaz1-again.db');
    const r = expectOk(
      await runCliAsync(['seed', '--profile', 'zaz1', '--db', again, '--keystore', zaz1Keystore, '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE, '--json']),
    );
    expect(JSON.parse(r.stdout)).toEqual(expect.objectContaining({ profile: 'zaz1', devices: 7 }));
  });
});
