import 'reflect-metadata';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotePartyRole, type Eui } from '../../pki/index.ts';
import type { StepRecord } from '../../service-requests/index.ts';
import { World } from '../../src/world/world.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { originatorLane } from '../../src/dcc/prevalidation-pool.ts';
import { deviceState } from '../helpers/gateway-checks.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { endWorkerOnceBusy, esmesBySupplier, handoverTargets, pipelined } from '../helpers/pipelined.ts';
import { handoverXml, inventoryXml, ocaDer, orgCerts, pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';

// Whole requests on the pipeline workers (src/dcc/speculation.ts): a worker runs the request against
// a snapshot of the world and records what it read and wrote; the main thread re-checks the reads
// and commits, or runs the request again in-thread when something it read has changed. Real server
// on 127.0.0.1, real world file, real signatures; every outcome compared with a server without
// workers given the same requests in the same order.

const WORKERS = 2;
let pooled: Harness;
let inThread: Harness; // a copy of the same world, no workers

/** A small demo world in which half the meters still await handover (the shared test world has few such). */
function worldFiles(): [string, string] {
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-pipeline-workers-'));
  const template = path.join(dir, 'template.db');
  const w = World.open(template, { create: true });
  seedDemoWorld(w, { premises: 120, seed: 'pipeline-workers', referenceTime: new Date('2026-11-01T00:00:00Z'), awaitingHandoverShare: 0.5 });
  w.store.db.pragma('wal_checkpoint(TRUNCATE)');
  w.close();
  const copies = [path.join(dir, 'a.db'), path.join(dir, 'b.db')] as [string, string];
  for (const c of copies) copyFileSync(template, c);
  return copies;
}

beforeAll(async () => {
  const [a, b] = worldFiles();
  pooled = await startHarness({ workers: WORKERS, file: a });
  inThread = await startHarness({ workers: 0, file: b });
  expect(await pooled.server.prevalidation!.ready(), 'the workers start').toBe(true);
});

afterAll(async () => {
  await pooled?.close();
  await inThread?.close();
});

/** The ACB's counters are taken from the clock: two runs differ in them and nowhere else. */
const unclocked = (s: string | null) => s?.replace(/\b\d{12,}\b/g, 'N') ?? null;

/** What the request log says of each request since `afterId`, in log order (without timings). */
function logSince(h: Harness, afterId: number, originator?: Eui) {
  return h.server.dcc.gateway
    .listRequests({ afterId, limit: 10_000, ...(originator ? { originatorEui: originator } : {}) })
    .reverse()
    .map((r) => ({
      requestId: r.requestId,
      code: r.responseCode,
      final: r.finalResponseCode,
      failedStep: r.failedStep,
      reason: r.reason,
      finalReason: r.finalReason,
      changedCells: r.changedCells,
      steps: (r.steps as StepRecord[] | null)?.map(({ step, ok, detail }) => ({ step, ok, detail: unclocked(detail ?? null) })),
    }));
}

/** The asynchronous responses and alerts queued for a request: to whom, what kind, which code. */
function outboxOf(h: Harness, requestId: string | null) {
  return h.world.store.db.prepare('SELECT party_eui AS party, kind, response_code AS code FROM outbox WHERE request_id = ? ORDER BY id').all(requestId);
}

/** Who holds each of a device's cells (by the certificate's subject), and how many commands it holds. */
function holders(h: Harness, eui: Eui) {
  const cells = h.world.store.getDeviceSecurity(eui)?.cells as Record<string, number | undefined>;
  return Object.fromEntries(Object.entries(cells).map(([cell, id]) => [cell, `${h.world.certificate(id!).subjectEui}/${h.world.certificateFacts(id!).fingerprint.slice(0, 8)}`]));
}

const lastLogId = (h: Harness) => h.server.dcc.gateway.listRequests({ limit: 1 })[0]?.id ?? 0;

describe('requests run whole on the workers', () => {
  it('acknowledges a stream of handovers and reads and carries each out once, as a server without workers does', async () => {
    const w = pooled.world;
    const suppliers = esmesBySupplier(pooled).slice(0, 2);
    expect(suppliers).toHaveLength(2);
    const streams = suppliers.map((esme) => {
      const supplier = esme.supplier;
      const sc = orgCerts(w, supplier, RemotePartyRole.Supplier);
      const targets = handoverTargets(pooled, supplier).slice(0, 8);
      expect(targets, 'eight handovers per supplier').toHaveLength(8);
      let counter = 10_000n;
      const requests = Array.from({ length: 24 }, (_, i) => {
        counter += 1n;
        const target = i % 3 === 1 ? targets[(i - 1) / 3] : undefined;
        return target
          ? { endpoint: 'serviceS', target, body: signAs(w, supplier, handoverXml({ sender: supplier, target, counter, role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] })) }
          : { endpoint: 'serviceD', target: undefined, body: signAs(w, supplier, inventoryXml(supplier, esme.mpxn!, counter)) };
      });
      return { supplier, targets, requests };
    });
    const since = { pooled: lastLogId(pooled), inThread: lastLogId(inThread) };
    const before = { ...pooled.server.dcc.speculations };

    const answers = await Promise.all(streams.map((s) => pipelined(pooled.server.url, s.requests)));
    const reference = [];
    for (const s of streams) reference.push(await pipelined(inThread.server.url, s.requests));

    const after = pooled.server.dcc.speculations;
    expect(answers).toEqual(reference);
    expect(answers.flat().map((a) => a.code)).toEqual(streams.flatMap((s) => s.requests.map((r) => (r.endpoint === 'serviceS' ? 'I99' : 'I0'))));
    for (const s of streams) {
      const got = logSince(pooled, since.pooled, s.supplier);
      expect(got, 'each request logged once, in the order sent').toHaveLength(s.requests.length);
      expect(got).toEqual(logSince(inThread, since.inThread, s.supplier));
      for (const r of got) expect(outboxOf(pooled, r.requestId), `outbox of ${r.requestId}`).toEqual(outboxOf(inThread, r.requestId));
      for (const t of s.targets) {
        expect(holders(pooled, t), `cells of ${t}`).toEqual(holders(inThread, t));
        expect(holders(pooled, t).supplierDS, 'the supplier holds the cell').toMatch(new RegExp(`^${s.supplier}/`));
      }
    }
    const total = streams.reduce((n, s) => n + s.requests.length, 0);
    expect(after.committed + after.conflicts - before.committed - before.conflicts, 'every request was run on a worker').toBe(total);
    expect(after.committed - before.committed, 'most committed as the worker ran them').toBeGreaterThanOrEqual(total * 0.8);
    // The metrics say so too.
    const metrics = (await (await fetch(`${pooled.server.url}/api/metrics`)).json()) as { workers: { speculated: { committed: number; conflicts: number } } };
    expect(metrics.workers.speculated).toEqual({ committed: after.committed, conflicts: after.conflicts });
  });
});

