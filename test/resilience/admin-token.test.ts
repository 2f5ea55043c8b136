import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { adminAccess, isLoopbackHost } from '../../src/security.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { inventoryXml, pickDevice, signAs } from '../helpers/gateway-requests.ts';
import { spawnServer, type ChildServer } from './kit.ts';

// The console and JSON API behind a token once the listener is exposed. The listener here is
// always 127.0.0.1 (these tests use no other network): an explicit --admin-token turns the guard on
// exactly as a non-loopback --host does, and which hosts count as exposed is checked on its own.

const TOKEN = 'resilience-admin-token-0123456789';

describe('which listeners need the admin token', () => {
  it('loopback addresses are local; anything else, including the wildcard, is exposed', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '', '192.168.1.10', '10.0.0.1', 'example.org', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example.org']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('an exposed listener gets a guard: the configured token, else the environment\'s, else a generated one', () => {
    expect(adminAccess({ host: '127.0.0.1' })).toBeUndefined();
    expect(adminAccess({ host: '127.0.0.1', envToken: TOKEN }), 'the environment alone does not guard loopback').toBeUndefined();
    const generated = adminAccess({ host: '0.0.0.0' })!;
    expect(generated.generated).toBe(true);
    expect(generated.token.length).toBeGreaterThanOrEqual(32);
    expect(adminAccess({ host: '0.0.0.0' })!.token, 'a new token each start').not.toBe(generated.token);
    expect(adminAccess({ host: '::', envToken: TOKEN })).toMatchObject({ token: TOKEN, generated: false });
    expect(adminAccess({ host: '10.1.2.3', token: `${TOKEN}x`, envToken: TOKEN })).toMatchObject({ token: `${TOKEN}x`, generated: false });
    expect(adminAccess({ host: '127.0.0.1', token: TOKEN })).toMatchObject({ token: TOKEN, generated: false });
    expect(() => adminAccess({ host: '0.0.0.0', token: 'short' })).toThrow(/at least 16/);
  });
});

describe('a guarded listener', () => {
  let file = '';
  let server: RunningServer;
  let signed: () => string;
  let deviceEui = '';
  beforeAll(async () => {
    file = demoWorldFile();
    const w = World.open(file);
    const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
    deviceEui = esme.eui;
    let counter = 5000n;
    const xmls = Array.from({ length: 4 }, () => signAs(w, esme.supplier, inventoryXml(esme.supplier, esme.mpxn!, ++counter)));
    w.close();
    signed = () => xmls.shift()!;
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false, adminToken: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });

  const get = (p: string, auth?: string) => fetch(`${server.url}${p}`, { headers: auth ? { authorization: auth } : {}, redirect: 'manual' });
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  it('DUIS needs no token: signed DUIS is its own authentication', async () => {
    const res = await fetch(`${server.url}/api/v1/serviceD`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: signed() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-dcc-sim-response-code')).toBe('I0');
    expect((await get('/api/health')).status).toBe(200);
    // the signed device CSR service answers in SMKI terms, not with 401
    const csr = await fetch(`${server.url}/smki/device-csr`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<x/>' });
    expect(csr.status).not.toBe(401);
  });

  // What is open follows from which plugin a route is registered in (src/server.ts), so this asks
  // every registered route, not a list of paths.
  it('only the signed services and the liveness probe are open', async () => {
    const open: string[] = [];
    for (const r of server.routes) {
      for (const method of [r.method].flat()) {
        if (method === 'HEAD') continue; // Fastify's automatic twin of a GET route
        const path = r.url.replace(':eui', '00-00-00-00-00-00-00-00').replace(/:\w+/g, '1').replace('*', 'js/app.js');
        const res = await fetch(`${server.url}${path}`, { method, redirect: 'manual' });
        await res.arrayBuffer();
        if (res.status !== 401) open.push(r.url);
      }
    }
    expect(open.sort()).toEqual(['/api/health', '/api/v1/serviceD', '/api/v1/serviceS', '/api/v1/serviceT', '/services/devicecsr', '/smki/device-csr']);
  });

  const guarded = ['/api/requests', '/api/requests?full=1', '/api/responses?requestId=x', `/api/devices/${'00-00-00-00-00-00-00-00'}`, '/api/clock', '/api/console/world', '/api/console/parties', '/api/console/devices', '/api/console/certificates/1', '/api/console/certificates/1/pem', '/api/console/requests', '/api/scenarios', '/api/reports/post-commissioning', '/', '/docs', '/docs/openapi.json', '/console/js/app.js', '/favicon.ico', '/no-such-route'];

  it('everything else answers 401 without the token, or with a wrong one', async () => {
    for (const p of guarded) {
      for (const auth of [undefined, 'Bearer wrong-token-wrong-token', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Token ${TOKEN}`, basic('admin', 'nope'), 'Basic !!!']) {
        const res = await get(p, auth);
        expect(res.status, `${p} with ${auth ?? 'no Authorization'}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
        const body = await res.text();
        expect(body).not.toMatch(/90-B3-D5|BEGIN CERTIFICATE|DSPInventory/);
      }
    }
    const clockBefore = server.dcc.clock.now().getTime();
    const post = await fetch(`${server.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: '30d' }) });
    expect(post.status).toBe(401);
    expect(server.dcc.clock.now().getTime() - clockBefore, 'a refused request did nothing').toBeLessThan(60_000);
    const logged = server.dcc.gateway.listRequests({ limit: 1 })[0]?.id;
    const send = await fetch(`${server.url}/api/console/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: '6.21', device: deviceEui, role: 'Supplier' }) });
    expect(send.status).toBe(401);
    expect(server.dcc.gateway.listRequests({ limit: 1 })[0]?.id, 'nothing was sent').toBe(logged);
  });

  it('paths that only look like DUIS are guarded too', async () => {
    for (const p of ['/api/v1/serviceS/../../requests', '/api/v1/serviceS/', '//api/requests', '/api/v1/../requests', '/API/requests', '/api/v1/serviceX', '/api/requests%3F', '/api/v1/serviceS%2F..%2F..%2Frequests']) {
      const res = await get(p);
      expect([401, 404], p).toContain(res.status);
      if (res.status === 404) expect(p.startsWith('/api/v1/serviceS')).toBe(true); // routed to DUIS paths only
    }
  });

  it('with the token (Bearer, or Basic from a browser with the token as password) it all works', async () => {
    for (const p of guarded.filter((x) => x !== '/no-such-route')) {
      for (const auth of [`Bearer ${TOKEN}`, `bearer   ${TOKEN}`, basic('anyone', TOKEN), basic('', TOKEN)]) {
        const res = await get(p, auth);
        expect([200, 204, 404], `${p} with ${auth}`).toContain(res.status);
        if (p.startsWith('/api/console/world')) expect(res.status).toBe(200);
      }
    }
    expect((await get('/api/requests?limit=1', `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await get('/no-such-route', `Bearer ${TOKEN}`)).status).toBe(404);
  });
});

describe('dcc-sim serve --admin-token', () => {
  let child: ChildServer | undefined;
  let file = '';
  afterAll(async () => {
    await child?.kill('SIGTERM');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });

  it('guards the API and says so, without printing a token it did not make', async () => {
    file = demoWorldFile();
    child = await spawnServer(file, { extra: ['--admin-token', TOKEN] });
    expect((await fetch(`${child.url}/api/requests`)).status).toBe(401);
    expect((await fetch(`${child.url}/api/requests`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(child.stderr()).toMatch(/need the admin token/);
    expect(child.stderr()).not.toContain(TOKEN);
  }, 90_000);
});
