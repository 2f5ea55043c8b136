// Which errors are the storage failing (disk full, read-only or vanished file, I/O error, locked)
// rather than a bug: they last only as long as the fault, so every write path answers them as
// "not done, try again" instead of crashing or answering 500, and retries on its own later.

const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|PROTOCOL)/;

export function isStorageFault(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && STORAGE_CODES.test(code);
}

/** A sentence for logs and answers: what SQLite said, and its code. */
export function storageFaultReason(err: Error & { code: string }): string {
  return `storage fault (${err.code}): ${err.message}`;
}
