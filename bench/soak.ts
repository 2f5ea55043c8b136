import 'reflect-metadata';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { dashedEui, RemotePartyRole, type Eui } from '../pki/index.ts';
import { buildRequest, parseDuisResponse, signDuis } from '../service-requests/index.ts';
import { signApdu } from '../devices/index.ts';
import { xmlSignerOf } from '../src/client.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { issueOrganisationCertificateFor } from '../src/world/smki.ts';
import { META, World } from '../src/world/world.ts';

// `npm run soak [-- --minutes 10] [--premises 3000]`: dcc-sim under a steady mixed load at half of
// its measured saturation, for a long time. `dcc-sim serve` runs as a child process; a mix of
// 6.15.1 (both legs), 6.24.1 and 8.2 is sent open loop (latency counts from the scheduled time), and
// every asynchronous response is received by a party endpoint on 127.0.0.1.
// Pass: zero unexpected errors (every answer the expected code, nothing logged at warn or error,
// every asynchronous response delivered) and flat server memory. The figures replace the "Soak"
// section of bench/results.md (between its markers), leaving the rest of the file alone.
//
// The working set is fixed, so that flat memory means no leak: the 6.15.1 flows move a set of
// ESMEs' network operator cells back and forth between two certificate pairs issued beforehand.
// 6.21 handovers are left out: each needs a device never handed over, so a long run would command
// ever more distinct devices, and the server's certificate caches grow with those (bench/run.ts
// measures handovers).

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return v === undefined ? fallback : Number(v);
};
const minutes = arg('minutes', 10);
const premises = arg('premises', 3000);
const saturationSeconds = arg('saturation-seconds', 20);
const repo = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-soak-'));
const file = path.join(dir, 'soak.db');
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

// --- the world -------------------------------------------------------------------------------------
log(`seeding ${premises} premises ...`);
execFileSync(process.execPath, ['--import', 'tsx', path.join(repo, 'bench/seed-probe.ts'), file, String(premises)], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });

type Kind = 'update' | 'retrieve' | 'inventory';
const WEIGHTS: [Kind, number][] = [
  ['update', 0.3],
  ['retrieve', 0.35],
  ['inventory', 0.35],
];
const UPDATE_DEVICES = 300;
const READ_DEVICES = 600;

interface Job {
  kind: Kind;
  originator: Eui;
  /** unsigned request, RequestID counter 1 (replaced when sent) */
  unsigned: string;
  /** 6.15.1: the device whose cells flip between two certificate pairs */
  flip?: Flip;
}

interface Flip {
  /** the two requests (A's certificates, B's) and the keys of the certificates they place */
  requests: [string, string];
  placedKeys: [KeyObject, KeyObject];
  /** the key of the DS certificate the device holds now (signs the next pre-command) */
  heldKey: KeyObject;
  next: 0 | 1;
}

