import 'reflect-metadata';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { connectPostgres, type PgDatabase } from '../db/postgres/index.ts';
import { World } from '../src/world/world.ts';
import { exampleRequest } from '../src/world/examples.ts';
import { xmlSignerOf } from '../src/client.ts';
import { signDuis } from '../service-requests/index.ts';
import { cpuSeconds, percentile, startResponseSink, SupplierStreams } from './load.ts';

// `npm run bench -- --store postgres --instances 1,2 [--pg-url URL] [--fleet N|--no-fleet|--fleet-only] [--quick]`:
// the world in PostgreSQL, served by N `dcc-sim serve` processes at once.
//  1. fleet: `dcc-sim seed --premises N` into PostgreSQL (timed as a user runs it), then `serve` on
//     that world until /api/metrics answers.
//  2. handovers: the handover load of bench/run.ts (distinct signed 6.21s, one ordered stream per
//     supplier, pipelined) spread over N instances, each supplier's stream pinned to one instance
//     (a supplier's counters are then checked by one process, as with one instance), for each N.
//     Where the CPU went at saturation: the instances (/proc/<pid>/stat), PostgreSQL (the server's
//     processes: the postmaster and its children) and this load generator (process.cpuUsage()).
// Without --pg-url it starts a private cluster from Debian's binaries, with PostgreSQL's default
// durability (fsync, synchronous commit); with it, it makes its databases on that server.
// Figures go to bench/results.md, between the postgres markers.

const log = (s: string) => process.stderr.write(`${s}\n`);
const arg = (name: string): string | undefined => {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = process.argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : process.argv[i + 1];
};
const quick = process.argv.includes('--quick');
const fleetOnly = process.argv.includes('--fleet-only');
const instanceCounts = fleetOnly ? [] : (arg('instances') ?? '1,2').split(',').map(Number);
if (instanceCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--instances ${arg('instances')}: instance counts, e.g. 1,2`);
const fleetPremises = process.argv.includes('--no-fleet') ? 0 : Number(arg('fleet') ?? (quick ? 20_000 : 1_000_000));
const cfg = { premises: quick ? 1500 : 12_000, saturationSeconds: Number(arg('seconds') ?? (quick ? 4 : 15)), warmup: quick ? 10 : 40 };
const repo = path.resolve(import.meta.dirname, '..');
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const load = () => loadavg().map((l) => l.toFixed(2)).join(', ');

// --- the PostgreSQL server ---------------------------------------------------------------------------
interface Server {
  /** URL of a database on the server */
  url(database: string): string;
  admin(sql: string): void;
  /** the postmaster's pid (its children are the server's other processes), when on this machine */
  postmaster: number | undefined;
  settings: string;
  stop(): void;
}

function withDb<T>(url: string, f: (db: PgDatabase) => T): T {
  const db = connectPostgres(url);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** The parent of our own backend: the postmaster, if the server runs on this machine. */
function postmasterOf(url: string): number | undefined {
  const backend = withDb(url, (db) => (db.query('SELECT pg_backend_pid() AS pid')[0] as { pid: number }).pid);
  try {
    const ppid = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    return readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() === 'postgres' ? ppid : undefined;
  } catch {
    return undefined; // not on this machine
  }
}

function urlFor(base: string, database: string): string {
  const u = new URL(base.replace(/^(postgres(?:ql)?:\/\/)\//, '$1localhost/'));
  u.pathname = `/${database}`;
  return base.startsWith('postgresql:///') || base.startsWith('postgres:///') ? u.href.replace('//localhost/', '///') : u.href;
}

function settingsOf(url: string): string {
  const names = ['fsync', 'synchronous_commit', 'shared_buffers', 'max_connections'];
  return withDb(url, (db) => names.map((n) => `${n}=${(db.query(`SHOW ${n}`)[0] as Record<string, string>)[n]}`).join(', '));
}

function givenServer(url: string): Server {
  return {
    url: (database) => urlFor(url, database),
    admin: (sql) => withDb(url, (db) => db.command(sql)),
    postmaster: postmasterOf(url),
    settings: settingsOf(url),
    stop: () => {},
  };
}

function privateServer(): Server {
  const bin = ['/usr/lib/postgresql'].filter(existsSync).flatMap((d) => readdirSync(d).sort().reverse().map((v) => `${d}/${v}/bin`)).find((d) => existsSync(`${d}/initdb`));
  if (!bin) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql: install Debian\'s postgresql, or pass --pg-url');
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (cmd: string, args: string[]) => {
    const full = [path.join(bin, cmd), ...args];
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', ...full], { encoding: 'utf8' }) : spawnSync(full[0]!, full.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  const data = path.join(dir, 'data');
  const port = 40000 + (process.pid % 20000);
  log(`starting a private PostgreSQL cluster in ${dir} ...`);
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale', 'C']);
  // PostgreSQL's defaults but for the buffers (128 MB is small for a million premises), the WAL's size, and
  // commits not waiting for the log's fsync: the durability of the SQLite world (WAL, synchronous=NORMAL),
  // consistent after any crash, the last commits lost by a power failure.
  run('pg_ctl', ['-D', data, '-w', '-s', '-l', path.join(dir, 'log'), '-o', `-k ${dir} -p ${port} -c listen_addresses='' -c shared_buffers=1GB -c max_wal_size=4GB -c synchronous_commit=off`, 'start']);
  const url = (database: string) => `postgresql:///${database}?host=${encodeURIComponent(dir)}&port=${port}&user=postgres`;
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-s', '-m', 'fast', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', () => existsSync(dir) && stop());
  const server = { url, admin: (sql: string) => withDb(url('postgres'), (db) => db.command(sql)), postmaster: undefined as number | undefined, settings: '', stop };
  server.postmaster = postmasterOf(url('postgres'));
  server.settings = settingsOf(url('postgres'));
  return server;
}

