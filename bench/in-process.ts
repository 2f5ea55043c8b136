import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Dcc } from '../src/dcc/dcc.ts';
import { reviveBuffers, StatementRecorder } from '../src/dcc/speculation.ts';
import { World } from '../src/world/world.ts';
import { openSqlite, WorldStore } from '../db/index.ts';
import { describeCertificate } from '../pki/index.ts';
import { prevalidateRequest, type Prevalidation } from '../service-requests/index.ts';

// Signed requests straight into Dcc.handle (no HTTP): what bench/pipeline.ts and bench/reads.ts time.

export interface InProcessRun {
  n: number;
  ms: number;
  /** summed ms per pipeline stage, from each request's steps */
  stages: Map<string, number>;
  /** how many requests got each response code */
  codes: Map<string, number>;
  /** all threads of the process (V8's GC and compiler threads too), per request */
  cpuMs: number;
  /** the main thread alone (the DCC's single writer), per request; NaN where /proc is not there */
  mainThreadCpuMs: number;
  /** of mainThreadCpuMs, the part in the kernel (system calls: the WAL's writes, its locks) */
  mainThreadSystemMs: number;
}

export interface InProcessOptions {
  /** called just before the first and just after the last measured request (e.g. to start and stop a profiler) */
  around?: { before(): void; after(): void };
  /** the first `warmup` requests are handled but not measured (V8 compiles the hot paths meanwhile) */
  warmup?: number;
  /**
   * Running under `valgrind --tool=callgrind`: zero its counters after the warm-up and dump them after the last
   * request (`callgrind_control`), so the dump holds the measured requests' instructions only.
   */
  callgrind?: boolean;
  /**
   * Each request parsed and its signature checked before the measured requests (prevalidateRequest, as a
   * prevalidation worker does, its result through a structured clone as the worker's message): the measured
   * part is then the serving thread's alone.
   */
  prevalidated?: boolean;
}

/** The main thread's CPU time in ms (its utime + stime in /proc, clock ticks of 10 ms), and its stime. */
function mainThreadCpu(): { all: number; system: number } {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { all: (Number(f[11]) + Number(f[12])) * 10, system: Number(f[12]) * 10 };
  } catch {
    return { all: NaN, system: NaN };
  }
}

export function handleInProcess(world: World, requests: Buffer[], options: InProcessOptions = {}): InProcessRun {
  const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  const warmup = Math.min(options.warmup ?? 0, requests.length);
  const repository = {
    certificatesBySerial: (serial: string) => world.store.certificatesBySerial(serial).map((c) => ({ facts: describeCertificate(c.der), revoked: c.revokedAt !== null })),
  };
  const pres = options.prevalidated
    ? requests.map((r) => reviveBuffers(structuredClone(prevalidateRequest(r, repository, { maxRequestBytes: 256 * 1024, acceptOrganisationXmlSigners: dcc.validateOptions.acceptOrganisationXmlSigners }))) as Prevalidation)
    : [];
  for (let i = 0; i < warmup; i++) dcc.handle('serviceS', requests[i]!, pres[i]);
  const measured = requests.slice(warmup);
  const stages = new Map<string, number>();
  dcc.on('request', (e: { steps: { step: string; ms?: number }[] }) => {
    for (const s of e.steps) stages.set(s.step, (stages.get(s.step) ?? 0) + (s.ms ?? 0));
  });
  const codes = new Map<string, number>();
  if (options.callgrind) execFileSync('callgrind_control', ['--zero', String(process.pid)], { stdio: 'ignore' });
  options.around?.before();
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  for (const [i, r] of measured.entries()) {
    const a = dcc.handle('serviceS', r, pres[warmup + i]);
    codes.set(a.responseCode, (codes.get(a.responseCode) ?? 0) + 1);
  }
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpu();
  options.around?.after();
  if (options.callgrind) execFileSync('callgrind_control', ['--dump=measured requests', String(process.pid)], { stdio: 'ignore' });
  const n = measured.length;
  return { n, ms, stages, codes, cpuMs: (cpu.user + cpu.system) / 1000 / n, mainThreadCpuMs: (main1.all - main0.all) / n, mainThreadSystemMs: (main1.system - main0.system) / n };
}

