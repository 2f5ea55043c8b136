import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { inventoryXml, pickDevice, signAs } from '../helpers/gateway-requests.ts';

// Finding 4 of issue 19: `POST /api/clock {"advance":"100000000d"}` persisted an offset past the
// Date range, after which every request and /api/health answered 500, even after a restart.

let server: RunningServer | undefined;
let file = '';
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

/** Two signed 8.2 Read Inventory requests, signed before the server opens the world. */
function prepare(): string[] {
  file = demoWorldFile();
  const w = World.open(file);
  const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
  const xmls = [1n, 2n].map((n) => signAs(w, esme.supplier, inventoryXml(esme.supplier, esme.mpxn!, 7000n + n)));
  w.close();
  return xmls;
}

async function duis(xml: string): Promise<string | null> {
  const res = await fetch(`${server!.url}/api/v1/serviceD`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml });
  expect(res.status).toBe(200);
  return res.headers.get('x-dcc-sim-response-code');
}

const postClock = (body: unknown) =>
  fetch(`${server!.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the simulated clock is bounded', () => {
  it('refuses to move past the Date range, changes nothing, and keeps serving', async () => {
    const [a, b] = prepare();
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
    const before = Date.parse(((await (await fetch(`${server.url}/api/clock`)).json()) as { now: string }).now);
    for (const body of [{ advance: '100000000d' }, { advance: `${'9'.repeat(400)}d` }, { set: '+275760-09-13T00:00:00.000Z' }, { set: '1969-12-31T23:59:59Z' }]) {
      const res = await postClock(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error, JSON.stringify(body)).toMatch(/out of range|goes past|too long/);
    }
    const after = Date.parse(((await (await fetch(`${server.url}/api/clock`)).json()) as { now: string }).now);
    expect(after - before).toBeLessThan(60_000);
    expect(await duis(a!)).toBe('I0');
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    await server.close();
    // and after a restart, nothing was persisted
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
    expect(await duis(b!)).toBe('I0');
    expect(server.dcc.clock.problem).toBeUndefined();
  });

  it('a world whose stored offset is already out of range starts, says so, and is mended by setting the clock', async () => {
    const [a] = prepare();
    const w = World.open(file);
    w.store.setMeta('clock_offset_ms', String(100_000_000 * 86_400_000));
    w.close();
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    const h = (await health.json()) as { ok: boolean; time: string; problems: string[] };
    expect(h.problems.join(' ')).toMatch(/clock offset .* out of range, so the clock follows real time/);
    expect(Math.abs(Date.parse(h.time) - Date.now())).toBeLessThan(60_000);
    expect(await duis(a!)).toBe('I0');
    expect((await postClock({ real: true })).status).toBe(200);
    expect(((await (await fetch(`${server.url}/api/health`)).json()) as { problems: string[] }).problems).toEqual([]);
  });
});
