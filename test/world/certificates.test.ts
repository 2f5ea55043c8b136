import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProfile, certificateFromPem, describeCertificate, generateKeyPair, issueDeviceCertificate, validatePath, type CertificateKind } from '../../pki/index.ts';
import { World, META } from '../../src/world/world.ts';
import { DCC, DNOS, dnoEui, GAS_TRANSPORTERS, LOAD_CONTROLLER, OTHER_USER, SUPPLIERS } from '../../src/world/catalogue.ts';
import type { CertificateRecord } from '../../db/index.ts';
import { expectOk, runCli, runCliAsync, runTool, scratchDir, splitPems } from '../helpers/world-cli.ts';

// Every certificate a demo seed makes fits its SMKI profile (pki checkProfile), chains to the
// world's root with pki validatePath, and `dcc-sim certs export --chain` gives chains that
// `openssl verify -x509_strict` accepts — including device certificates issued on demand.

const AT = '2026-11-01T00:00:00Z';
const scratch = scratchDir();
const worldFile = join(scratch.dir, 'world.db');
const otherFile = join(scratch.dir, 'other.db');
let certs: CertificateRecord[] = [];
const deviceCertIds: number[] = [];
let deviceEuis: string[] = [];

beforeAll(async () => {
  await Promise.all([
    runCliAsync(['seed', '--db', worldFile, '--premises', '40', '--seed', 'certs', '--at', AT]).then((r) => expectOk(r, 'seed world')),
    runCliAsync(['seed', '--db', otherFile, '--premises', '0', '--seed', 'another', '--at', AT]).then((r) => expectOk(r, 'seed other')),
  ]);
  // Device certificates are issued the first time something needs them: issue a few in-process.
  const w = World.open(worldFile);
  try {
    deviceEuis = ['ESME', 'GSME', 'GPF', 'CHF'].map((type) => w.store.listDevices({ type: type as 'ESME', limit: 1 }).devices[0]!.eui);
    for (const eui of deviceEuis) {
      const cred = w.deviceCredentials(eui);
      deviceCertIds.push(cred.dsCertificate.id, cred.kaCertificate.id);
    }
    certs = w.store.searchCertificates({ limit: 100_000 });
  } finally {
    w.close();
  }
});

afterAll(() => scratch.cleanup());

/** What the seed means each party's certificates to be: role code per EUI (organisation certificates). */
function expectedRole(eui: string): number {
  if (eui === DCC.accessControlBroker) return 4;
  if (eui === DCC.recovery) return 1;
  if (eui === DCC.transitionalCoS) return 5;
  if (eui === DCC.wanProvider) return 6;
  if (DNOS.some((d) => dnoEui(d.distributorId) === eui)) return 3;
  if (GAS_TRANSPORTERS.some((g) => g.eui === eui)) return 3;
  if (SUPPLIERS.some((s) => s.eui === eui)) return 2;
  if (eui === OTHER_USER.eui) return 127;
  if (eui === LOAD_CONTROLLER.eui) return 8;
  throw new Error(`certificate for unknown party ${eui}`);
}