const world = World.open(file);
const signers = new Map<Eui, ReturnType<typeof xmlSignerOf>>();
const signerOf = (eui: Eui) => signers.get(eui) ?? signers.set(eui, xmlSignerOf(world, eui)).get(eui)!;
const pools: Record<Kind, Job[]> = { update: [], retrieve: [], inventory: [] };
{
  log('preparing requests ...');
  const { devices } = world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 10_000_000 });
  const holderOf = (id: number | undefined) => (id === undefined ? null : world.certificate(id).subjectEui);
  const oca = world.certificate(Number(world.meta(META.issuingCaId))).der;
  for (const d of devices) {
    const sp = d.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
    if (!sp?.supplierEui) continue;
    const cells = world.store.getDeviceSecurity(d.eui)!.cells;
    if (pools.retrieve.length >= READ_DEVICES) break;
    pools.retrieve.push({ kind: 'retrieve', originator: sp.supplierEui, unsigned: exampleRequest(world, 'read-credentials', { device: d.eui }) });
    pools.inventory.push({ kind: 'inventory', originator: sp.supplierEui, unsigned: exampleRequest(world, 'read-inventory', { device: d.eui }) });
    // 6.15.1: two certificate pairs per device, issued now (the server is not running yet)
    const no = sp.networkOperatorEui;
    const held = cells.networkOperatorDS === undefined ? undefined : world.privateKeyOf(cells.networkOperatorDS);
    if (pools.update.length < UPDATE_DEVICES && held && holderOf(cells.networkOperatorDS) === no && world.store.getParty(no)?.dccUser) {
      const pair = () => {
        const ds = issueOrganisationCertificateFor(world, { eui: no, role: RemotePartyRole.NetworkOperator, usage: 'DS' });
        const ka = issueOrganisationCertificateFor(world, { eui: no, role: RemotePartyRole.NetworkOperator, usage: 'KA' });
        const xml = buildRequest({
          requestId: { originator: no, target: d.eui, counter: 1n },
          commandVariant: 4,
          body: { kind: 'UpdateSecurityCredentialsKRP', remotePartyRole: 'NetworkOperator', floorSeqNumber: 0n, digitalSigning: world.certificate(ds).der, keyAgreement: world.certificate(ka).der, certificationPath: [oca], applyTimeBasedCpvChecks: true },
        });
        return { xml, key: world.privateKeyOf(ds)! };
      };
      const [a, b] = [pair(), pair()];
      pools.update.push({ kind: 'update', originator: no, unsigned: '', flip: { requests: [a.xml, b.xml], placedKeys: [a.key, b.key], heldKey: held, next: 0 } });
    }
  }
  for (const k of Object.keys(pools) as Kind[]) pools[k].sort(() => Math.random() - 0.5);
  for (const j of [...pools.update, ...pools.retrieve, ...pools.inventory]) signerOf(j.originator);
  log(`working set: ${pools.update.length} ESMEs for 6.15.1, ${pools.retrieve.length} for 6.24.1 and 8.2`);
}
const cursors: Record<Kind, number> = { update: 0, retrieve: 0, inventory: 0 };

/** The next job of a kind, round the working set. */
function take(kind: Kind): Job {
  const pool = pools[kind];
  return pool[cursors[kind]++ % pool.length]!;
}

function pickKind(): Kind {
  let x = Math.random();
  for (const [k, w] of WEIGHTS) if ((x -= w) < 0) return k;
  return 'inventory';
}

// --- the parties' Receive Response Service ------------------------------------------------------------
const arrived = new Map<string, number>(); // RequestID → first arrival of its response
const deliveryIds = new Set<string>();
let deliveries = 0;
const sink = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    deliveries++;
    deliveryIds.add(String(req.headers['x-dcc-sim-delivery-id']));
    const id = /<sr:RequestID>([^<]+)</.exec(body)?.[1];
    if (id && !arrived.has(id)) arrived.set(id, performance.now());
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/duis`;
for (const p of world.store.listParties()) world.store.setResponseUrl(p.eui, sinkUrl);
world.store.db.pragma('wal_checkpoint(TRUNCATE)');

// --- the server ---------------------------------------------------------------------------------------
const port = 20_000 + Math.floor(Math.random() * 5000);
const serverLog: string[] = [];
const child: ChildProcess = spawn(process.execPath, [path.join(repo, 'bin/dcc-sim.mjs'), 'serve', '--db', file, '--port', String(port), '--no-smki'], {
  cwd: repo,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, DCC_SIM_LOG_LEVEL: 'warn' }, // the request log off; warnings and errors on
});
for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => serverLog.push(...d.toString('utf8').split('\n').filter(Boolean)));
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/api/health`)).ok) break;
  } catch {
    /* not yet */
  }
  if (child.exitCode !== null || i > 1200) throw new Error(`dcc-sim serve did not start:\n${serverLog.join('\n')}`);
  await sleep(50);
}
const rssMB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

