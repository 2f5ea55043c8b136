import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { DNOS, dnoEui, DCC, GAS_TRANSPORTERS, SUPPLIERS } from '../../src/world/catalogue.ts';
import { parseMpanCore, makeMprn } from '../../src/world/mpxn.ts';
import { CELL_COLUMN, CELL_NAMES, type CellColumnName, type DeviceType } from '../../db/index.ts';
import { dumpTables, expectOk, openReadonly, runCliAsync, scratchDir, type TableDump } from '../helpers/world-cli.ts';

// `dcc-sim seed` on the demo profile: reproducible from --seed, and shaped like the issue says
// (14 DNOs with distributor IDs 10-23, gas transporters, suppliers, per-type cells, ~10% of mature
// ESMEs with another DNO's certificate, GPFs holding the ACB certificate in their NO cells).

const AT = '2026-11-01T00:00:00Z';
const DAY = 86_400_000;
const scratch = scratchDir();
const file = (name: string) => join(scratch.dir, name);
const seedTimes: Record<string, number> = {};

/** the cell set per device type: devices/index.ts cellsOf() once that door exists, else the seed's own sets */
let cellsOf: (t: DeviceType) => readonly string[];
const SEED_CELLS: Record<DeviceType, readonly CellColumnName[]> = {
  ESME: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS'],
  GSME: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'acbKA', 'transitionalCoSDS'],
  GPF: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS'],
  CHF: ['root', 'recovery', 'acbDS', 'acbKA', 'wanProviderDS'],
  PPMID: ['root', 'recovery', 'supplierDS', 'supplierKA', 'acbDS', 'acbKA'],
  HCALCS: ['root', 'recovery', 'supplierDS', 'supplierKA', 'acbDS', 'acbKA'],
  IHD: [],
  CAD: [],
};
let cellsSource = 'seed code';

/** world_meta.created_at is the wall-clock time of the seed: the one value allowed to differ. */
const skipWallClock = (table: string, row: unknown[]) => table === 'world_meta' && row[0] === 'created_at';

beforeAll(async () => {
  const seed = async (name: string, args: string[]) => {
    const r = expectOk(await runCliAsync(['seed', '--db', file(name), ...args, '--json']), `seed ${name}`);
    seedTimes[name] = r.ms;
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  // Independent seeds run two at a time (the CI machine has 2 cores).
  await Promise.all([
    seed('s1-a.db', ['--premises', '300', '--seed', 's1', '--at', AT]),
    seed('s1-b.db', ['--premises', '300', '--seed', 's1', '--at', AT]),
  ]);
  await Promise.all([
    seed('s2.db', ['--premises', '300', '--seed', 's2', '--at', AT]),
    seed('big.db', ['--premises', '2000', '--seed', 'shape', '--at', AT]),
  ]);

  const devicesDoor = '../../devices/index.ts';
  try {
    const mod = (await import(/* @vite-ignore */ devicesDoor)) as { cellsOf?: (t: DeviceType) => readonly string[] };
    if (typeof mod.cellsOf === 'function') {
      cellsOf = mod.cellsOf;
      cellsSource = 'devices/index.ts cellsOf';
    }
  } catch {
    // devices/index.ts not written yet
  }
  cellsOf ??= (t) => SEED_CELLS[t];
});

afterAll(() => {
  console.info(`[world] seed timings (ms): ${JSON.stringify(seedTimes)}; cells checked against ${cellsSource}`);
  scratch.cleanup();
});

describe('seed is reproducible', () => {
  let a: TableDump;
  let b: TableDump;
  beforeAll(() => {
    a = dumpTables(file('s1-a.db'), skipWallClock);
    b = dumpTables(file('s1-b.db'), skipWallClock);
  });

  it('the same --seed and --at give identical rows in every table', () => {
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const table of Object.keys(a)) {
      expect(b[table]!.length, table).toBe(a[table]!.length);
      expect(b[table], table).toEqual(a[table]);
    }
    // the tables the world lives in are not empty
    for (const t of ['parties', 'certificates', 'private_keys', 'distributors', 'supply_points', 'devices', 'device_security']) {
      expect(a[t]!.length, t).toBeGreaterThan(0);
    }
  });

  it('certificates and private keys are byte-identical', () => {
    const derOf = (f: string) => {
      const db = openReadonly(f);
      try {
        return db.prepare('SELECT c.fingerprint, c.der, k.pkcs8 FROM certificates c LEFT JOIN private_keys k ON k.certificate_id = c.id ORDER BY c.id').all() as {
          fingerprint: string;
          der: Buffer;
          pkcs8: Buffer | null;
        }[];
      } finally {
        db.close();
      }
    };
    const ca = derOf(file('s1-a.db'));
    const cb = derOf(file('s1-b.db'));
    expect(ca.length).toBeGreaterThan(50);
    expect(cb.length).toBe(ca.length);
    ca.forEach((c, i) => {
      expect(Buffer.compare(c.der, cb[i]!.der), `certificate ${i}`).toBe(0);
      const ka = c.pkcs8;
      const kb = cb[i]!.pkcs8;
      expect(ka === null, `key ${i}`).toBe(kb === null);
      if (ka && kb) expect(Buffer.compare(ka, kb), `key ${i}`).toBe(0);
    });
  });

  it('a different --seed gives a different world (keys, certificates and layout)', () => {
    const c = dumpTables(file('s2.db'), skipWallClock);
    const fingerprints = (d: TableDump) => new Set(d.certificates!.map((r) => r[1] as string));
    const fa = fingerprints(a);
    const shared = [...fingerprints(c)].filter((f) => fa.has(f));
    expect(shared).toEqual([]);
    // the fleet is laid out differently: same number of premises, different supply points/devices
    expect(c.supply_points).not.toEqual(a.supply_points);
    expect(c.devices).not.toEqual(a.devices);
  });
});

