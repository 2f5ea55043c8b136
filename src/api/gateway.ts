import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { dashedEui } from '../../pki/index.ts';
import { buildResponse, Codes, unreadService, type Endpoint } from '../../service-requests/index.ts';
import { isStorageFault, storageFaultReason } from '../../db/index.ts';
import type { Dcc } from '../dcc/index.ts';
import type { OutboxDelivery } from '../dcc/index.ts';
import { Cancellation, peekOriginator, ReleasingSet, type PrevalidationPool } from '../dcc/index.ts';
import { META, type World } from '../world/index.ts';
import { deviceCsrAnswer, handleDeviceCsr, SmkiRefusal } from '../smki/index.ts';

// The DUIS gateway as a plugin: /api/v1/serviceS|T|D as DCC Boxed has them, and the SMKI device
// CSR service (MP074) on the same connection. A signed request is its own authentication, so the
// admin token hook of the JSON API and console plugins does not reach here; this plugin's content
// type parsers and error handler (DUIS answers, raw bytes) stay here too.

/**
 * Calls `gone` when the client of a request on `socket` goes away; returns the way to stop watching (the response
 * is out). A client that gives up usually just ends its side ('end'): Node keeps the socket half-open for the answer
 * and emits 'close' only after it, so 'end' is when it is known to be gone. A keep-alive socket carries many
 * requests, pipelined ones at once: it has one pair of listeners for all of them, not a pair each (which passed
 * Node's limit of ten listeners with eleven pipelined requests).
 */
const watchedSockets = new WeakMap<Socket, ReleasingSet<() => void>>();
function whenClientGoes(socket: Socket, gone: () => void): () => void {
  const watchers = watchedSockets.get(socket) ?? watchSocket(socket);
  const ticket = watchers.add(gone);
  return () => void watchers.delete(ticket);
}

// A ReleasingSet: a keep-alive socket's watchers of its requests, each holding its request whole (src/dcc/releasing.ts).
function watchSocket(socket: Socket): ReleasingSet<() => void> {
  const watchers = new ReleasingSet<() => void>();
  const goneAll = () => {
    for (const f of watchers.values()) f();
  };
  socket.once('end', goneAll);
  socket.once('close', goneAll);
  watchedSockets.set(socket, watchers);
  return watchers;
}

export interface GatewayOptions {
  world: World;
  dcc: Dcc;
  outbox: OutboxDelivery;
  /** the prevalidation workers once started (after listen), else undefined: all in-thread */
  prevalidation: () => PrevalidationPool | undefined;
  /** the DUIS size limit */
  maxRequestBytes: number;
}

/** HTTP header values must be Latin-1 without control characters. */
export function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

/** The RequestID of a request that could not be handled, when it has a well-formed one, to answer under it. */
function peekRequestId(body: Buffer): string | undefined {
  const head = body.subarray(0, 8192).toString('latin1');
  return /<(?:[A-Za-z_][\w.-]{0,64}:)?RequestID\b[^>]{0,256}>\s*([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}:[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}:\d{1,20})\s*</.exec(head)?.[1];
}

const DUIS_BODY = {
  description: 'A DUIS 5.4 request, signed (XMLDSig) by its originator with its XML signing key.',
  content: { 'application/xml': { schema: { type: 'string', description: 'a DUIS <sr:Request> with its ds:Signature' } } },
};
const DUIS_ANSWER = {
  description:
    '200 with signed DUIS XML: the synchronous acknowledgement or response (I0, I99, 0, ...), a pre-command to sign (serviceT), or an error response (E...) when the request is refused; the response code is also in the X-DCC-Sim-Response-Code header and a refusal\'s reason in X-DCC-Sim-Reason. Asynchronous responses go to the party\'s Receive Response Service.',
  content: { 'application/xml': { schema: { type: 'string', description: 'a signed DUIS <sr:Response>' } } },
};
const DUIS_TOO_LARGE = { ...DUIS_ANSWER, description: 'The body is larger than the DUIS size limit: a signed DUIS error response, logged like any refusal.' };
const DUIS_UNAVAILABLE = {
  ...DUIS_ANSWER,
  description: 'Not acted on, send it again (Retry-After): the sender waited too long for admission (its asynchronous responses are not being taken), or the world file cannot be written (disk full, read-only). A signed DUIS error (E100) with the reason in X-DCC-Sim-Reason.',
};

const SERVICES: Record<Endpoint, string> = {
  serviceS: 'Non-critical service requests and signed pre-commands (command variant 5)',
  serviceT: 'Critical service requests to be transformed (command variant 4): answered with the GBCS pre-command for the user to sign',
  serviceD: 'Requests for the DCC itself (e.g. 8.2 Read Inventory)',
};

