// Assertions shared by the gateway suites: post anything to a running dcc-sim, and check that a
// rejection is what it claims to be — the response code, a reason that names the problem, the
// failed step in the request log — and that it changed nothing: the device tables are dumped
// before and after and compared byte for byte. Every DUIS answer is also checked against the
// DUIS 5.4 XSD (an independent libxml2 oracle) and against the DCC's XML signature.
import { expect } from 'vitest';
import type { KeyObject } from 'node:crypto';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { parseDuisResponse, verifyDuisSignature, type DuisResponse } from '../../service-requests/index.ts';
import { META, type World } from '../../src/world/world.ts';
import { duisXsdErrors } from './duis-xsd.ts';

/** The tables that hold device state and replay floors: no rejection may touch them. */
export const DEVICE_TABLES = ['devices', 'device_security', 'device_pending_commands', 'device_credentials', 'originator_counters'] as const;

const ORDER: Record<(typeof DEVICE_TABLES)[number], string> = {
  devices: 'eui',
  device_security: 'device_eui',
  device_pending_commands: 'device_eui, originator, counter',
  device_credentials: 'device_eui',
  originator_counters: 'originator_eui',
};

/** Every row of the device tables, in key order, every value in an exact text form (BLOBs as hex). */
export function dumpDeviceTables(world: World): string {
  const out: string[] = [];
  for (const t of DEVICE_TABLES) {
    const stmt = world.store.db.prepare(`SELECT * FROM ${t} ORDER BY ${ORDER[t]}`);
    const cols = stmt.columns().map((c) => c.name);
    out.push(`## ${t} (${cols.join(', ')})`);
    for (const row of stmt.raw().all() as unknown[][]) {
      out.push(row.map((v) => (Buffer.isBuffer(v) ? `x'${v.toString('hex')}'` : v === null ? 'NULL' : `${typeof v}:${String(v)}`)).join(' | '));
    }
  }
  return out.join('\n');
}

/** A device's cells (certificate ids), anti-replay seq numbers and held commands, as plain data. */
export function deviceState(world: World, eui: Eui) {
  const s = world.store.getDeviceSecurity(eui);
  return {
    cells: { ...(s?.cells ?? {}) },
    seqNumbers: Object.fromEntries(Object.entries(s?.seqNumbers ?? {}).map(([k, v]) => [k, String(v)])),
    topUpSeqNumber: String(s?.topUpSeqNumber),
    pending: world.store.pendingCommands(eui).length,
  };
}

export function lastCounter(world: World, originator: Eui): string | null {
  const r = world.store.db.prepare('SELECT last_counter FROM originator_counters WHERE originator_eui = ?').get(originator) as { last_counter: string } | undefined;
  return r?.last_counter ?? null;
}

export interface Posted {
  status: number;
  contentType: string;
  /** X-DCC-Sim-Response-Code */
  code: string;
  /** X-DCC-Sim-Reason */
  reason: string | null;
  body: string;
}

