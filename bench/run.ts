import 'reflect-metadata';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { World } from '../src/world/world.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { xmlSignerOf } from '../src/client.ts';
import { createXsdValidator, signDuis, verifyDuisSignature, ECDSA_SHA256, EXC_C14N, type DuisSigner } from '../service-requests/index.ts';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import type { MetricsSnapshot } from '../src/dcc/metrics.ts';
import { defaultWorkerCount } from '../src/dcc/index.ts';
import { cpuSeconds, cpuWaitSample, cpuWaitSince, percentile, startResponseSink, SupplierStreams } from './load.ts';

// --store postgres: the world in PostgreSQL, served by several instances (bench/postgres.ts).
const store = process.argv.find((a, i) => a.startsWith('--store=') || process.argv[i - 1] === '--store')?.replace('--store=', '');
if (store !== undefined && store !== 'sqlite') {
  if (store !== 'postgres') throw new Error(`--store ${store}: sqlite or postgres`);
  await import('./postgres.ts');
  process.exit(0);
}

// `npm run bench [-- --quick]`: the whole pipeline under load, the crypto ceiling on the same
// machine, fleet scale and a stage profile. Figures go to bench/results.md.

const quick = process.argv.includes('--quick');
// --reads-only: only the fleet world and its read load (seed, serve, reads); the other sections of
// bench/results.md are kept as they are.
const readsOnly = process.argv.includes('--reads-only');
const fleetArg = process.argv.find((a) => a.startsWith('--fleet='));
const cfg = quick
  ? { premises: 1500, saturationSeconds: 4, halfSeconds: 4, fleet: Number(fleetArg?.split('=')[1] ?? 20_000) }
  : { premises: 12_000, saturationSeconds: 15, halfSeconds: 15, fleet: Number(fleetArg?.split('=')[1] ?? 1_000_000) };
// --seconds=N: length of each load phase (investigating a change wants longer than --quick's 4 s)
const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
if (secondsArg) cfg.saturationSeconds = cfg.halfSeconds = Number(secondsArg.split('=')[1]);
// --half-rate=N: the second phase at N requests/s, not half of the saturation measured: two builds compared at one load
const halfRateArg = Number(process.argv.find((a) => a.startsWith('--half-rate='))?.split('=')[1] ?? NaN);
const repo = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-bench-'));
// A full run leaves ~3 GB here (the fleet world and its copy): removed when the bench ends, however it ends, unless
// BENCH_KEEP_WORLDS=1 (to look into one afterwards).
process.on('exit', () => {
  if (!process.env.BENCH_KEEP_WORLDS) rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));
const log = (s: string) => process.stderr.write(`${s}\n`);
// Extra node options for the served simulator, e.g. BENCH_SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"
// to profile the server under load (NODE_OPTIONS refuses --cpu-prof).
const serveNodeArgs = (process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
// BENCH_SERVE_STDOUT=FILE keeps the served simulator's stdout (e.g. what --trace-gc prints), appended to FILE
const serveStdout = process.env.BENCH_SERVE_STDOUT ? openSync(process.env.BENCH_SERVE_STDOUT, 'a') : 'ignore';


// --- 1. the crypto ceiling ---------------------------------------------------------------------
// The fewest ECDSA P-256 operations one 6.21 handover needs: verify the DUIS request signature,
// verify the command signature on the device (certificate checks are cacheable); sign the GBCS
// command (ACB), the device's response, the I99 acknowledgement and the asynchronous I0.
function cryptoCeiling() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const msg = randomBytes(1024);
  const n = quick ? 3000 : 10000;
  const sig = sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  let t = performance.now();
  for (let i = 0; i < n; i++) sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const signMs = (performance.now() - t) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) verify('sha256', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  const verifyMs = (performance.now() - t) / n;
  const perHandoverMs = 4 * signMs + 2 * verifyMs;
  return { signMs, verifyMs, perHandoverMs, handoversPerSecondOneCore: 1000 / perHandoverMs, handoversPerSecondAllCores: (1000 / perHandoverMs) * cpus().length };
}

// --- helpers -----------------------------------------------------------------------------------
/**
 * Writes a world file the bench just made (seeded, or copied: 1.5 GB for the fleet) to disk before anything is
 * measured on it. Left dirty, the kernel writes it back some 30 s later (vm.dirty_expire_centisecs), in the middle of
 * the load phases, with a kernel thread on one of the two cores (bench/measurements.md).
 */
function settle(file: string): number {
  const t = performance.now();
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return performance.now() - t;
}

function seedProbe(file: string, premises: number, share?: number): { ms: number; maxRssMB: number; devices: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repo, 'bench/seed-probe.ts'), file, String(premises), ...(share === undefined ? [] : [String(share)])], {
    cwd: repo,
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!);
}

async function startServe(file: string, port: number, workers?: number, prevalidateOnly = false): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...serveNodeArgs, path.join(repo, 'bin/dcc-sim.mjs'), 'serve', '--db', file, '--port', String(port), '--quiet', '--no-smki'], {
    cwd: repo,
    stdio: ['ignore', serveStdout, 'inherit'],
    env: workers === undefined ? process.env : { ...process.env, DCC_SIM_WORKERS: String(workers), ...(prevalidateOnly ? { DCC_SIM_SPECULATE: '0' } : {}) },
  });
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (r.ok) return { child, readyMs: performance.now() - started };
    } catch {
      /* not yet */
    }
    if (child.exitCode !== null) throw new Error('dcc-sim serve exited');
    await new Promise((r) => setTimeout(r, 20));
  }
}


