import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { certificateToPem, parseEui } from '../../pki/index.ts';
import type { World } from '../world/index.ts';
import { parseRetrieveRequest, parseSearchRequest, refusalResponse, retrieveResponse, searchResponse } from './boxed-xml.ts';
import { deviceCsrAnswer, handleDeviceCsr } from './device-csr.ts';
import { certificateJson, organisationCertificatesZip, retrievePortal, searchPortal, type CertificateStatusLetter, type PortalQuery } from './repository.ts';
import { SmkiRefusal } from './refusal.ts';
import { MAX_SMKI_XML_BYTES } from './xml.ts';

// The SMKI portal interface: a listener of its own (DCC Boxed has it on 8083) serving the SMKI
// repository's organisation and CA certificates — search, retrieval, a bulk download — in DCC
// Boxed's XML shape and as JSON. It never serves device certificates and never accepts device CSRs
// (MP074: those go over the DCC Gateway connection only).

export interface PortalOptions {
  world: World;
  /** the DCC's (simulated) time: certificate status */
  now(): Date;
  logger?: boolean;
  /** its per-request log lines (the gateway's, src/server.ts RequestLog); default none */
  logController?: LogController;
}

export interface RunningPortal {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

function refusalHeaders(reply: FastifyReply, r: SmkiRefusal): FastifyReply {
  return reply.code(r.status).header('x-dcc-sim-reason', headerSafe(r.reason)).header('x-dcc-sim-refusal', r.code);
}

function numberParam(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new SmkiRefusal(400, 'bad-request', `${name} must be a number (decimal, or hex like 0x87), got '${text.slice(0, 20)}'`);
  return n;
}

function euiParam(name: string, text: string | undefined) {
  if (text === undefined || text === '') return undefined;
  try {
    return parseEui(text);
  } catch (err) {
    throw new SmkiRefusal(400, 'bad-request', `${name}: ${(err as Error).message}`);
  }
}

// The JSON routes' parameters, for their types. They stay strings, as the portal has always taken
// them: jsonQuery() checks them and answers in the portal's own terms (400 bad-request with why).
const SEARCH_QUERY = Type.Object({
  eui: Type.Optional(Type.String({ description: 'subject EUI-64 (the organisation)' })),
  deviceEui: Type.Optional(Type.String({ description: 'subjectAltName EUI-64' })),
  role: Type.Optional(Type.String({ description: 'remote party role, decimal or hex like 0x87' })),
  usage: Type.Optional(Type.String({ description: 'DS, KA or CA' })),
  serial: Type.Optional(Type.String()),
  ski: Type.Optional(Type.String()),
  status: Type.Optional(Type.String({ description: 'P, I, N, E or R' })),
  kind: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String({ description: 'a whole number' })),
});
const CERTIFICATE = {
  params: Type.Object({ serial: Type.String({ description: 'the serial number, hex' }) }),
  querystring: Type.Object({ format: Type.Optional(Type.String({ description: 'json (the default), pem or der' })) }),
};

/** JSON search parameters: eui, deviceEui, role, usage, serial, ski, status, kind, limit. */
function jsonQuery(q: Record<string, string | undefined>): PortalQuery {
  const known = new Set(['eui', 'deviceEui', 'role', 'usage', 'serial', 'ski', 'status', 'kind', 'limit']);
  const unknown = Object.keys(q).find((k) => !known.has(k));
  if (unknown) throw new SmkiRefusal(400, 'bad-request', `unknown parameter '${unknown}' (${[...known].join(', ')})`);
  if (q.usage !== undefined && !['DS', 'KA', 'CA'].includes(q.usage)) throw new SmkiRefusal(400, 'bad-request', `usage must be DS, KA or CA, got '${q.usage.slice(0, 20)}'`);
  if (q.status !== undefined && !['P', 'I', 'N', 'E', 'R'].includes(q.status)) throw new SmkiRefusal(400, 'bad-request', `status must be one of P, I, N, E, R, got '${q.status.slice(0, 20)}'`);
  return {
    subjectEui: euiParam('eui', q.eui),
    subjectAltNameEui: euiParam('deviceEui', q.deviceEui),
    role: numberParam('role', q.role),
    usage: q.usage,
    serial: q.serial || undefined,
    ski: q.ski || undefined,
    status: q.status as CertificateStatusLetter | undefined,
    kind: q.kind || undefined,
    limit: numberParam('limit', q.limit),
  };
}

