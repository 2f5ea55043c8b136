import { PerformanceObserver, performance, constants as perfConstants, type EventLoopUtilization } from 'node:perf_hooks';
import type { Endpoint } from '../../service-requests/index.ts';
import { isFailureCode, type Dcc, type RequestEvent } from './dcc.ts';
import type { OutboxStats } from './outbox.ts';
import { postgresOf, type Checkpointer } from '../../db/index.ts';
import { SERVER_NAME, type PeerRequestEvent } from './peer-events.ts';

// What a load test wants to watch while it runs (GET /api/metrics): requests by response code, where
// a request's time goes (the pipeline's stages, persistence included), how busy the main thread —
// the single writer — is, and whether asynchronous responses keep up. Counters are cumulative since
// start (a scraper takes rates from them); windows are the last STAGE_WINDOW requests and the last
// LOAD_WINDOW_S seconds. On a PostgreSQL world several servers may serve, the request counts are
// the world's (every server's, heard as they commit: peer-events.ts) beside this server's own;
// timings, the main thread, deliveries and memory are this server's (`scope` says which is which).

const STAGE_WINDOW = 1000;
const LOAD_WINDOW_S = 10;
// A request waits for whatever holds the main thread: a latency tail is made of these holds. The
// watch ticks every STALL_TICK_MS and counts a tick late by a threshold or more as a stall that long.
const STALL_TICK_MS = 5;
const STALL_THRESHOLDS_MS = [10, 20, 50] as const;

/** Times the main thread was held, one event-loop turn or several back to back, cumulative since the process's first metrics. */
export interface StallFigures {
  /** holds of at least 10, 20 and 50 ms, keyed by the threshold in ms */
  atLeastMs: Record<string, number>;
  /** the sum of holds of 10 ms or more, and the longest */
  totalMs: number;
  maxMs: number;
}

/** V8's garbage-collection pauses of the main thread, cumulative since the process's first metrics. */
export interface GcFigures {
  /** by kind: minor (scavenge), major (mark-compact), incremental (marking steps), weakcb */
  byKind: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** pauses of 10 ms or more, any kind */
  atLeast10Ms: number;
}

