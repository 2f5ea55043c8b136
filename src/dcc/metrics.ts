import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Endpoint } from '../../service-requests/index.ts';
import { isFailureCode, type Dcc, type RequestEvent } from './dcc.ts';
import type { OutboxStats } from './outbox.ts';
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
  };
  outbox: OutboxStats;
  workers?: WorkerFigures;
  memory: { rssBytes: number; heapUsedBytes: number };
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
  private readonly onRequest = (e: RequestEvent) => this.record(e);
  private readonly onPeerRequest = (e: PeerRequestEvent) => this.world.record(e);

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
      mainThread: { busySeconds: elu.active / 1000, utilisation: windowElu.utilization },
      outbox,
      ...(workers ? { workers } : {}),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }

  close(): void {
    clearInterval(this.ticker);
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
