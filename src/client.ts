import { DOMParser, XMLSerializer, type Element, type Node } from '@xmldom/xmldom';
import { dashedEui, parseEui, RemotePartyRole, type Eui } from '../pki/index.ts';
import { decodeApdu, decodeGbcsMessage, signApdu, CredentialsReplacementMode, cs02bMessageCode } from '../devices/index.ts';
import { buildRequest, parseDuisResponse, signDuis, type DuisResponse } from '../service-requests/index.ts';
import { World, WorldError } from './world/index.ts';

// `dcc-sim send`: the way a newcomer tries the simulator. Takes a DUIS request (a template is
// fine), signs it as a party of the world, posts it to the right endpoint and, for a critical
// request, signs the returned pre-command and sends the second leg too.

const SR = 'http://www.dccinterface.co.uk/ServiceUserGateway';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

export interface PreparedRequest {
  xml: string; // compact, unsigned
  requestId: string;
  originator: Eui;
  commandVariant: number;
}

/**
 * Readies a DUIS request for signing as the DCC's tool does: drops any ds:Signature (templates carry
 * placeholders), comments and indentation, and by default gives the RequestID a fresh counter.
 */
export function prepareRequest(xml: string, o: { counter?: bigint; originator?: Eui } = {}): PreparedRequest {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new WorldError('bad-request-file', 'the request contains a DOCTYPE or entity declaration; DUIS has none');
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => { if (level !== 'warning') errors.push(msg); } }).parseFromString(xml, 'text/xml');
  if (errors.length || !doc.documentElement) throw new WorldError('bad-request-file', `the request is not well-formed XML: ${errors[0] ?? 'no root element'}`);
  const root = doc.documentElement;
  if (root.namespaceURI !== SR || root.localName !== 'Request') throw new WorldError('bad-request-file', 'the file is not a DUIS sr:Request');
  const strip = (n: Node) => {
    for (let c = n.firstChild; c; ) {
      const next = c.nextSibling;
      if (c.nodeType === 8 || (c.nodeType === 3 && !(c.nodeValue ?? '').trim())) n.removeChild(c);
      else if (c.nodeType === 1 && (c as Element).namespaceURI === DS && (c as Element).localName === 'Signature') n.removeChild(c);
      else if (c.nodeType === 1) strip(c);
      c = next;
    }
  };
  strip(root);
  const ridEl = root.getElementsByTagNameNS(SR, 'RequestID')[0];
  const cvEl = root.getElementsByTagNameNS(SR, 'CommandVariant')[0];
  if (!ridEl || !cvEl) throw new WorldError('bad-request-file', 'the request has no Header/RequestID or CommandVariant');
  const parts = (ridEl.textContent ?? '').trim().split(':');
  if (parts.length !== 3) throw new WorldError('bad-request-file', `RequestID '${ridEl.textContent}' is not originator:target:counter`);
  const originator = o.originator ?? parseEui(parts[0]!);
  const counter = o.counter ?? BigInt(parts[2]!);
  const requestId = `${dashedEui(originator)}:${dashedEui(parseEui(parts[1]!))}:${counter}`;
  ridEl.textContent = requestId;
  const out = new XMLSerializer().serializeToString(doc).replace(/^<\?xml[^>]*\?>/, '');
  return { xml: `<?xml version="1.0" encoding="UTF-8"?>${out}`, requestId, originator, commandVariant: Number((cvEl.textContent ?? '').trim()) };
}

/** The party's XML-signing identity from the world (OU 87; in a ZAZ1 world the DS certificate when it has none, as the DCC's tool does). */
export function xmlSignerOf(world: World, eui: Eui) {
  const certs = world.store.searchCertificates({ eui, keyUsage: 'DS' });
  const ordered = [...certs.filter((c) => c.kind === 'xml-signing'), ...certs.filter((c) => c.kind === 'organisation')];
  for (const c of ordered) {
    const key = world.privateKeyOf(c.id);
    if (key) return { privateKey: key, issuerName: c.issuerDn, serialDecimal: c.serialDecimal };
  }
  throw new WorldError('no-signing-key', `the world holds no XML-signing key for ${dashedEui(eui)}`);
}

/** The party's GBCS digital-signing organisation key for a role (pre-commands are signed with it). */
export function gbcsSignerOf(world: World, eui: Eui, role: number) {
  const certs = world.store.searchCertificates({ eui, role, keyUsage: 'DS', kind: 'organisation' }).reverse();
  for (const c of certs) {
    const key = world.privateKeyOf(c.id);
    if (key) return key;
  }
  throw new WorldError('no-signing-key', `the world holds no GBCS digital-signing key of role ${role} for ${dashedEui(eui)}`);
}

