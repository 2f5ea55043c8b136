import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashedEui } from '../../pki/index.ts';
import type { DeviceView } from '../../src/world/views.ts';
import {
  expectOk,
  KEYSTORE_JSON,
  listDir,
  openReadonly,
  runCli,
  runCliAsync,
  scratchDir,
  sha256File,
  worldFingerprint,
  ZAZ1_ISSUING_CA_TEMPLATE,
} from '../helpers/world-cli.ts';

// The command line over a seeded world: `devices show` and friends, and what it does with bad
// input — a clear message on stderr, a non-zero exit, and the world file left exactly as it was
// (a failed seed leaves no file behind at all).

const AT = '2026-11-01T00:00:00Z';
const scratch = scratchDir();
const worldFile = join(scratch.dir, 'world.db');

interface Row {
  eui: string;
  type: string;
  supplier: string;
  no: string;
}
let esme: Row;

beforeAll(async () => {
  expectOk(await runCliAsync(['seed', '--db', worldFile, '--premises', '50', '--seed', 'cli', '--at', AT]));
  const db = openReadonly(worldFile);
  try {
    esme = db
      .prepare(
        `SELECT d.eui, d.type, sp.supplier_eui AS supplier, sp.network_operator_eui AS no
           FROM devices d JOIN supply_points sp ON sp.mpxn = d.mpxn
          WHERE d.type = 'ESME' AND d.status = 'Commissioned' ORDER BY d.eui LIMIT 1`,
      )
      .get() as Row;
  } finally {
    db.close();
  }
});

afterAll(() => scratch.cleanup());

const partyName = (eui: string) => {
  const db = openReadonly(worldFile);
  try {
    return (db.prepare('SELECT name FROM parties WHERE eui = ?').get(eui) as { name: string }).name;
  } finally {
    db.close();
  }
};

describe('devices show', () => {
  it('prints the device, its registration data and every cell with the holder party', () => {
    const r = expectOk(runCli(['devices', 'show', dashedEui(esme.eui), '--db', worldFile]));
    const out = r.stdout;
    expect(out).toContain(`ESME ${dashedEui(esme.eui)}`);
    expect(out).toContain(partyName(esme.supplier));
    for (const cell of ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS']) {
      expect(out, cell).toMatch(new RegExp(`^${cell}\\s`, 'm'));
    }
    // the supplier cells name the supplier party, the ACB cell the DCC
    const line = (cell: string) => out.split('\n').find((l) => l.startsWith(`${cell} `))!;
    expect(line('supplierDS')).toContain(partyName(esme.supplier));
    expect(line('acbKA')).toContain('DCC (Access Control Broker)');
    expect(line('recovery')).toContain('DCC (SMKI Recovery)');
    expect(line('root')).not.toContain('(empty)');
    expect(out).not.toMatch(/^wanProviderDS/m);
  });

  it('--json parses and agrees with the text', () => {
    const r = expectOk(runCli(['devices', 'show', esme.eui.toLowerCase(), '--db', worldFile, '--json']));
    const v = JSON.parse(r.stdout) as DeviceView;
    expect(v.device.eui).toBe(esme.eui);
    expect(v.device.type).toBe('ESME');
    expect(v.registeredSupplier).toBe(esme.supplier);
    expect(v.registeredNetworkOperator).toBe(esme.no);
    expect(v.cells.map((c) => c.cell).sort()).toEqual(
      ['acbKA', 'networkOperatorDS', 'networkOperatorKA', 'recovery', 'root', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'transitionalCoSDS'],
    );
    const supplierDs = v.cells.find((c) => c.cell === 'supplierDS')!.certificate!;
    expect(supplierDs.holder).toBe(partyName(esme.supplier));
    expect(supplierDs.subjectEui).toBe(esme.supplier);
    expect(supplierDs.keyUsage).toBe('DS');
    expect(supplierDs.roleCode).toBe(2);
  });

  it('shows a CHF with its DCC cells', () => {
    const chf = expectOk(runCli(['devices', 'list', '--type', 'CHF', '--limit', '1', '--db', worldFile, '--json']));
    const { devices, total } = JSON.parse(chf.stdout) as { devices: { eui: string }[]; total: number };
    // one per premises, the replacement of the one premises' hub that was replaced, and the one each of the five
    // suppliers pre-notified
    expect(total).toBe(56);
    const v = JSON.parse(expectOk(runCli(['devices', 'show', devices[0]!.eui, '--db', worldFile, '--json'])).stdout) as DeviceView;
    expect(v.cells.map((c) => c.cell).sort()).toEqual(['acbDS', 'acbKA', 'recovery', 'root', 'wanProviderDS']);
    expect(v.cells.find((c) => c.cell === 'wanProviderDS')!.certificate!.holder).toBe('DCC (WAN Provider)');
  });
});

