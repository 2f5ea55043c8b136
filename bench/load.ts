import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

// The load generator's parts that bench/run.ts and bench/postgres.ts share: supplier streams,
// percentiles, and the CPU a process has used (from /proc).

const log = (s: string) => process.stderr.write(`${s}\n`);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU seconds a process has used so far, all its threads (utime + stime from /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100 on Linux)
}

/**
 * Where the CPU went while a phase ran, to read its latency by: how long a process's main thread waited runnable for a
 * core (/proc/PID/schedstat, the run queue), and what share of the machine's CPU time the hypervisor took (steal, from
 * /proc/stat). A sample now; `cpuWaitSince` gives the difference to another.
 */
export interface CpuWaitSample {
  runQueueNs: number;
  steal: number;
  total: number;
}

export function cpuWaitSample(pid: number): CpuWaitSample {
  const runQueueNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  // cpu user nice system idle iowait irq softirq steal ...
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { runQueueNs, steal: ticks[7]!, total: ticks.reduce((a, b) => a + b, 0) };
}

export function cpuWaitSince(before: CpuWaitSample, pid: number): { runQueueMs: number; stealPercent: number } {
  const now = cpuWaitSample(pid);
  return { runQueueMs: (now.runQueueNs - before.runQueueNs) / 1e6, stealPercent: (100 * (now.steal - before.steal)) / Math.max(1, now.total - before.total) };
}

/**
 * One supplier system's ordered stream: HTTP/1.1 requests pipelined on one keep-alive socket, so
 * several are in flight while the DCC still sees them in counter order (a server answers pipelined
 * requests in order). fetch() cannot pipeline, and one request in flight per supplier left the
 * server idle a quarter of the time at "saturation" (a profile of the served simulator showed it).
 */
export class PipelinedStream {
  private readonly socket: Socket;
  private readonly waiting: ((r: { code: string | undefined; status: number }) => void)[] = [];
  private pending: Buffer = Buffer.alloc(0);

  constructor(port: number, private readonly path: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      this.drain();
    });
    this.socket.on('error', (e) => {
      for (const w of this.waiting.splice(0)) w({ code: undefined, status: 0 });
      log(`stream socket error: ${e.message}`);
    });
  }

  private drain(): void {
    for (;;) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.pending.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(length)) throw new Error(`bench client: response without content-length: ${head.slice(0, 200)}`);
      if (this.pending.length < end + 4 + length) return;
      this.pending = this.pending.subarray(end + 4 + length);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const code = /\r\nx-dcc-sim-response-code:\s*([^\r]+)/i.exec(head)?.[1];
      this.waiting.shift()?.({ code, status });
    }
  }

  send(xml: string): Promise<{ code: string | undefined; status: number }> {
    const body = Buffer.from(xml, 'utf8');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(`POST ${this.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`);
      this.socket.write(body);
    });
  }

  close(): void {
    this.socket.end();
  }
}

/**
 * The suppliers' Receive Response Service on 127.0.0.1: notes when each asynchronous response
 * (by its RequestID) first arrives, and tells `onFirst` of it.
 */
export async function startResponseSink(onFirst?: (requestId: string) => void): Promise<{ url: string; arrived: Map<string, number>; server: Server }> {
  const arrived = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const id = /<sr:RequestID>([^<]+)</.exec(body)?.[1];
      if (id && !arrived.has(id)) {
        arrived.set(id, performance.now());
        onFirst?.(id);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/duis`, arrived, server };
}

/**
 * Each supplier's signed requests, sent in their order over a pipelined stream of its own. next()
 * writes the supplier's next request at once (so a stream's requests leave in counter order) and
 * resolves with its latency from `from` when the answer arrives; null when the supplier has none left.
 */
export class SupplierStreams {
  /** when each request left, by RequestID */
  readonly sent = new Map<string, number>();
  /** answers other than I99 */
  errors = 0;
  private readonly cursors = new Map<string, number>();
  private readonly sockets = new Map<string, PipelinedStream>();

  constructor(
    private readonly streams: Map<string, string[]>,
    portOf: (supplier: string) => number,
  ) {
    for (const s of streams.keys()) {
      this.cursors.set(s, 0);
      this.sockets.set(s, new PipelinedStream(portOf(s), '/api/v1/serviceS'));
    }
  }

  next(supplier: string, from = performance.now()): Promise<number> | null {
    const list = this.streams.get(supplier)!;
    const i = this.cursors.get(supplier)!;
    if (i >= list.length) return null;
    this.cursors.set(supplier, i + 1);
    const xml = list[i]!;
    this.sent.set(/<sr:RequestID>([^<]+)</.exec(xml)![1]!, performance.now());
    return this.sockets.get(supplier)!.send(xml).then((r) => {
      if (r.code !== 'I99') this.errors++;
      return performance.now() - from;
    });
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
  }
}