describe('seeded certificates fit their SMKI profiles', () => {
  it('covers every kind: root, issuing CA, device CA, organisation, XML signing and device', () => {
    const kinds = new Set(certs.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['device', 'device-ca', 'issuing-ca', 'organisation', 'root', 'xml-signing']);
    // the 8 issued above, and the 2 the seed issued for the ESME it leaves holding a key pair generated on 6.17
    const devices = certs.filter((c) => c.kind === 'device');
    expect(devices.map((c) => c.id)).toEqual(expect.arrayContaining(deviceCertIds));
    const bySeed = devices.filter((c) => !deviceCertIds.includes(c.id));
    expect(bySeed.map((c) => c.keyUsage).sort()).toEqual(['DS', 'KA']);
    expect(new Set(bySeed.map((c) => c.subjectEui)).size).toBe(1);
  });

  it('every certificate passes checkProfile for its kind, role, key usage and owner', () => {
    const failures: string[] = [];
    for (const c of certs) {
      const kind = c.kind as CertificateKind;
      const expectation =
        kind === 'organisation'
          ? { kind, role: expectedRole(c.subjectEui!), keyUsage: c.keyUsage as 'DS' | 'KA', eui: c.subjectEui! }
          : kind === 'xml-signing'
            ? { kind, role: c.subjectEui === DCC.accessControlBroker ? 137 : 135, keyUsage: 'DS' as const, eui: c.subjectEui! }
            : kind === 'device'
              ? { kind, keyUsage: c.keyUsage as 'DS' | 'KA', eui: c.subjectEui! }
              : { kind };
      const problems = checkProfile(c.der, expectation);
      if (problems.length) failures.push(`#${c.id} ${c.kind} ${c.label}: ${problems.map((p) => `${p.code}: ${p.message}`).join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('checkProfile is not a rubber stamp: a slot mismatch is reported', () => {
    const orgDs = certs.find((c) => c.kind === 'organisation' && c.keyUsage === 'DS')!;
    expect(checkProfile(orgDs.der, { kind: 'organisation', keyUsage: 'KA' }).map((p) => p.code)).toContain('key-usage-mismatch');
    expect(checkProfile(orgDs.der, { kind: 'root' }).length).toBeGreaterThan(0);
  });

  it('device certificates are for the device they were issued to', () => {
    for (const [i, eui] of deviceEuis.entries()) {
      for (const id of deviceCertIds.slice(i * 2, i * 2 + 2)) {
        const c = certs.find((x) => x.id === id)!;
        expect(c.subjectEui).toBe(eui);
        expect(c.notAfter).toBe('9999-12-31T23:59:59.000Z');
      }
    }
  });

  it('every certificate chains to the world root (pki validatePath at the reference time)', () => {
    const byKind = (k: string) => certs.filter((c) => c.kind === k).map((c) => c.der);
    const [root] = byKind('root');
    const intermediates = [...byKind('issuing-ca'), ...byKind('device-ca')];
    expect(root).toBeDefined();
    const failures: string[] = [];
    for (const c of certs) {
      const r = validatePath(c.der, intermediates, [root!], { at: new Date(AT) });
      if (!r.ok) failures.push(`#${c.id} ${c.kind} ${c.label}: ${r.code} ${r.reason}`);
    }
    expect(failures).toEqual([]);
    // and not to another world's root
    const w = World.open(otherFile);
    try {
      const otherRoot = w.certificate(Number(w.meta(META.rootCertificateId))).der;
      const leaf = certs.find((c) => c.kind === 'organisation')!;
      expect(validatePath(leaf.der, intermediates, [otherRoot], { at: new Date(AT) }).ok).toBe(false);
    } finally {
      w.close();
    }
  });
});

describe('certs export --chain gives chains openssl accepts', () => {
  // One certificate of each (kind, usage) the world holds: the export is the same code for all.
  const representatives = () => {
    const seen = new Map<string, CertificateRecord>();
    for (const c of certs) {
      const key = `${c.kind}/${c.keyUsage}`;
      if (!seen.has(key)) seen.set(key, c);
    }
    return [...seen.values()].filter((c) => c.kind !== 'root');
  };

  const verify = (dir: string, name: string, pems: string[], rootPem: string) => {
    const files = pems.map((p, i) => {
      const f = join(dir, `${name}-${i}.pem`);
      writeFileSync(f, p);
      return f;
    });
    const rootFile = join(dir, `${name}-anchor.pem`);
    writeFileSync(rootFile, rootPem);
    const untrusted = files.slice(1, -1);
    const args = ['verify', '-x509_strict', '-CAfile', rootFile];
    if (untrusted.length) {
      const bundle = join(dir, `${name}-untrusted.pem`);
      writeFileSync(bundle, untrusted.map((f) => readFileSync(f, 'utf8')).join(''));
      args.push('-untrusted', bundle);
    }
    args.push(files[0]!);
    return runTool('openssl', args);
  };

  it('for every kind of certificate, organisation and device alike', async () => {
    const reps = representatives();
    // issuing CA, device CA, organisation DS and KA, XML signing, device DS and KA
    expect(reps.length).toBe(7);
    const results: string[] = [];
    // two exports at a time; refs alternate between repository id and serial (hex with 0x)
    for (let i = 0; i < reps.length; i += 2) {
      const batch = reps.slice(i, i + 2);
      const outs = await Promise.all(
        batch.map((c, j) => runCliAsync(['certs', 'export', (i + j) % 2 ? `0x${c.serialHex}` : String(c.id), '--chain', '--db', worldFile])),
      );
      for (const [j, r] of outs.entries()) {
        const c = batch[j]!;
        expectOk(r, `certs export ${c.id}`);
        const pems = splitPems(r.stdout);
        // leaf, its CA, the root
        const wantLength = c.kind === 'issuing-ca' || c.kind === 'device-ca' ? 2 : 3;
        expect(pems.length, `chain of #${c.id} ${c.kind}`).toBe(wantLength);
        expect(certificateFromPem(pems[0]!).equals(c.der), `#${c.id} leaf`).toBe(true);
        const top = describeCertificate(certificateFromPem(pems.at(-1)!));
        expect(top.kind).toBe('root');
        const v = verify(scratch.dir, `c${c.id}`, pems, pems.at(-1)!);
        results.push(`#${c.id} ${c.kind} ${c.keyUsage}: ${v.code === 0 ? 'OK' : v.stdout + v.stderr}`);
      }
    }
    expect(results.filter((r) => !r.endsWith(': OK'))).toEqual([]);
    expect(results.some((r) => r.includes(' device '))).toBe(true);
  });

  it('openssl verify -x509_strict accepts every certificate of the world under its CA and the root', () => {
    const pem = (der: Buffer) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
    const root = certs.find((c) => c.kind === 'root')!;
    const rootFile = join(scratch.dir, 'all-root.pem');
    writeFileSync(rootFile, pem(root.der));
    for (const [caKind, leafKinds] of [['issuing-ca', ['organisation', 'xml-signing']], ['device-ca', ['device']]] as const) {
      const ca = certs.find((c) => c.kind === caKind)!;
      const caFile = join(scratch.dir, `all-${caKind}.pem`);
      writeFileSync(caFile, pem(ca.der));
      const leaves = certs.filter((c) => (leafKinds as readonly string[]).includes(c.kind));
      const files = leaves.map((c) => {
        const f = join(scratch.dir, `all-${c.id}.pem`);
        writeFileSync(f, pem(c.der));
        return f;
      });
      const v = runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootFile, '-untrusted', caFile, ...files]);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
      expect(v.stdout.trim().split('\n').filter((l) => l.endsWith(': OK'))).toHaveLength(leaves.length);
      // the CA itself under the root
      expect(runTool('openssl', ['verify', '-x509_strict', '-CAfile', rootFile, caFile]).code).toBe(0);
    }
  });

  it('--out writes the same chain to a file; openssl rejects it against another world\'s root', () => {
    const leaf = certs.find((c) => c.kind === 'organisation' && c.role === 3 && c.keyUsage === 'KA')!;
    const out = join(scratch.dir, 'no-ka-chain.pem');
    expectOk(runCli(['certs', 'export', String(leaf.id), '--chain', '--out', out, '--db', worldFile]));
    const pems = splitPems(readFileSync(out, 'utf8'));
    expect(pems).toHaveLength(3);
    expect(verify(scratch.dir, 'ok', pems, pems[2]!).code).toBe(0);
    const otherRoot = expectOk(runCli(['certs', 'export', '1', '--db', otherFile])).stdout;
    expect(describeCertificate(certificateFromPem(otherRoot)).kind).toBe('root');
    const bad = verify(scratch.dir, 'bad', pems, otherRoot);
    expect(bad.code).not.toBe(0);
  });

  it('without --chain exports only the certificate', () => {
    const c = certs.find((x) => x.kind === 'xml-signing')!;
    const pems = splitPems(expectOk(runCli(['certs', 'export', String(c.id), '--db', worldFile])).stdout);
    expect(pems).toHaveLength(1);
    expect(certificateFromPem(pems[0]!).equals(c.der)).toBe(true);
  });
});

