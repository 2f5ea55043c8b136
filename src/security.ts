import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

// Who may use the console and the JSON API. The DUIS endpoints stay as DCC Boxed has them: a
// signed DUIS request is its own authentication, so the DUIS gateway plugin (/api/v1/serviceS|T|D
// and the signed SMKI device CSR service) takes no token, nor does the liveness probe /api/health.
// The JSON API and console plugins register `hook` as their own onRequest hook (src/server.ts), so
// what is guarded follows from where a route is registered, not from a list of paths. All of it is
// open on a loopback listener (the default) and needs the admin token once the listener is
// reachable from elsewhere.

/** Whether a listen address is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export interface AdminAccess {
  /** the token every console and JSON API request must carry */
  token: string;
  /** true when dcc-sim made the token up (it is shown once, at start) */
  generated: boolean;
  /** a Fastify onRequest hook enforcing it, for the plugins it guards */
  hook: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
}

export interface AdminAccessOptions {
  host: string;
  /** an explicit token (--admin-token): enforced even on a loopback listener */
  token?: string;
  /** the environment's token (DCC_SIM_ADMIN_TOKEN): used when the listener is exposed */
  envToken?: string;
}

/**
 * The admin guard for a listener, or undefined when none is needed (loopback and no explicit
 * token). An exposed listener without a configured token gets a random one.
 */
export function adminAccess(o: AdminAccessOptions): AdminAccess | undefined {
  const explicit = o.token?.trim() || undefined;
  if (!explicit && isLoopbackHost(o.host)) return undefined;
  const configured = explicit ?? (o.envToken?.trim() || undefined);
  if (configured !== undefined && configured.length < 16) {
    throw new Error('the admin token must be at least 16 characters');
  }
  const token = configured ?? randomBytes(24).toString('base64url');
  const expected = digest(token);
  const hook = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const presented = credentialOf(req.headers.authorization);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return undefined;
    // returning the reply ends the request here: no handler runs
    return reply
      .code(401)
      // Bearer for API clients; Basic lets a browser ask for it (any user name, the token as password).
      .header('www-authenticate', ['Bearer realm="dcc-sim"', 'Basic realm="dcc-sim admin (user: any, password: the admin token)", charset="UTF-8"'])
      .header('cache-control', 'no-store')
      .send({ error: 'this listener is exposed beyond loopback: the console and JSON API need Authorization: Bearer <admin token>' });
  };
  return { token, generated: configured === undefined, hook };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The token in an Authorization header: `Bearer <token>`, or `Basic base64(user:token)` from a browser. */
function credentialOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  if (m[1]!.toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
