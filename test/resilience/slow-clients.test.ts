import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { REFUSED_BODY_KEPT } from '../../src/dcc/dcc.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoWorldFile } from '../helpers/gateway.ts';

// Finding 5 of issue 19: stalled and trickling connections were never closed (no idle, header or
// body deadline), and every refused junk request was logged with its whole body. The deadlines
// here are short so the test is quick; the defaults are 30 s idle, 10 s headers, 30 s request.

const IDLE = 1000;
const HEADERS = 800;
const REQUEST = 1500;

let file = '';
let server: RunningServer;
beforeAll(async () => {
  file = demoWorldFile();
  server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false, timeouts: { idleMs: IDLE, headersMs: HEADERS, requestMs: REQUEST } });
});
afterAll(async () => {
  await server?.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

/** Opens a connection, runs `feed` on it, and resolves with how long until the server closed it (or rejects after `ms`). */
function closedWithin(ms: number, feed: (s: Socket) => void): Promise<number> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect(Number(port), '127.0.0.1');
    let trickle: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      clearInterval(trickle);
      s.destroy();
      reject(new Error(`still open after ${ms} ms`));
    }, ms);
    s.on('connect', () => feed(s));
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(limit);
      clearInterval(trickle);
      resolve(Date.now() - started);
    });
    (s as Socket & { trickle?: (f: () => void) => void }).trickle = (f) => (trickle = setInterval(f, 100));
  });
}

const trickleOf = (s: Socket) => (s as Socket & { trickle: (f: () => void) => void }).trickle;

describe('slow and stalled clients', () => {
  it('a connection that sends nothing is closed after the idle deadline', async () => {
    const ms = await closedWithin(IDLE + 3000, () => {});
    // no header has come either, so whichever deadline Node checks first closes it: never at once
    expect(ms).toBeGreaterThanOrEqual(Math.min(IDLE, HEADERS) - 100);
  });

  it('headers trickled a byte at a time are cut off at the header deadline', async () => {
    const ms = await closedWithin(HEADERS + 3000, (s) => {
      s.write('POST /api/v1/serviceS HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      trickleOf(s)(() => s.write('x'));
    });
    expect(ms).toBeLessThan(HEADERS + 2000);
  });

  it('a body trickled slower than the request deadline is cut off, never read to its end', async () => {
    const ms = await closedWithin(REQUEST + 3000, (s) => {
      s.write('POST /api/v1/serviceS HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\nContent-Length: 300000\r\n\r\n');
      trickleOf(s)(() => s.write('<'.repeat(512)));
    });
    expect(ms).toBeGreaterThanOrEqual(REQUEST - 100);
  });

  it('refused junk is logged with at most the first 16 KiB of its body', async () => {
    const junk = Buffer.alloc(200 * 1024, 'j');
    const res = await fetch(`${server.url}/api/v1/serviceS`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: junk });
    expect(res.headers.get('x-dcc-sim-response-code')).toBe('E100');
    const [row] = server.dcc.gateway.listRequests({ limit: 1 });
    expect(row!.responseCode).toBe('E100');
    expect(row!.requestXml.length).toBe(REFUSED_BODY_KEPT);
    expect(row!.requestXml.equals(junk.subarray(0, REFUSED_BODY_KEPT))).toBe(true);
  });

  it('a head-end that keeps one connection open for many requests leaks no listeners on it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const one = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<unknown>();
      for (let k = 0; k < 15; k++) {
        const code = await new Promise<string | undefined>((resolve, reject) => {
          const req = http.request(`${server.url}/api/v1/serviceS`, { method: 'POST', agent: one, headers: { 'content-type': 'application/xml' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers['x-dcc-sim-response-code'] as string | undefined));
          });
          req.on('socket', (sock) => sockets.add(sock));
          req.on('error', reject);
          req.end('<junk/>');
        });
        expect(code).toBe('E100');
      }
      expect(sockets.size).toBe(1); // all on one connection
      one.destroy();
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
