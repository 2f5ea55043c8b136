import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Dcc, PipelineMetrics, SandboxFigures } from '../dcc/index.ts';
import { postgresOf, type PgDatabase } from '../../db/index.ts';
import { World, WorldError } from '../world/index.ts';
import { PostgresSandboxes } from './postgres-sandboxes.ts';

// Training sandboxes: a private copy of the served world, taken with SQLite's online backup API
// while the world keeps serving, and served beside it under /sandboxes/{id}/ with its own clock,
// pipeline and outbox. The copy taken at creation is kept as a snapshot, so that a reset is one
// file copy. Files live beside the world (`<world>.sandboxes/`) so that sandboxes survive a
// restart: the server serves again whatever it finds there. A PostgreSQL world's sandboxes are
// databases beside it, listed in the world itself, and shared by every server on the world
// (postgres-sandboxes.ts): each serves those the registry lists, as it lists them now.

/** A sandbox's world as the server serves it: its own Fastify routes, world and DCC. */
export interface ServedWorld {
  app: FastifyInstance;
  world: World;
  dcc: Dcc;
  /** its requests' figures (its /api/metrics), which the shared world's /api/metrics shows too */
  metrics: PipelineMetrics;
  /** the routes it serves under its baseUrl (the OpenAPI document lists them under /sandboxes/{sandboxId}) */
  routes: readonly RouteOptions[];
  close(): Promise<void>;
}

/** Opens a sandbox's world file and serves it (the server's routes with this world). */
export type ServeSandbox = (file: string, id: string) => Promise<ServedWorld>;

export interface SandboxInfo {
  id: string;
  name: string;
  createdAt: string;
  /** where its DUIS endpoints and JSON API are, on this server: `/sandboxes/{id}` */
  baseUrl: string;
  /** its simulated time now */
  clock: string;
  /** its world file, or its PostgreSQL URL (to sign as its parties from the command line) */
  file: string;
}

interface Sandbox {
  id: string;
  name: string;
  createdAt: string;
  served: ServedWorld;
  /** PostgreSQL: the database served (a reset elsewhere names another) */
  database?: string;
}

export const MAX_SANDBOXES = 20;
const ID = /^[0-9a-f]{8}$/;
const MAX_NAME = 80;

export class Sandboxes {
  private readonly held = new Map<string, Sandbox>();
  /** create, reset and drop one at a time: a reset must not copy over a file being created */
  private queue: Promise<unknown> = Promise.resolve();
  readonly dir: string;
  /** a PostgreSQL world's registry and databases; undefined for SQLite files */
  private readonly databases?: PostgresSandboxes;
  private readonly pg?: PgDatabase;

  constructor(
    private readonly shared: World,
    worldFile: string,
    private readonly serve: ServeSandbox,
    private readonly max = MAX_SANDBOXES,
  ) {
    this.pg = postgresOf(shared.store.db);
    if (this.pg) {
      this.databases = new PostgresSandboxes(worldFile);
      this.dir = this.pg.name;
      return;
    }
    // An in-memory world has no file to keep them beside: they last as long as the server.
    this.dir = worldFile === ':memory:' || worldFile === '' ? mkdtempSync(path.join(tmpdir(), 'dcc-sim-sandboxes-')) : `${worldFile}.sandboxes`;
  }

  /**
   * PostgreSQL: serves what the world's registry lists now (of one sandbox, or all): those another
   * server made, a reset's new database; stops serving what another server dropped. SQLite: nothing to do.
   */
  refresh(id?: string): Promise<void> {
    const pg = this.pg;
    const databases = this.databases;
    if (!pg || !databases) return Promise.resolve();
    if (id !== undefined && !ID.test(id)) return Promise.resolve();
    return this.serialised(async () => {
      const rows = databases.rows(pg, id);
      for (const row of rows) {
        const held = this.held.get(row.id);
        if (held?.database === row.database) continue;
        if (held) {
          this.held.delete(row.id);
          await held.served.close();
        }
        try {
          this.held.set(row.id, { id: row.id, name: row.name, createdAt: row.createdAt, database: row.database, served: await this.serve(databases.url(row.database), row.id) });
        } catch {
          // dropped or reset again meanwhile: the next refresh sees what the registry says then
        }
      }
      const listed = new Set(rows.map((r) => r.id));
      for (const [heldId, held] of this.held) {
        if ((id === undefined || heldId === id) && !listed.has(heldId)) {
          this.held.delete(heldId);
          await held.served.close();
        }
      }
    });
  }

