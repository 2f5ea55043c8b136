import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Endpoint, Prevalidation } from '../../service-requests/index.ts';
import type { PrevalidationJob, PrevalidationReply, PrevalidationWorkerData, Speculation } from './prevalidation-worker.ts';
import { reviveBuffers } from './speculation.ts';
import { ReleasingMap } from './releasing.ts';
import { rememberKeyAgreements } from '../../devices/index.ts';

// The second core: worker threads take the stateless front of the DUIS pipeline (parse, XSD, the
// XML signature's cryptography) off the main thread, which stays the single writer and does the
// rest (counter, registration, device, the transaction) with the worker's result.
//
// With `speculate` the workers run each request whole (speculation.ts) and the main thread only
// replays and commits what they did (Dcc.commitSpeculation), or re-runs the request on a conflict.
//
// Order: each request goes to a lane chosen by its originator (peeked from the RequestID), so all
// of one originator's requests share a lane, and each lane has one worker. A lane is a FIFO on the
// main thread: a request is continued only at the head of its lane, once its prevalidation is back
// or given up (worker still starting, crashed, hung or failed: the request is then done wholly
// in-thread). So a later request of an originator never overtakes an earlier one, whatever order
// the workers answer in, and every request is continued exactly once.

/**
 * CPUs less two (the main thread's, and one for the system and the clients under test); 0 =
 * everything in-thread. On a 2-core machine with its load generator beside it, one worker cost
 * about 2 ms more CPU per handover than it saved and lowered throughput (bench/measurements.md).
 */
export function defaultWorkerCount(): number {
  return Math.max(0, availableParallelism() - 2);
}

export interface PrevalidationPoolOptions extends PrevalidationWorkerData {
  workers: number;
  log?: (level: 'warn' | 'error', msg: string) => void;
  /** a worker that has work but has answered nothing for this long is taken for hung and replaced */
  stallMs?: number;
  /** the worker's entry module (default the real one); exists so that tests can start a stand-in worker */
  workerEntry?: URL;
}

export interface PrevalidationStats {
  /** requests continued with a worker's result (its prevalidation, or the whole request run there) */
  prevalidated: number;
  /** requests done wholly in-thread (worker starting, dead, hung or failed) */
  inThread: number;
  /** workers started again after one died */
  restarts: number;
  /** ECDH results the workers computed ahead for the requests they prevalidated (the serving thread then skips them) */
  agreements: number;
  /** the workers run requests whole (speculation), not only their parse and signature */
  speculating: boolean;
  lanes: { ready: boolean; queued: number; outstanding: number; busySeconds: number }[];
}

interface Job {
  id: number;
  /** its prevalidation is back or given up: it may continue when at the head of its lane */
  settled: boolean;
  pre?: Prevalidation;
  speculation?: Speculation;
  proceed(pre: Prevalidation | undefined, speculation: Speculation | undefined): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  gone: boolean;
  outstanding: ReleasingMap<number, Job>;
  /** when it last answered, or was given work while idle (for the stall watchdog) */
  lastProgress: number;
  /** the watchdog has ended it: its exit, which hands its requests back, is on the way (a loaded machine delays it) */
  replacing?: boolean;
}

interface Lane {
  index: number;
  queue: Job[];
  /** undefined: no worker (closed, or given up after repeated deaths): in-thread */
  slot?: Slot;
  /** deaths since the lane's worker last answered a request */
  deaths: number;
  draining: boolean;
  /** the last job of the lane continued on the main thread (the workers' speculation needs it) */
  settled: number;
}

const WORKER_ENTRY = new URL('./prevalidation-worker.mjs', import.meta.url);
/** A worker that dies this many times in a row without answering anything is not started again. */
const MAX_DEATHS = 3;
const DEFAULT_STALL_MS = 30_000;
/** How much of a body the originator is looked for in: the RequestID is the header's first element. */
const PEEK_BYTES = 4096;
const REQUEST_ID = /<(?:[A-Za-z_][\w.-]{0,64}:)?RequestID\b[^>]{0,256}>\s*([0-9A-Fa-f]{2}(?:-?[0-9A-Fa-f]{2}){7})\s*:/;

/**
 * The lane of a request: by the originator EUI in its RequestID, read cheaply from the first bytes
 * without parsing; a body it cannot be read from goes to lane 0. Only ordering depends on it: the
 * request itself is judged by the parser.
 */
