import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rmSync } from 'node:fs';
import { World } from '../../src/world/world.ts';
import { demoWorldFile, startHarness, type Harness } from '../helpers/gateway.ts';
import { describeFailure, FAMILIES, fuzz, FuzzRig, type FuzzReport, type Transport } from './fuzz-kit.ts';

// Hostile input, generated: fast-check mutates valid signed requests of every supported service
// (see fuzz-kit.ts for the mutations and the oracle). Thousands of cases straight through
// Dcc.handle, a smaller sample through HTTP; `npm run fuzz` runs many more (bench/fuzz.ts).
// FUZZ_RUNS and FUZZ_SEED override the defaults (the seed is fixed so that a run is repeatable).
// The oracle's write journal is SQLite's temporary triggers: the worlds here are SQLite files.

const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20261101);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

function expectClean(r: FuzzReport, what: string): void {
  expect(r.failures.map(describeFailure), `${what}: fuzz seed ${r.seed}${r.counterexample ? `, shrunk to ${JSON.stringify(r.counterexample)}` : ''}`).toEqual([]);
}

describe('fuzzing through Dcc.handle', () => {
  let world: World;
  let file = '';
  beforeAll(() => {
    file = demoWorldFile(150, 'sqlite');
    world = World.open(file);
  });
  afterAll(() => {
    world?.close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });

  it(`${RUNS} mutants of valid signed requests: refused without a trace, or handled as what they mean`, async () => {
    const rig = new FuzzRig(world);
    await rig.prepare();
    // warm up, then measure the heap over the run
    await fuzz(rig, { runs: 50, seed: SEED + 1 });
    const heapBefore = heapMB();
    const r = await fuzz(rig, { runs: RUNS, seed: SEED });
    const heapAfter = heapMB();
    console.info(
      `fuzz (seed ${r.seed}): ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, ${r.accepted} accepted (${r.acceptedDifferent} re-signed with another meaning), ` +
        `codes ${JSON.stringify(r.byCode)}, families ${JSON.stringify(r.byFamily)}, heap ${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} MB`,
    );
    expectClean(r, 'in-process');
    expect(r.cases).toBe(RUNS);
    // every family ran, and the valid requests underneath still go through
    for (const f of FAMILIES) expect(r.byFamily[f] ?? 0, `family ${f}`).toBeGreaterThan(RUNS / FAMILIES.length / 3);
    expect(r.accepted).toBeGreaterThan(0);
    expect(Object.keys(r.byCode).filter((c) => c.startsWith('E')).length, 'distinct refusal codes').toBeGreaterThanOrEqual(5);
    // nothing accumulates per case (every case is rolled back)
    expect(heapAfter - heapBefore, 'heap growth over the run (MB)').toBeLessThan(64);
    expect(unhandled).toEqual([]);
  }, 240_000);
});

describe('fuzzing over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'sqlite' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`${HTTP_RUNS} mutants posted to the gateway: DUIS answers, logged, nothing changed by a refusal`, async () => {
    const transport: Transport = async (endpoint, body) => {
      const res = await fetch(`${h.server.url}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body });
      const xml = await res.text();
      return { responseCode: res.headers.get('x-dcc-sim-response-code') ?? '', reason: res.headers.get('x-dcc-sim-reason') ?? undefined, xml, requestLogId: 0, status: res.status };
    };
    const rig = new FuzzRig(h.world, h.server.dcc, transport);
    await rig.prepare();
    const r = await fuzz(rig, { runs: HTTP_RUNS, seed: SEED + 7 });
    console.info(`fuzz over HTTP (seed ${r.seed}): ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, ${r.accepted} accepted, codes ${JSON.stringify(r.byCode)}`);
    expectClean(r, 'HTTP');
    expect(r.cases).toBe(HTTP_RUNS);
    // the server is still well
    const health = await fetch(`${h.server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(unhandled).toEqual([]);
  }, 180_000);
});