/** V8's garbage-collection kinds by a `gc` performance entry's detail.kind (bench/reads.ts names them the same). */
export const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export interface StageFigures {
  stage: string;
  /** requests in the window that reached the stage */
  n: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface WorkerFigures {
  prevalidated: number;
  inThread: number;
  restarts: number;
  /** ECDH results computed on a worker ahead of the requests it prevalidated (the main thread did not compute them) */
  keyAgreements: number;
  /** each worker's event-loop busy time since it started */
  busySeconds: number[];
  /** workers started and taking requests (until then their lanes' requests are done in-thread) */
  ready?: number;
  /** requests run whole on a worker: committed as it ran them, or run again in-thread because what they read had changed */
  speculated?: { committed: number; conflicts: number };
}

/** A world's requests: the part of the figures a training sandbox reports into the shared world's (and its own). */
export interface RequestFigures {
    total: number;
    byEndpoint: Partial<Record<Endpoint, number>>;
    /** by the synchronous answer: the acknowledgement (I99) or the refusal */
    byResponseCode: Record<string, number>;
    /** by the final outcome: the device's asynchronous answer (I0, E21) when there is one */
    byFinalResponseCode: Record<string, number>;
    /** final outcomes: success, or failure (an E code, before or after the acknowledgement) */
    byOutcome: { success: number; failure: number };
    /** requests acknowledged and then refused by the device (E21), by the device's GBCS alert code */
    deviceRefusals: { total: number; byAlertCode: Record<string, number> };
    /** answered per second over the last LOAD_WINDOW_S seconds */
    perSecond: number;
}

/** A training sandbox's requests since it was made or last reset (it is a world of its own, with its own pipeline). */
export interface SandboxFigures {
  id: string;
  name: string;
  requests: RequestFigures;
}

/** asynchronous responses and alerts queued by requests, by kind and response or alert code */
export interface AsynchronousFigures {
  byKind: Record<string, Record<string, number>>;
}

export interface MetricsSnapshot {
  at: string;
  uptimeSeconds: number;
  /**
   * the requests of this world (a sandbox's go to its own pipeline: see `sandboxes`); on a PostgreSQL
   * world, every server's, as this server heard of them since it started (`server` has its own)
   */
  requests: RequestFigures;
  /** a PostgreSQL world (several servers may serve it): this server, and the requests it handled itself */
  server?: { name: string; requests: RequestFigures; asynchronous: AsynchronousFigures };
  /** a PostgreSQL world: which figures (by path) count the world's, and which this server's alone */
  scope?: { world: string[]; thisServer: string[] };
  /**
   * The shared world's only: the requests handled in each training sandbox (/sandboxes/{id}/api/v1/...), which its own
   * /sandboxes/{id}/api/metrics also shows; their stages, outbox and memory are the shared process's, counted above.
   */
  sandboxes?: SandboxFigures[];
  /** asynchronous responses and alerts queued by requests, by kind and response or alert code (the world's, as `requests`) */
  asynchronous: AsynchronousFigures;
  stages: { window: number; figures: StageFigures[] };
  mainThread: {
    /** cumulative event-loop busy time: (b2 - b1) / (t2 - t1) is the utilisation between two reads */
    busySeconds: number;
    /** share of the last LOAD_WINDOW_S seconds the event loop was busy, 0..1 */
    utilisation: number;
    /** how often, and how long, requests arriving had to wait for the thread */
    stalls: StallFigures;
    gc: GcFigures;
  };
  outbox: OutboxStats;
  store: StoreFigures;
  workers?: WorkerFigures;
  memory: { rssBytes: number; heapUsedBytes: number };
}

/** The world's store, as this process's connection to it saw it since start. */
export interface StoreFigures {
  kind: 'sqlite' | 'postgres';
  /**
   * Transactions rolled back and run again (PostgreSQL: a serialization failure or deadlock with another
   * request or server; each costs a request's work twice). Always 0 on SQLite: its one writer never conflicts.
   */
  transactionRetries: number;
  /** the same by SQLSTATE: 40001 serialization failure, 40P01 deadlock (both always present) */
  retriesBySqlState: Record<string, number>;
  /**
   * A served SQLite world file: its WAL (db/checkpointer.ts). Its size in frames of a page at the checkpointer
   * thread's last pass, the passes run, the RESTARTs that started it over, and the write transactions that waited
   * at the write gate for a RESTART to end (how many, and the time in all).
   */
  wal?: { frames: number; checkpointPasses: number; restarts: number; gateWaits: number; gateWaitSeconds: number };
}

/**
 * The main thread's holds and GC pauses: facts of the thread, not of a world, so one watch per process
 * however many worlds (sandboxes) it serves, from the first PipelineMetrics made until the last is closed.
 */
class MainThreadWatch {
  private static current?: MainThreadWatch;
  private users = 0;
  private lastTick = performance.now();
  private readonly held = { atLeast: STALL_THRESHOLDS_MS.map(() => 0), totalMs: 0, maxMs: 0 };
  private readonly gcByKind = new Map<string, { count: number; totalMs: number; maxMs: number }>();
  private gcAtLeast10 = 0;
  private readonly ticker = setInterval(() => this.tick(), STALL_TICK_MS);
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
      let k = this.gcByKind.get(kind);
      if (!k) this.gcByKind.set(kind, (k = { count: 0, totalMs: 0, maxMs: 0 }));
      k.count++;
      k.totalMs += e.duration;
      k.maxMs = Math.max(k.maxMs, e.duration);
      if (e.duration >= 10) this.gcAtLeast10++;
    }
  });

  private constructor() {
    this.ticker.unref();
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  static acquire(): MainThreadWatch {
    const w = (MainThreadWatch.current ??= new MainThreadWatch());
    w.users++;
    return w;
  }

  release(): void {
    if (--this.users > 0) return;
    clearInterval(this.ticker);
    this.gcObserver.disconnect();
    if (MainThreadWatch.current === this) MainThreadWatch.current = undefined;
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.lastTick - STALL_TICK_MS;
    this.lastTick = now;
    if (late < STALL_THRESHOLDS_MS[0]) return;
    STALL_THRESHOLDS_MS.forEach((t, i) => {
      if (late >= t) this.held.atLeast[i]!++;
    });
    this.held.totalMs += late;
    this.held.maxMs = Math.max(this.held.maxMs, late);
  }

  stalls(): StallFigures {
    return {
      atLeastMs: Object.fromEntries(STALL_THRESHOLDS_MS.map((t, i) => [String(t), this.held.atLeast[i]!])),
      totalMs: this.held.totalMs,
      maxMs: this.held.maxMs,
    };
  }

  gc(): GcFigures {
    return { byKind: Object.fromEntries([...this.gcByKind].map(([k, v]) => [k, { ...v }])), atLeast10Ms: this.gcAtLeast10 };
  }
}

