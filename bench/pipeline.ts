import 'reflect-metadata';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { World } from '../src/world/world.ts';
import { dropPostgresWorld, postgresOf } from '../db/index.ts';
import { seedDemoWorld } from '../src/world/seed-demo.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { xmlSignerOf } from '../src/client.ts';
import { handleInProcess, speculateInProcess } from './in-process.ts';
import { buildResponse, signDuis, signResponse } from '../service-requests/index.ts';
import { generateKeyPairSync } from 'node:crypto';

// `npm run bench:pipeline [-- --premises=N --runs=R --warmup=W --callgrind]`: 6.21 handovers straight into Dcc.handle
// (no HTTP), to measure and profile the DCC's own per-request cost (run under `node --cpu-prof`
// for a profile). Each run uses a freshly seeded world, so device credentials are first-use as
// in the real bench. `--pg-url=URL` runs them on a PostgreSQL world and adds the store's side: round
// trips and the server process's CPU per handover. Prints handovers/s and the mean time per pipeline stage from the steps.

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const premises = arg('premises', 300);
const runs = arg('runs', 3);
const warmup = arg('warmup', 0);
/**
 * --callgrind (with --warmup=N): under `valgrind --tool=callgrind`, each run's counters are zeroed after its
 * first N handovers and dumped after its last (as bench/reads.ts), so a dump holds measured handovers alone.
 */
const callgrind = process.argv.includes('--callgrind');
const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-pipeline-'));
/** --pg-url=URL: each run's world is seeded into that PostgreSQL database (emptied first) instead of a SQLite file */
const pgUrl = process.argv.find((a) => a.startsWith('--pg-url='))?.slice('--pg-url='.length);

/** A correctly signed 6.21 handover, by the device's supplier, for every meter of the world still awaiting one. */
function signedHandovers(world: World): Buffer[] {
  const { devices } = world.store.listDevices({ status: 'InstalledNotCommissioned', limit: 10_000_000 });
  let counter = 1_000_000n;
  const requests: Buffer[] = [];
  for (const d of devices) {
    if (d.type === 'CHF') continue;
    const sp = world.store.getSupplyPoint(d.mpxn!)!;
    const xml = exampleRequest(world, 'handover', { device: d.eui, role: 'Supplier' }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
    requests.push(Buffer.from(signDuis(xml, xmlSignerOf(world, sp.supplierEui!))));
  }
  return requests;
}

/** CPU ms a process has used (utime + stime in /proc, clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function oneRun(run: number) {
  if (pgUrl) dropPostgresWorld(pgUrl);
  const file = pgUrl ?? path.join(dir, `run${run}.db`);
  const world = World.open(file, { create: true });
  seedDemoWorld(world, { premises, seed: 'bench', referenceTime: new Date(), awaitingHandoverShare: 1 });
  const requests = signedHandovers(world);
  const pg = postgresOf(world.store.db);
  const backend = pg?.backendPid();
  const before = { statements: pg?.statements ?? 0, backendCpu: backend ? processCpuMs(backend) : 0 };
  const result = handleInProcess(world, requests, { warmup, callgrind });
  // PostgreSQL's side of the same requests: the round trips and the server process's CPU.
  const store = pg
    ? { statements: (pg.statements - before.statements) / result.n, backendCpuMs: (processCpuMs(backend!) - before.backendCpu) / result.n, retries: pg.retries }
    : undefined;
  world.close();
  return { ...result, store };
}

// Why the DCC signs its own responses with signResponse (its own canonical form, no xml-crypto):
// the general signDuis parses and canonicalises the document and the SignedInfo each time.
function signingCost() {
  const signer = { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, issuerName: 'CN=Z1,OU=07', serialDecimal: '167048897159233642262001557408276884033' };
  const xml = buildResponse({
    requestId: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:7', responseCode: 'I99', responseDateTime: new Date(), serviceReference: '6.21', serviceReferenceVariant: '6.21',
  });
  const n = 500;
  const time = (f: () => unknown) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return (performance.now() - t) / n;
  };
  time(() => signDuis(xml, signer)); // warm-up
  const general = time(() => signDuis(xml, signer));
  const own = time(() => signResponse(xml, signer));
  process.stdout.write(`signing an I99: signDuis ${general.toFixed(3)} ms, signResponse ${own.toFixed(3)} ms\n`);
}
if (!callgrind) signingCost();

// --speculate: the pipeline workers' split instead (bench/in-process.ts speculateInProcess): what a
// worker spends per handover and what is left for the main thread, each timed alone.
if (process.argv.includes('--speculate')) {
  for (let i = 0; i < runs; i++) {
    const file = path.join(dir, `spec${i}.db`);
    const world = World.open(file, { create: true });
    seedDemoWorld(world, { premises, seed: 'bench', referenceTime: new Date(), awaitingHandoverShare: 1 });
    world.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const requests = signedHandovers(world);
    world.close();
    copyFileSync(file, `${file}.copy`);
    const copy = World.open(`${file}.copy`);
    const r = speculateInProcess(file, copy, requests);
    copy.close();
    process.stdout.write(
      `run ${i + 1}: ${r.n} handovers; in-thread ${r.inThreadMs.toFixed(3)} ms each; speculated: worker ${r.workerMs.toFixed(3)} ms, main thread ${r.mainMs.toFixed(3)} ms, of which clone ${r.cloneMs.toFixed(3)} ms ` +
        `(${r.statements.toFixed(1)} statements replayed); committed ${r.committed}, conflicts ${r.conflicts}; codes ${JSON.stringify(Object.fromEntries(r.codes))}\n`,
    );
  }
  process.exit(0);
}

const rates: number[] = [];
for (let i = 0; i < runs; i++) {
  const r = oneRun(i);
  const rate = (r.n / r.ms) * 1000;
  rates.push(rate);
  const per = [...r.stages].map(([k, v]) => `${k} ${(v / r.n).toFixed(3)}`).join(', ');
  const pgPart = r.store
    ? `; PostgreSQL: ${r.store.statements.toFixed(1)} statements and ${r.store.backendCpuMs.toFixed(2)} ms server CPU per handover, ${r.store.retries} transactions retried`
    : '';
  process.stdout.write(`run ${i + 1}: ${r.n} handovers in ${r.ms.toFixed(0)} ms = ${rate.toFixed(0)}/s (process CPU ${r.cpuMs.toFixed(2)} ms per handover${pgPart}); codes ${JSON.stringify(Object.fromEntries(r.codes))}\n  ms/handover by stage: ${per}\n`);
}
rates.sort((a, b) => a - b);
process.stdout.write(`handovers/s over ${runs} runs: min ${rates[0]!.toFixed(0)}, median ${rates[Math.floor(runs / 2)]!.toFixed(0)}, max ${rates.at(-1)!.toFixed(0)}\n`);
