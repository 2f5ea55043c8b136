import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dashedEui } from '../../pki/index.ts';
import { META, WorldError, revokeCertificate } from '../world/index.ts';
import { certificateJson, deviceCsrAnswer, handleDeviceCsr, SmkiRefusal } from '../smki/index.ts';
import type { ApiContext } from './index.ts';

// SMKI on the DCC Gateway connection (the DUIS listener):
//   POST /smki/device-csr              the Ad Hoc Device CSR service (MP074), a signed DeviceCSRRequest
//   POST /api/certificates/:id/revoke  revoke a certificate in the SMKI repository, immediate for validation

function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

export async function register(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { world, dcc } = ctx;

  // Encapsulated so that the extra content types stay with these routes; application/xml is the
  // gateway's own (raw bytes).
  await app.register(async (scope) => {
    for (const type of ['application/pkcs10', 'application/octet-stream', 'application/x-pem-file']) {
      scope.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    }
    const deviceCsr = async (req: FastifyRequest, reply: FastifyReply) => {
      const json = /json/i.test(String(req.headers.accept ?? ''));
      let outcome;
      try {
        outcome = handleDeviceCsr(
          {
            world,
            now: () => dcc.clock.now(),
            via: 'gateway',
            acceptOrganisationXmlSigners: world.store.getMeta(META.profile) === 'zaz1',
          },
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
    scope.post('/smki/device-csr', deviceCsr);
    scope.post('/services/devicecsr', deviceCsr);
  });

  app.post('/api/certificates/:id/revoke', async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = (req.body ?? {}) as { reason?: unknown };
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
