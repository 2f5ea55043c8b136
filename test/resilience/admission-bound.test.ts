import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver, sleep } from './kit.ts';

// Finding 3 of issue 19: a hanging receiver held its party's acknowledgements without limit, and
// requests whose client had given up were executed later (in the log as I99 up to 65 s after they
// were sent), so a client that sent again acted twice. Now a sender waits at most
// admissionWaitMs, is then told in DUIS that nothing was done, and a request whose client went
// away is never acted on.

const LIMIT = 2;
const WAIT = 1000;
let h: Harness;
const hanging = new Receiver();
let supplier: Eui;
let device: Eui;
let counter = 70_000n;

beforeAll(async () => {
  h = await startHarness({ workers: 0, outboxAdmissionLimit: LIMIT, admissionWaitMs: WAIT });
  await hanging.start();
  const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
  supplier = a.supplier;
  device = a.eui;
  h.world.store.setResponseUrl(supplier, hanging.url);
  hanging.mode = 'hang';
}, 120_000);

afterAll(async () => {
  await h?.close();
  await hanging.stop();
});

const request = () => signAs(h.world, supplier, retrieveXml(supplier, device, ++counter));
const acted = () => h.server.dcc.gateway.listRequests({ originatorEui: supplier, limit: 1000 }).filter((r) => r.responseCode === 'I99').length;

describe('admission has a bound', () => {
  it('a sender held by a hanging receiver is answered within the bound, not acted on, and may send again', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await h.post('serviceS', request())).code).toBe('I99');
    const before = acted();
    const xml = request();
    const t = Date.now();
    const held = await h.post('serviceS', xml);
    const ms = Date.now() - t;
    expect(ms).toBeGreaterThanOrEqual(WAIT - 50);
    expect(ms).toBeLessThan(WAIT + 1500);
    expect(held.status).toBe(503);
    expect(held.code).toBe('E100');
    expect(held.reason).toMatch(/held \d+ ms for admission: .* not being taken by its Receive Response Service; not acted on, send it again later/);
    expect(acted()).toBe(before);

    // Client gives up while waiting: never acted on, not even once the receiver takes its responses.
    const late = request();
    const give = new AbortController();
    const gaveUp = fetch(`${h.server.url}/api/v1/serviceS`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: late, signal: give.signal }).catch((e: Error) => e);
    await sleep(300);
    give.abort();
    expect(await gaveUp).toBeInstanceOf(Error);
    await sleep(200); // the server sees the connection end
    hanging.release();
    await sleep(WAIT + 500);
    expect(acted()).toBe(before);
    const gone = h.server.dcc.gateway.listRequests({ limit: 5 }).find((r) => /client went away/.test(r.reason ?? ''));
    expect(gone, 'the abandoned request is logged as not acted on').toBeDefined();

    // Sent again, each is acted on exactly once: neither counter was used.
    expect((await h.post('serviceS', xml)).code).toBe('I99');
    expect((await h.post('serviceS', late)).code).toBe('I99');
    expect(acted()).toBe(before + 2);
  }, 30_000);
});
