import type { GatewayStore, WorldStore } from '../../db/index.ts';

// The request log keeps every request's outcome for ever, but the DUIS XML (about 10 KB a request,
// with its asynchronous responses) only for the most recent ones: a load test at a few hundred
// requests a second otherwise grew the world file by gigabytes an hour (bench/results.md, soak).
// Space freed is reused by SQLite, so the file stops growing once the window is full.

export const DEFAULT_KEEP_XML = 20_000;
/** rows pruned per table per pass: a pass is one short transaction between requests */
const BATCH = 5_000;
const MARKS = { requests: 'request_log_xml_pruned_to', outbox: 'outbox_bodies_pruned_to' } as const;

export class RequestLogRetention {
  constructor(
    private readonly gateway: GatewayStore,
    private readonly world: WorldStore,
    /** how many of the most recent requests (and asynchronous responses) keep their XML; 0 = all */
    readonly keep: number = DEFAULT_KEEP_XML,
  ) {}

  /** One bounded pass over both tables; returns how many rows' XML it dropped. */
  prune(): number {
    if (this.keep <= 0) return 0;
    return this.world.transaction(
      () =>
        this.pass(MARKS.requests, this.gateway.maxRequestLogId(), (a, b) => this.gateway.pruneRequestXml(a, b)) +
        this.pass(MARKS.outbox, this.gateway.maxOutboxId(), (a, b) => this.gateway.pruneDeliveredBodies(a, b)),
    );
  }

  private pass(mark: string, maxId: number, drop: (after: number, upTo: number) => void): number {
    const after = Number(this.world.getMeta(mark) ?? 0);
    const upTo = Math.min(maxId - this.keep, after + BATCH);
    if (upTo <= after) return 0;
    drop(after, upTo);
    // Undelivered responses in the range keep their bodies and are never looked at again here: they
    // are delivered from what they hold.
    this.world.setMeta(mark, String(upTo));
    return upTo - after;
  }
}