/** Ring buffer of one stage's last STAGE_WINDOW timings. */
class StageRing {
  private readonly ms = new Float64Array(STAGE_WINDOW);
  private next = 0;
  private filled = 0;
  add(ms: number): void {
    this.ms[this.next] = ms;
    this.next = (this.next + 1) % STAGE_WINDOW;
    if (this.filled < STAGE_WINDOW) this.filled++;
  }
  figures(stage: string): StageFigures {
    const v = this.ms.slice(0, this.filled).sort();
    const at = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? 0;
    const sum = v.reduce((a, b) => a + b, 0);
    return { stage, n: v.length, meanMs: v.length ? sum / v.length : 0, p50Ms: at(0.5), p99Ms: at(0.99) };
  }
}

/** Requests counted by what they were answered and what they queued: a world's, or one server's of it. */
class RequestCounts {
  total = 0;
  private readonly byEndpoint = new Map<Endpoint, number>();
  private readonly byCode = new Map<string, number>();
  private readonly byFinal = new Map<string, number>();
  private readonly outcomes = { success: 0, failure: 0 };
  private readonly refusalsByAlert = new Map<string, number>();
  private refusals = 0;
  private readonly asyncByKind = new Map<string, Map<string, number>>();

  record(e: PeerRequestEvent): void {
    this.total++;
    this.byEndpoint.set(e.endpoint, (this.byEndpoint.get(e.endpoint) ?? 0) + 1);
    this.byCode.set(e.responseCode, (this.byCode.get(e.responseCode) ?? 0) + 1);
    this.byFinal.set(e.finalResponseCode, (this.byFinal.get(e.finalResponseCode) ?? 0) + 1);
    this.outcomes[isFailureCode(e.finalResponseCode) ? 'failure' : 'success']++;
    if (e.deviceAlertCode !== null) {
      this.refusals++;
      this.refusalsByAlert.set(e.deviceAlertCode, (this.refusalsByAlert.get(e.deviceAlertCode) ?? 0) + 1);
    }
    for (const q of e.queued) {
      let codes = this.asyncByKind.get(q.kind);
      if (!codes) this.asyncByKind.set(q.kind, (codes = new Map()));
      codes.set(q.code, (codes.get(q.code) ?? 0) + 1);
    }
  }

  figures(perSecond: number): RequestFigures {
    return {
      total: this.total,
      byEndpoint: Object.fromEntries(this.byEndpoint),
      byResponseCode: Object.fromEntries(this.byCode),
      byFinalResponseCode: Object.fromEntries(this.byFinal),
      byOutcome: { ...this.outcomes },
      deviceRefusals: { total: this.refusals, byAlertCode: Object.fromEntries(this.refusalsByAlert) },
      perSecond,
    };
  }

  asynchronous(): AsynchronousFigures {
    return { byKind: Object.fromEntries([...this.asyncByKind].map(([kind, codes]) => [kind, Object.fromEntries(codes)])) };
  }
}

/**
 * A world several servers share (PostgreSQL): the figures counted from every server's requests, as
 * this server heard of them since it started, and those of this server alone.
 */
const SHARED_SCOPE = {
  world: ['requests', 'asynchronous', 'sandboxes', 'outbox.pending', 'outbox.undeliverable'],
  thisServer: ['server', 'uptimeSeconds', 'stages', 'mainThread', 'outbox.inFlight', 'outbox.deliveredTotal', 'outbox.failedAttemptsTotal', 'outbox.admissionWaiting', 'workers', 'memory'],
};

export class PipelineMetrics {
  private readonly started = performance.now();
  /** the world's requests (on a PostgreSQL world, every server's) */
  private readonly world = new RequestCounts();
  /** this server's own, when others serve the world too */
  private readonly own: RequestCounts | undefined;
  // Stages in first-seen order, which is pipeline order.
  private readonly stages = new Map<string, StageRing>();
  // One sample a second of (time, requests answered in the world and here, event-loop utilisation so far).
  private readonly samples: { t: number; total: number; own: number; elu: EventLoopUtilization }[] = [];
  private readonly ticker: NodeJS.Timeout;
  private readonly watch = MainThreadWatch.acquire();
  private readonly onRequest = (e: RequestEvent) => this.record(e);
  private readonly onPeerRequest = (e: PeerRequestEvent) => this.world.record(e);

  private checkpointer?: Checkpointer;

