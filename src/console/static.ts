import { readFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdminAccess, BrowserGuard } from '../security.ts';

// The console as a plugin: its static assets (plain HTML, CSS and ES modules from
// src/console/public, served as they are: no bundler, no CDN; only files that exist at start-up,
// by exact name) and the API documents at /docs.

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Everything is same-origin: the page may load nothing from elsewhere and talk to nothing else. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), `${prefix}${e.name}/`));
    else if (TYPES[path.extname(e.name)]) out.push(`${prefix}${e.name}`);
  }
  return out;
}

export async function sendAsset(reply: FastifyReply, name: string, content?: string): Promise<FastifyReply> {
  const body = content ?? (await readFile(path.join(PUBLIC_DIR, name)));
  return reply
    .header('content-type', TYPES[path.extname(name)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .send(body);
}

// Files, not API: left out of the OpenAPI document (test/console/openapi.test.ts lists them).
const STATIC = { schema: { hide: true } };

export async function consolePlugin(app: FastifyInstance, o: { admin?: AdminAccess; browser?: BrowserGuard }): Promise<void> {
  // Inside this plugin only, as in the JSON API's: the DUIS gateway stays outside it.
  if (o.browser) app.addHook('onRequest', o.browser.hook);
  if (o.admin) app.addHook('onRequest', o.admin.hook);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const files = new Set(listFiles(PUBLIC_DIR));
  // The console page carries this start's CSRF token (src/security.ts says why in the page, not a cookie).
  app.get('/', STATIC, async (_req, reply) => {
    if (!o.browser) return sendAsset(reply, 'index.html');
    const html = (await readFile(path.join(PUBLIC_DIR, 'index.html'), 'utf8')).replace(
      '<meta charset="utf-8">',
      `<meta charset="utf-8">\n  <meta name="dcc-sim-csrf" content="${o.browser.csrf.token}">`,
    );
    return sendAsset(reply.header('set-cookie', o.browser.csrf.cookie), 'index.html', html);
  });
  app.get<{ Params: { '*': string } }>('/console/*', STATIC, async (req, reply) => {
    const name = req.params['*'];
    if (!files.has(name)) return reply.code(404).send({ error: `no console asset '${name}'` });
    return sendAsset(reply, name);
  });
  app.get('/favicon.ico', STATIC, async (_req, reply) => reply.code(204).send());

  // --- the OpenAPI document (generated from the routes' schemas) and its readable page ---------
  app.get('/docs', STATIC, async (_req, reply) => sendAsset(reply, 'docs.html'));
  app.get('/docs/', STATIC, async (_req, reply) => reply.redirect('/docs'));
  app.get('/docs/openapi.json', {
    schema: {
      tags: ['World'],
      summary: 'This document (OpenAPI 3)',
      description: 'Generated from the schemas the server\'s routes are registered with; rendered as a page at /docs.',
      response: { 200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } },
    },
  }, async () => app.swagger());
}
