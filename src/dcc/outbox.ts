import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Cancellation } from './cancellation.ts';
import { deliveryThread } from './delivery-thread.ts';
import { ReleasingSet } from './releasing.ts';
import { isStorageFault, storageFaultReason, type GatewayStore, type OutboxRecord, type UndeliverableReason, type WorldStore } from '../../db/index.ts';

// Delivers queued asynchronous DUIS responses to each party's Receive Response Service, at least
// once, oldest first, with exponential back-off. Rows stay in SQLite until a receiver
// answers 2xx, so a down receiver or a restart loses nothing. Receivers de-duplicate on the
// X-DCC-Sim-Delivery-Id header (the outbox row id, stable across retries and restarts).
//
// Deliveries run independently, at most `concurrency` at once and `partyConcurrency` per party:
// a receiver that hangs until the timeout holds up only its own party's responses, never the
// others' (each finished delivery frees its slot at once, not when a whole batch is done).

/** The longest a delivered row waits for a transaction to mark it in before it has one of its own. */
const MARK_WITHIN_MS = 20;

export interface OutboxOptions {
  timeoutMs?: number;
  maxBackoffMs?: number;
  pollMs?: number;
  concurrency?: number;
  /** deliveries in flight to one party at once */
  partyConcurrency?: number;
  /**
   * Admission control: a party's new requests wait while this many of its responses are queued and
   * not yet tried (default 64); they go on when the count has halved.
   */
  admissionLimit?: number;
  /**
   * The longest a request waits for admission (default 5,000 ms): then it is refused, not acted on,
   * rather than held for as long as a hanging receiver holds its party's responses.
   */
  admissionWaitMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** errors: a storage fault while marking deliveries */
  logError?: (msg: string, extra?: Record<string, unknown>) => void;
}

/** How a wait for admission ended: let through, or not (held too long, or its client went away). */
export type Admission = { admitted: true; waitedMs: number } | { admitted: false; waitedMs: number; why: 'timeout' | 'gone' };

export interface OutboxStats {
  /** asynchronous responses and alerts waiting for delivery (not yet answered 2xx) */
  pending: number;
  inFlight: number;
  deliveredTotal: number;
  failedAttemptsTotal: number;
  /**
   * Undelivered responses that cannot go out now, by why: their party has no Receive Response
   * Service URL (kept in its mailbox, not retried), or its receiver failed the last attempt.
   */
  undeliverable: { total: number; byReason: Record<UndeliverableReason, number> };
  /** requests held back by admission control right now */
  admissionWaiting: number;
}

export class OutboxDelivery {
  private timer?: NodeJS.Timeout;
  // One run per turn of the event loop however many requests and deliveries asked for one: each run reads the
  // queue (bench/measurements.md, the read load's outbox).
  private kicked?: NodeJS.Immediate;
  // The last run left due rows behind for want of a slot (all taken, or their party's): a delivery that
  // frees one should run again. Otherwise nothing a delivery finishing changes makes another row due.
  private slotBound = false;
  private stopped = true;
  // Each attempt, so stop() can abandon them (one listener per attempt on a shared signal tripped
  // Node's MaxListeners warning at 64 deliveries in flight).
  private readonly attempts = new ReleasingSet<Cancellation>();
  private readonly inFlight = new Set<number>();
  // Delivered rows are marked in the next write transaction, whoever opens it (a request's, most often: the
  // marks then cost no commit of their own, and their pages are mostly the ones the request's queued
  // response writes too), or in one of their own MARK_WITHIN_MS after the first. A commit per delivery was a
  // tenth of a handover's main-thread time, and at low load, where deliveries do not batch, each was a
  // transaction a read. Until marked they stay in inFlight, so no run of the outbox picks them again.
  // Nonempty exactly while its marks wait for a transaction (riding one, or about to have their own).
  private delivered: { id: number; at: string }[] = [];
  private flushTimer?: NodeJS.Timeout;
  private readonly marks = {
    work: () => {
      for (const d of this.delivered) this.gateway.markDelivered(d.id, d.at);
    },
    committed: () => this.marked(),
  };
  private readonly partyInFlight = new Map<string, number>();
  // Requests waiting for admission, per originator, in arrival order.
  private readonly admitting = new Map<string, (() => void)[]>();
  private admitTimer?: NodeJS.Timeout;
  private deliveredTotal = 0;
  private failedAttemptsTotal = 0;
  // PostgreSQL: a claim is leased; a delivery outlasting it would be anyone's to send again, so the
  // rows in flight have their leases renewed every third of a lease (two late ticks still leave it held).
  private renewer?: NodeJS.Timeout;
  constructor(
    private readonly gateway: GatewayStore,
    private readonly world: WorldStore,
    private readonly options: OutboxOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.thread.start();
    if (this.gateway.claimsOutbox && !this.renewer) {
      this.renewer = setInterval(() => this.renewClaims(), Math.max(10, Math.floor(this.gateway.outboxLeaseMs / 3)));
      this.renewer.unref();
    }
    this.kick();
  }