  constructor(private readonly dcc: Dcc) {
    if (dcc.shared) this.own = new RequestCounts();
    dcc.on('request', this.onRequest);
    dcc.on('peer-request', this.onPeerRequest);
    this.sample();
    this.ticker = setInterval(() => this.sample(), 1000);
    this.ticker.unref();
  }

  private record(e: RequestEvent): void {
    this.world.record(e);
    this.own?.record(e);
    for (const s of e.steps) {
      if (s.ms === undefined || !s.ok) continue; // a failed step's time is not the stage's cost
      let ring = this.stages.get(s.step);
      if (!ring) this.stages.set(s.step, (ring = new StageRing()));
      ring.add(s.ms);
    }
  }

  private sample(): void {
    this.samples.push({ t: performance.now(), total: this.world.total, own: this.own?.total ?? 0, elu: performance.eventLoopUtilization() });
    if (this.samples.length > LOAD_WINDOW_S + 1) this.samples.shift();
  }

  private perSecond(which: 'total' | 'own', now: number): number {
    const first = this.samples[0]!;
    const windowMs = now - first.t;
    const total = which === 'total' ? this.world.total : this.own?.total ?? 0;
    return windowMs > 0 ? ((total - first[which]) * 1000) / windowMs : 0;
  }

  /** The request counts alone (a sandbox's part of the shared world's figures). */
  requestFigures(): RequestFigures {
    return this.world.figures(this.perSecond('total', performance.now()));
  }

