import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Dcc } from '../dcc/index.ts';
import { seedDemoWorld, World, WorldError } from '../world/index.ts';
import { connectPostgres, copyWorld, createDatabase, databaseOf, databaseUrl, dropDatabase, isPostgresUrl } from '../../db/index.ts';
import { dccClock, DuisDriver, httpClock, httpTransport, injectTransport } from './driver.ts';
import type { ScenarioHost } from './runner.ts';

// Where a scenario runs: against a DCC served in this process (started for the run), against a
// running `dcc-sim serve` of the same world file, or inside the server (the console's API).

export interface ClosableHost extends ScenarioHost {
  /** how the DCC is reached, for the narration */
  where: string;
  close(): Promise<void>;
}

/** Starts the DCC on 127.0.0.1 (an ephemeral port) over the world file for the run; DUIS goes over real HTTP. */
export async function inProcessHost(file: string): Promise<ClosableHost> {
  const { startServer } = await import('../server.ts');
  const server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
  return {
    world: server.world,
    driver: new DuisDriver(server.world, httpTransport(server.url)),
    clock: dccClock(server.dcc),
    where: `an in-process DCC on ${server.url}`,
    close: () => server.close(),
  };
}

/**
 * A DCC already serving the same world file at `url`: the world is opened here to sign as its
 * parties and to read cells; the DCC's clock is moved through its API (with the admin token, from
 * DCC_SIM_ADMIN_TOKEN unless given, when the server is exposed beyond loopback).
 */
export async function remoteHost(file: string, url: string, adminToken = process.env.DCC_SIM_ADMIN_TOKEN): Promise<ClosableHost> {
  const base = url.replace(/\/$/, '');
  const world = World.open(file);
  try {
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(10_000) });
    const health = (await res.json()) as { devices?: number };
    if (health.devices !== world.store.countDevices()) {
      throw new WorldError('other-world', `the DCC at ${base} serves a world of ${health.devices} devices, but ${file} has ${world.store.countDevices()}: run the scenario with the server's --db`);
    }
  } catch (err) {
    world.close();
    if (err instanceof WorldError) throw err;
    throw new WorldError('no-server', `no dcc-sim answers at ${base} (${(err as Error).message}); start one with \`dcc-sim serve --db ${file}\` or leave out --url to run in-process`);
  }
  return {
    world,
    driver: new DuisDriver(world, httpTransport(base, adminToken)),
    clock: httpClock(base, adminToken),
    where: `the DCC at ${base}`,
    async close() {
      world.close();
    },
  };
}

/** Inside the server: DUIS through the server's own routes (the JSON API with the admin token, when it has one), the server's world and clock. */
export function serverHost(app: FastifyInstance, world: World, dcc: Dcc, adminToken?: string): ScenarioHost {
  return { world, driver: new DuisDriver(world, injectTransport(app, adminToken)), clock: dccClock(dcc) };
}

/** Premises of the scratch world a scenario runs on when no world file is given. */
export const SCRATCH_PREMISES = 400;
export const SCRATCH_SEED = 'dcc-sim-training';

/** A fresh demo world in a temporary directory, laid out against `at` (default now). */
export function scratchWorld(o: { premises?: number; seed?: string; at?: Date } = {}): { file: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-scenario-'));
  const file = path.join(dir, 'world.db');
  const world = World.open(file, { create: true });
  try {
    seedDemoWorld(world, { premises: o.premises ?? SCRATCH_PREMISES, seed: o.seed ?? SCRATCH_SEED, referenceTime: o.at ?? new Date() });
    world.store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    world.close();
  }
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A private copy of a world file in a temporary directory (SQLite's online backup, so a world a
 * server is serving copies consistently): a scenario runs there and leaves the world as it was.
 */
export async function copyOfWorld(file: string): Promise<{ file: string; cleanup(): void }> {
  if (isPostgresUrl(file)) return copyOfPostgresWorld(file);
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-scenario-'));
  const copy = path.join(dir, 'world.db');
  const world = World.open(file);
  try {
    await world.store.db.backup(copy);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    world.close();
  }
  return { file: copy, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A PostgreSQL world's private copy: a database of its own beside it, copied from one snapshot, dropped by cleanup. */
function copyOfPostgresWorld(url: string): { file: string; cleanup(): void } {
  const name = `${databaseOf(url)}_scenario_${process.pid}_${Date.now().toString(36)}`;
  const admin = connectPostgres(url);
  try {
    createDatabase(admin, name);
  } finally {
    admin.close();
  }
  const copy = databaseUrl(url, name);
  const drop = () => {
    const a = connectPostgres(url);
    try {
      dropDatabase(a, name);
    } finally {
      a.close();
    }
  };
  try {
    copyWorld(url, copy);
  } catch (err) {
    drop();
    throw err;
  }
  return { file: copy, cleanup: drop };
}