/** CPU seconds of this process's children that have ended and been waited for (cutime + cstime). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds of the server's processes: the postmaster and its children (backends, WAL writer, checkpointer …), ended ones too. */
function serverCpuSeconds(postmaster: number | undefined): number {
  if (postmaster === undefined) return NaN;
  // the postmaster's own, and (cutime, cstime) that of its children that have ended: it reaps them
  const own = readFileSync(`/proc/${postmaster}/stat`, 'utf8').split(') ')[1]!.split(' ');
  let total = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / 100;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.split(') ')[1]!.split(' ')[1]) === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

// --- serving -------------------------------------------------------------------------------------------
async function startServe(url: string, port: number, probe = '/api/health'): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  // Pipeline workers are SQLite's alone: on PostgreSQL each instance runs requests on its main thread.
  const child = spawn(process.execPath, [path.join(repo, 'bin/dcc-sim.mjs'), 'serve', '--db', url, '--port', String(port), '--quiet', '--no-smki', '--workers', '0'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${probe}`);
      if (r.ok) return { child, readyMs: performance.now() - started };
    } catch {
      /* not yet */
    }
    if (child.exitCode !== null) throw new Error('dcc-sim serve exited');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

// --- 1. fleet ------------------------------------------------------------------------------------------
async function fleet(server: Server, premises: number) {
  const database = `bench_fleet_${process.pid}`;
  server.admin(`CREATE DATABASE ${database}`);
  const url = server.url(database);
  try {
    log(`seeding ${premises} premises into PostgreSQL (dcc-sim seed) ...`);
    const loadBefore = load();
    const cpu0 = { seed: childrenCpuSeconds(), server: serverCpuSeconds(server.postmaster) };
    const started = performance.now();
    const out = execFileSync(process.execPath, [path.join(repo, 'bin/dcc-sim.mjs'), 'seed', '--db', url, '--premises', String(premises), '--json'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const seedSeconds = (performance.now() - started) / 1000;
    const seedCpu = { seed: childrenCpuSeconds() - cpu0.seed, server: serverCpuSeconds(server.postmaster) - cpu0.server };
    const devices = (JSON.parse(out) as { devices: number }).devices;
    const loadSeeded = load();
    const port = 19_000 + Math.floor(Math.random() * 1000);
    log('serve on that world: until /api/metrics answers ...');
    const { child, readyMs } = await startServe(url, port, '/api/metrics');
    // the health check counts the devices: what a load balancer's probe costs on this world
    const h = performance.now();
    await fetch(`http://127.0.0.1:${port}/api/health`);
    const healthMs = performance.now() - h;
    await stop(child);
    const sizeMB = withDb(url, (db) => Number((db.query('SELECT pg_database_size(current_database()) AS n')[0] as { n: number }).n)) / 2 ** 20;
    log(`seed ${fmt(seedSeconds)} s (load before ${loadBefore}, after ${loadSeeded}); serve ready ${fmt(readyMs, 0)} ms; health ${fmt(healthMs, 0)} ms; ${fmt(sizeMB, 0)} MB`);
    return { premises, devices, seedSeconds, seedCpu, readyMs, healthMs, sizeMB, loadBefore, loadSeeded };
  } finally {
    server.admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

// --- 2. handovers over N instances -----------------------------------------------------------------------
async function prepare(server: Server): Promise<{ template: string; streams: Map<string, string[]> }> {
  const template = `bench_world_${process.pid}`;
  server.admin(`CREATE DATABASE ${template}`);
  const url = server.url(template);
  log(`seeding a ${cfg.premises}-premise world with every device DCC controlled ...`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(repo, 'bench/seed-probe.ts'), url, String(cfg.premises), '1'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  log('building and signing the handover requests ...');
  const world = World.open(url);
  const streams = new Map<string, string[]>();
  const { devices } = world.store.listDevices({ status: 'InstalledNotCommissioned', limit: 10_000_000 });
  let counter = 1_000_000n;
  for (const d of devices) {
    if (d.type === 'CHF') continue;
    const supplier = world.store.getSupplyPoint(d.mpxn!)!.supplierEui!;
    const xml = exampleRequest(world, 'handover', { device: d.eui, role: 'Supplier' }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
    const list = streams.get(supplier) ?? [];
    list.push(signDuis(xml, xmlSignerOf(world, supplier)));
    streams.set(supplier, list);
  }
  world.close();
  log(`${[...streams.values()].reduce((n, l) => n + l.length, 0)} requests in ${streams.size} supplier streams`);
  return { template, streams };
}

/** The database's committed and rolled back transactions so far (rolled back: mostly serialization failures, run again). */
function transactions(url: string): { commits: number; rollbacks: number } {
  // the backends report their counts at most once a second
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
  return withDb(url, (db) => {
    const r = db.query('SELECT xact_commit AS commits, xact_rollback AS rollbacks FROM pg_stat_database WHERE datname = current_database()')[0] as { commits: number; rollbacks: number };
    return { commits: Number(r.commits), rollbacks: Number(r.rollbacks) };
  });
}

/** Each supplier's stream to one instance: the longest streams first, each to the instance with the fewest requests so far. */
function pin(streams: Map<string, string[]>, instances: number): Map<string, number> {
  const load = new Array<number>(instances).fill(0);
  const pinned = new Map<string, number>();
  for (const [supplier, list] of [...streams].sort((a, b) => b[1].length - a[1].length)) {
    const i = load.indexOf(Math.min(...load));
    pinned.set(supplier, i);
    load[i]! += list.length;
  }
  return pinned;
}

async function handovers(server: Server, prepared: { template: string; streams: Map<string, string[]> }, instances: number) {
  const { streams } = prepared;
  const database = `bench_run_${process.pid}_${instances}`;
  server.admin(`CREATE DATABASE ${database} TEMPLATE ${prepared.template}`);
  const url = server.url(database);
  log(`load run on ${instances} instance(s) ...`);

  // The suppliers' Receive Response Service: counts asynchronous responses as they arrive.
  const { url: sinkUrl, arrived, server: sink } = await startResponseSink();
  const w = World.open(url);
  for (const eui of streams.keys()) w.store.setResponseUrl(eui, sinkUrl);
  w.close();

  const base = 18_000 + Math.floor(Math.random() * 900);
  const served = await Promise.all(Array.from({ length: instances }, (_, i) => startServe(url, base + i)));
  const pinned = pin(streams, instances);
  const feed = new SupplierStreams(streams, (s) => base + pinned.get(s)!);
  const sent = feed.sent;
  const perInstance = new Array<number>(instances).fill(0);
  const sendOne = (supplier: string, from?: number) => feed.next(supplier, from);

  const depth = 8;
  // Warm-up (not timed): a fresh instance compiles the pipeline's modules on its first requests.
  await Promise.all([...streams.keys()].map(async (s) => {
    for (let k = 0; k < cfg.warmup; k++) await sendOne(s);
  }));
  const warmupErrors = feed.errors;

  log(`saturation for ${cfg.saturationSeconds} s (${streams.size} streams × ${depth} in flight over ${instances} instance(s)) ...`);
  const satLatencies: number[] = [];
  const satStart = performance.now();
  const satEnd = satStart + cfg.saturationSeconds * 1000;
  const instanceCpu0 = served.map((s) => cpuSeconds(s.child.pid!));
  const pgCpu0 = serverCpuSeconds(server.postmaster);
  const genCpu0 = process.cpuUsage();
  const xacts0 = transactions(url);
  await Promise.all([...streams.keys()].flatMap((s) =>
    Array.from({ length: depth }, async () => {
      while (performance.now() < satEnd) {
        const p = sendOne(s);
        if (p === null) return;
        satLatencies.push(await p);
        perInstance[pinned.get(s)!]!++;
      }
    }),
  ));
  const satSeconds = (performance.now() - satStart) / 1000;
  const instanceCpu = served.map((s, i) => cpuSeconds(s.child.pid!) - instanceCpu0[i]!);
  const pgCpu = serverCpuSeconds(server.postmaster) - pgCpu0;
  const gen = process.cpuUsage(genCpu0);
  const genCpu = (gen.user + gen.system) / 1e6;
  const satCount = satLatencies.length;
  const xacts = transactions(url);
  const saturationRate = satCount / satSeconds;

  // Half of saturation, open loop (latency from the scheduled send time, so a stall cannot hide).
  const rate = saturationRate / 2;
  log(`half saturation (${rate.toFixed(0)}/s) for ${cfg.saturationSeconds} s ...`);
  const halfLatencies: number[] = [];
  const interval = (1000 * streams.size) / rate;
  const halfStart = performance.now();
  const halfEnd = halfStart + cfg.saturationSeconds * 1000;
  let ranDry = false;
  await Promise.all([...streams.keys()].map(async (s, k) => {
    const inFlight: Promise<void>[] = [];
    for (let due = halfStart + (k * interval) / streams.size; due < halfEnd; due += interval) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = sendOne(s, due);
      if (p === null) {
        ranDry = true;
        break;
      }
      inFlight.push(p.then((ms) => void halfLatencies.push(ms)));
    }
    await Promise.all(inFlight);
  }));
  const halfRate = halfLatencies.length / ((performance.now() - halfStart) / 1000);
  feed.close();
  const drainEnd = performance.now() + 10_000;
  while (arrived.size < sent.size && performance.now() < drainEnd) await new Promise((r) => setTimeout(r, 100));
  await Promise.all(served.map((s) => stop(s.child)));
  await new Promise((r) => sink.close(r));
  server.admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  satLatencies.sort((a, b) => a - b);
  halfLatencies.sort((a, b) => a - b);
  const per = (cpu: number) => (cpu * 1000) / satCount;
  return {
    instances,
    saturationRate,
    perInstanceRate: perInstance.map((n) => n / satSeconds),
    satP50: percentile(satLatencies, 50),
    satP99: percentile(satLatencies, 99),
    halfRate,
    halfP50: percentile(halfLatencies, 50),
    halfP99: percentile(halfLatencies, 99),
    ranDry,
    errors: feed.errors - warmupErrors,
    warmupErrors,
    requests: sent.size,
    delivered: [...arrived.keys()].filter((id) => sent.has(id)).length,
    cpuMs: { instances: per(instanceCpu.reduce((a, b) => a + b, 0)), eachInstance: instanceCpu.map(per), postgres: per(pgCpu), generator: per(genCpu) },
    commitsPerHandover: (xacts.commits - xacts0.commits) / satCount,
    rollbacksPerHandover: (xacts.rollbacks - xacts0.rollbacks) / satCount,
    coresBusy: (instanceCpu.reduce((a, b) => a + b, 0) + pgCpu + genCpu) / satSeconds,
  };
}

// --- run and report ----------------------------------------------------------------------------------------
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo }).toString().trim();
  } catch {
    return 'unknown';
  }
})();
const given = arg('pg-url');
const server = given ? givenServer(given) : privateServer();
const loadBefore = load();
try {
  const f = fleetPremises > 0 ? await fleet(server, fleetPremises) : undefined;
  // --fleet-only: the seed and serve figures alone, printed; bench/results.md is left as it is
  if (fleetOnly) {
    process.stdout.write(`${JSON.stringify({ ...f, settings: server.settings, commit }, null, 2)}\n`);
    server.stop();
    process.exit(0);
  }
  const prepared = await prepare(server);
  // serve on the small bench world, the same way: what of the fleet's figure is Node starting, not the world's size
  const small = await startServe(server.url(prepared.template), 19_500 + Math.floor(Math.random() * 400), '/api/metrics');
  await stop(small.child);
  log(`serve ready on the ${cfg.premises}-premise world: ${fmt(small.readyMs, 0)} ms`);
  const runs = [];
  for (const n of instanceCounts) runs.push(await handovers(server, prepared, n));
  server.admin(`DROP DATABASE IF EXISTS ${prepared.template} WITH (FORCE)`);
  const loadAfter = load();

  const cores = cpus().length;
  const best = runs.reduce((a, b) => (b.saturationRate > a.saturationRate ? b : a));
  const served = best.cpuMs.instances + best.cpuMs.postgres;
  // What more cores would give, from the CPU one handover costs: the instances' and PostgreSQL's share
  // (the load generator on a machine of its own), as long as no one process is the limit: an instance
  // runs requests on one thread, so each adds at most 1000 / (its CPU per handover) handovers/s.
  const projection = [4, 8, 16].map((k) => {
    const byCores = (k * 1000) / served;
    const instancesNeeded = Math.ceil(byCores / (1000 / best.cpuMs.instances));
    return `| ${k} | ${fmt(byCores, 0)}/s | ${instancesNeeded} | ${fmt((byCores * best.cpuMs.postgres) / 1000, 1)} |`;
  });
  const md = `<!-- postgres:start (written by \`npm run bench -- --store postgres\`; the rest of this file is the other benches') -->
## PostgreSQL store

Date ${new Date().toISOString()}, commit \`${commit}\`, ${cores} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}.
Command: \`npm run bench -- --store postgres --instances ${instanceCounts.join(',')}${given ? ' --pg-url …' : ''}${quick ? ' --quick' : ''}${arg('fleet') ? ` --fleet ${arg('fleet')}` : ''}\`.
Server: ${given ? 'given by --pg-url' : "a private PostgreSQL cluster started by the bench (Debian's binaries)"}, on this machine: ${server.settings}.
Load average (1, 5, 15 min) before the run ${loadBefore}${f ? `; after seeding ${f.loadSeeded}` : ''}; after the load runs ${loadAfter}.

${f ? `### Fleet scale

| measure | value | target |
|---|---|---|
| \`dcc-sim seed --db postgres://… --premises ${f.premises}\` (${f.devices.toLocaleString('en-GB')} devices; the whole command, Node's start included) | ${fmt(f.seedSeconds)} s | 1,000,000 in < 120 s |
| \`serve\` on that world: process start to \`/api/metrics\` answering | ${fmt(f.readyMs, 0)} ms (on the ${cfg.premises.toLocaleString('en-GB')}-premise world below, the same run: ${fmt(small.readyMs, 0)} ms) | < 5 s |
| \`/api/health\` on that world (counts the devices) | ${fmt(f.healthMs, 0)} ms | |
| CPU the seed took: the \`dcc-sim seed\` process / PostgreSQL's processes | ${fmt(f.seedCpu.seed)} / ${fmt(f.seedCpu.server)} s | |
| database size | ${fmt(f.sizeMB, 0)} MB | |
` : ''}
### Handovers over several instances

