import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, startCheckpointer, type SqliteDatabase } from '../../db/index.ts';
import { World } from '../../src/world/index.ts';
import { demoWorldFile, startHarness, type Harness } from '../helpers/gateway.ts';

const require = createRequire(import.meta.url);

// A served world's WAL is checkpointed on a thread of its own (db/checkpointer.ts): the serving
// connection never stops a request to copy the WAL into the database file, and yet the WAL does not
// grow without bound. Real server, real world file (SQLite's alone: a PostgreSQL world has no WAL file).

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workers: 0, store: 'sqlite' });
});
afterAll(async () => {
  await h?.close();
});

const walBytes = () => statSync(`${h.file}-wal`).size;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (up to 5 s) until the thread has the checkpoints: the serving connection's own are off. */
async function untilThreadCheckpoints(db: SqliteDatabase): Promise<void> {
  for (let i = 0; i < 250 && db.pragma('wal_autocheckpoint', { simple: true }) !== 0; i++) await sleep(20);
}

describe('the WAL checkpointer', () => {
  it('takes checkpoints off the serving connection and keeps the WAL bounded while the world is written', async () => {
    const db = h.world.store.db;
    await untilThreadCheckpoints(db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // and the syncs with them: starting the WAL over no longer makes a request wait for the disk (the thread syncs the WAL before each pass copies it)
    expect(db.pragma('synchronous', { simple: true })).toBe(0);

    // 24 MB in 1 MB commits, 150 ms apart: six times SQLite's own checkpoint threshold (1000 pages, 4 MB)
    db.exec('CREATE TABLE IF NOT EXISTS checkpoint_probe (id INTEGER PRIMARY KEY, blob BLOB)');
    const put = db.prepare('INSERT INTO checkpoint_probe (blob) VALUES (?)');
    const chunk = Buffer.alloc(64 * 1024, 7);
    let largest = 0;
    for (let i = 0; i < 24; i++) {
      db.transaction(() => {
        for (let k = 0; k < 16; k++) put.run(chunk);
      })();
      largest = Math.max(largest, walBytes());
      await sleep(150);
    }
    // Unchecked, the WAL would hold all 24 MB; the thread's passes let the writer start it over.
    expect(largest).toBeLessThan(12 * 2 ** 20);
    expect((db.prepare('SELECT count(*) AS n FROM checkpoint_probe').get() as { n: number }).n).toBe(24 * 16);
  });

  it("is shown in /api/metrics: the thread's passes over the WAL, and no RESTART for a WAL this small", async () => {
    type Wal = { frames: number; checkpointPasses: number; restarts: number; gateWaits: number; gateWaitSeconds: number };
    const metrics = async () => ((await (await fetch(`${h.server.url}/api/metrics`)).json()) as { store: { wal?: Wal } }).store.wal!;
    let wal = await metrics();
    for (let i = 0; i < 100 && wal.checkpointPasses < 2; i++) wal = await sleep(50).then(metrics);
    expect(wal.checkpointPasses).toBeGreaterThanOrEqual(2);
    // far below the 8192 frames from which a pass starts the WAL over, so no transaction waited at the gate
    expect(wal.frames).toBeLessThan(8192);
    expect(wal).toMatchObject({ restarts: 0, gateWaits: 0, gateWaitSeconds: 0 });
    const text = await (await fetch(`${h.server.url}/api/metrics?format=prometheus`)).text();
    expect(Number(/^dcc_sim_wal_checkpoint_passes_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(wal.checkpointPasses);
    expect(text).toMatch(/^dcc_sim_write_gate_waits_total 0$/m);
  });

  it('starts the WAL over under a steady stream of commits that never pause long enough for a pass to find it all copied, the commits waiting at the write gate, never on the lock', async () => {
    // Each commit reads, then writes (as a request's transaction does), a millisecond apart: a pass syncs and
    // copies for longer than that, so a commit always lands during it and the writer would never find the
    // WAL wholly copied and start it over (it grew for as long as the bench's read load lasted).
    const world = World.open(demoWorldFile(150, 'sqlite'));
    const db = world.store.db;
    const checkpointer = startCheckpointer(db.name, db, { intervalMs: 20, restartFrames: 512 });
    world.store.gateWrites(checkpointer.writeGate);
    const wal = () => statSync(`${db.name}-wal`).size;
    try {
      await untilThreadCheckpoints(db);
      // no busy timeout: a transaction that met the RESTART's write lock would fail at once ("database is locked")
      db.pragma('busy_timeout = 0');
      db.exec('CREATE TABLE steady_probe (id INTEGER PRIMARY KEY, blob BLOB)');
      const count = db.prepare('SELECT count(*) AS n FROM steady_probe').pluck();
      const put = db.prepare('INSERT INTO steady_probe (blob) VALUES (?)');
      const chunk = Buffer.alloc(16 * 1024, 5);
      let largest = 0;
      let commits = 0;
      // 1,500 commits of 16 kB (~24 MB, three times the bound below), spaced by a wait that does not yield:
      // a timer's wait grows on a busy machine, long enough for a pass to find the WAL copied
      for (; commits < 1500; commits++) {
        world.store.transaction(() => put.run(Buffer.concat([chunk, Buffer.from(String(count.get()))])));
        largest = Math.max(largest, wal());
        for (const until = performance.now() + 1; performance.now() < until; );
      }
      await sleep(50); // the passes' reports
      expect(count.get()).toBe(commits);
      expect(checkpointer.stats().restarts).toBeGreaterThan(0);
      // the gate, not luck: commits came while a RESTART held the lock, and waited for it to end
      expect(checkpointer.stats().gateWaits).toBeGreaterThan(0);
      // 512 frames of ~4 kB is ~2 MB: the WAL is started over near that, not left to hold all the commits
      expect(largest).toBeLessThan(8 * 2 ** 20);
    } finally {
      await checkpointer.stop();
      world.close();
    }
  });

  it("has a request's transaction wait, not fail, while another connection holds the write lock (as a pass starting the WAL over does)", async () => {
    const world = World.open(demoWorldFile(150, 'sqlite'));
    const db = world.store.db;
    try {
      db.exec('CREATE TABLE lock_probe (id INTEGER PRIMARY KEY, n INTEGER)');
      // another thread's connection takes the write lock and keeps it for 300 ms
      const holder = new Worker(
        `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
         const { parentPort, workerData } = require('node:worker_threads');
         const db = new Database(workerData);
         db.exec('BEGIN IMMEDIATE');
         parentPort.postMessage('held');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
        { eval: true, workerData: db.name },
      );
      await new Promise((r) => holder.once('message', r));
      const started = performance.now();
      // reads, then writes: begun DEFERRED, its write would be refused at once with SQLITE_BUSY
      world.store.transaction(() => {
        const n = (db.prepare('SELECT count(*) AS n FROM lock_probe').get() as { n: number }).n;
        db.prepare('INSERT INTO lock_probe (n) VALUES (?)').run(n);
      });
      expect(performance.now() - started).toBeGreaterThan(150);
      expect((db.prepare('SELECT count(*) AS n FROM lock_probe').get() as { n: number }).n).toBe(1);
      await new Promise((r) => holder.once('exit', r));
    } finally {
      world.close();
    }
  });

  it('hands the syncs over only once a transaction open on the serving connection has ended (SQLite refuses it inside one)', async () => {
    const db = openSqlite(demoWorldFile(150, 'sqlite'));
    try {
      db.exec('BEGIN');
      const checkpointer = startCheckpointer(db.name, db, { intervalMs: 20 });
      for (let i = 0; i < 100 && checkpointer.stats().passes < 2; i++) await sleep(20);
      expect(checkpointer.stats().passes).toBeGreaterThanOrEqual(2); // the thread is up and the process still alive
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      db.exec('COMMIT');
      for (let i = 0; i < 100 && db.pragma('synchronous', { simple: true }) !== 0; i++) await sleep(20);
      expect(db.pragma('synchronous', { simple: true })).toBe(0);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await checkpointer.stop();
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('gives the checkpoints and the syncs back to the connection once stopped', async () => {
    const db = openSqlite(demoWorldFile(150, 'sqlite'));
    try {
      const checkpointer = startCheckpointer(db.name, db, { intervalMs: 20 });
      await untilThreadCheckpoints(db);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      for (let i = 0; i < 100 && checkpointer.stats().passes < 3; i++) await sleep(20);
      expect(checkpointer.stats()).toMatchObject({ errors: 0 });
      expect(checkpointer.stats().passes).toBeGreaterThanOrEqual(3);
      expect(db.pragma('synchronous', { simple: true })).toBe(0);
      await checkpointer.stop();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL, as the world was opened
    } finally {
      db.close();
    }
  });
});