function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function serverMetrics(port: number): Promise<MetricsSnapshot> {
  return (await (await fetch(`http://127.0.0.1:${port}/api/metrics`)).json()) as MetricsSnapshot;
}


function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

// --- 2. handover throughput and latency --------------------------------------------------------
interface SignedSample {
  unsigned: string;
  signed: string;
  signer: DuisSigner;
}

async function prepareHandovers(): Promise<{ template: string; streams: Map<string, string[]>; schemaMs: number | undefined; samples: SignedSample[] }> {
  const file = path.join(dir, 'handover-template.db');
  log(`seeding a ${cfg.premises}-premise world with every device DCC controlled ...`);
  seedProbe(file, cfg.premises, 1.0);
  settle(file);

  // Distinct, correctly signed 6.21s, one stream per supplier with increasing counters (the DCC
  // accepts a counter only above the originator's last one, so a supplier's requests are in order).
  log('building and signing the handover requests ...');
  const world = World.open(file);
  const streams = new Map<string, string[]>();
  const samples: SignedSample[] = [];
  const { devices } = world.store.listDevices({ status: 'InstalledNotCommissioned', limit: 10_000_000 });
  let counter = 1_000_000n;
  for (const d of devices) {
    if (d.type === 'CHF') continue;
    const sp = world.store.getSupplyPoint(d.mpxn!)!;
    const xml = exampleRequest(world, 'handover', { device: d.eui, role: 'Supplier' }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
    const list = streams.get(sp.supplierEui!) ?? [];
    const signer = xmlSignerOf(world, sp.supplierEui!);
    const signed = signDuis(xml, signer);
    list.push(signed);
    if (samples.length < (quick ? 100 : 300)) samples.push({ unsigned: xml, signed, signer });
    streams.set(sp.supplierEui!, list);
  }
  world.close();
  const total = [...streams.values()].reduce((n, l) => n + l.length, 0);
  log(`${total} requests in ${streams.size} supplier streams`);
  return { template: file, streams, schemaMs: schemaStage([...streams.values()].flat()), samples };
}

// --- the XML signature path: the library baseline and ours ----------------------------------------
// xml-crypto 6.3 with the ECDSA class of reference/stack.md (it has none of its own) is the baseline
// the issue names (~200-260 verifies/s); ours parses once with our safe parser and canonicalises
// that very tree. Same requests, same keys, same process.
class EcdsaSha256 {
  getSignature(signedInfo: string, key: KeyObject): string {
    return sign('sha256', Buffer.from(signedInfo), { key, dsaEncoding: 'ieee-p1363' }).toString('base64');
  }
  verifySignature(material: string, key: KeyObject, signatureValue: string): boolean {
    return verify('sha256', Buffer.from(material), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signatureValue, 'base64'));
  }
  getAlgorithmName(): string {
    return ECDSA_SHA256;
  }
}

