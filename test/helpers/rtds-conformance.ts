/**
 * RTDS conformance of a service: an RTDS DUIS template carried out in-process on a ZAZ1 world (signed as its
 * originator, both legs for a critical one), the GBCS command the DCC sent compared with the RTDS vector of
 * the same use case, and the device's answer decoded. The comparison ignores what GBCS lets differ between
 * two runs: counters (and the DLMS invoke id and protection transaction id made from them), date-times, signatures, MACs and certificates.
 *
 *   const w = conformanceWorld();                       // one ZAZ1 world per describe
 *   const r = w.run('ECS45_7.4_SUCCESS_REQUEST_DUIS.XML');
 *   expect(r.final).toBe('I0');
 *   expect(gbcsDifferences(r.command!, rtdsVector('7.4_ECS45', 'ECS45_7.4_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { decodeGbcsMessage, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { buildRequest, DEFAULT_MAX_DUIS_BYTES, parseDuisResponse, signDuis, type DuisResponse } from '../../service-requests/index.ts';
import { Dcc } from '../../src/dcc/index.ts';
import { World } from '../../src/world/index.ts';
import { endpointFor, prepareRequest, signPreCommand, xmlSignerOf } from '../../src/client.ts';
import { zaz1WorldFile } from './gateway-zaz1.ts';

const TEMPLATES = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');
const RTDS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/rtds');

export function rtdsVector(dir: string, file: string): Buffer {
  return Buffer.from(readFileSync(join(RTDS, dir, file), 'utf8').trim(), 'hex');
}

export function templateXml(name: string): string {
  return readFileSync(join(TEMPLATES, name), 'utf8');
}

export interface TemplateRun {
  /** the synchronous answer of the (last) leg */
  answer: DuisResponse;
  /** the final outcome in the request log (the device's answer when there is one) */
  final: string;
  finalReason: string | null;
  /** the pre-command the DCC issued (critical services) */
  preCommand?: Buffer;
  /** the GBCS command the DCC sent to the device */
  command?: Buffer;
  /** the asynchronous responses and alerts, parsed */
  responses: DuisResponse[];
  /** the device's GBCS response, decoded (from the asynchronous I0) */
  deviceResponse?: GbcsMessage;
  requestId: string;
}

export interface ConformanceWorld {
  world: World;
  dcc: Dcc;
  /** runs a template (optionally edited); counters increase across runs */
  run(name: string, edit?: (xml: string) => string): TemplateRun;
  /** the same, for a whole request the caller made */
  runXml(xml: string): TemplateRun;
  close(): void;
}

let counter = BigInt(Date.UTC(2026, 0, 1));

