import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Dcc } from '../src/dcc/dcc.ts';
import type { World } from '../src/world/world.ts';

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
}

export interface InProcessOptions {
  /** the first `warmup` requests are handled but not measured (V8 compiles the hot paths meanwhile) */
  warmup?: number;
  /**
   * Running under `valgrind --tool=callgrind`: zero its counters after the warm-up and dump them after the last
   * request (`callgrind_control`), so the dump holds the measured requests' instructions only.
   */
  callgrind?: boolean;
}

/** The main thread's CPU time in ms (its utime + stime in /proc, clock ticks of 10 ms). */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

export function handleInProcess(world: World, requests: Buffer[], options: InProcessOptions = {}): InProcessRun {
  const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  const warmup = Math.min(options.warmup ?? 0, requests.length);
  for (const r of requests.slice(0, warmup)) dcc.handle('serviceS', r);
  const measured = requests.slice(warmup);
  const stages = new Map<string, number>();
  dcc.on('request', (e: { steps: { step: string; ms?: number }[] }) => {
    for (const s of e.steps) stages.set(s.step, (stages.get(s.step) ?? 0) + (s.ms ?? 0));
  });
  const codes = new Map<string, number>();
  if (options.callgrind) execFileSync('callgrind_control', ['--zero', String(process.pid)], { stdio: 'ignore' });
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  for (const r of measured) {
    const a = dcc.handle('serviceS', r);
    codes.set(a.responseCode, (codes.get(a.responseCode) ?? 0) + 1);
  }
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const main = mainThreadCpu() - main0;
  if (options.callgrind) execFileSync('callgrind_control', ['--dump=measured requests', String(process.pid)], { stdio: 'ignore' });
  const n = measured.length;
  return { n, ms, stages, codes, cpuMs: (cpu.user + cpu.system) / 1000 / n, mainThreadCpuMs: main / n };
}