export function originatorLane(body: Uint8Array, lanes: number): number {
  if (lanes <= 1) return 0;
  const eui = peekOriginator(body);
  if (eui === null) return 0;
  let h = 0x811c9dc5; // FNV-1a over the normalised EUI
  for (const ch of eui) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * The originator EUI of a DUIS request (16 upper-case hex digits), read from its RequestID without
 * parsing; null when it cannot be read. For ordering and admission only: the parser judges the request.
 */
export function peekOriginator(body: Uint8Array): string | null {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, PEEK_BYTES)).toString('latin1');
  const m = REQUEST_ID.exec(head);
  return m ? m[1]!.replace(/-/g, '').toUpperCase() : null;
}

export class PrevalidationPool {
  private readonly lanes: Lane[];
  private readonly data: PrevalidationWorkerData;
  private readonly watchdog?: NodeJS.Timeout;
  private nextId = 0;
  private closed = false;
  private readonly counts = { prevalidated: 0, inThread: 0, restarts: 0, agreements: 0 };

  constructor(private readonly options: PrevalidationPoolOptions) {
    this.data = {
      world: options.world,
      maxRequestBytes: options.maxRequestBytes,
      acceptOrganisationXmlSigners: options.acceptOrganisationXmlSigners,
      ...(options.xsdFile ? { xsdFile: options.xsdFile } : {}),
      ...(options.speculate ? { speculate: options.speculate } : {}),
      ...(options.keyAgreements ? { keyAgreements: true } : {}),
    };
    this.lanes = Array.from({ length: Math.max(0, options.workers) }, (_, index) => ({ index, queue: [], deaths: 0, draining: false, settled: 0 }));
    for (const lane of this.lanes) lane.slot = this.start(lane);
    if (this.lanes.length) {
      const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
      this.watchdog = setInterval(() => this.checkStalls(stallMs), Math.max(50, stallMs / 4));
      this.watchdog.unref();
    }
  }