function xmlSignaturePath(samples: SignedSample[]) {
  const DS = 'http://www.w3.org/2000/09/xmldsig#';
  const keys = samples.map((s) => createPublicKey(s.signer.privateKey));
  const libraryVerify = (i: number): boolean => {
    const sig = new SignedXml({ publicCert: keys[i]! });
    (sig.SignatureAlgorithms as Record<string, unknown>)[ECDSA_SHA256] = EcdsaSha256;
    const doc = new DOMParser().parseFromString(samples[i]!.signed, 'text/xml');
    sig.loadSignature(doc.getElementsByTagNameNS(DS, 'Signature')[0] as unknown as Parameters<SignedXml['loadSignature']>[0]);
    return sig.checkSignature(samples[i]!.signed);
  };
  const librarySign = (i: number): string => {
    const s = samples[i]!;
    const sig = new SignedXml({
      privateKey: s.signer.privateKey,
      signatureAlgorithm: ECDSA_SHA256,
      canonicalizationAlgorithm: EXC_C14N,
      getKeyInfoContent: ({ prefix }: { prefix?: string | null }) =>
        `<${prefix}:X509Data><${prefix}:X509IssuerSerial><${prefix}:X509IssuerName>${s.signer.issuerName}</${prefix}:X509IssuerName><${prefix}:X509SerialNumber>${s.signer.serialDecimal}</${prefix}:X509SerialNumber></${prefix}:X509IssuerSerial></${prefix}:X509Data>`,
    });
    (sig.SignatureAlgorithms as Record<string, unknown>)[ECDSA_SHA256] = EcdsaSha256;
    sig.addReference({ xpath: '/*', transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256', isEmptyUri: true });
    sig.computeSignature(s.unsigned, { prefix: 'ds' });
    return sig.getSignedXml();
  };
  const time = (f: (i: number) => unknown) => {
    for (let i = 0; i < Math.min(20, samples.length); i++) f(i); // warm-up
    const t = performance.now();
    for (let i = 0; i < samples.length; i++) f(i);
    return (performance.now() - t) / samples.length;
  };
  // Both must agree before either is timed: every sample verifies with both, and each side accepts
  // the other's signatures.
  for (let i = 0; i < samples.length; i++) {
    if (!libraryVerify(i)) throw new Error('xml-crypto does not verify a bench request signed by dcc-sim');
    if (!verifyDuisSignature(samples[i]!.signed, keys[i]!).ok) throw new Error('dcc-sim does not verify its own bench request');
  }
  const crossSigned = librarySign(0);
  const cross = verifyDuisSignature(crossSigned, keys[0]!);
  if (!cross.ok) throw new Error(`dcc-sim does not verify xml-crypto's signature: ${cross.reason}`);
  return {
    n: samples.length,
    libraryVerifyMs: time(libraryVerify),
    ownVerifyMs: time((i) => verifyDuisSignature(samples[i]!.signed, keys[i]!)),
    librarySignMs: time(librarySign),
    ownSignMs: time((i) => signDuis(samples[i]!.unsigned, samples[i]!.signer)),
  };
}

/**
 * The schema stage, which `serve` runs only with --duis-xsd (the load runs go without it): the
 * simulator's own XSD validator (libxml2-wasm, the DUIS 5.4 XSD from ../shared) on these requests,
 * timed in this process. undefined when the XSD is not beside the repository.
 */
function schemaStage(requests: string[]): number | undefined {
  const xsd = path.join(repo, '..', 'shared', 'duis', 'DUIS_Schema_V5.4.xsd');
  if (!existsSync(xsd)) return undefined;
  const validator = createXsdValidator(xsd);
  const sample = requests.slice(0, quick ? 200 : 1000);
  for (const xml of sample.slice(0, 20)) validator.validate(xml); // warm-up
  const t = performance.now();
  for (const xml of sample) {
    const problems = validator.validate(xml);
    if (problems.length) throw new Error(`bench request not valid against the DUIS XSD: ${problems[0]}`);
  }
  return (performance.now() - t) / sample.length;
}

/** One load run on a fresh copy of the prepared world, with `workers` prevalidation workers. */
async function handovers(prepared: { template: string; streams: Map<string, string[]> }, workers: number, warmup = 0, deliveriesInSaturation = false, prevalidateOnly = false) {
  const { streams } = prepared;
  const file = path.join(dir, `handover-${workers}-workers.db`);
  copyFileSync(prepared.template, file);
  log(`load run with ${workers} prevalidation worker(s) (its copy of the world written to disk in ${(settle(file) / 1000).toFixed(1)} s) ...`);

  // The suppliers' Receive Response Service: counts asynchronous responses as they arrive.
  // of the requests sent, how many have had their asynchronous response delivered (the receiver may get others too)
  let deliveredOfSent = 0;
  const owed = () => sent.size - deliveredOfSent;
  const { url: sinkUrl, arrived, server: sink } = await startResponseSink((id) => {
    if (sent.has(id)) deliveredOfSent++;
  });
  const cliWorld = World.open(file);
  for (const eui of streams.keys()) cliWorld.store.setResponseUrl(eui, sinkUrl);
  cliWorld.close();

  const port = 18_000 + Math.floor(Math.random() * 1000);
  const { child } = await startServe(file, port, workers, prevalidateOnly);
  // Until its workers have started, a server does their lanes' requests in-thread: measure with them.
  for (const until = performance.now() + 120_000; workers > 0 && performance.now() < until; ) {
    if (((await serverMetrics(port)).workers?.ready ?? 0) >= workers) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const feed = new SupplierStreams(streams, () => port);
  const sent = feed.sent;
  const sendOne = (supplier: string, from?: number) => feed.next(supplier, from);

  // Warm-up (not timed): a freshly started server compiles the modules a request first needs, in the main
  // thread and the worker, for its first seconds; a steady state is what the load phases measure.
  // Every stream keeps DEPTH requests in flight (pipelined), so the server always has work.
  const depth = 8;
  if (warmup > 0) {
    // as deep as saturation, no deeper: requests queued on a socket for longer than the server's request
    // timeout (30 s) have it close the connection
    log(`warm-up: ${warmup} request(s) per stream ...`);
    await Promise.all(
      [...streams.keys()].map(async (s) => {
        let left = warmup;
        await Promise.all(
          Array.from({ length: depth }, async () => {
            while (left-- > 0) await sendOne(s);
          }),
        );
      }),
    );
  }
  const warmedUp = feed.errors;
  // Saturation that pays for its deliveries starts with none owed by the warm-up.
  for (const until = performance.now() + 120_000; deliveriesInSaturation && owed() > 0 && performance.now() < until; ) await new Promise((r) => setTimeout(r, 5));

  // Saturation.
  log(`saturation for ${cfg.saturationSeconds} s (${streams.size} streams × ${depth} in flight) ...`);
  const satLatencies: number[] = [];
  let satCount = 0;
  const satEnd = performance.now() + cfg.saturationSeconds * 1000;
  const satStart = performance.now();
  const serverCpuStart = cpuSeconds(child.pid!);
  const clientCpuStart = process.cpuUsage();
  const metricsStart = await serverMetrics(port);
  await Promise.all(
    [...streams.keys()].flatMap((s) =>
      Array.from({ length: depth }, async () => {
        while (performance.now() < satEnd) {
          const p = sendOne(s);
          if (p === null) return;
          satLatencies.push(await p);
          satCount++;
        }
      }),
    ),
  );
  const phaseSeconds = (performance.now() - satStart) / 1000;
  // With deliveriesInSaturation, a read's asynchronous response is part of its cost: saturation ends when the
  // outbox has delivered the I0s of every read acknowledged in the phase, and the rate, CPU and busy time are over
  // that whole span. (Counting the acknowledgements over the phase alone left the outbox's tail, deferred while the
  // requests ran, out of the rate; the half phase then ran the deliveries beside the requests at "half" of a rate
  // that had not paid for them.) It also means the half phase starts with nothing queued.
  let drainSeconds = NaN;
  if (deliveriesInSaturation) {
    const drainStart = performance.now();
    log(`saturation: waiting for the outbox to deliver the ${owed()} responses of the phase still queued ...`);
    while (owed() > 0 && performance.now() - drainStart < 120_000) await new Promise((r) => setTimeout(r, 5));
    drainSeconds = (performance.now() - drainStart) / 1000;
  }
  const satSeconds = (performance.now() - satStart) / 1000;
  // The WAL's size: bounded under a steady load only if it is started over (db/checkpointer.ts)
  const walMB = () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size / 2 ** 20 : 0);
  const satWalMB = walMB();
  // How busy the main thread (the single writer) and the workers were at saturation.
  const metricsSat = await serverMetrics(port);
  const busy = (a: number, b: number) => (b - a) / satSeconds;
  const mainBusy = busy(metricsStart.mainThread.busySeconds, metricsSat.mainThread.busySeconds);
  const workerBusy = (metricsSat.workers?.busySeconds ?? []).map((b, i) => busy(metricsStart.workers?.busySeconds[i] ?? 0, b));
  // requests run whole on the workers at saturation: committed as run, and run again in-thread (conflicts)
  const speculated = metricsSat.workers?.speculated
    ? { committed: metricsSat.workers.speculated.committed - (metricsStart.workers?.speculated?.committed ?? 0), conflicts: metricsSat.workers.speculated.conflicts - (metricsStart.workers?.speculated?.conflicts ?? 0) }
    : undefined;
  // Where the two cores went at saturation: the simulator, and this load generator with its receiver.
  const serverCpuMs = ((cpuSeconds(child.pid!) - serverCpuStart) * 1000) / satCount;
  const clientCpu = process.cpuUsage(clientCpuStart);
  const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000 / satCount;
  const saturationRate = satCount / satSeconds;
  // the rate by the old definition (acknowledgements over the phase alone), for comparison with earlier runs
  const acknowledgedRate = satCount / phaseSeconds;

  // Half of saturation, open loop: each stream sends on a fixed schedule whether or not earlier
  // answers are back; latency counts from the scheduled time, so a stalled server cannot hide its
  // queue (no coordinated omission).
  const rate = Number.isFinite(halfRateArg) ? halfRateArg : saturationRate / 2;
  log(`half saturation (${rate.toFixed(0)}/s) for ${cfg.halfSeconds} s ...`);
  const halfLatencies: number[] = [];
  const perStreamInterval = (1000 * streams.size) / rate;
  const halfFrom = sent.size; // sent keeps insertion order: the half phase's requests are the ones after this
  const metricsHalfStart = await serverMetrics(port);
  const halfStartUs = process.hrtime.bigint() / 1000n; // the monotonic clock a --cpu-prof profile is stamped in
  // The load generator's own event loop over the phase: a send it makes late is counted as the server's latency
  // (latency runs from the scheduled time), so its delays are reported beside the server's holds.
  const generatorLag = monitorEventLoopDelay({ resolution: 1 });
  generatorLag.enable();
  const cpuWaitStart = cpuWaitSample(child.pid!);
  const halfStart = performance.now();
  const halfEnd = halfStart + cfg.halfSeconds * 1000;
  let halfCount = 0;
  await Promise.all(
    [...streams.keys()].map(async (s, k) => {
      const inFlight: Promise<void>[] = [];
      let due = halfStart + (k * perStreamInterval) / streams.size;
      while (due < halfEnd) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const p = sendOne(s, due);
        if (p === null) break;
        inFlight.push(
          p.then((ms) => {
            halfLatencies.push(ms);
            halfCount++;
          }),
        );
        due += perStreamInterval;
      }
      await Promise.all(inFlight);
    }),
  );
  feed.close();
  const halfSeconds = (performance.now() - halfStart) / 1000;
  const halfRate = halfCount / halfSeconds;
  generatorLag.disable();
  const halfCpuWait = cpuWaitSince(cpuWaitStart, child.pid!);
  const metricsHalfEnd = await serverMetrics(port);
  const halfHolds = holdsBetween(metricsHalfStart, metricsHalfEnd);
  // how busy the serving thread was at "half" saturation: a read costs it more there than at saturation (bench/measurements.md)
  const halfMainBusySeconds = metricsHalfEnd.mainThread.busySeconds - metricsHalfStart.mainThread.busySeconds;
  const halfMainBusy = halfMainBusySeconds / halfSeconds;
  const halfMainMsPerRequest = (halfMainBusySeconds * 1000) / halfCount;
  log(`half saturation: the serving thread waited ${halfCpuWait.runQueueMs.toFixed(0)} ms for a core; the hypervisor took ${halfCpuWait.stealPercent.toFixed(1)}% of the CPU time`);
  const generatorDelay = { p99Ms: generatorLag.percentile(99) / 1e6, maxMs: generatorLag.max / 1e6 };
  log(`half saturation: the load generator's event loop delayed p99 / max ${generatorDelay.p99Ms.toFixed(1)} / ${generatorDelay.maxMs.toFixed(1)} ms`);
  log(`half saturation: main thread held ≥ 10 / 20 / 50 ms: ${holdsText(halfHolds)} (bench/holds.ts --window=${halfStartUs}-${process.hrtime.bigint() / 1000n})`);
  const servingRss = rssMB(child.pid!);
  const halfWalMB = walMB();
  log(`the WAL after saturation / after the half phase: ${satWalMB.toFixed(0)} / ${halfWalMB.toFixed(0)} MB`);

  // Let the outbox drain, then read the stage profile (the server's last 1000 requests).
  const drainEnd = performance.now() + 10_000;
  while (owed() > 0 && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 100));
  const endToEnd = [...arrived.entries()].filter(([id]) => sent.has(id)).map(([id, t]) => t - sent.get(id)!).sort((a, b) => a - b);
  const halfEndToEnd = [...sent.entries()].slice(halfFrom).filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t).sort((a, b) => a - b);
  const stages = (await serverMetrics(port)).stages.figures;
  await stop(child);
  await new Promise((r) => sink.close(r));
  satLatencies.sort((a, b) => a - b);
  halfLatencies.sort((a, b) => a - b);
  return {
    workers,
    warmup: warmup * streams.size,
    drainSeconds,
    warmupErrors: warmedUp,
    requests: satCount + halfCount,
    errors: feed.errors - warmedUp,
    saturationRate,
    satP50: percentile(satLatencies, 50),
    satP99: percentile(satLatencies, 99),
    halfRate,
    halfP50: percentile(halfLatencies, 50),
    halfP99: percentile(halfLatencies, 99),
    halfHolds,
    halfMainBusy,
    halfMainMsPerRequest,
    halfCpuWait,
    generatorDelay,
    asyncDelivered: arrived.size,
    endToEndP50: percentile(endToEnd, 50),
    endToEndP99: percentile(endToEnd, 99),
    halfEndToEndP50: percentile(halfEndToEnd, 50),
    halfEndToEndP99: percentile(halfEndToEnd, 99),
    acknowledgedRate,
    servingRss,
    satWalMB,
    halfWalMB,
    serverCpuMs,
    clientCpuMs,
    mainBusy,
    workerBusy,
    speculated,
    stages,
  };
}

