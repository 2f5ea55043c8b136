import { PgDatabase, PgStoreError } from './pg-database.ts';
import { connectPostgres, MIGRATION_LOCK, openPostgres } from './migrate.ts';

// Whole worlds as databases of one PostgreSQL server: a world's sandboxes are databases beside it
// (src/sandboxes). A world being served cannot be a CREATE DATABASE template (that needs it to
// have no connections), so it is copied table by table, COPY to COPY, from one consistent snapshot;
// a copy nobody serves (a sandbox's snapshot) can be, which makes a reset one statement.

/**
 * The session advisory locks dcc-sim takes on a PostgreSQL world, kept apart here (the migrations'
 * is 0x64636373, 'dccs', and the DCC counters' 0x6463636e, 'dccn', in migrate.ts): the server running the world's timer work holds `timers`
 * for as long as it runs; sandbox operations take `sandboxes` one at a time.
 */
export const ADVISORY_LOCKS = { timers: 0x64636374, sandboxes: 0x64636362 } as const;

/** The URL of another database on the same server, reached the same way. */
export function databaseUrl(url: string, database: string): string {
  const m = /^(postgres(?:ql)?:\/\/[^/?]*)\/?([^?]*)(\?.*)?$/i.exec(url);
  if (!m) throw new PgStoreError('bad-argument', `'${url}' is not a PostgreSQL URL`);
  return `${m[1]}/${encodeURIComponent(database)}${m[3] ?? ''}`;
}

/** The database a URL names. */
export function databaseOf(url: string): string {
  const m = /^postgres(?:ql)?:\/\/[^/?]*\/([^?]*)/i.exec(url);
  const name = m?.[1] ? decodeURIComponent(m[1]) : '';
  if (!name) throw new PgStoreError('bad-argument', `the PostgreSQL URL ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')} names no database`);
  return name;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** CREATE DATABASE, empty or a copy of `template` (which nobody may be connected to). */
export function createDatabase(via: PgDatabase, name: string, template?: string): void {
  via.command(`CREATE DATABASE ${quoted(name)}${template ? ` TEMPLATE ${quoted(template)}` : ''}`);
}

/** DROP DATABASE, closing whatever connections it has (a server still serving it loses them). */
export function dropDatabase(via: PgDatabase, name: string): void {
  via.command(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
}

/**
 * Copies the world at `sourceUrl` into the empty database at `targetUrl`: the schema by the
 * migrations, then every table's rows as of one snapshot (REPEATABLE READ), parents before the
 * tables that reference them, and the identity sequences moved past the copied ids. `except`:
 * tables whose rows stay behind.
 */
export function copyWorld(sourceUrl: string, targetUrl: string, except: readonly string[] = []): void {
  const target = openPostgres(targetUrl);
  const source = connectPostgres(sourceUrl, { readonly: true });
  try {
    const tables = tablesInLoadOrder(source).filter((t) => !except.includes(t) && t !== 'dcc_sim_schema');
    source.command('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    target.command('BEGIN');
    // what the migrations themselves put in
    target.command(`TRUNCATE ${tables.map(quoted).join(', ')}`);
    for (const t of tables) target.copyIn(`COPY ${quoted(t)} FROM STDIN`, source.copyOut(`COPY ${quoted(t)} TO STDOUT`));
    const identities = target.query(
      "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
    ) as { t: string; c: string }[];
    for (const { t, c } of identities) {
      target.command(`SELECT setval(pg_get_serial_sequence('${quoted(t)}', '${c}'), GREATEST((SELECT max(${quoted(c)}) FROM ${quoted(t)}), 1))`);
    }
    // the DCC's counters go on from where the source's are (a copy's commands must not repeat one)
    const dccCounter = (source.query('SELECT last_value::text AS v FROM dcc_counter_seq')[0] as { v: string }).v;
    target.command(`SELECT setval('dcc_counter_seq', GREATEST(${BigInt(dccCounter)}, (SELECT last_value FROM dcc_counter_seq)))`);
    target.command('COMMIT');
    source.command('COMMIT');
  } finally {
    source.close();
    target.close();
  }
}

/** The schema's tables, each after every table its foreign keys reference. */
function tablesInLoadOrder(db: PgDatabase): string[] {
  const tables = (db.query('SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1') as { t: string }[]).map((r) => r.t);
  const edges = db.query(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
      WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace AND c.relname <> p.relname`,
  ) as { child: string; parent: string }[];
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (t: string, path: Set<string>) => {
    if (placed.has(t) || path.has(t)) return;
    path.add(t);
    for (const e of edges) if (e.child === t) place(e.parent, path);
    placed.add(t);
    order.push(t);
  };
  for (const t of tables) place(t, new Set());
  return order;
}

/**
 * The databases of a world's sandboxes (src/sandboxes), from its registry: each one's live world and
 * snapshot, and any other generation of it a reset cut short left behind (a reset creates the new
 * one before it drops the old).
 */
export function sandboxDatabases(world: PgDatabase): string[] {
  if ((world.query("SELECT to_regclass('sandboxes') IS NOT NULL AS listed")[0] as { listed: number }).listed !== 1) return [];
  const names = new Set<string>();
  for (const r of world.query('SELECT database, snapshot FROM sandboxes') as { database: string; snapshot: string }[]) {
    names.add(r.database).add(r.snapshot);
    const base = r.snapshot.replace(/_snapshot$/, '');
    const generations = world.query("SELECT datname FROM pg_database WHERE left(datname, length($1::text)) = $1::text AND substr(datname, length($1::text) + 1) ~ '^_[0-9]+$'", [base]) as { datname: string }[];
    for (const g of generations) names.add(g.datname);
  }
  return [...names];
}

/**
 * Empties the database's schema of everything a world put there (seed --force, or a failed seed),
 * and drops its sandboxes' databases, which would otherwise be left behind with nothing listing them.
 */
export function dropPostgresWorld(url: string): void {
  const db = connectPostgres(url);
  try {
    // no sandbox being made, reset or dropped meanwhile, and no instance migrating the world
    db.command(`SELECT pg_advisory_lock(${ADVISORY_LOCKS.sandboxes})`);
    db.command(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    // the databases first: should one fail, the registry still names what is left
    for (const name of sandboxDatabases(db)) dropDatabase(db, name);
    db.command('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
  } finally {
    db.close();
  }
}
