import type { GatewayStore, OutboxRecord, WorldStore } from '../../db/index.ts';

// Delivers queued asynchronous DUIS responses to each party's Receive Response Service, at least
// once, in order of queueing, with exponential back-off. Rows stay in SQLite until a receiver
// answers 2xx, so a down receiver or a restart loses nothing. Receivers de-duplicate on the
// X-DCC-Sim-Delivery-Id header (the outbox row id, stable across retries and restarts).

export interface OutboxOptions {
  timeoutMs?: number;
  maxBackoffMs?: number;
  pollMs?: number;
  concurrency?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export class OutboxDelivery {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = true;
  private readonly inFlight = new Set<number>();

  constructor(
    private readonly gateway: GatewayStore,
    private readonly world: WorldStore,
    private readonly options: OutboxOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /** Something was queued: deliver soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), 0);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        const due = this.gateway.dueOutbox(new Date().toISOString(), this.options.concurrency ?? 16).filter((r) => !this.inFlight.has(r.id));
        await Promise.all(due.map((r) => this.deliver(r)));
        if (due.length) this.again = true;
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const next = this.gateway.nextOutboxDue();
    const poll = this.options.pollMs ?? 1000;
    const wait = next ? Math.max(0, Math.min(poll, Date.parse(next) - Date.now())) : poll;
    this.timer = setTimeout(() => void this.run(), wait);
    this.timer.unref();
  }

  private backoff(attempts: number): string {
    const ms = Math.min(this.options.maxBackoffMs ?? 60_000, 500 * 2 ** Math.min(attempts, 16));
    return new Date(Date.now() + ms).toISOString();
  }

  private async deliver(r: OutboxRecord): Promise<void> {
    this.inFlight.add(r.id);
    try {
      const url = this.world.getParty(r.partyEui)?.responseUrl;
      if (!url) {
        // Kept for GET /api/responses and delivered once a URL is configured.
        this.gateway.markFailed(r.id, 'no Receive Response Service URL configured for the party', new Date(Date.now() + 5_000).toISOString());
        return;
      }
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/xml', 'x-dcc-sim-delivery-id': String(r.id) },
          body: r.body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.gateway.markDelivered(r.id, new Date().toISOString());
          this.options.log?.('delivered asynchronous response', { id: r.id, party: r.partyEui, status: res.status });
        } else {
          this.gateway.markFailed(r.id, `receiver answered HTTP ${res.status}`, this.backoff(r.attempts));
        }
      } catch (err) {
        this.gateway.markFailed(r.id, `delivery failed: ${(err as Error).message}`, this.backoff(r.attempts));
      }
    } finally {
      this.inFlight.delete(r.id);
    }
  }
}
