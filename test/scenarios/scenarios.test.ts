import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { DCC } from '../../src/world/catalogue.ts';
import {
  findScenario,
  inProcessHost,
  ScenarioRun,
  SCENARIOS,
  SCRATCH_PREMISES,
  SCRATCH_SEED,
  type RunSummary,
  type ScenarioDefinition,
  type StepResult,
} from '../../src/scenarios/index.ts';
import { expectOk, runCliAsync } from '../helpers/world-cli.ts';
import { seedTemplate, type WorldTemplate } from '../compliance/worlds.ts';

// Each training scenario runs end to end against a DCC on 127.0.0.1 (real signed DUIS, emulated
// devices whose cells change) and checks its own expected outcome; the step-wise HTTP API the
// console uses walks the same scenarios one step at a time.

let template: WorldTemplate;
beforeAll(() => {
  // the world `dcc-sim scenario run` makes when given no --db
  template = seedTemplate({ premises: SCRATCH_PREMISES, seed: SCRATCH_SEED, at: new Date() });
});
afterAll(() => template?.cleanup());

async function runScenario(name: string, file = template.copy()): Promise<RunSummary> {
  const host = await inProcessHost(file);
  try {
    return await new ScenarioRun(findScenario(name), host).runAll();
  } finally {
    await host.close();
  }
}

const step = (s: RunSummary, id: string): StepResult => {
  const r = s.results.find((x) => x.id === id);
  if (!r) throw new Error(`step ${id} did not run (${s.results.map((x) => `${x.id}:${x.ok ? 'ok' : x.error ?? x.assertions.filter((a) => !a.ok).map((a) => a.message).join('; ')}`).join(', ')})`);
  return r;
};

function expectPassed(s: RunSummary): void {
  const failed = s.results.filter((r) => !r.ok).map((r) => ({ step: r.id, error: r.error, failed: r.assertions.filter((a) => !a.ok).map((a) => a.message) }));
  expect(failed).toEqual([]);
  expect(s.status).toBe('passed');
  expect(s.results).toHaveLength(findScenario(s.scenario).steps.length);
}