  /**
   * Prevalidates `body` in its originator's worker (with `speculate` and an endpoint, runs it whole
   * there), then calls `proceed` on the main thread with the result (undefined: do it all
   * in-thread), after every earlier request of its lane.
   */
  run<T>(body: Buffer, proceed: (pre: Prevalidation | undefined, speculation?: Speculation) => T, endpoint?: Endpoint): Promise<T> {
    if (this.lanes.length === 0) {
      try {
        return Promise.resolve(proceed(undefined, undefined));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const lane = this.lanes[originatorLane(body, this.lanes.length)]!;
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        id: ++this.nextId,
        settled: false,
        proceed: (pre, speculation) => {
          if (pre || speculation) this.counts.prevalidated++;
          else this.counts.inThread++;
          try {
            resolve(proceed(pre, speculation));
          } catch (err) {
            reject(err);
          }
        },
      };
      lane.queue.push(job);
      const slot = lane.slot;
      // Closing or no worker ready: in-thread, but still behind the lane's earlier requests.
      if (!this.closed && slot?.ready && !slot.gone) {
        if (slot.outstanding.size === 0) slot.lastProgress = performance.now();
        slot.outstanding.set(job.id, job);
        // A copy of its own, moved to the worker: Fastify's body may share a pooled slab.
        const copy = new Uint8Array(body);
        const msg: PrevalidationJob = { id: job.id, body: copy };
        if (this.options.speculate && endpoint) {
          msg.endpoint = endpoint;
          msg.settled = lane.settled;
        }
        slot.worker.postMessage(msg, [copy.buffer]);
      } else {
        job.settled = true;
      }
      this.drain(lane);
    });
  }

  /** The residue class of the DCC's counters the main thread hands out beside speculating workers (GatewayStore.dccCounterClass). */
  mainCounterClass(): { modulus: bigint; residue: bigint } | undefined {
    return this.data.speculate && this.lanes.length ? { modulus: BigInt(this.lanes.length + 1), residue: 0n } : undefined;
  }

  stats(): PrevalidationStats {
    return {
      ...this.counts,
      speculating: this.options.speculate !== undefined,
      lanes: this.lanes.map((l) => ({
        ready: l.slot?.ready === true && !l.slot.gone,
        queued: l.queue.length,
        outstanding: l.slot?.outstanding.size ?? 0,
        // the lane's current worker's event-loop busy time (how much of the second core it takes)
        busySeconds: l.slot && !l.slot.gone ? l.slot.worker.performance.eventLoopUtilization().active / 1000 : 0,
      })),
    };
  }

  /** Ends a lane's worker as a crash would (its requests are then done in-thread, and a new worker starts). */
  async terminateWorker(lane: number): Promise<void> {
    await this.lanes[lane]?.slot?.worker.terminate();
  }

  /** Resolves when every lane's worker is ready to take requests (or has none). */
  async ready(timeoutMs = 30_000): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    while (this.lanes.some((l) => l.slot && !l.slot.ready)) {
      if (performance.now() > until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Stops the workers; requests still waiting for one are done in-thread, in order, before this resolves. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all(
      this.lanes.map(async (lane) => {
        const slot = lane.slot;
        if (!slot) return;
        await slot.worker.terminate();
        this.gone(lane, slot); // idempotent: the exit event may already have done it
      }),
    );
  }

  private start(lane: Lane): Slot {
    // A speculating worker's DCC counters: residue lane + 1 of lanes + 1 (the main thread's is 0).
    const workerData: PrevalidationWorkerData = this.data.speculate
      ? { ...this.data, speculate: { ...this.data.speculate, counterModulus: this.lanes.length + 1, counterResidue: lane.index + 1 } }
      : this.data;
    const worker = new Worker(this.options.workerEntry ?? WORKER_ENTRY, { workerData, name: `dcc-sim prevalidation ${lane.index}` });
    const slot: Slot = { worker, ready: false, gone: false, outstanding: new ReleasingMap(), lastProgress: performance.now() };
    worker.on('message', (msg: PrevalidationReply) => this.answer(lane, slot, msg));
    // Without a listener a worker's uncaught error would be thrown on the main thread.
    worker.on('error', (err) => this.options.log?.('error', `prevalidation worker ${lane.index} failed: ${err.message}`));
    worker.on('messageerror', (err) => this.options.log?.('error', `prevalidation worker ${lane.index} sent an unreadable message: ${err.message}`));
    worker.on('exit', () => this.gone(lane, slot));
    worker.unref(); // an idle pool does not keep the process alive
    return slot;
  }

  private answer(lane: Lane, slot: Slot, msg: PrevalidationReply): void {
    if (slot.gone) return;
    slot.lastProgress = performance.now();
    if ('ready' in msg) {
      slot.ready = true;
      return;
    }
    const job = slot.outstanding.get(msg.id);
    if (!job) return;
    slot.outstanding.delete(msg.id);
    lane.deaths = 0;
    if ('error' in msg) this.options.log?.('error', `prevalidation worker ${lane.index}: ${msg.error}; the request is validated in-thread`);
    else if (msg.speculation) job.speculation = msg.speculation;
    else {
      job.pre = reviveBuffers(msg.result) as Prevalidation;
      // the ECDHs the request will need, done on the worker's core: found here instead of computed
      if (msg.agreements) {
        rememberKeyAgreements(msg.agreements);
        this.counts.agreements += msg.agreements.length;
      }
    }
    job.settled = true;
    this.drain(lane);
  }

  /** A worker ended: what it still had is done in-thread, and (unless closing) a new one starts. */
  private gone(lane: Lane, slot: Slot): void {
    if (slot.gone) return;
    slot.gone = true;
    for (const job of slot.outstanding.values()) job.settled = true;
    slot.outstanding.clear();
    if (lane.slot === slot) {
      lane.slot = undefined;
      if (!this.closed) {
        lane.deaths++;
        if (lane.deaths < MAX_DEATHS) {
          this.options.log?.('warn', `prevalidation worker ${lane.index} ended; its requests are validated in-thread and a new worker starts`);
          this.counts.restarts++;
          lane.slot = this.start(lane);
        } else {
          this.options.log?.('error', `prevalidation worker ${lane.index} ended ${lane.deaths} times without answering; its lane stays in-thread`);
        }
      }
    }
    this.drain(lane);
  }

  private checkStalls(stallMs: number): void {
    const now = performance.now();
    for (const lane of this.lanes) {
      const slot = lane.slot;
      if (slot && !slot.gone && !slot.replacing && slot.outstanding.size > 0 && now - slot.lastProgress > stallMs) {
        this.options.log?.('error', `prevalidation worker ${lane.index} answered nothing for ${Math.round(now - slot.lastProgress)} ms; replacing it`);
        slot.replacing = true;
        void slot.worker.terminate(); // the exit event hands its requests back in-thread
      }
    }
  }

  /** Continues the lane's requests from its head while they are settled: arrival order, once each. */
  private drain(lane: Lane): void {
    if (lane.draining) return; // a request continued from here queued another: the loop below takes it
    lane.draining = true;
    try {
      while (lane.queue[0]?.settled) {
        const job = lane.queue.shift()!;
        job.proceed(job.pre, job.speculation); // commits (or re-runs) synchronously
        lane.settled = job.id;
      }
    } finally {
      lane.draining = false;
    }
  }
}
