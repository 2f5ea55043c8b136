import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SqliteDatabase } from './world-db.ts';
import { postgresOf } from './open-world.ts';
import type { PgDatabase } from './postgres/index.ts';

// Queries of the DUIS gateway: request log, originator counters, pre-commands, DCC counters, outbox.

export interface RequestLogEntry {
  receivedAt: string;
  path: string;
  requestId: string | null;
  originatorEui: string | null;
  targetEui: string | null;
  counter: string | null;
  serviceReference: string | null;
  serviceVariant: string | null;
  commandVariant: number | null;
  /** the synchronous answer: the acknowledgement (I99, I0) or the refusal */
  responseCode: string;
  reason: string | null;
  failedStep: string | null;
  /**
   * The final outcome when it differs from the synchronous answer: the device's asynchronous answer
   * to an acknowledged command (E21 when it discarded it), its reason and GBCS alert code.
   */
  finalResponseCode?: string | null;
  finalReason?: string | null;
  deviceAlertCode?: string | null;
  requestXml: Buffer;
  responseXml: string | null;
  steps: unknown[] | null;
  changedCells: unknown[] | null;
  /** the GBCS command the DCC sent to the device (as it travelled) */
  gbcsCommand?: Buffer | null;
}

export interface RequestLogRecord extends RequestLogEntry {
  id: number;
  /** the final outcome: the synchronous answer when nothing came after it */
  finalResponseCode: string;
  finalReason: string | null;
  deviceAlertCode: string | null;
}

export interface RequestLogFilter {
  requestId?: string;
  originatorEui?: string;
  targetEui?: string;
  afterId?: number;
  /** only entries with a smaller id (paging back through the log) */
  beforeId?: number;
  serviceVariant?: string;
  /** by final outcome: a failure's final response code is an error (E...) */
  outcome?: 'success' | 'failure';
  limit?: number;
}

/** A device's response to a command the DCC issued for local delivery, as the installer's terminal brought it back. */
export interface LocalResponseRecord {
  /** the request that obtained the command */
  requestLogId: number;
  requestId: string;
  originatorEui: string;
  targetEui: string;
  counter: string | null;
  response: Buffer;
}

export interface PreCommandRecord {
  requestId: string;
  targetEui: string;
  serviceVariant: string;
  payload: Buffer;
  issuedAt: string;
  consumedAt: string | null;
}

export interface OutboxEntry {
  partyEui: string;
  requestId: string | null;
  responseId: string | null;
  kind: string; // 'response' | 'device-alert' | 'dcc-alert'
  responseCode: string;
  createdAt: string;
  body: string;
  nextAttemptAt: string;
}

export interface OutboxRecord extends OutboxEntry {
  id: number;
  attempts: number;
  lastError: string | null;
  deliveredAt: string | null;
}

/** Why an undelivered response has not gone out: its party has no Receive Response Service URL, or its receiver failed. */
export type UndeliverableReason = 'no-url' | 'receiver-failing';

/** A mailbox entry's delivery status, one rule for the API and the CLI: delivered, or why not yet. */
export type DeliveryStatus = 'delivered' | 'pending' | UndeliverableReason;

export function deliveryStatus(r: OutboxRecord, partyHasUrl: boolean): DeliveryStatus {
  if (r.deliveredAt !== null) return 'delivered';
  if (!partyHasUrl) return 'no-url';
  return r.attempts > 0 && r.lastError !== null && !r.lastError.startsWith('no Receive Response Service URL') ? 'receiver-failing' : 'pending';
}

/** A mailbox entry as the API and `dcc-sim inbox` show it. */
export function inboxEntry(r: OutboxRecord, partyHasUrl: boolean) {
  return {
    deliveryId: r.id,
    requestId: r.requestId,
    responseId: r.responseId,
    kind: r.kind,
    responseCode: r.responseCode,
    createdAt: r.createdAt,
    deliveredAt: r.deliveredAt,
    status: deliveryStatus(r, partyHasUrl),
    attempts: r.attempts,
    lastError: r.lastError,
  };
}

export interface InboxFilter {
  kind?: string;
  responseCode?: string;
  requestId?: string;
  /** only entries with a smaller outbox id (the next page, newest first) */
  beforeId?: number;
  limit?: number;
}

export interface InboxCounts {
  partyEui: string;
  total: number;
  undelivered: number;
}

type Row = Record<string, unknown>;