/**
 * What held the server's main thread during a phase (its /api/metrics before and after): the latency tail at half
 * saturation is requests waiting behind these, and the GC's share of them says whether the collector is the cause.
 */
function holdsBetween(a: MetricsSnapshot, b: MetricsSnapshot) {
  const d = (k: string) => (b.mainThread.stalls.atLeastMs[k] ?? 0) - (a.mainThread.stalls.atLeastMs[k] ?? 0);
  const gc = (m: MetricsSnapshot, kind: string) => m.mainThread.gc.byKind[kind] ?? { count: 0, totalMs: 0, maxMs: 0 };
  return {
    atLeast10: d('10'),
    atLeast20: d('20'),
    atLeast50: d('50'),
    heldMs: b.mainThread.stalls.totalMs - a.mainThread.stalls.totalMs,
    gcAtLeast10: b.mainThread.gc.atLeast10Ms - a.mainThread.gc.atLeast10Ms,
    majorGcs: gc(b, 'major').count - gc(a, 'major').count,
    gcMs: Object.keys(b.mainThread.gc.byKind).reduce((sum, k) => sum + gc(b, k).totalMs - gc(a, k).totalMs, 0),
    // the checkpointer's RESTARTs, and the requests' transactions that waited at the write gate for one to end
    walRestarts: (b.store.wal?.restarts ?? 0) - (a.store.wal?.restarts ?? 0),
    gateWaits: (b.store.wal?.gateWaits ?? 0) - (a.store.wal?.gateWaits ?? 0),
    gateWaitMs: ((b.store.wal?.gateWaitSeconds ?? 0) - (a.store.wal?.gateWaitSeconds ?? 0)) * 1000,
  };
}
const holdsText = (h: ReturnType<typeof holdsBetween>) =>
  `${h.atLeast10} / ${h.atLeast20} / ${h.atLeast50} (${fmt(h.heldMs, 0)} ms in all); GC: ${fmt(h.gcMs, 0)} ms, ${h.majorGcs} major, ${h.gcAtLeast10} pauses ≥ 10 ms; ` +
  `WAL started over ${h.walRestarts} times, ${h.gateWaits} transactions waiting ${fmt(h.gateWaitMs, 0)} ms for it`;

