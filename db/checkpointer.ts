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
// would get SQLITE_BUSY, not a wait, while that lock is held. They also pass the write gate below, so that
// the serving thread never meets that lock at all: it waits on a shared flag the thread clears the moment its
// RESTART ends, where SQLite's busy handler slept in steps of up to 20 ms and overshot the end by as much.
// Measurements: bench/measurements.md, "the serving thread's fsyncs", "the WAL that was never started over"
// and "the write gate".

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

/** What the serving connection's write transactions pass through (db/store.ts `gateWrites`). */
export interface WriteGate {
  /** Before a write transaction: waits while the checkpointer thread holds the write lock. */
  enter(): void;
  /** After it, committed or rolled back. */
  leave(): void;
}

export interface Checkpointer {
  /**
   * Passes run, the WAL's size in frames at the last one, how many times a pass had it started over, and how
   * many write transactions waited at the gate for one of those RESTARTs, and for how long in all.
   */
  stats(): { passes: number; walFrames: number; restarts: number; errors: number; gateWaits: number; gateWaitMs: number };
  /** For the serving connection's write transactions: the thread takes the write lock only between them. */
  readonly writeGate: WriteGate;
  stop(): Promise<void>;
}

// The gate's two flags (Int32Array indexes in a SharedArrayBuffer, shared with db/checkpoint-worker.mjs).
// Each side sets its own flag, then reads the other's (sequentially consistent Atomics): they never both go on.
const RESTARTING = 0;
const WRITING = 1;
/**
 * The longest a transaction waits at the gate (a RESTART takes ~1–20 ms). A thread that died in the middle of
 * one never clears its flag, and its exit is told on this thread, the one waiting: past this the transaction
 * goes on, and SQLite's own busy timeout waits for any lock still held.
 */
const GATE_WAIT_MS = 1000;

export function startCheckpointer(file: string, db: SqliteDatabase, o: CheckpointerOptions = {}): Checkpointer {
  const figures = { passes: 0, walFrames: 0, restarts: 0, errors: 0, gateWaits: 0, gateWaitMs: 0 };
  let stopped = false;
  let failing = false;
  const gateBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const gate = new Int32Array(gateBuffer);
  const writeGate: WriteGate = {
    enter() {
      Atomics.store(gate, WRITING, 1);
      if (Atomics.load(gate, RESTARTING) === 0) return;
      const since = performance.now();
      figures.gateWaits++;
      do {
        // out of the thread's way while it waits for this side to leave, then in again once it is done
        Atomics.store(gate, WRITING, 0);
        Atomics.notify(gate, WRITING);
        Atomics.wait(gate, RESTARTING, 1, Math.max(1, since + GATE_WAIT_MS - performance.now()));
        Atomics.store(gate, WRITING, 1);
      } while (Atomics.load(gate, RESTARTING) === 1 && performance.now() - since < GATE_WAIT_MS);
      figures.gateWaitMs += performance.now() - since;
    },
    leave() {
      Atomics.store(gate, WRITING, 0);
      Atomics.notify(gate, WRITING);
    },
  };
  const worker = new Worker(WORKER_ENTRY, { workerData: { file, intervalMs: o.intervalMs ?? 200, restartFrames: o.restartFrames ?? 8192, gate: gateBuffer } });
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
    // a thread ended in the middle of a RESTART must not keep the serving thread waiting
    Atomics.store(gate, RESTARTING, 0);
    Atomics.notify(gate, RESTARTING);
    fallBack();
  });
  return {
    stats: () => ({ ...figures }),
    writeGate,
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
