import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorldError } from '../world/index.ts';
import { revokeCertificate } from '../world/index.ts';
import { certificateJson } from '../smki/index.ts';
import { BAD_REQUEST, bareBodyIsEmpty, CONFLICT, NOT_FOUND, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// The SMKI repository's administration:
//   POST /api/certificates/:id/revoke  revoke a certificate, immediate for validation
// (The signed device CSR service is on the DUIS gateway: src/api/gateway.ts.)

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { world, dcc } = ctx;

  app.post('/api/certificates/:id/revoke', {
    schema: {
      tags: ['Certificates'],
      summary: 'Revoke a certificate of the SMKI repository',
      description: 'Immediate: the next request carrying it, or signed with it, is refused, and the SMKI portal shows it revoked (R).',
      params: Type.Object({ id: Type.String({ description: "the SMKI repository's certificate id; a whole number" }) }),
      // reason stays unknown to the validator: the handler answers a bad one with its own sentence
      body: Type.Object({ reason: Type.Optional(Type.Unknown({ description: 'a non-empty string of at most 200 characters; default keyCompromise' })) }),
      response: {
        200: answer('The certificate, now revoked.', { type: 'object', additionalProperties: true }),
        400: BAD_REQUEST,
        404: NOT_FOUND,
        409: CONFLICT('Already revoked.'),
      },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req, reply) => {
    const { id } = req.params;
    const body = req.body;
    if (!/^[0-9]{1,12}$/.test(id)) return reply.code(400).send({ error: `certificate id must be the repository id (a number), got '${id.slice(0, 40)}'` });
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length === 0 || body.reason.length > 200)) {
      return reply.code(400).send({ error: 'reason must be a non-empty string (at most 200 characters)' });
    }
    const reason = (body.reason as string | undefined) ?? 'keyCompromise';
    const at = dcc.clock.now();
    try {
      revokeCertificate(world, Number(id), reason, at);
    } catch (err) {
      if (err instanceof WorldError) return reply.code(err.code === 'already-revoked' ? 409 : 404).send({ error: err.message, code: err.code });
      throw err;
    }
    return certificateJson(world, world.certificate(Number(id)), at);
  });
}