describe('bad input: clear message, non-zero exit, world file untouched', () => {
  /**
   * Runs a failing command and checks the world file's bytes did not change. (Only the main file:
   * two commands run side by side share its -wal/-shm companions while they run.)
   */
  const failsCleanly = async (args: string[], message: RegExp) => {
    const before = sha256File(worldFile);
    const r = await runCliAsync(args);
    expect(r.code, `${args.join(' ')}\nstdout: ${r.stdout}`).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/^dcc-sim: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
    expect(sha256File(worldFile)).toBe(before);
    return r;
  };

  it('a status the inventory has no such value for is refused with the statuses it has, not an empty page', async () => {
    const r = await runCliAsync(['devices', 'list', '--status', 'Bogus', '--db', worldFile]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/'Bogus' is invalid\. Allowed choices are Pending, Whitelisted, InstalledNotCommissioned, Commissioned/);
    expect(r.stdout).toBe('');
  });

  it('a world that does not exist yet says how to make one', async () => {
    await failsCleanly(['devices', 'list', '--db', join(scratch.dir, 'not-made-yet.db')], /no such file: make a world with `dcc-sim seed --db .*not-made-yet\.db`/);
  });

  afterAll(() => {
    // and once they have all finished, nothing is left in the WAL: every change would be in the main file
    expect(worldFingerprint(worldFile)).toBe(`${sha256File(worldFile)} - -`);
  });

  it('an unknown EUI in devices show', async () => {
    await failsCleanly(['devices', 'show', '00-DB-5A-0E-FF-FF-FF-FF', '--db', worldFile], /no device with EUI 00-DB-5A-0E-FF-FF-FF-FF/);
  });

  it('an EUI that is not one', async () => {
    await Promise.all([
      failsCleanly(['devices', 'show', '00-DB-5A-0E-00-00-00-0G', '--db', worldFile], /'00-DB-5A-0E-00-00-00-0G' is not an EUI-64/),
      failsCleanly(['devices', 'list', '--supplier', '00DB5A0E', '--db', worldFile], /'00DB5A0E' is not an EUI-64/),
    ]);
    await failsCleanly(['parties', 'set-response-url', 'xyz', 'http://127.0.0.1/', '--db', worldFile], /not an EUI-64/);
  });

  it('an MPAN with a wrong check digit or length, an MPRN that is not one', async () => {
    await Promise.all([
      failsCleanly(['devices', 'list', '--mpxn', '1900033146144', '--db', worldFile], /check digit 4, expected 3/),
      failsCleanly(['devices', 'list', '--mpxn', '12345678901234', '--db', worldFile], /must be/),
    ]);
    await failsCleanly(['devices', 'list', '--mpxn', '12ab5', '--db', worldFile], /must be/);
    // and a valid MPAN that is not in the world is not an error, just no rows
    const ok = expectOk(runCli(['devices', 'list', '--mpxn', '1900033146143', '--db', worldFile, '--json']));
    expect(JSON.parse(ok.stdout).total).toBe(0);
  });

  it('bad numbers', async () => {
    await failsCleanly(['devices', 'list', '--limit', 'abc', '--db', worldFile], /--limit/);
  });

  it('a bad response URL', async () => {
    const party = esme.supplier;
    await Promise.all([
      failsCleanly(['parties', 'set-response-url', party, 'not a url', '--db', worldFile], /not an absolute URL/),
      failsCleanly(['parties', 'set-response-url', party, 'ftp://example.com/', '--db', worldFile], /http or https/),
    ]);
  });

  it('a missing world file is not created by reading it', () => {
    const missing = join(scratch.dir, 'missing.db');
    const r = runCli(['devices', 'show', esme.eui, '--db', missing]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot open world database/);
    expect(existsSync(missing)).toBe(false);
  });

  it('seed onto an existing file without --force', async () => {
    const before = listDir(scratch.dir);
    await failsCleanly(['seed', '--db', worldFile, '--premises', '5', '--seed', 'other'], /already exists; use --force/);
    expect(listDir(scratch.dir)).toEqual(before);
  });

  describe('failed seeds leave no file behind', () => {
    /** `prefix` false for errors commander itself reports ('error: ...' with the usage). */
    const seedFails = async (name: string, extra: string[], message: RegExp, prefix = true) => {
      const target = join(scratch.dir, name);
      const r = await runCliAsync(['seed', '--db', target, ...extra]);
      expect(r.code, r.stdout).not.toBe(0);
      if (prefix) expect(r.stderr).toMatch(/^dcc-sim: /);
      expect(r.stderr).toMatch(message);
      expect(existsSync(target)).toBe(false);
      expect(listDir(scratch.dir).filter((f) => f.startsWith(name))).toEqual([]); // no .partial, -wal or -shm either
    };

    it('--premises abc, 1.5', async () => {
      await Promise.all([
        seedFails('p1.db', ['--premises', 'abc'], /--premises must be a whole number.*'abc'/),
        seedFails('p2.db', ['--premises', '1.5'], /--premises must be a whole number.*'1\.5'/),
      ]);
    });

    it('--at that is not a date', async () => {
      await seedFails('at.db', ['--at', 'yesterday'], /--at 'yesterday' is not a date-time/);
    });

    it('a malformed keystore', () => {
      const broken = join(scratch.dir, 'broken-keystore.json');
      writeFileSync(broken, '{"90b3d51f30020000": {"digitalSignature": {');
      const before = listDir(scratch.dir);
      const r = runCli(['seed', '--profile', 'zaz1', '--db', join(scratch.dir, 'k.db'), '--keystore', broken, '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^dcc-sim: keystore.*not valid JSON/);
      expect(listDir(scratch.dir)).toEqual(before);
    });

    it('a keystore entry that is not a keystore entry', () => {
      const wrong = join(scratch.dir, 'wrong-keystore.json');
      writeFileSync(wrong, JSON.stringify({ '90b3d51f30020000': { digitalSignature: { '12': { certificate: 'not a PEM', name: 'x', role: 3 } } } }));
      const before = listDir(scratch.dir);
      const r = runCli(['seed', '--profile', 'zaz1', '--db', join(scratch.dir, 'k2.db'), '--keystore', wrong, '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^dcc-sim: keystore/);
      expect(r.stderr).toContain("['90b3d51f30020000']['digitalSignature']['12']");
      expect(listDir(scratch.dir)).toEqual(before);
    });

    it('the zaz1 profile without --keystore or --issuing-ca', async () => {
      await Promise.all([
        seedFails('z1.db', ['--profile', 'zaz1', '--issuing-ca', ZAZ1_ISSUING_CA_TEMPLATE], /needs --keystore/),
        seedFails('z2.db', ['--profile', 'zaz1', '--keystore', KEYSTORE_JSON], /needs --issuing-ca/),
      ]);
    });

    it('an unknown profile (commander reports it, with the allowed choices)', async () => {
      await seedFails('u.db', ['--profile', 'bogus'], /'bogus' is invalid.*demo, zaz1/, false);
    });
  });
});
