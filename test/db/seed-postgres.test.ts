import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connectPostgres } from '../../db/postgres/index.ts';
import { World } from '../../src/world/index.ts';
import { startServer } from '../../src/server.ts';
import { dropPostgresDatabase, freshPostgresDatabase } from '../helpers/postgres.ts';
import { expectOk, openReadonly, runCliAsync, scratchDir } from '../helpers/world-cli.ts';

// `dcc-sim seed --db postgres://…` writes the fleet by COPY with the fleet tables' foreign keys and
// indexes dropped (db/fleet-loader.ts): the world it leaves must be the SQLite seed's, row for row,
// with the schema a world migrated and filled row by row has — every constraint back and validated.

const AT = '2026-11-01T00:00:00Z';
const PREMISES = '400';
const scratch = scratchDir();
const file = join(scratch.dir, 'world.db');
let seeded: string;
let migratedOnly: string;

/** the tables the fleet loader writes, and the few rows the seed's field work adds beside them */
const FLEET_TABLES = { devices: 'eui', device_security: 'device_eui', supply_points: 'mpxn', device_app_state: 'device_eui' } as const;

function pgRows<T>(url: string, sql: string): T[] {
  const db = connectPostgres(url);
  try {
    return db.query(sql) as T[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  seeded = freshPostgresDatabase();
  migratedOnly = freshPostgresDatabase();
  const [lite, pg] = await Promise.all([
    runCliAsync(['seed', '--db', file, '--premises', PREMISES, '--at', AT]),
    runCliAsync(['seed', '--db', seeded, '--premises', PREMISES, '--at', AT]),
  ]);
  expectOk(lite, 'seed into SQLite');
  expectOk(pg, 'seed into PostgreSQL');
  World.open(migratedOnly, { create: true }).close();
});

afterAll(() => {
  dropPostgresDatabase(seeded);
  dropPostgresDatabase(migratedOnly);
  scratch.cleanup();
});

describe('seed into PostgreSQL', () => {
  it.each(Object.entries(FLEET_TABLES))('%s holds the rows the SQLite seed writes', (table, key) => {
    const lite = openReadonly(file);
    const columns = (lite.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY name`).pluck().all() as string[]).join(', ');
    const asText = (r: Record<string, unknown>) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v))));
    const expected = (lite.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${key}`).all() as Record<string, unknown>[]).map(asText);
    lite.close();
    const actual = pgRows<Record<string, unknown>>(seeded, `SELECT ${columns} FROM ${table} ORDER BY ${key}`).map(asText);
    expect(actual.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it('leaves the constraints, indexes and table options of a migrated world, every foreign key validated', () => {
    const schema = (url: string) => ({
      constraints: pgRows<{ name: string; def: string; valid: boolean }>(
        url,
        `SELECT conname AS name, pg_get_constraintdef(oid) AS def, convalidated AS valid FROM pg_constraint
          WHERE connamespace = current_schema()::regnamespace ORDER BY conname`,
      ),
      indexes: pgRows<{ def: string }>(url, `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`),
      // storage parameters (the seed turns autovacuum off while it fills the fleet tables)
      tableOptions: pgRows<{ name: string; options: string }>(
        url,
        `SELECT relname AS name, reloptions::text AS options FROM pg_class
          WHERE relnamespace = current_schema()::regnamespace AND reloptions IS NOT NULL ORDER BY relname`,
      ),
    });
    const after = schema(seeded);
    expect(after.constraints.filter((c) => c.def.startsWith('FOREIGN KEY')).length).toBeGreaterThan(10);
    expect(after.constraints.every((c) => c.valid)).toBe(true);
    expect(after).toEqual(schema(migratedOnly));
  });

  it('refuses a database that holds a world, keeps it with --keep-existing, and replaces it with --force', async () => {
    const again = await runCliAsync(['seed', '--db', seeded, '--premises', '10', '--at', AT]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds a world/);
    const kept = expectOk(await runCliAsync(['seed', '--db', seeded, '--premises', '10', '--at', AT, '--keep-existing', '--json']), 'seed --keep-existing');
    expect(JSON.parse(kept.stdout)).toMatchObject({ kept: true });
    expect(pgRows<{ n: number }>(seeded, 'SELECT count(*)::int AS n FROM supply_points')[0]!.n).toBeGreaterThan(300);
    expectOk(await runCliAsync(['seed', '--db', seeded, '--premises', '10', '--at', AT, '--force']), 'seed --force');
    expect(pgRows<{ n: number }>(seeded, 'SELECT count(*)::int AS n FROM supply_points')[0]!.n).toBeLessThan(30);
  });

  it("seed --force on a world with sandboxes drops the sandboxes' databases too", async () => {
    const server = await startServer({ db: seeded, port: 0, host: '127.0.0.1', logger: false });
    let id: string;
    try {
      const made = await fetch(`${server.url}/api/sandboxes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'left behind?' }) });
      expect(made.status).toBe(201);
      id = ((await made.json()) as { id: string }).id;
      expect((await fetch(`${server.url}/api/sandboxes/${id}/reset`, { method: 'POST' })).status).toBe(200);
    } finally {
      await server.close();
    }
    const sandboxDatabases = () => pgRows<{ datname: string }>(seeded, `SELECT datname FROM pg_database WHERE datname LIKE '%\\_sb\\_${id}\\_%' ORDER BY 1`).map((r) => r.datname);
    const made = sandboxDatabases();
    expect(made.map((n) => n.replace(/.*_sb_[0-9a-f]+_/, '')), 'the live copy (reset once) and the snapshot').toEqual(['2', 'snapshot']);
    // a generation a reset cut short (created, never listed) goes too
    const stray = made[0]!.replace(/_2$/, '_3');
    const admin = connectPostgres(seeded);
    admin.command(`CREATE DATABASE "${stray}"`);
    admin.close();

    expectOk(await runCliAsync(['seed', '--db', seeded, '--premises', '10', '--at', AT, '--force']), 'seed --force');
    expect(sandboxDatabases()).toEqual([]);
    expect(pgRows<{ n: number }>(seeded, 'SELECT count(*)::int AS n FROM sandboxes')[0]!.n, 'the new world has no sandboxes').toBe(0);
  }, 120_000);
});
