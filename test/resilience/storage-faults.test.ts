import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Eui } from '../../pki/index.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile, startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver, sleep, spawnServer, type ChildServer } from './kit.ts';

// Finding 2 of issue 19: with the world file read-only or the disk full while an asynchronous
// response was being delivered, marking it delivered threw from a setImmediate and killed the
// process; DUIS requests got plain JSON 500s, not DUIS and not logged; /api/health said 200.
// Here SQLite is made to refuse every write on the server's own connection (PRAGMA query_only:
// SQLITE_READONLY, as a read-only file gives), in-process, so an escaping error fails the run.
// The faults are SQLite's (a pragma, a file on a full disk): the worlds here are SQLite files.

let h: Harness;
const receiver = new Receiver();
let supplier: Eui;
let devices: Eui[] = [];

beforeAll(async () => {
  h = await startHarness({ store: 'sqlite' });
  await receiver.start();
  const a = pickDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
  supplier = a.supplier;
  devices = h.world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 100_000 }).devices
    .filter((d) => h.world.store.getSupplyPoint(d.mpxn!)?.supplierEui === supplier)
    .map((d) => d.eui);
  h.world.store.setResponseUrl(supplier, receiver.url);
}, 120_000);

afterAll(async () => {
  h?.world.store.db.pragma('query_only = OFF');
  await h?.close();
  await receiver.stop();
});

const fault = (on: boolean) => h.world.store.db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`);

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

const retrieve = (device: Eui) => h.post('serviceS', signAs(h.world, supplier, retrieveXml(supplier, device, h.nextCounter())));
const health = async () => {
  const r = await fetch(`${h.server.url}/api/health`);
  return { status: r.status, body: (await r.json()) as { ok: boolean; problems: string[] } };
};

describe('storage faults', () => {
  it('a fault mid-delivery: the process lives, requests get a DUIS error, health says why, and all recovers when it clears', async () => {
    receiver.mode = 'hang';
    const first = await retrieve(devices[0]!);
    expect(first.code).toBe('I99');
    const requestId = first.response.requestId!.text;
    await until('the delivery to hang at the receiver', () => receiver.attempts >= 1, 10_000);
    const logged = h.server.dcc.gateway.listRequests({ limit: 1000 }).length;

    fault(true);
    receiver.release(); // the receiver answers 2xx now: marking the row delivered fails
    receiver.mode = 'ok';
    await until('the delivery to be answered', () => receiver.accepted.length >= 1, 10_000);
    await sleep(300); // the flush (setImmediate) and its first retry run here

    const during = await retrieve(devices[1]!);
    expect(during.status).toBe(503);
    expect(during.code).toBe('E100');
    expect(during.reason).toMatch(/storage fault \(SQLITE_READONLY\).*not acted on: send it again/);
    expect(during.response.requestId?.text, 'answered under its RequestID').toBeDefined();
    const hs = await health();
    expect(hs.status).toBe(503);
    expect(hs.body.ok).toBe(false);
    expect(hs.body.problems.join(' ')).toMatch(/cannot be written.*SQLITE_READONLY/);
    const clock = await fetch(`${h.server.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":"1s"}' });
    expect(clock.status).toBe(503);
    expect(((await clock.json()) as { error: string }).error).toMatch(/storage fault.*nothing was changed/);

    fault(false);
    await until('the delivered row to be marked', () => h.server.dcc.gateway.responsesFor(requestId).every((r) => r.deliveredAt !== null), 5_000);
    expect((await health()).status).toBe(200);
    // nothing of the refused request was kept; the same request again is acted on
    expect(h.server.dcc.gateway.listRequests({ limit: 1000 }).length).toBe(logged);
    const after = await retrieve(devices[1]!);
    expect(after.code).toBe('I99');
    await until('its delivery', () => h.server.dcc.gateway.responsesFor(after.response.requestId!.text).every((r) => r.deliveredAt !== null), 10_000);
    // the first response went out once: it was not sent again while its row could not be marked
    const firstRows = h.server.dcc.gateway.responsesFor(requestId);
    for (const row of firstRows) expect(receiver.accepted.filter((d) => d.id === String(row.id)).length).toBe(1);
  });
});

