import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { buildRequest, parseDuisResponse, signDuis } from '../../service-requests/index.ts';
import { signApdu } from '../../devices/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { World } from '../../src/world/world.ts';
import { freePort, prng, Receiver, sleep, spawnServer, withDb, type ChildServer } from './kit.ts';

// Crash consistency. A stream of 6.21 handovers and 6.15.1 pre-command flows (both legs) runs
// against `dcc-sim serve` as a child process, which is SIGKILLed at random moments and restarted
// on the same world file. A client that lost its answer asks the request log what happened and
// sends again only what is not there. Afterwards:
//   - every acknowledged request has exactly one outcome in the log, and nothing has two;
//   - every device holds exactly what its logged outcomes say (all cells of a command or none),
//     with one asynchronous response per applied command in the outbox;
//   - originator counters, the ACB counter and the log and outbox ids never go backwards;
//   - the outbox delivers every response, including those pending at a kill, at least once and
//     always under the same X-DCC-Sim-Delivery-Id with the same body.
// Two servers on one PostgreSQL world, one of them SIGKILLed under load: test/gateway/shared-postgres.test.ts.

const KILLS = 5;
const SEED = Number(process.env.CRASH_SEED ?? 0x5eed8);
const REFERENCE_TIME = new Date('2026-11-01T00:00:00Z');

type Endpoint = 'serviceS' | 'serviceT';

interface Job {
  kind: 'handover' | 'update';
  originator: Eui;
  target: Eui;
  unsigned: string;
  /** the GBCS key that signs the pre-command (update jobs) */
  gbcsKey?: KeyObject;
  /** the DS certificate the device should end up holding (base64, update jobs) */
  newDs?: string;
  requestId?: string;
  leg1?: string;
  leg2?: string;
  /** what is left to do */
  state: 'todo' | 'leg1' | 'leg1?' | 'leg2' | 'leg2?' | 'final?' | 'done';
}

interface Attempt {
  requestId: string;
  endpoint: Endpoint;
  /** the synchronous response code, or null when the answer was lost (killed) */
  ack: string | null;
  counter: bigint;
  originator: Eui;
}

interface Sample {
  counters: Map<string, bigint>;
  acb: bigint;
  maxRequest: number;
  maxOutbox: number;
  seq: Map<string, string>;
}

let dir = '';
let file = '';
let server: ChildServer | undefined;
const receiver = new Receiver();
const jobs: Job[] = [];
const attempts: Attempt[] = [];
const signers = new Map<Eui, ReturnType<typeof xmlSignerOf>>();
const initialSecurity = new Map<string, string>();
const counters = new Map<Eui, bigint>();

function nextCounter(originator: Eui): bigint {
  const c = (counters.get(originator) ?? 5_000_000n) + 1n;
  counters.set(originator, c);
  return c;
}

function securityRows(db: import('better-sqlite3').Database): Map<string, string> {
  const rows = db.prepare('SELECT * FROM device_security ORDER BY device_eui').all() as Record<string, unknown>[];
  return new Map(rows.map((r) => [r.device_eui as string, JSON.stringify(r)]));
}

function sample(): Sample {
  return withDb(file, (db) => ({
    counters: new Map((db.prepare('SELECT originator_eui, last_counter FROM originator_counters').all() as { originator_eui: string; last_counter: string }[]).map((r) => [r.originator_eui, BigInt(r.last_counter)])),
    acb: BigInt((db.prepare("SELECT counter FROM dcc_counters WHERE role_name = 'ACB'").get() as { counter: string } | undefined)?.counter ?? '0'),
    maxRequest: (db.prepare('SELECT coalesce(max(id), 0) AS n FROM requests').get() as { n: number }).n,
    maxOutbox: (db.prepare('SELECT coalesce(max(id), 0) AS n FROM outbox').get() as { n: number }).n,
    seq: new Map((db.prepare('SELECT device_eui, seq_numbers FROM device_security').all() as { device_eui: string; seq_numbers: string }[]).map((r) => [r.device_eui, r.seq_numbers])),
  }));
}