/** Holds the main thread (nothing commits) while the workers speculate every request from the same snapshot. */
function holdMainThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('conflicts', () => {
  it('two originators on one device at once, and a request sent twice: each acted on once, the losers run again, outcomes as a serial run gives', async () => {
    const pool = pooled.server.prevalidation!;
    const dcc = pooled.server.dcc;
    const w = pooled.world;
    const laneOf = (eui: Eui) => originatorLane(Buffer.from(inventoryXml(eui, '1', 1n)), WORKERS);
    // A meter whose supplier and network operator are in different lanes (so on different workers).
    const used = new Set(esmesBySupplier(pooled).slice(0, 2).map((e) => e.supplier)); // the stream test's
    const meter = pickDevice(w, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && !used.has(reg.supplier) && laneOf(reg.supplier) !== laneOf(reg.no));
    const { supplier, no } = meter;
    // Two DCC-controlled devices of suppliers in different lanes, handed over at the same time: both use the ACB's counter.
    const other = esmesBySupplier(pooled).find((e) => !used.has(e.supplier) && e.supplier !== supplier && laneOf(e.supplier) !== laneOf(supplier))!;
    expect(other, 'a supplier in the other lane').toBeDefined();
    const handover = (s: Eui, counter: bigint) => {
      const sc = orgCerts(w, s, RemotePartyRole.Supplier);
      const target = handoverTargets(pooled, s)[0]!;
      return { endpoint: 'serviceS' as const, target, body: signAs(w, s, handoverXml({ sender: s, target, counter, role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] })) };
    };
    const retrieve = (from: Eui, counter: bigint) => ({ endpoint: 'serviceS' as const, target: meter.eui, body: signAs(w, from, retrieveXml(from, meter.eui, counter)) });
    const first = retrieve(supplier, 30_001n);
    const requests = [
      { name: 'supplier retrieves', ...first },
      { name: 'the same request again', ...first },
      { name: 'supplier retrieves again', ...retrieve(supplier, 30_002n) },
      { name: 'network operator retrieves', ...retrieve(no, 30_001n) },
      { name: 'supplier hands over', ...handover(supplier, 30_003n) },
      { name: 'other supplier hands over', ...handover(other.supplier, 30_001n) },
    ];
    const since = { pooled: lastLogId(pooled), inThread: lastLogId(inThread) };
    const before = { committed: dcc.speculations.committed, conflicts: dcc.speculations.conflicts };

    const order: number[] = [];
    const running = requests.map((r, i) => {
      const body = Buffer.from(r.body);
      // as the gateway does (src/api/gateway.ts)
      return pool.run(body, (pre, speculation) => {
        order.push(i);
        return (speculation && dcc.commitSpeculation(speculation)) || dcc.handle(r.endpoint, body, pre);
      }, r.endpoint);
    });
    holdMainThread(4_000);
    const answers = (await Promise.all(running)).map((a) => a.responseCode);

    // Each once; each originator's in the order sent.
    expect([...order].sort((a, b) => a - b)).toEqual(requests.map((_, i) => i));
    expect(order.filter((i) => i <= 2 || i === 4)).toEqual([0, 1, 2, 4]);
    expect(answers).toEqual(['I99', 'E100', 'I99', 'I99', 'I99', 'I99']);
    expect(logSince(pooled, since.pooled).find((l) => l.code === 'E100')?.failedStep, 'the copy refused as a replay').toBe('request-id');
    const after = dcc.speculations;
    expect(after.committed + after.conflicts - before.committed - before.conflicts, 'all were run on the workers').toBe(requests.length);
    // The meter's second supplier request and one of the two originators' first were speculated on a meter that had changed since.
    expect(after.conflicts - before.conflicts, [...after.conflictReasons.keys()].join('; ')).toBeGreaterThanOrEqual(2);
    expect([...after.conflictReasons.keys()].some((k) => /device_security/.test(k)), 'a conflict over the meter').toBe(true);

    // A serial run of the same requests in the order they were committed gives the same.
    const serial: string[] = [];
    for (const i of order) serial[i] = (await inThread.post(requests[i]!.endpoint, requests[i]!.body)).code;
    expect(answers).toEqual(serial);
    expect(logSince(pooled, since.pooled)).toEqual(logSince(inThread, since.inThread));
    for (const r of requests) expect(outboxOf(pooled, r.body.match(/<sr:RequestID>([^<]+)</)![1]!), r.name).toEqual(outboxOf(inThread, r.body.match(/<sr:RequestID>([^<]+)</)![1]!));
    const meterState = (h: Harness) => {
      const d = deviceState(h.world, meter.eui);
      return { ...d, seqNumbers: Object.fromEntries(Object.entries(d.seqNumbers).map(([k, v]) => [k, unclocked(v)])) };
    };
    expect(meterState(pooled), 'the meter as a serial run leaves it').toEqual(meterState(inThread));
    expect(Object.keys(meterState(pooled).seqNumbers).length).toBeGreaterThan(0);
    for (const r of requests.slice(4)) expect(holders(pooled, r.target), `${r.name}: cells`).toEqual(holders(inThread, r.target));
    // Every accepted command went out under the ACB's counter, each a different one: the DCC's counter is never used twice.
    const counters = dcc.gateway.listRequests({ afterId: since.pooled, limit: 100 }).flatMap((l) => (l.steps as StepRecord[]).filter((s) => s.step === 'command').map((s) => /counter (\d+)/.exec(s.detail ?? '')?.[1]).filter(Boolean));
    expect(counters).toHaveLength(5);
    expect(new Set(counters).size).toBe(counters.length);
  }, 30_000);
});

