import { dashedEui, parseEui, type Eui } from '../../pki/index.ts';
import { buildRequest, indentXml, parseDuisResponse, serviceCatalogue, serviceByVariant, signDuis, type Endpoint } from '../../service-requests/index.ts';
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
export async function libraryExample(world: World, o: { example: string; device?: string; role?: 'Supplier' | 'NetworkOperator' }): Promise<{ xml: string; device: string }> {
  const { exampleRequest, suitableDevice } = await loadExamples();
  const role = o.role ? { role: o.role } : {};
  return world.store.transaction(() => {
    const pick = o.device ? { device: euiOf(o.device, 'device'), ...role } : suitableDevice(world, o.example, role);
    return { xml: indentXml(exampleRequest(world, o.example, pick)), device: dashedEui(pick.device) };
  });
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
