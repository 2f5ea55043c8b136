import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Command } from 'commander';
import { seedDemoWorld, World, WorldError } from '../world/index.ts';
import { countArgument, dbOption } from './options.ts';
import { progressBar } from './output.ts';

// `serve` and `demo`: run the DCC (the server loads lazily, so other commands start fast).

function serveOptions(cmd: Command): Command {
  return cmd
    .option('--port <port>', 'DUIS listener port', '8079')
    .option('--smki-port <port>', 'SMKI portal interface port (organisation certificates, DCC Boxed style)', '8083')
    .option('--no-smki', 'do not start the SMKI portal listener')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--no-network-operator-check', 'disapply the SECMP0063 / MP128 network operator check')
    .option('--duis-xsd <file>', 'also validate requests against this DUIS XSD (libxml2-wasm)')
    .option('--request-log-keep <n>', 'the most recent requests whose DUIS XML the request log keeps (older ones keep their outcome); 0 = all', '20000')
    .option('--workers <n>', 'worker threads running DUIS requests beside the main thread, which re-checks what each read and commits it; 0 = all in-thread (default: DCC_SIM_WORKERS, else CPUs - 2; a PostgreSQL world is always served in-thread)')
    .option('--no-speculate', 'the workers only parse requests and check their signatures; the main thread runs the rest (default: DCC_SIM_SPECULATE=0 says the same)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; needs --tls-key)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'mutual TLS: clients must present a certificate issued by this CA (PEM)')
    .option('--admin-token <token>', 'token for the console and JSON API (default: DCC_SIM_ADMIN_TOKEN, or generated when --host is not loopback)')
    .option('--public-host <name...>', 'a name the console and JSON API are also reached by (a proxy, a container name); their Host and Origin must be a listened address, a loopback name or one of these')
    .option('--outbox-lease <ms>', 'PostgreSQL world: how long a claim keeps an asynchronous response this process is delivering from the other processes on the world (renewed while its delivery is under way); one that dies leaves its responses to the others after this', '30000')
    .option('--log-requests', 'one JSON log line (pino) per request answered on stdout; without it, only the server\'s own events')
    .option('--quiet', 'no log on stdout at all');
}

interface ServeFlags {
  port: string;
  smkiPort: string;
  smki: boolean;
  host: string;
  networkOperatorCheck: boolean;
  duisXsd?: string;
  workers?: string;
  speculate: boolean;
  requestLogKeep: string;
  outboxLease: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  adminToken?: string;
  publicHost?: string[];
  logRequests?: boolean;
  quiet?: boolean;
}

/**
 * V8 as a long-running server wants it, each flag unless the user gave it (a V8 flag the user gave wins):
 * - the old generation grows to four times what outlived the last full collection before the next. V8's own factor
 *   under a load of reads of ever-new meters was ~1.7: a full collection every ~5 s, each a 10–30 ms pause and ~300
 *   ms of marking on the other core, and the read load's latency tail waited behind them. The price is memory: a
 *   heap up to ~4× its live objects.
 * - no allocation-site pretenuring. V8 allocates straight in the old generation at the sites whose objects outlived
 *   young collections, and code optimized meanwhile keeps doing so. Under a saturating load the outbox's rows and
 *   posts live long (queued behind the receiver) and their sites were tenured; when the load fell, each one, dead
 *   in ms, still held its body and its post in the old generation until the next full collection: in 6 of 10 runs
 *   of the read load the old generation grew twice as fast at half saturation as in the other 4, and in none of 8
 *   runs without pretenuring (bench/measurements.md, "pretenuring").
 */
function tuneV8ForServing(): void {
  // the names given, as V8 reads them: `_` for `-`, without a value or a `no-`
  const given = new Set([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName));
  for (const flag of ['--heap-growing-percent=300', '--no-allocation-site-pretenuring']) {
    if (!given.has(flagName(flag))) setFlagsFromString(flag);
  }
}

function flagName(arg: string): string {
  return arg.replaceAll('_', '-').replace(/^--(no-)?/, '').replace(/=.*$/, '');
}

/**
 * One full collection once the world is loaded and the server listens, before the first request. The next one then
 * comes when the old generation has grown to four times what the loaded server keeps (above), not at V8's start-up
 * limit: under the read load that limit was reached a few thousand reads in, and the collection's marking landed in
 * the bench's half-saturation phase in every run that missed its p99 (bench/measurements.md). What Jest does to
 * collect on demand: --expose-gc applies to contexts made after it, so the function comes from a new one.
 */
function collectOnceLoaded(): void {
  setFlagsFromString('--expose-gc');
  // a node that did not take the flag has no gc there: then nothing is collected early (no ReferenceError)
  const gc = runInNewContext("typeof gc === 'function' ? gc : undefined") as (() => void) | undefined;
  setFlagsFromString('--no-expose-gc');
  gc?.();
}

async function serve(db: string, o: ServeFlags, smkiPortGiven = true): Promise<void> {
  tuneV8ForServing();
  const { startServer } = await import('../server.ts');
  const { defaultWorkerCount } = await import('../dcc/index.ts');
  const workersText = o.workers ?? process.env.DCC_SIM_WORKERS;
  const workers = workersText === undefined || workersText === '' ? defaultWorkerCount() : countArgument('--workers', workersText);
  let xsd: ((xml: string) => string[]) | undefined;
  if (o.duisXsd) {
    const { createXsdValidator } = await import('../../service-requests/index.ts');
    const v = await createXsdValidator(o.duisXsd);
    xsd = (xml) => v.validate(xml);
  }
  if (o.quiet && o.logRequests) throw new WorldError('bad-argument', '--quiet and --log-requests contradict each other: give one');
  if (!o.tlsCert !== !o.tlsKey) throw new WorldError('bad-argument', '--tls-cert and --tls-key go together');
  if (o.tlsCa && !o.tlsCert) throw new WorldError('bad-argument', '--tls-ca (client certificates) needs --tls-cert and --tls-key');
  const tls = o.tlsCert && o.tlsKey ? { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey), ...(o.tlsCa ? { ca: readFileSync(o.tlsCa) } : {}) } : undefined;
  const server = await startServer({
    db,
    host: o.host,
    port: Number(o.port),
    smkiPort: o.smki ? Number(o.smkiPort) : undefined,
    smkiOptional: !smkiPortGiven, // the default 8083 taken (another dcc-sim): serve DUIS anyway
    networkOperatorCheck: o.networkOperatorCheck,
    xsd,
    ...(o.duisXsd ? { xsdFile: o.duisXsd } : {}),
    workers,
    speculate: o.speculate && process.env.DCC_SIM_SPECULATE !== '0',
    requestLogKeep: countArgument('--request-log-keep', o.requestLogKeep),
    outboxLeaseMs: countArgument('--outbox-lease', o.outboxLease),
    logger: !o.quiet,
    logRequests: o.logRequests === true,
    ...(tls ? { tls } : {}),
    ...(o.adminToken ? { adminToken: o.adminToken } : {}),
    ...(o.publicHost ? { publicHosts: o.publicHost.flatMap((h) => h.split(',')) } : {}),
  });
  collectOnceLoaded();
  process.stderr.write(`dcc-sim DUIS gateway on ${server.url}/api/v1/serviceS|serviceT|serviceD (world ${db})\n`);
  process.stderr.write(`dcc-sim console on ${server.url}/ (API docs ${server.url}/docs)\n`);
  if (server.dcc.clock.problem) process.stderr.write(`dcc-sim: warning: ${server.dcc.clock.problem}\n`);
  if (tls?.ca) process.stderr.write('dcc-sim: mutual TLS, clients must present a certificate issued by --tls-ca\n');
  if (server.admin?.generated) process.stderr.write(`dcc-sim admin token (console and JSON API, Authorization: Bearer ...): ${server.admin.token}\n`);
  else if (server.admin) process.stderr.write('dcc-sim: the console and JSON API need the admin token (Authorization: Bearer ...)\n');
  if (server.smkiUrl) process.stderr.write(`dcc-sim SMKI portal (organisation certificates) on ${server.smkiUrl}/services/certificatesearch\n`);
  else if (o.smki) process.stderr.write(`dcc-sim: SMKI portal not started, port ${o.smkiPort} is in use (give --smki-port PORT, or --no-smki)\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function registerServe(program: Command): void {
  serveOptions(program.command('serve').description('run the DCC: DUIS gateway and JSON API').addOption(dbOption())).action(
    async (o: ServeFlags & { db: string }, cmd: Command) => serve(o.db, o, cmd.getOptionValueSource('smkiPort') !== 'default'),
  );

  serveOptions(
    program
      .command('demo')
      .description('seed a demo world (if the file does not exist yet) and serve it: what `npm start` runs')
      .option('--db <file>', 'world database', 'dcc-sim-demo.db')
      .option('--premises <n>', 'premises in a new demo world', '2000'),
  ).action(async (o: ServeFlags & { db: string; premises: string }, cmd: Command) => {
    if (!existsSync(o.db)) {
      const partial = `${o.db}.partial-${process.pid}`;
      const world = World.open(partial, { create: true });
      try {
        const summary = seedDemoWorld(world, { premises: Number(o.premises), seed: 'dcc-sim', referenceTime: new Date(), onProgress: progressBar('seeding demo world') });
        world.store.db.pragma('wal_checkpoint(TRUNCATE)');
        world.close();
        renameSync(partial, o.db);
        process.stderr.write(`seeded ${o.db}: ${summary.premises} premises, ${summary.devices} devices\n`);
      } catch (err) {
        world.close();
        rmSync(partial, { force: true });
        throw err;
      }
    }
    await serve(o.db, o, cmd.getOptionValueSource('smkiPort') !== 'default');
  });
}