// A party with no Receive Response Service URL has nowhere to deliver to: its rows are kept (its
// mailbox) but never picked for delivery, so they cost nothing until a URL is set.
const NO_URL_ERROR = 'no Receive Response Service URL configured%';

function requestFromRow(r: Row): RequestLogRecord {
  return {
    id: r.id as number,
    receivedAt: r.received_at as string,
    path: r.path as string,
    requestId: (r.request_id as string | null) ?? null,
    originatorEui: (r.originator_eui as string | null) ?? null,
    targetEui: (r.target_eui as string | null) ?? null,
    counter: (r.counter as string | null) ?? null,
    serviceReference: (r.service_reference as string | null) ?? null,
    serviceVariant: (r.service_variant as string | null) ?? null,
    commandVariant: (r.command_variant as number | null) ?? null,
    responseCode: r.response_code as string,
    reason: (r.reason as string | null) ?? null,
    failedStep: (r.failed_step as string | null) ?? null,
    finalResponseCode: (r.final_response_code as string | null) ?? (r.response_code as string),
    finalReason: (r.final_response_code as string | null) !== null ? ((r.final_reason as string | null) ?? null) : ((r.reason as string | null) ?? null),
    deviceAlertCode: (r.device_alert_code as string | null) ?? null,
    requestXml: r.request_xml as Buffer,
    responseXml: (r.response_xml as string | null) ?? null,
    steps: r.steps ? (JSON.parse(r.steps as string) as unknown[]) : null,
    changedCells: r.changed_cells ? (JSON.parse(r.changed_cells as string) as unknown[]) : null,
    gbcsCommand: (r.gbcs_command as Buffer | null) ?? null,
  };
}

function outboxFromRow(r: Row): OutboxRecord {
  return {
    id: r.id as number,
    partyEui: r.party_eui as string,
    requestId: (r.request_id as string | null) ?? null,
    responseId: (r.response_id as string | null) ?? null,
    kind: r.kind as string,
    responseCode: r.response_code as string,
    createdAt: r.created_at as string,
    body: r.body as string,
    nextAttemptAt: r.next_attempt_at as string,
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: (r.delivered_at as string | null) ?? null,
  };
}

/**
 * A due row with where it goes. The URL is added to the record, not spread with it: on Node 20 a spread's copy that
 * gains a property gets hidden classes of its own, and young collections then keep the body it holds
 * (bench/measurements.md, "spreads").
 */
function dueFromRow(r: Row, responseUrl: string): OutboxRecord & { responseUrl: string } {
  return Object.assign(outboxFromRow(r), { responseUrl });
}

export class GatewayStore {
  private readonly stmts;
  /** a PostgreSQL world, which other processes may be serving too; undefined for SQLite */
  private readonly pg: PgDatabase | undefined;
  /** This process's name on the outbox rows it claims for delivery (PostgreSQL). */
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  /**
   * How long a claim keeps other processes off an outbox row (PostgreSQL): a process that dies
   * mid-delivery leaves its rows to the others once this has passed.
   */
  outboxLeaseMs = 30_000;

