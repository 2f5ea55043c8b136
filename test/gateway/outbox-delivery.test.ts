import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver, requestIdOf, sleep, withDb } from '../resilience/kit.ts';

// The outbox under a burst (its posts made on a thread of their own, their results taken back and marked
// delivered in batches): every asynchronous response reaches its own party's receiver once, under its
// delivery id, with the body queued; and stopping abandons an attempt a receiver holds, leaving its row
// queued for the next start.

let h: Harness;
const ra = new Receiver();
const rb = new Receiver();

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  await ra.start();
  await rb.start();
});

afterAll(async () => {
  await h?.close();
  await ra.stop();
  await rb.stop();
});

describe('outbox', () => {
  it('delivers a burst of responses to two parties: each once, to its own receiver, under its id, with its body', async () => {
    const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
    const b = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && reg.supplier !== a.supplier);
    h.world.store.setResponseUrl(a.supplier, ra.url);
    h.world.store.setResponseUrl(b.supplier, rb.url);
    const perParty = 40;
    let counter = 70_000n;
    // each supplier's requests in counter order, the two suppliers side by side
    const sendAll = async (sender: string, target: string) => {
      const ids: string[] = [];
      for (let i = 0; i < perParty; i++) {
        const xml = signAs(h.world, sender, retrieveXml(sender, target, ++counter));
        const answer = await h.post('serviceS', xml);
        expect(answer.code, answer.reason ?? '').toBe('I99');
        ids.push(requestIdOf(xml)!);
      }
      return ids;
    };
    const [idsA, idsB] = await Promise.all([sendAll(a.supplier, a.eui), sendAll(b.supplier, b.eui)]);
    const rows = (ids: string[]) => ids.flatMap((id) => h.server.dcc.gateway.responsesFor(id));
    await expect.poll(() => [...rows(idsA), ...rows(idsB)].every((r) => r.deliveredAt !== null), { timeout: 10_000 }).toBe(true);

    for (const [receiver, other, ids] of [[ra, rb, idsA], [rb, ra, idsB]] as const) {
      const queued = rows(ids);
      expect(queued.length).toBeGreaterThanOrEqual(perParty);
      for (const row of queued) {
        const got = receiver.accepted.filter((d) => d.id === String(row.id));
        expect(got.length, `outbox #${row.id} at its party's receiver once`).toBe(1);
        expect(got[0]!.body === row.body, `outbox #${row.id}'s body`).toBe(true);
        expect(other.accepted.some((d) => d.id === String(row.id)), `outbox #${row.id} not at the other party's receiver`).toBe(false);
      }
    }
    expect(ra.accepted.length + rb.accepted.length).toBe(rows(idsA).length + rows(idsB).length);
    const { outbox } = (await (await fetch(`${h.server.url}/api/metrics`)).json()) as { outbox: { pending: number; failedAttemptsTotal: number } };
    expect(outbox.pending).toBe(0);
    expect(outbox.failedAttemptsTotal).toBe(0);
  });

  it('stopping abandons an attempt a receiver holds: the row stays queued, not marked delivered', async () => {
    const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
    h.world.store.setResponseUrl(a.supplier, ra.url);
    ra.mode = 'hang';
    const attemptsBefore = ra.attempts;
    const xml = signAs(h.world, a.supplier, retrieveXml(a.supplier, a.eui, 80_000n));
    expect((await h.post('serviceS', xml)).code).toBe('I99');
    const requestId = requestIdOf(xml)!;
    for (let i = 0; ra.attempts === attemptsBefore && i < 250; i++) await sleep(20);
    expect(ra.attempts, 'the receiver took the delivery and holds it').toBeGreaterThan(attemptsBefore);

    await h.server.close();
    const left = withDb(h.file, (db) => db.prepare('SELECT delivered_at FROM outbox WHERE request_id = ?').all(requestId) as { delivered_at: string | null }[]);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((r) => r.delivered_at === null), 'still queued for the next start').toBe(true);
    ra.release();
    for (const f of [h.file, `${h.file}-wal`, `${h.file}-shm`]) rmSync(f, { force: true });
    h = undefined as unknown as Harness; // closed here
  });
});
