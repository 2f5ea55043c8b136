// Shared by the resilience suites and the soak/fuzz scripts: a dcc-sim server as a child process
// (so it can be killed), a party's Receive Response Service that can be down, slow, hanging or
// failing, and direct reads of a world file from outside the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32): the same seed, the same kill points. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** resolves when the process has exited */
  exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  port?: number;
  /** more command-line arguments */
  extra?: string[];
  env?: NodeJS.ProcessEnv;
  /** false: with a log line per request (--log-requests; default --quiet) */
  quiet?: boolean;
  /** instead of `quiet`: 'events', the server's own log lines only (neither --quiet nor --log-requests) */
  log?: 'events';
  /** start the SMKI portal on this port (default --no-smki) */
  smkiPort?: number;
  readyMs?: number;
  /** how to tell it is up (default: GET /api/health answers 200) */
  ready?: (port: number) => Promise<boolean>;
}

/**
 * `node bin/dcc-sim.mjs serve --db F --port P --quiet --no-smki [extra]`, resolved once
 * /api/health answers (bounded by `readyMs`).
 */
export async function spawnServer(file: string, o: SpawnOptions = {}): Promise<ChildServer> {
  const port = o.port ?? (await freePort());
  const smki = o.smkiPort === undefined ? ['--no-smki'] : ['--smki-port', String(o.smkiPort)];
  const args = [path.join(REPO, 'bin/dcc-sim.mjs'), 'serve', '--db', file, '--port', String(port), ...(o.log === 'events' ? [] : o.quiet === false ? ['--log-requests'] : ['--quiet']), ...smki, ...(o.extra ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.readyMs ?? 60_000);
  const ready =
    o.ready ??
    (async () => {
      const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      return r.ok;
    });
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dcc-sim serve exited (${child.exitCode ?? child.signalCode}):\n${err}`);
    try {
      if (await ready(port)) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dcc-sim serve did not become ready within ${o.readyMs ?? 60_000} ms:\n${err}`);
    }
    await sleep(25);
  }
  return {
    child,
    url,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface Delivery {
  id: string;
  body: string;
  at: number;
}

export type ReceiverMode = 'ok' | 'down' | 'error' | 'hang';

/**
 * A party's Receive Response Service on 127.0.0.1. `accepted` holds what it acknowledged with 2xx
 * (the same delivery id may come again: at-least-once); `attempts` counts every POST it saw.
 */
export class Receiver {
  readonly accepted: Delivery[] = [];
  attempts = 0;
  mode: ReceiverMode = 'ok';
  /** added before a 2xx answer (a slow receiver) */
  delayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/duis`;
  }

  /** whether the endpoint is accepting connections */
  get running(): boolean {
    return this.server !== undefined;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** Closes the listener and every connection: the endpoint refuses connections until start(port) again. */
  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise((r) => this.server!.close(r));
    this.server = undefined;
  }

  /** Ends the hang: answers every request held so far with 204 (and records them). */
  release(): void {
    this.mode = 'ok';
    for (const r of this.hanging) {
      const held = (r as ServerResponse & { held?: Delivery }).held;
      if (held) this.accepted.push({ ...held, at: Date.now() });
      if (!r.destroyed) r.writeHead(204).end();
    }
    this.hanging.clear();
  }

  ids(): Set<string> {
    return new Set(this.accepted.map((d) => d.id));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.attempts++;
    const body = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['x-dcc-sim-delivery-id'] ?? '');
    if (this.mode === 'hang') {
      (res as ServerResponse & { held?: Delivery }).held = { id, body, at: 0 };
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (this.mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver fault');
      return;
    }
    if (this.delayMs) await sleep(this.delayMs);
    // recorded as it is acknowledged: a sender killed after this still owes nothing, yet may send it again
    this.accepted.push({ id, body, at: Date.now() });
    if (!res.destroyed) res.writeHead(204).end();
  }
}

/** Runs `fn` on a short-lived connection to a world file (another process may be serving it). */
export function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The RequestID in a DUIS document. */
export function requestIdOf(xml: string): string | undefined {
  return /<sr:RequestID>([^<]+)<\/sr:RequestID>/.exec(xml)?.[1];
}

/** The (first) ResponseCode in a DUIS response. */
export function responseCodeOf(xml: string): string | undefined {
  return /<sr:ResponseCode>([^<]+)<\/sr:ResponseCode>/.exec(xml)?.[1];
}
