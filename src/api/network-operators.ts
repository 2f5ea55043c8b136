import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { CeaseRefused, ceaseDccUser, strandedDevices, transferNetwork, type StrandedList } from '../compliance/index.ts';
import { WorldError } from '../world/index.ts';
import { bareBodyIsEmpty, reply as answer } from './schemas.ts';
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
function route<R, T>(fn: (req: R) => T) {
  return async (req: R, reply: FastifyReply) => {
    try {
      return fn(req);
    } catch (err) {
      if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message, ...err.body });
      throw err;
    }
  };
}

const ERROR = { type: 'object', properties: { error: { type: 'string' }, code: { type: 'string', description: 'the refusal, e.g. unknown-party, not-dcc-user' } }, required: ['error'], additionalProperties: true };
const EUI_PARAM = Type.Object({ eui: Type.String({ description: 'the party (a network operator); an EUI-64, dashes optional' }) });
const OBJECT = { type: 'object', additionalProperties: true };
// Fields are strings to the validator: the handlers name the one that is wrong, and why.
const TRANSFER = Type.Object({
  from: Type.Optional(Type.String({ description: 'required: the network operator today; an EUI-64, dashes optional' })),
  to: Type.Optional(Type.String({ description: 'required: the network operator taking over; an EUI-64, dashes optional' })),
  mpxnPrefix: Type.Optional(Type.String({ description: 'only the supply points whose MPxN starts so' })),
  limit: Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: 'stranded devices listed; a whole number, default 100, at most 10000' })),
});
const STRANDED_QUERY = Type.Object({
  registeredTo: Type.Optional(Type.String({ description: 'only supply points now registered to this network operator; an EUI-64, dashes optional' })),
  mpxnPrefix: Type.Optional(Type.String({ description: 'only the supply points whose MPxN starts so' })),
  limit: Type.Optional(Type.String({ description: 'a whole number, default 100, at most 10000' })),
  offset: Type.Optional(Type.String({ description: 'a whole number, default 0' })),
});

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { world, dcc } = ctx;

  const handle = <T>(fn: () => T) => {
    try {
      return fn();
    } catch (err) {
      return asHttp(err);
    }
  };

  app.post('/api/network-operators/transfer', {
    schema: {
      tags: ['Network operators'],
      summary: 'Move supply points to another network operator (registration data)',
      description: 'Registration data only: the devices keep the old operator\'s certificates until a 6.15.1 replaces them, so the answer lists the devices now stranded and the remedy for each.',
      body: TRANSFER,
      response: { 200: answer('What moved, and the stranded devices with their remedy.', OBJECT), 400: answer('A field is missing or wrong.', ERROR), 404: answer('No such party.', ERROR), 409: answer('Refused.', ERROR) },
    },
    preValidation: bareBodyIsEmpty,
  }, route((req: { body: Static<typeof TRANSFER> }) => {
    const b = req.body;
    const from = eui(b.from, 'from');
    const to = eui(b.to, 'to');
    const mpxnPrefix = typeof b.mpxnPrefix === 'string' ? b.mpxnPrefix : undefined;
    const t = handle(() => transferNetwork(world, { from, to, mpxnPrefix, limit: count(b.limit, 'limit', 100) }));
    return { ...t, from: { ...t.from, eui: dashedEui(t.from.eui) }, to: { ...t.to, eui: dashedEui(t.to.eui) }, stranded: strandedJson(t.stranded) };
  }));

  app.get('/api/network-operators/:eui/stranded', {
    schema: {
      tags: ['Network operators'],
      summary: "Devices still holding a network operator's certificates where it is no longer registered",
      params: EUI_PARAM,
      querystring: STRANDED_QUERY,
      response: { 200: answer('The total, and a page of devices with their remedy.', OBJECT), 400: answer('A parameter is wrong.', ERROR), 404: answer('No such party.', ERROR) },
    },
  }, route((req: { params: Static<typeof EUI_PARAM>; query: Static<typeof STRANDED_QUERY> }) => {
    const holder = eui(req.params.eui, 'eui');
    const q = req.query;
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

  app.post('/api/parties/:eui/cease-dcc-user', {
    schema: {
      tags: ['Network operators'],
      summary: 'Cease a party as DCC User (MP128A)',
      description: 'Refused (409) while devices still hold its certificates: the answer counts them and gives a sample.',
      params: EUI_PARAM,
      response: {
        200: answer('The party, no longer a DCC User.', OBJECT),
        400: answer('Not an EUI.', ERROR),
        404: answer('No such party.', ERROR),
        409: answer('Devices hold its certificates (devicesHoldingCertificates, sample), or it is not a DCC User.', ERROR),
      },
    },
  }, route((req: { params: Static<typeof EUI_PARAM> }) => {
    const party = eui(req.params.eui, 'eui');
    const r = handle(() => ceaseDccUser(world, party, dcc.clock.now()));
    return { ...r, party: { ...r.party, eui: dashedEui(r.party.eui) } };
  }));

}