/** Every counter in `after` is at least what it was in `before`. */
function expectNotBackwards(before: Sample, after: Sample, when: string): void {
  for (const [eui, c] of before.counters) expect(after.counters.get(eui) ?? -1n, `${when}: counter of ${eui}`).toBeGreaterThanOrEqual(c);
  expect(after.acb, `${when}: ACB counter`).toBeGreaterThanOrEqual(before.acb);
  expect(after.maxRequest, `${when}: request log`).toBeGreaterThanOrEqual(before.maxRequest);
  expect(after.maxOutbox, `${when}: outbox`).toBeGreaterThanOrEqual(before.maxOutbox);
  for (const [eui, seq] of before.seq) {
    const a = JSON.parse(after.seq.get(eui) ?? '{}') as Record<string, string>;
    for (const [role, n] of Object.entries(JSON.parse(seq) as Record<string, string>)) {
      expect(BigInt(a[role] ?? '-1'), `${when}: seq number of ${eui} role ${role}`).toBeGreaterThanOrEqual(BigInt(n));
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-crash-'));
  file = path.join(dir, 'world.db');
  const world = World.open(file, { create: true });
  seedDemoWorld(world, { premises: 48, seed: 'resilience-crash', referenceTime: REFERENCE_TIME, awaitingHandoverShare: 0.5 });
  await receiver.start();
  for (const p of world.store.listParties()) world.store.setResponseUrl(p.eui, receiver.url);

  const { devices } = world.store.listDevices({ limit: 100_000 });
  const updatesByNo = new Map<Eui, number>();
  for (const d of devices) {
    if (d.type === 'CHF' || !d.mpxn) continue;
    const sp = world.store.getSupplyPoint(d.mpxn)!;
    const cells = world.store.getDeviceSecurity(d.eui)!.cells;
    const holder = (id: number | undefined) => (id === undefined ? null : world.certificate(id).subjectEui);
    if (d.status === 'InstalledNotCommissioned' && holder(cells.supplierDS) === DCC.accessControlBroker && sp.supplierEui) {
      jobs.push({ kind: 'handover', originator: sp.supplierEui, target: d.eui, unsigned: exampleRequest(world, 'handover', { device: d.eui, role: 'Supplier' }), state: 'todo' });
    } else if (d.type === 'ESME' && d.status === 'Commissioned' && holder(cells.networkOperatorDS) === sp.networkOperatorEui && (updatesByNo.get(sp.networkOperatorEui) ?? 0) < 6) {
      const key = world.privateKeyOf(cells.networkOperatorDS!);
      if (!key || !world.store.getParty(sp.networkOperatorEui)?.dccUser) continue;
      updatesByNo.set(sp.networkOperatorEui, (updatesByNo.get(sp.networkOperatorEui) ?? 0) + 1);
      const unsigned = exampleRequest(world, 'update-credentials', { device: d.eui, role: 'NetworkOperator' });
      const newDs = /<sr:DigitalSigningCertificate>([^<]+)</.exec(unsigned)![1]!;
      jobs.push({ kind: 'update', originator: sp.networkOperatorEui, target: d.eui, unsigned, gbcsKey: key, newDs, state: 'todo' });
    }
  }
  for (const j of jobs) if (!signers.has(j.originator)) signers.set(j.originator, xmlSignerOf(world, j.originator));
  for (const [eui, row] of securityRows(world.store.db)) initialSecurity.set(eui, row);
  world.store.db.pragma('wal_checkpoint(TRUNCATE)');
  world.close();
}, 120_000);

afterAll(async () => {
  await server?.kill();
  await receiver.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function post(endpoint: Endpoint, xml: string): Promise<{ code: string; xml: string } | null> {
  try {
    const res = await fetch(`${server!.url}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    return { code: res.headers.get('x-dcc-sim-response-code') ?? '', xml: text };
  } catch (err) {
    if (err instanceof Error && /^HTTP /.test(err.message)) throw err;
    return null; // the server went away mid-request
  }
}

function setRequestId(job: Job): void {
  const counter = nextCounter(job.originator);
  job.unsigned = job.unsigned.replace(/<sr:RequestID>[^<]+<\/sr:RequestID>/, `<sr:RequestID>${dashedEui(job.originator)}:${dashedEui(job.target)}:${counter}</sr:RequestID>`);
  job.requestId = `${dashedEui(job.originator)}:${dashedEui(job.target)}:${counter}`;
}

function counterOf(requestId: string): bigint {
  return BigInt(requestId.split(':')[2]!);
}

async function send(job: Job, endpoint: Endpoint, xml: string): Promise<{ code: string; xml: string } | null> {
  const answer = await post(endpoint, xml);
  attempts.push({ requestId: job.requestId!, endpoint, ack: answer?.code ?? null, counter: counterOf(job.requestId!), originator: job.originator });
  return answer;
}

function leg2For(job: Job, leg1Xml: string): string {
  const r = parseDuisResponse(leg1Xml);
  const body = r.body;
  if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) throw new Error(`no pre-command for ${job.requestId}`);
  const signed = signApdu(body.content.preCommand.gbcsPayload, job.gbcsKey!);
  return signDuis(
    buildRequest({ requestId: job.requestId!, commandVariant: 5, serviceReference: body.serviceReference, serviceReferenceVariant: body.serviceReferenceVariant, body: { kind: 'SignedPreCommand', gbcsPayload: signed } }),
    signers.get(job.originator)!,
  );
}

/** Moves a job on by one request; false when the answer was lost (the server was killed). */
async function step(job: Job): Promise<boolean> {
  switch (job.state) {
    case 'todo': {
      setRequestId(job);
      const xml = signDuis(job.unsigned, signers.get(job.originator)!);
      if (job.kind === 'handover') {
        job.leg2 = xml;
        job.state = 'final?';
        const a = await send(job, 'serviceS', xml);
        if (!a) return false;
        expect(a.code, `${job.requestId}: ${a.xml.slice(0, 300)}`).toBe('I99');
        job.state = 'done';
        return true;
      }
      job.leg1 = xml;
      job.state = 'leg1?';
      const a = await send(job, 'serviceT', xml);
      if (!a) return false;
      expect(a.code, job.requestId).toBe('I0');
      job.leg2 = leg2For(job, a.xml);
      job.state = 'leg2';
      return true;
    }
    case 'leg2': {
      job.state = 'leg2?';
      const a = await send(job, 'serviceS', job.leg2!);
      if (!a) return false;
      expect(a.code, job.requestId).toBe('I99');
      job.state = 'done';
      return true;
    }
    default:
      throw new Error(`job ${job.requestId} in state ${job.state}`);
  }
}

/** After a restart: what became of requests whose answers were lost. Only what is not in the log is sent again. */
async function recover(job: Job): Promise<void> {
  const res = await fetch(`${server!.url}/api/requests?requestId=${encodeURIComponent(job.requestId!)}&full=1`);
  const rows = (await res.json()) as { endpoint: string; responseCode: string; responseXml: string }[];
  const at = (endpoint: Endpoint) => rows.filter((r) => r.endpoint === endpoint);
  if (job.state === 'leg1?') {
    const done = at('serviceT');
    expect(done.length, `${job.requestId} leg 1 outcomes`).toBeLessThanOrEqual(1);
    if (done[0]) {
      expect(done[0].responseCode).toBe('I0');
      job.leg2 = leg2For(job, done[0].responseXml);
      job.state = 'leg2';
    } else {
      job.state = 'leg1';
      const a = await send(job, 'serviceT', job.leg1!);
      if (!a) throw new Error('server lost during recovery');
      expect(a.code, job.requestId).toBe('I0');
      job.leg2 = leg2For(job, a.xml);
      job.state = 'leg2';
    }
  } else if (job.state === 'leg2?' || job.state === 'final?') {
    const done = at('serviceS');
    expect(done.length, `${job.requestId} outcomes`).toBeLessThanOrEqual(1);
    if (done[0]) {
      expect(done[0].responseCode).toBe('I99');
      job.state = 'done';
    } else {
      const a = await send(job, 'serviceS', job.leg2!);
      if (!a) throw new Error('server lost during recovery');
      expect(a.code, `${job.requestId}: ${a.xml.slice(0, 300)}`).toBe('I99');
      job.state = 'done';
    }
  }
}

/** One sequential stream per originator (its counters must rise in order), all concurrently. */
async function runStreams(stop: { now: boolean }): Promise<void> {
  const byOriginator = new Map<Eui, Job[]>();
  for (const j of jobs) byOriginator.set(j.originator, [...(byOriginator.get(j.originator) ?? []), j]);
  await Promise.all(
    [...byOriginator.values()].map(async (list) => {
      for (const job of list) {
        while (job.state === 'todo' || job.state === 'leg2') {
          if (stop.now) return;
          if (!(await step(job))) return;
        }
        if (job.state !== 'done') return; // lost: recovered after the restart
      }
    }),
  );
}

describe('crash consistency under SIGKILL', () => {
  it(`${KILLS} kills at random points lose nothing, apply nothing twice and leave no half-applied command`, async () => {
    const rnd = prng(SEED);
    const port = await freePort();
    const receiverPort = receiver.port;
    const pendingAtKill: number[] = [];
    server = await spawnServer(file, { port });
    let before = sample();

    for (let k = 0; k <= KILLS; k++) {
      // Windows 0 and 2: the party's receiver is down, so responses are pending when the server dies.
      if (k === 0 || k === 2) await receiver.stop();
      else if (!receiver.running) await receiver.start(receiverPort);
      const stop = { now: false };
      const streams = runStreams(stop);
      if (k === KILLS) {
        // the last run: no kill, let the remaining work finish
        await sleep(1500);
        stop.now = true;
        await streams;
        break;
      }
      await sleep(250 + Math.floor(rnd() * 1500));
      const atKill = sample();
      expectNotBackwards(before, atKill, `before kill ${k + 1}`);
      await server.kill('SIGKILL');
      stop.now = true;
      await streams;
      pendingAtKill.push(withDb(file, (db) => (db.prepare('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n));
      server = await spawnServer(file, { port });
      before = sample();
      expectNotBackwards(atKill, before, `after restart ${k + 1}`);
      for (const job of jobs) if (job.state.endsWith('?')) await recover(job);
    }
    if (!receiver.running) await receiver.start(receiverPort);
    // Finish what was started, so that every flow ends in one known outcome.
    for (const job of jobs) if (job.state === 'leg2') await step(job);

    // 1. Exactly one outcome per request, and only the outcomes asked for.
    const log = withDb(file, (db) =>
      db.prepare('SELECT id, path, request_id, response_code, changed_cells, counter, originator_eui FROM requests ORDER BY id').all() as {
        id: number;
        path: string;
        request_id: string;
        response_code: string;
        changed_cells: string | null;
        counter: string;
        originator_eui: string;
      }[],
    );
    const outcomes = new Map<string, typeof log>();
    for (const r of log) outcomes.set(`${r.request_id} ${r.path}`, [...(outcomes.get(`${r.request_id} ${r.path}`) ?? []), r]);
    for (const [key, rows] of outcomes) expect(rows.length, `${key} has ${rows.length} outcomes`).toBe(1);
    for (const r of log) expect(['I0', 'I99'], `${r.request_id} ${r.path}: ${r.response_code}`).toContain(r.response_code);
    const acked = attempts.filter((a) => a.ack !== null);
    for (const a of acked) expect(outcomes.get(`${a.requestId} ${a.endpoint}`)?.[0]?.response_code, `${a.requestId} ${a.endpoint}`).toBe(a.ack);
    const lost = attempts.filter((a) => a.ack === null);
    // answers lost although the request had been committed: the kill fell between commit and reply
    const lostButDone = lost.filter((a) => outcomes.has(`${a.requestId} ${a.endpoint}`) && !acked.some((b) => b.requestId === a.requestId && b.endpoint === a.endpoint)).length;

    // 2. Devices hold what the outcomes say: all of a command's cells, or none.
    const finalSecurity = withDb(file, securityRows);
    const certificates = withDb(file, (db) => new Map((db.prepare('SELECT id, subject_eui AS eui, der FROM certificates').all() as { id: number; eui: string | null; der: Buffer }[]).map((c) => [c.id, c])));
    const holderOf = (id: number) => certificates.get(id)!;
    const responses = withDb(file, (db) => db.prepare("SELECT request_id, response_code FROM outbox WHERE kind = 'response'").all() as { request_id: string; response_code: string }[]);
    const touched = new Set<string>();
    let applied = 0;
    for (const job of jobs) {
      if (!job.requestId) continue;
      const final = outcomes.get(`${job.requestId} serviceS`)?.[0];
      const row = JSON.parse(finalSecurity.get(job.target)!) as Record<string, number | string | null>;
      const async = responses.filter((r) => r.request_id === job.requestId);
      if (!final) {
        expect(finalSecurity.get(job.target), `${job.requestId} has no outcome: device unchanged`).toBe(initialSecurity.get(job.target));
        expect(async, `${job.requestId} has no outcome: no response queued`).toEqual([]);
        continue;
      }
      applied++;
      touched.add(job.target);
      expect(async.map((r) => r.response_code), `${job.requestId}: one asynchronous response`).toEqual(['I0']);
      const changed = JSON.parse(final.changed_cells ?? '[]') as string[];
      if (job.kind === 'handover') {
        expect(changed.length, `${job.requestId} changed cells`).toBeGreaterThan(0);
        for (const cell of ['supplier_ds', 'supplier_ka', 'supplier_top_up_ka']) {
          if (row[cell] === null) continue;
          expect(holderOf(row[cell] as number).eui, `${job.target} ${cell} after ${job.requestId}`).toBe(job.originator);
        }
      } else {
        expect(changed).toEqual(expect.arrayContaining(['networkOperatorDS', 'networkOperatorKA']));
        expect(holderOf(row.network_operator_ds as number).der.toString('base64'), `${job.target} network operator DS`).toBe(job.newDs);
        expect(holderOf(row.network_operator_ka as number).eui).toBe(job.originator);
      }
      expect(finalSecurity.get(job.target)).not.toBe(initialSecurity.get(job.target));
    }
    for (const [eui, row] of finalSecurity) if (!touched.has(eui)) expect(row, `untouched device ${eui}`).toBe(initialSecurity.get(eui));

    // 3. Counters: each originator's last counter is the highest it had accepted (both legs of a
    // 6.15.1 carry the same RequestID).
    const last = sample();
    for (const [eui, c] of last.counters) {
      const mine = log.filter((r) => r.originator_eui === eui);
      expect(c, `last counter of ${eui}`).toBe(mine.reduce((m, r) => (BigInt(r.counter) > m ? BigInt(r.counter) : m), 0n));
    }

    // 4. The outbox delivers everything, pending at a kill or not, under stable ids.
    const deadline = Date.now() + 30_000;
    let undelivered = Infinity;
    while (Date.now() < deadline) {
      undelivered = withDb(file, (db) => (db.prepare('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL').get() as { n: number }).n);
      if (undelivered === 0) break;
      await sleep(200);
    }
    expect(undelivered, 'responses still undelivered 30 s after the last restart').toBe(0);
    const outbox = withDb(file, (db) => db.prepare('SELECT id, body FROM outbox').all() as { id: number; body: string }[]);
    const got = new Map<string, string[]>();
    for (const d of receiver.accepted) got.set(d.id, [...(got.get(d.id) ?? []), d.body]);
    for (const o of outbox) {
      const bodies = got.get(String(o.id)) ?? [];
      expect(bodies.length, `outbox #${o.id} delivered`).toBeGreaterThanOrEqual(1);
      for (const b of bodies) expect(b === o.body, `outbox #${o.id}: the same body under the same id`).toBe(true);
    }
    expect(new Set(got.keys()), 'nothing delivered that is not in the outbox').toEqual(new Set(outbox.map((o) => String(o.id))));
    const duplicates = [...got.values()].filter((b) => b.length > 1).length;

    expect(applied, 'commands applied').toBeGreaterThan(10);
    expect(pendingAtKill[0], 'responses pending when the server was killed with the receiver down').toBeGreaterThan(0);
    console.info(
      `crash test (seed ${SEED}): ${KILLS} kills, ${attempts.length} requests (${acked.length} acknowledged, ${lost.length} answers lost to a kill, ${lostButDone} of them committed), ` +
        `${applied} commands applied, ${outbox.length} responses delivered (${duplicates} more than once), pending at each kill: ${pendingAtKill.join(', ')}`,
    );
  }, 180_000);
});