/** The portal's routes on a Fastify instance of its own. */
export async function buildPortalApp(o: PortalOptions): Promise<FastifyInstance> {
  const { world } = o;
  const app = Fastify({ logger: o.logger === true ? { level: process.env.DCC_SIM_LOG_LEVEL ?? 'info' } : false, logController: o.logController ?? new LogController({ disableRequestLogging: true }), bodyLimit: MAX_SMKI_XML_BYTES + 16 * 1024 }).withTypeProvider<TypeBoxTypeProvider>();
  for (const type of ['application/xml', 'text/xml', 'application/pkcs10', 'application/octet-stream']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  const xml = (reply: FastifyReply, status: number, body: string) => reply.code(status).header('content-type', 'application/xml; charset=utf-8').send(body);
  const bodyOf = (b: unknown): Buffer => (Buffer.isBuffer(b) ? b : Buffer.alloc(0));

  app.get('/api/health', async () => ({ ok: true, service: 'SMKI portal interface', serves: 'organisation and CA certificates (MP074: no device certificates)' }));

  // DCC Boxed's SMKI web service.
  app.post('/services/certificatesearch', async (req, reply) => {
    try {
      const found = searchPortal(world, parseSearchRequest(bodyOf(req.body)), o.now());
      if (found.length === 0) return xml(reply, 402, refusalResponse('CertificateSearchResponse', new SmkiRefusal(402, 'not-found', 'no certificate matches')));
      return xml(reply, 200, searchResponse(found, o.now()));
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      return xml(refusalHeaders(reply, err), err.status, refusalResponse('CertificateSearchResponse', err));
    }
  });
  app.post('/services/retrievecertificate', async (req, reply) => {
    try {
      const c = retrievePortal(world, parseRetrieveRequest(bodyOf(req.body)));
      return xml(reply, 200, retrieveResponse(c, o.now()));
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      const r = err.status === 404 ? new SmkiRefusal(402, err.code, err.reason) : err; // DCC Boxed answers 402 for "no such certificate"
      return xml(refusalHeaders(reply, r), r.status, refusalResponse('CertificateDataResponse', r));
    }
  });

  // JSON.
  app.get('/api/certificates', { schema: { querystring: SEARCH_QUERY } }, async (req, reply) => {
    try {
      const found = searchPortal(world, jsonQuery(req.query), o.now());
      return found.map((c) => certificateJson(world, c, o.now()));
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      return refusalHeaders(reply, err).send({ error: err.reason, code: err.code });
    }
  });
  app.get('/api/certificates/:serial', { schema: CERTIFICATE }, async (req, reply) => {
    const { serial } = req.params;
    const { format } = req.query;
    try {
      if (format !== undefined && !['json', 'pem', 'der'].includes(format)) throw new SmkiRefusal(400, 'bad-request', `format must be json, pem or der, got '${format.slice(0, 20)}'`);
      const c = retrievePortal(world, serial);
      if (format === 'pem') return reply.header('content-type', 'application/x-pem-file').send(certificateToPem(c.der));
      if (format === 'der') return reply.header('content-type', 'application/pkix-cert').header('content-disposition', `attachment; filename="${c.serialHex}.cer"`).send(c.der);
      return certificateJson(world, c, o.now(), true);
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      return refusalHeaders(reply, err).send({ error: err.reason, code: err.code });
    }
  });

  // Every organisation and CA certificate in one download.
  const zip = async (_req: unknown, reply: FastifyReply) =>
    reply.header('content-type', 'application/zip').header('content-disposition', 'attachment; filename="org-certs.zip"').send(organisationCertificatesZip(world, o.now()));
  app.get('/org-certs.zip', zip);
  app.get('/assets/crypto/org-certs.zip', zip);

  // MP074: device CSRs are refused on this interface, whatever they carry.
  const deviceCsr = async (req: import('fastify').FastifyRequest, reply: FastifyReply) => {
    const json = /json/i.test(String(req.headers.accept ?? ''));
    let outcome;
    try {
      outcome = handleDeviceCsr({ world, now: o.now, via: 'portal' }, bodyOf(req.body));
    } catch (err) {
      if (!(err instanceof SmkiRefusal)) throw err;
      outcome = err;
    }
    const a = deviceCsrAnswer(outcome, json);
    if (outcome instanceof SmkiRefusal) refusalHeaders(reply, outcome);
    return reply.code(a.status).header('content-type', a.contentType).send(a.body);
  };
  app.post('/smki/device-csr', deviceCsr);
  app.post('/services/devicecsr', deviceCsr);

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode ?? (err.name === 'PkiError' ? 400 : 500);
    if (status >= 500) app.log.error(err);
    reply.code(status < 400 ? 500 : status).send({ error: err.message });
  });
  return app;
}

/** Starts the portal listener. */
export async function startPortal(o: PortalOptions & { host?: string; port?: number }): Promise<RunningPortal> {
  const app = await buildPortalApp(o);
  try {
    await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8083 });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const url = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  return {
    app,
    url,
    async close() {
      await app.close();
    },
  };
}