// --- 3. fleet scale ------------------------------------------------------------------------------
async function fleet() {
  const file = path.join(dir, 'fleet.db');
  log(`seeding ${cfg.fleet} premises ...`);
  const seeded = seedProbe(file, cfg.fleet);
  log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s; written to disk in ${(settle(file) / 1000).toFixed(1)} s`);
  const port = 19_000 + Math.floor(Math.random() * 1000);
  const { child, readyMs } = await startServe(file, port);
  const rss = rssMB(child.pid!);
  await stop(child);
  const fileMB = statSync(file).size / 2 ** 20;
  return { file, premises: cfg.fleet, devices: seeded.devices, seedSeconds: seeded.ms / 1000, seedPeakRssMB: seeded.maxRssMB, serveReadyMs: readyMs, serveRssMB: rss, fileMB };
}

// --- 4. reads of never-commanded meters on the fleet ------------------------------------------------
// --read-workers=auto (the default: what `serve` starts with on this machine, CPUs - 2 workers running requests
// whole; none on two cores), N (N such workers) or Np (N that only prevalidate). The load measures the server a
// user gets; until 2026-12-03 it measured 1p on every machine (bench/results.md, the runs table).
const readWorkers = process.argv.find((a) => a.startsWith('--read-workers='))?.split('=')[1] ?? 'auto';
if (!/^(\d+p?|auto)$/.test(readWorkers)) throw new Error(`--read-workers=${readWorkers}: auto, or a number of workers, N or Np`);
const readWorkerCount = readWorkers === 'auto' ? defaultWorkerCount() : Number.parseInt(readWorkers, 10);
const readPrevalidateOnly = readWorkers.endsWith('p');
// 4.1.1 register reads (the class-30 protected read, encrypted to the supplier) of ESMEs no command has
// changed: each computes its registers from the meter model and the clock, nothing stored beforehand.
// The same load runner as the handovers: saturation, then half of it for latency.
async function fleetReads(file: string) {
  const world = World.open(file);
  // Enough that no stream runs dry before the half phase ends (warm-up, 15 s at saturation, 15 s at half:
  // ~7,000 at 280/s), each supplier's stream the same length, so the half phase offers half saturation throughout.
  const want = Number(process.argv.find((a) => a.startsWith('--reads='))?.split('=')[1] ?? (quick ? 3000 : 15_000));
  const suppliers = new Set(world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 5000 }).devices
    .map((d) => (d.mpxn ? world.store.getSupplyPoint(d.mpxn)?.supplierEui : undefined)).filter((e): e is string => !!e)).size;
  const perStream = Math.ceil(want / Math.max(1, suppliers));
  const streams = new Map<string, string[]>();
  let counter = 5_000_000n;
  let n = 0;
  const { devices } = world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: want * 4 });
  for (const d of devices) {
    if (n >= want) break;
    const sp = d.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
    if (!sp?.supplierEui || world.store.getDeviceAppState(d.eui) !== undefined) continue;
    const list = streams.get(sp.supplierEui) ?? [];
    if (list.length >= perStream) continue;
    const xml = exampleRequest(world, '4.1.1', { device: d.eui }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
    list.push(signDuis(xml, xmlSignerOf(world, sp.supplierEui)));
    streams.set(sp.supplierEui, list);
    n++;
  }
  world.close();
  log(`${n} register reads of never-commanded ESMEs in ${streams.size} supplier streams`);
  return { reads: n, readWorkers, readWorkerCount, readPrevalidateOnly, ...(await handovers({ template: file, streams }, readWorkerCount, quick ? 40 : 100, true, readPrevalidateOnly)) };
}

// --- report ----------------------------------------------------------------------------------------
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
// The machine is shared: the load average beside the figures says how much of it the bench had.
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');
const loadBefore = load();

async function fleetSections(): Promise<string> {
  const f = await fleet();
  const loadSeeded = load();
  const r = await fleetReads(f.file);
  return `## Fleet scale

| measure | value | target |
|---|---|---|
| seed ${f.premises.toLocaleString('en-GB')} premises (${f.devices.toLocaleString('en-GB')} devices) | ${fmt(f.seedSeconds)} s, peak RSS ${fmt(f.seedPeakRssMB, 0)} MB | 1,000,000 in < 120 s, < 2 GB |
| \`serve\` to first answer | ${fmt(f.serveReadyMs, 0)} ms | < 5 s |
| RSS serving that world (idle) | ${fmt(f.serveRssMB, 0)} MB | |
| world file | ${fmt(f.fileMB, 0)} MB | |

Load average (1, 5, 15 min) before the run ${loadBefore}; after seeding ${loadSeeded}; after the read load ${load()}.

## Reads of never-commanded meters on that world

${r.reads} 4.1.1 register reads (class-30 protected read, the answer encrypted to the supplier's KA key) of
ESMEs no command has changed, one ordered stream per supplier, \`serve --workers ${r.readWorkerCount}${r.readPrevalidateOnly ? ' --no-speculate' : ''}\` (\`--read-workers=${r.readWorkers}\`${r.readWorkers === 'auto' ? `, \`serve\`'s own default with ${availableParallelism()} CPUs` : ''}): each computes the
meter's registers from the meter model and the simulated clock; nothing about the meter is stored before.
The first ${r.warmup} reads (${r.warmupErrors} not acknowledged) warm the freshly started server up and are not timed.
Saturation counts a read once its asynchronous I0 is at the receiver: the phase's ${cfg.saturationSeconds} s of requests and then
the ${fmt(r.drainSeconds)} s the outbox took to deliver the I0s still queued at its end (rate, CPU and busy time over both).
By the definition before 2026-12-02 evening (acknowledgements over the ${cfg.saturationSeconds} s alone) it was ${fmt(r.acknowledgedRate)} reads/s.