// --- sending ---------------------------------------------------------------------------------------------
const counters = new Map<Eui, bigint>();
const nextCounter = (eui: Eui) => {
  const c = (counters.get(eui) ?? BigInt(Date.now()) * 1000n) + 1n;
  counters.set(eui, c);
  return c;
};
interface Stats {
  requests: number;
  byKind: Record<string, number>;
  latencies: number[];
  errors: string[];
  sentAt: Map<string, number>;
}
const newStats = (): Stats => ({ requests: 0, byKind: {}, latencies: [], errors: [], sentAt: new Map() });

async function post(endpoint: string, xml: string): Promise<{ code: string; xml: string }> {
  const res = await fetch(`${base}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return { code: res.headers.get('x-dcc-sim-response-code') ?? '', xml: text };
}

/** Sends one job (both legs of a 6.15.1); latency from `scheduled` to each answer. */
async function run(job: Job, scheduled: number, st: Stats): Promise<void> {
  const originator = job.originator;
  const flip = job.flip;
  const unsigned = flip ? flip.requests[flip.next] : job.unsigned;
  const target = /<sr:RequestID>[^:]+:([^:]+):/.exec(unsigned)![1]!;
  const requestId = `${dashedEui(originator)}:${target}:${nextCounter(originator)}`;
  const xml = signDuis(unsigned.replace(/<sr:RequestID>[^<]+<\/sr:RequestID>/, `<sr:RequestID>${requestId}</sr:RequestID>`), signerOf(originator));
  const endpoint = job.kind === 'update' ? 'serviceT' : job.kind === 'inventory' ? 'serviceD' : 'serviceS';
  const expected = job.kind === 'update' || job.kind === 'inventory' ? 'I0' : 'I99';
  const note = (what: string) => {
    if (st.errors.length < 50) st.errors.push(what);
    else st.errors.length++;
  };
  try {
    if (expected === 'I99') st.sentAt.set(requestId, performance.now());
    const a = await post(endpoint, xml);
    st.requests++;
    st.byKind[job.kind] = (st.byKind[job.kind] ?? 0) + 1;
    st.latencies.push(performance.now() - scheduled);
    if (a.code !== expected) return note(`${job.kind} ${requestId}: ${a.code} (expected ${expected})`);
    if (job.kind !== 'update') return;
    const body = parseDuisResponse(a.xml).body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) return note(`${requestId}: no pre-command`);
    const leg2 = signDuis(
      buildRequest({ requestId, commandVariant: 5, serviceReference: '6.15', serviceReferenceVariant: '6.15.1', body: { kind: 'SignedPreCommand', gbcsPayload: signApdu(body.content.preCommand.gbcsPayload, flip!.heldKey) } }),
      signerOf(originator),
    );
    const t = performance.now();
    st.sentAt.set(requestId, t);
    const b = await post('serviceS', leg2);
    st.requests++;
    st.byKind['update (signed pre-command)'] = (st.byKind['update (signed pre-command)'] ?? 0) + 1;
    st.latencies.push(performance.now() - t);
    if (b.code !== 'I99') return note(`6.15.1 signed pre-command ${requestId}: ${b.code}`);
    // the device now holds the pair just sent (it executes within the request's transaction)
    flip!.heldKey = flip!.placedKeys[flip!.next];
    flip!.next = flip!.next === 0 ? 1 : 0;
  } catch (err) {
    note(`${job.kind} ${requestId}: ${(err as Error).message}`);
  }
}

/** One lane per originator: its requests go one after another (RequestID counters must rise in order). */
class Lanes {
  private readonly tails = new Map<Eui, Promise<void>>();
  submit(job: Job, scheduled: number, st: Stats): Promise<void> {
    const tail = (this.tails.get(job.originator) ?? Promise.resolve()).then(() => run(job, scheduled, st));
    this.tails.set(job.originator, tail);
    return tail;
  }
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}

// 1. saturation: every originator lane busy all the time
log(`saturation for ${saturationSeconds} s ...`);
const sat = newStats();
{
  const lanes = new Lanes();
  const end = performance.now() + saturationSeconds * 1000;
  const originators = [...new Set([...pools.retrieve, ...pools.update].map((j) => j.originator))];
  await Promise.all(
    originators.map(async () => {
      while (performance.now() < end) {
        const job = take(pickKind());
        await lanes.submit(job, performance.now(), sat);
      }
    }),
  );
  await lanes.idle();
}
const saturationRate = sat.requests / saturationSeconds;
log(`saturation: ${saturationRate.toFixed(1)} requests/s (${sat.errors.length} errors)`);

// 2. the soak: open loop at half of saturation
const rate = saturationRate / 2;
log(`soak at ${rate.toFixed(1)} requests/s for ${minutes} min ...`);
const soak = newStats();
const rss: { t: number; mb: number }[] = [];
const soakStart = performance.now();
const soakEnd = soakStart + minutes * 60_000;
const sampler = setInterval(() => rss.push({ t: (performance.now() - soakStart) / 60_000, mb: rssMB() }), 2000);
{
  const lanes = new Lanes();
  // a 6.15.1 flow is two requests: schedule jobs so that requests, not jobs, arrive at `rate`
  const requestsPerJob = 1 + WEIGHTS.find(([k]) => k === 'update')![1];
  const interval = (1000 * requestsPerJob) / rate;
  let lastReport = soakStart;
  for (let due = soakStart; due < soakEnd; due += interval) {
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    void lanes.submit(take(pickKind()), due, soak);
    if (performance.now() - lastReport > 60_000) {
      lastReport = performance.now();
      log(`  ${((lastReport - soakStart) / 60_000).toFixed(0)} min: ${soak.requests} requests, ${soak.errors.length} errors, p99 ${percentile(soak.latencies, 99).toFixed(0)} ms, server RSS ${rssMB().toFixed(0)} MB`);
    }
  }
  await lanes.idle();
}
clearInterval(sampler);
const soakSeconds = (performance.now() - soakStart) / 1000;

// 3. drain: every asynchronous response delivered
const drainStart = performance.now();
const expectedAsync = new Set([...sat.sentAt.keys(), ...soak.sentAt.keys()]);
while ([...expectedAsync].some((id) => !arrived.has(id)) && performance.now() - drainStart < 30_000) await sleep(200);
const missing = [...expectedAsync].filter((id) => !arrived.has(id));
const undelivered = (() => {
  const w = World.open(file);
  try {
    return (w.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n;
  } finally {
    w.close();
  }
})();
const e2e = [...soak.sentAt].filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t);
const finalRss = rssMB();
await new Promise<void>((r) => {
  child.once('exit', () => r());
  child.kill('SIGTERM');
});
await new Promise((r) => sink.close(r));
world.close();

// --- verdict -------------------------------------------------------------------------------------------
const warnings = serverLog.filter((l) => /"level":(40|50|60)/.test(l));
const errors = [...sat.errors, ...soak.errors.filter(Boolean), ...warnings.map((l) => `server: ${l.slice(0, 300)}`), ...missing.slice(0, 10).map((id) => `no asynchronous response for ${id}`)];
const errorCount = sat.errors.length + soak.errors.length + warnings.length + missing.length + undelivered;
// memory: after the first minute (warm-up), least-squares slope, and the last quarter against the second
const settled = rss.filter((s) => s.t >= Math.min(1, minutes / 4));
const slope = (() => {
  const n = settled.length;
  if (n < 3) return NaN;
  const mx = settled.reduce((a, s) => a + s.t, 0) / n;
  const my = settled.reduce((a, s) => a + s.mb, 0) / n;
  const num = settled.reduce((a, s) => a + (s.t - mx) * (s.mb - my), 0);
  const den = settled.reduce((a, s) => a + (s.t - mx) ** 2, 0);
  return num / den;
})();
const quarter = (q: number) => {
  const xs = rss.filter((s) => s.t >= (q * minutes) / 4 && s.t < ((q + 1) * minutes) / 4).map((s) => s.mb);
  return percentile(xs, 50);
};
const [q2, q4] = [quarter(1), quarter(3)];
const growth = q4 - q2;
const flat = Number.isFinite(growth) && growth < Math.max(30, 0.1 * q2);
const pass = errorCount === 0 && flat;
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const section = `<!-- soak:start (written by \`npm run soak\`; the rest of this file is the benchmark's) -->
## Soak

${pass ? '**Pass**' : '**FAIL**'}: ${minutes} min at half of saturation, ${errorCount} unexpected errors, server memory ${flat ? 'flat' : 'NOT flat'}.
Date ${new Date().toISOString()}, commit \`${commit}\`, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}.
Command: \`npm run soak -- --minutes ${minutes}\` (a ${premises}-premise demo world).

Mixed DUIS load from one client, one ordered stream per originator, over a fixed working set: 6.15.1 both legs
${pct('update')} of jobs (${UPDATE_DEVICES} ESMEs whose network operator cells flip between two certificate pairs), 6.24.1 ${pct('retrieve')}
and 8.2 ${pct('inventory')} (round ${pools.retrieve.length} ESMEs). Saturation is measured first (every stream busy, ${saturationSeconds} s);
the soak then sends open loop at half that rate, latency counted from the scheduled time. 6.21 handovers are not in the mix:
each needs a device never handed over, so memory would grow with the devices commanded (bench/run.ts measures them).

| measure | value |
|---|---|
| saturation | ${fmt(saturationRate)} requests/s |
| soak target / achieved | ${fmt(rate)} / ${fmt(soak.requests / soakSeconds)} requests/s |
| requests in the soak | ${soak.requests} (${Object.entries(soak.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}) |
| latency p50 / p99 / max | ${fmt(percentile(soak.latencies, 50))} / ${fmt(percentile(soak.latencies, 99))} / ${fmt(percentile(soak.latencies, 100))} ms |
| request → asynchronous response at the receiver p50 / p99 | ${fmt(percentile(e2e, 50))} / ${fmt(percentile(e2e, 99))} ms (${deliveries} deliveries, ${deliveryIds.size} distinct ids) |
| unexpected errors | ${errorCount} (answers ${sat.errors.length + soak.errors.length}, server warnings/errors ${warnings.length}, responses not received ${missing.length}, outbox undelivered ${undelivered}) |
| server RSS: first sample / 2nd quarter / last quarter / end | ${fmt(rss[0]?.mb ?? NaN, 0)} / ${fmt(q2, 0)} / ${fmt(q4, 0)} / ${fmt(finalRss, 0)} MB |
| server RSS trend after warm-up | ${fmt(slope, 2)} MB/min (flat: the last quarter's median within max(30 MB, 10%) of the 2nd quarter's) |
| world file at the end | ${fmt(fileMB(), 0)} MB |
${errors.length ? `\nFirst errors:\n\n${errors.slice(0, 10).map((e) => `- ${e.replace(/\|/g, '\\|')}`).join('\n')}\n` : ''}<!-- soak:end -->`;

function pct(kind: Kind): string {
  return `${Math.round((WEIGHTS.find(([k]) => k === kind)![1]) * 100)}%`;
}
function fileMB(): number {
  return [file, `${file}-wal`].filter(existsSync).reduce((a, f) => a + statSync(f).size, 0) / 2 ** 20;
}

const resultsFile = path.join(repo, 'bench/results.md');
const current = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '# dcc-sim benchmark results\n';
const marked = /<!-- soak:start[\s\S]*?<!-- soak:end -->/;
const updated = marked.test(current) ? current.replace(marked, section) : `${current.replace(/\s*$/, '')}\n\n${section}\n`;
writeFileSync(resultsFile, updated);
process.stdout.write(`${section}\n`);
rmSync(dir, { recursive: true, force: true });
process.exit(pass ? 0 : 1);
