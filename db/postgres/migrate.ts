import { MIGRATIONS } from '../migrations.ts';
import { rowidTables } from './dialect.ts';
import { PgDatabase, PgStoreError } from './pg-database.ts';

// The PostgreSQL world has the SQLite world's schema: the same migrations, translated statement by
// statement (dialect.ts); a migration SQLite can only make by rebuilding a table says how
// PostgreSQL makes it (Migration.postgres). Instances starting together migrate one at a time.

/** The rowid-keyed tables of the schema, from the migrations' DDL. */
export const ROWID_TABLES: ReadonlySet<string> = rowidTables(MIGRATIONS.map((m) => m.sql));

/** Held while a connection migrates (or empties) a world: instances starting together migrate one at a time. */
export const MIGRATION_LOCK = 0x64636373; // 'dccs'

// SQLite's functions the stores call, as SQL functions, so their statements need no rewriting. Times
// read as SQLite reads them: with their offset when they carry one, else as UTC (the session's zone).
const SQLITE_FUNCTIONS = `
CREATE TABLE IF NOT EXISTS dcc_sim_schema (version integer NOT NULL);
INSERT INTO dcc_sim_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM dcc_sim_schema);
CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision LANGUAGE sql STABLE STRICT
  AS $$ SELECT (extract(epoch FROM t::timestamptz) / 86400.0 + 2440587.5)::double precision $$;
CREATE OR REPLACE FUNCTION date(t text, modifier text) RETURNS text LANGUAGE sql STABLE STRICT
  AS $$ SELECT to_char((t::timestamptz AT TIME ZONE 'UTC') + modifier::interval, 'YYYY-MM-DD') $$;
CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT doc::jsonb #>> (CASE WHEN path = '$' THEN '{}'::text[] ELSE string_to_array(substr(path, 3), '.') END) $$;
CREATE OR REPLACE FUNCTION json_each(doc text) RETURNS TABLE (value text) LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT CASE jsonb_typeof(e) WHEN 'string' THEN e #>> '{}' ELSE e::text END FROM jsonb_array_elements(doc::jsonb) AS e $$;
`;

/** Taken for the instant a DCC counter is drawn (dcc_next_counter); the others are in databases.ts. */
const DCC_COUNTER_LOCK = 0x6463636e; // 'dccn'

// The DCC's own counters (the ACB's, the transitional CoS party's). SQLite keeps each in a
// dcc_counters row; several servers drawing from one row would make every pair of handovers a
// serialization failure, so a PostgreSQL world draws them from one sequence (outside transactions,
// never handed out twice, never going back), started past any value the rows hold. A counter is
// also never below the floor it is given (the clock in ms): nextval and a jump to the floor are one
// step under a lock held for that instant only.
const DCC_COUNTERS = `
DO $$ BEGIN
  IF to_regclass('dcc_counter_seq') IS NULL THEN
    CREATE SEQUENCE dcc_counter_seq AS bigint;
    PERFORM setval('dcc_counter_seq', GREATEST(1, COALESCE((SELECT max(counter::numeric) FROM dcc_counters), 1))::bigint);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION dcc_next_counter(floor bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  PERFORM pg_advisory_lock(${DCC_COUNTER_LOCK});
  BEGIN
    v := nextval('dcc_counter_seq');
    IF v <= floor THEN v := setval('dcc_counter_seq', floor + 1); END IF;
  EXCEPTION WHEN OTHERS THEN
    PERFORM pg_advisory_unlock(${DCC_COUNTER_LOCK});
    RAISE;
  END;
  PERFORM pg_advisory_unlock(${DCC_COUNTER_LOCK});
  RETURN v;
END $$;
`;

export function openPostgres(url: string, options: { readonly?: boolean } = {}): PgDatabase {
  const db = connectPostgres(url, options);
  try {
    if (!options.readonly) migrate(db);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== latestVersion()) {
      throw new PgStoreError('world-schema', `PostgreSQL world ${db.name} has schema ${version}, expected ${latestVersion()}`);
    }
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function latestVersion(): number {
  return MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
}

function migrate(db: PgDatabase): void {
  db.command(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
  try {
    db.command(SQLITE_FUNCTIONS);
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latestVersion()) {
      throw new PgStoreError('world-schema', `PostgreSQL world schema ${current} is newer than this dcc-sim (${latestVersion()})`);
    }
    for (const m of [...MIGRATIONS].sort((x, y) => x.version - y.version)) {
      if (m.version <= current) continue;
      db.transaction(() => {
        if (m.postgres !== undefined) db.command(m.postgres);
        else if (m.rebuild) throw new PgStoreError('world-schema', `migration ${m.version} (${m.name}) rebuilds a table and says nothing of PostgreSQL`);
        else db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    }
    db.command(DCC_COUNTERS);
  } finally {
    if (db.open) db.command(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
  }
}

/** A plain connection to a PostgreSQL database (no schema check): administration, a world's registry, a second connection. */
export function connectPostgres(url: string, options: { readonly?: boolean } = {}): PgDatabase {
  return new PgDatabase(url, { rowidTables: ROWID_TABLES, readonly: options.readonly });
}

/** Whether the database already holds a world (made by seed). */
export function postgresWorldExists(url: string): boolean {
  const db = connectPostgres(url);
  try {
    return db.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'world_meta'").length > 0;
  } finally {
    db.close();
  }
}