| measure | value | target |
|---|---|---|
| saturation (reads acknowledged and their I0 delivered) | ${fmt(r.saturationRate)} reads/s | |
| latency at half saturation (${fmt(r.halfRate)}/s) p50 / p99 | ${fmt(r.halfP50)} / ${fmt(r.halfP99)} ms | p99 < 20 ms |
| the server's main thread held ≥ 10 / 20 / 50 ms at half saturation (what the tail waits behind) | ${holdsText(r.halfHolds)} | |
| the load generator's own event loop delayed at half saturation p99 / max (counted in the latency above) | ${fmt(r.generatorDelay.p99Ms)} / ${fmt(r.generatorDelay.maxMs)} ms | |
| at half saturation, the serving thread waiting runnable for a core / the CPU time the hypervisor took (steal) | ${fmt(r.halfCpuWait.runQueueMs, 0)} ms / ${fmt(r.halfCpuWait.stealPercent)}% | |
| request → asynchronous I0 (the decrypted-for-the-supplier register) p50 / p99, all phases | ${fmt(r.endToEndP50)} / ${fmt(r.endToEndP99)} ms | |
| the same at half saturation | ${fmt(r.halfEndToEndP50)} / ${fmt(r.halfEndToEndP99)} ms | |
| not acknowledged with I99 | ${r.errors} of ${r.requests} | 0 |
| simulator CPU per read at saturation (all threads) / load generator and receiver | ${fmt(r.serverCpuMs, 2)} / ${fmt(r.clientCpuMs, 2)} ms | |
| main thread / worker busy at saturation | ${[r.mainBusy, ...r.workerBusy].map((b) => `${fmt(b * 100, 0)}%`).join(' / ')} | |
| main thread busy at half saturation, and its busy time per read there / at saturation | ${fmt(r.halfMainBusy * 100, 0)}%, ${fmt(r.halfMainMsPerRequest, 2)} / ${fmt((r.mainBusy * 1000) / r.saturationRate, 2)} ms | |
| the world's WAL at the end of saturation / of the half phase | ${fmt(r.satWalMB, 0)} / ${fmt(r.halfWalMB, 0)} MB | |
`;
}

// The soak's section (between its markers, written by bench/soak.ts) is kept: a bench run
// overwrote it before.
const resultsFile = path.join(repo, 'bench/results.md');
let previous = '';
try {
  previous = readFileSync(resultsFile, 'utf8');
} catch {
  /* first run */
}
const soak = /<!-- soak:start[\s\S]*?<!-- soak:end -->/.exec(previous)?.[0];
// and so is the PostgreSQL store's (bench/postgres.ts), after it
const postgresSection = /<!-- postgres:start[\s\S]*?<!-- postgres:end -->/.exec(previous)?.[0];
const kept = [soak, postgresSection].filter((x) => x !== undefined).join('\n\n');

if (readsOnly) {
  // Only the fleet's sections are replaced, stamped with their own date, commit and command.
  const sections = (await fleetSections()).replace(
    '## Fleet scale\n',
    `## Fleet scale\n\nRun alone: \`npm run bench -- --reads-only${quick ? ' --quick' : ''}${readWorkers !== 'auto' ? ` --read-workers=${readWorkers}` : ''}${fleetArg ? ` ${fleetArg}` : ''}${secondsArg ? ` ${secondsArg}` : ''}${Number.isFinite(halfRateArg) ? ` --half-rate=${halfRateArg}` : ''}\`, ${new Date().toISOString()}, commit \`${commit}\`.\n`,
  );
  const start = previous.indexOf('## Fleet scale');
  const end = previous.indexOf('<!-- soak:start');
  const head = start >= 0 ? previous.slice(0, start) : previous.slice(0, end >= 0 ? end : previous.length);
  writeFileSync(resultsFile, `${head.trimEnd()}\n\n${sections}${kept ? `\n${kept}\n` : ''}`);
  process.stdout.write(sections);
  process.exit(0);
}

