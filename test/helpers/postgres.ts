import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectPostgres, openPostgres } from '../../db/postgres/index.ts';
import { seedDemoWorld, World } from '../../src/world/index.ts';
import { REFERENCE_TIME } from './gateway.ts';

// A real PostgreSQL server for the tests: DCC_SIM_TEST_POSTGRES names one (a libpq URL of a
// database the tests may create databases from, e.g. CI's), or else each test process starts its
// own cluster in a scratch folder from Debian's binaries (unix socket only, fsync off) and stops it
// on exit. As root, the cluster runs as the postgres user, since PostgreSQL refuses root.

export interface PostgresCluster {
  /** the URL of a database of this cluster */
  url(database: string): string;
  /** runs an administrative statement in the cluster's maintenance database */
  admin(sql: string): void;
}

let cluster: PostgresCluster | undefined;

function binaries(): string {
  const candidates = [process.env.DCC_SIM_PG_BIN];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config: look where Debian puts the server
  }
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  const dir = candidates.find((d) => d && existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl')));
  if (!dir) {
    throw new Error('the PostgreSQL store tests need a PostgreSQL server: install Debian\'s postgresql package (.ci/run does), or set DCC_SIM_TEST_POSTGRES to a server\'s URL');
  }
  return dir;
}

export function postgresCluster(): PostgresCluster {
  if (cluster) return cluster;
  const given = process.env.DCC_SIM_TEST_POSTGRES;
  if (given) {
    const base = new URL(given);
    cluster = {
      url(database) {
        const u = new URL(base.href);
        u.pathname = `/${database}`;
        return u.href;
      },
      admin(sql) {
        const db = connectPostgres(given);
        try {
          db.command(sql);
        } finally {
          db.close();
        }
      },
    };
    return cluster;
  }
  const bin = binaries();
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = [path.join(bin, cmd), ...args];
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', ...full], { encoding: 'utf8' }) : spawnSync(full[0]!, full.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout || r.error?.message}`);
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  // A port only names the socket file; there is no TCP listener.
  const port = 20000 + (process.pid % 20000);
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  run('pg_ctl', ['-D', data, '-w', '-s', '-l', path.join(dir, 'log'), '-o', `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`, 'start']);
  process.on('exit', () => {
    try {
      run('pg_ctl', ['-D', data, '-s', '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  // Vitest ends its worker processes with a signal, which runs no exit handler: a detached watcher
  // stops the cluster and removes its folder once this process is gone, however it ended.
  const stop = [...(asRoot ? ['runuser', '-u', 'postgres', '--'] : []), path.join(bin, 'pg_ctl'), '-D', data, '-s', '-m', 'immediate', 'stop'];
  const watch = 'pid=$1; dir=$2; shift 2; while kill -0 "$pid" 2>/dev/null; do sleep 1; done; "$@" >/dev/null 2>&1; rm -rf "$dir"';
  spawn('sh', ['-c', watch, 'sh', String(process.pid), dir, ...stop], {
    detached: true,
    stdio: 'ignore',
  }).unref();
  const url = (database: string) => `postgresql:///${database}?host=${encodeURIComponent(dir)}&port=${port}&user=postgres`;
  cluster = {
    url,
    admin(sql) {
      const db = connectPostgres(url('postgres'));
      try {
        db.command(sql);
      } finally {
        db.close();
      }
    },
  };
  return cluster;
}

let databases = 0;

/**
 * A new empty database (a copy of `template` when given); its URL. `icuLocale`: the database's
 * default collation is that ICU locale's (a server's usual default: its operating system's locale).
 */
export function freshPostgresDatabase(template?: string, o: { icuLocale?: string } = {}): string {
  const c = postgresCluster();
  const name = `dccsim_${process.pid}_${++databases}`;
  const locale = o.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${o.icuLocale}' LOCALE 'C'` : '';
  c.admin(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : locale}`);
  return c.url(name);
}

/** The database name in a URL made by freshPostgresDatabase. */
function databaseOf(url: string): string {
  return new URL(url.replace(/^postgresql:\/\/\//, 'postgresql://x/')).pathname.slice(1);
}

let emptyTemplate: string | undefined;

/** A new database holding an empty world (the schema, migrated once into a template): its URL. */
export function emptyPostgresWorld(): string {
  if (!emptyTemplate) {
    const url = freshPostgresDatabase();
    openPostgres(url).close();
    emptyTemplate = databaseOf(url);
  }
  return freshPostgresDatabase(emptyTemplate);
}

const templates = new Map<string, string>();

/**
 * A seeded demo world in a database of its own: seeded once per seed, size and time into a
 * template database, then copied by CREATE DATABASE … TEMPLATE.
 */
export function postgresSeededWorld(o: { premises: number; seed: string; at: Date }): string {
  const key = `${o.premises}/${o.seed}/${o.at.toISOString()}`;
  let template = templates.get(key);
  if (!template) {
    const url = freshPostgresDatabase();
    const w = World.open(url, { create: true });
    seedDemoWorld(w, { premises: o.premises, seed: o.seed, referenceTime: o.at });
    w.close();
    template = databaseOf(url);
    templates.set(key, template);
  }
  return freshPostgresDatabase(template);
}

/** The demo world demoWorldFile makes in SQLite, in a PostgreSQL database of its own. */
export function postgresDemoWorld(premises = 150): string {
  return postgresSeededWorld({ premises, seed: 'gateway-tests', at: REFERENCE_TIME });
}

/** Drops a database made by freshPostgresDatabase or postgresDemoWorld (its connections closed first). */
export function dropPostgresDatabase(url: string): void {
  postgresCluster().admin(`DROP DATABASE IF EXISTS ${databaseOf(url)} WITH (FORCE)`);
}
