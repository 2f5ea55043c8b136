import Fastify, { type FastifyInstance } from 'fastify';
import { dashedEui, parseEui } from '../pki/index.ts';
import type { Endpoint } from '../service-requests/index.ts';
import { Dcc, type DccOptions, OutboxDelivery, PipelineMetrics, prometheusText, peekOriginator, PrevalidationPool, DEFAULT_KEEP_XML, RequestLogRetention } from './dcc/index.ts';
import { parseDuration, World, deviceView } from './world/index.ts';
import { API_MODULES, type ApiContext } from './api/index.ts';
import { startPortal, type RunningPortal } from './smki/index.ts';
import { adminAccess } from './security.ts';

// The HTTP face of dcc-sim: DUIS on /api/v1/serviceS|T|D as DCC Boxed has it, and a JSON API for
// request logs, asynchronous responses, devices and the clock.

export interface ServerOptions extends Partial<DccOptions> {
  db: string;
  host?: string;
  port?: number;
  logger?: boolean;
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
  /**
   * worker threads that parse DUIS requests and check their signatures beside the main thread
   * (src/dcc/prevalidation-pool.ts); 0 or absent = all in-thread. The CLI defaults to CPUs - 2.
   */
  workers?: number;
  /** the DUIS XSD file `xsd` was compiled from, so that the workers can run it too */
  xsdFile?: string;
  /** a sender's requests wait while this many of its asynchronous responses are untried (default 64; src/dcc/outbox.ts) */
  outboxAdmissionLimit?: number;
  /** the most recent requests whose DUIS XML the request log keeps (default 20,000; 0 = all; src/dcc/retention.ts) */
  requestLogKeep?: number;
  /** how often the request log is pruned (ms) */
  retentionMs?: number;
}

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
  close(): Promise<void>;
}

