import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { listenerNames } from '../../src/security.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { inventoryXml, pickDevice, signAs } from '../helpers/gateway-requests.ts';

// Finding 1 of issue 19: any web page could drive the console and JSON API of a dcc-sim on
// loopback: a text/plain POST from another origin revoked a certificate or ceased a DCC User, and a
// rebound name (Host: the attacker's) signed and sent a 6.21 through /api/console/send.

interface Raw {
  status: number;
  body: string;
}

/** node:http, so that Host and Origin are exactly what a hostile page's browser would send. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

let file = '';
let server: RunningServer;
let host = '';
let deviceEui = '';
let supplier = '';
let signed = '';
let certId = 0;
beforeAll(async () => {
  file = demoWorldFile();
  const w = World.open(file);
  const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
  deviceEui = esme.eui;
  supplier = esme.supplier;
  signed = signAs(w, esme.supplier, inventoryXml(esme.supplier, esme.mpxn!, 9001n));
  certId = (w.store.db.prepare('SELECT MAX(id) AS id FROM certificates').get() as { id: number }).id;
  w.close();
  server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false, publicHosts: ['dcc-sim.test'] });
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server?.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

const requestCount = () => server.dcc.gateway.listRequests({ limit: 1000 }).length;
const parties = async () => (await raw(server.url, 'GET', '/api/console/parties', { host })).body;

describe('cross-site requests and DNS rebinding', () => {
  it('a text/plain POST from another origin neither revokes a certificate nor ceases a DCC User', async () => {
    const before = await parties();
    const evil = { host, origin: 'http://evil.example', 'content-type': 'text/plain' };
    const revoke = await raw(server.url, 'POST', `/api/certificates/${certId}/revoke`, evil, '');
    expect(revoke.status).toBe(403);
    expect(revoke.body).toMatch(/cross-site request refused: Origin 'http:\/\/evil\.example'/);
    const cease = await raw(server.url, 'POST', `/api/parties/${supplier}/cease-dcc-user`, evil, '');
    expect(cease.status).toBe(403);
    // the same with a JSON body and a forged Origin of "null" (a sandboxed frame)
    const nullOrigin = await raw(server.url, 'POST', `/api/certificates/${certId}/revoke`, { host, origin: 'null', 'content-type': 'application/json' }, '{}');
    expect(nullOrigin.status).toBe(403);
    expect(await parties()).toBe(before);
    // the certificate is still unrevoked: the console's own origin may revoke it now (200, not 409),
    // with this start's token from the console page (csrf.test.ts)
    const token = /<meta name="dcc-sim-csrf" content="([^"]+)">/.exec((await raw(server.url, 'GET', '/', { host })).body)![1]!;
    const own = await raw(server.url, 'POST', `/api/certificates/${certId}/revoke`, { host, origin: `http://${host}`, 'content-type': 'application/json', 'x-dcc-sim-csrf': token }, '{}');
    expect(own.status, own.body).toBe(200);
  });

  it('a rebound name cannot send through the console, nor read the world', async () => {
    const before = requestCount();
    const rebound = { host: `rebind.attacker.example:${new URL(server.url).port}`, 'content-type': 'application/json' };
    const send = await raw(server.url, 'POST', '/api/console/send', { ...rebound, origin: `http://${rebound.host}` }, JSON.stringify({ service: '6.21', device: deviceEui, role: 'Supplier' }));
    expect(send.status).toBe(421);
    expect(send.body).toMatch(/Host 'rebind\.attacker\.example:\d+' is not a name this listener answers to .*--public-host rebind\.attacker\.example/);
    expect((await raw(server.url, 'GET', '/api/console/parties', rebound)).status).toBe(421);
    expect((await raw(server.url, 'GET', '/', rebound)).status).toBe(421);
    expect(requestCount()).toBe(before);
  });

  it('JSON routes take only JSON bodies, also from clients that send no Origin', async () => {
    const r = await raw(server.url, 'POST', '/api/clock', { host, 'content-type': 'application/x-www-form-urlencoded' }, 'advance=7d');
    expect(r.status).toBe(415);
    expect(r.body).toMatch(/application\/json bodies, got 'application\/x-www-form-urlencoded'/);
    const ok = await raw(server.url, 'POST', '/api/clock', { host, 'content-type': 'application/json' }, '{"advance":"1s"}');
    expect(ok.status).toBe(200);
  });

  it('--public-host names and loopback names are answered; DUIS endpoints are as DCC Boxed clients expect', async () => {
    expect((await raw(server.url, 'GET', '/api/clock', { host: 'dcc-sim.test:8079' })).status).toBe(200);
    expect((await raw(server.url, 'GET', '/api/clock', { host: `localhost:${new URL(server.url).port}` })).status).toBe(200);
    const duis = await raw(server.url, 'POST', '/api/v1/serviceD', { host: 'any.name.example', origin: 'http://evil.example', 'content-type': 'application/xml' }, signed);
    expect(duis.status).toBe(200);
    expect(duis.body).toContain('sr:Response');
  });

  it('a wildcard listener answers to its interfaces\' addresses and the machine name, not to others', () => {
    const names = listenerNames({ host: '0.0.0.0' }, { eth0: [{ address: '10.1.2.3', family: 'IPv4' } as never] }, 'box');
    expect([...names].sort()).toEqual(['10.1.2.3', '127.0.0.1', '::1', 'box', 'localhost']);
    expect([...listenerNames({ host: '10.9.9.9', publicHosts: ['proxy.example:443'] })].sort()).toEqual(['10.9.9.9', '127.0.0.1', '::1', 'localhost', 'proxy.example']);
  });
});