  constructor(readonly db: SqliteDatabase) {
    this.pg = postgresOf(db);
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      // positional parameters: binding a named one looks it up on the object through V8's API (~1,000 instructions each)
      logInsert: p(
        `INSERT INTO requests (received_at, path, request_id, originator_eui, target_eui, counter, service_reference,
           service_variant, command_variant, response_code, reason, failed_step, final_response_code, final_reason, device_alert_code,
           request_xml, response_xml, steps, changed_cells, gbcs_command)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      logGet: p('SELECT * FROM requests WHERE id = ?'),
      counterGet: p('SELECT last_counter FROM originator_counters WHERE originator_eui = ?'),
      counterSet: p(
        `INSERT INTO originator_counters (originator_eui, last_counter) VALUES (?, ?)
         ON CONFLICT(originator_eui) DO UPDATE SET last_counter = excluded.last_counter`,
      ),
      preCommandInsert: p(
        `INSERT INTO pre_commands (request_id, target_eui, service_variant, payload, issued_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      preCommandGet: p('SELECT * FROM pre_commands WHERE request_id = ?'),
      preCommandConsume: p('UPDATE pre_commands SET consumed_at = ? WHERE request_id = ? AND consumed_at IS NULL'),
      dccCounterGet: p('SELECT counter FROM dcc_counters WHERE role_name = ?'),
      dccCounterSet: p(
        `INSERT INTO dcc_counters (role_name, counter) VALUES (?, ?) ON CONFLICT(role_name) DO UPDATE SET counter = excluded.counter`,
      ),
      outboxInsert: p(
        `INSERT INTO outbox (party_eui, request_id, response_id, kind, response_code, created_at, body, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // Due rows are picked by id and party alone, and the rows in flight or of parties at their limit skipped
      // here rather than in SQL: sorting whole rows copied every due row's body into the sorter, and the
      // exclusions as json_each lists cost more than the rest of the query (bench/measurements.md, the read
      // load's outbox). The party's URL comes with the row, so a delivery needs no lookup of its own.
      // Read party by party over the parties with a URL only (CROSS JOIN keeps SQLite's outer loop on the parties),
      // so the rows a URL-less party keeps (undelivered for as long as it has no URL, any number of them) are never
      // read: they made each run of the queue 5.5 ms with 50,000 kept (bench/measurements.md, "the outbox's rows of
      // parties without a URL").
      outboxDue: p(
        `SELECT o.id, o.party_eui, p.response_url FROM parties p CROSS JOIN outbox o INDEXED BY outbox_undelivered_by_party
          WHERE p.response_url IS NOT NULL AND o.party_eui = p.eui AND o.delivered_at IS NULL AND o.next_attempt_at <= ?
          ORDER BY o.id`,
      ),
      outboxGet: p('SELECT * FROM outbox WHERE id = ?'),
      outboxDelivered: p('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?'),
      outboxFailed: p('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?'),
      outboxUndeliverable: p(
        `SELECT CASE WHEN p.response_url IS NULL THEN 'no-url' ELSE 'receiver-failing' END AS reason, count(*) AS n
           FROM outbox o LEFT JOIN parties p ON p.eui = o.party_eui
          WHERE o.delivered_at IS NULL
            AND (p.response_url IS NULL OR (o.attempts > 0 AND o.last_error IS NOT NULL AND o.last_error NOT LIKE '${NO_URL_ERROR}'))
          GROUP BY 1`,
      ),
      inboxTotals: p('SELECT party_eui, count(*) AS n FROM outbox GROUP BY party_eui'),
      inboxUndelivered: p('SELECT party_eui, count(*) AS n FROM outbox WHERE delivered_at IS NULL GROUP BY party_eui'),
      outboxByRequest: p('SELECT * FROM outbox WHERE request_id = ? ORDER BY id'),
      outboxPendingCount: p('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL'),
      requestsMaxId: p('SELECT coalesce(max(id), 0) AS n FROM requests'),
      localResponseSet: p('UPDATE requests SET local_response = ? WHERE id = ?'),
      localResponses: p(
        `SELECT id, request_id, originator_eui, target_eui, counter, local_response FROM requests
          WHERE local_response IS NOT NULL AND (@target IS NULL OR target_eui = @target) ORDER BY id DESC LIMIT @limit`,
      ),
      logSetFinal: p('UPDATE requests SET final_response_code = ?, final_reason = ?, device_alert_code = ? WHERE id = ?'),
      requestsPrune: p("UPDATE requests SET request_xml = x'', response_xml = NULL WHERE id > ? AND id <= ?"),
      outboxMaxId: p('SELECT coalesce(max(id), 0) AS n FROM outbox'),
      outboxPrune: p("UPDATE outbox SET body = '' WHERE id > ? AND id <= ? AND delivered_at IS NOT NULL"),
      // Rows kept for a party without a URL are not waiting for a receiver: they do not hold it back.
      // INDEXED BY: left to itself the planner took outbox_by_party and counted through all the party's delivered
      // rows too, a cost growing with the outbox's history, paid by every request (admission).
      // The URL as EXISTS on the party's own row, not an IN list of the parties with one: that scanned every party on
      // each call (21 → 7.5 µs a call on the bench's world; bench/measurements.md, issue 20).
      outboxUntried: p(
        `SELECT count(*) AS n FROM outbox INDEXED BY outbox_untried_by_party WHERE party_eui = ? AND delivered_at IS NULL AND attempts = 0
            AND EXISTS (SELECT 1 FROM parties p WHERE p.eui = outbox.party_eui AND p.response_url IS NOT NULL)`,
      ),
      // Over the undelivered rows of the parties with a URL alone, as outboxDue (a URL-less party's kept rows are
      // not read), not over every undelivered row (74 µs a call with a read load's I0s queued, 5.1 ms with 50,000
      // rows kept for a URL-less party: bench/measurements.md).
      outboxNextDue: p(
        `SELECT min(o.next_attempt_at) AS t FROM parties p CROSS JOIN outbox o INDEXED BY outbox_undelivered_by_party
          WHERE p.response_url IS NOT NULL AND o.party_eui = p.eui AND o.delivered_at IS NULL`,
      ),
    };
  }

  logRequest(e: RequestLogEntry): number {
    const r = this.stmts.logInsert.run(
      e.receivedAt, e.path, e.requestId, e.originatorEui, e.targetEui, e.counter, e.serviceReference,
      e.serviceVariant, e.commandVariant, e.responseCode, e.reason, e.failedStep, e.finalResponseCode ?? null, e.finalReason ?? null, e.deviceAlertCode ?? null,
      e.requestXml, e.responseXml, e.steps ? JSON.stringify(e.steps) : null, e.changedCells ? JSON.stringify(e.changedCells) : null, e.gbcsCommand ?? null,
    );
    return Number(r.lastInsertRowid);
  }

  /**
   * A request's final outcome learnt after it was logged: a command the User delivered locally (CV 2) that
   * the device then discarded.
   */
  setFinalOutcome(id: number, code: string, reason: string | null, deviceAlertCode: string | null): void {
    this.stmts.logSetFinal.run(code, reason, deviceAlertCode, id);
  }

  /** The device's GBCS response to the command request `id` obtained for local delivery. */
  setLocalResponse(id: number, response: Buffer): void {
    this.stmts.localResponseSet.run(response, id);
  }

  /** Devices' responses to locally delivered commands, newest first (of one device when `targetEui` is given). */
  localResponses(f: { targetEui?: string; limit?: number } = {}): LocalResponseRecord[] {
    const rows = this.stmts.localResponses.all({ target: f.targetEui ?? null, limit: f.limit ?? 100 }) as Record<string, unknown>[];
    return rows.map((r) => ({
      requestLogId: r.id as number,
      requestId: r.request_id as string,
      originatorEui: r.originator_eui as string,
      targetEui: r.target_eui as string,
      counter: (r.counter as string | null) ?? null,
      response: r.local_response as Buffer,
    }));
  }

  getRequest(id: number): RequestLogRecord | undefined {
    const r = this.stmts.logGet.get(id) as Row | undefined;
    return r ? requestFromRow(r) : undefined;
  }

  listRequests(f: RequestLogFilter = {}): RequestLogRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.requestId !== undefined) {
      where.push('request_id = ?');
      args.push(f.requestId);
    }
    if (f.originatorEui !== undefined) {
      where.push('originator_eui = ?');
      args.push(f.originatorEui);
    }
    if (f.targetEui !== undefined) {
      where.push('target_eui = ?');
      args.push(f.targetEui);
    }
    if (f.afterId !== undefined) {
      where.push('id > ?');
      args.push(f.afterId);
    }
    if (f.beforeId !== undefined) {
      where.push('id < ?');
      args.push(f.beforeId);
    }
    if (f.serviceVariant !== undefined) {
      where.push('service_variant = ?');
      args.push(f.serviceVariant);
    }
    if (f.outcome !== undefined) where.push(`COALESCE(final_response_code, response_code) ${f.outcome === 'failure' ? '' : 'NOT '}LIKE 'E%'`);
    const sql = `SELECT * FROM requests ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 100) as Row[]).map(requestFromRow);
  }

  lastCounter(originator: string): bigint | undefined {
    const r = this.stmts.counterGet.get(originator) as { last_counter: string } | undefined;
    return r ? BigInt(r.last_counter) : undefined;
  }

  setLastCounter(originator: string, counter: bigint): void {
    this.stmts.counterSet.run(originator, counter.toString());
  }

  putPreCommand(requestId: string, targetEui: string, serviceVariant: string, payload: Buffer, issuedAt: string): void {
    this.stmts.preCommandInsert.run(requestId, targetEui, serviceVariant, payload, issuedAt);
  }

  getPreCommand(requestId: string): PreCommandRecord | undefined {
    const r = this.stmts.preCommandGet.get(requestId) as Row | undefined;
    if (!r) return undefined;
    return {
      requestId: r.request_id as string,
      targetEui: r.target_eui as string,
      serviceVariant: r.service_variant as string,
      payload: r.payload as Buffer,
      issuedAt: r.issued_at as string,
      consumedAt: (r.consumed_at as string | null) ?? null,
    };
  }

  /** Marks a pre-command used; false if it was already used (a signed pre-command acts once). */
  consumePreCommand(requestId: string, at: string): boolean {
    return this.stmts.preCommandConsume.run(at, requestId).changes === 1;
  }

  /** The next counter of a DCC remote party (e.g. the ACB), durably incremented. */
  /**
   * With pipeline workers, each thread hands out the DCC's counters of its own residue class
   * (counter mod `modulus` = `residue`), so that no two threads can take the same value
   * (src/dcc/speculation.ts). Unset: every value.
   */
  dccCounterClass?: { modulus: bigint; residue: bigint };

  nextDccCounter(roleName: string, floor: bigint): bigint {
    // PostgreSQL: one sequence for every role, which several servers draw from without conflict (db/postgres/migrate.ts).
    if (this.pg) return BigInt((this.pg.query('SELECT dcc_next_counter($1::bigint)::text AS c', [floor])[0] as { c: string }).c);
    return this.takeDccCounter(roleName, floor);
  }

  private takeDccCounter(roleName: string, floor: bigint): bigint {
    const r = this.stmts.dccCounterGet.get(roleName) as { counter: string } | undefined;
    let next = (r ? BigInt(r.counter) : 0n) + 1n;
    if (next <= floor) next = floor + 1n;
    const c = this.dccCounterClass;
    if (c) next += (c.residue - (next % c.modulus) + c.modulus) % c.modulus;
    this.stmts.dccCounterSet.run(roleName, next.toString());
    return next;
  }

  enqueue(e: OutboxEntry): number {
    return Number(this.stmts.outboxInsert.run(e.partyEui, e.requestId, e.responseId, e.kind, e.responseCode, e.createdAt, e.body, e.nextAttemptAt).lastInsertRowid);
  }

  /** Due rows in queueing order, skipping rows already being delivered and parties at their limit. */
  dueOutbox(now: string, limit = 50, except: { exceptIds?: ReadonlySet<number>; exceptParties?: ReadonlySet<string> } = {}): (OutboxRecord & { responseUrl: string })[] {
    const picked: { id: number; url: string }[] = [];
    if (limit <= 0) return [];
    for (const r of this.stmts.outboxDue.iterate(now) as Iterable<{ id: number; party_eui: string; response_url: string }>) {
      if (except.exceptIds?.has(r.id) || except.exceptParties?.has(r.party_eui)) continue;
      picked.push({ id: r.id, url: r.response_url });
      if (picked.length >= limit) break;
    }
    return picked.map(({ id, url }) => dueFromRow(this.stmts.outboxGet.get(id) as Row, url));
  }

  /**
   * Due rows for this process to deliver. SQLite: dueOutbox (one process serves the world). PostgreSQL:
   * the rows are claimed in one statement, SKIP LOCKED past rows another process is claiming, and
   * leased to this process until outboxLeaseMs from now, so that each row has one deliverer at a
   * time; a lease run out (its process died) frees the row for whoever asks next.
   */
  claimDueOutbox(now: string, limit = 50, except: { exceptIds?: ReadonlySet<number>; exceptParties?: ReadonlySet<string> } = {}): (OutboxRecord & { responseUrl: string })[] {
    if (!this.pg) return this.dueOutbox(now, limit, except);
    if (limit <= 0) return [];
    const until = new Date(Date.parse(now) + this.outboxLeaseMs).toISOString();
    const rows = this.pg.query(
      `UPDATE outbox SET claimed_by = $1, claimed_until = $2
        WHERE id IN (
          SELECT o.id FROM parties p JOIN outbox o ON o.party_eui = p.eui AND o.delivered_at IS NULL
           WHERE p.response_url IS NOT NULL AND o.next_attempt_at <= $3
             AND (o.claimed_until IS NULL OR o.claimed_until <= $3 OR o.claimed_by = $1)
             AND NOT (o.id = ANY ($4::bigint[])) AND NOT (o.party_eui = ANY ($5::text[]))
           ORDER BY o.id LIMIT $6
           FOR UPDATE OF o SKIP LOCKED)
        RETURNING outbox.*, (SELECT response_url FROM parties WHERE eui = outbox.party_eui) AS response_url`,
      [this.instance, until, now, `{${[...(except.exceptIds ?? [])].join(',')}}`, `{${[...(except.exceptParties ?? [])].join(',')}}`, limit],
    ) as Row[];
    return rows.map((r) => dueFromRow(r, r.response_url as string)).sort((a, b) => a.id - b.id);
  }

  /** Whether this process claims the outbox rows it delivers (PostgreSQL: other processes may serve the world). */
  get claimsOutbox(): boolean {
    return this.pg !== undefined;
  }

  /**
   * Extends this process's claims on outbox rows it is still delivering to outboxLeaseMs from `now`
   * and returns the ids still its own. A row another process has taken over since (this one stalled
   * past its lease) is left to it. SQLite: nothing is claimed, so every row is still this process's.
   */
  renewOutboxClaims(ids: readonly number[], now: string): number[] {
    if (!this.pg || ids.length === 0) return [...ids];
    const until = new Date(Date.parse(now) + this.outboxLeaseMs).toISOString();
    const rows = this.pg.query('UPDATE outbox SET claimed_until = $1 WHERE id = ANY ($2::bigint[]) AND claimed_by = $3 RETURNING id', [until, `{${ids.join(',')}}`, this.instance]) as { id: number }[];
    return rows.map((r) => r.id);
  }

  markDelivered(id: number, at: string): void {
    this.stmts.outboxDelivered.run(at, id);
  }

  markFailed(id: number, error: string, nextAttemptAt: string): void {
    this.stmts.outboxFailed.run(error.slice(0, 500), nextAttemptAt, id);
  }


  /** Undelivered responses and alerts that cannot go out now, by reason (GET /api/metrics). */
  undeliverableCounts(): Record<UndeliverableReason, number> {
    const counts: Record<UndeliverableReason, number> = { 'no-url': 0, 'receiver-failing': 0 };
    for (const r of this.stmts.outboxUndeliverable.all() as { reason: UndeliverableReason; n: number }[]) counts[r.reason] = r.n;
    return counts;
  }

  /** A party's mailbox: everything queued for it, delivered or not, newest first. */
  inbox(partyEui: string, f: InboxFilter = {}): { entries: OutboxRecord[]; total: number } {
    const where = ['party_eui = ?'];
    const args: unknown[] = [partyEui];
    if (f.kind !== undefined) {
      where.push('kind = ?');
      args.push(f.kind);
    }
    if (f.responseCode !== undefined) {
      where.push('response_code = ?');
      args.push(f.responseCode);
    }
    if (f.requestId !== undefined) {
      where.push('request_id = ?');
      args.push(f.requestId);
    }
    const total = (this.db.prepare(`SELECT count(*) AS n FROM outbox WHERE ${where.join(' AND ')}`).get(...args) as { n: number }).n;
    if (f.beforeId !== undefined) {
      where.push('id < ?');
      args.push(f.beforeId);
    }
    const rows = this.db.prepare(`SELECT * FROM outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...args, f.limit ?? 50) as Row[];
    return { entries: rows.map(outboxFromRow), total };
  }

  /** Per party: how many responses its mailbox holds, and how many are not delivered yet. */
  inboxCounts(): InboxCounts[] {
    const undelivered = new Map((this.stmts.inboxUndelivered.all() as { party_eui: string; n: number }[]).map((r) => [r.party_eui, r.n]));
    return (this.stmts.inboxTotals.all() as { party_eui: string; n: number }[]).map((r) => ({ partyEui: r.party_eui, total: r.n, undelivered: undelivered.get(r.party_eui) ?? 0 }));
  }

  responsesFor(requestId: string): OutboxRecord[] {
    return (this.stmts.outboxByRequest.all(requestId) as Row[]).map(outboxFromRow);
  }

  /**
   * Drops the XML of request-log rows in (after, upTo] and returns upTo as the new mark; rows keep
   * everything else (codes, steps, parties). Bounded by the caller's range.
   */
  pruneRequestXml(after: number, upTo: number): void {
    this.stmts.requestsPrune.run(after, upTo);
  }

  maxRequestLogId(): number {
    return (this.stmts.requestsMaxId.get() as { n: number }).n;
  }

  /** Drops the bodies of delivered responses in (after, upTo]; undelivered ones are never touched. */
  pruneDeliveredBodies(after: number, upTo: number): void {
    this.stmts.outboxPrune.run(after, upTo);
  }

  maxOutboxId(): number {
    return (this.stmts.outboxMaxId.get() as { n: number }).n;
  }

  /** A party's queued responses that no delivery attempt has finished with yet. */
  untriedOutboxCount(partyEui: string): number {
    return (this.stmts.outboxUntried.get(partyEui) as { n: number }).n;
  }

  pendingOutboxCount(): number {
    return (this.stmts.outboxPendingCount.get() as { n: number }).n;
  }

  nextOutboxDue(): string | null {
    return (this.stmts.outboxNextDue.get() as { t: string | null } | undefined)?.t ?? null;
  }
}
