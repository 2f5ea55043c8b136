// Entry of the WAL checkpointer thread (db/checkpointer.ts): its own connection to the world file,
// copying committed WAL frames into the database file while the serving thread goes on committing.
// Plain JavaScript: it needs better-sqlite3 and nothing of the project's TypeScript.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// Its passes sync the WAL before they copy any of it, and the database file when one has copied it all:
// the serving connection does not sync while this thread runs (db/checkpointer.ts).
db.pragma('synchronous = NORMAL');
// PASSIVE: copies what no reader still needs, never waits for or blocks the writer; the writer
// starts the WAL from its beginning again once a pass has copied all of it.
const pass = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ kind: 'pass', walFrames: r.log, copied: r.checkpointed, busy: r.busy });
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