  /** Keeps the rows still being delivered this process's (PostgreSQL), until each attempt ends. */
  private renewClaims(): void {
    if (this.stopped || this.inFlight.size === 0) return;
    const ids = [...this.inFlight];
    try {
      const kept = new Set(this.gateway.renewOutboxClaims(ids, new Date().toISOString()));
      const lost = ids.filter((id) => !kept.has(id));
      // this process stalled past a lease: another server took the row and may send it too (receivers de-duplicate)
      if (lost.length) this.options.log?.('outbox rows in flight were taken over by another server after their lease ran out', { ids: lost });
    } catch (err) {
      this.options.logError?.('renewing the leases of outbox rows in flight failed; trying again', { error: isStorageFault(err) ? storageFaultReason(err) : String(err) });
    }
  }

  /**
   * Resolves when a request from `party` may be handled. Without it a busy simulator acknowledged
   * requests faster than it delivered their asynchronous responses, which then arrived seconds late
   * (bench/results.md); now the sender's acknowledgements slow down instead, as a real service's
   * would. Responses a receiver has already failed on do not count, so a receiver that is down
   * holds up nobody, and a party only ever waits for its own backlog. FIFO per party: a waiting
   * request is never overtaken by a later one of the same sender. `client` is the request's client going away.
   */
  admit(party: string | null, client?: Cancellation): Promise<Admission> | undefined {
    if (party === null || this.stopped) return undefined;
    const waiting = this.admitting.get(party);
    if (!waiting && this.gateway.untriedOutboxCount(party) < this.admissionLimit) return undefined;
    const waitMs = this.options.admissionWaitMs ?? 5_000;
    return new Promise<Admission>((resolve) => {
      const since = Date.now();
      // Leaves the queue without going: the request is answered as not acted on.
      const leave = (outcome: Admission) => {
        clearTimeout(timer);
        stopListening?.();
        const list = this.admitting.get(party);
        const at = list?.indexOf(go) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
        if (list?.length === 0) this.admitting.delete(party);
        resolve(outcome);
      };
      const go = () => {
        clearTimeout(timer);
        stopListening?.();
        resolve({ admitted: true, waitedMs: Date.now() - since });
      };
      const timer = setTimeout(() => leave({ admitted: false, waitedMs: Date.now() - since, why: 'timeout' }), waitMs);
      const stopListening = client?.onAbort(() => leave({ admitted: false, waitedMs: Date.now() - since, why: 'gone' }));
      if (waiting) waiting.push(go);
      else this.admitting.set(party, [go]);
      this.admitTimer ??= setInterval(() => this.release(), 100);
    });
  }

  private get admissionLimit(): number {
    return this.options.admissionLimit ?? 64;
  }

  /** Lets waiting requests go, in order, for each party whose backlog has halved (or when stopping). */
  private release(): void {
    for (const [party, waiting] of this.admitting) {
      let backlog = 0;
      try {
        backlog = this.gateway.untriedOutboxCount(party);
      } catch {
        // storage unreadable: let them go; their handling answers the fault in DUIS
      }
      if (!this.stopped && backlog > this.admissionLimit / 2) continue;
      this.admitting.delete(party);
      for (const go of waiting) go();
    }
    if (this.admitting.size === 0 && this.admitTimer) {
      clearInterval(this.admitTimer);
      this.admitTimer = undefined;
    }
  }

