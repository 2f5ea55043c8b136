import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotePartyRole, type Eui } from '../../pki/index.ts';
import { createXsdValidator, parseDuisRequest, signDuis, type StepRecord } from '../../service-requests/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { SUPPLIERS } from '../../src/world/catalogue.ts';
import { originatorLane, PrevalidationPool } from '../../src/dcc/prevalidation-pool.ts';
import { DEFAULT_MAX_REQUEST_BYTES } from '../../src/server.ts';
import { DUIS_XSD } from '../helpers/duis-xsd.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { endWorkerOnceBusy, esmesBySupplier, handoverTargets, pipelined } from '../helpers/pipelined.ts';
import { handoverXml, inventoryXml, ocaDer, orgCerts, pickDevice, signAs } from '../helpers/gateway-requests.ts';

// The prevalidation workers (src/dcc/prevalidation-pool.ts): with workers the gateway answers
// exactly as in-thread (with the DUIS XSD too), keeps each originator's requests in arrival order,
// and loses or doubles nothing when a worker dies or hangs. Real server on 127.0.0.1, real world
// file, real signatures.

const WORKERS = 2;
let pooled: Harness; // WORKERS prevalidation workers
let inThread: Harness; // the same world, no workers

beforeAll(async () => {
  pooled = await startHarness({ workers: WORKERS });
  inThread = await startHarness({ workers: 0 }); // a copy of the same world
  expect(await pooled.server.prevalidation!.ready(), 'the workers start').toBe(true);
  expect(inThread.server.prevalidation).toBeUndefined();
});

afterAll(async () => {
  await pooled?.close();
  await inThread?.close();
});

