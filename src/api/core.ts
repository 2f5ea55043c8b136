import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { isFailureCode, prometheusText } from '../dcc/index.ts';
import { deviceView, parseDuration } from '../world/index.ts';
import { BAD_REQUEST, bareBodyIsEmpty, NOT_FOUND, ref, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';
import { serviceCatalogue } from '../../service-requests/index.ts';

// The gateway's own JSON: the request log, asynchronous responses, a device's record, the
// simulated clock and the live figures for load tests.

const EUI = (description: string) => Type.String({ description: `${description}; an EUI-64, dashes optional` });

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { world, dcc, metrics, outbox } = ctx;

  // Live figures for load tests: JSON, or the Prometheus text format (?format=prometheus, or an
  // Accept header that asks for text/plain or OpenMetrics, as Prometheus's scraper sends).
  app.get('/api/metrics', {
    schema: {
      tags: ['World'],
      summary: 'Live figures for load tests (JSON or Prometheus text)',
      description:
        'Requests by endpoint and response code, by final outcome (`byFinalResponseCode`, `byOutcome`, `deviceRefusals` by GBCS alert code) and the asynchronous responses and alerts queued by kind and code, requests/s, each pipeline stage\'s mean/p50/p99 over the last 1,000 requests (persistence included), how busy the main thread and any prevalidation workers are, the outbox backlog, deliveries and failed attempts, undelivered responses that cannot go out by reason (`outbox.undeliverable.byReason`: `no-url`, the party has no Receive Response Service URL; `receiver-failing`, its last attempt failed), requests held by admission control, the world store\'s transactions rolled back and run again (`store.transactionRetries`, by SQLSTATE: on PostgreSQL, serialization failures 40001 and deadlocks 40P01 with other requests or servers; always 0 on SQLite), a served SQLite world file\'s WAL (`store.wal`: its size in frames, the checkpointer thread\'s passes and the RESTARTs that started it over, and the write transactions that waited for one to end), and memory; on the shared world, `sandboxes`: the requests handled in each training sandbox (the same counts as `requests`, by sandbox id; `/sandboxes/{id}/api/metrics` is that sandbox\'s own). On a PostgreSQL world several servers serve, `requests` and `asynchronous` count every server\'s requests (heard as each commits, since this server started), `server` names this server and counts its own, and `scope` lists which figures are the world\'s and which this server\'s alone (stage timings, the main thread, deliveries, admission, memory); in Prometheus, `dcc_sim_server_*` are this server\'s own. JSON by default; the Prometheus text format (0.0.4) with `?format=prometheus` or an `Accept` header asking for `text/plain` or OpenMetrics (without `application/json`), as a scraper sends.',
      querystring: Type.Object({ format: Type.Optional(Type.String({ description: 'json (the default) or prometheus' })) }),
      response: {
        200: {
          description: 'The figures.',
          content: {
            'application/json': { schema: { type: 'object', additionalProperties: true, description: 'requests, server and scope (PostgreSQL), sandboxes, stages, mainThread, prevalidation, outbox, admission, store, memory' } },
            'text/plain': { schema: { type: 'string', description: 'the Prometheus text exposition format, dcc_sim_* metrics' } },
          },
        },
        400: BAD_REQUEST,
      },
    },
  }, async (req, reply) => {
    const pool = ctx.prevalidation()?.stats();
    const m = metrics.snapshot(
      outbox.stats(),
      pool
        ? {
          prevalidated: pool.prevalidated, inThread: pool.inThread, restarts: pool.restarts, keyAgreements: pool.agreements, busySeconds: pool.lanes.map((l) => l.busySeconds),
          ready: pool.lanes.filter((l) => l.ready).length,
          ...(pool.speculating ? { speculated: { committed: dcc.speculations.committed, conflicts: dcc.speculations.conflicts } } : {}),
        }
        : undefined,
      // the shared world's figures name each training sandbox's requests too (a sandbox's own are its world's alone)
      ctx.sandboxes && !ctx.sandbox ? ctx.sandboxes.figures() : undefined,
    );
    const format = req.query.format;
    const accept = String(req.headers.accept ?? '');
    if (format === 'prometheus' || (format === undefined && /text\/plain|openmetrics/i.test(accept) && !/application\/json/i.test(accept))) {
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(prometheusText(m));
    }
    if (format !== undefined && format !== 'json') return reply.code(400).send({ error: `format '${format}' is not json or prometheus` });
    return m;
  });

  // The service registry as users see it: what dcc-sim carries out, and how to send each.
  app.get('/api/services', {
    schema: {
      tags: ['DUIS'],
      summary: 'The DUIS service request variants dcc-sim carries out',
      response: {
        200: answer('One entry per registered variant, in registry order.', {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              variant: { type: 'string' }, reference: { type: 'string' }, name: { type: 'string', description: 'as the DUIS service matrix names it' },
              displayName: { type: 'string' }, critical: { type: 'boolean' }, nonDevice: { type: 'boolean' },
              bodyElement: { type: 'string' }, endpoints: { type: 'object', additionalProperties: { type: 'string' }, description: 'CommandVariant to endpoint' },
              userRoles: { type: 'array', items: { type: 'string' } },
            },
          },
        }),
      },
    },
  }, async () => serviceCatalogue());

  app.get('/api/requests', {
    schema: {
      tags: ['Requests'],
      summary: 'The request log (newest first)',
      querystring: Type.Object({
        requestId: Type.Optional(Type.String({ description: 'the DUIS RequestID' })),
        originator: Type.Optional(EUI('the sender')),
        device: Type.Optional(EUI('the target device')),
        // patterns, so that 'abc' is a 400 naming the parameter rather than SQLite's 500
        after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'only log entries with a greater id; a whole number' })),
        limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'a whole number, default 100, at most 1000' })),
        full: Type.Optional(Type.String({ description: 'any value: include the request and response XML (null where the request log no longer keeps it)' })),
      }),
      description:
        '`responseCode` and `reason` are the synchronous answer (the acknowledgement I99, an I0, or the refusal); `finalResponseCode`, `finalReason` and `outcome` are the final outcome: for a command the device discarded after the DCC acknowledged it, E21 with the device\'s reason and `deviceAlertCode`, its GBCS alert code.',
      response: { 200: answer('Log entries with outcome, steps and changed cells.', { type: 'array', items: { type: 'object', additionalProperties: true } }), 400: BAD_REQUEST },
    },
  }, async (req) => {
    const q = req.query;
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
      // the final outcome beside the acknowledgement: acknowledged then refused by the device is a failure
      finalResponseCode: r.finalResponseCode,
      finalReason: r.finalReason,
      deviceAlertCode: r.deviceAlertCode,
      outcome: isFailureCode(r.finalResponseCode) ? 'failure' : 'success',
      steps: r.steps,
      changedCells: r.changedCells,
      // Older rows keep their outcome but not their XML (src/dcc/retention.ts): null, not ''.
      ...(q.full ? { requestXml: r.requestXml.length ? r.requestXml.toString('utf8') : null, responseXml: r.responseXml } : {}),
    }));
  });

  app.get('/api/responses', {
    schema: {
      tags: ['Requests'],
      summary: 'Asynchronous responses and alerts for a request',
      // optional to the validator so that its absence keeps its own message
      querystring: Type.Object({ requestId: Type.Optional(Type.String({ description: 'required: the DUIS RequestID' })) }),
      response: { 200: answer('What the outbox holds for the request, delivered or not.', { type: 'array', items: { type: 'object', additionalProperties: true } }), 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    const { requestId } = req.query;
    if (!requestId) return reply.code(400).send({ error: 'requestId query parameter is required' });
    return dcc.gateway.responsesFor(requestId).map((r) => ({
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

  app.get('/api/devices/:eui', {
    schema: {
      tags: ['Devices'],
      summary: "A device's record, registration and cells (the CLI's view)",
      params: Type.Object({ eui: EUI('the device') }),
      response: { 200: answer('The device, its supply point and its cells with their certificates.', { type: 'object', additionalProperties: true }), 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const { eui } = req.params;
    const d = world.store.getDevice(parseEui(eui));
    if (!d) return reply.code(404).send({ error: `no device ${eui}` });
    return deviceView(world, d);
  });

  app.get('/api/clock', {
    schema: { tags: ['World'], summary: 'The simulated time', response: { 200: answer("Now, by the world's clock.", ref('Clock')) } },
  }, async () => {
    dcc.clock.reload(); // another process on the world may have moved it
    return { now: dcc.clock.now().toISOString() };
  });

  app.post('/api/clock', {
    schema: {
      tags: ['World'],
      summary: 'Set, advance or reset the simulated time',
      description: 'Give exactly one of `set`, `advance` or `real`. Future-dated commands that fall due run at once.',
      body: Type.Object({
        set: Type.Optional(Type.String({ description: 'jump to this time (ISO 8601)', examples: ['2026-11-03T12:00:00Z'] })),
        advance: Type.Optional(Type.String({ description: 'a duration such as 90s, 15m, 2h, 7d', examples: ['7d'] })),
        real: Type.Optional(Type.Boolean({ description: 'true: follow the real clock again' })),
      }),
      response: { 200: answer('The new time.', ref('Clock')), 400: BAD_REQUEST },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req, reply) => {
    const b = req.body;
    try {
      if (b.real) dcc.clock.reset();
      else if (b.set) {
        const t = new Date(b.set);
        if (Number.isNaN(t.getTime())) return reply.code(400).send({ error: `'${b.set}' is not a date-time` });
        dcc.clock.set(t);
      } else if (b.advance) dcc.clock.advance(parseDuration(b.advance));
      else return reply.code(400).send({ error: 'give one of set (ISO time), advance (e.g. "7d") or real: true' });
    } catch (err) {
      // out of range or not a duration: the clock did not move
      if (err instanceof RangeError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    dcc.runDueCommands();
    return { now: dcc.clock.now().toISOString() };
  });
}
