import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
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

// Cross-site requests and DNS rebinding. A page elsewhere can make the browser of someone running
// dcc-sim send requests to it: a rebound name (its Host is the attacker's), a cross-site POST (its
// Origin is the attacker's), or a "simple" text/plain or form body that needs no CORS preflight.
// The console and JSON API therefore answer only to the names this listener is reached by, take
// state-changing requests only from their own origin (or from non-browser clients, which send no
// Origin), and read only JSON bodies. The DUIS gateway is not behind this: DCC Boxed clients send
// whatever Host they were configured with.

export interface BrowserGuardOptions {
  /** the listen address (--host) */
  host: string;
  /** names or addresses the listener is also reached by (--public-host): a proxy, a container name */
  publicHosts?: readonly string[];
}

export interface BrowserGuard {
  /** the host names (no port) accepted in Host */
  allowed: ReadonlySet<string>;
  /** this server start's console token, and the Set-Cookie value that marks a browser as a console session */
  csrf: { token: string; cookie: string };
  hook: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// The console's per-start token (issue 19). The Origin check trusts a same-origin request; this
// also makes a browser prove it loaded the console from this very server start. The token is made
// up at each start and written into the console page (a <meta>, read by js/api.js, which sends it
// as X-DCC-Sim-CSRF on every state-changing request). It is delivered in the page rather than read
// from a cookie because cookies ignore ports: two dcc-sims on one machine would overwrite each
// other's. The page also sets a cookie (SameSite=Strict, HttpOnly: no script needs it) that only
// marks the browser as a console session, so that even a browser sending neither Origin nor
// Sec-Fetch-Site must present the token. The header is compared with the server's own token, never
// with the cookie. Scripts (curl, the CLI, Node's fetch) send no cookie, Origin or Sec-Fetch-Site
// and need nothing new; a header they do send must be right.
export const CSRF_HEADER = 'x-dcc-sim-csrf';
export const CSRF_COOKIE = 'dcc-sim-csrf';

function hasCookie(header: string | undefined, name: string): boolean {
  return (header ?? '').split(';').some((c) => c.split('=')[0]!.trim() === name);
}

function normaliseHost(h: string): string {
  return h.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** The host name of a Host header or URL authority, without the port. */
function hostnameOf(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']') < 0 ? undefined : a.indexOf(']'));
  return normaliseHost(a.replace(/:\d*$/, ''));
}

/** The names this listener may be addressed by: its address(es), loopback names, and --public-host. */
export function listenerNames(o: BrowserGuardOptions, interfaces = networkInterfaces(), machine = hostname()): Set<string> {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1']);
  const listen = normaliseHost(o.host);
  if (listen === '' || listen === '0.0.0.0' || listen === '::') {
    // every address of every interface, and the machine's name
    for (const list of Object.values(interfaces)) for (const a of list ?? []) names.add(normaliseHost(a.address));
    names.add(normaliseHost(machine));
  } else names.add(listen);
  for (const h of o.publicHosts ?? []) if (h.trim()) names.add(hostnameOf(h));
  return names;
}

export function browserGuard(o: BrowserGuardOptions): BrowserGuard {
  const allowed = listenerNames(o);
  const token = randomBytes(32).toString('base64url');
  const expected = digest(token);
  const csrf = { token, cookie: `${CSRF_COOKIE}=${token}; Path=/; SameSite=Strict; HttpOnly` };
  const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).header('cache-control', 'no-store').send({ error });
  const hook = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const host = String(req.headers.host ?? '');
    const name = hostnameOf(host);
    // Any loopback literal is this machine; any other name must be one the listener is known by.
    if (!allowed.has(name) && !(isIP(name) && isLoopbackHost(name))) {
      return refuse(reply, 421, `Host '${host.slice(0, 200)}' is not a name this listener answers to (${[...allowed].join(', ')}); start dcc-sim with --public-host ${name.slice(0, 200) || '<name>'} to allow it`);
    }
    if (SAFE_METHODS.has(req.method)) return undefined;
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    if (origin !== undefined || fetchSite === 'cross-site') {
      let same = false;
      try {
        same = origin !== undefined && new URL(origin).host === host.toLowerCase();
      } catch {
        /* "null" or not a URL: cross-site */
      }
      if (!same || fetchSite === 'cross-site') {
        return refuse(reply, 403, `cross-site request refused: Origin '${String(origin ?? '').slice(0, 200)}' is not this listener (${host.slice(0, 200)})`);
      }
    }
    const presented = req.headers[CSRF_HEADER];
    const fromConsole = hasCookie(req.headers.cookie, CSRF_COOKIE);
    // same-origin/same-site: a browser made it (cross-site was refused above); "none" is the user's own navigation
    const fromBrowser = origin !== undefined || (fetchSite !== undefined && fetchSite !== 'none');
    if (presented === undefined && (fromConsole || fromBrowser)) {
      const why = fromConsole ? "it carries the console's cookie" : origin !== undefined ? `it comes from a browser (Origin '${String(origin).slice(0, 200)}')` : `it comes from a browser (Sec-Fetch-Site: ${String(fetchSite).slice(0, 50)})`;
      return refuse(reply, 403, `CSRF token missing: ${why} but has no X-DCC-Sim-CSRF header; state-changing requests from a browser must come from the console page (reload it)`);
    }
    if (presented !== undefined && !(typeof presented === 'string' && timingSafeEqual(digest(presented), expected))) {
      return refuse(reply, 403, 'CSRF token wrong: X-DCC-Sim-CSRF is not this server start\'s token (was dcc-sim restarted? reload the console page)');
    }
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = String(req.headers['content-type'] ?? '');
    if (hasBody && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
      return refuse(reply, 415, `the JSON API takes application/json bodies, got '${type.slice(0, 200) || 'none'}'`);
    }
    return undefined;
  };
  return { allowed, csrf, hook };
}