The handover load of the SQLite section above (distinct signed 6.21s to DCC-controlled devices, ${cfg.premises.toLocaleString('en-GB')} premises,
one ordered stream per supplier, ${8} pipelined in flight per stream) on one PostgreSQL world served by N \`dcc-sim serve --workers 0\`
processes; each supplier's stream is pinned to one instance. ${cfg.warmup} requests per stream warm the instances up first (not timed);
${cfg.saturationSeconds} s at saturation, then ${cfg.saturationSeconds} s at half of it (open loop).

| instances | saturation (per instance) | saturation p50 / p99 | half saturation p50 / p99 | CPU per handover: instances (each) / PostgreSQL / load generator | cores busy at saturation | commits / rollbacks per handover | not I99 |
|---|---|---|---|---|---|---|---|
${runs.map((r) => `| ${r.instances} | ${fmt(r.saturationRate)}/s (${r.perInstanceRate.map((x) => fmt(x, 0)).join(' + ')}) | ${fmt(r.satP50)} / ${fmt(r.satP99)} ms | ${fmt(r.halfP50)} / ${fmt(r.halfP99)} ms${r.ranDry ? ' (streams ran dry)' : ''} | ${fmt(r.cpuMs.instances, 2)} (${r.cpuMs.eachInstance.map((x) => fmt(x, 2)).join(' + ')}) / ${fmt(r.cpuMs.postgres, 2)} / ${fmt(r.cpuMs.generator, 2)} ms | ${fmt(r.coresBusy, 2)} of ${cores} | ${fmt(r.commitsPerHandover, 1)} / ${fmt(r.rollbacksPerHandover, 2)} | ${r.errors} of ${r.requests} |`).join('\n')}

What more cores would give, from the best run's CPU per handover (${fmt(best.cpuMs.instances, 2)} ms in the instances + ${fmt(best.cpuMs.postgres, 2)} ms in PostgreSQL,
the load generator elsewhere), if nothing but CPU limits (no lock or serialization waits; see the reading below):

| cores for instances and PostgreSQL | handovers/s | instances needed (one thread each) | PostgreSQL cores busy |
|---|---|---|---|
${projection.join('\n')}
<!-- postgres:end -->`;
  const resultsFile = path.join(repo, 'bench/results.md');
  const previous = readFileSync(resultsFile, 'utf8');
  const marked = /<!-- postgres:start[\s\S]*?<!-- postgres:end -->/;
  writeFileSync(resultsFile, marked.test(previous) ? previous.replace(marked, () => md) : `${previous.trimEnd()}\n\n${md}\n`);
  process.stdout.write(`${md}\n`);
} finally {
  server.stop();
}
