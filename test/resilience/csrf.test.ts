import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';

// The last part of issue 19: a per-start CSRF token for the console. A browser must prove it loaded
// the console page from this server start (X-DCC-Sim-CSRF, written into the page); scripts that
// send no cookie and no Origin go on as before.

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, so that Cookie, Origin and Sec-Fetch-Site are exactly what a browser would send. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** What a browser gets from loading the console: the token in the page and the cookie. */
async function loadConsole(base: string): Promise<{ token: string; cookie: string; setCookie: string }> {
  const page = await raw(base, 'GET', '/', {});
  expect(page.status).toBe(200);
  const token = /<meta name="dcc-sim-csrf" content="([^"]+)">/.exec(page.body)?.[1];
  expect(token).toBeTruthy();
  const setCookie = String(page.headers['set-cookie'] ?? '');
  return { token: token!, cookie: setCookie.split(';')[0]!, setCookie };
}

let file = '';
let server: RunningServer;
let host = '';
let certId = 0;
let oldToken = '';
let oldCookie = '';
beforeAll(async () => {
  file = demoWorldFile();
  const w = World.open(file);
  certId = (w.store.db.prepare('SELECT MAX(id) AS id FROM certificates').get() as { id: number }).id;
  w.close();
  // a previous start of the same world: its console's token must not outlive it
  const previous = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
  ({ token: oldToken, cookie: oldCookie } = await loadConsole(previous.url));
  await previous.close();
  server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
  host = new URL(server.url).host;
});
afterAll(async () => {
  await server?.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

const clock = async () => JSON.parse((await raw(server.url, 'GET', '/api/clock', {})).body).now as string;
const revoked = () => server.world.store.db.prepare('SELECT revoked_at FROM certificates WHERE id = ?').pluck().get(certId);
const json = { 'content-type': 'application/json' };
const advance = (headers: Record<string, string>) => raw(server.url, 'POST', '/api/clock', { ...json, ...headers }, JSON.stringify({ advance: '30d' }));
const revoke = (headers: Record<string, string>) => raw(server.url, 'POST', `/api/certificates/${certId}/revoke`, { ...json, ...headers }, '{}');

describe('the console CSRF token', () => {
  it('the console page carries a fresh token per start, and sets a SameSite=Strict cookie on /', async () => {
    const { token, setCookie } = await loadConsole(server.url);
    expect(token).not.toBe(oldToken);
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(setCookie).toMatch(/^dcc-sim-csrf=[\w-]+; Path=\/; SameSite=Strict; HttpOnly$/);
  });

  it('refuses a state-changing request that has the cookie but no header, a wrong header or the previous start\'s token, and changes nothing', async () => {
    const { cookie } = await loadConsole(server.url);
    const before = await clock();
    const beforeRevoked = revoked();
    const tries: [Record<string, string>, RegExp][] = [
      [{ cookie }, /CSRF token missing: it carries the console's cookie but has no X-DCC-Sim-CSRF header/],
      [{ cookie, 'x-dcc-sim-csrf': 'not-the-token' }, /CSRF token wrong: .*was dcc-sim restarted\? reload the console page/],
      [{ cookie: oldCookie, 'x-dcc-sim-csrf': oldToken, origin: `http://${host}` }, /CSRF token wrong/],
      // a browser's own request without the token: an Origin, or Sec-Fetch-Site, and no cookie
      [{ origin: `http://${host}` }, /CSRF token missing: it comes from a browser \(Origin/],
      [{ 'sec-fetch-site': 'same-site' }, /CSRF token missing: it comes from a browser \(Sec-Fetch-Site: same-site\)/],
    ];
    for (const [headers, error] of tries) {
      for (const r of [await advance(headers), await revoke(headers)]) {
        expect(r.status, r.body).toBe(403);
        expect(JSON.parse(r.body).error).toMatch(error);
      }
    }
    // not advanced 30 days: it moved on with real time only
    expect(Date.parse(await clock()) - Date.parse(before)).toBeLessThan(60_000);
    expect(revoked()).toBe(beforeRevoked);
    expect(beforeRevoked).toBeNull();
  });

  it('takes the request with the right header, from the console page as a browser sends it', async () => {
    const { token, cookie } = await loadConsole(server.url);
    const r = await advance({ cookie, origin: `http://${host}`, 'sec-fetch-site': 'same-origin', 'x-dcc-sim-csrf': token });
    expect(r.status, r.body).toBe(200);
    expect(Date.parse(await clock()) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const rv = await revoke({ cookie, origin: `http://${host}`, 'x-dcc-sim-csrf': token });
    expect(rv.status, rv.body).toBe(200);
    expect(revoked()).not.toBeNull();
  });

  it('a plain scripted request (no cookie, no Origin) works as before; reading needs no token', async () => {
    const r = await raw(server.url, 'POST', '/api/clock', json, JSON.stringify({ real: true }));
    expect(r.status, r.body).toBe(200);
    expect(Math.abs(Date.parse(await clock()) - Date.now())).toBeLessThan(60_000);
    // Node's fetch, as the CLI uses it
    const f = await fetch(`${server.url}/api/clock`, { method: 'POST', headers: json, body: JSON.stringify({ real: true }) });
    expect(f.status).toBe(200);
    const { cookie } = await loadConsole(server.url);
    expect((await raw(server.url, 'GET', '/api/clock', { cookie, origin: `http://${host}` })).status).toBe(200);
  });
});
