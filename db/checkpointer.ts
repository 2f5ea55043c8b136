import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './world-db.ts';

// SQLite checkpoints a WAL from the committing connection once it passes 1000 pages: on the serving
// thread, every second or so under load, copying ~4 MB into the database file and syncing it, while
// every request behind it waits (bench/results.md, the read load). Served, the world's
// checkpoints run on a thread of their own instead (PASSIVE: never blocking the writer), and the
// serving connection's automatic checkpoint is off while that thread lives.
//
// So is its syncing (synchronous=OFF while the thread lives): at NORMAL the serving connection synced
// the new WAL header each time it started the WAL over, and its request waited for the disk. The header
// still reaches the disk before any frame of the new round reaches the database file (SQLite's ticket
// ff5be73dee): the thread syncs the WAL at the start of every pass, before it copies anything. OFF gives
// up what NORMAL already gives up in WAL mode, the last commits before a power loss (here up to a pass
// more); a process that crashes loses nothing either way.
//
// A PASSIVE pass lets the writer start the WAL over only if no commit lands while it syncs and copies,
// so under a steady load the WAL grew without end, each commit into new file blocks. Once a pass has
// caught up with a WAL past `restartFrames`, the thread copies the tail in a RESTART checkpoint, which
// holds the write lock for that copy and its syncs, so that the writer's next commit starts the WAL
// over. The world store's transactions begin IMMEDIATE (db/store.ts): one that had read before it wrote
// would get SQLITE_BUSY, not a wait, while that lock is held. Measurements: bench/measurements.md,
// "the serving thread's fsyncs" and "the WAL that was never started over".

const WORKER_ENTRY = new URL('./checkpoint-worker.mjs', import.meta.url);
/** SQLite's own default, put back when the checkpointer stops. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** how often a pass runs (default 200 ms) */
  intervalMs?: number;
  /** the WAL's size in frames (of a page each) from which a pass that has caught up starts it over (default 8192, ~32 MB) */
  restartFrames?: number;
  log?: (level: 'warn' | 'error', msg: string) => void;
}

export interface Checkpointer {
  /** passes run, the WAL's size in frames at the last one, and how many times a pass had it started over */
  stats(): { passes: number; walFrames: number; restarts: number; errors: number };
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, db: SqliteDatabase, o: CheckpointerOptions = {}): Checkpointer {
  const figures = { passes: 0, walFrames: 0, restarts: 0, errors: 0 };
  let stopped = false;
  let failing = false;
  const worker = new Worker(WORKER_ENTRY, { workerData: { file, intervalMs: o.intervalMs ?? 200, restartFrames: o.restartFrames ?? 8192 } });
  worker.unref();
  // Until the thread is up, and again if it dies, the serving connection checkpoints and syncs as before.
  // SQLite refuses to change the sync level inside a transaction: a change asked for while one is open (only
  // a test holds one across turns of the event loop) is made when it has ended.
  let wanted: 'thread' | 'connection' = 'connection';
  let retry: NodeJS.Timeout | undefined;
  const apply = () => {
    retry = undefined;
    if (!db.open) return;
    if (db.inTransaction) {
      retry = setTimeout(apply, 20);
      retry.unref();
      return;
    }
    try {
      db.pragma(`wal_autocheckpoint = ${wanted === 'thread' ? 0 : AUTOCHECKPOINT_PAGES}`);
      db.pragma(`synchronous = ${wanted === 'thread' ? 'OFF' : 'NORMAL'}`);
    } catch (err) {
      // a throw here would end the process
      o.log?.('error', `the serving connection's checkpoint settings could not be changed: ${(err as Error).message}`);
    }
  };
  const settle = (checkpoints: 'thread' | 'connection') => {
    wanted = checkpoints;
    if (!retry) apply();
  };
  const fallBack = () => settle('connection');
  worker.on('message', (m: { kind: string; walFrames?: number; restarted?: boolean; message?: string }) => {
    if (m.kind === 'ready' && !stopped) settle('thread');
    else if (m.kind === 'pass') {
      figures.passes++;
      figures.walFrames = m.walFrames ?? 0;
      if (m.restarted) figures.restarts++;
      failing = false;
    } else if (m.kind === 'error') {
      figures.errors++;
      // said once per run of failures (a full disk fails every pass until it is freed)
      if (!failing) o.log?.('warn', `WAL checkpoint pass failed: ${m.message}`);
      failing = true;
    }
  });
  worker.on('error', (err) => {
    o.log?.('error', `the WAL checkpointer thread failed (${err.message}); the serving connection checkpoints again`);
    fallBack();
  });
  let alive = true;
  worker.on('exit', () => {
    alive = false;
    fallBack();
  });
  return {
    stats: () => ({ ...figures }),
    async stop() {
      if (stopped) return;
      stopped = true;
      fallBack();
      if (!alive) return;
      // Held while it stops: an unreferenced thread and timer would let the process end mid-await (exit 13).
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      const late = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(late);
    },
  };
}
