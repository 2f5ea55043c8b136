import type { FastifyInstance } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui } from '../../pki/index.ts';
import { WorldError } from '../world/index.ts';
import { bareBodyIsEmpty, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// The HAN side of local delivery: what a User's installer does with a command the DCC issued for local
// delivery (DUIS CV 2, 3), with a hand-held terminal at the premises. Not DUIS: the DCC does not carry it.
//   POST /api/han/local-delivery   the device receives the command and checks it then; its answer comes back
//                                  for the User's 8.13 Return Local Command Response, or, discarded, the
//                                  request's final outcome says why

const DELIVERY = Type.Object({
  gbcsPayload: Type.String({ minLength: 1, maxLength: 20_000, description: 'the GBCS command of the DCC\'s answer (LocalCommand), base64' }),
});
const RESULT = {
  type: 'object',
  properties: {
    requestId: { type: 'string', description: 'the request that obtained the command' },
    requestLogId: { type: 'integer' },
    device: { $ref: 'Eui#' },
    accepted: { type: 'boolean' },
    response: { type: 'string', description: 'accepted: the device\'s GBCS response, base64 (for 8.13)' },
    changedCells: { type: 'array', items: { type: 'string' } },
    reason: { type: 'string', description: 'discarded: why (the request\'s final outcome, E21)' },
    alertCode: { type: 'string' },
  },
};
const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/api/han/local-delivery', {
    schema: {
      tags: ['HAN'],
      summary: 'Deliver a command for local delivery to its device over the HAN',
      description:
        'The installer\'s hand-held terminal gives the device a command the DCC issued for local delivery. The device checks it on receipt ' +
        '(its cells now, not when the DCC issued it); a discarded command makes the request\'s final outcome E21 with the device\'s reason.',
      body: DELIVERY,
      response: { 200: answer('What the device made of it.', RESULT), 400: answer('Not a command the DCC issued for local delivery.', ERROR), 404: answer('No such device.', ERROR) },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req: { body: Static<typeof DELIVERY> }, reply) => {
    try {
      const r = ctx.dcc.deliverLocally(Buffer.from(req.body.gbcsPayload, 'base64'));
      return { ...r, device: dashedEui(r.device), ...(r.response ? { response: r.response.toString('base64') } : {}) };
    } catch (err) {
      if (err instanceof WorldError && err.code === 'bad-argument') return reply.code(400).send({ error: err.message });
      if (err instanceof WorldError && err.code.startsWith('unknown-')) return reply.code(404).send({ error: err.message });
      if (err instanceof Error && err.name === 'GbcsError') return reply.code(400).send({ error: `not a GBCS command: ${err.message}` });
      throw err;
    }
  });
}