export async function postRaw(baseUrl: string, endpoint: string, body: string | Buffer, contentType = 'application/xml'): Promise<Posted> {
  const res = await fetch(`${baseUrl}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    code: res.headers.get('x-dcc-sim-response-code') ?? '',
    reason: res.headers.get('x-dcc-sim-reason'),
    body: await res.text(),
  };
}

export interface LogEntry {
  id: number;
  endpoint: string;
  requestId: string | null;
  originator: string | null;
  device: string | null;
  responseCode: string;
  reason: string | null;
  failedStep: string | null;
  steps: { step: string; ok: boolean; detail: string }[] | null;
  responseXml?: string;
}

export async function requestLog(baseUrl: string, query = ''): Promise<LogEntry[]> {
  const res = await fetch(`${baseUrl}/api/requests${query ? `?${query}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as LogEntry[];
}

async function latestLogId(baseUrl: string): Promise<number> {
  return (await requestLog(baseUrl, 'limit=1'))[0]?.id ?? 0;
}

export interface AsyncResponse {
  kind: string;
  requestId: string | null;
  responseCode: string;
  xml: string;
}

export async function asyncResponses(baseUrl: string, requestId: string): Promise<AsyncResponse[]> {
  const res = await fetch(`${baseUrl}/api/responses?requestId=${encodeURIComponent(requestId)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AsyncResponse[];
}

export function dccResponseKey(world: World): KeyObject {
  return world.certificateFacts(Number(world.meta(META.dccXmlSigningCertificateId))).publicKey;
}

/** A DUIS answer from dcc-sim: schema-valid (5.4), signed by the DCC, and saying what the header says. */
export function checkDuisAnswer(world: World, xml: string, code?: string): DuisResponse {
  expect(duisXsdErrors(xml), `response is not valid DUIS 5.4:\n${xml.slice(0, 400)}`).toEqual([]);
  const sig = verifyDuisSignature(xml, dccResponseKey(world));
  expect(sig.ok, sig.reason).toBe(true);
  const r = parseDuisResponse(xml);
  if (code !== undefined) expect(r.responseCode).toBe(code);
  return r;
}

/** The request is schema-valid DUIS 5.4, so whatever is rejected is rejected by a later check. */
export function expectSchemaValid(xml: string): void {
  expect(duisXsdErrors(xml), 'the request itself should be valid DUIS 5.4').toEqual([]);
}

export interface RejectionExpectation {
  code: string;
  /** the reason must name the problem */
  reason: RegExp;
  /** the failed step recorded in /api/requests */
  step: string;
  /** ok steps the log must show before the failed one (the checks that passed) */
  passed?: readonly string[];
  /** device whose cells and seq numbers must be unchanged (also covered by the full dump) */
  device?: Eui;
  /** originator whose last accepted counter must be unchanged */
  originator?: Eui;
}

export interface Rejected extends Posted {
  log: LogEntry;
  response: DuisResponse;
}

/**
 * Posts `body` and asserts it is rejected exactly as expected and that nothing changed: the
 * device's cells and seq numbers, the originator's counter floor, and every row of the device
 * tables, byte for byte.
 */
export async function expectRejected(world: World, baseUrl: string, endpoint: string, body: string | Buffer, exp: RejectionExpectation): Promise<Rejected> {
  const dumpBefore = dumpDeviceTables(world);
  const device = exp.device ? deviceState(world, exp.device) : undefined;
  const counter = exp.originator ? lastCounter(world, exp.originator) : undefined;
  const logBefore = await latestLogId(baseUrl);

  const answer = await postRaw(baseUrl, endpoint, body);
  const what = `${exp.code} at ${exp.step}; got ${answer.code}: ${answer.reason}`;
  expect(answer.status, what).toBe(200);
  expect(answer.contentType).toMatch(/^application\/xml/);
  expect(answer.code, what).toBe(exp.code);
  expect(answer.reason, what).toMatch(exp.reason);
  const response = checkDuisAnswer(world, answer.body, exp.code);

  const [log] = await requestLog(baseUrl, 'limit=1');
  expect(log, 'the rejection is in the request log').toBeDefined();
  expect(log!.id).toBeGreaterThan(logBefore);
  expect(log!.responseCode).toBe(exp.code);
  expect(log!.failedStep, what).toBe(exp.step);
  expect(log!.reason).toMatch(exp.reason);
  const steps = log!.steps ?? [];
  expect(steps.at(-1)).toMatchObject({ step: exp.step, ok: false });
  if (exp.passed) {
    expect(steps.slice(0, -1).map((s) => s.step), 'the checks before it passed').toEqual(exp.passed);
    expect(steps.slice(0, -1).every((s) => s.ok)).toBe(true);
  }

  if (exp.device) expect(deviceState(world, exp.device), `device ${dashedEui(exp.device)} changed`).toEqual(device);
  if (exp.originator) expect(lastCounter(world, exp.originator), 'originator counter changed').toBe(counter);
  expect(dumpDeviceTables(world) === dumpBefore, 'the device tables changed').toBe(true);
  return { ...answer, log: log!, response };
}

/** Posts `body` and asserts the synchronous answer `code` (I0 / I99), checked as a DUIS answer. */
export async function expectAccepted(world: World, baseUrl: string, endpoint: string, body: string, code: string): Promise<Posted & { response: DuisResponse }> {
  const answer = await postRaw(baseUrl, endpoint, body);
  expect(answer.code, answer.reason ?? '').toBe(code);
  return { ...answer, response: checkDuisAnswer(world, answer.body, code) };
}

/**
 * Every DUIS document the server produced during a suite — each synchronous answer in the request
 * log and each asynchronous response and alert in the outbox — validates against the 5.4 XSD.
 * Returns how many were checked.
 */
export async function expectAllResponsesSchemaValid(world: World, baseUrl: string): Promise<{ sync: number; async: number }> {
  const log = await requestLog(baseUrl, 'full=1&limit=1000');
  let sync = 0;
  let asyncCount = 0;
  const seen = new Set<string>();
  for (const e of log) {
    if (e.responseXml) {
      expect(duisXsdErrors(e.responseXml), `response to request #${e.id}`).toEqual([]);
      sync++;
    }
    if (e.requestId && !seen.has(e.requestId)) {
      seen.add(e.requestId);
      for (const r of await asyncResponses(baseUrl, e.requestId)) {
        expect(duisXsdErrors(r.xml), `asynchronous ${r.kind} for ${e.requestId}`).toEqual([]);
        const sig = verifyDuisSignature(r.xml, dccResponseKey(world));
        expect(sig.ok, sig.reason).toBe(true);
        asyncCount++;
      }
    }
  }
  return { sync, async: asyncCount };
}
