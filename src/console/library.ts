import { dashedEui, parseEui, type Eui } from '../../pki/index.ts';
import { buildRequest, indentXml, parseDuisResponse, serviceByExample, serviceCatalogue, serviceByVariant, signDuis, type Endpoint } from '../../service-requests/index.ts';
import { GatewayStore } from '../../db/index.ts';
import { endpointFor, prepareRequest, signPreCommand, xmlSignerOf } from '../client.ts';
import type { Dcc } from '../dcc/index.ts';
import { loadExamples, World, WorldError } from '../world/index.ts';
import { ConsoleInputError } from './send.ts';

// The console's request library: every service the registry carries out, its example filled in for a
// chosen device (and role), the XML editable, then signed as the party its RequestID names and run
// through the DCC exactly as a request posted over HTTP is (both legs for a critical service); or
// signed only, for sending it yourself (copy as curl).

export interface LibraryEntry {
  variant: string;
  name: string;
  critical: boolean;
  nonDevice: boolean;
  userRoles: string[];
  /** the `dcc-sim example` name of its example, when it has one */
  example: string | null;
  /** the example is for a device not yet in the inventory (12.2) */
  newDevice: boolean;
}

export function libraryEntries(): LibraryEntry[] {
  return serviceCatalogue().map((s) => {
    const example = serviceByVariant(s.variant)?.example;
    return {
      variant: s.variant, name: s.displayName, critical: s.critical, nonDevice: s.nonDevice, userRoles: s.userRoles,
      example: example?.name ?? null, newDevice: example?.newDevice ?? false,
    };
  });
}

function euiOf(text: string, what: string): Eui {
  try {
    return parseEui(text);
  } catch {
    throw new ConsoleInputError(`${what} '${text}' is not an EUI-64 (16 hex digits)`);
  }
}

/**
 * The example request of a service, unsigned and indented for editing: for the device asked for, or,
 * when none is, for a device of the world the service suits (its type, status and cells), so that every
 * service can be tried without knowing which device it reaches.
 */
export async function libraryExample(
  world: World,
  o: { example: string; device?: string; role?: 'Supplier' | 'NetworkOperator' },
  dcc?: Dcc,
): Promise<{ xml: string; device: string; prepared?: string }> {
  const { exampleRequest, suitableDevice } = await loadExamples();
  const role = o.role ? { role: o.role } : {};
  const device = o.device ? euiOf(o.device, 'device') : undefined;
  // 8.13 returns a device's answer to a command delivered locally: when there is none yet, the library does what the
  // User would have done first, in the open (the request and the delivery are in the timeline)
  const prepared = dcc && (serviceByExample(o.example) ?? serviceByVariant(o.example))?.example?.prefers === 'localResponse' &&
    new GatewayStore(world.store.db).localResponses({ ...(device ? { targetEui: device } : {}), limit: 1 }).length === 0
    ? await deliverReadLocally(world, dcc, device)
    : undefined;
  return world.store.transaction(() => {
    const pick = device ? { device, ...role } : suitableDevice(world, o.example, role);
    return { xml: indentXml(exampleRequest(world, o.example, pick)), device: dashedEui(pick.device), ...(prepared ? { prepared } : {}) };
  });
}

/**
 * What an installer's visit leaves: the registered supplier obtains 4.1.1 Read Instantaneous Import Registers (its example) for local
 * delivery (CV 2) for an ESME (the one given, else one the read suits) and its installer's terminal gives the command
 * to the meter over the HAN (Dcc.deliverLocally), which answers. Returns what was done, in words.
 */
