import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rmSync } from 'node:fs';
import { World } from '../src/world/world.ts';
import { demoWorldFile, startHarness } from '../test/helpers/gateway.ts';
import { describeFailure, fuzz, FuzzRig, type FuzzReport, type Transport } from '../test/resilience/fuzz-kit.ts';

// `npm run fuzz [-- --runs N] [--seed S] [--http N]`: the property-based hostile-input suite of
// test/resilience/fuzz.test.ts, for longer (default 50,000 cases in-process and 2,000 over HTTP,
// a fresh random seed each run). Exits 1 on the first failing property, printing the mutant and
// the shrunk case; rerun with --seed to reproduce.

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return v === undefined ? fallback : Number(v);
};
const runs = arg('runs', 50_000);
const httpRuns = arg('http', 2_000);
const seed = arg('seed', Math.floor(Math.random() * 2 ** 31));
const log = (s: string) => process.stderr.write(`${s}\n`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const unhandled: unknown[] = [];
process.on('unhandledRejection', (r) => unhandled.push(r));

function summary(what: string, r: FuzzReport, heap?: number[]): string {
  const rate = r.cases / (r.ms / 1000);
  return (
    `${what}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (${rate.toFixed(0)}/s), seed ${r.seed}, ${r.accepted} accepted ` +
    `(${r.acceptedDifferent} re-signed with another meaning), ${r.failures.length ? `${r.failures.length} FAILING` : 'no failures'}\n` +
    `  codes ${JSON.stringify(r.byCode)}\n  families ${JSON.stringify(r.byFamily)}` +
    (heap ? `\n  heap after GC ${heap.map((h) => h.toFixed(0)).join(' → ')} MB` : '')
  );
}

let failed = false;

// --- in-process, through Dcc.handle -------------------------------------------------------------
{
  const file = demoWorldFile();
  const world = World.open(file);
  const rig = new FuzzRig(world);
  await rig.prepare();
  const heap = [heapMB()];
  const every = Math.max(1, Math.floor(runs / 10));
  const r = await fuzz(rig, {
    runs,
    seed,
    onCase: (n) => {
      if (n % every === 0) {
        heap.push(heapMB());
        log(`  ${n} / ${runs} (heap ${heap.at(-1)!.toFixed(0)} MB)`);
      }
    },
  });
  log(summary('in-process', r, heap));
  for (const f of r.failures) log(`FAIL ${describeFailure(f)}`);
  if (r.counterexample) log(`shrunk counterexample: ${JSON.stringify(r.counterexample)}`);
  if (rig.acceptedDifferentOps.length) log(`  re-signed mutants accepted with another meaning, e.g. ${[...new Set(rig.acceptedDifferentOps)].slice(0, 8).join(', ')}`);
  const growth = heap.at(-1)! - heap[1]!;
  if (growth > 64) {
    log(`FAIL the heap grew by ${growth.toFixed(0)} MB over the run`);
    failed = true;
  }
  failed ||= r.failures.length > 0;
  world.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}

// --- over HTTP, against a server in this process ---------------------------------------------------
if (httpRuns > 0 && !failed) {
  const h = await startHarness();
  const transport: Transport = async (endpoint, body) => {
    const res = await fetch(`${h.server.url}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body });
    const xml = await res.text();
    return { responseCode: res.headers.get('x-dcc-sim-response-code') ?? '', reason: res.headers.get('x-dcc-sim-reason') ?? undefined, xml, requestLogId: 0, status: res.status };
  };
  const rig = new FuzzRig(h.world, h.server.dcc, transport);
  await rig.prepare();
  const r = await fuzz(rig, { runs: httpRuns, seed: seed + 1 });
  log(summary('HTTP', r));
  for (const f of r.failures) log(`FAIL ${describeFailure(f)}`);
  failed ||= r.failures.length > 0;
  await h.close();
}

if (unhandled.length) {
  log(`FAIL ${unhandled.length} unhandled rejection(s): ${String(unhandled[0])}`);
  failed = true;
}
log(failed ? 'fuzz: FAILED' : 'fuzz: passed');
process.exit(failed ? 1 : 0);
