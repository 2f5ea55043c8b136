import 'reflect-metadata';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';
import { World } from '../src/world/world.ts';
import { seedDemoWorld } from '../src/world/seed-demo.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { xmlSignerOf } from '../src/client.ts';
import { handleInProcess } from './in-process.ts';
import { GC_KINDS } from '../src/dcc/metrics.ts';
import { signDuis } from '../service-requests/index.ts';

// `node --import tsx bench/reads.ts [--premises=N] [--reads=N] [--warmup=N] [--variant=4.1.1] [--db=FILE] [--callgrind] [--prevalidated]`:
// reads of never-commanded ESMEs straight into Dcc.handle (no HTTP, no load generator in the process's time), to
// measure and profile the DCC's own cost of a read (run under `node --cpu-prof`). Each read is for a different
// meter, as in the bench's fleet read load. Prints reads/s, CPU per read (all threads, and the main thread alone)
// and the mean time per pipeline stage. Wall-clock figures follow the machine's load; for a figure that does not,
// count instructions: `valgrind --tool=callgrind --callgrind-out-file=cg.%p node --import tsx bench/reads.ts
// --reads=300 --callgrind` dumps the measured reads' instructions alone to cg.PID.1 (`callgrind_annotate`).
// `--prevalidated`: each request's parse and signature check done before the measured reads, as a prevalidation
// worker does when served (`serve --workers 1 --no-speculate`, the bench's read load): what is measured is then the
// serving thread's share of a read alone.

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const premises = Number(arg('premises', '20000'));
const reads = Number(arg('reads', '1500'));
const warmup = Number(arg('warmup', '300'));
const variant = arg('variant', '4.1.1');
const callgrind = process.argv.includes('--callgrind');
const prevalidated = process.argv.includes('--prevalidated');
const given = process.argv.find((a) => a.startsWith('--db='))?.split('=')[1];
const file = given ?? path.join(mkdtempSync(path.join(tmpdir(), 'dcc-sim-reads-')), 'world.db');

if (!existsSync(file)) {
  const world = World.open(file, { create: true });
  const t = performance.now();
  seedDemoWorld(world, { premises, seed: 'bench', referenceTime: new Date() });
  world.close();
  process.stdout.write(`seeded ${premises} premises in ${((performance.now() - t) / 1000).toFixed(1)} s (${file})\n`);
}

const world = World.open(file);
const requests: Buffer[] = [];
// above any counter an earlier run on the same world file used (the DCC refuses a counter not above the last)
let counter = BigInt(Date.now()) * 10_000n;
const { devices } = world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: (warmup + reads) * 2 });
for (const d of devices) {
  if (requests.length >= warmup + reads) break;
  const sp = d.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
  if (!sp?.supplierEui || world.store.getDeviceAppState(d.eui) !== undefined) continue;
  const xml = exampleRequest(world, variant, { device: d.eui }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
  requests.push(Buffer.from(signDuis(xml, xmlSignerOf(world, sp.supplierEui))));
}
if (requests.length < warmup + reads) throw new Error(`only ${requests.length} never-commanded ESMEs for ${warmup} + ${reads} reads: seed more --premises`);
// the main thread's garbage collection over the reads (warm-up included): what a served read's latency tail waits behind
const gc = new Map<string, { n: number; ms: number; max: number }>();
const gcWatch = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = GC_KINDS[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    const g = gc.get(kind) ?? { n: 0, ms: 0, max: 0 };
    g.n++;
    g.ms += e.duration;
    g.max = Math.max(g.max, e.duration);
    gc.set(kind, g);
  }
});
gcWatch.observe({ entryTypes: ['gc'] });
const gcTotal = () => [...gc.values()].reduce((sum, g) => sum + g.ms, 0);
const heapBefore = process.memoryUsage().heapUsed;
// --alloc-profile=FILE: every allocation of the measured reads, sampled, with what is collected soon after too (a
// .heapprofile for Chrome DevTools): what the young generation's collections are made of; with --alloc-kept, only
// what outlived the young generation (promoted, or still live at the end): what the collections copy and the old
// generation's collections then sweep
const allocProfile = process.argv.find((a) => a.startsWith('--alloc-profile='))?.split('=')[1];
const allocKept = process.argv.includes('--alloc-kept');
// --alloc-live (with node --expose-gc): only what is still alive after a full collection at the end of the window: what
// the reads left behind (caches, queues), with where it was allocated; a short window after a long warm-up shows
// what each read adds to the old generation that is not garbage yet
const allocLive = process.argv.includes('--alloc-live');
const inspector = allocProfile ? new Session() : undefined;
// BENCH_MARK_MEASURED=1: lines on stdout around the measured reads, to cut a --trace-gc log to them
const marks = process.env.BENCH_MARK_MEASURED ? { before: () => process.stdout.write('MEASURE-START\n'), after: () => process.stdout.write('MEASURE-END\n') } : undefined;
const around = marks ?? (inspector && {
  before: () => {
    inspector.connect();
    inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: !allocLive, includeObjectsCollectedByMinorGC: !allocKept && !allocLive });
  },
  after: () => {
    if (allocLive) (globalThis as { gc?: () => void }).gc!();
    inspector.post('HeapProfiler.stopSampling', (err, r) => {
      if (err) throw err;
      writeFileSync(allocProfile!, JSON.stringify(r.profile));
    });
  },
});
const { n, ms, stages, codes, cpuMs, mainThreadCpuMs, mainThreadSystemMs } = handleInProcess(world, requests, { warmup, callgrind, prevalidated, ...(around ? { around } : {}) });
const heapAfter = process.memoryUsage().heapUsed;
await new Promise((resolve) => setTimeout(resolve, 100)); // the observer's entries arrive on a later turn
gcWatch.disconnect();
world.close();
const gcLine = [...gc].map(([k, g]) => `${k} ${g.n} (${g.ms.toFixed(0)} ms, longest ${g.max.toFixed(1)} ms)`).join(', ');
const per = [...stages].map(([k, v]) => `${k} ${(v / n).toFixed(3)}`).join(', ');
process.stdout.write(
  `${n} ${variant} reads (after ${warmup} not measured) in ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)}/s, ${(ms / n).toFixed(2)} ms per read ` +
    `(CPU ${cpuMs.toFixed(2)} ms all threads, ${mainThreadCpuMs.toFixed(2)} ms main thread, of it ${mainThreadSystemMs.toFixed(2)} ms in the kernel); codes ${JSON.stringify(Object.fromEntries(codes))}\n` +
    `  ms/read by stage: ${per}\n` +
    `  GC over ${n + warmup} reads: ${gcLine || 'none'}; ${(gcTotal() / (n + warmup)).toFixed(3)} ms per read; heap used ${(heapBefore / 1e6).toFixed(0)} → ${(heapAfter / 1e6).toFixed(0)} MB\n  load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}\n`,
);
