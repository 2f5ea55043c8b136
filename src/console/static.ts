import { readFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The console's static assets: plain HTML, CSS and ES modules from src/console/public, served as
// they are (no bundler, no CDN). Only files that exist at start-up are served, by exact name.

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

export async function sendAsset(reply: FastifyReply, name: string): Promise<FastifyReply> {
  const body = await readFile(path.join(PUBLIC_DIR, name));
  return reply
    .header('content-type', TYPES[path.extname(name)] ?? 'application/octet-stream')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .send(body);
}

export function registerStatic(app: FastifyInstance): void {
  const files = new Set(listFiles(PUBLIC_DIR));
  app.get('/', async (_req, reply) => sendAsset(reply, 'index.html'));
  app.get('/console/*', async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    if (!files.has(name)) return reply.code(404).send({ error: `no console asset '${name}'` });
    return sendAsset(reply, name);
  });
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
}