/** Signs a pre-command (GBCS) as its originator would: ECDSA over the grouping header and payload. */
export function signPreCommand(world: World, preCommand: Buffer): Buffer {
  const apdu = decodeApdu(preCommand);
  // NOByNO is the network operator's; any other critical command is signed in the role whose DS cell the
  // originator holds on the device (the supplier's for tariffs, supply, CS02c/d/e ...).
  const security = world.store.getDeviceSecurity(apdu.target);
  // A load controller (7.16) signs with the key whose certificate the device's load controller DS cell holds.
  const lc = security?.cells.loadControllerDS;
  if (lc !== undefined && world.certificate(lc).subjectEui === apdu.originator) {
    const key = world.privateKeyOf(lc);
    if (key) return signApdu(preCommand, key);
  }
  const holdsNo = security?.cells.networkOperatorDS !== undefined && world.certificate(security.cells.networkOperatorDS).subjectEui === apdu.originator;
  const holdsSupplier = security?.cells.supplierDS !== undefined && world.certificate(security.cells.supplierDS).subjectEui === apdu.originator;
  const supplier = apdu.messageCode !== cs02bMessageCode(CredentialsReplacementMode.networkOperatorByNetworkOperator) && (holdsSupplier || !holdsNo);
  const role = supplier ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
  // A party may hold several DS keys (ZAZ1 has Z1 and Z1b): use the one whose certificate the
  // device's authorising cell holds, as the party's own system would.
  const cellCert = world.store.getDeviceSecurity(apdu.target)?.cells[supplier ? 'supplierDS' : 'networkOperatorDS'];
  if (cellCert !== undefined && world.certificate(cellCert).subjectEui === apdu.originator) {
    const key = world.privateKeyOf(cellCert);
    if (key) return signApdu(preCommand, key);
  }
  return signApdu(preCommand, gbcsSignerOf(world, apdu.originator, role));
}

export function endpointFor(commandVariant: number): 'serviceS' | 'serviceT' | 'serviceD' {
  if (commandVariant === 4) return 'serviceT';
  if (commandVariant === 2 || commandVariant === 6 || commandVariant === 8) return 'serviceD';
  return 'serviceS';
}

export interface SendLeg {
  endpoint: string;
  requestXml: string;
  status: number;
  responseCode: string;
  reason: string | null;
  responseXml: string;
  response?: DuisResponse;
}

async function post(url: string, xml: string): Promise<Omit<SendLeg, 'endpoint' | 'requestXml'>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let response: DuisResponse | undefined;
  try {
    response = parseDuisResponse(text);
  } catch {
    response = undefined;
  }
  return {
    status: res.status,
    responseCode: res.headers.get('x-dcc-sim-response-code') ?? response?.responseCode ?? `HTTP ${res.status}`,
    reason: res.headers.get('x-dcc-sim-reason'),
    responseXml: text,
    response,
  };
}

export async function sendRequest(
  world: World,
  o: { xml: string; as?: string; baseUrl: string; preserveCounter?: boolean },
): Promise<SendLeg[]> {
  const as = o.as ? parseEui(o.as) : undefined;
  // A fresh counter (milliseconds, as the DCC's tool does) so a template can be sent again and again.
  const prepared = prepareRequest(o.xml, { originator: as, counter: o.preserveCounter ? undefined : BigInt(Date.now()) });
  const signer = xmlSignerOf(world, prepared.originator);
  const signed = signDuis(prepared.xml, signer);
  const endpoint = endpointFor(prepared.commandVariant);
  const legs: SendLeg[] = [{ endpoint, requestXml: signed, ...(await post(`${o.baseUrl}/api/v1/${endpoint}`, signed)) }];
  const first = legs[0]!;
  const body = first.response?.body;
  if (prepared.commandVariant === 4 && first.responseCode === 'I0' && body?.kind === 'ResponseMessage' && body.content && 'preCommand' in body.content) {
    const signedPre = signPreCommand(world, body.content.preCommand.gbcsPayload);
    const second = signDuis(
      buildRequest({
        requestId: prepared.requestId,
        commandVariant: 5,
        serviceReference: body.serviceReference,
        serviceReferenceVariant: body.serviceReferenceVariant,
        body: { kind: 'SignedPreCommand', gbcsPayload: signedPre },
      }),
      signer,
    );
    legs.push({ endpoint: 'serviceS', requestXml: second, ...(await post(`${o.baseUrl}/api/v1/serviceS`, second)) });
  }
  return legs;
}

/**
 * The data a request brought back, in words for `dcc-sim send`'s summary: the inventory an 8.2
 * returns, the pre-command of a first leg, the device's GBCS response (its message code and size).
 */
export function describeData(legs: SendLeg[], asyncXml: { kind: string; xml: string }[]): string[] {
  const lines: string[] = [];
  const content = (r: DuisResponse | undefined) => (r?.body.kind === 'ResponseMessage' ? r.body.content : undefined);
  for (const l of legs) {
    const c = content(l.response);
    if (c && 'dspInventory' in c) {
      const shown = c.dspInventory.slice(0, 5).map((d) => `${d.deviceType} ${dashedEui(d.deviceId)}${d.deviceStatus ? ` ${d.deviceStatus}` : ''}`);
      lines.push(`inventory: ${c.dspInventory.length} device(s)${shown.length ? `: ${shown.join(', ')}${c.dspInventory.length > shown.length ? ', …' : ''}` : ''}`);
    } else if (c && 'preCommand' in c) lines.push(`pre-command (${l.endpoint}): GBCS ${c.preCommand.gbcsPayload.length} bytes, signed and sent back`);
  }
  for (const a of asyncXml.filter((x) => x.kind === 'response' && x.xml)) {
    try {
      const c = content(parseDuisResponse(a.xml));
      if (c && 'gbcsPayload' in c) {
        const code = decodeGbcsMessage(c.gbcsPayload).apdu.messageCode.toString(16).toUpperCase().padStart(4, '0');
        lines.push(`device response: GBCS message code 0x${code}, ${c.gbcsPayload.length} bytes`);
      }
    } catch {
      // not ours to judge here: --xml shows the document as it came
    }
  }
  return lines;
}
