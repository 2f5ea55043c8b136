import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dashedEui } from '../../pki/index.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';
import { expectOk, runCliAsync } from '../helpers/world-cli.ts';

// The README's first request, sent twice, over a real server: the device discards the second
// handover (its supplier cells no longer hold the ACB), so that request's outcome is a failure with
// the device's reason everywhere a user looks, although the DCC acknowledged it (I99).

let h: Harness;
let dir: string;
let handoverFile: string;
let device: string;

interface LogRow {
  requestId: string;
  responseCode: string;
  reason: string | null;
  finalResponseCode: string;
  finalReason: string | null;
  deviceAlertCode: string | null;
  outcome: string;
  changedCells: string[] | null;
}
interface Metrics {
  requests: { byResponseCode: Record<string, number>; byFinalResponseCode: Record<string, number>; byOutcome: { success: number; failure: number }; deviceRefusals: { total: number; byAlertCode: Record<string, number> } };
  asynchronous: { byKind: Record<string, Record<string, number>> };
}

const api = async <T>(p: string): Promise<T> => (await fetch(`${h.server.url}${p}`)).json() as Promise<T>;
// The CLI runs beside the in-process server: it must not block this event loop (runCliAsync).
const send = (...extra: string[]) => runCliAsync(['send', handoverFile, '--db', h.file, '--url', h.server.url, ...extra]);
const requestIdOf = (stdout: string) => /^RequestID\s+(\S+)$/m.exec(stdout)?.[1];

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-final-'));
  const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
  device = dashedEui(esme.eui);
  const example = expectOk(await runCliAsync(['example', 'handover', '--db', h.file, '--device', device]));
  handoverFile = path.join(dir, 'handover.xml');
  writeFileSync(handoverFile, example.stdout);
});

afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('final outcomes: the README handover sent twice', () => {
  let first: LogRow;
  let second: LogRow;
  let before: Metrics;
  let firstRun: Awaited<ReturnType<typeof send>>;
  let secondRun: Awaited<ReturnType<typeof send>>;

  beforeAll(async () => {
    before = await api<Metrics>('/api/metrics');
    firstRun = await send();
    expect(firstRun.code, firstRun.stdout + firstRun.stderr).toBe(0);
    first = (await api<LogRow[]>(`/api/requests?requestId=${encodeURIComponent(requestIdOf(firstRun.stdout)!)}`))[0]!;
    secondRun = await send();
    second = (await api<LogRow[]>(`/api/requests?requestId=${encodeURIComponent(requestIdOf(secondRun.stdout)!)}`))[0]!;
  });

  it('the first is acknowledged and carried out: I99 then I0, a success with the cells it changed', () => {
    expect(first).toMatchObject({ responseCode: 'I99', finalResponseCode: 'I0', outcome: 'success', finalReason: null, deviceAlertCode: null });
    expect(first.changedCells).toContain('supplierDS');
  });

  it('the second is acknowledged, then refused by the device: /api/requests has the final E21 with the device reason and alert beside the I99', () => {
    expect(second.responseCode).toBe('I99');
    expect(second.reason).toBeNull();
    expect(second.finalResponseCode).toBe('E21');
    expect(second.outcome).toBe('failure');
    expect(second.finalReason).toMatch(/device discarded the command: originator [0-9A-F]{16} is not [0-9A-F]{16}/);
    expect(second.deviceAlertCode).toMatch(/^[0-9A-F]{4}$/);
    expect(second.changedCells).toEqual([]);
  });

  it('the timeline JSON says accepted (acknowledged) but not succeeded, with the final code and the device reason', async () => {
    const [entry] = await api<Record<string, unknown>[]>(`/api/console/requests?requestId=${encodeURIComponent(second.requestId)}`);
    expect(entry).toMatchObject({ responseCode: 'I99', accepted: true, succeeded: false, finalResponseCode: 'E21', finalReason: second.finalReason, deviceAlertCode: second.deviceAlertCode });
    const detail = await api<{ succeeded: boolean; finalReason: string; duis: { title: string }[] }>(`/api/console/requests/${(entry as { id: number }).id}`);
    expect(detail.succeeded).toBe(false);
    expect(detail.finalReason).toBe(second.finalReason);
    // the E21 the sender receives is shown as this request's final outcome
    expect(detail.duis.map((d) => d.title)).toContainEqual(expect.stringContaining(`DUIS asynchronous response E21: the final outcome of this request (RequestID ${second.requestId})`));
  });

  it('the refusal reaches the sender as DUIS has it: an asynchronous E21 response (no response from the device) with the RequestID', async () => {
    const queued = await api<{ kind: string; responseCode: string; requestId: string; xml: string }[]>(`/api/responses?requestId=${encodeURIComponent(second.requestId)}`);
    // the emulated device raises no GBCS alert when it discards a command: the E21 alone tells the sender
    expect(queued.map((q) => [q.kind, q.responseCode])).toEqual([['response', 'E21']]);
    expect(queued[0]!.xml).toContain(`<sr:RequestID>${second.requestId}</sr:RequestID>`);
  });

  it('/api/metrics counts the second by its final outcome and the device refusal by alert code, in JSON and Prometheus', async () => {
    const after = await api<Metrics>('/api/metrics');
    const delta = (f: (m: Metrics) => number | undefined) => (f(after) ?? 0) - (f(before) ?? 0);
    expect(delta((m) => m.requests.byResponseCode.I99)).toBe(2);
    expect(delta((m) => m.requests.byFinalResponseCode.I0)).toBe(1);
    expect(delta((m) => m.requests.byFinalResponseCode.E21)).toBe(1);
    expect(delta((m) => m.requests.byOutcome.failure)).toBe(1);
    expect(delta((m) => m.requests.deviceRefusals.byAlertCode[second.deviceAlertCode!])).toBe(1);
    expect(delta((m) => m.asynchronous.byKind.response?.E21)).toBe(1);
    const text = await (await fetch(`${h.server.url}/api/metrics?format=prometheus`)).text();
    expect(text).toContain(`dcc_sim_final_responses_total{code="E21"} ${after.requests.byFinalResponseCode.E21}`);
    expect(text).toContain(`dcc_sim_outcomes_total{outcome="failure"} ${after.requests.byOutcome.failure}`);
    expect(text).toContain(`dcc_sim_device_refusals_total{alert="${second.deviceAlertCode}"} 1`);
    expect(text).toContain(`dcc_sim_asynchronous_total{kind="response",code="E21"}`);
  });

  it('`dcc-sim send` summarises the first: acknowledged, carried out, the cells and the device response', () => {
    const out = firstRun.stdout;
    expect(out).toMatch(/^6\.21 Request Handover of DCC Controlled Device → /m);
    expect(out).toMatch(/^acknowledgement\s+I99$/m);
    expect(out).toMatch(/^final outcome\s+I0 success$/m);
    expect(out).toMatch(/^cells changed\s+supplierDS, supplierKA, supplierTopUpKA$/m);
    expect(out).toMatch(/^data\s+device response: GBCS message code 0x[0-9A-F]{4}, \d+ bytes$/m);
    expect(out).not.toMatch(/^reason/m);
  });

  it('`dcc-sim send` exits non-zero for it, with a summary naming the acknowledgement, the final outcome and the device reason', () => {
    expect(secondRun.code).toBe(2);
    const out = secondRun.stdout;
    expect(out).toMatch(/^acknowledgement\s+I99$/m);
    expect(out).toMatch(/^final outcome\s+E21 FAILURE$/m);
    expect(out).toContain(`reason           ${second.finalReason}`);
    expect(out).toMatch(new RegExp(`^device alert\\s+${second.deviceAlertCode} \\(the GBCS alert code`, 'm'));
    expect(out).toMatch(/^cells changed\s+none$/m);
    expect(out).not.toContain('<sr:Response');
  });

  it('`dcc-sim send --xml` prints the raw DUIS documents as before, and still exits non-zero for a refused command', async () => {
    const r = await send('--xml');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^serviceS: I99$/m);
    expect(r.stdout).toMatch(/^asynchronous response: E21$/m);
    expect(r.stdout).toContain('<sr:Response');
  });

  it('`dcc-sim send --json` carries the final outcome', async () => {
    const r = await send('--json');
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout) as { legs: { responseCode: string }[]; final: { responseCode: string; outcome: string; reason: string } };
    expect(j.legs.at(-1)!.responseCode).toBe('I99');
    expect(j.final).toMatchObject({ responseCode: 'E21', outcome: 'failure' });
    expect(j.final.reason).toMatch(/is not/);
  });
});

describe('`dcc-sim example SERVICE` for any carried-out service', () => {
  it('prints the request indented, by service variant, and `dcc-sim send` carries it out (a critical one through both legs)', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => {
      const sp = d.mpxn ? h.world.store.getSupplyPoint(d.mpxn) : undefined;
      return d.status === 'Commissioned' && !!sp?.supplierEui && holders.supplierDS === sp.supplierEui;
    });
    const ex = expectOk(await runCliAsync(['example', '7.3', '--db', h.file, '--device', dashedEui(esme.eui)]));
    expect(ex.stdout).toMatch(/\n  <sr:Header>\n    <sr:RequestID>/);
    expect(ex.stdout).toContain('<sr:ArmSupply');
    const file = path.join(dir, 'arm.xml');
    writeFileSync(file, ex.stdout);
    const sent = await runCliAsync(['send', file, '--db', h.file, '--url', h.server.url]);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const row = (await api<LogRow[]>(`/api/requests?requestId=${encodeURIComponent(requestIdOf(sent.stdout)!)}`))[0]!;
    expect(row).toMatchObject({ finalResponseCode: 'I0', outcome: 'success' });
    const unknown = await runCliAsync(['example', '9.9', '--db', h.file, '--device', dashedEui(esme.eui)]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no example '9\.9': choose a service variant or one of .*read-supply/);
  });
});
