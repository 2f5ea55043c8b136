import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { certificateFromPem, describeCertificate, readDccBoxedKeystore, rawPublicKey, privateKeyFromPkcs8, type KeystoreEntry } from '../../pki/index.ts';
import { readIssuingCa, ZAZ1_DSP_XML_SIGNING_SERIAL, ZAZ1_MPAN, ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { META } from '../../src/world/world.ts';
import type Database from 'better-sqlite3';
import { expectOk, KEYSTORE_JSON, listDir, openReadonly, runCliAsync, scratchDir, SHARED, ZAZ1_ISSUING_CA_TEMPLATE } from '../helpers/world-cli.ts';

// `dcc-sim seed --profile zaz1`: a world on the DCC's public ZAZ1 test identities. The keystore's
// certificates (with their private keys) go to the right parties; the RTDS devices
// 00-DB-12-34-56-78-90-A0..A6 exist with the cells seed-zaz1.ts describes; an --issuing-ca that
// did not issue the keystore's certificates is refused.

const scratch = scratchDir();
const worldFile = join(scratch.dir, 'zaz1.db');
let entries: KeystoreEntry[];
let db: Database.Database;
let z1Ski: string;

beforeAll(async () => {
  const r = expectOk(
    await runCliAsync(['seed', '--profile', 'zaz1', '--db', worldFile, '--keystore', KEYSTORE_JSON, '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE, '--at', '2026-11-01T00:00:00Z', '--json']),
  );
  const summary = JSON.parse(r.stdout) as { profile: string; devices: number };
  expect(summary.profile).toBe('zaz1');
  expect(summary.devices).toBe(7);
  entries = readDccBoxedKeystore(readFileSync(KEYSTORE_JSON, 'utf8'));
  z1Ski = describeCertificate(readIssuingCa(readFileSync(ZAZ1_ISSUING_CA_TEMPLATE))).ski;
  db = openReadonly(worldFile);
});

afterAll(() => {
  db?.close();
  scratch.cleanup();
});

const get = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T;
const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];

interface CertRow {
  id: number;
  subject_eui: string | null;
  role: number | null;
  key_usage: string;
  kind: string;
  label: string | null;
  der: Buffer;
  serial_decimal: string;
  ski: string;
}

describe('ZAZ1 keystore import', () => {
  it('stores every keystore certificate once, under its EUI, role and usage, with its private key', () => {
    expect(entries.length).toBeGreaterThan(30);
    for (const e of entries) {
      const rows = all<CertRow>('SELECT * FROM certificates WHERE serial_decimal = ?', e.serialDecimal);
      expect(rows, e.name).toHaveLength(1);
      const c = rows[0]!;
      expect(Buffer.compare(c.der, e.certificate), e.name).toBe(0);
      expect(c.subject_eui, e.name).toBe(e.eui);
      expect(c.role, e.name).toBe(e.role);
      expect(c.key_usage, e.name).toBe(e.usage);
      expect(c.label, e.name).toBe(e.name);
      // the party exists and the stored key is the keystore's key
      expect(get<{ n: number }>('SELECT count(*) AS n FROM parties WHERE eui = ?', e.eui).n, e.name).toBe(1);
      const pk = get<{ pkcs8: Buffer } | undefined>('SELECT pkcs8 FROM private_keys WHERE certificate_id = ?', c.id);
      expect(pk, `${e.name} private key`).toBeDefined();
      const stored = rawPublicKey(createPublicKey(privateKeyFromPkcs8(pk!.pkcs8)));
      expect(stored.equals(rawPublicKey(createPublicKey(e.privateKey!))), e.name).toBe(true);
    }
  });

  it('knows the ZAZ1 parties by their roles', () => {
    const roles = (eui: string) => all<{ user_role: string }>('SELECT user_role FROM party_user_roles WHERE party_eui = ? ORDER BY user_role', eui).map((r) => r.user_role);
    // OU as well: RTDS's own 9.1 vectors (ECS50, GCS36) name this test User as the requester
    expect(roles(ZAZ1_SUPPLIER)).toEqual(['ES', 'GS', 'IS', 'OU']);
    expect(roles('90B3D51F30030000')).toEqual(['GS', 'IS']);
    expect(roles(ZAZ1_NETWORK_OPERATOR)).toContain('ED');
    for (const eui of Object.values(DCC)) expect(get<{ is_dcc: number }>('SELECT is_dcc FROM parties WHERE eui = ?', eui).is_dcc, eui).toBe(1);
    expect(get<{ name: string }>('SELECT name FROM parties WHERE eui = ?', ZAZ1_SUPPLIER).name).toBe('GITTESTSUPPLIER');
  });

  it('pins the Z1 issuing CA as the trust anchor and uses the DSP XML-signing certificate for responses', () => {
    const meta = (k: string) => get<{ value: string }>('SELECT value FROM world_meta WHERE key = ?', k).value;
    expect(meta(META.profile)).toBe('zaz1');
    const anchor = get<CertRow>('SELECT * FROM certificates WHERE id = ?', Number(meta(META.rootCertificateId)));
    expect(anchor.kind).toBe('issuing-ca');
    expect(anchor.ski).toBe(z1Ski);
    expect(JSON.parse(meta(META.trustAnchorIds))).toEqual([anchor.id]);
    const dsp = get<CertRow>('SELECT * FROM certificates WHERE id = ?', Number(meta(META.dccXmlSigningCertificateId)));
    expect(dsp.serial_decimal).toBe(ZAZ1_DSP_XML_SIGNING_SERIAL);
    expect(dsp.subject_eui).toBe(DCC.accessControlBroker);
    expect(dsp.role).toBe(137);
    // the device CA is dcc-sim's own (the RTDS device keys are not published) and holds its key
    const dca = get<CertRow & { pkcs8: Buffer | null }>(
      'SELECT c.*, k.pkcs8 FROM certificates c LEFT JOIN private_keys k ON k.certificate_id = c.id WHERE c.id = ?',
      Number(meta(META.deviceCaId)),
    );
    expect(dca.kind).toBe('device-ca');
    expect(dca.pkcs8).not.toBeNull();
  });
});

describe('RTDS devices', () => {
  /** cell name -> keystore name of the certificate it holds ('Z1' for the issuing CA) */
  const cellsOf = (eui: string): Record<string, string> => {
    const row = get<Record<string, number | null> | undefined>('SELECT * FROM device_security WHERE device_eui = ?', eui);
    expect(row, eui).toBeDefined();
    const out: Record<string, string> = {};
    const names: Record<string, string> = {
      root: 'root',
      recovery: 'recovery',
      supplier_ds: 'supplierDS',
      supplier_ka: 'supplierKA',
      supplier_top_up_ka: 'supplierTopUpKA',
      network_operator_ds: 'networkOperatorDS',
      network_operator_ka: 'networkOperatorKA',
      acb_ds: 'acbDS',
      acb_ka: 'acbKA',
      transitional_cos_ds: 'transitionalCoSDS',
      wan_provider_ds: 'wanProviderDS',
      load_controller_ds: 'loadControllerDS',
      load_controller_ka: 'loadControllerKA',
    };
    for (const [col, cell] of Object.entries(names)) {
      const id = row![col];
      if (id === null || id === undefined) continue;
      const c = get<CertRow>('SELECT * FROM certificates WHERE id = ?', id);
      out[cell] = c.ski === z1Ski ? 'Z1' : c.label!;
    }
    return out;
  };
  const common = { root: 'Z1', recovery: 'Z1-recovery-ds', acbKA: 'Z1-accessControlBroker-ka', transitionalCoSDS: 'Z1-transitionalCoS-ds' };
  const supplier = { supplierDS: 'Z1-supplier-ds', supplierKA: 'Z1-supplier-ka', supplierTopUpKA: 'Z1-supplierPP-ka' };

  it('all seven exist, commissioned, the meters, GPF, PPMID and HCALCS on the ZAZ1 supply points behind the CHF', () => {
    const devices = all<{ eui: string; type: string; status: string; mpxn: string | null; comms_hub_eui: string | null }>('SELECT * FROM devices ORDER BY eui');
    expect(devices.map((d) => [d.eui, d.type])).toEqual([
      ['00DB1234567890A0', 'ESME'],
      ['00DB1234567890A1', 'GSME'],
      ['00DB1234567890A2', 'CHF'],
      ['00DB1234567890A3', 'GPF'],
      ['00DB1234567890A4', 'PPMID'],
      ['00DB1234567890A5', 'HCALCS'],
      ['00DB1234567890A6', 'ESME'],
    ]);
    for (const d of devices) expect(d.status).toBe('Commissioned');
    expect(devices[0]!.mpxn).toBe(ZAZ1_MPAN);
    expect(devices[1]!.mpxn).toBe(devices[3]!.mpxn);
    for (const i of [0, 1, 3, 4, 5, 6]) expect(devices[i]!.comms_hub_eui).toBe('00DB1234567890A2');
    const sp = get<{ supplier_eui: string; network_operator_eui: string }>('SELECT * FROM supply_points WHERE mpxn = ?', ZAZ1_MPAN);
    expect(sp).toEqual(expect.objectContaining({ supplier_eui: ZAZ1_SUPPLIER, network_operator_eui: ZAZ1_NETWORK_OPERATOR }));
  });

  it('ESMEs ...A0 and ...A6: the ZAZ1 supplier, network operator (the cert that signs the RTDS NOByNO command) and load controller', () => {
    for (const eui of ['00DB1234567890A0', '00DB1234567890A6']) {
      expect(cellsOf(eui)).toEqual({
        ...common,
        ...supplier,
        networkOperatorDS: 'Z1-networkOperator-ds',
        networkOperatorKA: 'Z1-networkOperator-ka',
        loadControllerDS: 'Z1-loadController-ds',
        loadControllerKA: 'Z1-loadController-ka',
      });
    }
  });

  it('GSME ...A1: the supplier, no network operator cells', () => {
    expect(cellsOf('00DB1234567890A1')).toEqual({ ...common, ...supplier });
  });

  it('CHF ...A2: the DCC cells', () => {
    expect(cellsOf('00DB1234567890A2')).toEqual({
      root: 'Z1',
      recovery: 'Z1-recovery-ds',
      acbDS: 'Z1-accessControlBroker-ds',
      acbKA: 'Z1-accessControlBroker-ka',
      wanProviderDS: 'Z1-wanProvider-ds',
    });
  });

  it('GPF ...A3: DCC controlled, the ACB in the supplier and network operator cells (as the 6.21 vectors need)', () => {
    expect(cellsOf('00DB1234567890A3')).toEqual({
      ...common,
      supplierDS: 'Z1-accessControlBroker-ds',
      supplierKA: 'Z1-accessControlBroker-ka',
      supplierTopUpKA: 'Z1-accessControlBroker-ka',
      networkOperatorDS: 'Z1-accessControlBroker-ds',
      networkOperatorKA: 'Z1-accessControlBroker-ka',
    });
  });
});

describe('a wrong --issuing-ca is refused', () => {
  const refused = async (name: string, issuingCa: string, message: RegExp) => {
    const target = join(scratch.dir, name);
    const before = listDir(scratch.dir);
    const r = await runCliAsync(['seed', '--profile', 'zaz1', '--db', target, '--keystore', KEYSTORE_JSON, '--issuing-ca', issuingCa]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^dcc-sim: /);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(target)).toBe(false);
    expect(listDir(scratch.dir)).toEqual(before);
  };

  it('our own root PEM: named, and said not to be the keystore\'s issuer', async () => {
    const demo = join(scratch.dir, 'demo.db');
    expectOk(await runCliAsync(['seed', '--db', demo, '--premises', '0', '--seed', 'zaz1-wrong-ca']));
    const rootPem = join(scratch.dir, 'own-root.pem');
    const exported = expectOk(await runCliAsync(['certs', 'export', '1', '--db', demo, '--out', rootPem]));
    expect(exported.stdout).toBe('');
    expect(describeCertificate(certificateFromPem(readFileSync(rootPem, 'utf8'))).kind).toBe('root');
    await refused('wrong-root.db', rootPem, /--issuing-ca CN=SA,OU=00 .*is not the CA that issued the keystore's ZAZ1 organisation certificates/);
  });

  it('a file with no certificate in it', async () => {
    const junk = join(scratch.dir, 'junk.txt');
    writeFileSync(junk, 'this is not a certificate\n');
    await refused('junk.db', junk, /holds no certificate/);
  });

  it('a DUIS request that carries no certificate, and a file that is not there', async () => {
    await refused('no-ca.db', join(SHARED, 'duis', '8.2_READ_INVENTORY_REQUEST_DUIS.XML'), /holds no certificate/);
    await refused('missing.db', join(scratch.dir, 'no-such-file.pem'), /no such file.*no-such-file\.pem/);
  });
});