describe('seeded world shape (2000 premises)', () => {
  let db: Database.Database;
  beforeAll(() => {
    db = openReadonly(file('big.db'));
  });
  afterAll(() => db.close());

  const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T;

  it('has the 14 DNOs under distributor IDs 10-23, each a network operator with NO DS and KA certificates', () => {
    const rows = all<{ distributor_id: string; party_eui: string; market_id: string }>('SELECT * FROM distributors ORDER BY distributor_id');
    expect(rows.map((r) => r.distributor_id)).toEqual(Array.from({ length: 14 }, (_, i) => String(10 + i)));
    expect(new Set(rows.map((r) => r.party_eui)).size).toBe(14);
    for (const r of rows) {
      expect(r.party_eui).toBe(dnoEui(r.distributor_id));
      const roles = all<{ user_role: string }>('SELECT user_role FROM party_user_roles WHERE party_eui = ?', r.party_eui).map((x) => x.user_role);
      expect(roles, r.distributor_id).toContain('ED');
      const usages = all<{ key_usage: string }>(
        "SELECT key_usage FROM certificates WHERE subject_eui = ? AND role = 3 AND kind = 'organisation' ORDER BY key_usage",
        r.party_eui,
      ).map((x) => x.key_usage);
      expect(usages, r.distributor_id).toEqual(['DS', 'KA']);
    }
    expect(rows.map((r) => r.market_id)).toEqual(DNOS.map((d) => d.marketId));
  });

  it('has the gas transporters (GT role), some DCC Users and some not, and the suppliers with supplier certificates', () => {
    for (const g of GAS_TRANSPORTERS) {
      const p = one<{ dcc_user: number; smki_subscriber: number } | undefined>('SELECT * FROM parties WHERE eui = ?', g.eui);
      expect(p, g.name).toBeDefined();
      expect(p!.dcc_user).toBe(g.dccUser ? 1 : 0);
      expect(p!.smki_subscriber).toBe(g.smkiSubscriber ? 1 : 0);
      expect(all('SELECT 1 FROM party_user_roles WHERE party_eui = ? AND user_role = ?', g.eui, 'GT')).toHaveLength(1);
      const noCerts = all('SELECT 1 FROM certificates WHERE subject_eui = ? AND role = 3', g.eui).length;
      expect(noCerts, g.name).toBe(g.smkiSubscriber ? 2 : 0);
    }
    expect(GAS_TRANSPORTERS.some((g) => g.dccUser) && GAS_TRANSPORTERS.some((g) => !g.dccUser)).toBe(true);
    for (const s of SUPPLIERS) {
      const roles = all<{ user_role: string }>('SELECT user_role FROM party_user_roles WHERE party_eui = ?', s.eui).map((x) => x.user_role);
      expect(roles.sort()).toEqual([...s.userRoles].sort());
      // DS, KA and the prepayment top-up KA
      expect(all('SELECT 1 FROM certificates WHERE subject_eui = ? AND role = 2', s.eui), s.name).toHaveLength(3);
    }
    for (const eui of Object.values(DCC)) {
      expect(one<{ is_dcc: number }>('SELECT is_dcc FROM parties WHERE eui = ?', eui).is_dcc).toBe(1);
    }
  });

  it('gives every device exactly the cells of its type, each holding a certificate of the right role and usage', () => {
    const rows = all<Record<string, unknown>>(
      'SELECT d.type, s.* FROM devices d JOIN device_security s ON s.device_eui = d.eui',
    );
    expect(rows.length).toBe(one<{ n: number }>('SELECT count(*) AS n FROM devices').n);
    const certs = new Map(
      all<{ id: number; kind: string; role: number | null; key_usage: string }>('SELECT id, kind, role, key_usage FROM certificates').map((c) => [c.id, c]),
    );
    const columnOf = CELL_COLUMN;
    // which roles may sit in a cell: its own, or the ACB's (DCC-controlled devices, MP128B)
    const allowedRoles: Record<CellColumnName, number[]> = {
      root: [0],
      recovery: [1],
      supplierDS: [2, 4],
      supplierKA: [2, 4],
      supplierTopUpKA: [2, 4],
      networkOperatorDS: [3, 4],
      networkOperatorKA: [3, 4],
      acbDS: [4],
      acbKA: [4],
      transitionalCoSDS: [5],
      wanProviderDS: [6],
      // the supplier appoints a load controller (6.15.1, CS02g), which RTDS shows may be itself
      loadControllerDS: [8, 2],
      loadControllerKA: [8, 2],
    };
    const byType = new Map<string, number>();
    const problems: string[] = []; // collected, then asserted once: thousands of expect() calls are slow
    for (const r of rows) {
      const type = r.type as DeviceType;
      const eui = String(r.device_eui);
      byType.set(type, (byType.get(type) ?? 0) + 1);
      // An ESME with no load controller appointed has empty load controller cells.
      const expected = cellsOf(type).filter((n) => !n.startsWith('loadController') || r[columnOf[n as CellColumnName]] !== null).sort().join(',');
      const filledNames = CELL_NAMES.filter((n) => r[columnOf[n]] !== null);
      const filled = [...filledNames].sort().join(',');
      if (filled !== expected) problems.push(`${type} ${eui} has cells ${filled}, expected ${expected}`);
      for (const n of filledNames) {
        const c = certs.get(r[columnOf[n]] as number);
        if (!c) {
          problems.push(`${eui} ${n}: no certificate ${String(r[columnOf[n]])}`);
          continue;
        }
        const wantUsage = n === 'root' ? 'CA' : n.endsWith('KA') ? 'KA' : 'DS';
        const wantKind = n === 'root' ? 'root' : 'organisation';
        if (c.key_usage !== wantUsage) problems.push(`${eui} ${n}: usage ${c.key_usage}, expected ${wantUsage}`);
        if (c.kind !== wantKind) problems.push(`${eui} ${n}: kind ${c.kind}, expected ${wantKind}`);
        if (c.role === null || !allowedRoles[n].includes(c.role)) problems.push(`${eui} ${n}: role ${c.role}, expected one of ${allowedRoles[n]}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    for (const t of ['ESME', 'GSME', 'GPF', 'CHF']) expect(byType.get(t), t).toBeGreaterThan(100);
    // one CHF per premises, the replacement of the one premises' hub that was replaced, and one each of the five
    // suppliers pre-notified and has not installed
    expect(byType.get('CHF')).toBe(2006);
  });

  it('gives roughly 10% of commissioned ESMEs older than 7 days another DNO\'s NO certificate (SECMP0063)', () => {
    const cutoff = new Date(new Date(AT).getTime() - 7 * DAY).toISOString();
    const rows = all<{ registered: string; holder: string | null; role: number }>(
      `SELECT sp.network_operator_eui AS registered, c.subject_eui AS holder, c.role AS role
         FROM devices d
         JOIN supply_points sp ON sp.mpxn = d.mpxn
         JOIN device_security s ON s.device_eui = d.eui
         JOIN certificates c ON c.id = s.network_operator_ds
        WHERE d.type = 'ESME' AND d.status = 'Commissioned' AND d.commissioned_at < ?`,
      cutoff,
    );
    expect(rows.length).toBeGreaterThan(1500);
    const dnoEuis = new Set(DNOS.map((d) => dnoEui(d.distributorId)));
    const wrong = rows.filter((r) => r.role === 3 && r.holder !== r.registered);
    // "another DNO's": every wrong one is a DNO, not a gas transporter or the ACB
    for (const w of wrong) expect(dnoEuis.has(w.holder!)).toBe(true);
    // past the 7 days, no ESME keeps the ACB in its NO cells
    expect(rows.filter((r) => r.role === 4)).toEqual([]);
    const share = wrong.length / rows.length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);
  });

  it('pairs every comms hub of a gas premises with its own GPF, and no other hub with one', () => {
    const hubs = all<{ gpf: string | null; paired: string | null }>(
      "SELECT (SELECT g.eui FROM devices g WHERE g.type = 'GPF' AND g.comms_hub_eui = h.eui) AS gpf, h.associated_gpf_eui AS paired FROM devices h WHERE h.type = 'CHF'",
    );
    expect(hubs.some((h) => h.gpf !== null)).toBe(true);
    for (const h of hubs) expect(h.paired).toBe(h.gpf);
  });

  it('keeps the ACB certificate in the NO cells of some commissioned GPFs (MP128B) and never in a GSME', () => {
    const acbDs = one<{ id: number }>("SELECT id FROM certificates WHERE subject_eui = ? AND role = 4 AND key_usage = 'DS'", DCC.accessControlBroker).id;
    const acbKa = one<{ id: number }>("SELECT id FROM certificates WHERE subject_eui = ? AND role = 4 AND key_usage = 'KA'", DCC.accessControlBroker).id;
    const gpf = one<{ total: number; acb: number; acbBoth: number }>(
      `SELECT count(*) AS total,
              sum(s.network_operator_ds = ?) AS acb,
              sum(s.network_operator_ds = ? AND s.network_operator_ka = ?) AS acbBoth
         FROM devices d JOIN device_security s ON s.device_eui = d.eui
        WHERE d.type = 'GPF' AND d.status = 'Commissioned'`,
      acbDs,
      acbDs,
      acbKa,
    );
    expect(gpf.acb).toBeGreaterThan(0);
    expect(gpf.acb).toBe(gpf.acbBoth);
    expect(gpf.acb).toBeLessThan(gpf.total); // some, not all: others hold a gas network's certificate
    // devices not yet commissioned are DCC controlled: the ACB in supplier and NO cells (a withdrawn device, one
    // taken out of service, keeps the cells it had)
    const notCommissioned = all<{ supplier_ds: number; network_operator_ds: number | null; type: string }>(
      "SELECT d.type, s.supplier_ds, s.network_operator_ds FROM devices d JOIN device_security s ON s.device_eui = d.eui WHERE d.status NOT IN ('Commissioned', 'Withdrawn') AND d.type IN ('ESME', 'GPF')",
    );
    expect(notCommissioned.length).toBeGreaterThan(0);
    for (const r of notCommissioned) {
      expect(r.supplier_ds).toBe(acbDs);
      expect(r.network_operator_ds).toBe(acbDs);
    }
  });

  it('registers valid MPANs whose distributor ID names the registered DNO, and MPRNs with valid check digits', () => {
    const mpans = all<{ mpxn: string; network_operator_eui: string }>("SELECT mpxn, network_operator_eui FROM supply_points WHERE fuel = 'E'");
    expect(mpans.length).toBeGreaterThan(1500);
    for (const m of mpans) {
      expect(parseMpanCore(m.mpxn)).toBe(m.mpxn);
      expect(m.network_operator_eui).toBe(dnoEui(m.mpxn.slice(0, 2)));
    }
    const ids = new Set(mpans.map((m) => m.mpxn.slice(0, 2)));
    expect(ids.size).toBe(14);
    const mprns = all<{ mpxn: string }>("SELECT mpxn FROM supply_points WHERE fuel = 'G'");
    expect(mprns.length).toBeGreaterThan(800);
    for (const { mpxn } of mprns) expect(makeMprn(mpxn.slice(0, -2))).toBe(mpxn);
    // meters sit on supply points of their fuel; the GSME and GPF of a premises share the MPRN
    const mismatched = all(
      "SELECT d.eui FROM devices d JOIN supply_points s ON s.mpxn = d.mpxn WHERE (d.type = 'ESME' AND s.fuel != 'E') OR (d.type IN ('GSME', 'GPF') AND s.fuel != 'G')",
    );
    expect(mismatched).toEqual([]);
    // only a pre-notified device (not yet installed) has no MPxN
    expect(all("SELECT eui FROM devices WHERE type != 'CHF' AND mpxn IS NULL AND status != 'Pending'")).toEqual([]);
  });

  it('dates commissioning before the reference time, some within the last 7 days', () => {
    const r = one<{ latest: string; recent: number; none: number }>(
      `SELECT max(commissioned_at) AS latest,
              sum(commissioned_at >= ?) AS recent,
              sum(status = 'Commissioned' AND commissioned_at IS NULL) AS none
         FROM devices`,
      new Date(new Date(AT).getTime() - 7 * DAY).toISOString(),
    );
    expect(r.latest < AT.replace('Z', '.000Z')).toBe(true);
    expect(r.recent).toBeGreaterThan(0);
    expect(r.none).toBe(0);
  });
});
