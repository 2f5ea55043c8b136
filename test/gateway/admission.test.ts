import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver } from '../resilience/kit.ts';

// Admission control (src/dcc/outbox.ts): a sender's requests wait while too many of its
// asynchronous responses are queued and untried, so responses cannot fall ever further behind the
// acknowledgements; other senders are not held up, and nothing is lost or reordered.

const LIMIT = 3;
let h: Harness;
const slow = new Receiver();
const fast = new Receiver();

beforeAll(async () => {
  h = await startHarness({ workers: 0, outboxAdmissionLimit: LIMIT });
  await slow.start();
  await fast.start();
});

afterAll(async () => {
  await h?.close();
  await slow.stop();
  await fast.stop();
});

describe('admission control', () => {
  it("holds a sender whose responses are not being taken, not anyone else, and lets it go in order when they are", async () => {
    const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
    const b = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && reg.supplier !== a.supplier);
    h.world.store.setResponseUrl(a.supplier, slow.url);
    h.world.store.setResponseUrl(b.supplier, fast.url);
    slow.mode = 'hang'; // takes deliveries and never answers (until released)
    const untried = () => h.server.dcc.gateway.untriedOutboxCount(a.supplier);
    let counter = 50_000n;
    const send = (sender: string, target: string) => h.post('serviceS', signAs(h.world, sender, retrieveXml(sender, target, ++counter)));

    // A's first LIMIT requests go straight through; the next one waits for A's backlog.
    for (let i = 0; i < LIMIT; i++) expect((await send(a.supplier, a.eui)).code).toBe('I99');
    expect(untried()).toBe(LIMIT);
    let heldAnswered = false;
    const held = send(a.supplier, a.eui).then((r) => {
      heldAnswered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(heldAnswered, 'the request beyond the limit waits').toBe(false);

    // B is not held up by A's backlog.
    const t = Date.now();
    for (let i = 0; i < 3; i++) expect((await send(b.supplier, b.eui)).code).toBe('I99');
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(heldAnswered, 'still waiting while A takes nothing').toBe(false);

    // A's receiver takes its responses: the waiting request goes on, and so do later ones.
    slow.release();
    expect((await held).code).toBe('I99');
    for (let i = 0; i < 3; i++) expect((await send(a.supplier, a.eui)).code).toBe('I99');
    await expect.poll(() => slow.accepted.length, { timeout: 5_000 }).toBe(LIMIT + 4);
    // the receiver has them before its answers are back and the rows marked: polled, not read at once
    await expect.poll(untried, { timeout: 5_000 }).toBe(0);
    // Each acknowledged request has its response, once.
    const ids = slow.accepted.map((d) => /<sr:RequestID>([^<]+)</.exec(d.body)?.[1]);
    expect(new Set(ids).size).toBe(LIMIT + 4);
    await expect.poll(() => fast.accepted.length, { timeout: 5_000 }).toBe(3);
  });
});