/** A fresh ZAZ1 world (the RTDS devices …A0-…A6 as the seed lays them out) with a DCC on it, in-process. */
export function conformanceWorld(): ConformanceWorld {
  const template = zaz1WorldFile(undefined, 'sqlite'); // copied file by file below
  const dir = mkdtempSync(join(tmpdir(), 'dcc-sim-conformance-'));
  const file = join(dir, 'w.db');
  copyFileSync(template, file);
  rmSync(dirname(template), { recursive: true, force: true });
  const world = World.open(file);
  const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: DEFAULT_MAX_DUIS_BYTES });

  function runXml(xml: string): TemplateRun {
    const p = prepareRequest(xml, { counter: counter++ });
    const signer = xmlSignerOf(world, p.originator);
    let a = dcc.handle(endpointFor(p.commandVariant), Buffer.from(signDuis(p.xml, signer)));
    let preCommand: Buffer | undefined;
    if (p.commandVariant === 4 && a.responseCode === 'I0') {
      const r = parseDuisResponse(a.xml);
      const body = r.body;
      if (body.kind === 'ResponseMessage' && body.content && 'preCommand' in body.content) {
        preCommand = body.content.preCommand.gbcsPayload;
        const leg = buildRequest({
          requestId: p.requestId, commandVariant: 5, serviceReference: body.serviceReference, serviceReferenceVariant: body.serviceReferenceVariant,
          body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(world, preCommand) },
        });
        a = dcc.handle('serviceS', Buffer.from(signDuis(leg, signer)));
      }
    }
    const log = dcc.gateway.getRequest(a.requestLogId);
    const responses = dcc.gateway.responsesFor(p.requestId).map((r) => parseDuisResponse(r.body));
    const out: TemplateRun = {
      answer: parseDuisResponse(a.xml),
      final: log?.finalResponseCode ?? a.responseCode,
      finalReason: log?.finalReason ?? log?.reason ?? null,
      responses,
      requestId: p.requestId,
    };
    if (preCommand) out.preCommand = preCommand;
    if (log?.gbcsCommand) out.command = log.gbcsCommand;
    for (const r of responses) {
      const c = r.body.kind === 'ResponseMessage' ? r.body.content : undefined;
      // the device's response: as GBCSPayload, or inside a CINMessage (9.1)
      const payload = c && ('gbcsPayload' in c ? c.gbcsPayload : 'cinMessage' in c ? c.cinMessage.gbcsPayload : undefined);
      if (payload) {
        out.deviceResponse = decodeGbcsMessage(payload);
        if (r.responseCode === 'I0') out.final = 'I0';
      }
    }
    return out;
  }

  return {
    world,
    dcc,
    run: (name, edit = (x) => x) => runXml(edit(templateXml(name))),
    runXml,
    close() {
      world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Data values compared for shape only: 12-octet DLMS date-times (as octet-strings or date-time). */
function sameData(a: DlmsData, b: DlmsData, path: string, out: string[]): void {
  if (a.type !== b.type) {
    out.push(`${path}: ${a.type} vs ${b.type}`);
    return;
  }
  switch (a.type) {
    case 'array': case 'structure': {
      const bi = (b as typeof a).items;
      if (a.items.length !== bi.length) out.push(`${path}: ${a.items.length} vs ${bi.length} items`);
      a.items.forEach((x, i) => bi[i] && sameData(x, bi[i]!, `${path}[${i}]`, out));
      return;
    }
    case 'compact-array': {
      const bb = b as typeof a;
      if (JSON.stringify(a.description) !== JSON.stringify(bb.description)) out.push(`${path}: compact-array descriptions differ`);
      return;
    }
    case 'octet-string': case 'date-time': {
      const bv = (b as typeof a).value;
      if (a.value.length === 12 && bv.length === 12) return; // a date-time
      // DLMS protection parameters' transaction id: 04 ‖ the grouping-header counter (catalogue.md §2.3)
      if (a.value.length === 9 && bv.length === 9 && a.value[0] === 0x04 && bv[0] === 0x04) return;
      if (!a.value.equals(bv)) out.push(`${path}: ${a.value.toString('hex')} vs ${bv.toString('hex')}`);
      return;
    }
    default:
      if (JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) {
        out.push(`${path}: ${JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))} vs ${JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
      }
  }
}

export interface CompareOptions {
  /** GBZ/ASN.1: payload byte ranges [offset, length] to ignore (times), in the GBCS payload */
  ignore?: readonly (readonly [number, number])[];
  /** compare the originator and target too (default true) */
  addresses?: boolean;
}

/**
 * What differs between our GBCS message and the RTDS one, apart from counters, date-times, signatures and
 * MACs: the CRA flag, addresses, message code, other-information and the payload (DLMS structurally, with
 * date-times and the invoke id ignored; anything else byte for byte outside `ignore`). Empty when equal.
 */
export function gbcsDifferences(ours: Buffer, rtds: Buffer, o: CompareOptions = {}): string[] {
  const a = decodeGbcsMessage(ours);
  const b = decodeGbcsMessage(rtds);
  const out: string[] = [];
  const h = (name: string, x: unknown, y: unknown) => { if (x !== y) out.push(`${name}: ${String(x)} vs ${String(y)}`); };
  h('CRA', a.apdu.cra, b.apdu.cra);
  if (o.addresses !== false) {
    h('originator', a.apdu.originator, b.apdu.originator);
    h('target', a.apdu.target, b.apdu.target);
  }
  h('message code', a.apdu.messageCode.toString(16), b.apdu.messageCode.toString(16));
  h('date-time present', a.apdu.dateTime !== undefined, b.apdu.dateTime !== undefined);
  h('other-information length', a.apdu.otherInformationExtra?.length ?? 0, b.apdu.otherInformationExtra?.length ?? 0);
  if (a.body.kind === 'dlms-request' && b.body.kind === 'dlms-request') {
    const x = a.body.request;
    const y = b.body.request;
    h('spec count', x.specs.length, y.specs.length);
    x.specs.forEach((s, i) => {
      const t = y.specs[i];
      if (!t) return;
      const { parameters: sp, ...sRest } = s;
      const { parameters: tp, ...tRest } = t;
      h(`spec ${i + 1}`, JSON.stringify(sRest), JSON.stringify(tRest));
      if (sp && tp) sameData(sp, tp, `spec ${i + 1} parameters`, out);
    });
    x.data.forEach((d, i) => y.data[i] && sameData(d, y.data[i]!, `data ${i + 1}`, out));
    return out;
  }
  h('payload kind', a.body.kind, b.body.kind);
  const pa = Buffer.from(a.apdu.payload);
  const pb = Buffer.from(b.apdu.payload);
  for (const [off, len] of o.ignore ?? []) {
    pa.fill(0, off, off + len);
    pb.fill(0, off, off + len);
  }
  if (!pa.equals(pb)) out.push(`payload: ${pa.toString('hex')} vs ${pb.toString('hex')}`);
  return out;
}

/** 8.9 CS07 from its RTDS template for the meter `eui`: the devices it is joined to, with their types. */
export function meterJoins(w: ConformanceWorld, eui: string): { eui: string; type: number }[] {
  const r = w.run('CS07_8.9_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A1', dashedEui(eui)));
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const b = r.deviceResponse!.body;
  if (b.kind !== 'device-log-response') throw new Error(b.kind);
  return b.response.entries ?? [];
}

/** The GBCS status of a HAN join or unjoin response (8.7, 8.8). */
export function hanStatus(r: Pick<TemplateRun, 'deviceResponse'>): number | undefined {
  const b = r.deviceResponse!.body as { kind: string; status?: number };
  if (b.kind !== 'han-status-response') throw new Error(b.kind);
  return b.status;
}