describe('device certificates are issued when looked at, and certify the keys the device uses', () => {
  it('the DCC can MAC for a device before its certificates exist; once looked at, they certify those very keys', () => {
    const w = World.open(worldFile);
    try {
      const eui = w.store.listDevices({ type: 'ESME', limit: 20 }).devices.map((d) => d.eui).find((e) => !deviceEuis.includes(e))!;
      const count = () => w.store.searchCertificates({ eui, kind: 'device', limit: 10 }).length;
      // What a command needs: the device's keys and its KA public key. Nothing is issued for it.
      const keys = w.deviceKeys(eui);
      expect(count()).toBe(0);
      // Looking issues them, once, and they hold exactly the keys the device signs and agrees with.
      const { dsCertificate, kaCertificate } = w.deviceCertificates(eui);
      expect(count()).toBe(2);
      expect(w.deviceCertificates(eui).dsCertificate.id).toBe(dsCertificate.id);
      const ds = describeCertificate(dsCertificate.der);
      const ka = describeCertificate(kaCertificate.der);
      expect(checkProfile(dsCertificate.der, { kind: 'device', keyUsage: 'DS', eui })).toEqual([]);
      expect(checkProfile(kaCertificate.der, { kind: 'device', keyUsage: 'KA', eui })).toEqual([]);
      expect(ds.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).equals(keys.dsKey.point)).toBe(true);
      expect(ka.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65).equals(keys.kaKey.point)).toBe(true);
    } finally {
      w.close();
    }
  });
});

describe('a rolled-back certificate leaves nothing behind in the caches', () => {
  it('an id handed out again after a rollback reads as the certificate that now holds it', () => {
    const w = World.open(worldFile);
    try {
      const dca = w.caHandle(META.deviceCaId);
      const issue = (eui: string) => issueDeviceCertificate(dca, { deviceEui: eui, keyUsage: 'DS', publicKey: generateKeyPair().publicKey, notBefore: dca.facts.notBefore });
      const first = issue('00DB99000000AA01');
      const second = issue('00DB99000000AA02');
      let rolledBackId = -1;
      expect(() =>
        w.store.transaction(() => {
          rolledBackId = w.registerCertificate(first);
          expect(w.certificateFacts(rolledBackId).subjectEui).toBe('00DB99000000AA01');
          expect(w.certificateDer(rolledBackId).equals(first)).toBe(true);
          throw new Error('refused after the insert');
        }),
      ).toThrow('refused after the insert');
      const id = w.registerCertificate(second);
      expect(id, 'SQLite hands the rolled-back rowid out again').toBe(rolledBackId);
      expect(w.certificateFacts(id).subjectEui).toBe('00DB99000000AA02');
      expect(w.certificateDer(id).equals(second)).toBe(true);
    } finally {
      w.close();
    }
  });
});
