import { finishLibpq, loadLibpq, PgStoreError, type Libpq } from './pg-database.ts';

// LISTEN on a connection of its own, read as the socket becomes readable: the world's connection
// (pg-database.ts) is synchronous, and a notification must not wait for the next statement on it,
// nor block the event loop while none comes. A connection lost (the server restarted, the
// database dropped) is made again, every `retryMs`, for as long as the listener is open; what was
// sent while it was away is not heard.

export interface PgNotification {
  channel: string;
  payload: string;
  /** the server process of the connection that sent it (PgDatabase.backendPid() of the sender) */
  senderPid: number;
}

export interface PgListenerOptions {
  /** the connection was lost (then retried), or could not be made again */
  onError?: (err: Error) => void;
  /** listening again after a loss: notifications sent meanwhile were missed */
  onReconnect?: () => void;
  retryMs?: number;
}

export class PgListener {
  private pq: Libpq | undefined;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly onNotify: (n: PgNotification) => void,
    private readonly options: PgListenerOptions = {},
  ) {
    const Pq = loadLibpq();
    const pq = new Pq();
    try {
      pq.connectSync(url);
    } catch (e) {
      throw new PgStoreError('world-open-failed', `cannot connect to PostgreSQL to listen: ${(e as Error).message.trim()}`);
    }
    this.listen(pq);
  }

  private listen(pq: Libpq): void {
    pq.exec(`SET application_name = 'dcc-sim ${process.pid} listener'; ${this.channels.map((c) => `LISTEN "${c.replace(/"/g, '""')}"`).join('; ')}`);
    if (pq.resultStatus() !== 'PGRES_COMMAND_OK') {
      const message = (pq.resultErrorMessage() || pq.errorMessage()).trim();
      finishLibpq(pq);
      throw new PgStoreError('postgres-listen', `LISTEN failed: ${message}`);
    }
    this.pq = pq;
    pq.on('readable', () => this.read(pq));
    pq.startReader();
  }

  private read(pq: Libpq): void {
    if (pq !== this.pq) return;
    if (!pq.consumeInput()) {
      this.lost(new PgStoreError('postgres-connection', `the listening connection was lost: ${pq.errorMessage().trim()}`));
      return;
    }
    for (let n = pq.notifies(); n; n = pq.notifies()) {
      try {
        this.onNotify({ channel: n.relname, payload: n.extra, senderPid: n.be_pid });
      } catch (err) {
        // one listener's failure is not the connection's
        this.options.onError?.(err as Error);
      }
    }
  }

  private lost(err: Error): void {
    this.drop();
    this.options.onError?.(err);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => this.reconnect(), this.options.retryMs ?? 1000);
    this.retry.unref();
  }

  private reconnect(): void {
    if (this.closed) return;
    const Pq = loadLibpq();
    const pq = new Pq();
    // connected on libpq's thread, not the event loop's
    pq.connect(this.url, (e) => {
      if (this.closed) {
        finishLibpq(pq);
        return;
      }
      try {
        if (e) throw new PgStoreError('postgres-connection', `cannot connect to PostgreSQL to listen again: ${e.message.trim()}`);
        this.listen(pq);
        this.options.onReconnect?.();
      } catch (err) {
        if (e) finishLibpq(pq);
        this.options.onError?.(err as Error);
        this.scheduleRetry();
      }
    });
  }

  private drop(): void {
    const pq = this.pq;
    this.pq = undefined;
    if (!pq) return;
    pq.stopReader();
    pq.removeAllListeners('readable');
    finishLibpq(pq);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.drop();
  }
}