/** Posts the cases one at a time; each one's answer and request-log entry, for comparing two servers. */
async function outcomesOf(h: Harness, cases: { name: string; endpoint: string; body: string }[]) {
  const out = [];
  for (const c of cases) {
    const res = await fetch(`${h.server.url}/api/v1/${c.endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: c.body });
    await res.text();
    const [log] = h.server.dcc.gateway.listRequests({ limit: 1 });
    out.push({
      name: c.name,
      status: res.status,
      code: res.headers.get('x-dcc-sim-response-code'),
      reason: res.headers.get('x-dcc-sim-reason'),
      failedStep: log!.failedStep,
      logReason: log!.reason,
      // ms differ by nature; what was checked and said must not
      steps: (log!.steps as StepRecord[] | null)?.map(({ step, ok, detail }) => ({ step, ok, detail })),
    });
  }
  return out;
}

describe('per-originator order with workers', () => {
  it('accepts pipelined requests of one originator with strictly increasing counters, in order, beside another originator', async () => {
    const w = pooled.world;
    const [esme, other] = esmesBySupplier(pooled) as [ReturnType<typeof pickDevice>, ReturnType<typeof pickDevice>];
    const supplier = esme.supplier;
    const sc = orgCerts(w, supplier, RemotePartyRole.Supplier);
    const targets = handoverTargets(pooled, supplier).slice(0, 6);
    let counter = 10_000n;
    const counters: string[] = [];
    // Inventory reads (cheap, any number) with handovers among them: a reordering would be refused as a replay.
    const batch = Array.from({ length: 30 }, (_, i) => {
      counter += 1n + BigInt(i % 3); // gaps are allowed; going back is not
      counters.push(String(counter));
      const target = i % 5 === 2 ? targets[(i - 2) / 5] : undefined;
      return target
        ? { endpoint: 'serviceS', body: signAs(w, supplier, handoverXml({ sender: supplier, target, counter, role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] })) }
        : { endpoint: 'serviceD', body: signAs(w, supplier, inventoryXml(supplier, esme.mpxn!, counter)) };
    });
    const otherBatch = Array.from({ length: 15 }, (_, i) => ({ endpoint: 'serviceD', body: signAs(w, other.supplier, inventoryXml(other.supplier, other.mpxn!, 20_000n + BigInt(i))) }));
    const before = pooled.server.prevalidation!.stats();

    const [answers, otherAnswers] = await Promise.all([pipelined(pooled.server.url, batch), pipelined(pooled.server.url, otherBatch)]);

    expect(answers.map((a) => `${a.code} ${a.reason ?? ''}`.trim())).toEqual(batch.map((b) => (b.endpoint === 'serviceS' ? 'I99' : 'I0')));
    expect(otherAnswers.every((a) => a.code === 'I0'), JSON.stringify(otherAnswers)).toBe(true);
    expect(targets.length, 'some handovers among the reads').toBeGreaterThan(0);
    // The log has the supplier's requests in the order sent, and the workers did the parsing.
    const logged = pooled.server.dcc.gateway.listRequests({ originatorEui: supplier, limit: 1000 }).reverse();
    expect(logged.slice(-batch.length).map((r) => r.counter)).toEqual(counters);
    const after = pooled.server.prevalidation!.stats();
    expect(after.prevalidated - before.prevalidated).toBe(batch.length + otherBatch.length);
    expect(after.inThread).toBe(before.inThread);
  });
});

describe('the same answers with workers as in-thread', () => {
  // Each case is posted, byte for byte the same, to both servers (copies of one world).
  it('gives the same code, reason, failed step and step records for refusals and an acceptance', async () => {
    const w = inThread.world;
    const esme = esmesBySupplier(inThread)[2]!; // suppliers 0 and 1 are the order test's
    const supplier = esme.supplier;
    const another = SUPPLIERS.find((s) => s.eui !== supplier && s.userRoles.includes('IS'))!.eui;
    // The revoked signer: another supplier's XML-signing certificate, revoked in both worlds.
    const revokedParty = SUPPLIERS.find((s) => s.eui !== supplier && s.eui !== another && s.userRoles.includes('IS'))!.eui;
    const revokedId = w.store.searchCertificates({ eui: revokedParty, role: RemotePartyRole.XmlSign, keyUsage: 'DS' })[0]!.id;
    const revokedSigner = xmlSignerOf(w, revokedParty);
    for (const h of [pooled, inThread]) h.world.store.revokeCertificate(revokedId, new Date().toISOString(), 'keyCompromise');

    let counter = 50_000n;
    const read = (sender = supplier) => inventoryXml(sender, esme.mpxn!, ++counter);
    const signed = (sender = supplier) => signAs(w, sender, read(sender));
    const replayed = signed();
    const cases: { name: string; endpoint: string; body: string; step: string | null }[] = [
      { name: 'accepted', endpoint: 'serviceD', body: replayed, step: null },
      { name: 'replay (counter check after prevalidation)', endpoint: 'serviceD', body: replayed, step: 'request-id' },
      { name: 'bad signature', endpoint: 'serviceD', body: signed().replace(esme.mpxn!, esme.mpxn!.slice(0, -1) + (esme.mpxn!.endsWith('1') ? '2' : '1')), step: 'signature' },
      { name: 'unknown serial', endpoint: 'serviceD', body: signDuis(read(), { ...xmlSignerOf(w, supplier), serialDecimal: '123456789' }), step: 'signature' },
      { name: 'revoked signer', endpoint: 'serviceD', body: signDuis(read(revokedParty), revokedSigner), step: 'signature' },
      { name: 'wrong originator', endpoint: 'serviceD', body: signDuis(read(), xmlSignerOf(w, another)), step: 'signature' },
      { name: 'unsigned', endpoint: 'serviceD', body: read(), step: 'signature' },
      { name: 'malformed XML', endpoint: 'serviceD', body: signed().slice(0, 600), step: 'parse:xml' },
      { name: 'DTD present', endpoint: 'serviceD', body: signed().replace(/^(<\?xml[^>]*\?>)/, '$1<!DOCTYPE sr:Request [<!ENTITY x "y">]>'), step: 'parse:xml' },
      { name: 'not DUIS', endpoint: 'serviceD', body: '<a/>', step: 'parse:schema' },
      { name: 'over the DUIS size limit', endpoint: 'serviceD', body: signed().replace('</sr:Request>', `<!--${'x'.repeat(270_000)}--></sr:Request>`), step: 'parse:size' },
      { name: 'wrong endpoint', endpoint: 'serviceS', body: signed(), step: 'service' },
    ];
    expect(new Set(cases.map((c) => c.body)).size, 'every case differs').toBe(cases.length - 1);

    const outcomes = (h: Harness) => outcomesOf(h, cases);
    const before = pooled.server.prevalidation!.stats();
    const withWorkers = await outcomes(pooled);
    const without = await outcomes(inThread);
    expect(withWorkers).toEqual(without);
    expect(withWorkers.map((o) => o.failedStep)).toEqual(cases.map((c) => c.step));
    expect(withWorkers.find((o) => o.name === 'revoked signer')!.reason).toMatch(/is revoked/);
    expect(pooled.server.prevalidation!.stats().prevalidated - before.prevalidated, 'all went through the workers').toBe(cases.length);
  });
});

describe('a worker that dies', () => {
  it('loses and doubles nothing: its requests are validated in-thread, in order, and a new worker starts', async () => {
    const pool = pooled.server.prevalidation!;
    const w = pooled.world;
    const esme = esmesBySupplier(pooled)[0]!; // its counters are above the order test's
    const supplier = esme.supplier;
    const batch = Array.from({ length: 40 }, (_, i) => ({ endpoint: 'serviceD', body: signAs(w, supplier, inventoryXml(supplier, esme.mpxn!, 90_000n + BigInt(i))) }));
    const lane = originatorLane(Buffer.from(batch[0]!.body), WORKERS);
    const before = pool.stats();
    const logBefore = pooled.server.dcc.gateway.listRequests({ limit: 1 })[0]!.id;

    const killer = endWorkerOnceBusy(pool, lane);
    const answers = await pipelined(pooled.server.url, batch, killer.start);

    expect(killer.terminated()).toBe(true);
    expect(answers.map((a) => a.code)).toEqual(batch.map(() => 'I0'));
    const logged = pooled.server.dcc.gateway.listRequests({ afterId: logBefore, limit: 1000 }).reverse();
    expect(logged.map((r) => r.counter), 'each request once, in order').toEqual(batch.map((_, i) => String(90_000n + BigInt(i))));
    const after = pool.stats();
    expect(after.restarts - before.restarts).toBe(1);
    expect(after.inThread - before.inThread, 'the dead worker’s requests were done in-thread').toBeGreaterThan(0);
    expect(after.prevalidated - before.prevalidated + after.inThread - before.inThread).toBe(batch.length);

    // The new worker takes requests again.
    expect(await pool.ready()).toBe(true);
    const more = await pipelined(pooled.server.url, [{ endpoint: 'serviceD', body: signAs(w, supplier, inventoryXml(supplier, esme.mpxn!, 90_100n)) }]);
    expect(more[0]!.code).toBe('I0');
    expect(pool.stats().prevalidated).toBe(after.prevalidated + 1);
  });
});

describe('a hung worker', () => {
  // Stand-in workers that take requests and never answer. The server has no way to start them, so
  // the pool is driven here as the server drives it: run(body, (pre) => dcc.handle(endpoint, body, pre)).
  const HUNG_WORKER = new URL('./fixtures/hung-prevalidation-worker.mjs', import.meta.url);
  const STALL_MS = 300;
  let host: Harness; // the world the hung pool's requests are handled in
  let reference: Harness; // a copy of the same world, answering in-thread over HTTP
  beforeAll(async () => {
    host = await startHarness({ workers: 0 });
    reference = await startHarness({ workers: 0 });
  });
  afterAll(async () => {
    await host?.close();
    await reference?.close();
  });

  it('is found by the watchdog and replaced; its requests are answered in-thread, once each, in per-originator order, as without workers', async () => {
    const log: string[] = [];
    const pool = new PrevalidationPool({
      workers: WORKERS,
      world: host.file,
      maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
      acceptOrganisationXmlSigners: host.server.dcc.validateOptions.acceptOrganisationXmlSigners === true,
      stallMs: STALL_MS,
      workerEntry: HUNG_WORKER,
      log: (_level, msg) => log.push(msg),
    });
    try {
      expect(await pool.ready(10_000), 'the stand-ins start').toBe(true);
      const w = host.world;
      const laneOf = (supplier: Eui) => originatorLane(Buffer.from(inventoryXml(supplier, '1', 1n)), WORKERS);
      // Two originators in different lanes, so that both workers hang.
      const esmes = esmesBySupplier(host);
      const a = esmes[0]!;
      const b = esmes.find((e) => laneOf(e.supplier) !== laneOf(a.supplier));
      expect(b, 'two suppliers in different lanes').toBeDefined();
      const read = (e: typeof a, counter: bigint) => ({ originator: e.supplier, body: signAs(w, e.supplier, inventoryXml(e.supplier, e.mpxn!, counter)) });
      const requests: { originator: Eui; body: string }[] = [];
      for (let i = 0; i < 12; i++) requests.push(read(a, 1_000n + BigInt(i)), read(b!, 1_000n + BigInt(i)));
      // Refusals among them, so that the comparison with in-thread is not all I0: a replay of a's
      // 1003 right after it, and one of a's changed after signing.
      requests.splice(8, 0, { ...requests[6]! });
      const signed = read(a, 5_000n);
      requests.splice(13, 0, { ...signed, body: signed.body.replace(a.mpxn!, a.mpxn!.slice(0, -1) + (a.mpxn!.endsWith('1') ? '2' : '1')) });
      const lastLogged = (h: Harness) => h.server.dcc.gateway.listRequests({ limit: 1 })[0]?.id ?? 0;
      const since = { host: lastLogged(host), reference: lastLogged(reference) };
      const before = pool.stats();

      const t0 = performance.now();
      const handled: { index: number; prevalidated: boolean; ms: number }[] = [];
      const answers = Promise.all(
        requests.map((r, index) => {
          const body = Buffer.from(r.body);
          return pool.run(body, (pre) => {
            handled.push({ index, prevalidated: pre !== undefined, ms: performance.now() - t0 });
            return host.server.dcc.handle('serviceD', body, pre);
          });
        }),
      );
      expect(pool.stats().lanes.map((l) => l.outstanding), 'the stand-ins hold every request').toEqual(Array.from({ length: WORKERS }, (_, lane) => requests.filter((r) => laneOf(r.originator) === lane).length));
      // Without the watchdog nothing would ever answer: bound the wait.
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([
        answers,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answers within 5 s: the hung workers were not replaced')), 5_000);
        }),
      ]).finally(() => clearTimeout(timer));

      // Answered in-thread after the stall, each request exactly once, each originator's in the order sent.
      expect(handled.map((h) => h.index).sort((x, y) => x - y), 'each request continued once').toEqual(requests.map((_, i) => i));
      expect(handled.every((h) => !h.prevalidated), 'all in-thread').toBe(true);
      expect(Math.min(...handled.map((h) => h.ms)), 'nothing answered before the stall was detected').toBeGreaterThanOrEqual(STALL_MS);
      for (const { supplier } of [a, b!]) {
        const sent = requests.flatMap((r, i) => (r.originator === supplier ? [i] : []));
        expect(handled.filter((h) => requests[h.index]!.originator === supplier).map((h) => h.index), `${supplier}'s requests in order`).toEqual(sent);
      }
      expect(log.filter((m) => /answered nothing for \d+ ms; replacing it/.test(m)), log.join('\n')).toHaveLength(WORKERS);

      // The same answers as a server without workers gives for the same bytes.
      const inThread = await pipelined(reference.server.url, requests.map((r) => ({ endpoint: 'serviceD', body: r.body })));
      expect(got.map((g) => g.responseCode)).toEqual(inThread.map((r) => r.code));
      const logged = (h: Harness) =>
        h.server.dcc.gateway
          .listRequests({ afterId: since[h === host ? 'host' : 'reference'], limit: 1000 })
          .reverse()
          .map((r) => ({ originator: r.originatorEui, counter: r.counter, code: r.responseCode, failedStep: r.failedStep, reason: r.reason }));
      const hostLog = logged(host);
      expect(hostLog).toHaveLength(requests.length);
      expect(hostLog.filter((r) => r.originator === a.supplier)).toEqual(logged(reference).filter((r) => r.originator === a.supplier));
      expect(hostLog.filter((r) => r.originator === b!.supplier)).toEqual(logged(reference).filter((r) => r.originator === b!.supplier));
      expect(got.map((g) => g.responseCode).filter((c) => c !== 'I0'), 'the replay and the tampered one refused').toHaveLength(2);
      expect(hostLog.map((r) => r.failedStep).filter((s) => s !== null)).toEqual(['request-id', 'signature']);

      const after = pool.stats();
      expect(after.restarts - before.restarts, 'each hung worker replaced').toBe(WORKERS);
      expect(after.inThread - before.inThread).toBe(requests.length);
      expect(after.prevalidated - before.prevalidated).toBe(0);
      // The replacements start and hold nothing.
      expect(await pool.ready(10_000)).toBe(true);
      expect(pool.stats().lanes.map((l) => [l.ready, l.outstanding, l.queued])).toEqual(Array.from({ length: WORKERS }, () => [true, 0, 0]));
    } finally {
      await pool.close();
    }
  }, 20_000);
});