  /** Stops delivering: deliveries in flight are abandoned (they stay queued) and waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.release();
    if (this.timer) clearTimeout(this.timer);
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = undefined;
    if (this.kicked) clearImmediate(this.kicked);
    this.kicked = undefined;
    for (const a of this.attempts.values()) a.abort(new Error('delivery abandoned: dcc-sim is stopping'));
    while (this.inFlight.size > this.delivered.length) await new Promise((r) => setTimeout(r, 10));
    this.flushDelivered();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.thread.close();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private markDelivered(id: number): void {
    this.deliveredTotal++;
    this.delivered.push({ id, at: new Date().toISOString() });
    if (this.delivered.length > 1) return; // the first's marks wait already, and these go with them
    // PostgreSQL: the marks keep a transaction of their own. In a request's SERIALIZABLE transaction, rows that
    // other servers' claims read would make it conflict (and run again) more often.
    if (this.gateway.claimsOutbox) {
      this.flushAfter(0);
      return;
    }
    this.world.ride(this.marks);
    this.flushAfter(MARK_WITHIN_MS);
  }

  private flushAfter(ms: number): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushDelivered();
    }, ms);
    this.flushTimer.unref();
  }

  /** No transaction came for the marks waiting (or PostgreSQL): one of their own carries them. */
  private flushDelivered(): void {
    if (this.delivered.length === 0) return;
    try {
      if (this.gateway.claimsOutbox) {
        this.world.transaction(this.marks.work);
        this.marks.committed();
      } else {
        this.world.transaction(() => {}); // empty but for the marks riding it
      }
    } catch (err) {
      // Run from a timer: throwing here killed the process on a full disk. The rows stay in
      // inFlight (not sent again) and are marked once the storage is back; if dcc-sim stops first
      // they are sent again after the restart, under the same delivery id.
      this.options.logError?.('marking delivered responses failed; retrying in 1 s', { rows: this.delivered.length, error: isStorageFault(err) ? storageFaultReason(err) : String(err) });
      this.flushAfter(1000);
    }
  }

