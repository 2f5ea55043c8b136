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
}

export function handleInProcess(world: World, requests: Buffer[]): InProcessRun {
  const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  const stages = new Map<string, number>();
  dcc.on('request', (e: { steps: { step: string; ms?: number }[] }) => {
    for (const s of e.steps) stages.set(s.step, (stages.get(s.step) ?? 0) + (s.ms ?? 0));
  });
  const codes = new Map<string, number>();
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  for (const r of requests) {
    const a = dcc.handle('serviceS', r);
    codes.set(a.responseCode, (codes.get(a.responseCode) ?? 0) + 1);
  }
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  return { n: requests.length, ms, stages, codes, cpuMs: (cpu.user + cpu.system) / 1000 / requests.length };
}
