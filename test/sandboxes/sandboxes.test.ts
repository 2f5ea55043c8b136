import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { sendRequest } from '../../src/client.ts';
import { loadExamples } from '../../src/world/index.ts';
import { MAX_SANDBOXES } from '../../src/sandboxes/index.ts';
import { seedTemplate, type WorldTemplate } from '../compliance/worlds.ts';
import { expectOk, runCliAsync } from '../helpers/world-cli.ts';

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

    // its address in a browser opens the console on it
    const page = await fetch(`${server.url}${b.baseUrl}/`, { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([302, `/?sandbox=${b.id}`]);

    expect((await call('DELETE', `/api/sandboxes/${b.id}`)).status).toBe(204);
    expect((await call('GET', `${b.baseUrl}/api/clock`)).status).toBe(404);
    expect(existsSync(b.file)).toBe(false);
  });

  it('refuses what it cannot do, with a specific error, and changes nothing', async () => {
    const before = (await call<Sandbox[]>('GET', '/api/sandboxes')).body;
    expect(await call('POST', '/api/sandboxes/0badc0de/reset')).toEqual({ status: 404, body: { error: "no sandbox '0badc0de'" } });
    expect((await call('DELETE', '/api/sandboxes/..%2F..%2Fetc')).status).toBe(404);
    expect((await call('GET', '/sandboxes/0badc0de/api/clock')).body).toEqual({ error: "no sandbox '0badc0de': GET /api/sandboxes lists them" });
    const long = await call<{ error: string }>('POST', '/api/sandboxes', { name: 'x'.repeat(81) });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/name/);
    expect((await call<Sandbox[]>('GET', '/api/sandboxes')).body).toEqual(before.map((s) => ({ ...s, clock: expect.any(String) })));
  });

  it('are limited in number: past the limit a new one is refused, but a scenario makes room by dropping the oldest finished scenario\'s', async () => {
    const start = (await call<Sandbox[]>('GET', '/api/sandboxes')).body.length;
    const first = await call<{ runId: string; sandbox: { id: string } }>('POST', '/api/scenarios/misissued-certificate/runs');
    expect((await call<{ status: string }>('POST', `/api/scenarios/runs/${first.body.runId}/finish`)).body.status).toBe('passed');
    const made: string[] = [];
    while (start + 1 + made.length < MAX_SANDBOXES) made.push((await call<Sandbox>('POST', '/api/sandboxes', { name: `filler ${made.length}` })).body.id);
    const refused = await call<{ error: string }>('POST', '/api/sandboxes', { name: 'one too many' });
    expect(refused).toEqual({ status: 429, body: { error: `${MAX_SANDBOXES} sandboxes exist already: drop one first` } });
    expect((await call<Sandbox[]>('GET', '/api/sandboxes')).body).toHaveLength(MAX_SANDBOXES);
    const second = await call<{ runId: string; sandbox: { id: string } }>('POST', '/api/scenarios/misissued-certificate/runs');
    expect(second.status).toBe(201);
    const ids = (await call<Sandbox[]>('GET', '/api/sandboxes')).body.map((s) => s.id);
    expect(ids).toContain(second.body.sandbox.id);
    expect(ids).not.toContain(first.body.sandbox.id);
    expect((await call('GET', `/api/scenarios/runs/${first.body.runId}`)).status).toBe(404);
    await call('DELETE', `/api/scenarios/runs/${second.body.runId}`);
    for (const id of made) expect((await call('DELETE', `/api/sandboxes/${id}`)).status).toBe(204);
  }, 120_000);

  it('`dcc-sim sandbox new|list|reset|drop` against the running server; `scenario run --url` runs in a sandbox of its own, twice', async () => {
    const sharedClock = (await call<{ now: string }>('GET', '/api/clock')).body.now;
    const made = JSON.parse(expectOk(await runCliAsync(['sandbox', 'new', '--url', server.url, '--name', 'from the CLI', '--json'])).stdout) as Sandbox;
    expect(made).toMatchObject({ name: 'from the CLI', baseUrl: `/sandboxes/${made.id}` });
    // (side by side, to keep the test short: each scenario run makes and drops a sandbox of its own)
    const [listed, ...runs] = await Promise.all([
      runCliAsync(['sandbox', 'list', '--url', server.url]),
      runCliAsync(['scenario', 'run', 'misissued-certificate', '--url', server.url], { timeoutMs: 180_000 }),
      runCliAsync(['scenario', 'run', 'misissued-certificate', '--url', server.url], { timeoutMs: 180_000 }),
    ]);
    expect(expectOk(listed!).stdout).toContain(made.id);
    expect(listed!.stdout).toContain('from the CLI');
    for (const r of runs) {
      expectOk(r);
      expect(r.stdout).toMatch(/\(in sandbox [0-9a-f]{8} of the served world, through the DCC at http:\/\/127\.0\.0\.1:\d+\/sandboxes\/[0-9a-f]{8}\)/);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^PASSED: misissued-certificate \(\d+ of \d+ steps passed\)$/);
    }
    expect(Math.abs(Date.parse((await call<{ now: string }>('GET', '/api/clock')).body.now) - Date.parse(sharedClock))).toBeLessThan(5 * 60_000);
    expect((await call<unknown[]>('GET', '/api/requests')).body).toHaveLength(0);
    // the runs' sandboxes were dropped after them
    expect((await call<Sandbox[]>('GET', '/api/sandboxes')).body.filter((s) => s.name.startsWith('scenario:'))).toEqual([]);

    await call('POST', `${made.baseUrl}/api/clock`, { advance: '3d' });
    const reset = JSON.parse(expectOk(await runCliAsync(['sandbox', 'reset', made.id, '--url', server.url, '--json'])).stdout) as Sandbox;
    expect(Math.abs(Date.parse(reset.clock) - Date.parse(made.clock))).toBeLessThan(5 * 60_000);
    expect(expectOk(await runCliAsync(['sandbox', 'drop', made.id, '--url', server.url])).stdout).toContain(`dropped sandbox ${made.id}`);
    const gone = await runCliAsync(['sandbox', 'drop', made.id, '--url', server.url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no sandbox '${made.id}'`);
  }, 300_000);

  it('survive a restart of the server: served again from their files, as they were left', async () => {
    const kept = (await call<Sandbox>('POST', '/api/sandboxes', { name: 'overnight' })).body;
    const clock = (await call<{ now: string }>('POST', `${kept.baseUrl}/api/clock`, { advance: '2d' })).body.now;
    expect(readdirSync(`${file}.sandboxes`)).toEqual(expect.arrayContaining([`${kept.id}.sqlite`, `${kept.id}.snapshot.sqlite`, `${kept.id}.json`]));
    await server.close();
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
    const after = (await call<Sandbox[]>('GET', '/api/sandboxes')).body.find((s) => s.id === kept.id);
    expect(after).toMatchObject({ name: 'overnight', baseUrl: kept.baseUrl });
    expect(Math.abs(Date.parse((await call<{ now: string }>('GET', `${kept.baseUrl}/api/clock`)).body.now) - Date.parse(clock))).toBeLessThan(60_000);
    // and a reset still goes back to the copy made before the restart
    const reset = (await call<Sandbox>('POST', `/api/sandboxes/${kept.id}/reset`)).body;
    expect(Date.parse(reset.clock)).toBeLessThan(Date.parse(clock) - 86_400_000);
  });

  it("are guarded as the shared world's API is: the admin token and same-origin for the JSON API, none for DUIS", async () => {
    const token = 'sandbox-test-admin-token-0123456789';
    const guarded = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false, adminToken: token });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await fetch(`${guarded.url}/api/sandboxes`, { method: 'POST' })).status).toBe(401);
      const cross = await fetch(`${guarded.url}/api/sandboxes`, { method: 'POST', headers: { ...auth, origin: 'http://evil.example' } });
      expect(cross.status).toBe(403);
      expect(((await (await fetch(`${guarded.url}/api/sandboxes`, { headers: auth })).json()) as unknown[])).toEqual([]);
      const made = (await (await fetch(`${guarded.url}/api/sandboxes`, { method: 'POST', headers: auth })).json()) as Sandbox;
      // its JSON API needs the token; an unknown sandbox tells a probe nothing without it
      expect((await fetch(`${guarded.url}${made.baseUrl}/api/clock`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/sandboxes/0badc0de/api/clock`)).status).toBe(401);
      expect((await fetch(`${guarded.url}${made.baseUrl}/api/clock`, { headers: auth })).status).toBe(200);
      const moved = await fetch(`${guarded.url}${made.baseUrl}/api/clock`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"advance":"1d"}' });
      expect(moved.status).toBe(403);
      // its DUIS gateway, like the shared one, takes a signed request without it
      const device = (await (await fetch(`${guarded.url}${made.baseUrl}/api/console/devices?type=ESME&status=InstalledNotCommissioned&limit=1`, { headers: auth })).json()) as { devices: { eui: string }[] };
      const { exampleRequest } = await loadExamples();
      const legs = await sendRequest(guarded.world, { xml: exampleRequest(guarded.world, 'handover', { device: device.devices[0]!.eui.replace(/-/g, '') as never }), baseUrl: `${guarded.url}${made.baseUrl}` });
      expect(legs.map((l) => l.responseCode)).toEqual(['I99']);
    } finally {
      await guarded.close();
    }
  });

  it('show in /api/metrics: each sandbox\'s requests by final outcome beside the shared world\'s (JSON and Prometheus), and in its own /api/metrics', async () => {
    const s = (await call<Sandbox>('POST', '/api/sandboxes', { name: 'metrics' })).body;
    const shared = (await call<{ requests: { total: number } }>('GET', '/api/metrics')).body.requests.total;
    const device = (await call<{ devices: { eui: string }[] }>('GET', '/api/console/devices?type=ESME&status=InstalledNotCommissioned&limit=1')).body.devices[0]!.eui;
    const { exampleRequest } = await loadExamples();
    const handover = () => sendRequest(server.world, { xml: exampleRequest(server.world, 'handover', { device: device.replace(/-/g, '') as never }), baseUrl: `${server.url}${s.baseUrl}` });
    // the second handover is acknowledged, then discarded by the device: its supplier cells no longer hold the ACB
    expect((await handover()).map((l) => l.responseCode)).toEqual(['I99']);
    expect((await handover()).map((l) => l.responseCode)).toEqual(['I99']);

    type Figures = { total: number; byOutcome: { success: number; failure: number }; byFinalResponseCode: Record<string, number>; deviceRefusals: { total: number; byAlertCode: Record<string, number> } };
    const m = (await call<{ requests: Figures; sandboxes: { id: string; name: string; requests: Figures }[] }>('GET', '/api/metrics')).body;
    expect(m.requests.total, 'not counted as the shared world\'s').toBe(shared);
    const mine = m.sandboxes.find((x) => x.id === s.id)!;
    expect(mine).toMatchObject({ name: 'metrics', requests: { total: 2, byOutcome: { success: 1, failure: 1 }, byFinalResponseCode: { I0: 1, E21: 1 }, deviceRefusals: { total: 1 } } });
    const [alert] = Object.keys(mine.requests.deviceRefusals.byAlertCode);
    expect(alert).toMatch(/^[0-9A-F]{4}$/);
    // the sandbox's own figures are the same, and name no sandboxes
    const own = (await call<{ requests: Figures; sandboxes?: unknown }>('GET', `${s.baseUrl}/api/metrics`)).body;
    expect(own.requests).toMatchObject({ total: 2, byOutcome: { success: 1, failure: 1 } });
    expect(own.sandboxes).toBeUndefined();
    const text = await (await fetch(`${server.url}/api/metrics?format=prometheus`)).text();
    expect(text).toContain(`dcc_sim_sandbox_requests_total{sandbox="${s.id}"} 2`);
    expect(text).toContain(`dcc_sim_sandbox_outcomes_total{sandbox="${s.id}",outcome="failure"} 1`);
    expect(text).toContain(`dcc_sim_sandbox_device_refusals_total{sandbox="${s.id}",alert="${alert}"} 1`);
    // a reset starts its figures again, with its request log
    await call('POST', `/api/sandboxes/${s.id}/reset`);
    const after = (await call<{ sandboxes: { id: string; requests: Figures }[] }>('GET', '/api/metrics')).body.sandboxes.find((x) => x.id === s.id)!;
    expect(after.requests.total).toBe(0);
    expect((await call('DELETE', `/api/sandboxes/${s.id}`)).status).toBe(204);
    expect((await call<{ sandboxes: { id: string }[] }>('GET', '/api/metrics')).body.sandboxes.map((x) => x.id)).not.toContain(s.id);
  });
});
