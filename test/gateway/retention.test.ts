import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestLogRetention } from '../../src/dcc/retention.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver } from '../resilience/kit.ts';

// The request log keeps every outcome but the DUIS XML of the most recent requests only, so a long
// load test does not grow the world file without bound. Pruned rows still answer the API and the
// console, saying the XML was not kept; undelivered responses are never pruned.

let h: Harness;
const receiver = new Receiver();

beforeAll(async () => {
  h = await startHarness({ workers: 0, retentionMs: 3_600_000 }); // pruned by hand below
  await receiver.start();
});

afterAll(async () => {
  await h?.close();
  await receiver.stop();
});

describe('request log retention', () => {
  it('drops the XML of all but the most recent requests and delivered responses, keeps their outcome', async () => {
    const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
    const b = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && reg.supplier !== a.supplier);
    h.world.store.setResponseUrl(a.supplier, receiver.url);
    h.world.store.setResponseUrl(b.supplier, null); // b's responses stay undelivered
    let counter = 70_000n;
    const send = (sender: string, target: string) => h.post('serviceS', signAs(h.world, sender, retrieveXml(sender, target, ++counter)));
    for (let i = 0; i < 4; i++) expect((await send(b.supplier, b.eui)).code).toBe('I99');
    for (let i = 0; i < 6; i++) expect((await send(a.supplier, a.eui)).code).toBe('I99');
    await expect.poll(() => receiver.accepted.length, { timeout: 5_000 }).toBe(6);
    await new Promise((r) => setTimeout(r, 100)); // deliveries marked

    const sizeOfXml = () => h.world.store.db.prepare('SELECT sum(length(request_xml)) AS n FROM requests').get() as { n: number };
    const before = sizeOfXml().n;
    const pruned = new RequestLogRetention(h.server.dcc.gateway, h.world.store, 3).prune();
    expect(pruned).toBeGreaterThan(0);
    expect(sizeOfXml().n).toBeLessThan(before);

    const list = (await (await fetch(`${h.server.url}/api/requests?full=1&limit=1000`)).json()) as { id: number; responseCode: string; requestXml: string | null; steps: unknown[] }[];
    const newest = [...list].sort((x, y) => y.id - x.id);
    expect(newest.slice(0, 3).every((r) => typeof r.requestXml === 'string' && r.requestXml.includes('RequestID'))).toBe(true);
    const old = newest.slice(3);
    expect(old.length).toBeGreaterThan(0);
    for (const r of old) {
      expect(r.requestXml, `request ${r.id}'s XML is no longer kept`).toBeNull();
      expect(r.responseCode).toMatch(/^[IEW]/); // the outcome is
      expect(r.steps.length).toBeGreaterThan(0);
    }
    // The console's detail view of a pruned request says why there is no XML.
    const detail = (await (await fetch(`${h.server.url}/api/console/requests/${old[0]!.id}`)).json()) as { duis: { error?: string }[] };
    expect(detail.duis[0]!.error).toMatch(/not kept/);

    // Undelivered responses keep their bodies; delivered ones beyond the window do not.
    const rows = h.world.store.db.prepare('SELECT party_eui AS party, delivered_at AS deliveredAt, length(body) AS n FROM outbox').all() as { party: string; deliveredAt: string | null; n: number }[];
    const undelivered = rows.filter((r) => r.party === b.supplier);
    expect(undelivered.length).toBe(4);
    expect(undelivered.every((r) => r.deliveredAt === null && r.n > 0)).toBe(true);
    expect(rows.filter((r) => r.party === a.supplier && r.n === 0).length).toBeGreaterThan(0);
    // A second pass has nothing left to do until more requests arrive.
    expect(new RequestLogRetention(h.server.dcc.gateway, h.world.store, 3).prune()).toBe(0);
  });
});