  private marked(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const d of this.delivered.splice(0)) this.inFlight.delete(d.id);
    if (this.admitting.size) this.release();
    if (this.slotBound) this.kick();
  }

  /** For GET /api/metrics: the backlog, and counts since start. */
  stats(): OutboxStats {
    let admissionWaiting = 0;
    for (const waiting of this.admitting.values()) admissionWaiting += waiting.length;
    const byReason = this.gateway.undeliverableCounts();
    return {
      pending: Math.max(0, this.gateway.pendingOutboxCount() - this.delivered.length), // less those delivered, their marks not yet written
      inFlight: this.inFlight.size - this.delivered.length,
      deliveredTotal: this.deliveredTotal,
      failedAttemptsTotal: this.failedAttemptsTotal,
      undeliverable: { total: byReason['no-url'] + byReason['receiver-failing'], byReason },
      admissionWaiting,
    };
  }

  /** Something was queued, or a delivery slot came free: deliver soon. */
  kick(): void {
    if (this.stopped || this.kicked) return;
    this.kicked = setImmediate(() => {
      this.kicked = undefined;
      this.run();
    });
  }

  private run(): void {
    if (this.stopped) return;
    try {
      this.runOnce();
    } catch (err) {
      // Reading the queue failed (an I/O error): run from a timer, so log and poll again.
      this.options.logError?.('reading the outbox failed; retrying', { error: isStorageFault(err) ? storageFaultReason(err) : String(err) });
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(), this.options.pollMs ?? 1000);
      this.timer.unref();
    }
  }

  private runOnce(): void {
    const perParty = this.options.partyConcurrency ?? 16;
    let free = (this.options.concurrency ?? 64) - this.inFlight.size;
    let bound = free <= 0;
    while (free > 0) {
      const full = new Set([...this.partyInFlight].filter(([, n]) => n >= perParty).map(([p]) => p));
      if (full.size) bound = true;
      const asked = free;
      const due = this.gateway.claimDueOutbox(new Date().toISOString(), asked, { exceptIds: this.inFlight, exceptParties: full });
      let started = 0;
      for (const r of due) {
        if (free === 0) break;
        if ((this.partyInFlight.get(r.partyEui) ?? 0) >= perParty) {
          bound = true;
          continue;
        }
        void this.deliver(r).catch((err: unknown) => this.options.log?.('outbox delivery failed unexpectedly', { id: r.id, error: String(err) }));
        free--;
        started++;
      }
      if (free === 0) bound = true;
      if (due.length < asked || started === 0) break; // no more due rows, or none startable now
    }
    this.slotBound = bound;
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

  // Posts are made on the shared posting thread; this.post below is how they are made on this thread when it is gone.
  private readonly thread = deliveryThread();

  // No socket limit per host: parties may share a receiver, and one hanging must not starve the rest
  // (the outbox's own per-party limit bounds the sockets). node:http with keep-alive rather than fetch(): undici's fetch cost about a tenth of a handover's
  // main-thread time per delivery under load (bench/results.md, stage profile of the served simulator).
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  /** POSTs a body and resolves with the status once the answer is read; rejects on a transport error or abort. */
  private post(url: string, body: string, headers: Record<string, string>, attempt: Cancellation): Promise<{ status: number }> {
    const signal = attempt.signal;
    return new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new Error(`'${url}' is not a URL`));
        return;
      }
      const secure = target.protocol === 'https:';
      if (!secure && target.protocol !== 'http:') {
        reject(new Error(`'${url}' is not an http or https URL`));
        return;
      }
      const payload = Buffer.from(body, 'utf8');
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        { method: 'POST', agent: secure ? this.agents.https : this.agents.http, headers: { ...headers, 'content-length': String(payload.length) }, signal },
        (res: IncomingMessage) => {
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
          res.on('close', () => {
            if (!res.complete) reject(signal.aborted && signal.reason instanceof Error ? signal.reason : new Error('the answer was cut off'));
          });
          res.resume(); // the answer's body is not needed
        },
      );
      req.on('error', (e: Error) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : e));
      req.end(payload);
    });
  }

  private backoff(attempts: number): string {
    const ms = Math.min(this.options.maxBackoffMs ?? 60_000, 500 * 2 ** Math.min(attempts, 16));
    return new Date(Date.now() + ms).toISOString();
  }

  private async deliver(r: OutboxRecord & { responseUrl: string }): Promise<void> {
    this.inFlight.add(r.id);
    let delivered = false;
    this.partyInFlight.set(r.partyEui, (this.partyInFlight.get(r.partyEui) ?? 0) + 1);
    try {
      // read with the row, in the same step as picking it (rows of parties without a URL are not picked)
      const url = r.responseUrl;
      // Given up on by its own timer or by stop(). (Not AbortSignal.any over AbortSignal.timeout:
      // Node 20 may collect the timeout signal first, and the attempt then never times out — nodejs/node#57736.)
      const attempt = new Cancellation();
      const timeoutMs = this.options.timeoutMs ?? 5_000;
      const timer = setTimeout(() => attempt.abort(new Error(`no answer within ${timeoutMs} ms (timeout)`)), timeoutMs);
      const attemptTicket = this.attempts.add(attempt);
      try {
        // Injected receiver faults (issue 18): the party's receiver drops the connection, or answers late.
        const faults = this.world.faults.any() ? this.world.faults.of(r.partyEui) : [];
        if (faults.some((f) => f.kind === 'receiver-drops')) throw new Error('the receiver dropped the connection (injected fault)');
        const delay = faults.find((f) => f.kind === 'receiver-delays');
        if (delay) await abortableDelay(Number(delay.detail ?? 0) * 1000, attempt);
        const res = await this.thread.post((...a) => this.post(...a), url, r.body, { 'content-type': 'application/xml', 'x-dcc-sim-delivery-id': String(r.id) }, attempt);
        if (res.status >= 200 && res.status < 300) {
          this.markDelivered(r.id);
          delivered = true;
          this.options.log?.('delivered asynchronous response', { id: r.id, party: r.partyEui, status: res.status });
        } else {
          this.failedAttemptsTotal++;
          this.gateway.markFailed(r.id, `receiver answered HTTP ${res.status}`, this.backoff(r.attempts));
        }
      } catch (err) {
        this.failedAttemptsTotal++;
        this.gateway.markFailed(r.id, `delivery failed: ${(err as Error).message}`, this.backoff(r.attempts));
      } finally {
        clearTimeout(timer);
        this.attempts.delete(attemptTicket);
      }
    } finally {
      if (!delivered) this.inFlight.delete(r.id); // a delivered row leaves inFlight once marked
      const n = (this.partyInFlight.get(r.partyEui) ?? 1) - 1;
      if (n > 0) this.partyInFlight.set(r.partyEui, n);
      else this.partyInFlight.delete(r.partyEui);
      // a failed row's back-off sets when the queue is next read; a freed slot matters only to rows left waiting for one
      if (!delivered || this.slotBound) this.kick();
    }
  }
}


/** Waits `ms`, or rejects with the attempt's reason when it is given up on (its timeout, or stop()). */
function abortableDelay(ms: number, attempt: Cancellation): Promise<void> {
  return new Promise((resolve, reject) => {
    if (attempt.aborted) return reject(attempt.reason);
    const t = setTimeout(() => { stopListening(); resolve(); }, ms);
    const stopListening = attempt.onAbort(() => { clearTimeout(t); reject(attempt.reason); });
  });
}
