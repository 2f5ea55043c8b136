import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite, startCheckpointer } from '../../db/index.ts';
import { demoWorldFile, startHarness, type Harness } from '../helpers/gateway.ts';

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

describe('the WAL checkpointer', () => {
  it('takes checkpoints off the serving connection and keeps the WAL bounded while the world is written', async () => {
    const db = h.world.store.db;
    // the thread is up once the serving connection's own checkpoints are off
    for (let i = 0; i < 100 && db.pragma('wal_autocheckpoint', { simple: true }) !== 0; i++) await sleep(50);
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
      for (let i = 0; i < 100 && db.pragma('wal_autocheckpoint', { simple: true }) !== 0; i++) await sleep(50);
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
