import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { once } from 'node:events';
import { RemotePartyRole, type Eui } from '../../pki/index.ts';
import type { StepRecord } from '../../service-requests/index.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { originatorLane } from '../../src/dcc/prevalidation-pool.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { handoverXml, inventoryXml, ocaDer, orgCerts, pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';

// Whole requests on the pipeline workers (src/dcc/speculation.ts): a worker runs the request against
// a snapshot of the world and records what it read and wrote; the main thread re-checks the reads
// and commits, or runs the request again in-thread when something it read has changed. Real server
// on 127.0.0.1, real world file, real signatures; every outcome compared with a server without
// workers given the same requests in the same order.

const WORKERS = 2;
let pooled: Harness;
let inThread: Harness; // a copy of the same world, no workers

beforeAll(async () => {
  pooled = await startHarness({ workers: WORKERS });
  inThread = await startHarness({ workers: 0 });
  expect(await pooled.server.prevalidation!.ready(), 'the workers start').toBe(true);
});

afterAll(async () => {
  await pooled?.close();
  await inThread?.close();
});

interface RawAnswer {
  code: string;
  reason: string | null;
}

/** Sends the requests HTTP/1.1-pipelined over one socket (all written before any answer); the answers in order. */
async function pipelined(baseUrl: string, requests: { endpoint: string; body: string }[]): Promise<RawAnswer[]> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(
    Buffer.concat(
      requests.flatMap((r) => {
        const body = Buffer.from(r.body, 'utf8');
        return [Buffer.from(`POST /api/v1/${r.endpoint} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body];
      }),
    ),
  );
  const answers: RawAnswer[] = [];
  let buf = Buffer.alloc(0);
  socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
  for await (const chunk of socket) {
    buf = Buffer.concat([buf, chunk as Buffer]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (buf.length < end + 4 + length) break;
      const header = (name: string) => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1] ?? null;
      answers.push({ code: header('x-dcc-sim-response-code') ?? '', reason: header('x-dcc-sim-reason') });
      buf = buf.subarray(end + 4 + length);
    }
    if (answers.length >= requests.length) break;
  }
  socket.destroy();
  expect(answers).toHaveLength(requests.length);
  return answers;
}

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

/** One commissioned ESME per supplier, suppliers in a fixed order, so that each test has its own originators. */
function esmesBySupplier(h: Harness): ReturnType<typeof pickDevice>[] {
  const seen = new Set<string>();
  const out: ReturnType<typeof pickDevice>[] = [];
  for (;;) {
    try {
      const d = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && !seen.has(reg.supplier));
      seen.add(d.supplier);
      out.push(d);
    } catch {
      return out;
    }
  }
}

/** A supplier's ESMEs and GSMEs still DCC controlled (supplier cells hold the ACB), for 6.21 handovers. */
function handoverTargets(h: Harness, supplier: Eui): string[] {
  const out: string[] = [];
  for (const type of ['ESME', 'GSME'] as const) {
    for (const d of h.world.store.listDevices({ type, status: 'InstalledNotCommissioned', limit: 100_000 }).devices) {
      const sp = d.mpxn ? h.world.store.getSupplyPoint(d.mpxn) : undefined;
      const cells = h.world.store.getDeviceSecurity(d.eui)?.cells as Record<string, number | undefined> | undefined;
      const holder = cells?.supplierDS === undefined ? null : h.world.certificate(cells.supplierDS).subjectEui;
      if (sp?.supplierEui === supplier && holder === DCC.accessControlBroker) out.push(d.eui);
    }
  }
  return out;
}

describe('requests run whole on the workers', () => {
  it('acknowledges a stream of handovers and reads and carries each out once, as a server without workers does', async () => {
    const w = pooled.world;
    const suppliers = esmesBySupplier(pooled).slice(0, 2);
    expect(suppliers).toHaveLength(2);
    const streams = suppliers.map((esme) => {
      const supplier = esme.supplier;
      const sc = orgCerts(w, supplier, RemotePartyRole.Supplier);
      const targets = handoverTargets(pooled, supplier).slice(0, 8);
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
    console.log(after, [...after.conflictReasons]);
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
  });
});