export interface SpeculatedRun {
  n: number;
  /** CPU ms per request of the worker's part (prevalidation and the whole request, recorded) */
  workerMs: number;
  /** CPU ms per request of the main thread's part (structured clone of the speculation, replay, commit) */
  mainMs: number;
  /** of which the structured clone of the speculation and the prevalidation (the thread boundary) */
  cloneMs: number;
  /** CPU ms per request of the same requests handled wholly in-thread, on a copy of the world */
  inThreadMs: number;
  /** statements replayed per request (reads checked, writes applied) */
  statements: number;
  committed: number;
  conflicts: number;
  codes: Map<string, number>;
}

/**
 * The pipeline workers' split, in one thread so that each part is timed alone (a loaded machine
 * stretches wall time, not this): each request speculated on a second, read-only connection as a
 * worker does (src/dcc/prevalidation-worker.ts), then committed on the writer as the main thread does.
 * `copy` is the same world for the in-thread reference.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function speculateInProcess(file: string, copy: World, requests: Buffer[]): SpeculatedRun {
  const main = World.open(file);
  const dcc = new Dcc(main, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  const db = openSqlite(file, { readonly: true });
  const recorder = new StatementRecorder(db);
  const wworld = new World(new WorldStore(db));
  wworld.checkDeviceKeyGenerations = true;
  const wdcc = new Dcc(wworld, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  const repository = {
    certificatesBySerial: (serial: string) => wworld.store.certificatesBySerial(serial).map((c) => ({ facts: describeCertificate(c.der), revoked: c.revokedAt !== null })),
  };
  const events: [string, unknown][] = [];
  for (const name of ['request', 'cells', 'outbox']) wdcc.on(name, (e: unknown) => void events.push([name, e]));
  const codes = new Map<string, number>();
  let workerMs = 0;
  let mainMs = 0;
  let statements = 0;
  let cloneMs = 0;
  requests.forEach((body, i) => {
    events.length = 0;
    let t = cpuMs();
    const run = recorder.record(i + 1, () => {
      wdcc.clock.reload();
      const pre = prevalidateRequest(body, repository, { maxRequestBytes: 256 * 1024, acceptOrganisationXmlSigners: false });
      return { pre, answer: wdcc.handle('serviceS', body, pre) };
    });
    workerMs += cpuMs() - t;
    if (i === 5 && process.env.BENCH_DUMP_OPS) for (const op of run.ops) process.stderr.write(`${op.read ? 'R' : 'W'} ${op.sql.replace(/\s+/g, ' ').slice(0, 110)} ${JSON.stringify(op.params, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 60)}\n`);
    t = cpuMs();
    // what crosses the thread boundary (the worker sends no prevalidation with a speculation)
    const spec = structuredClone({ ops: run.ops, answer: run.value.answer, events: [...events], forgotKeys: [] });
    cloneMs += cpuMs() - t;
    const answer = (!run.tainted && dcc.commitSpeculation(spec)) || dcc.handle('serviceS', body);
    recorder.settled(i + 1);
    mainMs += cpuMs() - t;
    statements += run.ops.length;
    codes.set(answer.responseCode, (codes.get(answer.responseCode) ?? 0) + 1);
  });
  const reference = handleInProcess(copy, requests);
  // the same measure as the parts: CPU time (a loaded machine stretches wall time)
  const out = {
    n: requests.length, workerMs: workerMs / requests.length, mainMs: mainMs / requests.length, inThreadMs: reference.cpuMs,
    cloneMs: cloneMs / requests.length,
    statements: statements / requests.length, committed: dcc.speculations.committed, conflicts: dcc.speculations.conflicts, codes,
  };
  db.close();
  main.close();
  return out;
}
