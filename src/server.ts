import { availableParallelism } from 'node:os';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import { Dcc, type DccOptions } from './dcc/index.ts';
import { OutboxDelivery } from './dcc/index.ts';
import { PeerEvents, PipelineMetrics } from './dcc/index.ts';
import { PrevalidationPool } from './dcc/index.ts';
import { DEFAULT_KEEP_XML, RequestLogRetention } from './dcc/index.ts';
import { World } from './world/index.ts';
import { apiPlugin, gatewayPlugin, SHARED_SCHEMAS } from './api/index.ts';
import { consolePlugin } from './console/index.ts';
import { registerOpenApi } from './console/index.ts';
import { startPortal, type RunningPortal } from './smki/index.ts';
import { adminAccess, browserGuard, type AdminAccess, type BrowserGuard } from './security.ts';
import { Sandboxes, type ServedWorld } from './sandboxes/index.ts';
import type { ScenarioRun } from './scenarios/index.ts';
import { isStorageFault, postgresOf, startCheckpointer, storageFaultReason } from '../db/index.ts';

// The HTTP face of dcc-sim: DUIS on /api/v1/serviceS|T|D as DCC Boxed has it, and a JSON API for
// request logs, asynchronous responses, devices and the clock.

export interface ServerOptions extends Partial<DccOptions> {
  db: string;
  host?: string;
  port?: number;
  logger?: boolean;
  /** one JSON log line per request answered (`serve --log-requests`); otherwise none, only the server's own events */
  logRequests?: boolean;
  /** how often future-dated commands are checked for being due (ms) */
  schedulerMs?: number;
  /** start the SMKI portal interface (organisation certificates; DCC Boxed has it on 8083) on this port; 0 = any free port; absent = no portal */
  smkiPort?: number;
  /** when the SMKI port is already taken, serve without the portal (with a warning) instead of failing */
  smkiOptional?: boolean;
  /** serve HTTPS with this certificate and key (PEM); with `ca`, clients must present a certificate it issued (mutual TLS) */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /** the console and JSON API token; required anyway when the listener is not loopback (see src/security.ts) */
  adminToken?: string;
  /** names the console and JSON API are also reached by (a proxy, a container name), beside the addresses listened on */
  publicHosts?: string[];
  /**
   * worker threads that parse DUIS requests and check their signatures beside the main thread
   * (src/dcc/prevalidation-pool.ts); 0 or absent = all in-thread. The CLI defaults to CPUs - 2.
   */
  workers?: number;
  /**
   * false: the workers only parse and check signatures (prevalidation); otherwise (the default) they run
   * each request whole and the main thread commits what they did (src/dcc/speculation.ts)
   */
  speculate?: boolean;
  /**
   * with `speculate: false`: the workers also compute each request's ECDH key agreements ahead. Default: with more
   * than two CPUs. On two, the worker's extra work took its core from the serving thread's path: the read load's p99 at
   * half saturation 18–43 ms with it against 15–29 ms without, for 6% more throughput (bench/measurements.md).
   */
  keyAgreementsOnWorkers?: boolean;
  /** the DUIS XSD file `xsd` was compiled from, so that the workers can run it too */
  xsdFile?: string;
  /** a sender's requests wait while this many of its asynchronous responses are untried (default 64; src/dcc/outbox.ts) */
  outboxAdmissionLimit?: number;
  /** the longest a request waits for admission before it is refused, not acted on (default 5,000 ms; src/dcc/outbox.ts) */
  admissionWaitMs?: number;
  /** the most recent requests whose DUIS XML the request log keeps (default 20,000; 0 = all; src/dcc/retention.ts) */
  requestLogKeep?: number;
  /** how often the request log is pruned (ms) */
  retentionMs?: number;
  /**
   * PostgreSQL world: how long this process's claim on an outbox row keeps the others off it (default
   * 30,000 ms); a process that dies mid-delivery leaves its rows to the others after this
   */
  outboxLeaseMs?: number;
  /** connection limits for unauthenticated clients (ms): see DEFAULT_TIMEOUTS */
  timeouts?: Partial<Timeouts>;
}

export interface Timeouts {
  /** a connection with nothing sent or received for this long is closed (an SSE stream sends every 15 s) */
  idleMs: number;
  /** a request's headers must have arrived within this */
  headersMs: number;
  /** a whole request, body included, must have arrived within this */
  requestMs: number;
}

// Stalled and trickling connections held memory without limit (1,000 stalled 300 KB bodies: 280 MB).
export const DEFAULT_TIMEOUTS: Timeouts = { idleMs: 30_000, headersMs: 10_000, requestMs: 30_000 };

