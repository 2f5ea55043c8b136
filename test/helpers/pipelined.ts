import { connect } from 'node:net';
import { once } from 'node:events';
import { expect } from 'vitest';
import type { Eui } from '../../pki/index.ts';
import type { PrevalidationPool } from '../../src/dcc/prevalidation-pool.ts';
import { DCC } from '../../src/world/catalogue.ts';
import type { Harness } from './gateway.ts';
import { pickDevice } from './gateway-requests.ts';

// Shared by the worker tests (test/gateway/workers.test.ts, pipeline-workers.test.ts): requests
// HTTP/1.1-pipelined over one socket, and the devices their streams are made for.

export interface RawAnswer {
  status: number;
  code: string;
  reason: string | null;
}

/**
 * Sends the requests HTTP/1.1-pipelined over one socket (written in one go, before any answer) and
 * reads the answers in order. Fails on anything but exactly one answer per request.
 */
export async function pipelined(baseUrl: string, requests: { endpoint: string; body: string }[], whileWaiting?: () => void): Promise<RawAnswer[]> {
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
  whileWaiting?.();
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
      expect(Number.isInteger(length), `answer has a Content-Length: ${head}`).toBe(true);
      if (buf.length < end + 4 + length) break;
      const header = (name: string) => new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, 'i').exec(head)?.[1] ?? null;
      answers.push({ status: Number(head.split(' ')[1]), code: header('x-dcc-sim-response-code') ?? '', reason: header('x-dcc-sim-reason') });
      buf = buf.subarray(end + 4 + length);
    }
    if (answers.length >= requests.length) break;
  }
  // Nothing more may follow: a request answered twice would show here.
  await new Promise((r) => setTimeout(r, 50));
  const extra = socket.read() as Buffer | null;
  socket.destroy();
  expect(buf.length + (extra?.length ?? 0), 'no bytes beyond the answers').toBe(0);
  expect(answers).toHaveLength(requests.length);
  return answers;
}

/**
 * One commissioned ESME per registered supplier, suppliers in a fixed order: each test takes its own
 * suppliers, so that no test's counters meet another's.
 */
export function esmesBySupplier(h: Harness): ReturnType<typeof pickDevice>[] {
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
export function handoverTargets(h: Harness, supplier: Eui): string[] {
  const out: string[] = [];
  for (const type of ['ESME', 'GSME'] as const) {
    const { devices } = h.world.store.listDevices({ type, status: 'InstalledNotCommissioned', limit: 100_000 });
    for (const d of devices) {
      const sp = d.mpxn ? h.world.store.getSupplyPoint(d.mpxn) : undefined;
      const cells = h.world.store.getDeviceSecurity(d.eui)?.cells as Record<string, number | undefined> | undefined;
      const holder = cells?.supplierDS === undefined ? null : h.world.certificate(cells.supplierDS).subjectEui;
      if (sp?.supplierEui === supplier && holder === DCC.accessControlBroker) out.push(d.eui);
    }
  }
  return out;
}

/** Ends a lane's worker as soon as it holds requests (watching from `start()` on); `terminated()` says whether it did. */
export function endWorkerOnceBusy(pool: PrevalidationPool, lane: number): { start(): void; terminated(): boolean } {
  let terminated = false;
  const watch = () => {
    if (pool.stats().lanes[lane]!.outstanding > 0) {
      terminated = true;
      void pool.terminateWorker(lane);
    } else setImmediate(watch);
  };
  return { start: () => setImmediate(watch), terminated: () => terminated };
}