export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const admin = adminAccess({ host: o.host ?? '127.0.0.1', token: o.adminToken, envToken: process.env.DCC_SIM_ADMIN_TOKEN });
  const world = World.open(o.db);
  const maxRequestBytes = o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const dcc = new Dcc(world, { networkOperatorCheck: o.networkOperatorCheck ?? true, maxRequestBytes, xsd: o.xsd });
  const app = Fastify({
    logger: o.logger === false ? false : { level: process.env.DCC_SIM_LOG_LEVEL ?? 'info' },
    // A little above the DUIS limit so the pipeline, not Fastify, answers oversize requests in DUIS.
    bodyLimit: maxRequestBytes + 64 * 1024,
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key, ...(o.tls.ca ? { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true } : {}) } } : {}),
  }) as unknown as FastifyInstance;
  // Before any route: the console and JSON API need the admin token on an exposed listener.
  if (admin) app.addHook('onRequest', admin.hook);
  const outbox = new OutboxDelivery(dcc.gateway, world.store, {
    ...(o.outboxAdmissionLimit !== undefined ? { admissionLimit: o.outboxAdmissionLimit } : {}),
    log: (msg, extra) => app.log.info(extra ?? {}, msg),
  });
  dcc.on('outbox', () => outbox.kick());
  // Started once listening, so that their start-up does not delay the first answer; until a
  // worker is ready its requests are validated in-thread.
  let prevalidation: PrevalidationPool | undefined;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    // A DUIS body too large for the transport is still answered in DUIS and logged.
    const endpoint = /^\/api\/v1\/(serviceS|serviceT|serviceD)$/.exec(req.url)?.[1] as Endpoint | undefined;
    if (endpoint && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const answer = dcc.refuse(endpoint, 'parse:size', `request body exceeds ${maxRequestBytes} bytes (the DUIS size limit)`, Buffer.alloc(0));
      return reply
        .code(413)
        .header('content-type', 'application/xml; charset=utf-8')
        .header('x-dcc-sim-response-code', answer.responseCode)
        .header('x-dcc-sim-reason', headerSafe(answer.reason ?? ''))
        .send(answer.xml);
    }
    const status = err.statusCode ?? (err.name === 'PkiError' ? 400 : 500);
    if (status >= 500) app.log.error(err);
    reply.code(status < 400 ? 500 : status).send({ error: err.message });
  });

  for (const type of ['application/xml', 'text/xml']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  // Any other type reaches the handler too, so a DUIS endpoint answers it in DUIS (E100) and logs it.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const duis = (endpoint: Endpoint) => async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const ct = String(req.headers['content-type'] ?? '');
    const body = req.body as Buffer;
    const xml = /^(application|text)\/xml\b/i.test(ct);
    // Admission: the sender waits while its asynchronous responses are not keeping up.
    const admission = xml ? outbox.admit(peekOriginator(body)) : undefined;
    if (admission) await admission; // (no await otherwise: the check and the handling stay one step)
    const answer = xml
      ? prevalidation
        ? await prevalidation.run(body, (pre) => dcc.handle(endpoint, body, pre))
        : dcc.handle(endpoint, body)
      : dcc.refuse(endpoint, 'transport', `DUIS requests are Content-Type application/xml, got '${ct || 'none'}'`, Buffer.isBuffer(req.body) ? req.body : Buffer.from(String(req.body ?? '')).subarray(0, 4096));
    reply.header('content-type', 'application/xml; charset=utf-8').header('x-dcc-sim-response-code', answer.responseCode);
    if (answer.reason) reply.header('x-dcc-sim-reason', headerSafe(answer.reason));
    return reply.code(200).send(answer.xml);
  };
  app.post('/api/v1/serviceS', duis('serviceS'));
  app.post('/api/v1/serviceT', duis('serviceT'));
  app.post('/api/v1/serviceD', duis('serviceD'));

  app.get('/api/health', async () => ({ ok: true, devices: world.store.countDevices(), time: dcc.clock.now().toISOString() }));

  // Live figures for load tests: JSON, or the Prometheus text format (?format=prometheus, or an
  // Accept header that asks for text/plain or OpenMetrics, as Prometheus's scraper sends).
  const metrics = new PipelineMetrics(dcc);
  app.get('/api/metrics', async (req, reply) => {
    const pool = prevalidation?.stats();
    const m = metrics.snapshot(
      outbox.stats(),
      pool ? { prevalidated: pool.prevalidated, inThread: pool.inThread, restarts: pool.restarts, busySeconds: pool.lanes.map((l) => l.busySeconds) } : undefined,
    );
    const format = (req.query as Record<string, string | undefined>).format;
    const accept = String(req.headers.accept ?? '');
    if (format === 'prometheus' || (format === undefined && /text\/plain|openmetrics/i.test(accept) && !/application\/json/i.test(accept))) {
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(prometheusText(m));
    }
    if (format !== undefined && format !== 'json') return reply.code(400).send({ error: `format '${format}' is not json or prometheus` });
    return m;
  });

  app.get('/api/requests', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const list = dcc.gateway.listRequests({
      requestId: q.requestId,
      originatorEui: q.originator ? parseEui(q.originator) : undefined,
      targetEui: q.device ? parseEui(q.device) : undefined,
      afterId: q.after ? Number(q.after) : undefined,
      limit: q.limit ? Math.min(1000, Number(q.limit)) : 100,
    });
    return list.map((r) => ({
      id: r.id,
      receivedAt: r.receivedAt,
      endpoint: r.path,
      requestId: r.requestId,
      originator: r.originatorEui ? dashedEui(r.originatorEui) : null,
      device: r.targetEui ? dashedEui(r.targetEui) : null,
      serviceReferenceVariant: r.serviceVariant,
      commandVariant: r.commandVariant,
      responseCode: r.responseCode,
      reason: r.reason,
      failedStep: r.failedStep,
      steps: r.steps,
      changedCells: r.changedCells,
      // Older rows keep their outcome but not their XML (src/dcc/retention.ts): null, not ''.
      ...(q.full ? { requestXml: r.requestXml.length ? r.requestXml.toString('utf8') : null, responseXml: r.responseXml } : {}),
    }));
  });

  app.get('/api/responses', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.requestId) return reply.code(400).send({ error: 'requestId query parameter is required' });
    return dcc.gateway.responsesFor(q.requestId).map((r) => ({
      deliveryId: r.id,
      kind: r.kind,
      party: dashedEui(r.partyEui),
      requestId: r.requestId,
      responseId: r.responseId,
      responseCode: r.responseCode,
      createdAt: r.createdAt,
      delivered: r.deliveredAt !== null,
      deliveredAt: r.deliveredAt,
      attempts: r.attempts,
      lastError: r.lastError,
      xml: r.body,
    }));
  });

  app.get('/api/devices/:eui', async (req, reply) => {
    const { eui } = req.params as { eui: string };
    const d = world.store.getDevice(parseEui(eui));
    if (!d) return reply.code(404).send({ error: `no device ${eui}` });
    return deviceView(world, d);
  });

  app.get('/api/clock', async () => ({ now: dcc.clock.now().toISOString() }));
  app.post('/api/clock', async (req, reply) => {
    const b = (req.body ?? {}) as { set?: string; advance?: string; real?: boolean };
    if (b.real) dcc.clock.reset();
    else if (b.set) {
      const t = new Date(b.set);
      if (Number.isNaN(t.getTime())) return reply.code(400).send({ error: `'${b.set}' is not a date-time` });
      dcc.clock.set(t);
    } else if (b.advance) {
      try {
        dcc.clock.advance(parseDuration(b.advance));
      } catch (err) {
        return reply.code(400).send({ error: (err as Error).message });
      }
    } else return reply.code(400).send({ error: 'give one of set (ISO time), advance (e.g. "7d") or real: true' });
    dcc.runDueCommands();
    return { now: dcc.clock.now().toISOString() };
  });

  // Feature routes live in src/api/*.ts, each `register(app, ctx)`: add one line here per module.
  const ctx: ApiContext = { world, dcc, options: o };
  for (const register of API_MODULES) await register(app, ctx);


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
      dcc.clock.reload(); // the CLI may have moved the clock in the world file
      dcc.runDueCommands();
    } catch (err) {
      app.log.error(err, 'running due future-dated commands failed');
    }
  }, o.schedulerMs ?? 1000);
  scheduler.unref();

  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8079 });
  // Workers read the world file beside this process: an in-memory world has no file to share.
  const workers = o.db === ':memory:' || o.db === '' ? 0 : Math.max(0, Math.floor(o.workers ?? 0));
  if (workers > 0) {
    prevalidation = new PrevalidationPool({
      workers,
      world: o.db,
      maxRequestBytes,
      acceptOrganisationXmlSigners: dcc.validateOptions.acceptOrganisationXmlSigners === true,
      // Only with `xsd`: a request the workers cannot take is validated in-thread, which runs `xsd`.
      ...(o.xsd && o.xsdFile ? { xsdFile: o.xsdFile } : {}),
      log: (level, msg) => app.log[level](msg),
    });
  }
  let portal: RunningPortal | undefined;
  if (o.smkiPort !== undefined) {
    try {
      portal = await startPortal({ world, now: () => dcc.clock.now(), host: o.host ?? '127.0.0.1', port: o.smkiPort, logger: o.logger !== false });
    } catch (err) {
      if (o.smkiOptional && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        app.log.warn(`SMKI portal not started: port ${o.smkiPort} is in use`); // RunningServer.smkiUrl stays undefined
      } else {
        clearInterval(scheduler);
        clearInterval(pruner);
        await app.close();
        await prevalidation?.close();
        world.close();
        throw err;
      }
    }
  }
  outbox.start();
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
    async close() {
      clearInterval(scheduler);
      clearInterval(pruner);
      metrics.close();
      await outbox.stop();
      await portal?.close();
      await app.close();
      // After the listener: requests in flight still need the pool; what it holds is finished in-thread.
      await prevalidation?.close();
      world.close();
    },
  };
}

/** HTTP header values must be Latin-1 without control characters. */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}
