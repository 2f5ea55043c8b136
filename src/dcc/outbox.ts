import type { GatewayStore, OutboxRecord, WorldStore } from '../../db/index.ts';

// Delivers queued asynchronous DUIS responses to each party's Receive Response Service, at least
// once, oldest first, with exponential back-off. Rows stay in SQLite until a receiver
// answers 2xx, so a down receiver or a restart loses nothing. Receivers de-duplicate on the
// X-DCC-Sim-Delivery-Id header (the outbox row id, stable across retries and restarts).
//
// Deliveries run independently, at most `concurrency` at once and `partyConcurrency` per party:
// a receiver that hangs until the timeout holds up only its own party's responses, never the
// others' (each finished delivery frees its slot at once, not when a whole batch is done).

export interface OutboxOptions {
  timeoutMs?: number;
  maxBackoffMs?: number;
  pollMs?: number;
  concurrency?: number;
  /** deliveries in flight to one party at once */
  partyConcurrency?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export class OutboxDelivery {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private abort = new AbortController();
  private readonly inFlight = new Set<number>();
  // Delivered rows are marked in one transaction per turn of the event loop rather than one commit
  // each (a commit per delivery was a tenth of a handover's main-thread time). Until marked they
  // stay in inFlight, so no turn picks them again.
  private delivered: { id: number; at: string }[] = [];
  private flushing?: NodeJS.Immediate;
  private readonly partyInFlight = new Map<string, number>();
  constructor(
    private readonly gateway: GatewayStore,
    private readonly world: WorldStore,
    private readonly options: OutboxOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.kick();
  }

  /** Stops delivering: deliveries in flight are abandoned (they stay queued) and waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    while (this.inFlight.size > this.delivered.length) await new Promise((r) => setTimeout(r, 10));
    this.flushDelivered();
  }

  private markDelivered(id: number): void {
    this.delivered.push({ id, at: new Date().toISOString() });
    this.flushing ??= setImmediate(() => this.flushDelivered());
  }

  private flushDelivered(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const batch = this.delivered.splice(0);
    if (batch.length === 0) return;
    try {
      this.world.transaction(() => {
        for (const d of batch) this.gateway.markDelivered(d.id, d.at);
      });
    } finally {
      for (const d of batch) this.inFlight.delete(d.id);
    }
    this.kick();
  }

  /** Something was queued, or a delivery slot came free: deliver soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), 0);
  }

  private run(): void {
    if (this.stopped) return;
    const perParty = this.options.partyConcurrency ?? 4;
    let free = (this.options.concurrency ?? 16) - this.inFlight.size;
    while (free > 0) {
      const full = [...this.partyInFlight].filter(([, n]) => n >= perParty).map(([p]) => p);
      const due = this.gateway.dueOutbox(new Date().toISOString(), free, { exceptIds: [...this.inFlight], exceptParties: full });
      if (due.length === 0) break;
      let started = 0;
      for (const r of due) {
        if (free === 0) break;
        if ((this.partyInFlight.get(r.partyEui) ?? 0) >= perParty) continue;
        void this.deliver(r)
          .catch((err: unknown) => this.options.log?.('outbox delivery failed unexpectedly', { id: r.id, error: String(err) }))
          .finally(() => this.kick());
        free--;
        started++;
      }
      if (started === 0) break;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const next = this.gateway.nextOutboxDue();
    const poll = this.options.pollMs ?? 1000;
    // A due time already past belongs to rows in flight or waiting for a busy party: their
    // deliveries kick when they finish, so poll rather than spin.
    const until = next ? Date.parse(next) - Date.now() : poll;
    const wait = until <= 0 ? poll : Math.min(poll, until);
    this.timer = setTimeout(() => this.run(), wait);
    this.timer.unref();
  }

  private backoff(attempts: number): string {
    const ms = Math.min(this.options.maxBackoffMs ?? 60_000, 500 * 2 ** Math.min(attempts, 16));
    return new Date(Date.now() + ms).toISOString();
  }

  private async deliver(r: OutboxRecord): Promise<void> {
    this.inFlight.add(r.id);
    let delivered = false;
    this.partyInFlight.set(r.partyEui, (this.partyInFlight.get(r.partyEui) ?? 0) + 1);
    try {
      const url = this.world.getParty(r.partyEui)?.responseUrl;
      if (!url) {
        // Kept for GET /api/responses and delivered once a URL is configured.
        this.gateway.markFailed(r.id, 'no Receive Response Service URL configured for the party', new Date(Date.now() + 5_000).toISOString());
        return;
      }
      // One controller per attempt, aborted by its own timer or by stop(). (Not AbortSignal.any over
      // AbortSignal.timeout: Node 20 may collect the timeout signal first, and the attempt then
      // never times out — nodejs/node#57736.)
      const attempt = new AbortController();
      const timeoutMs = this.options.timeoutMs ?? 5_000;
      const timer = setTimeout(() => attempt.abort(new Error(`no answer within ${timeoutMs} ms (timeout)`)), timeoutMs);
      const onStop = () => attempt.abort(new Error('delivery abandoned: dcc-sim is stopping'));
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/xml', 'x-dcc-sim-delivery-id': String(r.id) },
          body: r.body,
          signal: attempt.signal,
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.markDelivered(r.id);
          delivered = true;
          this.options.log?.('delivered asynchronous response', { id: r.id, party: r.partyEui, status: res.status });
        } else {
          this.gateway.markFailed(r.id, `receiver answered HTTP ${res.status}`, this.backoff(r.attempts));
        }
      } catch (err) {
        this.gateway.markFailed(r.id, `delivery failed: ${(err as Error).message}`, this.backoff(r.attempts));
      } finally {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onStop);
      }
    } finally {
      if (!delivered) this.inFlight.delete(r.id); // a delivered row leaves inFlight once marked
      const n = (this.partyInFlight.get(r.partyEui) ?? 1) - 1;
      if (n > 0) this.partyInFlight.set(r.partyEui, n);
      else this.partyInFlight.delete(r.partyEui);
    }
  }
}