export interface RunningServer {
  app: FastifyInstance;
  dcc: Dcc;
  world: World;
  url: string;
  /** the SMKI portal listener's base URL, when started (smkiPort) */
  smkiUrl?: string;
  /** the token the console and JSON API need (absent: loopback, no token); generated when none was configured */
  admin?: { token: string; generated: boolean };
  /** the prevalidation workers, when `workers` > 0 */
  prevalidation?: PrevalidationPool;
  /** the training sandboxes of this world, served under /sandboxes/{id}/ */
  sandboxes: Sandboxes;
  /** every route registered, as Fastify's onRoute hook saw it (test/console/openapi.test.ts holds the OpenAPI document to them) */
  routes: readonly RouteOptions[];
  close(): Promise<void>;
}

export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

const HEALTH = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, devices: { type: ['integer', 'null'] }, time: { type: 'string', format: 'date-time' }, problems: { type: 'array', items: { type: 'string' } } },
};

/**
 * Fastify's per-request log lines: none, or (`serve --log-requests`) one JSON line per answered request
 * instead of Fastify's two (incoming, completed): what was asked, the HTTP status, the DUIS response
 * code on the gateway, and the time taken.
 */
export class RequestLog extends LogController {
  constructor(private readonly enabled: boolean) {
    super({ disableRequestLogging: !enabled });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.enabled) return;
    const duis = reply.getHeader('x-dcc-sim-response-code');
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...(duis ? { responseCode: String(duis) } : {}) };
    if (error) reply.log.error({ ...line, err: error.message }, 'request');
    else reply.log.info(line, 'request');
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const admin = adminAccess({ host: o.host ?? '127.0.0.1', token: o.adminToken, envToken: process.env.DCC_SIM_ADMIN_TOKEN });
  const browser = browserGuard({ host: o.host ?? '127.0.0.1', publicHosts: o.publicHosts ?? [] });
  const world = World.open(o.db);
  const maxRequestBytes = o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const dcc = new Dcc(world, { networkOperatorCheck: o.networkOperatorCheck ?? true, maxRequestBytes, xsd: o.xsd });
  // a PostgreSQL world, which other servers may be serving too
  const pg = postgresOf(world.store.db);
  if (o.outboxLeaseMs !== undefined) dcc.gateway.outboxLeaseMs = o.outboxLeaseMs;
  const t = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  // Node checks the header and request deadlines on this interval (default 30 s, longer than they are).
  const deadlines = { headersTimeout: t.headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, t.headersMs / 2)) };
  const requestLog = new RequestLog(o.logRequests === true);
  const app = Fastify({
    logger: o.logger === false ? false : { level: process.env.DCC_SIM_LOG_LEVEL ?? 'info' },
    logController: requestLog,
    connectionTimeout: t.idleMs,
    requestTimeout: t.requestMs,
    http: deadlines,
    // A little above the DUIS limit so the pipeline, not Fastify, answers oversize requests in DUIS.
    bodyLimit: maxRequestBytes + 64 * 1024,
    ...(o.tls ? { https: { ...deadlines, cert: o.tls.cert, key: o.tls.key, ...(o.tls.ca ? { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) } } : {}),
  }) as unknown as FastifyInstance;
  const outbox = new OutboxDelivery(dcc.gateway, world.store, {
    ...(o.outboxAdmissionLimit !== undefined ? { admissionLimit: o.outboxAdmissionLimit } : {}),
    ...(o.admissionWaitMs !== undefined ? { admissionWaitMs: o.admissionWaitMs } : {}),
    log: (msg, extra) => app.log.info(extra ?? {}, msg),
    logError: (msg, extra) => app.log.error(extra ?? {}, msg),
  });
  dcc.on('outbox', () => outbox.kick());
  // Started once listening, so that their start-up does not delay the first answer; until a
  // worker is ready its requests are validated in-thread.
  let prevalidation: PrevalidationPool | undefined;

  answerErrorsInJson(app);
  // Unknown paths are behind the admin guard too: without the token, a probe learns nothing of
  // which routes exist.
  app.setNotFoundHandler(admin ? { preValidation: admin.hook } : {}, async (req, reply) =>
    reply.code(404).send({ message: `Route ${req.method}:${req.url} not found`, error: 'Not Found', statusCode: 404 }),
  );

  // Before any route, so that they see them all: the OpenAPI document is generated from them.
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  await registerOpenApi(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  const metrics = new PipelineMetrics(dcc);
  // PostgreSQL: what the world's other servers commit reaches this one's live timeline and metrics.
  const peers = PeerEvents.start(dcc, { log: (level, msg) => app.log[level](msg) });
  const scenarioRuns = new Map<string, ScenarioRun>();
  const sandboxes = new Sandboxes(world, o.db, (file, id) =>
    serveSandbox(file, id, { o, maxRequestBytes, admin, browser, sandboxes, scenarioRuns, log: app.log }),
  );
  // /sandboxes/{id}/... is that sandbox's own routes (its DUIS gateway and JSON API, the same plugins
  // over its world): handed over before this server parses anything, so that bodies and event
  // streams pass as they are.
  app.addHook('onRequest', async (req, reply) => {
    const m = /^\/sandboxes\/([^/?#]*)(.*)$/s.exec(req.raw.url ?? '');
    if (!m) return undefined;
    await sandboxes.refresh(m[1]!); // PostgreSQL: another server on the world may have made, reset or dropped it
    const served = sandboxes.served(m[1]!);
    if (!served) {
      // like any unknown path: behind the admin guard, so a probe learns nothing
      if (admin && (await admin.hook(req, reply))) return reply;
      return reply.code(404).send({ error: `no sandbox '${decodeURIComponent(m[1]!).slice(0, 40)}': GET /api/sandboxes lists them` });
    }
    // the console is one page for every world: a sandbox's is /?sandbox=ID
    if (req.method === 'GET' && (m[2] === '' || m[2] === '/')) {
      if (admin && (await admin.hook(req, reply))) return reply;
      return reply.redirect(`/?sandbox=${m[1]!}`);
    }
    reply.hijack();
    req.raw.url = m[2]!.startsWith('/') ? m[2]! : `/${m[2]!}`;
    served.app.routing(req.raw, reply.raw);
    return undefined;
  });
  // Three plugins, each its own encapsulation context: the DUIS gateway (signed DUIS is its own
  // authentication), the JSON API and the console (each with the admin guard as its own hook).
  await app.register(gatewayPlugin, { world, dcc, outbox, prevalidation: () => prevalidation, maxRequestBytes });
  await app.register(apiPlugin, { world, dcc, options: o, outbox, metrics, prevalidation: () => prevalidation, ...(admin ? { admin } : {}), browser, sandboxes, scenarioRuns });
  await app.register(consolePlugin, { ...(admin ? { admin } : {}), browser });

  registerHealth(app, world, dcc);
  if (dcc.clock.problem) app.log.warn(dcc.clock.problem);

  const retention = new RequestLogRetention(dcc.gateway, world.store, o.requestLogKeep ?? DEFAULT_KEEP_XML);
  const pruner = setInterval(() => {
    try {
      retention.prune();
    } catch (err) {
      app.log.error(err, 'pruning the request log failed');
    }
  }, o.retentionMs ?? 5_000);
  pruner.unref();

  const scheduler = setInterval(() => {
    try {
      dcc.clock.reload(); // the CLI, or another server on the world, may have moved the clock
      if (dcc.leadsTimers()) dcc.runDueCommands();
    } catch (err) {
      app.log.error(err, 'running due future-dated commands failed');
    }
  }, o.schedulerMs ?? 1000);
  scheduler.unref();
  // PostgreSQL: sandboxes another server on the world made, reset or dropped are served as the registry says.
  const sandboxWatch = pg
    ? setInterval(() => void sandboxes.refresh().catch((err: unknown) => app.log.error(err, 'reading the sandbox registry failed')), 2_000)
    : undefined;
  sandboxWatch?.unref();

  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8079 });
  // WAL checkpoints on a thread of their own, not between the requests (db/checkpointer.ts)
  const checkpointer = o.db === ':memory:' || o.db === '' || pg ? undefined : startCheckpointer(o.db, world.store.db, { log: (level, msg) => app.log[level](msg) });
  world.store.gateWrites(checkpointer?.writeGate);
  metrics.watchCheckpointer(checkpointer);
  // Workers read the world file beside this process: an in-memory world has no file to share, and a
  // PostgreSQL world's requests are all run in-thread (the workers' speculation is SQLite's).
  const workers = o.db === ':memory:' || o.db === '' || pg ? 0 : Math.max(0, Math.floor(o.workers ?? 0));
  if (pg && (o.workers ?? 0) > 0) app.log.info('a PostgreSQL world is served without pipeline workers: each request runs in-thread');
  if (workers > 0) {
    prevalidation = new PrevalidationPool({
      workers,
      world: o.db,
      maxRequestBytes,
      acceptOrganisationXmlSigners: dcc.validateOptions.acceptOrganisationXmlSigners === true,
      // Only with `xsd`: a request the workers cannot take is validated in-thread, which runs `xsd`.
      ...(o.xsd && o.xsdFile ? { xsdFile: o.xsdFile } : {}),
      // Whole requests on the workers, unless the main thread runs an XSD the workers cannot.
      ...(o.speculate !== false && (!o.xsd || o.xsdFile) ? { speculate: { networkOperatorCheck: dcc.options.networkOperatorCheck } } : {}),
      keyAgreements: o.keyAgreementsOnWorkers ?? availableParallelism() > 2,
      log: (level, msg) => app.log[level](msg),
    });
    const counters = prevalidation.mainCounterClass();
    if (counters) dcc.gateway.dccCounterClass = counters;
  }
  let portal: RunningPortal | undefined;
  if (o.smkiPort !== undefined) {
    try {
      portal = await startPortal({ world, now: () => dcc.clock.now(), host: o.host ?? '127.0.0.1', port: o.smkiPort, logger: o.logger !== false, logController: requestLog });
    } catch (err) {
      if (o.smkiOptional && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        app.log.warn(`SMKI portal not started: port ${o.smkiPort} is in use`); // RunningServer.smkiUrl stays undefined
      } else {
        clearInterval(scheduler);
        clearInterval(pruner);
        clearInterval(sandboxWatch);
        peers?.close();
        await app.close();
        await prevalidation?.close();
        await checkpointer?.stop();
        world.close();
        throw err;
      }
    }
  }
  outbox.start();
  try {
    const restored = await sandboxes.restore();
    if (restored.length) app.log.info(`serving ${restored.length} sandbox(es) again: ${restored.map((x) => x.id).join(', ')}`);
  } catch (err) {
    app.log.error(err, `the sandboxes in ${sandboxes.dir} could not be served again`);
  }
  const addr = app.server.address();
  const url = typeof addr === 'object' && addr ? `${o.tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  return {
    app,
    dcc,
    world,
    url,
    ...(portal ? { smkiUrl: portal.url } : {}),
    ...(admin ? { admin: { token: admin.token, generated: admin.generated } } : {}),
    ...(prevalidation ? { prevalidation } : {}),
    sandboxes,
    routes,
    async close() {
      clearInterval(sandboxWatch);
      await sandboxes.close();
      clearInterval(scheduler);
      clearInterval(pruner);
      peers?.close();
      metrics.close();
      await outbox.stop();
      await portal?.close();
      await app.close();
      // After the listener: requests in flight still need the pool; what it holds is finished in-thread.
      await prevalidation?.close();
      await checkpointer?.stop();
      world.close();
    },
  };
}

// Errors of the JSON API and the console as JSON with an `error` sentence, Fastify's own
// (schema validation, body parsing) included; the gateway plugin answers its own in DUIS.
function answerErrorsInJson(app: FastifyInstance): void {
app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    // A storage fault lasts only as long as the fault: 503, try again, and what SQLite said.
    if (isStorageFault(err)) {
      app.log.error(storageFaultReason(err));
      return reply.code(503).header('retry-after', '5').send({ error: `${storageFaultReason(err)}; nothing was changed: try again when the storage is back` });
    }
    const status = err.statusCode ?? (err.name === 'PkiError' ? 400 : 500);
    if (status >= 500) app.log.error(err);
    return reply.code(status < 400 ? 500 : status).send({ error: err.message });
  });
}

// Liveness and what is wrong (device count, simulated time, problems), outside every guard: the
// container HEALTHCHECK polls it without a token.
function registerHealth(app: FastifyInstance, world: World, dcc: Dcc): void {
  app.get('/api/health', {
    schema: {
      tags: ['World'],
      summary: 'Liveness, device count, simulated time and any problem (never needs the admin token)',
      response: {
        200: {
          description: 'The simulator is up; `problems` says what is wrong that does not stop it (e.g. a clock offset out of range).',
          content: { 'application/json': { schema: HEALTH } },
        },
        503: {
          description: 'The world file cannot be written (disk full, read-only, I/O error): requests are refused until it can; `problems` says why.',
          content: { 'application/json': { schema: HEALTH } },
        },
      },
    },
  }, async (_req, reply) => {
    const problems = dcc.clock.problem ? [dcc.clock.problem] : [];
    // Whether a write commits, tried each time: a read-only or full world file answered 200 while
    // every request failed. One small row, overwritten.
    let writable = true;
    try {
      world.store.setMeta('health_checked_at', new Date().toISOString());
    } catch (err) {
      if (!isStorageFault(err)) throw err;
      writable = false;
      problems.unshift(`the world file cannot be written, so requests are refused: ${storageFaultReason(err)}`);
    }
    let devices: number | null = null;
    try {
      devices = world.store.countDevices();
    } catch (err) {
      if (!isStorageFault(err)) throw err;
      writable = false;
      problems.unshift(`the world file cannot be read: ${storageFaultReason(err)}`);
    }
    return reply.code(writable ? 200 : 503).send({ ok: writable, devices, time: dcc.clock.now().toISOString(), problems });
  });
}

interface SandboxParts {
  o: ServerOptions;
  maxRequestBytes: number;
  admin: AdminAccess | undefined;
  browser: BrowserGuard;
  sandboxes: Sandboxes;
  scenarioRuns: Map<string, ScenarioRun>;
  log: FastifyInstance['log'];
}

/**
 * A sandbox's world served as the shared one is: its own DCC, outbox, scheduler and the same
 * gateway and API plugins, on a Fastify instance that does not listen (the server hands it the
 * requests under /sandboxes/{id}/), behind the same admin and browser guards.
 */
async function serveSandbox(file: string, id: string, p: SandboxParts): Promise<ServedWorld> {
  const { o, maxRequestBytes } = p;
  const world = World.open(file);
  const dcc = new Dcc(world, { networkOperatorCheck: o.networkOperatorCheck ?? true, maxRequestBytes, xsd: o.xsd });
  // a PostgreSQL sandbox is shared by the world's servers too: its deliveries are leased as the world's are
  if (o.outboxLeaseMs !== undefined) dcc.gateway.outboxLeaseMs = o.outboxLeaseMs;
  const app = Fastify({ logger: false, bodyLimit: maxRequestBytes + 64 * 1024 }) as unknown as FastifyInstance;
  const log = p.log.child({ sandbox: id });
  const outbox = new OutboxDelivery(dcc.gateway, world.store, {
    ...(o.outboxAdmissionLimit !== undefined ? { admissionLimit: o.outboxAdmissionLimit } : {}),
    ...(o.admissionWaitMs !== undefined ? { admissionWaitMs: o.admissionWaitMs } : {}),
    log: (msg, extra) => log.info(extra ?? {}, msg),
    logError: (msg, extra) => log.error(extra ?? {}, msg),
  });
  dcc.on('outbox', () => outbox.kick());
  const metrics = new PipelineMetrics(dcc);
  answerErrorsInJson(app);
  app.setNotFoundHandler(p.admin ? { preValidation: p.admin.hook } : {}, async (req, reply) =>
    reply.code(404).send({ message: `Route ${req.method}:/sandboxes/${id}${req.url} not found`, error: 'Not Found', statusCode: 404 }),
  );
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(gatewayPlugin, { world, dcc, outbox, prevalidation: () => undefined, maxRequestBytes });
  await app.register(apiPlugin, {
    world, dcc, options: o, outbox, metrics, prevalidation: () => undefined, ...(p.admin ? { admin: p.admin } : {}), browser: p.browser,
    sandboxes: p.sandboxes, sandbox: { id }, scenarioRuns: p.scenarioRuns,
  });
  registerHealth(app, world, dcc);
  await app.ready();
  const retention = new RequestLogRetention(dcc.gateway, world.store, o.requestLogKeep ?? DEFAULT_KEEP_XML);
  const timers = [
    setInterval(() => {
      try {
        retention.prune();
      } catch (err) {
        log.error(err, 'pruning the request log failed');
      }
    }, o.retentionMs ?? 5_000),
    setInterval(() => {
      try {
        dcc.clock.reload(); // `dcc-sim clock --db` on its file
        if (dcc.leadsTimers()) dcc.runDueCommands();
      } catch (err) {
        log.error(err, 'running due future-dated commands failed');
      }
    }, o.schedulerMs ?? 1000),
  ];
  for (const t of timers) t.unref();
  // a PostgreSQL sandbox is served by every server on the world: each hears the others' requests in it
  const peers = PeerEvents.start(dcc, { log: (level, msg) => log[level](msg) });
  outbox.start();
  return {
    app,
    world,
    dcc,
    metrics,
    routes,
    async close() {
      for (const t of timers) clearInterval(t);
      peers?.close();
      metrics.close();
      await outbox.stop();
      await app.close();
      world.close();
    },
  };
}