  snapshot(outbox: OutboxStats, workers?: WorkerFigures, sandboxes?: SandboxFigures[]): MetricsSnapshot {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const first = this.samples[0]!;
    const windowElu = performance.eventLoopUtilization(elu, first.elu);
    const mem = process.memoryUsage();
    return {
      at: new Date().toISOString(),
      uptimeSeconds: (now - this.started) / 1000,
      requests: this.requestFigures(),
      ...(this.own
        ? {
          server: { name: SERVER_NAME, requests: this.own.figures(this.perSecond('own', now)), asynchronous: this.own.asynchronous() },
          scope: SHARED_SCOPE,
        }
        : {}),
      ...(sandboxes ? { sandboxes } : {}),
      asynchronous: this.world.asynchronous(),
      stages: { window: STAGE_WINDOW, figures: [...this.stages].map(([stage, ring]) => ring.figures(stage)) },
      mainThread: {
        busySeconds: elu.active / 1000,
        utilisation: windowElu.utilization,
        stalls: this.watch.stalls(),
        gc: this.watch.gc(),
      },
      outbox,
      ...(workers ? { workers } : {}),
      store: this.storeFigures(),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }

  /** The served world file's checkpointer, whose figures `store.wal` shows. */
  watchCheckpointer(checkpointer: Checkpointer | undefined): void {
    this.checkpointer = checkpointer;
  }

  private storeFigures(): StoreFigures {
    const pg = postgresOf(this.dcc.world.store.db);
    if (!pg) {
      const c = this.checkpointer?.stats();
      const wal = c && { frames: c.walFrames, checkpointPasses: c.passes, restarts: c.restarts, gateWaits: c.gateWaits, gateWaitSeconds: c.gateWaitMs / 1000 };
      return { kind: 'sqlite', transactionRetries: 0, retriesBySqlState: { '40001': 0, '40P01': 0 }, ...(wal ? { wal } : {}) };
    }
    return { kind: 'postgres', transactionRetries: pg.retries, retriesBySqlState: { '40001': 0, '40P01': 0, ...pg.retriesBySqlState } };
  }

  close(): void {
    clearInterval(this.ticker);
    this.watch.release();
    this.dcc.off('request', this.onRequest);
    this.dcc.off('peer-request', this.onPeerRequest);
  }
}

type MetricWriter = (name: string, type: 'counter' | 'gauge' | 'summary', help: string, rows: [Record<string, string>, number][]) => void;

/** The request counts as Prometheus metrics, named `<prefix>_…`, each help text ending with `whose`. */
function requestMetrics(metric: MetricWriter, prefix: string, whose: string, r: RequestFigures, a: AsynchronousFigures): void {
  metric(`${prefix}_requests_total`, 'counter', `DUIS requests answered, by endpoint${whose}`, Object.entries(r.byEndpoint).map(([endpoint, n]) => [{ endpoint }, n ?? 0]));
  metric(`${prefix}_responses_total`, 'counter', `DUIS requests answered, by response code${whose}`, Object.entries(r.byResponseCode).map(([code, n]) => [{ code }, n]));
  metric(`${prefix}_final_responses_total`, 'counter', `DUIS requests by final outcome's response code (the device's asynchronous answer when there is one)${whose}`, Object.entries(r.byFinalResponseCode).map(([code, n]) => [{ code }, n]));
  metric(`${prefix}_outcomes_total`, 'counter', `DUIS requests by final outcome, success or failure${whose}`, Object.entries(r.byOutcome).map(([outcome, n]) => [{ outcome }, n]));
  metric(`${prefix}_device_refusals_total`, 'counter', `requests acknowledged and then discarded by the device, by GBCS alert code${whose}`, Object.entries(r.deviceRefusals.byAlertCode).map(([alert, n]) => [{ alert }, n]));
  metric(
    `${prefix}_asynchronous_total`,
    'counter',
    `asynchronous responses and alerts queued by requests, by kind and code${whose}`,
    Object.entries(a.byKind).flatMap(([kind, codes]) => Object.entries(codes).map(([code, n]) => [{ kind, code }, n] as [Record<string, string>, number])),
  );
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The snapshot in the Prometheus text exposition format (version 0.0.4). */
export function prometheusText(m: MetricsSnapshot): string {
  const out: string[] = [];
  const metric: MetricWriter = (name, type, help, rows) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    }
  };
  // On a PostgreSQL world these count every server's requests (as this one heard them since it
  // started): summed over servers they count each request once per server; dcc_sim_server_* do not.
  const world = m.server ? " (every server's on this PostgreSQL world, since this server started; sum dcc_sim_server_* across servers instead)" : '';
  requestMetrics(metric, 'dcc_sim', world, m.requests, m.asynchronous);
  if (m.server) requestMetrics(metric, 'dcc_sim_server', ` (this server's own: ${m.server.name})`, m.server.requests, m.server.asynchronous);
  metric(
    'dcc_sim_stage_seconds',
    'summary',
    `time per pipeline stage over the last ${m.stages.window} requests`,
    m.stages.figures.flatMap((s) => [
      [{ stage: s.stage, quantile: '0.5' }, s.p50Ms / 1000],
      [{ stage: s.stage, quantile: '0.99' }, s.p99Ms / 1000],
    ]),
  );
  out.push(...m.stages.figures.flatMap((s) => [`dcc_sim_stage_seconds_sum{stage="${esc(s.stage)}"} ${(s.meanMs * s.n) / 1000}`, `dcc_sim_stage_seconds_count{stage="${esc(s.stage)}"} ${s.n}`]));
  if (m.sandboxes) {
    // a training sandbox's requests, by its id (its name is in /api/sandboxes)
    const each = (f: (r: RequestFigures) => [Record<string, string>, number][]) => m.sandboxes!.flatMap((s) => f(s.requests).map(([l, n]) => [{ sandbox: s.id, ...l }, n] as [Record<string, string>, number]));
    metric('dcc_sim_sandbox_requests_total', 'counter', 'DUIS requests answered in each training sandbox', each((r) => [[{}, r.total]]));
    metric('dcc_sim_sandbox_outcomes_total', 'counter', 'DUIS requests in each training sandbox by final outcome, success or failure', each((r) => Object.entries(r.byOutcome).map(([outcome, n]) => [{ outcome }, n])));
    metric('dcc_sim_sandbox_final_responses_total', 'counter', "DUIS requests in each training sandbox by final outcome's response code", each((r) => Object.entries(r.byFinalResponseCode).map(([code, n]) => [{ code }, n])));
    metric('dcc_sim_sandbox_device_refusals_total', 'counter', 'requests in each training sandbox acknowledged and then discarded by the device, by GBCS alert code', each((r) => Object.entries(r.deviceRefusals.byAlertCode).map(([alert, n]) => [{ alert }, n])));
  }
  metric('dcc_sim_main_thread_busy_seconds_total', 'counter', 'event-loop busy time of the main thread (the single writer)', [[{}, m.mainThread.busySeconds]]);
  metric('dcc_sim_main_thread_utilisation', 'gauge', `share of the last ${LOAD_WINDOW_S} s the main thread was busy`, [[{}, m.mainThread.utilisation]]);
  metric('dcc_sim_main_thread_stalls_total', 'counter', 'times the main thread was held at least this long (requests arriving waited)', Object.entries(m.mainThread.stalls.atLeastMs).map(([ms, n]) => [{ at_least_ms: ms }, n]));
  metric('dcc_sim_main_thread_stall_seconds_max', 'gauge', 'the longest hold of the main thread since start', [[{}, m.mainThread.stalls.maxMs / 1000]]);
  metric('dcc_sim_gc_pauses_total', 'counter', 'garbage-collection pauses of the main thread, by kind', Object.entries(m.mainThread.gc.byKind).map(([kind, g]) => [{ kind }, g.count]));
  metric('dcc_sim_gc_pause_seconds_total', 'counter', 'time in garbage-collection pauses of the main thread, by kind', Object.entries(m.mainThread.gc.byKind).map(([kind, g]) => [{ kind }, g.totalMs / 1000]));
  metric('dcc_sim_outbox_pending', 'gauge', 'asynchronous responses and alerts not yet delivered', [[{}, m.outbox.pending]]);
  metric('dcc_sim_outbox_in_flight', 'gauge', 'deliveries under way', [[{}, m.outbox.inFlight]]);
  metric('dcc_sim_outbox_delivered_total', 'counter', 'deliveries answered 2xx', [[{}, m.outbox.deliveredTotal]]);
  metric('dcc_sim_outbox_failed_attempts_total', 'counter', 'delivery attempts that failed (retried later)', [[{}, m.outbox.failedAttemptsTotal]]);
  metric(
    'dcc_sim_outbox_undeliverable',
    'gauge',
    'undelivered responses and alerts that cannot go out now, by reason: no-url (the party has no Receive Response Service URL; kept, not retried) or receiver-failing (its last attempt failed)',
    Object.entries(m.outbox.undeliverable.byReason).map(([reason, n]) => [{ reason }, n]),
  );
  metric(
    'dcc_sim_store_transaction_retries_total',
    'counter',
    'store transactions rolled back and run again, by SQLSTATE (PostgreSQL: 40001 serialization failure, 40P01 deadlock; always 0 on SQLite)',
    Object.entries(m.store.retriesBySqlState).map(([sqlstate, n]) => [{ sqlstate }, n]),
  );
  if (m.store.wal) {
    metric('dcc_sim_wal_frames', 'gauge', "the world's WAL, in frames of a page, at the checkpointer's last pass", [[{}, m.store.wal.frames]]);
    metric('dcc_sim_wal_checkpoint_passes_total', 'counter', "the checkpointer thread's passes over the WAL", [[{}, m.store.wal.checkpointPasses]]);
    metric('dcc_sim_wal_restarts_total', 'counter', 'times the checkpointer thread started the WAL over (a RESTART checkpoint)', [[{}, m.store.wal.restarts]]);
    metric('dcc_sim_write_gate_waits_total', 'counter', 'write transactions that waited for a RESTART to end', [[{}, m.store.wal.gateWaits]]);
    metric('dcc_sim_write_gate_wait_seconds_total', 'counter', 'time write transactions waited for RESTARTs to end', [[{}, m.store.wal.gateWaitSeconds]]);
  }
  metric('dcc_sim_admission_waiting', 'gauge', 'requests held back until their sender\'s responses catch up', [[{}, m.outbox.admissionWaiting]]);
  if (m.workers) {
    metric('dcc_sim_prevalidated_total', 'counter', 'requests parsed and signature-checked by a worker thread', [[{}, m.workers.prevalidated]]);
    metric('dcc_sim_prevalidation_in_thread_total', 'counter', 'requests done wholly in-thread (worker starting, dead, hung or failed)', [[{}, m.workers.inThread]]);
    if (m.workers.speculated) {
      metric('dcc_sim_speculation_committed_total', 'counter', 'requests run whole on a worker and committed as it ran them', [[{}, m.workers.speculated.committed]]);
      metric('dcc_sim_speculation_conflicts_total', 'counter', 'requests run whole on a worker, then run again in-thread because what they read had changed', [[{}, m.workers.speculated.conflicts]]);
    }
    metric('dcc_sim_worker_busy_seconds_total', 'counter', 'event-loop busy time of each prevalidation worker', m.workers.busySeconds.map((s, i) => [{ worker: String(i) }, s]));
  }
  metric('process_resident_memory_bytes', 'gauge', 'resident set size', [[{}, m.memory.rssBytes]]);
  metric('dcc_sim_heap_used_bytes', 'gauge', 'V8 heap in use', [[{}, m.memory.heapUsedBytes]]);
  metric('process_uptime_seconds', 'gauge', 'since the simulator started serving', [[{}, m.uptimeSeconds]]);
  return `${out.join('\n')}\n`;
}