// --handovers-only [--workers=0,1p,1,2] [--warmup=N]: only the crypto ceiling and the handover load runs, one per
// worker count, printed (bench/results.md is left as it is): for comparing pipeline changes.
if (process.argv.includes('--handovers-only')) {
  // N: N workers running requests whole; Np: N workers that only prevalidate (serve --no-speculate)
  const counts = (process.argv.find((a) => a.startsWith('--workers='))?.split('=')[1] ?? '0,1').split(',');
  // --warmup=N: requests per stream before timing (a worker compiles the pipeline again for itself)
  const warm = Number(process.argv.find((a) => a.startsWith('--warmup='))?.split('=')[1] ?? 0);
  const c = cryptoCeiling();
  const prep = await prepareHandovers();
  const rows: string[] = [];
  for (const spec of counts) {
    const n = parseInt(spec, 10);
    const r = await handovers(prep, n, warm, false, spec.endsWith('p'));
    const perHandover = (busy: number) => ((busy * cfg.saturationSeconds * 1000) / (r.saturationRate * cfg.saturationSeconds)).toFixed(2);
    rows.push(
      `| ${spec} | ${fmt(r.saturationRate)}/s | ${fmt((r.saturationRate / c.handoversPerSecondAllCores) * 100)}% | ${fmt(r.halfP50)} / ${fmt(r.halfP99)} ms | ${fmt(r.serverCpuMs, 2)} ms | ${[r.mainBusy, ...r.workerBusy].map((b) => perHandover(b)).join(' / ')} ms | ${[r.mainBusy, ...r.workerBusy].map((b) => `${fmt(b * 100, 0)}%`).join(' / ')} | ${r.errors} | ${r.speculated ? `${r.speculated.committed} / ${r.speculated.conflicts}` : '-'} |`,
    );
  }
  process.stdout.write(
    `crypto ceiling: ${fmt(c.handoversPerSecondAllCores, 0)} handovers/s on all ${cpus().length} cores; load average before ${loadBefore}\n\n` +
      '| workers | saturation | of all-cores ceiling | half-saturation p50 / p99 | simulator CPU per handover | main / worker busy per handover | main / worker busy | not I99 | speculations committed / re-run at saturation |\n|---|---|---|---|---|---|---|---|---|\n' +
      `${rows.join('\n')}\n`,
  );
  process.exit(0);
}

