import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { Receiver, spawnServer, type ChildServer } from '../resilience/kit.ts';
import { dccCommandCounters, eventually, postDuis, sharedPostgresWorld, type SharedJob, type SharedWorld } from '../helpers/shared-postgres.ts';
import { dropPostgresDatabase } from '../helpers/postgres.ts';
import { ADVISORY_LOCKS } from '../../db/index.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { World } from '../../src/world/world.ts';

// Two `dcc-sim serve` processes on one PostgreSQL world, each with its own connection, as two
// instances behind a load balancer would be: a request is acted on once whichever of them takes
// it, each asynchronous response is delivered once, and the simulated clock and the DCC's
// schedules are the world's, not an instance's. Last, one of them is SIGKILLed under load (the
// two-server form of test/resilience/crash.test.ts, sharing this file's world and servers).

const receiver = new Receiver();
let w: SharedWorld;
let a: ChildServer;
let b: ChildServer;
let counter = 7_000_000n;
const LEASE_MS = 5000;
/** the 5.1 schedule the clock test makes: its reads so far, and its first occurrence */
let scheduledReads: () => number = () => 0;
let firstOccurrence = 0;

beforeAll(async () => {
  await receiver.start();
  w = sharedPostgresWorld(100, 'shared-postgres', receiver.url);
  // A short lease: the crash test below waits for the killed server's claims to run out.
  // A listener that lost its connection waits 4 s before listening again: the gap test below answers requests in it.
  const started = await Promise.all([0, 1].map(() => spawnServer(w.url, { extra: ['--outbox-lease', String(LEASE_MS)], env: { DCC_SIM_PEER_RETRY_MS: '4000' } })));
  a = started[0]!;
  b = started[1]!;
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
  await receiver.stop();
  w?.close();
  if (w) dropPostgresDatabase(w.url);
});

function logOf(requestId: string) {
  return w.db.query('SELECT path, response_code, failed_step, changed_cells FROM requests WHERE request_id = $1 ORDER BY id', [requestId]) as {
    path: string;
    response_code: string;
    failed_step: string | null;
    changed_cells: string | null;
  }[];
}

function responsesOf(requestId: string) {
  return w.db.query("SELECT id, response_code FROM outbox WHERE request_id = $1 AND kind = 'response' ORDER BY id", [requestId]) as { id: number; response_code: string }[];
}

function undelivered(): number {
  return (w.db.query('SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL')[0] as { n: number }).n;
}

/** How many times the receiver took each delivery id. */
function deliveries(): Map<string, number> {
  const n = new Map<string, number>();
  for (const d of receiver.accepted) n.set(d.id, (n.get(d.id) ?? 0) + 1);
  return n;
}

function supplierDsHolder(eui: Eui): string | null {
  const r = w.db.query('SELECT c.subject_eui FROM device_security s JOIN certificates c ON c.id = s.supplier_ds WHERE s.device_eui = $1', [eui])[0] as { subject_eui: string | null } | undefined;
  return r?.subject_eui ?? null;
}

