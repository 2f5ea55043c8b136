import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { sendRequest } from '../../src/client.ts';
import { loadExamples } from '../../src/world/index.ts';
import { seedTemplate, type WorldTemplate } from '../compliance/worlds.ts';

// Training sandboxes: private copies of the served world under /sandboxes/{id}/, each with its own
// clock; what happens in one stays there, and a reset brings back the copy taken at creation.

let template: WorldTemplate;
let file: string;
let server: RunningServer;
beforeAll(async () => {
  template = seedTemplate({ premises: 60, seed: 'sandboxes', at: new Date() });
  file = template.copy();
  server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
});
afterAll(async () => {
  await server?.close();
  template?.cleanup();
});

interface Sandbox { id: string; name: string; baseUrl: string; clock: string; file: string }

const call = async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
};
const supplierDs = async (base: string, eui: string) =>
  ((await call<{ cells: { cell: string; holder?: { eui: string } | null; certificate?: { subjectEui?: string } | null }[] }>('GET', `${base}/api/devices/${eui}`)).body);

describe('sandboxes of one world', () => {
  it('diverge: a request in one changes its device only there, and each has its own clock', async () => {
    const a = await call<Sandbox>('POST', '/api/sandboxes', { name: 'trainee A' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 'trainee A', baseUrl: `/sandboxes/${a.body.id}` });
    const b = (await call<Sandbox>('POST', '/api/sandboxes')).body;
    expect(b.id).not.toBe(a.body.id);
    expect((await call<Sandbox[]>('GET', '/api/sandboxes')).body.map((s) => s.id)).toEqual([a.body.id, b.id]);
    const A = a.body.baseUrl;

    const device = (await call<{ devices: { eui: string }[] }>('GET', '/api/console/devices?type=ESME&status=InstalledNotCommissioned&limit=1')).body.devices[0]!.eui;
    const before = JSON.stringify(await supplierDs('', device));
    const { exampleRequest } = await loadExamples();
    const legs = await sendRequest(server.world, { xml: exampleRequest(server.world, 'handover', { device: device.replace(/-/g, '') as never }), baseUrl: `${server.url}${A}` });
    expect(legs.map((l) => l.responseCode)).toEqual(['I99']);
    // the device's supplier cells changed in A only
    const inA = JSON.stringify(await supplierDs(A, device));
    expect(inA).not.toBe(before);
    expect(JSON.stringify(await supplierDs(b.baseUrl, device))).toBe(before);
    expect(JSON.stringify(await supplierDs('', device))).toBe(before);
    // and the request is in A's log only
    expect((await call<unknown[]>('GET', `${A}/api/requests`)).body).toHaveLength(1);
    expect((await call<unknown[]>('GET', `${b.baseUrl}/api/requests`)).body).toHaveLength(0);
    expect((await call<unknown[]>('GET', '/api/requests')).body).toHaveLength(0);

    const sharedClock = Date.parse((await call<{ now: string }>('GET', '/api/clock')).body.now);
    const moved = (await call<{ now: string }>('POST', `${A}/api/clock`, { advance: '9d' })).body.now;
    expect(Date.parse(moved) - sharedClock).toBeGreaterThan(9 * 86_400_000 - 60_000);
    expect(Math.abs(Date.parse((await call<{ now: string }>('GET', `${b.baseUrl}/api/clock`)).body.now) - sharedClock)).toBeLessThan(60_000);
    expect(Math.abs(Date.parse((await call<{ now: string }>('GET', '/api/clock')).body.now) - sharedClock)).toBeLessThan(60_000);

    // reset: back to the copy taken at creation, clock included
    const reset = await call<Sandbox>('POST', `/api/sandboxes/${a.body.id}/reset`);
    expect(reset.status).toBe(200);
    expect(Math.abs(Date.parse(reset.body.clock) - sharedClock)).toBeLessThan(60_000);
    expect(JSON.stringify(await supplierDs(A, device))).toBe(before);
    expect((await call<unknown[]>('GET', `${A}/api/requests`)).body).toHaveLength(0);
    // and it takes the same request again
    const again = await sendRequest(server.world, { xml: exampleRequest(server.world, 'handover', { device: device.replace(/-/g, '') as never }), baseUrl: `${server.url}${A}` });
    expect(again.map((l) => l.responseCode)).toEqual(['I99']);
    expect(JSON.stringify(await supplierDs(A, device))).toBe(inA);

    expect((await call('DELETE', `/api/sandboxes/${b.id}`)).status).toBe(204);
    expect((await call('GET', `${b.baseUrl}/api/clock`)).status).toBe(404);
    expect(existsSync(b.file)).toBe(false);
  });
});