describe('the DUIS XSD in the workers', () => {
  let withWorker: Harness; // one worker that runs the XSD
  let withoutWorkers: Harness; // a copy of the same world, XSD in-thread
  const xsd = createXsdValidator(DUIS_XSD);
  // Calls of the main thread's XSD: with a worker that ran it, the main thread must not run it again.
  const mainThreadRuns = { withWorker: 0, withoutWorkers: 0 };
  beforeAll(async () => {
    withWorker = await startHarness({ workers: 1, xsdFile: DUIS_XSD, xsd: (xml) => (mainThreadRuns.withWorker++, xsd.validate(xml)) });
    withoutWorkers = await startHarness({ workers: 0, xsd: (xml) => (mainThreadRuns.withoutWorkers++, xsd.validate(xml)) });
    expect(await withWorker.server.prevalidation!.ready(), 'the worker starts').toBe(true);
  });
  afterAll(async () => {
    await withWorker?.close();
    await withoutWorkers?.close();
    xsd.dispose();
  });

  it('refuses a signed request the XSD does not accept as in-thread does, judged in the worker, and still accepts a valid one', async () => {
    const w = withWorker.world;
    const esme = esmesBySupplier(withWorker)[0]!;
    const supplier = esme.supplier;
    const sc = orgCerts(w, supplier, RemotePartyRole.Supplier);
    const target = handoverTargets(withWorker, supplier)[0]!;
    // dcc-sim's own parser enforces the schema's structure itself (an unknown element is refused at
    // parse:schema, before the XSD step), so what reaches the XSD step is where they differ:
    // whitespace around an xs:dateTime, which dcc-sim collapses (XSD 1.0) and libxml2 refuses.
    const unsigned = handoverXml({ sender: supplier, target, counter: 7_000n, role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] }).replace(
      '<sr:RemotePartyRole>',
      '<sr:ExecutionDateTime>\n  2030-01-15T00:00:00Z\n  </sr:ExecutionDateTime><sr:RemotePartyRole>',
    );
    expect(() => parseDuisRequest(unsigned), 'well-formed and structurally DUIS').not.toThrow();
    expect(xsd.validate(unsigned).join('\n'), 'but not valid against the XSD').toMatch(/ExecutionDateTime.*not a valid value of the atomic type 'xs:dateTime'/s);
    const cases = [
      { name: 'not valid against the XSD', endpoint: 'serviceS', body: signAs(w, supplier, unsigned) },
      { name: 'valid', endpoint: 'serviceD', body: signAs(w, supplier, inventoryXml(supplier, esme.mpxn!, 7_001n)) },
    ];
    const pool = withWorker.server.prevalidation!;
    const before = pool.stats();
    const runsBefore = { ...mainThreadRuns };

    const pooled = await outcomesOf(withWorker, cases);
    const inThread = await outcomesOf(withoutWorkers, cases);

    expect(pooled).toEqual(inThread);
    expect(pooled.map((o) => [o.code, o.failedStep])).toEqual([['E100', 'schema'], ['I0', null]]);
    expect(pooled[0]!.logReason).toMatch(/^not valid against the DUIS XSD: .*ExecutionDateTime/s);
    // The worker judged both (its XSD verdict was used), and the main thread ran no XSD for them.
    const after = pool.stats();
    expect(after.prevalidated - before.prevalidated).toBe(cases.length);
    expect(after.inThread - before.inThread).toBe(0);
    expect(mainThreadRuns.withWorker - runsBefore.withWorker, 'XSD runs on the main thread with the worker').toBe(0);
    expect(mainThreadRuns.withoutWorkers - runsBefore.withoutWorkers, 'XSD runs on the main thread without workers').toBe(cases.length);
  });
});