export async function gatewayPlugin(app: FastifyInstance, o: GatewayOptions): Promise<void> {
  const { world, dcc, outbox, maxRequestBytes } = o;

  // JSON and plain text too reach the handler as bytes, refused in DUIS and logged (Fastify's own
  // JSON parser answered invalid JSON with a plain 400 that no request log saw).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  for (const type of ['application/xml', 'text/xml', 'application/pkcs10', 'application/octet-stream', 'application/x-pem-file']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  // Any other type reaches the handler too, so a DUIS endpoint answers it in DUIS (E100) and logs it.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // The body schemas below describe raw bytes for the OpenAPI document; the pipeline parses and
  // checks them itself (safe XML parsing, XSD, signature) and answers in DUIS, so Fastify does not.
  app.setValidatorCompiler(() => () => true);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    // A DUIS body too large for the transport is still answered in DUIS and logged.
    const endpoint = /^\/api\/v1\/(serviceS|serviceT|serviceD)$/.exec(req.url)?.[1] as Endpoint | undefined;
    if (endpoint && isStorageFault(err)) return unavailable(endpoint, Buffer.alloc(0), err, reply);
    if (endpoint && err.code?.startsWith('FST_ERR_CTP_') && err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // any other body Fastify could not read (a bad Content-Length, a broken Content-Type): in DUIS, logged
      try {
        const answer = dcc.refuse(endpoint, 'transport', `the request body could not be read: ${err.message}`, Buffer.alloc(0));
        return reply.code(400).header('content-type', 'application/xml; charset=utf-8').header('x-dcc-sim-response-code', answer.responseCode).header('x-dcc-sim-reason', headerSafe(answer.reason ?? '')).send(answer.xml);
      } catch (e) {
        if (isStorageFault(e)) return unavailable(endpoint, Buffer.alloc(0), e, reply);
        throw e;
      }
    }
    if (endpoint && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      let answer;
      try {
        answer = dcc.refuse(endpoint, 'parse:size', `request body exceeds ${maxRequestBytes} bytes (the DUIS size limit)`, Buffer.alloc(0));
      } catch (e) {
        if (isStorageFault(e)) return unavailable(endpoint, Buffer.alloc(0), e, reply);
        throw e;
      }
      return reply
        .code(413)
        .header('content-type', 'application/xml; charset=utf-8')
        .header('x-dcc-sim-response-code', answer.responseCode)
        .header('x-dcc-sim-reason', headerSafe(answer.reason ?? ''))
        .send(answer.xml);
    }
    if (isStorageFault(err)) {
      app.log.error(storageFaultReason(err));
      return reply.code(503).header('retry-after', '5').send({ error: `${storageFaultReason(err)}; nothing was done: try again when the storage is back` });
    }
    const status = err.statusCode ?? (err.name === 'PkiError' ? 400 : 500);
    if (status >= 500) app.log.error(err);
    return reply.code(status < 400 ? 500 : status).send({ error: err.message });
  });

  // While the storage fails (disk full, read-only or vanished file) nothing can be committed, so
  // nothing is acted on and nothing can be logged: the sender gets a signed DUIS error saying so,
  // with 503 and Retry-After (send it again), and the reason goes to the server log.
  const unavailable = (endpoint: Endpoint, body: Buffer, err: Error & { code: string }, reply: FastifyReply) => {
    const reason = `${storageFaultReason(err)}; the request was not acted on: send it again when the storage is back`;
    app.log.error({ endpoint, code: err.code }, reason);
    const unread = unreadService(endpoint);
    const requestId = peekRequestId(body);
    const xml = dcc.sign(buildResponse({ ...(requestId ? { requestId } : {}), responseCode: Codes.invalidRequest, responseDateTime: dcc.clock.now(), serviceReference: unread.serviceReference, serviceReferenceVariant: unread.serviceReferenceVariant }));
    return reply
      .code(503)
      .header('retry-after', '5')
      .header('content-type', 'application/xml; charset=utf-8')
      .header('x-dcc-sim-response-code', Codes.invalidRequest)
      .header('x-dcc-sim-reason', headerSafe(reason))
      .send(xml);
  };

  const duis = (endpoint: Endpoint) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await handleDuis(endpoint, req, reply);
    } catch (err) {
      if (isStorageFault(err)) return unavailable(endpoint, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), err, reply);
      throw err;
    }
  };
  const handleDuis = async (endpoint: Endpoint, req: FastifyRequest, reply: FastifyReply) => {
    const ct = String(req.headers['content-type'] ?? '');
    const body = req.body as Buffer; // every parser of this plugin gives a Buffer
    const xml = /^(application|text)\/xml\b/i.test(ct);
    // A client that went away (gave up, timed out) is never acted on afterwards: it may send again.
    const gone = new Cancellation();
    const onClose = () => {
      if (!reply.raw.writableEnded) gone.abort(new Error('the client went away'));
    };
    const unwatch = whenClientGoes(req.raw.socket, onClose);
    reply.raw.once('close', () => {
      onClose();
      unwatch();
    });
    // A request a worker ran whole is committed as it ran it, unless what it read has changed since:
    // then it is run again here (src/dcc/speculation.ts).
    const act = (pre?: Parameters<Dcc['handle']>[2], speculation?: Parameters<Dcc['commitSpeculation']>[0]) =>
      gone.aborted
        ? dcc.refuse(endpoint, 'admission', 'the client went away before the request was handled: not acted on', body)
        : (speculation && dcc.commitSpeculation(speculation)) || dcc.handle(endpoint, body, pre);
    // Admission: the sender waits while its asynchronous responses are not keeping up, but only so
    // long (OutboxOptions.admissionWaitMs); then it is told, in DUIS, that nothing was done.
    const originator = xml ? peekOriginator(body) : null;
    const admission = xml ? outbox.admit(originator, gone) : undefined;
    if (admission) {
      // (no await otherwise: the check and the handling stay one step)
      const a = await admission;
      if (!a.admitted) {
        const reason = a.why === 'gone'
          ? `the client went away after waiting ${a.waitedMs} ms for admission: not acted on`
          : `held ${a.waitedMs} ms for admission: ${dashedEui(originator!)}'s asynchronous responses are not being taken by its Receive Response Service; not acted on, send it again later`;
        const refused = dcc.refuse(endpoint, 'admission', reason, body);
        return reply
          .code(503)
          .header('retry-after', '5')
          .header('content-type', 'application/xml; charset=utf-8')
          .header('x-dcc-sim-response-code', refused.responseCode)
          .header('x-dcc-sim-reason', headerSafe(reason))
          .send(refused.xml);
      }
    }
    const pool = o.prevalidation();
    const answer = xml
      ? pool
        ? await pool.run(body, (pre, speculation) => act(pre, speculation), endpoint)
        : act()
      : dcc.refuse(endpoint, 'transport', `DUIS requests are Content-Type application/xml, got '${ct || 'none'}'`, Buffer.isBuffer(req.body) ? req.body : Buffer.from(String(req.body ?? '')).subarray(0, 4096));
    reply.header('content-type', 'application/xml; charset=utf-8').header('x-dcc-sim-response-code', answer.responseCode);
    if (answer.reason) reply.header('x-dcc-sim-reason', headerSafe(answer.reason));
    return reply.code(200).send(answer.xml);
  };
  for (const endpoint of ['serviceS', 'serviceT', 'serviceD'] as const) {
    app.post(`/api/v1/${endpoint}`, {
      schema: {
        tags: ['DUIS'],
        summary: SERVICES[endpoint],
        description: 'Signed DUIS in, signed DUIS out. The request is validated as the DCC does (XML schema, signature, counter, user role, registration data, certificates, the network operator checks) and, when accepted, the GBCS command reaches the emulated device in the same transaction. Any other Content-Type is refused in DUIS too.',
        body: DUIS_BODY,
        response: { 200: DUIS_ANSWER, 413: DUIS_TOO_LARGE, 503: DUIS_UNAVAILABLE },
      },
    }, duis(endpoint));
  }

  // The Ad Hoc Device CSR service (MP074), over the gateway connection only.
  const deviceCsr = async (req: FastifyRequest, reply: FastifyReply) => {
    const json = /json/i.test(String(req.headers.accept ?? ''));
    let outcome;
    try {
      outcome = handleDeviceCsr(
        { world, now: () => dcc.clock.now(), via: 'gateway', acceptOrganisationXmlSigners: world.store.getMeta(META.profile) === 'zaz1' },
        Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      );
      req.log.info({ device: dashedEui(outcome.deviceEui), usage: outcome.keyUsage, serial: outcome.serialHex, existing: outcome.existing }, 'device certificate issued');
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      outcome = err;
      reply.header('x-dcc-sim-reason', headerSafe(err.reason)).header('x-dcc-sim-refusal', err.code);
    }
    const a = deviceCsrAnswer(outcome, json);
    return reply.code(a.status).header('content-type', a.contentType).send(a.body);
  };
  const csrSchema = (path: string) => ({
    tags: ['DUIS'],
    summary: path === '/smki/device-csr' ? 'Request a device certificate (Ad Hoc Device CSR, MP074)' : 'Request a device certificate (DCC Boxed\'s path for the same service)',
    description: 'A signed DeviceCSRRequest (XML) carrying a PKCS#10 CSR for a device in the inventory, from a party allowed to request its certificates. Answered in XML, or JSON with `Accept: application/json`; a refusal also carries X-DCC-Sim-Refusal and X-DCC-Sim-Reason.',
    body: { description: 'a signed DeviceCSRRequest', content: { 'application/xml': { schema: { type: 'string' } } } },
    response: {
      '2xx': { description: 'The device certificate: 201 issued, 200 already issued for this key.', content: { 'application/xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
      '4xx': { description: 'Refused: the reason, in the same format.', content: { 'application/xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
    },
  });
  app.post('/smki/device-csr', { schema: csrSchema('/smki/device-csr') }, deviceCsr);
  app.post('/services/devicecsr', { schema: csrSchema('/services/devicecsr') }, deviceCsr);
}