describe('two dcc-sim serve processes on one PostgreSQL world', () => {
  it('the same signed request sent to both at once is acted on by one; the other refuses it as a replay', async () => {
    const jobs = w.handovers.splice(0, 8);
    expect(jobs.length).toBe(8);
    for (const job of jobs) {
      const { xml, requestId } = w.sign(job, ++counter);
      const answers = await Promise.all([postDuis(a.url, 'serviceS', xml), postDuis(b.url, 'serviceS', xml)]);
      const codes = answers.map((x) => x!.code).sort();
      expect(codes, requestId).toEqual(['E100', 'I99']);
      expect(answers.find((x) => x!.code === 'E100')!.reason).toMatch(/replay/);
      const log = logOf(requestId);
      expect(log.map((r) => [r.response_code, r.failed_step]).sort()).toEqual([['E100', 'request-id'], ['I99', null]]);
      expect(JSON.parse(log.find((r) => r.response_code === 'I99')!.changed_cells ?? '[]')).toContain('supplierDS');
      expect(responsesOf(requestId).map((r) => r.response_code), `${requestId}: one device answer`).toEqual(['I0']);
      expect(supplierDsHolder(job.target)).toBe(job.originator);
    }
  });

  it('handovers and reads split across both servers are answered as one server answers them, each response delivered once', async () => {
    const jobs = [...w.handovers.splice(0, 12), ...w.reads.splice(0, 20)];
    const streams = new Map<Eui, SharedJob[]>();
    for (const j of jobs) streams.set(j.originator, [...(streams.get(j.originator) ?? []), j]);
    expect(streams.size, 'several suppliers send at once').toBeGreaterThan(1);
    const sent: { job: SharedJob; requestId: string; code: string }[] = [];
    // One stream per supplier (its counters rise in order), its requests alternating between the servers.
    await Promise.all([...streams.values()].map(async (list) => {
      let turn = 0;
      for (const job of list) {
        const { xml, requestId } = w.sign(job, ++counter);
        const answer = await postDuis(turn++ % 2 === 0 ? a.url : b.url, 'serviceS', xml);
        sent.push({ job, requestId, code: answer!.code });
      }
    }));
    for (const s of sent) {
      expect(s.code, s.requestId).toBe('I99');
      expect(logOf(s.requestId).map((r) => r.response_code), `${s.requestId}: one outcome`).toEqual(['I99']);
      expect(responsesOf(s.requestId).map((r) => r.response_code), `${s.requestId}: one device answer`).toEqual(['I0']);
      if (s.job.kind === 'handover') expect(supplierDsHolder(s.job.target)).toBe(s.job.originator);
    }
    const acb = dccCommandCounters(w.db, w.acb);
    expect(acb.length, 'handovers sent by the ACB').toBeGreaterThanOrEqual(20);
    expect(new Set(acb).size, 'no ACB counter used twice').toBe(acb.length);

    expect(await eventually(() => undelivered() === 0), 'every response delivered').toBe(true);
    const ids = (w.db.query('SELECT id FROM outbox').map((r) => String((r as { id: number }).id)));
    const got = deliveries();
    for (const id of ids) expect(got.get(id), `outbox #${id}`).toBe(1);
  });

  it('the clock moved on one server is the time on the other; a 5.1 schedule sends each day\'s read once', async () => {
    const set = async (base: string, body: object) => (await (await fetch(`${base}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { now: string };
    const now = async (base: string) => Date.parse(((await (await fetch(`${base}/api/clock`)).json()) as { now: string }).now);
    const start = Date.parse('2026-12-10T12:00:00Z');
    await set(a.url, { set: new Date(start).toISOString() });
    expect(await now(b.url)).toBeGreaterThanOrEqual(start);
    const advanced = await set(b.url, { advance: '2h' });
    expect(await now(a.url)).toBeGreaterThanOrEqual(Date.parse(advanced.now));

    const job = w.reads.splice(0, 1)[0]!;
    const created = await createSchedule(job);
    expect(created.code, created.reason ?? '').toBe('I0');
    const id = Number(/<sr:DSPScheduleID>(\d+)</.exec(created.xml)![1]);
    const first = Date.parse((w.db.query('SELECT next_run_at FROM dcc_schedules WHERE id = $1', [id])[0] as { next_run_at: string }).next_run_at);
    // Two days and a bit after the first occurrence: three reads due, whichever server runs them.
    await set(a.url, { set: new Date(first + 2 * 86_400_000 + 6 * 3_600_000).toISOString() });
    await set(b.url, { advance: '0s' });
    await set(a.url, { advance: '0s' });
    const scheduled = () => w.db.query("SELECT id FROM outbox WHERE kind = 'response' AND party_eui = $1 AND body LIKE '%DSPScheduledMessage%' AND response_id LIKE $2", [job.originator, `${dashedEui(job.target)}:%`]) as { id: number }[];
    scheduledReads = () => scheduled().length;
    firstOccurrence = first;
    expect(scheduled().length, 'one read per day passed').toBe(3);
    expect(await eventually(() => undelivered() === 0), 'every response delivered').toBe(true);
    const got = deliveries();
    for (const r of scheduled()) expect(got.get(String(r.id)), `scheduled read #${r.id}`).toBe(1);
  });
});

describe("the console's live timeline and the metrics of two servers on one PostgreSQL world", () => {
  it("server A's live stream shows the requests server B handled, once each with its final outcome; A's metrics count them as the world's", async () => {
    const before = { a: await metricsOf(a.url), b: await metricsOf(b.url) };
    const live = await liveEvents(a.url);
    const jobs = [...w.handovers.splice(0, 3), ...w.reads.splice(0, 3)];
    const sent: string[] = [];
    let last = '';
    for (const job of jobs) {
      const { xml, requestId } = w.sign(job, ++counter);
      expect((await postDuis(b.url, 'serviceS', xml))!.code, requestId).toBe('I99');
      sent.push(requestId);
      last = xml;
    }
    // and one B refuses: the last again, a replay
    expect((await postDuis(b.url, 'serviceS', last))!.code).toBe('E100');
    const seen = (id: string) => live.requests().filter((e) => e.requestId === id);
    expect(await eventually(() => seen(sent.at(-1)!).length === 2), "B's requests on A's live stream").toBe(true);
    for (const id of sent.slice(0, -1)) {
      expect(seen(id).map((e) => [e.responseCode, e.finalResponseCode]), `${id}: once, acknowledged and carried out`).toEqual([['I99', 'I0']]);
    }
    expect(seen(sent.at(-1)!).map((e) => [e.responseCode, e.finalResponseCode]), 'the request, then its replay refused').toEqual([['I99', 'I0'], ['E100', 'E100']]);
    expect(live.requests().length, 'nothing else, nothing twice').toBe(jobs.length + 1);
    live.close();

    const after = { a: await metricsOf(a.url), b: await metricsOf(b.url) };
    const grew = (m: 'a' | 'b', f: (x: Metrics) => number | undefined) => (f(after[m]) ?? 0) - (f(before[m]) ?? 0);
    for (const m of ['a', 'b'] as const) {
      expect(grew(m, (x) => x.requests.total), `the world's requests on ${m.toUpperCase()}`).toBe(jobs.length + 1);
      expect(grew(m, (x) => x.requests.byResponseCode.I99)).toBe(jobs.length);
      expect(grew(m, (x) => x.requests.byResponseCode.E100)).toBe(1);
      expect(grew(m, (x) => x.requests.byFinalResponseCode.I0)).toBe(jobs.length);
      expect(grew(m, (x) => x.requests.byOutcome.failure)).toBe(1);
      expect(grew(m, (x) => x.asynchronous.byKind.response?.I0)).toBe(jobs.length);
    }
    expect(grew('a', (x) => x.server.requests.total), "A's own: it handled none of them").toBe(0);
    expect(grew('b', (x) => x.server.requests.total), "B's own").toBe(jobs.length + 1);
    expect(after.a.server.name).not.toBe(after.b.server.name);
    expect(after.a.scope.thisServer).toContain('stages');
    const text = await (await fetch(`${a.url}/api/metrics?format=prometheus`)).text();
    expect(text).toContain(`dcc_sim_requests_total{endpoint="serviceS"} ${after.a.requests.byEndpoint.serviceS}`);
    expect(text).toContain(`dcc_sim_server_requests_total{endpoint="serviceS"} ${after.a.server.requests.byEndpoint.serviceS ?? 0}`);
  });

  it("after A lost its listening connection, the requests B answered meanwhile reach A's live stream and metrics once each", async () => {
    const before = await metricsOf(a.url);
    const live = await liveEvents(a.url);
    // PostgreSQL drops A's listening connection: B's NOTIFYs until A listens again (4 s later) reach nobody
    const dropped = w.db.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1", [`dcc-sim ${a.child.pid} listener`]) as { ok: unknown }[];
    expect(dropped.map((r) => Boolean(r.ok)), "A's listening connection, dropped").toEqual([true]);
    const sent: string[] = [];
    for (const job of w.reads.splice(0, 3)) {
      const { xml, requestId } = w.sign(job, ++counter);
      expect((await postDuis(b.url, 'serviceS', xml))!.code, requestId).toBe('I99');
      sent.push(requestId);
    }
    const listening = () => (w.db.query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [`dcc-sim ${a.child.pid} listener`])[0] as { n: number }).n;
    expect(Number(listening()), 'B answered them while A was not listening').toBe(0);
    const seen = (id: string) => live.requests().filter((e) => e.requestId === id);
    expect(await eventually(() => sent.every((id) => seen(id).length > 0), 15_000), "the gap's requests on A's live stream").toBe(true);
    expect(Number(listening()), 'A listening again').toBe(1);
    // and after the gap, as before it: heard as they commit
    const { xml, requestId } = w.sign(w.reads.splice(0, 1)[0]!, ++counter);
    expect((await postDuis(b.url, 'serviceS', xml))!.code).toBe('I99');
    sent.push(requestId);
    expect(await eventually(() => seen(requestId).length > 0), 'a request after the gap').toBe(true);
    for (const id of sent) expect(seen(id).map((e) => [e.responseCode, e.finalResponseCode]), `${id}: once, carried out`).toEqual([['I99', 'I0']]);
    expect(live.requests().length, 'nothing else, nothing twice').toBe(sent.length);
    live.close();
    const after = await metricsOf(a.url);
    expect(after.requests.total - before.requests.total, "the world's requests on A").toBe(sent.length);
  });
});

interface Figures {
  total: number;
  byEndpoint: Record<string, number>;
  byResponseCode: Record<string, number>;
  byFinalResponseCode: Record<string, number>;
  byOutcome: { success: number; failure: number };
}
interface Metrics {
  requests: Figures;
  asynchronous: { byKind: Record<string, Record<string, number>> };
  server: { name: string; requests: Figures };
  scope: { world: string[]; thisServer: string[] };
}

async function metricsOf(base: string): Promise<Metrics> {
  return (await (await fetch(`${base}/api/metrics`)).json()) as Metrics;
}

/** A server's /api/console/events as the console reads it: the `request` events, in order. */
async function liveEvents(base: string) {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/console/events`, { signal: abort.signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { event: string; data: { requestId: string; responseCode: string; finalResponseCode: string } }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const event = frame.find((l) => l.startsWith('event: '))?.slice(7);
          const data = frame.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  expect(await eventually(() => events.some((e) => e.event === 'hello'), 5000), 'the stream says hello').toBe(true);
  return {
    requests: () => events.filter((e) => e.event === 'request').map((e) => e.data),
    close: () => abort.abort(),
  };
}

/** A 5.1 daily read of the job's meter's import daily log, by its supplier, sent to server A. */
async function createSchedule(job: SharedJob) {
  const world = World.open(w.url);
  try {
    const unsigned = exampleRequest(world, 'schedule-daily-read', { device: job.target });
    const { xml } = w.sign({ ...job, unsigned }, ++counter);
    return (await postDuis(a.url, 'serviceD', xml))!;
  } finally {
    world.close();
  }
}

describe('sandboxes of a PostgreSQL world shared by two servers', () => {
  it('a sandbox made on one server is served by both, reset through one and dropped through the other', async () => {
    const call = async <T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    };
    const made = await call<{ id: string; baseUrl: string }>(a.url, 'POST', '/api/sandboxes', { name: 'shared trainee' });
    expect(made.status).toBe(201);
    const { id, baseUrl } = made.body;
    expect((await call<{ id: string }[]>(b.url, 'GET', '/api/sandboxes')).body.map((x) => x.id)).toEqual([id]);

    // A handover in the sandbox, through B: in the sandbox's world only, its response to the sandbox's receiver
    // (the sandbox's parties answered at a receiver of its own: its outbox ids are its own too).
    const own = await new Receiver().start();
    const redirect = async (base: string) => {
      for (const p of (await call<{ eui: string }[]>(base, 'GET', `${baseUrl}/api/parties`)).body) {
        expect((await call(base, 'PUT', `${baseUrl}/api/parties/${p.eui}/response-url`, { url: own.url })).status).toBe(200);
      }
    };
    const answered = () => own.accepted.filter((d) => d.body.includes(requestId)).length;
    await redirect(a.url);
    const job = w.handovers.splice(0, 1)[0]!;
    const { xml, requestId } = w.sign(job, ++counter);
    expect((await postDuis(`${b.url}${baseUrl}`, 'serviceS', xml))!.code).toBe('I99');
    const sandboxLog = async (base: string) => (await call<{ responseCode: string }[]>(base, 'GET', `${baseUrl}/api/requests?requestId=${encodeURIComponent(requestId)}`)).body.map((r) => r.responseCode);
    expect(await sandboxLog(a.url)).toEqual(['I99']);
    expect(logOf(requestId)).toEqual([]);
    expect(supplierDsHolder(job.target)).not.toBe(job.originator);
    expect(await eventually(() => answered() === 1), 'the sandbox delivers its response').toBe(true);

    // its clock is its own, and the same on both servers
    const moved = Date.parse((await call<{ now: string }>(a.url, 'POST', `${baseUrl}/api/clock`, { advance: '30d' })).body.now);
    expect(Date.parse((await call<{ now: string }>(b.url, 'GET', `${baseUrl}/api/clock`)).body.now)).toBeGreaterThanOrEqual(moved);
    expect(Date.parse((await call<{ now: string }>(b.url, 'GET', '/api/clock')).body.now)).toBeLessThan(moved - 20 * 86_400_000);

    // reset through B: A serves the copy taken at creation too
    expect((await call(b.url, 'POST', `/api/sandboxes/${id}/reset`)).status).toBe(200);
    expect(await sandboxLog(a.url)).toEqual([]);
    expect(Date.parse((await call<{ now: string }>(a.url, 'GET', `${baseUrl}/api/clock`)).body.now)).toBeLessThan(moved - 20 * 86_400_000);
    await redirect(b.url);
    expect((await postDuis(`${a.url}${baseUrl}`, 'serviceS', xml))!.code, 'the reset sandbox takes the request again').toBe('I99');
    expect(await eventually(() => answered() === 2), 'the reset sandbox delivers its response').toBe(true);
    await own.stop();

    // dropped through A: gone from B too, databases and all
    expect((await call(a.url, 'DELETE', `/api/sandboxes/${id}`)).status).toBe(204);
    expect((await call(b.url, 'GET', `${baseUrl}/api/clock`)).status).toBe(404);
    expect((await call<unknown[]>(b.url, 'GET', '/api/sandboxes')).body).toEqual([]);
    const left = w.db.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`%_sb_${id}_%`]);
    expect(left).toEqual([]);
  });
});

describe('SIGKILL the timer-running one of two servers on one PostgreSQL world, under load', () => {
  it('loses nothing acknowledged, does nothing twice; the survivor delivers what the killed server had claimed and takes over its timer work', async () => {
    const jobs = [...w.handovers.splice(0), ...w.reads.splice(0, 20)].map((job) => ({ job, requestId: '', xml: '', state: 'todo' as 'todo' | 'lost' | 'done', ack: null as string | null }));
    expect(jobs.filter((j) => j.job.kind === 'handover').length, 'handovers left for the crash').toBeGreaterThanOrEqual(15);
    const before = new Map(jobs.map((j) => [j.job.target, supplierDsHolder(j.job.target)]));
    for (const j of jobs) Object.assign(j, w.sign(j.job, ++counter));
    const streams = new Map<Eui, typeof jobs>();
    for (const j of jobs) streams.set(j.job.originator, [...(streams.get(j.job.originator) ?? []), j]);
    // The victim is the server running the world's timer work (the holder of its advisory lock).
    const leader = () => (w.db.query(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [ADVISORY_LOCKS.timers],
    )[0] as { name: string } | undefined)?.name;
    expect(await eventually(() => leader() !== undefined), 'one server runs the timer work').toBe(true);
    const victim = leader() === `dcc-sim ${a.child.pid}` ? a : b;
    const survivor = victim === a ? b : a;
    const servers = [survivor, victim];
    let answered = 0;
    // Each supplier's stream alternates between the servers; a request whose answer is lost stops it.
    const running = Promise.all([...streams.values()].map(async (list) => {
      for (const [n, j] of list.entries()) {
        const answer = await postDuis(servers[n % 2]!.url, 'serviceS', j.xml);
        if (!answer) {
          j.state = 'lost';
          return;
        }
        j.ack = answer.code;
        j.state = 'done';
        answered++;
      }
    }));
    // Under load, with responses in flight on the victim: the receiver holds its answers until the kill.
    expect(await eventually(() => answered >= 10, 30_000), 'requests answered before the kill').toBe(true);
    receiver.mode = 'hang';
    const claimedByVictim = () => w.db.query("SELECT id FROM outbox WHERE delivered_at IS NULL AND claimed_by LIKE $1", [`%:${victim.child.pid}:%`]) as { id: number }[];
    expect(await eventually(() => claimedByVictim().length > 0, 30_000), 'the victim holds responses it is delivering').toBe(true);
    await victim.kill('SIGKILL');
    const orphaned = claimedByVictim().map((r) => String(r.id));
    receiver.release();
    await running;

    // A client that lost its answer asks the log (through the survivor's world) and sends again only what is not there.
    const lost = jobs.filter((x) => x.state === 'lost');
    for (const j of lost) {
      const logged = logOf(j.requestId);
      expect(logged.length, `${j.requestId}: at most one outcome`).toBeLessThanOrEqual(1);
      if (!logged.length) j.ack = (await postDuis(survivor.url, 'serviceS', j.xml))!.code;
      j.state = 'done';
    }
    for (const j of jobs.filter((x) => x.state === 'todo')) {
      j.ack = (await postDuis(survivor.url, 'serviceS', j.xml))!.code;
      j.state = 'done';
    }

    for (const j of jobs) {
      const log = logOf(j.requestId);
      expect(log.map((r) => r.response_code), `${j.requestId}: one outcome`).toEqual(['I99']);
      if (j.ack !== null) expect(j.ack, j.requestId).toBe('I99');
      expect(responsesOf(j.requestId).map((r) => r.response_code), `${j.requestId}: one device answer`).toEqual(['I0']);
      if (j.job.kind === 'handover') expect(supplierDsHolder(j.job.target), `${j.requestId}: handed over`).toBe(j.job.originator);
      else expect(supplierDsHolder(j.job.target), `${j.requestId}: a read changes no cell`).toBe(before.get(j.job.target));
    }
    const acb = dccCommandCounters(w.db, w.acb);
    expect(new Set(acb).size, 'no ACB counter used twice').toBe(acb.length);

    // The survivor delivers everything, the victim's claims once their lease has run out; the same body under each id.
    expect(await eventually(() => undelivered() === 0, 30_000), 'every response delivered').toBe(true);
    expect(orphaned.length).toBeGreaterThan(0);
    const got = new Map<string, string[]>();
    for (const d of receiver.accepted) got.set(d.id, [...(got.get(d.id) ?? []), d.body]);
    for (const id of orphaned) expect(got.get(id)?.length ?? 0, `outbox #${id}, claimed by the killed server`).toBeGreaterThanOrEqual(1);
    const takenOver = w.db.query('SELECT claimed_by FROM outbox WHERE id = ANY ($1::bigint[])', [`{${orphaned.join(',')}}`]) as { claimed_by: string }[];
    for (const r of takenOver) expect(r.claimed_by, 'delivered by the survivor').toMatch(new RegExp(`:${survivor.child.pid}:`));
    for (const o of w.db.query('SELECT id, body FROM outbox') as { id: number; body: string }[]) {
      const bodies = got.get(String(o.id)) ?? [];
      expect(bodies.length, `outbox #${o.id} delivered`).toBeGreaterThanOrEqual(1);
      for (const body of bodies) expect(body === o.body, `outbox #${o.id}: the same body under the same id`).toBe(true);
    }
    // Timer work goes on without the server that ran it: the clock moved (as `dcc-sim clock` moves it, in the
    // world) past the schedule's fourth day is the survivor's to act on, once.
    expect(scheduledReads()).toBe(3);
    w.db.query("UPDATE world_meta SET value = $1 WHERE key = 'clock_offset_ms'", [String(firstOccurrence + 3 * 86_400_000 + 3_600_000 - Date.now())]);
    expect(await eventually(() => scheduledReads() >= 4), 'the survivor sends the day\'s scheduled read').toBe(true);
    expect(scheduledReads()).toBe(4);
    expect(leader()).toBe(`dcc-sim ${survivor.child.pid}`);
    console.info(`two-server crash: ${jobs.length} requests, ${lost.length} answers lost to the kill (${lost.filter((j) => j.ack === null).length} of them committed), ${orphaned.length} responses the killed server had claimed`);
  }, 120_000);
});