describe('workers that prevalidate only (serve --no-speculate)', () => {
  it("compute a command's key agreements ahead; reads of meters never commanded are carried out as in-thread, each once", async () => {
    // asked for: by default only with more than two CPUs (this machine may have two)
    const h = await startHarness({ workers: 1, speculate: false, keyAgreementsOnWorkers: true });
    try {
      expect(await h.server.prevalidation!.ready(), 'the worker starts').toBe(true);
      const w = h.world;
      const meters = w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 1000 }).devices
        .filter((d) => d.mpxn && w.store.getSupplyPoint(d.mpxn)?.supplierEui && w.store.getDeviceAppState(d.eui) === undefined)
        .slice(0, 6);
      let counter = 90_000n;
      const reads = meters.map((d) => {
        const supplier = w.store.getSupplyPoint(d.mpxn!)!.supplierEui as Eui;
        const xml = exampleRequest(w, '4.1.1', { device: d.eui }).replace(/:1<\/sr:RequestID>/, `:${++counter}</sr:RequestID>`);
        return { endpoint: 'serviceS', body: signDuis(xml, xmlSignerOf(w, supplier)) };
      });
      const before = h.server.prevalidation!.stats();
      const answers = await pipelined(h.server.url, reads);
      expect(answers.map((a) => a.code)).toEqual(reads.map(() => 'I99'));
      const after = h.server.prevalidation!.stats();
      expect(after.prevalidated - before.prevalidated, 'all through the worker').toBe(reads.length);
      // per read: the ACB's MAC on the command, the meter's MAC and encryption for the supplier
      expect(after.agreements - before.agreements, 'agreements computed on the worker').toBe(2 * reads.length);
      // the meters took the commands (MACs agreed from the worker's Z) and answered: each read's final outcome is the device's I0
      const logged = h.server.dcc.gateway.listRequests({ limit: reads.length });
      expect(logged.map((r) => [r.responseCode, r.finalResponseCode ?? r.responseCode])).toEqual(reads.map(() => ['I99', 'I0']));
    } finally {
      await h.close();
    }
  });
});