async function deliverReadLocally(world: World, dcc: Dcc, device?: Eui): Promise<string> {
  const { suitableDevice } = await loadExamples();
  const esme = device ?? suitableDevice(world, 'read-import-registers').device;
  const d = world.store.getDevice(esme);
  const supplier = (d?.mpxn ? world.store.getSupplyPoint(d.mpxn)?.supplierEui : undefined) as Eui | undefined;
  if (d?.type !== 'ESME' || !supplier) throw new ConsoleInputError(`${dashedEui(esme)} is not an ESME with a registered supplier: no read to deliver to it locally`);
  const counter = freshCounter(dcc, supplier);
  const xml = buildRequest({ requestId: { originator: supplier, target: esme, counter }, commandVariant: 2, body: { kind: 'ReadInstantaneousImportRegisters' } });
  const a = dcc.handle(endpointFor(2), Buffer.from(signDuis(xml, xmlSignerOf(world, supplier))));
  const body = parseDuisResponse(a.xml).body;
  const command = body.kind === 'ResponseMessage' && body.content && 'localCommand' in body.content ? body.content.localCommand.gbcsPayload : undefined;
  if (!command) throw new ConsoleInputError(`no command for local delivery to ${dashedEui(esme)}: 4.1.1 (CV 2) was answered ${a.responseCode}${a.reason ? `: ${a.reason}` : ''}`);
  const delivered = dcc.deliverLocally(command);
  if (!delivered.accepted) throw new ConsoleInputError(`ESME ${dashedEui(esme)} discarded the locally delivered 4.1.1: ${delivered.reason}`);
  return `no device had answered a command delivered locally: ${delivered.requestId} obtained 4.1.1 for local delivery (CV 2) and the installer's terminal gave it to ESME ${dashedEui(esme)}; the example returns its answer`;
}

export interface LibraryLeg {
  endpoint: Endpoint;
  commandVariant: number;
  requestLogId: number;
  responseCode: string;
  reason: string | null;
}

export interface LibrarySendResult {
  requestId: string;
  legs: LibraryLeg[];
  /** the request's final outcome (the device's answer when there is one) */
  finalResponseCode: string;
  finalReason: string | null;
  succeeded: boolean;
}

/** A fresh counter above the originator's last, as the DCC's tool makes them. */
function freshCounter(dcc: Dcc, originator: Eui): bigint {
  const last = dcc.gateway.lastCounter(originator) ?? 0n;
  const now = BigInt(Date.now());
  return now > last ? now : last + 1n;
}

function prepare(world: World, dcc: Dcc, xml: string) {
  let originator: Eui;
  try {
    originator = prepareRequest(xml).originator;
    const p = prepareRequest(xml, { counter: freshCounter(dcc, originator) });
    return { p, signer: xmlSignerOf(world, p.originator) };
  } catch (e) {
    if (e instanceof WorldError) throw new ConsoleInputError(e.message);
    throw e;
  }
}

/** Signs the request as its originator (a fresh counter) without sending it: for curl or another client. */
export function librarySign(world: World, dcc: Dcc, xml: string): { endpoint: Endpoint; xml: string; requestId: string } {
  const { p, signer } = prepare(world, dcc, xml);
  return { endpoint: endpointFor(p.commandVariant), xml: signDuis(p.xml, signer), requestId: p.requestId };
}

/** Signs the request as its originator and hands it to the DCC, both legs for a critical one. */
export function librarySend(world: World, dcc: Dcc, xml: string): LibrarySendResult {
  const { p, signer } = prepare(world, dcc, xml);
  const legs: LibraryLeg[] = [];
  const run = (endpoint: Endpoint, commandVariant: number, signed: string) => {
    const a = dcc.handle(endpoint, Buffer.from(signed));
    legs.push({ endpoint, commandVariant, requestLogId: a.requestLogId, responseCode: a.responseCode, reason: a.reason ?? null });
    return a;
  };
  const first = run(endpointFor(p.commandVariant), p.commandVariant, signDuis(p.xml, signer));
  if (p.commandVariant === 4 && first.responseCode === 'I0') {
    const body = parseDuisResponse(first.xml).body;
    if (body.kind === 'ResponseMessage' && body.content && 'preCommand' in body.content) {
      const leg = buildRequest({
        requestId: p.requestId, commandVariant: 5, serviceReference: body.serviceReference, serviceReferenceVariant: body.serviceReferenceVariant,
        body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(world, body.content.preCommand.gbcsPayload) },
      });
      run('serviceS', 5, signDuis(leg, signer));
    }
  }
  const last = dcc.gateway.getRequest(legs[legs.length - 1]!.requestLogId)!;
  const finalResponseCode = last.finalResponseCode;
  return {
    requestId: p.requestId,
    legs,
    finalResponseCode,
    finalReason: last.finalReason,
    succeeded: !finalResponseCode.startsWith('E') && !(p.commandVariant === 4 && legs.length === 1),
  };
}