  private files(id: string) {
    const base = path.join(this.dir, id);
    return { live: `${base}.sqlite`, snapshot: `${base}.snapshot.sqlite`, about: `${base}.json` };
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Serves again the sandboxes a previous start left beside the world. */
  async restore(): Promise<SandboxInfo[]> {
    if (this.databases) {
      await this.refresh();
      return this.list();
    }
    if (!existsSync(this.dir)) return [];
    const unreadable: string[] = [];
    for (const entry of readdirSync(this.dir)) {
      const id = entry.replace(/\.json$/, '');
      if (!entry.endsWith('.json') || !ID.test(id) || this.held.has(id)) continue;
      const f = this.files(id);
      if (!existsSync(f.snapshot)) continue; // half made: not a sandbox
      try {
        const about = JSON.parse(readFileSync(f.about, 'utf8')) as { name: string; createdAt: string };
        if (!existsSync(f.live)) copyFileSync(f.snapshot, f.live);
        this.held.set(id, { id, name: about.name, createdAt: about.createdAt, served: await this.serve(f.live, id) });
      } catch (err) {
        // one unreadable sandbox does not keep the others (or the server) from starting
        unreadable.push(`${id}: ${(err as Error).message}`);
      }
    }
    if (unreadable.length) throw new WorldError('sandbox-unreadable', `sandboxes not served again: ${unreadable.join('; ')}`);
    return this.list();
  }

  list(): SandboxInfo[] {
    return [...this.held.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((s) => this.info(s));
  }

  /** A sandbox's served world, or undefined (an unknown or malformed id). */
  served(id: string): ServedWorld | undefined {
    return this.held.get(id)?.served;
  }

  /** Each sandbox's requests since it was made, reset or served again, oldest sandbox first: for the shared world's /api/metrics. */
  figures(): SandboxFigures[] {
    return [...this.held.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((s) => ({ id: s.id, name: s.name, requests: s.served.metrics.requestFigures() }));
  }

  describe(id: string): SandboxInfo {
    return this.info(this.must(id));
  }

  create(name?: string): Promise<SandboxInfo> {
    const label = (name ?? '').trim();
    if (label.length > MAX_NAME) return Promise.reject(new WorldError('bad-argument', `a sandbox name is at most ${MAX_NAME} characters`));
    return this.serialised(async () => {
      if (this.held.size >= this.max) throw new WorldError('too-many-sandboxes', `${this.max} sandboxes exist already: drop one first`);
      let id: string;
      do id = randomBytes(4).toString('hex');
      while (this.held.has(id));
      if (this.databases) {
        const row = this.databases.create(id, label || `sandbox ${id}`, new Date().toISOString(), this.max);
        const sandbox: Sandbox = { id, name: row.name, createdAt: row.createdAt, database: row.database, served: await this.serve(this.databases.url(row.database), id) };
        this.held.set(id, sandbox);
        return this.info(sandbox);
      }
      const f = this.files(id);
      mkdirSync(this.dir, { recursive: true });
      const createdAt = new Date().toISOString();
      try {
        // the online backup: a consistent copy while the shared world keeps taking requests
        await this.shared.store.db.backup(f.snapshot);
        copyFileSync(f.snapshot, f.live);
        const sandbox: Sandbox = { id, name: label || `sandbox ${id}`, createdAt, served: await this.serve(f.live, id) };
        writeFileSync(f.about, JSON.stringify({ name: sandbox.name, createdAt }));
        this.held.set(id, sandbox);
        return this.info(sandbox);
      } catch (err) {
        removeFiles(f);
        throw err;
      }
    });
  }

  /** Back to the snapshot taken at creation: its devices, request log and clock as they were then. */
  reset(id: string): Promise<SandboxInfo> {
    return this.refresh(id).then(() => this.serialised(async () => {
      const s = this.must(id);
      if (this.databases) {
        await s.served.close();
        const row = this.databases.reset(id);
        s.database = row.database;
        s.served = await this.serve(this.databases.url(row.database), id);
        return this.info(s);
      }
      const f = this.files(id);
      await s.served.close();
      removeDatabase(f.live);
      copyFileSync(f.snapshot, f.live);
      s.served = await this.serve(f.live, id);
      return this.info(s);
    }));
  }

  drop(id: string): Promise<void> {
    return this.refresh(id).then(() => this.serialised(async () => {
      const s = this.must(id);
      this.held.delete(id);
      await s.served.close();
      if (this.databases) this.databases.drop(id);
      else removeFiles(this.files(id));
    }));
  }

  /** Stops serving them (the files, or databases, stay for the next start). */
  async close(): Promise<void> {
    await this.queue;
    for (const s of this.held.values()) await s.served.close();
    this.held.clear();
  }

  private must(id: string): Sandbox {
    const s = ID.test(id) ? this.held.get(id) : undefined;
    if (!s) throw new WorldError('no-sandbox', `no sandbox '${id.slice(0, 40)}'`);
    return s;
  }

  private info(s: Sandbox): SandboxInfo {
    const file = this.databases && s.database ? s.served.world.store.db.name : this.files(s.id).live;
    return { id: s.id, name: s.name, createdAt: s.createdAt, baseUrl: `/sandboxes/${s.id}`, clock: s.served.dcc.clock.now().toISOString(), file };
  }
}

function removeDatabase(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

function removeFiles(f: { live: string; snapshot: string; about: string }): void {
  removeDatabase(f.live);
  removeDatabase(f.snapshot);
  rmSync(f.about, { force: true });
}
