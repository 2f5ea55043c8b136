import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { WorldError } from '../world/index.ts';
import { bareBodyIsEmpty, BAD_REQUEST, CONFLICT, NOT_FOUND, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// Training sandboxes (src/sandboxes/): private copies of this world, each served under its
// baseUrl (/sandboxes/{id}/api/v1/serviceS, /sandboxes/{id}/api/...) with its own clock.
//   POST   /api/sandboxes               a new one, copied from the world now -> it (201)
//   GET    /api/sandboxes               those that exist
//   POST   /api/sandboxes/:id/reset     back to the copy taken at creation
//   DELETE /api/sandboxes/:id           gone, with its files
// Only the shared world makes them: a sandbox's own API has no /api/sandboxes.

export const SANDBOX_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', examples: ['3fa2c9d1'] },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    baseUrl: { type: 'string', description: 'prefix of its DUIS endpoints and JSON API on this server', examples: ['/sandboxes/3fa2c9d1'] },
    clock: { type: 'string', format: 'date-time', description: 'its simulated time now' },
    file: { type: 'string', description: 'its world file (to sign as its parties)' },
  },
};

const ID = Type.Object({ id: Type.String({ description: 'the sandbox id' }) });

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const sandboxes = ctx.sandboxes;
  if (!sandboxes || ctx.sandbox) return;
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const refuse = (reply: FastifyReply, err: unknown) => {
    if (!(err instanceof WorldError)) throw err;
    const status = err.code === 'no-sandbox' ? 404 : err.code === 'too-many-sandboxes' ? 429 : 400;
    return reply.code(status).send({ error: err.message });
  };

  app.post('/api/sandboxes', {
    schema: {
      tags: ['Sandboxes'],
      summary: 'A private copy of this world for a trainee or a test',
      description: "Copies the world as it is now (SQLite's online backup; a PostgreSQL world into a database of its own, which every server on the world serves) and serves the copy under its `baseUrl` with its own simulated clock; what is done there never reaches this world. The copy taken now is kept: a reset returns to it.",
      body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 80, description: 'what it is for, shown in the console', examples: ['trainee 3'] })) }),
      response: { 201: answer('The new sandbox.', SANDBOX_SCHEMA), 400: BAD_REQUEST, 429: CONFLICT('Too many sandboxes exist.') },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req, reply) => {
    try {
      return reply.code(201).send(await sandboxes.create(req.body.name));
    } catch (err) {
      return refuse(reply, err);
    }
  });

  app.get('/api/sandboxes', {
    schema: { tags: ['Sandboxes'], summary: 'The sandboxes of this world', response: { 200: answer('Oldest first.', { type: 'array', items: SANDBOX_SCHEMA }) } },
  }, async () => {
    await sandboxes.refresh(); // PostgreSQL: those another server on the world made too
    return sandboxes.list();
  });

  app.post('/api/sandboxes/:id/reset', {
    schema: {
      tags: ['Sandboxes'],
      summary: 'Back to the copy taken at creation',
      description: 'Its devices, request log, mailboxes and clock as they were when it was made.',
      params: ID,
      response: { 200: answer('The sandbox, reset.', SANDBOX_SCHEMA), 404: NOT_FOUND },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req, reply) => {
    try {
      return await sandboxes.reset(req.params.id);
    } catch (err) {
      return refuse(reply, err);
    }
  });

  app.delete('/api/sandboxes/:id', {
    schema: { tags: ['Sandboxes'], summary: 'Drop a sandbox and its files', params: ID, response: { 204: { description: 'Gone.' }, 404: NOT_FOUND } },
  }, async (req, reply) => {
    try {
      await sandboxes.drop(req.params.id);
      return reply.code(204).send();
    } catch (err) {
      return refuse(reply, err);
    }
  });
}