describe('a worker that dies while running requests', () => {
  it('loses and doubles nothing: what it held is done in-thread, once each, in order', async () => {
    const pool = pooled.server.prevalidation!;
    const w = pooled.world;
    const used = new Set(esmesBySupplier(pooled).slice(0, 2).map((e) => e.supplier));
    const esme = esmesBySupplier(pooled).filter((e) => !used.has(e.supplier)).at(-1)!;
    const supplier = esme.supplier;
    const sc = orgCerts(w, supplier, RemotePartyRole.Supplier);
    const targets = handoverTargets(pooled, supplier).slice(1, 9); // the first may be the conflict test's
    expect(targets).toHaveLength(8);
    const batch = targets.map((target, i) => ({
      endpoint: 'serviceS',
      target,
      body: signAs(w, supplier, handoverXml({ sender: supplier, target, counter: 40_000n + BigInt(i), role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] })),
    }));
    const lane = originatorLane(Buffer.from(batch[0]!.body), WORKERS);
    const before = pool.stats();
    const logBefore = lastLogId(pooled);
    const killer = endWorkerOnceBusy(pool, lane);
    killer.start();
    const answers = await pipelined(pooled.server.url, batch);

    expect(killer.terminated()).toBe(true);
    expect(answers.map((a) => a.code)).toEqual(batch.map(() => 'I99'));
    const logged = dcc().gateway.listRequests({ afterId: logBefore, originatorEui: supplier, limit: 1000 }).reverse();
    expect(logged.map((r) => r.counter), 'each request once, in order').toEqual(batch.map((_, i) => String(40_000n + BigInt(i))));
    for (const b of batch) {
      expect(holders(pooled, b.target).supplierDS, 'each device handed over').toMatch(new RegExp(`^${supplier}/`));
      expect(outboxOf(pooled, logged.find((l) => l.targetEui === b.target)!.requestId).map((o) => (o as { code: string }).code), 'one asynchronous answer').toEqual(['I0']);
    }
    const after = pool.stats();
    expect(after.inThread - before.inThread, 'the dead worker’s requests were done in-thread').toBeGreaterThan(0);
    expect(after.restarts - before.restarts).toBe(1);
    expect(await pool.ready()).toBe(true);
  }, 30_000);
});

const dcc = () => pooled.server.dcc;
