import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteOptions } from 'fastify';
import { startServer, type RunningServer } from '../../src/server.ts';

// The OpenAPI document is generated from the routes (@fastify/swagger), so a route registered
// without a schema, or hidden from it, is an undocumented route: this fails when one appears.

/** Routes that are files, not API, and so are left out of the document (schema.hide), each with why. */
const STATIC_FILES: Record<string, string> = {
  'GET /': 'the console page (index.html)',
  'GET /console/*': "the console's CSS and ES modules, by file name",
  'GET /favicon.ico': 'an empty answer for browsers',
  'GET /docs': 'the page that renders the document (docs.html)',
  'GET /docs/': 'a redirect to /docs',
};

type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
};

let server: RunningServer;
let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> }; tags: { name: string }[] };

/** the routes a training sandbox of this server serves (its own Fastify instance, behind /sandboxes/{id}) */
let sandboxRoutes: RouteOptions[];

beforeAll(async () => {
  server = await startServer({ db: ':memory:', port: 0, logger: false });
  doc = JSON.parse(JSON.stringify(server.app.swagger())) as typeof doc;
  const made = await server.sandboxes.create('openapi');
  sandboxRoutes = [...server.sandboxes.served(made.id)!.routes];
});
afterAll(async () => server?.close());

/** Each method of a route, without Fastify's automatic HEAD twin of every GET. */
function operations(routes: readonly RouteOptions[]): { key: string; method: string; route: RouteOptions }[] {
  return routes.flatMap((route) =>
    [route.method]
      .flat()
      .filter((m) => m !== 'HEAD' || !routes.some((r) => r.url === route.url && [r.method].flat().includes('GET')))
      .map((method) => ({ key: `${method} ${route.url}`, method, route })),
  );
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('the OpenAPI document generated from the routes', () => {
  it('has every registered route, with its parameters, body and responses', () => {
    const ops = operations(server.routes);
    expect(ops.length).toBeGreaterThan(30);
    for (const { key, method, route } of ops) {
      if (STATIC_FILES[key]) continue;
      const schema = route.schema as Record<string, any> | undefined;
      expect(schema, `${key} has a schema`).toBeDefined();
      expect(schema!.hide, `${key} is not hidden`).toBeUndefined();
      const op = doc.paths[openApiPath(route.url)]?.[method.toLowerCase()];
      expect(op, `${key} is in the document`).toBeDefined();
      expect(op!.summary, `${key} has a summary`).toBeTruthy();
      expect(op!.tags?.length, `${key} has a tag`).toBe(1);
      expect(doc.tags.map((t) => t.name), `${key}'s tag is declared`).toContain(op!.tags![0]);
      for (const part of ['querystring', 'params'] as const) {
        for (const name of Object.keys(schema![part]?.properties ?? {})) {
          expect(op!.parameters?.map((p) => `${p.in} ${p.name}`), `${key}: ${part} ${name}`).toContain(`${part === 'params' ? 'path' : 'query'} ${name}`);
        }
      }
      if (schema!.body) expect(Object.keys(op!.requestBody?.content ?? {}).length, `${key} documents its body`).toBeGreaterThan(0);
      const responses = Object.entries(op!.responses ?? {});
      expect(responses.length, `${key} documents its responses`).toBeGreaterThan(0);
      for (const [code, r] of responses) {
        expect(code, `${key}: no placeholder response`).not.toBe('default');
        expect(r.description, `${key} ${code} says what it is`).toBeTruthy();
        expect(r.description).not.toBe('Default Response');
      }
    }
  });

  it('leaves out only the static files, and has nothing that is not served', () => {
    const keys = new Set(operations(server.routes).map((o) => o.key));
    for (const key of Object.keys(STATIC_FILES)) {
      expect(keys.has(key), `${key} is served`).toBe(true);
      const [method, url] = key.split(' ') as [string, string];
      expect(doc.paths[openApiPath(url)]?.[method.toLowerCase()], `${key} is not in the document`).toBeUndefined();
    }
    const inSandbox = new Set(operations(sandboxRoutes).map((o) => o.key));
    expect(inSandbox.size).toBeGreaterThan(30);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        // a sandbox's routes are its own Fastify instance's, under its prefix
        const sandboxed = path.startsWith('/sandboxes/{sandboxId}/');
        const url = (sandboxed ? path.slice('/sandboxes/{sandboxId}'.length) : path).replace(/\{(\w+)\}/g, ':$1');
        expect((sandboxed ? inSandbox : keys).has(`${method.toUpperCase()} ${url}`), `${method} ${path} is a registered route${sandboxed ? ' of a sandbox' : ''}`).toBe(true);
      }
    }
  });

  it('describes the metrics (JSON and Prometheus text) and the DUIS endpoints (XML in, signed DUIS XML out)', () => {
    const metrics = doc.paths['/api/metrics']!.get!;
    expect(Object.keys(metrics.responses!['200']!.content!)).toEqual(['application/json', 'text/plain']);
    expect(metrics.parameters?.map((p) => p.name)).toContain('format');
    for (const endpoint of ['serviceS', 'serviceT', 'serviceD']) {
      const op = doc.paths[`/api/v1/${endpoint}`]!.post!;
      expect(op.tags).toEqual(['DUIS']);
      expect(Object.keys(op.requestBody!.content)).toEqual(['application/xml']);
      expect(Object.keys(op.responses!['200']!.content!)).toEqual(['application/xml']);
      expect(op.responses!['200']!.description).toMatch(/signed DUIS/);
    }
  });

  it('names its shared schemas, and every $ref resolves', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'DevicePage', 'ConsoleDevice', 'RequestDetail', 'PostCommissioningReport', 'ScenarioRun']));
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) {
      expect(r, 'a local reference').toMatch(/^"\$ref":"#\/components\/schemas\//);
      const target = r.slice(9, -1).split('/').slice(1).reduce((o: any, k: string) => o?.[k], doc);
      expect(target, r).toBeDefined();
    }
  });

  it('documents every route a training sandbox serves under /sandboxes/{sandboxId}, for a Postman user to find', () => {
    const ops = operations(sandboxRoutes);
    for (const { key, method, route } of ops) {
      const op = doc.paths[`/sandboxes/{sandboxId}${openApiPath(route.url)}`]?.[method.toLowerCase()];
      expect(op, `${key} of a sandbox is in the document`).toBeDefined();
      expect(op!.tags).toEqual(['Sandboxes']);
      expect(op!.summary, key).toMatch(/, in a sandbox$/);
      expect(op!.parameters?.find((p) => p.name === 'sandboxId'), `${key} takes the sandbox id`).toMatchObject({ in: 'path', required: true });
      // the same operation as the shared world's: its parameters, body and responses
      const shared = doc.paths[openApiPath(route.url)]![method.toLowerCase()]!;
      expect(op!.parameters?.filter((p) => p.name !== 'sandboxId')).toEqual(shared.parameters ?? []);
      expect(op!.requestBody).toEqual(shared.requestBody);
      expect(op!.responses).toEqual(shared.responses);
    }
    // the DUIS endpoints, as Postman imports them
    expect(Object.keys(doc.paths['/sandboxes/{sandboxId}/api/v1/serviceS']!.post!.requestBody!.content)).toEqual(['application/xml']);
    // the shared world's own sandbox routes are not a sandbox's
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/sandboxes/{sandboxId}/api/sandboxes'))).toEqual([]);
  });
});