// The same with a real full disk, in a child process (so "the process lives" is its exit code): a
// small tmpfs holds the world file and is filled mid-delivery. Mounting needs root (CI runs as
// root); elsewhere this is skipped.
describe('a full disk (tmpfs)', () => {
  let mounted = '';
  let child: ChildServer | undefined;
  const r = new Receiver();
  const canMount = (() => {
    if (process.getuid?.() !== 0) return false;
    const probe = mkdtempSync(path.join(tmpdir(), 'dcc-sim-tmpfs-probe-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();

  afterAll(async () => {
    await child?.kill();
    await r.stop();
    if (mounted) {
      execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
      rmSync(mounted, { recursive: true, force: true });
    }
  });

  it.skipIf(!canMount)('filled mid-delivery: the process lives, DUIS errors while full, full service once space is freed, nothing lost', async () => {
    mounted = mkdtempSync(path.join(tmpdir(), 'dcc-sim-full-'));
    const source = demoWorldFile(150, 'sqlite');
    const size = statSync(source).size;
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((size + 4 * 1024 * 1024) / 4096) * 4096}`, 'tmpfs', mounted]);
    const file = path.join(mounted, 'world.db');
    copyFileSync(source, file);
    rmSync(source, { force: true });
    await r.start();
    const w = World.open(file);
    const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
    const sender = esme.supplier;
    const targets = w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 100_000 }).devices.filter((d) => w.store.getSupplyPoint(d.mpxn!)?.supplierEui === sender).map((d) => d.eui);
    w.store.setResponseUrl(sender, r.url);
    const xmls = [0, 1, 2].map((i) => signAs(w, sender, retrieveXml(sender, targets[i % targets.length]!, 50_000n + BigInt(i))));
    w.close();
    child = await spawnServer(file, { extra: ['--workers', '0'] });
    const post = async (xml: string) => {
      const res = await fetch(`${child!.url}/api/v1/serviceS`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml });
      await res.text();
      return { status: res.status, code: res.headers.get('x-dcc-sim-response-code'), reason: res.headers.get('x-dcc-sim-reason') };
    };

    // A reader whose snapshot is older than the request below keeps the checkpointer from copying the request's WAL
    // frames into the database file, so the WAL cannot start over at its beginning: without it, whether the
    // checkpointer (a pass every 200 ms) got there before the disk filled was a race, and when it had, small writes
    // such as the health probe's reused the WAL's space and succeeded.
    const reader = new Database(file, { fileMustExist: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM outbox').get();
    r.mode = 'hang';
    expect((await post(xmls[0]!)).code).toBe('I99');
    await until('the delivery to hang', () => r.attempts >= 1, 10_000);
    // fill the disk to the last byte
    const filler = path.join(mounted, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let n = chunk.length; n > 0; ) {
      try {
        writeSync(fd, chunk, 0, n);
      } catch {
        n = n >> 1;
      }
    }
    closeSync(fd);
    r.release();
    await sleep(1500);
    expect(child.child.exitCode, child.stderr()).toBeNull();
    const during = await post(xmls[1]!);
    expect(during.status).toBe(503);
    expect(during.reason).toMatch(/storage fault \(SQLITE_(FULL|IOERR)/);
    const hs = await fetch(`${child.url}/api/health`);
    expect(hs.status).toBe(503);
    expect(child.child.exitCode).toBeNull();
    reader.prepare('COMMIT').run();
    reader.close();

    rmSync(filler);
    await until('health to recover', async () => (await fetch(`${child!.url}/api/health`)).status === 200, 10_000);
    expect((await post(xmls[1]!)).code).toBe('I99');
    expect((await post(xmls[2]!)).code).toBe('I99');
    await until('every response delivered', async () => {
      const m = (await (await fetch(`${child!.url}/api/metrics`)).json()) as { outbox: { pending: number } };
      return m.outbox.pending === 0;
    }, 20_000);
    expect(child.child.exitCode).toBeNull();
  }, 90_000);
});
