import type { FastifyInstance } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui, parseEui, type Eui } from '../../pki/index.ts';
import { CELL_GROUPS, CREDENTIALS_EVENTS, RecoveryOrderError, type CellGroup, type CredentialsEvent, type RecoveryResult } from '../dcc/index.ts';
import { devicesToRecover } from '../compliance/index.ts';
import { WorldError } from '../world/index.ts';
import { bareBodyIsEmpty, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// Credentials commands the DCC originates on its own (src/dcc/recovery.ts):
//   POST /api/recovery    the SMKI Recovery Event, the contingency event (root lost), or the WAN provider's or
//                         Transitional CoS party's own update, on named devices,
//                         or on every device whose network operator cells hold a party's certificates
// Each device's command is a row of the request log (path 'recovery'): the audit trail.

const ORDER = Type.Object({
  event: Type.Union(CREDENTIALS_EVENTS.map((e) => Type.Literal(e)), {
    description: 'recovery: CS02b anyExceptAbnormalRootByRecovery signed by the DCC\'s Recovery key; wan-provider: CS02b wanProviderByWanProvider on comms hubs; transitional-cos: CS02b transCoSByTransCoS; contingency: CS02b anyByContingency signed by the root\'s contingency key, replacing the root (with the world\'s root certificate) and the cells named; a device acts on its contingency key once',
  }),
  devices: Type.Optional(Type.Array(Type.String({ description: 'an EUI-64, dashes optional' }), { maxItems: 10_000, description: 'the devices; or give holding' })),
  holding: Type.Optional(Type.String({ description: 'every device whose network operator cells hold this party\'s certificates (an EUI-64), where registration names another operator' })),
  registeredTo: Type.Optional(Type.String({ description: 'with holding: only supply points now registered to this network operator' })),
  cells: Type.Optional(Type.Union(CELL_GROUPS.map((g) => Type.Literal(g)), { description: 'which cells are replaced (or give place)' })),
  certificatesOf: Type.Optional(Type.String({ description: 'whose current certificates go into them (an EUI-64); the ACB\'s may stand in a GPF\'s network operator cells (MP128)' })),
  place: Type.Optional(Type.Array(Type.Object({
    cells: Type.Union(CELL_GROUPS.map((g) => Type.Literal(g))),
    certificatesOf: Type.String({ description: 'an EUI-64, dashes optional' }),
  }), { minItems: 1, maxItems: 6, description: 'several cell groups in one command, instead of cells and certificatesOf (RTDS\'s recovery replaces eight cells at once)' })),
  reason: Type.String({ minLength: 1, description: 'why: kept in the request log with each command' }),
  requestedBy: Type.Optional(Type.String({ description: 'who ordered it (default: api)' })),
  applyTimeBasedCpvChecks: Type.Optional(Type.Boolean({ description: 'GBCS [1]; default as RTDS\'s commands: false for the recovery, true for the WAN provider\'s update' })),
});

const DEVICE_RESULT = {
  type: 'object',
  properties: {
    device: { $ref: 'Eui#' },
    requestLogId: { type: 'integer', description: 'the row of the request log (GET /api/requests, GET /api/console/requests/{id})' },
    requestId: { type: 'string', nullable: true, description: 'originator:device:counter of the GBCS command' },
    outcome: { type: 'string', description: 'I0 carried out (see replacements), E21 discarded by the device, else refused by the DCC (E19, E11, E4)' },
    reason: { type: 'string', nullable: true },
    changedCells: { type: 'array', items: { type: 'string' } },
    replacements: { type: 'array', items: { type: 'object', properties: { cell: { type: 'string' }, status: { type: 'integer' }, statusName: { type: 'string' } } } },
  },
};
const RESULT = {
  type: 'object',
  properties: {
    event: { type: 'string' },
    mode: { type: 'string', description: 'the CS02b credentials replacement mode' },
    messageCode: { type: 'string' },
    requestedBy: { type: 'string' },
    reason: { type: 'string' },
    carriedOut: { type: 'integer', description: 'devices whose every replacement succeeded' },
    failed: { type: 'integer' },
    devices: { type: 'array', items: DEVICE_RESULT },
  },
};
const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

function eui(text: string, what: string): Eui {
  try {
    return parseEui(text);
  } catch {
    throw new WorldError('bad-argument', `${what} '${text}' is not an EUI-64 (16 hex digits, dashes allowed)`);
  }
}

function placeOf(b: Static<typeof ORDER>): { cells: CellGroup; certificatesOf: Eui }[] {
  if (b.place) {
    if (b.cells !== undefined || b.certificatesOf !== undefined) throw new WorldError('bad-argument', 'give either place or cells and certificatesOf');
    return b.place.map((p, i) => ({ cells: p.cells as CellGroup, certificatesOf: eui(p.certificatesOf, `place[${i}].certificatesOf`) }));
  }
  if (b.cells === undefined || b.certificatesOf === undefined) throw new WorldError('bad-argument', 'cells and certificatesOf are required (or place)');
  return [{ cells: b.cells as CellGroup, certificatesOf: eui(b.certificatesOf, 'certificatesOf') }];
}

export function resultJson(r: RecoveryResult) {
  return { ...r, devices: r.devices.map((d) => ({ ...d, device: dashedEui(d.device) })) };
}

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/api/recovery', {
    schema: {
      tags: ['Recovery'],
      summary: 'Originate a credentials command as the DCC: the SMKI Recovery Event',
      description:
        'The DCC replaces cells of devices without a DUIS request: its Recovery party signs a CS02b anyExceptAbnormalRootByRecovery (any cell but the root), ' +
        'the SMKI PMA\'s root contingency key signs a CS02b anyByContingency (the root too; the device unwraps that key with the symmetric key the command carries, and spends it), ' +
        'or its WAN provider updates its own certificate in comms hubs. One command per device, each a row of the request log with who ordered it and why.',
      body: ORDER,
      response: { 200: answer('What each device did.', RESULT), 400: answer('The order is wrong; nothing was done.', ERROR), 404: answer('No such party.', ERROR) },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req: { body: Static<typeof ORDER> }, reply) => {
    const b = req.body;
    try {
      const devices = devicesToRecover(ctx.world, b);
      const result = ctx.dcc.recover({
        event: b.event as CredentialsEvent,
        devices,
        place: placeOf(b),
        reason: b.reason,
        requestedBy: b.requestedBy ?? 'api',
        ...(b.applyTimeBasedCpvChecks !== undefined ? { applyTimeBasedCpvChecks: b.applyTimeBasedCpvChecks } : {}),
      });
      return resultJson(result);
    } catch (err) {
      if (err instanceof RecoveryOrderError || (err instanceof WorldError && err.code === 'bad-argument')) return reply.code(400).send({ error: err.message });
      if (err instanceof WorldError && err.code.startsWith('unknown-')) return reply.code(404).send({ error: err.message });
      throw err;
    }
  });
}