describe('the training scenarios pass on the scratch world', () => {
  it('commission-esme: pending, non-compliant on day 8 with the ACB, compliant once the DNO certificates are placed', async () => {
    const s = await runScenario('commission-esme');
    expectPassed(s);
    const handover = step(s, 'network-operator-handover');
    expect(handover.requests).toHaveLength(1);
    expect(handover.requests[0]).toMatchObject({ service: '6.21', responseCode: 'I99', outcome: 'I0', finalResponseCode: 'I0', succeeded: true });
    expect(handover.requests[0]!.requestXml).toContain('<sr:RemotePartyRole>NetworkOperator</sr:RemotePartyRole>');
    expect(handover.requests[0]!.requestXml).toContain('<ds:SignatureValue>');
    expect(handover.cellsChanged.map((c) => [c.cell, c.before?.eui, c.after?.eui === c.before?.eui])).toEqual([
      ['networkOperatorDS', DCC.accessControlBroker, false],
      ['networkOperatorKA', DCC.accessControlBroker, false],
    ]);
    expect(step(s, 'eight-days-later').happened.join('\n')).toMatch(/is non-compliant \(acb-in-esme/);
    // commissioned by a real 8.1.1, both legs, after the supplier took its cells: the report counts it from then
    const commission = step(s, 'commission');
    expect(commission.requests.map((r) => r.service)).toEqual(['8.1.1', '8.2']);
    expect(commission.requests[0]).toMatchObject({
      service: '8.1.1', legs: [{ commandVariant: 4, responseCode: 'I0' }, { commandVariant: 5, responseCode: 'I99' }], finalResponseCode: 'I0', succeeded: true,
    });
    expect(commission.requests[0]!.requestXml).toContain('<sr:CommissionDeviceSynchroniseClock>');
    expect(commission.happened.join('\n')).toMatch(/is pending \(acb-in-esme.*day 0 since commissioning/s);
    // the DCC's own inventory answer (8.2) before and after
    expect(step(s, 'installed').happened.join('\n')).toMatch(/the DCC's inventory answer: [0-9A-F-]+ InstalledNotCommissioned$/m);
    expect(commission.happened.join('\n')).toMatch(/the DCC's inventory answer: [0-9A-F-]+ Commissioned, commissioned \d{4}-\d{2}-\d{2}Z/);
    expect(s.results.map((r) => r.id).indexOf('supplier-handover')).toBeLessThan(s.results.map((r) => r.id).indexOf('commission'));
  });

  it('misissued-certificate: the wrong DNO is refused with E062105 and nothing reaches the meter', async () => {
    const s = await runScenario('misissued-certificate');
    expectPassed(s);
    const wrong = step(s, 'wrong-dno');
    expect(wrong.requests[0]).toMatchObject({ service: '6.21', responseCode: 'E062105', asyncResponses: [] });
    expect(wrong.requests[0]!.reason).toMatch(/but registration data names .* for MPAN \d{13}/);
    expect(wrong.cellsChanged).toEqual([]);
    expect(step(s, 'why-it-matters').requests[0]).toMatchObject({ outcome: 'E21' });
    // acknowledged, then discarded by the meter: a failure in the results, with the meter's reason
    expect(step(s, 'why-it-matters').requests[0]).toMatchObject({ responseCode: 'I99', finalResponseCode: 'E21', succeeded: false });
    expect(step(s, 'why-it-matters').requests[0]!.finalReason).toMatch(/^device discarded the command: /);
  });

  it('misissued-certificate on a world with no ESME commissioned this week: the supplier takes one over and commissions it by 8.1.1 first', async () => {
    const host = await inProcessHost(template.copy());
    try {
      // a month on, every seeded commissioning is older than the 7-day window
      await host.clock.advance(30 * 86_400_000);
      const s = await new ScenarioRun(findScenario('misissued-certificate'), host).runAll();
      expectPassed(s);
      expect(step(s, 'new-esme').requests.map((r) => [r.service, r.finalResponseCode])).toEqual([['6.21', 'I0'], ['8.1.1', 'I0']]);
      expect(step(s, 'new-esme').happened.join('\n')).toMatch(/is pending \(acb-in-esme.*day 0 since commissioning/s);
    } finally {
      await host.close();
    }
  });

  it("gpf-handover: a GPF commissioned by its hub's 8.14.1 reads its cells over DUIS, is compliant with the ACB or its GNO, and still after 8 days", async () => {
    const s = await runScenario('gpf-handover');
    expectPassed(s);
    // commissioned over DUIS: the hub's install report, then the gas supplier takes the supplier cells
    expect(step(s, 'installed').requests.map((r) => [r.service, r.finalResponseCode])).toEqual([['12.2', 'I0'], ['12.2', 'I0'], ['8.4', 'I0'], ['8.14.1', 'I0'], ['6.21', 'I0']]);
    expect(step(s, 'installed').happened.join('\n')).toMatch(/GPF [0-9A-F-]+ of comms hub [0-9A-F-]+ at MPRN \d+, commissioned \d{4}-/);
    expect(step(s, 'supplier-reads-cells').requests[0]).toMatchObject({ service: '6.24.1', finalResponseCode: 'I0' });
    expect(step(s, 'supplier-reads-cells').cellsChanged).toEqual([]);
  });

  it('change-of-supplier: the losing supplier refused E4, the 6.23 swaps the supplier cells, the gaining supplier reaches the meter, the losing supplier\'s locally delivered command refused by the meter', async () => {
    const s = await runScenario('change-of-supplier');
    expectPassed(s);
    expect(step(s, 'losing-supplier-refused').requests[0]).toMatchObject({ responseCode: 'E4' });
    const cos = step(s, 'cos');
    expect(cos.requests[0]).toMatchObject({ service: '6.23', responseCode: 'I99', outcome: 'I0' });
    expect(cos.cellsChanged.map((c) => c.cell)).toEqual(['supplierDS', 'supplierKA', 'supplierTopUpKA']);
    // the command the losing supplier obtained for local delivery before the switch: the meter refuses it
    expect(step(s, 'local-command').requests[0]).toMatchObject({ service: '4.1.1', legs: [{ commandVariant: 2, responseCode: 'I0' }] });
    const byMeter = step(s, 'losing-supplier-refused-by-meter');
    expect(byMeter.requests[0]).toMatchObject({ service: '4.1.1', finalResponseCode: 'E21', succeeded: false });
    expect(byMeter.requests[0]!.requestId).toBe(step(s, 'local-command').requests[0]!.requestId);
    expect(byMeter.requests[0]!.finalReason).toMatch(/^device discarded the locally delivered command: originator [0-9A-F]+ holds no cell that may send/);
    expect(byMeter.cellsChanged).toEqual([]);
  });

  it('install-dual-fuel: every step a DUIS request; the ESME is Commissioned, and counted, from its real 8.1.1', async () => {
    const s = await runScenario('install-dual-fuel');
    expectPassed(s);
    expect(step(s, 'device-log').requests.map((r) => [r.service, r.finalResponseCode])).toEqual([['8.11', 'I0'], ['8.11', 'I0'], ['8.11', 'I0'], ['8.11', 'I0'], ['8.9', 'I0']]);
    // the IHD: pre-notified with the others, joined to both meters (8.7.2 CS03B), each meter's join state lists it
    expect(step(s, 'in-home').assertions.filter((a) => /holds the IHD [0-9A-F-]+ joined, as a Type 2 device/.test(a.message)).map((a) => a.ok)).toEqual([true, true]);
    expect(step(s, 'join').requests[0]).toMatchObject({ service: '8.7.2', responseCode: 'I99', outcome: 'I0' });
    const commission = step(s, 'commission');
    expect(commission.requests[0]).toMatchObject({ service: '8.1.1', outcome: 'I0', finalResponseCode: 'I0', succeeded: true });
    expect(commission.happened.join('\n')).toMatch(/is pending \(acb-in-esme/);
    // the hub's install commissions its GPF: counted from that moment
    const hub = step(s, 'hub-installed');
    expect(hub.requests.map((r) => [r.service, r.finalResponseCode])).toEqual([['8.14.1', 'I0']]);
    expect(hub.happened.join('\n')).toMatch(/post-commissioning report: [0-9A-F-]+ is compliant, day 0 since commissioning/);
    // the network operators' certificates by 6.21, the PPMID's joins, each I99 then I0
    const no = step(s, 'network-operator-cells');
    expect(no.requests[0]).toMatchObject({ service: '6.21', responseCode: 'I99', finalResponseCode: 'I0' });
    expect(no.cellsChanged.filter((c) => c.cell.startsWith('networkOperator')).length).toBeGreaterThanOrEqual(2);
    const joins = step(s, 'in-home').requests;
    expect(joins.map((r) => [r.service, r.legs.map((l) => l.responseCode), r.finalResponseCode])).toEqual([
      ['8.7.1', ['I0', 'I99'], 'I0'], ['8.7.2', ['I99'], 'I0'], ['8.7.2', ['I99'], 'I0'], ['8.7.2', ['I99'], 'I0'], ['8.9', ['I99'], 'I0'],
    ]);
    const report = step(s, 'report').happened.join('\n');
    expect(report.match(/is compliant, day 0/g)).toHaveLength(2);
  });

  it('prepayment: tops up, drains, takes emergency credit, is disconnected at zero, tops up and is reconnected; and again in the same world', async () => {
    const file = template.copy();
    for (const run of [1, 2]) {
      const s = await runScenario('prepayment', file);
      expectPassed(s);
      const services = (id: string) => step(s, id).requests.map((r) => r.service);
      expect(services('customer'), `run ${run}`).toEqual(expect.arrayContaining(['2.2', '1.6', '4.18', '7.4']));
      expect(services('emergency-credit')).toEqual(['2.5']);
      expect(step(s, 'emergency-credit').requests[0]).toMatchObject({ legs: [{ commandVariant: 4, responseCode: 'I0' }, { commandVariant: 5, responseCode: 'I99' }], finalResponseCode: 'I0' });
      expect(step(s, 'runs-low').happened.join('\n')).toMatch(/after \d+ day\(s\) \d+ hour\(s\) the balance is £[0-9.-]+ \(from £[0-9.]+\)/);
      expect(step(s, 'disconnected').happened.join('\n')).toMatch(/the supply is off; the balance is £-/);
      expect(step(s, 'disconnected').happened.join('\n')).toMatch(/alerts .*: credit below the disablement threshold \(8F0F\)/);
      expect(services('reconnected')).toEqual(['4.18', '2.2', '4.18', '4.18', '7.4', '7.1', '7.4']);
    }
  });

  it('gas-network-sale: Cadent cannot reach, National Grid may not cease, the remedy, then all compliant', async () => {
    const file = template.copy();
    const s = await runScenario('gas-network-sale', file);
    expectPassed(s);
    const blocked = step(s, 'incoming-cannot-reach');
    expect(blocked.requests[0]).toMatchObject({ outcome: 'E21' });
    expect(blocked.cellsChanged).toEqual([]);
    expect(step(s, 'cease-refused').happened[0]).toMatch(/may not cease to be a DCC User/);
    const acb = step(s, 'outgoing-replaces-with-acb');
    expect(acb.requests.length + acb.requestsOmitted).toBeGreaterThan(2);
    expect(acb.requests.every((r) => r.service === '6.15.1' && r.outcome === 'I0')).toBe(true);
    // run again on the same world: nothing is left to show, and the scenario says so and fails
    const again = await runScenario('gas-network-sale', file);
    expect(again.status).toBe('failed');
    expect(again.results).toHaveLength(1);
    expect(again.results[0]!.error).toMatch(/no device at Cadent's supply points holds National Grid Gas Distribution's certificates/);
  });

  it('smki-recovery: National Grid\'s revoked certificates stop its own remedy; the DCC\'s recovery puts the ACB\'s in; all compliant', async () => {
    const s = await runScenario('smki-recovery');
    expectPassed(s);
    expect(step(s, 'compromise').requests[0]).toMatchObject({ service: '6.15.1', finalResponseCode: 'E061508', succeeded: false });
    const recovery = step(s, 'recovery');
    expect(recovery.requests).toEqual([]);
    expect(recovery.cellsChanged.length).toBeGreaterThan(2);
    expect(recovery.cellsChanged.every((c) => c.before?.eui === '90B3D51F41000005' && c.after?.eui === DCC.accessControlBroker)).toBe(true);
    expect(recovery.happened[0]).toMatch(/the DCC's recovery \(anyExceptAbnormalRootByRecovery, ordered by .*\) reached \d+ device\(s\): \d+ carried out, 0 not/);
  });

  it('a scenario whose expectation is not met fails at that step and runs no further', async () => {
    const broken: ScenarioDefinition = {
      ...findScenario('commission-esme'),
      name: 'broken',
      steps: findScenario('commission-esme').steps.map((st) =>
        st.id === 'supplier-handover'
          ? {
              ...st,
              async run(ctx) {
                await st.run(ctx);
                ctx.check(ctx.holder(ctx.get<{ eui: string }>('esme').eui, 'supplierDS') === DCC.accessControlBroker, 'the supplier cells still hold the ACB (wrong on purpose)');
              },
            }
          : st,
      ),
    };
    const host = await inProcessHost(template.copy());
    try {
      const s = await new ScenarioRun(broken, host).runAll();
      expect(s.status).toBe('failed');
      expect(s.results.map((r) => r.ok)).toEqual([true, false]);
      expect(s.results[1]!.assertions.find((a) => !a.ok)!.message).toContain('wrong on purpose');
    } finally {
      await host.close();
    }
  });
});

describe('the step-wise scenario API (for the console)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  const api = async (method: string, path: string) => {
    const res = await fetch(`${server.url}${path}`, { method });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as Record<string, unknown>) };
  };

  it('lists the scenarios with their steps and narration', async () => {
    const { status, body } = await api('GET', '/api/scenarios');
    expect(status).toBe(200);
    const list = body as unknown as { name: string; steps: { title: string; narration: string }[] }[];
    expect(list.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    expect(list.every((s) => s.steps.length > 2 && s.steps.every((st) => st.title && st.narration.length > 40))).toBe(true);
  });

  it('starts a run and steps through it: narration, requests with response codes, cells changed, checks', async () => {
    const start = await api('POST', '/api/scenarios/misissued-certificate/runs');
    expect(start.status).toBe(201);
    const run = start.body as unknown as RunSummary & { sandbox: { id: string; baseUrl: string } };
    expect(run).toMatchObject({ scenario: 'misissued-certificate', status: 'ready', position: 0, sandbox: { name: 'scenario: misissued-certificate' } });
    const results: StepResult[] = [];
    for (let i = 0; i < run.steps.length; i++) {
      const next = await api('POST', `/api/scenarios/runs/${run.runId}/next`);
      expect(next.status).toBe(200);
      results.push(next.body as unknown as StepResult);
      expect(results[i]).toMatchObject({ index: i, id: run.steps[i]!.id, ok: true, error: null });
      expect(results[i]!.narration).toBe(run.steps[i]!.narration);
    }
    const wrong = results[1]!;
    expect(wrong.requests[0]).toMatchObject({ responseCode: 'E062105' });
    const right = results[2]!;
    expect(right.requests[0]).toMatchObject({ responseCode: 'I99', outcome: 'I0' });
    expect(right.cellsChanged.map((c) => c.cell)).toEqual(['networkOperatorDS', 'networkOperatorKA']);
    // the requests went through this server, into the run's own sandbox: they are in its request log, not the shared world's
    const logOf = async (base: string) => (await (await fetch(`${server.url}${base}/api/requests?requestId=${encodeURIComponent(right.requests[0]!.requestId)}`)).json()) as { responseCode: string }[];
    expect((await logOf(run.sandbox.baseUrl)).map((l) => l.responseCode)).toEqual(['I99']);
    expect(await logOf('')).toEqual([]);
    const done = await api('POST', `/api/scenarios/runs/${run.runId}/next`);
    expect(done.status).toBe(409);
    const summary = (await api('GET', `/api/scenarios/runs/${run.runId}`)).body as unknown as RunSummary;
    expect(summary).toMatchObject({ status: 'passed', position: run.steps.length });
    expect((await api('DELETE', `/api/scenarios/runs/${run.runId}`)).status).toBe(204);
    expect((await api('GET', `/api/scenarios/runs/${run.runId}`)).status).toBe(404);
    // its sandbox went with it
    expect((await api('GET', `${run.sandbox.baseUrl}/api/clock`)).status).toBe(404);
  });

  it('every scenario passes twice in a row in the same world, each run in a sandbox of its own; the shared clock does not move', async () => {
    const clockBefore = Date.parse(((await api('GET', '/api/clock')).body as { now: string }).now);
    for (const scenario of SCENARIOS) {
      for (const time of [1, 2]) {
        const start = await api('POST', `/api/scenarios/${scenario.name}/runs`);
        expect(start.status, `${scenario.name} run ${time}`).toBe(201);
        const run = start.body as unknown as RunSummary & { sandbox: { baseUrl: string } };
        const done = (await api('POST', `/api/scenarios/runs/${run.runId}/finish`)).body as unknown as RunSummary;
        const failed = done.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error ?? r.assertions.filter((a) => !a.ok).map((a) => a.message).join('; ')}`);
        expect(failed, `${scenario.name} run ${time}`).toEqual([]);
        expect(done.status).toBe('passed');
        expect((await api('DELETE', `/api/scenarios/runs/${run.runId}`)).status).toBe(204);
      }
    }
    const clockAfter = Date.parse(((await api('GET', '/api/clock')).body as { now: string }).now);
    expect(Math.abs(clockAfter - clockBefore)).toBeLessThan(10 * 60_000); // real time passed, no days
    expect(((await api('GET', '/api/requests')).body as unknown as unknown[])).toEqual([]);
    expect(((await api('GET', '/api/sandboxes')).body as unknown as unknown[])).toEqual([]);
  }, 600_000);

  it("runs in the world it is started in when asked ({ in: 'this-world' })", async () => {
    const res = await fetch(`${server.url}/api/scenarios/misissued-certificate/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ in: 'this-world' }) });
    const run = (await res.json()) as RunSummary & { sandbox: unknown };
    expect(run.sandbox).toBeNull();
    await api('POST', `/api/scenarios/runs/${run.runId}/next`);
    const second = (await api('POST', `/api/scenarios/runs/${run.runId}/next`)).body as unknown as StepResult;
    expect(second.requests[0]).toMatchObject({ responseCode: 'E062105' });
    const log = (await (await fetch(`${server.url}/api/requests?requestId=${encodeURIComponent(second.requests[0]!.requestId)}`)).json()) as { responseCode: string }[];
    expect(log.map((l) => l.responseCode)).toEqual(['E062105']);
    const bad = await fetch(`${server.url}/api/scenarios/misissued-certificate/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ in: 'elsewhere' }) });
    expect(bad.status).toBe(400);
  });

  it('runs the rest of a scenario in one call, and refuses unknown scenarios', async () => {
    const start = (await api('POST', '/api/scenarios/gpf-handover/runs')).body as unknown as RunSummary;
    const first = await api('POST', `/api/scenarios/runs/${start.runId}/next`);
    expect((first.body as unknown as StepResult).ok).toBe(true);
    const rest = (await api('POST', `/api/scenarios/runs/${start.runId}/finish`)).body as unknown as RunSummary;
    expect(rest.status).toBe('passed');
    expect(rest.results).toHaveLength(start.steps.length);
    expect((await api('POST', '/api/scenarios/no-such-thing/runs')).status).toBe(404);
  });
});

describe('`dcc-sim scenario`', () => {
  it('`scenario run` with no world runs on a scratch world and prints each step with why and what happened', async () => {
    const r = expectOk(await runCliAsync(['scenario', 'run', 'commission-esme']));
    expect(r.stdout).toContain('Install and commission an ESME and place the network operator certificates');
    expect(r.stdout).toMatch(/PASS {2}step 1\/6 {2}An ESME is installed, still DCC controlled/);
    expect(r.stdout).toContain('why: IEDP 5.3');
    // (narration is wrapped for the terminal)
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/sent 6\.21 Request Handover of DCC Controlled Device: NetworkOperator cells to .* serviceS CV1 I99; device answer I0/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('PASSED: commission-esme (6 of 6 steps passed)');
  });

  it('`scenario run` on a world that cannot play it exits 2 and says why', async () => {
    const file = template.copy();
    expect((await runScenario('gas-network-sale', file)).status).toBe('passed');
    const second = await runCliAsync(['scenario', 'run', 'gas-network-sale', '--db', file]);
    expect(second.code).toBe(2);
    expect(second.stdout).toContain('has this scenario already run on this world?');
    expect(second.stdout.trimEnd().split('\n').at(-1)).toBe('FAILED: gas-network-sale (0 of 7 steps passed)');
  });
});