const ceiling = cryptoCeiling();
// Both ways on the same world: the main thread alone, and with one prevalidation worker (the second
// core). The better one is the headline; both are in the table.
const prepared = await prepareHandovers();
log('timing the XML signature path: xml-crypto and dcc-sim ...');
const x = xmlSignaturePath(prepared.samples);
const runs = [await handovers(prepared, 0), await handovers(prepared, 1)];
const h = runs.reduce((a, b) => (b.saturationRate > a.saturationRate ? b : a));
const fleetMd = await fleetSections();
const ratioOne = h.saturationRate / ceiling.handoversPerSecondOneCore;
const ratioAll = h.saturationRate / ceiling.handoversPerSecondAllCores;
const md = `# dcc-sim benchmark results

${quick ? '**Quick run** (CI smoke: small world, short phases; figures are indicative only).' : 'Full run.'}
Date ${new Date().toISOString()}, commit \`${commit}\`, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average before the run ${loadBefore}.
Command: \`npm run bench${quick ? ' -- --quick' : ''}\`.

## Handover throughput and latency (6.21, whole pipeline, loopback)

Distinct, correctly signed 6.21 handovers to DCC-controlled devices, one ordered stream per supplier
(${h.requests} requests, ${h.errors} not acknowledged with I99); each goes through the pipeline to
the emulated device, and its signed asynchronous I0 is delivered to a receiver on 127.0.0.1.

| measure | value | target |
|---|---|---|
| saturation throughput (the better of the two runs below: ${h.workers} worker(s)) | ${fmt(h.saturationRate)} handovers/s | ≥ 25% of the crypto ceiling |
| latency at saturation p50 / p99 | ${fmt(h.satP50)} / ${fmt(h.satP99)} ms | |
| latency at half saturation (${fmt(h.halfRate)}/s) p50 / p99 | ${fmt(h.halfP50)} / ${fmt(h.halfP99)} ms | p99 < 50 ms |
| request → asynchronous I0 at the receiver p50 / p99 | ${fmt(h.endToEndP50)} / ${fmt(h.endToEndP99)} ms (${h.asyncDelivered} delivered) | |
| CPU per handover at saturation: simulator (all threads) / load generator and receiver | ${fmt(h.serverCpuMs, 2)} / ${fmt(h.clientCpuMs, 2)} ms | |
| main thread (the single writer) busy at saturation | ${fmt(h.mainBusy * 100, 0)}% | |
| server RSS while serving | ${fmt(h.servingRss, 0)} MB | |

Both runs (same world, same requests; \`serve --workers N\`):

| prevalidation workers | saturation | half-saturation p50 / p99 | simulator CPU per handover | load generator CPU per handover | main thread / worker busy at saturation |
|---|---|---|---|---|---|
${runs.map((r) => `| ${r.workers} | ${fmt(r.saturationRate)}/s | ${fmt(r.halfP50)} / ${fmt(r.halfP99)} ms | ${fmt(r.serverCpuMs, 2)} ms | ${fmt(r.clientCpuMs, 2)} ms | ${[r.mainBusy, ...r.workerBusy].map((b) => `${fmt(b * 100, 0)}%`).join(' / ')} |`).join('\n')}

## The crypto ceiling (same machine, same run)

One handover needs at least 4 ECDSA P-256 signs (GBCS command, device response, I99, asynchronous I0)
and 2 verifies (DUIS request, command on the device), timed alone with node:crypto:
sign ${fmt(ceiling.signMs, 4)} ms, verify ${fmt(ceiling.verifyMs, 4)} ms → ${fmt(ceiling.perHandoverMs, 3)} ms per handover
= **${fmt(ceiling.handoversPerSecondOneCore, 0)} handovers/s on one core**, ${fmt(ceiling.handoversPerSecondAllCores, 0)} on all ${cpus().length}.

| ratio | value | target |
|---|---|---|
| measured / ceiling (one core) | **${fmt(ratioOne * 100)}%** | ≥ 25% |
| measured / ceiling (all cores) | ${fmt(ratioAll * 100)}% | |

## Stage profile (the served simulator's last ${Math.min(1000, h.requests)} requests, from \`GET /api/metrics\`)

| stage | mean ms | p99 ms |
|---|---|---|
${h.stages.map((s) => `| ${s.stage} | ${fmt(s.meanMs, 3)} | ${fmt(s.p99Ms, 3)} |`).join('\n')}
| schema (only with \`serve --duis-xsd\`, so timed apart: the same requests through the simulator's XSD validator in the bench process) | ${prepared.schemaMs === undefined ? '- (no ../shared/duis XSD)' : fmt(prepared.schemaMs, 3)} | |

The stages are the main thread's, but with workers parse and signature are done in a worker (the
figures then are the worker's). What the stages do not cover is HTTP in and out, the outbox's
deliveries and the garbage collector: CPU per handover above minus the stages' sum.

## The XML signature path: the library baseline and dcc-sim's

${x.n} of the handover requests above (signed 6.21s, ~${Math.round(Buffer.byteLength(prepared.samples[0]?.signed ?? '') / 100) / 10} kB), same keys, same process.
xml-crypto 6.3.2 with the ECDSA class of reference/stack.md is the library baseline (its own xmldom 0.8
parse, xpath, canonicalisation, digest, ECDSA); dcc-sim parses once with its safe parser and
canonicalises that tree (xml-crypto's canonicalisers, code-point ordering). Before timing, every
request verifies with both, and dcc-sim verifies xml-crypto's signature.

| per request | xml-crypto | dcc-sim | speed-up |
|---|---|---|---|
| verify (parse, canonicalise, digest, ECDSA) | ${fmt(x.libraryVerifyMs, 3)} ms (${fmt(1000 / x.libraryVerifyMs, 0)}/s) | ${fmt(x.ownVerifyMs, 3)} ms (${fmt(1000 / x.ownVerifyMs, 0)}/s) | ${fmt(x.libraryVerifyMs / x.ownVerifyMs)}× |
| sign a request | ${fmt(x.librarySignMs, 3)} ms | ${fmt(x.ownSignMs, 3)} ms | ${fmt(x.librarySignMs / x.ownSignMs)}× |

The DCC's own responses are signed without parsing at all (their canonical form follows from how
they are written): the response-signing stage above, I99 and its asynchronous I0 together.

${fleetMd}`;
writeFileSync(resultsFile, kept ? `${md}\n${kept}\n` : md);
process.stdout.write(md);
