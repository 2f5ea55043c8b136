// Entry of the WAL checkpointer thread (db/checkpointer.ts): its own connection to the world file,
// copying committed WAL frames into the database file while the serving thread goes on committing.
// Plain JavaScript: it needs better-sqlite3 and nothing of the project's TypeScript.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs, restartFrames, gate: gateBuffer } = workerData;
// Shared with the serving thread (db/checkpointer.ts, the write gate): [0] this thread wants or holds the write
// lock for a RESTART, [1] the serving connection is in a write transaction.
const gate = new Int32Array(gateBuffer);
const RESTARTING = 0;
const WRITING = 1;
// How long a RESTART waits for the serving thread to end its transaction (a request's takes a few ms; a test
// may hold one open across turns) before it gives up until the next pass.
const WRITER_WAIT_MS = 100;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// Its passes sync the WAL before they copy any of it, and the database file when one has copied it all:
// the serving connection does not sync while this thread runs (db/checkpointer.ts).
db.pragma('synchronous = NORMAL');
// PASSIVE: copies what no reader still needs, never waits for or blocks the writer; the writer
// starts the WAL from its beginning again if, when its transaction begins, a pass has copied all of it
// (under a steady load, only after a RESTART below).
const pass = () => {
  try {
    let [r] = db.pragma('wal_checkpoint(PASSIVE)');
    let restarted = false;
    // Caught up with a long WAL: start it over (db/checkpointer.ts). A second PASSIVE pass first copies what
    // was committed during the one above, so that the RESTART holds the write lock for the last few frames
    // and its syncs alone; it waits at most ~20 ms for the lock and for readers, and gives up until the next pass.
    if (r.log >= restartFrames && r.busy === 0 && r.checkpointed === r.log) {
      db.pragma('wal_checkpoint(PASSIVE)');
      // The serving thread's next transaction waits on the gate, and is woken the moment the RESTART ends,
      // rather than sleeping in SQLite's busy handler (1, 2, 5, 10, 15, 20 ms… between tries) past its end.
      Atomics.store(gate, RESTARTING, 1);
      try {
        const until = Date.now() + WRITER_WAIT_MS;
        while (Atomics.load(gate, WRITING) === 1 && Date.now() < until) Atomics.wait(gate, WRITING, 1, until - Date.now());
        if (Atomics.load(gate, WRITING) === 0) {
          db.pragma('busy_timeout = 20'); // other connections' locks and readers (a CLI, a speculating worker)
          try {
            [r] = db.pragma('wal_checkpoint(RESTART)');
            restarted = r.busy === 0;
          } finally {
            db.pragma('busy_timeout = 0');
          }
        }
      } finally {
        Atomics.store(gate, RESTARTING, 0);
        Atomics.notify(gate, RESTARTING);
      }
    }
    parentPort.postMessage({ kind: 'pass', walFrames: r.log, copied: r.checkpointed, busy: r.busy, restarted });
  } catch (err) {
    parentPort.postMessage({ kind: 'error', message: String(err?.message ?? err) });
  }
};
const timer = setInterval(pass, intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
parentPort.postMessage({ kind: 'ready' });
