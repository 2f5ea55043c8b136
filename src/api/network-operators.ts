import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { CeaseRefused, ceaseDccUser, strandedDevices, transferNetwork, type StrandedList } from '../compliance/index.ts';
import { WorldError } from '../world/index.ts';
import type { ApiContext } from './index.ts';

// Changes of network operator (MP128A):
//   POST /api/network-operators/transfer            registration data: supply points to another operator
//   GET  /api/network-operators/:eui/stranded        devices still holding its certificates elsewhere
//   POST /api/parties/:eui/cease-dcc-user            refused (409) while devices hold its certificates

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function eui(text: unknown, what: string): string {
  if (typeof text !== 'string' || text === '') throw new HttpError(400, `${what} is required (an EUI-64)`);
  try {
    return parseEui(text);
  } catch {
    throw new HttpError(400, `${what} '${text}' is not an EUI-64 (16 hex digits, dashes allowed)`);
  }
}

function count(v: unknown, what: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `${what} must be a whole number`);
  return Math.min(n, 10_000);
}

/** WorldErrors as HTTP: unknown things 404, refusals 409, the rest 400. */
function asHttp(err: unknown): never {
  if (err instanceof CeaseRefused) {
    throw new HttpError(409, err.message, {
      devicesHoldingCertificates: err.refusal.devicesHoldingCertificates,
      sample: err.refusal.sample.map((d) => ({ ...d, eui: dashedEui(d.eui), registeredNetworkOperatorEui: d.registeredNetworkOperatorEui ? dashedEui(d.registeredNetworkOperatorEui) : null, supplierEui: d.supplierEui ? dashedEui(d.supplierEui) : null })),
    });
  }
  if (err instanceof WorldError) {
    const status = err.code.startsWith('unknown-') ? 404 : err.code === 'not-dcc-user' ? 409 : 400;
    throw new HttpError(status, err.message, { code: err.code });
  }
  throw err;
}

function strandedJson(s: StrandedList) {
  return {
    ...s,
    devices: s.devices.map((d) => ({
      ...d,
      eui: dashedEui(d.eui),
      registeredNetworkOperatorEui: d.registeredNetworkOperatorEui ? dashedEui(d.registeredNetworkOperatorEui) : null,
      supplierEui: d.supplierEui ? dashedEui(d.supplierEui) : null,
      remedy: d.remedy.map((r) => ({ ...r, sender: dashedEui(r.sender), certificatesOf: dashedEui(r.certificatesOf) })),
    })),
  };
}

/** A route whose HttpErrors are answered with their status and body (the server's error handler keeps only the message). */
function route<T>(fn: (req: FastifyRequest) => T) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return fn(req);
    } catch (err) {
      if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message, ...err.body });
      throw err;
    }
  };
}

export function register(app: FastifyInstance, ctx: ApiContext): void {
  const { world, dcc } = ctx;

  const handle = <T>(fn: () => T) => {
    try {
      return fn();
    } catch (err) {
      return asHttp(err);
    }
  };

  app.post('/api/network-operators/transfer', route((req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const from = eui(b.from, 'from');
    const to = eui(b.to, 'to');
    const mpxnPrefix = typeof b.mpxnPrefix === 'string' ? b.mpxnPrefix : undefined;
    const t = handle(() => transferNetwork(world, { from, to, mpxnPrefix, limit: count(b.limit, 'limit', 100) }));
    return { ...t, from: { ...t.from, eui: dashedEui(t.from.eui) }, to: { ...t.to, eui: dashedEui(t.to.eui) }, stranded: strandedJson(t.stranded) };
  }));

  app.get('/api/network-operators/:eui/stranded', route((req) => {
    const holder = eui((req.params as { eui: string }).eui, 'eui');
    const q = req.query as Record<string, string | undefined>;
    return strandedJson(
      handle(() =>
        strandedDevices(world, holder, {
          registeredTo: q.registeredTo ? eui(q.registeredTo, 'registeredTo') : undefined,
          mpxnPrefix: q.mpxnPrefix,
          limit: count(q.limit, 'limit', 100),
          offset: count(q.offset, 'offset', 0),
        }),
      ),
    );
  }));

  app.post('/api/parties/:eui/cease-dcc-user', route((req) => {
    const party = eui((req.params as { eui: string }).eui, 'eui');
    const r = handle(() => ceaseDccUser(world, party, dcc.clock.now()));
    return { ...r, party: { ...r.party, eui: dashedEui(r.party.eui) } };
  }));

}
