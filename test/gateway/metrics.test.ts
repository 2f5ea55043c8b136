import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver } from '../resilience/kit.ts';
import type { MetricsSnapshot } from '../../src/dcc/metrics.ts';

// GET /api/metrics: what a load test watches while it runs. Real server on 127.0.0.1, real world
// file, real signed requests and a real receiver for the asynchronous responses.

let h: Harness;
const receiver = new Receiver();
let counter = 70_000n;

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  await receiver.start();
});

afterAll(async () => {
  await h?.close();
  await receiver.stop();
});

async function metrics(): Promise<MetricsSnapshot> {
  const res = await fetch(`${h.server.url}/api/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as MetricsSnapshot;
}

const stage = (m: MetricsSnapshot, name: string) => m.stages.figures.find((s) => s.stage === name);

describe('GET /api/metrics', () => {
  it('counts requests by response code, times every stage including persistence, and follows the outbox', async () => {
    const d = pickDevice(h.world, 'ESME', (dev, reg) => dev.status === 'Commissioned' && reg.supplier !== null);
    h.world.store.setResponseUrl(d.supplier, receiver.url);
    receiver.mode = 'ok';
    const before = await metrics();

    const codes: string[] = [];
    for (let i = 0; i < 3; i++) codes.push((await h.post('serviceS', signAs(h.world, d.supplier, retrieveXml(d.supplier, d.eui, ++counter)))).code);
    expect(codes).toEqual(['I99', 'I99', 'I99']);
    // Signed, then altered (a role asked for swapped): well-formed and valid, refused at the signature check.
    const signed = signAs(h.world, d.supplier, retrieveXml(d.supplier, d.eui, ++counter));
    expect(signed).toContain('>NetworkOperator<');
    const refused = await h.post('serviceS', signed.replace('>NetworkOperator<', '>Root<'));
    expect(refused.code).not.toBe('I99');
    expect(refused.reason).toMatch(/signature|digest/i);

    await expect.poll(async () => (await metrics()).outbox.deliveredTotal - before.outbox.deliveredTotal, { timeout: 5_000 }).toBe(3);
    const after = await metrics();
    expect(after.requests.total - before.requests.total).toBe(4);
    expect((after.requests.byEndpoint.serviceS ?? 0) - (before.requests.byEndpoint.serviceS ?? 0)).toBe(4);
    expect((after.requests.byResponseCode.I99 ?? 0) - (before.requests.byResponseCode.I99 ?? 0)).toBe(3);
    expect((after.requests.byResponseCode[refused.code] ?? 0) - (before.requests.byResponseCode[refused.code] ?? 0)).toBe(1);
    expect(after.requests.perSecond).toBeGreaterThan(0);

    // Stages in pipeline order; a refused request's failed step is not counted as that stage's cost.
    const names = after.stages.figures.map((s) => s.stage);
    for (const s of ['parse', 'signature', 'device', 'response-signing', 'persistence']) expect(names).toContain(s);
    expect(names.indexOf('parse')).toBeLessThan(names.indexOf('persistence'));
    expect(stage(after, 'persistence')!.n - (stage(before, 'persistence')?.n ?? 0)).toBe(3);
    expect(stage(after, 'signature')!.n - (stage(before, 'signature')?.n ?? 0)).toBe(3);
    expect(stage(after, 'parse')!.n - (stage(before, 'parse')?.n ?? 0)).toBe(4);
    for (const s of after.stages.figures) {
      expect(s.meanMs).toBeGreaterThanOrEqual(0);
      expect(s.p99Ms).toBeGreaterThanOrEqual(s.p50Ms);
    }
    expect(after.mainThread.busySeconds).toBeGreaterThan(before.mainThread.busySeconds);
    expect(after.mainThread.utilisation).toBeGreaterThan(0);
    expect(after.mainThread.utilisation).toBeLessThanOrEqual(1);
    expect(after.outbox.pending).toBe(0);
    expect(after.outbox.inFlight).toBe(0);
    expect(after.memory.rssBytes).toBeGreaterThan(after.memory.heapUsedBytes);
    expect(after.workers).toBeUndefined();
    // nothing is run again on SQLite (one writer); a PostgreSQL world's count is test/gateway/metrics-postgres.test.ts's
    if (after.store.kind === 'sqlite') expect(after.store).toMatchObject({ kind: 'sqlite', transactionRetries: 0, retriesBySqlState: { '40001': 0, '40P01': 0 } });
  });

  it('counts failed delivery attempts and the backlog while a receiver fails', async () => {
    const d = pickDevice(h.world, 'ESME', (dev, reg) => dev.status === 'Commissioned' && reg.supplier !== null);
    h.world.store.setResponseUrl(d.supplier, receiver.url);
    receiver.mode = 'error'; // answers 500
    const before = await metrics();
    expect((await h.post('serviceS', signAs(h.world, d.supplier, retrieveXml(d.supplier, d.eui, ++counter)))).code).toBe('I99');
    await expect.poll(async () => (await metrics()).outbox.failedAttemptsTotal - before.outbox.failedAttemptsTotal, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    const failing = await metrics();
    expect(failing.outbox.pending - before.outbox.pending).toBe(1);
    expect(failing.outbox.deliveredTotal).toBe(before.outbox.deliveredTotal);
    receiver.mode = 'ok'; // the retry (after back-off) delivers it
    await expect.poll(async () => (await metrics()).outbox.pending, { timeout: 5_000 }).toBe(before.outbox.pending);
    expect((await metrics()).outbox.deliveredTotal).toBe(before.outbox.deliveredTotal + 1);
  });

  it("counts the holds of the main thread a request would have waited behind, and the GC's pauses", async () => {
    const before = await metrics();
    // The server shares this thread: hold it 60 ms, as a long synchronous job would.
    const until = performance.now() + 60;
    while (performance.now() < until);
    // and make garbage enough for young-generation collections
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += new Array(16).fill(i).length;
    expect(keep).toBe(3_200_000);
    await new Promise((r) => setTimeout(r, 30));
    const after = await metrics();
    const held = (m: MetricsSnapshot, ms: string) => m.mainThread.stalls.atLeastMs[ms]!;
    expect(held(after, '50') - held(before, '50')).toBeGreaterThanOrEqual(1);
    expect(held(after, '10')).toBeGreaterThanOrEqual(held(after, '20'));
    expect(after.mainThread.stalls.maxMs).toBeGreaterThanOrEqual(50);
    expect(after.mainThread.stalls.totalMs - before.mainThread.stalls.totalMs).toBeGreaterThanOrEqual(50);
    const minor = (m: MetricsSnapshot) => m.mainThread.gc.byKind.minor?.count ?? 0;
    expect(minor(after)).toBeGreaterThan(minor(before));
    expect(after.mainThread.gc.byKind.minor!.totalMs).toBeGreaterThan(0);
  });

  it('speaks the Prometheus text format, with the same figures as the JSON', async () => {
    const json = await metrics();
    const res = await fetch(`${h.server.url}/api/metrics?format=prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const typed = new Set<string>();
    const samples = new Map<string, number>();
    for (const line of text.trimEnd().split('\n')) {
      const type = /^# TYPE (\w+) (counter|gauge|summary)$/.exec(line);
      if (type) {
        typed.add(type[1]!);
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      const m = /^(\w+)(\{(?:\w+="(?:[^"\\]|\\.)*",?)*\})? (-?[\d.e+-]+|NaN)$/.exec(line);
      expect(m, `a well-formed sample line: ${line}`).not.toBeNull();
      const family = m![1]!.replace(/_(sum|count)$/, '');
      expect(typed.has(m![1]!) || typed.has(family), `${m![1]} has a TYPE line before it`).toBe(true);
      samples.set(`${m![1]}${m![2] ?? ''}`, Number(m![3]));
    }
    expect(samples.get('dcc_sim_responses_total{code="I99"}')).toBe(json.requests.byResponseCode.I99);
    expect(samples.get('dcc_sim_requests_total{endpoint="serviceS"}')).toBe(json.requests.byEndpoint.serviceS);
    expect(samples.get('dcc_sim_stage_seconds_count{stage="persistence"}')).toBe(stage(json, 'persistence')!.n);
    expect(samples.get('dcc_sim_outbox_delivered_total')).toBe(json.outbox.deliveredTotal);
    expect(samples.get('dcc_sim_store_transaction_retries_total{sqlstate="40001"}')).toBe(json.store.retriesBySqlState['40001']);
    expect(samples.get('dcc_sim_main_thread_busy_seconds_total')).toBeGreaterThanOrEqual(json.mainThread.busySeconds);
    expect(samples.get('dcc_sim_main_thread_stalls_total{at_least_ms="10"}')).toBeGreaterThanOrEqual(json.mainThread.stalls.atLeastMs['10']!);
    expect(samples.get('dcc_sim_gc_pauses_total{kind="minor"}')).toBeGreaterThanOrEqual(json.mainThread.gc.byKind.minor!.count);

    // Prometheus's scraper asks with an Accept header rather than a query.
    const scraped = await fetch(`${h.server.url}/api/metrics`, { headers: { accept: 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1' } });
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scraped.text()).toMatch(/^# HELP dcc_sim_requests_total/);

    const bad = await fetch(`${h.server.url}/api/metrics?format=xml`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/json or prometheus/);
  });
});

describe('GET /api/metrics with prevalidation workers', () => {
  it("counts the requests the workers judged and each worker's busy time", async () => {
    const w = await startHarness({ workers: 1 });
    try {
      await w.server.prevalidation!.ready();
      const d = pickDevice(w.world, 'ESME', (dev, reg) => dev.status === 'Commissioned' && reg.supplier !== null);
      const before = (await (await fetch(`${w.server.url}/api/metrics`)).json()) as MetricsSnapshot;
      for (let i = 0; i < 3; i++) expect((await w.post('serviceS', signAs(w.world, d.supplier, retrieveXml(d.supplier, d.eui, ++counter)))).code).toBe('I99');
      const after = (await (await fetch(`${w.server.url}/api/metrics`)).json()) as MetricsSnapshot;
      expect(after.workers!.prevalidated - before.workers!.prevalidated).toBe(3);
      expect(after.workers!.inThread).toBe(before.workers!.inThread);
      expect(after.workers!.busySeconds).toHaveLength(1);
      expect(after.workers!.busySeconds[0]!).toBeGreaterThan(before.workers!.busySeconds[0]!);
    } finally {
      await w.close();
    }
  });
});
