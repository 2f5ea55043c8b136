import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, inventoryXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver, sleep } from './kit.ts';

// A party's Receive Response Service that is down, answers 500 or hangs: the asynchronous
// responses stay queued (nothing is lost, nothing is marked delivered that was not) and go out when
// it recovers, under the delivery id they were queued with. Meanwhile the DUIS gateway answers as
// fast as ever, and another party's responses are not held up behind the broken receiver.

let h: Harness;
const ra = new Receiver(); // supplier A's receiver: the one that breaks
const rb = new Receiver(); // supplier B's receiver: always fine
let supplierA: Eui;
let supplierB: Eui;
let devicesA: Eui[] = [];
let devicesB: Eui[] = [];
let mpxnA = '';

beforeAll(async () => {
  h = await startHarness();
  await ra.start();
  await rb.start();
  const a = pickDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
  supplierA = a.supplier;
  mpxnA = a.mpxn!;
  const b = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== supplierA);
  supplierB = b.supplier;
  const { devices } = h.world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 100_000 });
  for (const d of devices) {
    const s = h.world.store.getSupplyPoint(d.mpxn!)?.supplierEui;
    if (s === supplierA) devicesA.push(d.eui);
    if (s === supplierB) devicesB.push(d.eui);
  }
  for (const p of h.world.store.listParties()) h.world.store.setResponseUrl(p.eui, p.eui === supplierA ? ra.url : rb.url);
}, 120_000);

afterAll(async () => {
  await h?.close();
  await ra.stop();
  await rb.stop();
});

/** Sends a 6.24.1 (an asynchronous response with the device's credentials) from a supplier to one of its devices. */
async function retrieve(supplier: Eui, device: Eui): Promise<string> {
  const xml = signAs(h.world, supplier, retrieveXml(supplier, device, h.nextCounter()));
  const answer = await h.post('serviceS', xml);
  expect(answer.code, answer.reason ?? '').toBe('I99');
  return answer.response.requestId!.text;
}

function outboxRows(requestIds: string[]) {
  return requestIds.flatMap((id) => h.server.dcc.gateway.responsesFor(id));
}

async function until(what: string, ok: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
  return Date.now() - start;
}

/** Every outbox row of these requests was delivered, and the receiver got each under its id with its body. */
function expectDeliveredTo(r: Receiver, requestIds: string[]): void {
  for (const row of outboxRows(requestIds)) {
    expect(row.deliveredAt, `outbox #${row.id}`).not.toBeNull();
    const got = r.accepted.filter((d) => d.id === String(row.id));
    expect(got.length, `outbox #${row.id} at the receiver`).toBeGreaterThanOrEqual(1);
    for (const d of got) expect(d.body === row.body).toBe(true);
  }
}

const allDelivered = (ids: string[]) => () => outboxRows(ids).every((r) => r.deliveredAt !== null);

describe('receiver faults', () => {
  it('receiver down: responses queue with the error recorded and are delivered when it comes back', async () => {
    const port = ra.port;
    await ra.stop();
    const ids = [await retrieve(supplierA, devicesA[0]!), await retrieve(supplierA, devicesA[1]!)];
    await until('failed attempts', () => outboxRows(ids).every((r) => r.attempts >= 1), 5000);
    for (const r of outboxRows(ids)) {
      expect(r.deliveredAt).toBeNull();
      expect(r.lastError).toMatch(/delivery failed/);
    }
    await sleep(300);
    await ra.start(port);
    const ms = await until('delivery after recovery', allDelivered(ids), 15_000);
    expectDeliveredTo(ra, ids);
    console.info(`receiver down: delivered ${ms} ms after it came back`);
  });

  it('receiver answering 500: retried with back-off, delivered once it answers 2xx', async () => {
    ra.mode = 'error';
    const before = ra.attempts;
    const ids = [await retrieve(supplierA, devicesA[2]!)];
    await until('two refused attempts', () => outboxRows(ids).every((r) => r.attempts >= 2), 10_000);
    const [row] = outboxRows(ids);
    expect(row!.deliveredAt).toBeNull();
    expect(row!.lastError).toMatch(/HTTP 500/);
    expect(ra.attempts - before).toBeGreaterThanOrEqual(2);
    expect(ra.ids().has(String(row!.id))).toBe(false);
    ra.mode = 'ok';
    await until('delivery after recovery', allDelivered(ids), 15_000);
    expectDeliveredTo(ra, ids);
  });

  it('receiver slow: a response that takes a while to be acknowledged is delivered once, not abandoned', async () => {
    ra.delayMs = 1500;
    const ids = [await retrieve(supplierA, devicesA[3]!)];
    await until('slow delivery', allDelivered(ids), 10_000);
    ra.delayMs = 0;
    expectDeliveredTo(ra, ids);
    const [row] = outboxRows(ids);
    expect(ra.accepted.filter((d) => d.id === String(row!.id))).toHaveLength(1);
    expect(row!.attempts).toBe(1);
  });

  it('receiver hanging: the gateway stays responsive and other parties still get their responses; all delivered on release', async () => {
    ra.mode = 'hang';
    // More hanging responses than the outbox delivers at once.
    const hung: string[] = [];
    for (let i = 0; i < 20; i++) hung.push(await retrieve(supplierA, devicesA[i % devicesA.length]!));
    await until('the receiver holding requests', () => ra.attempts > 0 && outboxRows(hung).some((r) => r.deliveredAt === null), 5000);
    await sleep(200);

    // DUIS round trips while it hangs: 8.2 (synchronous) and 6.24.1 (acknowledged, response to B).
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const xml = signAs(h.world, supplierA, inventoryXml(supplierA, mpxnA, h.nextCounter()));
      const t = performance.now();
      const answer = await h.post('serviceD', xml);
      rtts.push(performance.now() - t);
      expect(answer.code).toBe('I0');
    }
    const t = Date.now();
    const other = [await retrieve(supplierB, devicesB[0]!)];
    rtts.push(Date.now() - t);
    const otherMs = await until("supplier B's response while A's receiver hangs", allDelivered(other), 15_000);
    expectDeliveredTo(rb, other);
    console.info(`receiver hanging: DUIS round trips ${rtts.map((x) => x.toFixed(0)).join(', ')} ms; another party's response delivered in ${otherMs} ms`);
    expect(Math.max(...rtts), 'DUIS round trip while a receiver hangs').toBeLessThan(2000);
    // Well inside the outbox's 5 s delivery timeout: B does not wait for A's hung deliveries.
    expect(otherMs, "another party's response waited for the hanging receiver").toBeLessThan(3000);

    // Past the outbox's 5 s delivery timeout: the hung attempts are abandoned and retried, not lost.
    await until('a timed-out attempt', () => outboxRows(hung).some((r) => r.attempts >= 1 && /timeout|abort/i.test(r.lastError ?? '')), 15_000);
    expect(outboxRows(hung).every((r) => r.deliveredAt === null), 'nothing delivered while the receiver hangs').toBe(true);
    ra.release();
    await until('delivery of everything after the hang', allDelivered(hung), 40_000);
    expectDeliveredTo(ra, hung);
    expect(outboxRows(hung)).toHaveLength(20);
  }, 90_000);
});
