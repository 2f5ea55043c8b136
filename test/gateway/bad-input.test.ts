import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { RemotePartyRole } from '../../pki/index.ts';
import { buildRequest, buildResponse, signDuis } from '../../service-requests/index.ts';
import { signApdu } from '../../devices/index.ts';
import { gbcsSignerOf, prepareRequest, xmlSignerOf } from '../../src/client.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const rtdsTemplatePath = (name: string) => join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates', name);
import {
  checkDuisAnswer,
  dumpDeviceTables,
  expectAccepted,
  expectAllResponsesSchemaValid,
  postRaw,
  requestLog,
} from '../helpers/gateway-checks.ts';
import { handoverXml, inventoryXml, ocaDer, orgCerts, pickDevice, signAs, updateXml } from '../helpers/gateway-requests.ts';

// A corpus of hostile and broken DUIS input thrown at a running server. Every item must be
// refused — with a DUIS error code, a reason and a request-log entry where the gateway answers in
// DUIS — and afterwards the device tables (devices, device_security, device_pending_commands,
// device_credentials, originator_counters) must be byte-for-byte what they were before. No item
// may make the server fetch anything: a canary HTTP server counts every connection.

let h: Harness;
let canary: Server;
let canaryUrl = '';
let canaryHits = 0;
const url = () => h.server.url;

interface Item {
  name: string;
  endpoint?: 'serviceS' | 'serviceT' | 'serviceD';
  body: string | Buffer;
  contentType?: string;
  /** the DUIS response code; or an HTTP status when the gateway refuses below DUIS */
  code?: string;
  status?: number;
  step?: string;
  reason: RegExp;
}

const items: Item[] = [];
let snapshot = '';

/** Replaces the first match and insists that there was one, so no item is silently a no-op. */
function edit(s: string, from: string | RegExp, to: string): string {
  const out = s.replace(from, to);
  if (out === s) throw new Error(`corpus edit found nothing to replace: ${String(from)}`);
  return out;
}

beforeAll(async () => {
  canary = createServer((_req, res) => {
    canaryHits++;
    res.writeHead(200, { 'content-type': 'application/xml-dtd' }).end('<!ENTITY leak "canary">');
  });
  await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
  canaryUrl = `http://127.0.0.1:${(canary.address() as { port: number }).port}`;

  h = await startHarness();
  const w = h.world;
  const esmeInc = pickDevice(w, 'ESME', (d) => d.status === 'InstalledNotCommissioned');
  const esmeNo = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.networkOperatorDS === reg.no && c.supplierDS === reg.supplier);
  const supplier = esmeNo.supplier;
  const no = esmeNo.no;
  const next = () => h.nextCounter();

  // Accepted before the snapshot, so that they can be replayed in the corpus.
  const inventory = signAs(w, supplier, inventoryXml(supplier, esmeNo.mpxn!, next()));
  await expectAccepted(w, url(), 'serviceD', inventory, 'I0');
  const sc = orgCerts(w, esmeInc.supplier, RemotePartyRole.Supplier);
  const handover = signAs(w, esmeInc.supplier, handoverXml({ sender: esmeInc.supplier, target: esmeInc.eui, counter: next(), role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] }));
  await expectAccepted(w, url(), 'serviceS', handover, 'I99');
  const noc = orgCerts(w, no, RemotePartyRole.NetworkOperator);
  const update = (counter: bigint) => signAs(w, no, updateXml({ sender: no, target: esmeNo.eui, counter, role: 'NetworkOperator', floor: 0n, ds: noc.ds, ka: noc.ka, path: [ocaDer(w)] }));
  // a 6.15.1 through both legs: its signed pre-command is replayed below
  const rid1 = { originator: no, target: esmeNo.eui, counter: next() };
  const leg1 = await expectAccepted(w, url(), 'serviceT', update(rid1.counter), 'I0');
  const pre1 = (leg1.response.body as { content: { preCommand: { gbcsPayload: Buffer } } }).content.preCommand.gbcsPayload;
  const leg2 = signAs(w, no, buildRequest({ requestId: rid1, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(w, pre1) } }));
  await expectAccepted(w, url(), 'serviceS', leg2, 'I99');
  // a 6.15.1 whose first leg only is done: its pre-command is waiting for a signature
  const rid2 = { originator: no, target: esmeNo.eui, counter: next() };
  const leg1b = await expectAccepted(w, url(), 'serviceT', update(rid2.counter), 'I0');
  const pre2 = (leg1b.response.body as { content: { preCommand: { gbcsPayload: Buffer } } }).content.preCommand.gbcsPayload;

  snapshot = dumpDeviceTables(w);

  // ---- the corpus ------------------------------------------------------------------------
  const fresh = () => signAs(w, supplier, inventoryXml(supplier, esmeNo.mpxn!, next()));
  const mpxn = esmeNo.mpxn!;
  const withDoctype = (xml: string, doctype: string) => edit(xml, /^(<\?xml[^>]*\?>)/, `$1${doctype}`);

  items.push(
    { name: 'XXE: external file entity', endpoint: 'serviceD', body: edit(withDoctype(fresh(), '<!DOCTYPE sr:Request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'), mpxn, '&xxe;'), code: 'E100', step: 'parse:xml', reason: /DOCTYPE/ },
    { name: 'XXE: external http entity', endpoint: 'serviceD', body: edit(withDoctype(fresh(), `<!DOCTYPE sr:Request [<!ENTITY xxe SYSTEM "${canaryUrl}/x">]>`), mpxn, '&xxe;'), code: 'E100', step: 'parse:xml', reason: /DOCTYPE/ },
    { name: 'external DTD', endpoint: 'serviceD', body: withDoctype(fresh(), `<!DOCTYPE sr:Request SYSTEM "${canaryUrl}/evil.dtd">`), code: 'E100', step: 'parse:xml', reason: /DOCTYPE/ },
    { name: 'parameter entity', endpoint: 'serviceD', body: withDoctype(fresh(), `<!DOCTYPE sr:Request [<!ENTITY % p SYSTEM "${canaryUrl}/p.dtd"> %p;]>`), code: 'E100', step: 'parse:xml', reason: /DOCTYPE/ },
    {
      name: 'billion laughs',
      endpoint: 'serviceD',
      body: edit(withDoctype(fresh(), `<!DOCTYPE sr:Request [<!ENTITY l0 "lol">${[...Array(9).keys()].map((i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('')}]>`), mpxn, '&l9;'),
      code: 'E100', step: 'parse:xml', reason: /DOCTYPE/,
    },
    { name: 'quadratic blow-up', endpoint: 'serviceD', body: edit(withDoctype(fresh(), `<!DOCTYPE sr:Request [<!ENTITY q "${'q'.repeat(20_000)}">]>`), mpxn, '&q;'.repeat(5_000)), code: 'E100', step: 'parse:xml', reason: /DOCTYPE/ },
    { name: 'entity reference without a DTD', endpoint: 'serviceD', body: edit(fresh(), mpxn, '&ent;'), code: 'E100', step: 'parse:xml', reason: /entity reference "&ent;" is not allowed/ },
    { name: 'stray markup declaration', endpoint: 'serviceD', body: edit(fresh(), '<sr:Body>', '<sr:Body><!ENTITY x "y">'), code: 'E100', step: 'parse:xml', reason: /markup declaration <!ENTITY/ },
    { name: 'processing instruction', endpoint: 'serviceD', body: edit(fresh(), '<sr:Body>', '<sr:Body><?evil cmd?>'), code: 'E100', step: 'parse:xml', reason: /processing instruction <\?evil/ },
    { name: 'truncated in the middle', endpoint: 'serviceD', body: fresh().slice(0, 600), code: 'E100', step: 'parse:xml', reason: /truncated|unclosed/ },
    { name: 'truncated inside an attribute', endpoint: 'serviceD', body: ((x) => x.slice(0, x.indexOf('schemaVersion="') + 17))(fresh()), code: 'E100', step: 'parse:xml', reason: /not terminated/ },
    { name: 'truncated before the root end tag', endpoint: 'serviceD', body: fresh().replace(/<\/sr:Request>$/, ''), code: 'E100', step: 'parse:xml', reason: /ends inside .*truncated/ },
    { name: 'empty body', endpoint: 'serviceD', body: '', code: 'E100', step: 'parse:xml', reason: /no root element/ },
    { name: 'not XML', endpoint: 'serviceD', body: '{"RequestID": "x"}', code: 'E100', step: 'parse:xml', reason: /text before the root element/ },
    { name: 'two root elements', endpoint: 'serviceD', body: fresh() + '<sr:Request/>', code: 'E100', step: 'parse:xml', reason: /second root element|content after the root/ },
    { name: 'mismatched end tag', endpoint: 'serviceD', body: edit(fresh(), '</sr:MPxN>', '</sr:MPAN>'), code: 'E100', step: 'parse:xml', reason: /MPAN|MPxN|end tag|mismatch/i },
    { name: 'deep nesting', endpoint: 'serviceD', body: edit(fresh(), '<sr:Body>', `<sr:Body>${'<a>'.repeat(200)}${'</a>'.repeat(200)}`), code: 'E100', step: 'parse:xml', reason: /nested deeper than 32 levels/ },
    { name: 'UTF-16 body', endpoint: 'serviceD', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fresh(), 'utf16le')]), code: 'E100', step: 'parse:xml', reason: /UTF-16/ },
    { name: 'invalid UTF-8', endpoint: 'serviceD', body: Buffer.concat([Buffer.from(fresh().slice(0, 300)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(fresh().slice(300))]), code: 'E100', step: 'parse:xml', reason: /not valid UTF-8/ },
    { name: 'non-UTF-8 encoding declared', endpoint: 'serviceD', body: edit(fresh(), 'encoding="UTF-8"', 'encoding="ISO-8859-1"'), code: 'E100', step: 'parse:xml', reason: /encoding "ISO-8859-1" is not supported/ },
    { name: 'control character', endpoint: 'serviceD', body: edit(fresh(), mpxn, `${mpxn}\u0001`), code: 'E100', step: 'parse:xml', reason: /U\+0001 is not allowed/ },
    { name: 'lone surrogate character reference', endpoint: 'serviceD', body: edit(fresh(), mpxn, '&#xD800;'), code: 'E100', step: 'parse:xml', reason: /character reference "&#xD800;"/ },
    { name: 'wrong namespace on the root', endpoint: 'serviceD', body: edit(fresh(), 'xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"', 'xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGatewayX"'), code: 'E100', step: 'parse:schema', reason: /expected sr:Request in namespace/ },
    { name: 'no namespace at all', endpoint: 'serviceD', body: fresh().replace(/sr:/g, '').replace(/xmlns:sr="[^"]*"/, ''), code: 'E100', step: 'parse:schema', reason: /expected sr:Request/ },
    { name: 'header element in the default namespace', endpoint: 'serviceD', body: signAs(w, supplier, edit(inventoryXml(supplier, mpxn, next()), '<sr:CommandVariant>8</sr:CommandVariant>', '<CommandVariant xmlns="urn:other">8</CommandVariant>')), code: 'E100', step: 'parse:schema', reason: /CommandVariant/ },
    { name: 'a DUIS response posted as a request', endpoint: 'serviceD', body: h.server.dcc.sign(buildResponse({ responseCode: 'I0', responseDateTime: new Date(), serviceReference: '8.2', serviceReferenceVariant: '8.2' })), code: 'E100', step: 'parse:schema', reason: /root element is sr:Response/ },
    { name: 'oversize (DUIS limit)', endpoint: 'serviceD', body: fresh() + ' '.repeat(262_145), code: 'E100', step: 'parse:size', reason: /the limit is 262144/ },
    { name: 'oversize (transport limit)', endpoint: 'serviceD', body: fresh() + ' '.repeat(1_000_000), status: 413, reason: /exceeds 262144 bytes/ },
    { name: 'wrong content type', endpoint: 'serviceD', body: fresh(), contentType: 'text/plain', code: 'E100', step: 'transport', reason: /Content-Type application\/xml, got 'text\/plain'/ },
    { name: 'bad base64 in a certificate', endpoint: 'serviceS', body: signAs(w, esmeInc.supplier, edit(handoverXml({ sender: esmeInc.supplier, target: esmeInc.eui, counter: next(), role: 'Supplier', ds: sc.ds, path: [ocaDer(w)] }), /<sr:DigitalSigningCertificate>[^<]{10}/, '<sr:DigitalSigningCertificate>!!not*base64')), code: 'E100', step: 'parse:schema', reason: /DigitalSigningCertificate.*base64/ },
    { name: 'a certificate that is not a certificate', endpoint: 'serviceS', body: signAs(w, esmeInc.supplier, handoverXml({ sender: esmeInc.supplier, target: esmeInc.eui, counter: next(), role: 'Supplier', ds: Buffer.from('this is not a certificate at all, just text'), path: [ocaDer(w)] })), code: 'E100', step: 'parse:content', reason: /DigitalSigningCertificate/ },
    { name: 'a truncated certificate', endpoint: 'serviceS', body: signAs(w, esmeInc.supplier, handoverXml({ sender: esmeInc.supplier, target: esmeInc.eui, counter: next(), role: 'Supplier', ds: sc.ds.subarray(0, sc.ds.length - 20), path: [ocaDer(w)] })), code: 'E100', step: 'parse:content', reason: /DigitalSigningCertificate/ },
    { name: 'a certification path of garbage', endpoint: 'serviceS', body: signAs(w, esmeInc.supplier, handoverXml({ sender: esmeInc.supplier, target: esmeInc.eui, counter: next(), role: 'Supplier', ds: sc.ds, path: [Buffer.alloc(64, 0x30)] })), code: 'E100', step: 'parse:content', reason: /CertificationPathCertificates/ },
    { name: 'bad base64 in a GBCS payload', endpoint: 'serviceS', body: signAs(w, no, edit(buildRequest({ requestId: rid2, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: pre2 } }), /<sr:GBCSPayload>[^<]{8}/, '<sr:GBCSPayload>@@@@====')), code: 'E100', step: 'parse:schema', reason: /GBCSPayload.*base64/ },
    { name: 'tampered signature value', endpoint: 'serviceD', body: fresh().replace(/<ds:SignatureValue>(.)(.)/, (_m, a: string, b: string) => `<ds:SignatureValue>${b}${a === b ? (a === 'A' ? 'B' : 'A') : a}`), code: 'E1', step: 'signature', reason: /SignatureValue does not verify/ },
    { name: 'tampered digest value', endpoint: 'serviceD', body: fresh().replace(/<ds:DigestValue>(.)/, (_m, a: string) => `<ds:DigestValue>${a === 'A' ? 'B' : 'A'}`), code: 'E1', step: 'signature', reason: /digest mismatch/ },
    { name: 'signature of a different document (wrapping)', endpoint: 'serviceD', body: edit(fresh(), /<ds:Signature[\s\S]*<\/ds:Signature>/, /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(inventory)![0]), code: 'E1', step: 'signature', reason: /digest mismatch/ },
    { name: 'two signatures', endpoint: 'serviceD', body: (() => { const x = fresh(); const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(x)![0]; return edit(x, '</sr:Request>', `${sig}</sr:Request>`); })(), code: 'E100', step: 'parse:schema', reason: /unexpected ds:Signature after ds:Signature/ },
    { name: 'signature not last', endpoint: 'serviceD', body: (() => { const x = fresh(); const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(x)![0]; return edit(x.replace(sig, ''), '<sr:Body>', `${sig}<sr:Body>`); })(), code: 'E100', step: 'parse:schema', reason: /Signature|Body/ },
    { name: 'signed by a key the certificate does not hold', endpoint: 'serviceD', body: signDuis(inventoryXml(supplier, mpxn, next()), { ...xmlSignerOf(w, supplier), privateKey: xmlSignerOf(w, no).privateKey }), code: 'E1', step: 'signature', reason: /does not verify/ },
    { name: 'replayed counter (8.2, byte for byte)', endpoint: 'serviceD', body: inventory, code: 'E100', step: 'request-id', reason: /not greater than .*\(replay\)/ },
    { name: 'replayed counter (6.21, byte for byte)', endpoint: 'serviceS', body: handover, code: 'E100', step: 'request-id', reason: /not greater than .*\(replay\)/ },
    { name: 'replayed signed pre-command', endpoint: 'serviceS', body: leg2, code: 'E061508', step: 'request-id', reason: /already been used/ },
    { name: 'replayed pre-command request (CV 4)', endpoint: 'serviceT', body: update(rid2.counter), code: 'E100', step: 'request-id', reason: /not greater than/ },
    {
      name: 'signed pre-command with altered GBCS',
      endpoint: 'serviceS',
      body: (() => {
        const altered = Buffer.from(pre2);
        altered[altered.length - 5] = altered[altered.length - 5]! ^ 0x01;
        return signAs(w, no, buildRequest({ requestId: rid2, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(w, altered) } }));
      })(),
      code: 'E061508', step: 'pre-command', reason: /differs from the pre-command issued/,
    },
    {
      name: 'signed pre-command signed by another party’s GBCS key',
      endpoint: 'serviceS',
      body: signAs(w, no, buildRequest({ requestId: rid2, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signApdu(pre2, gbcsSignerOf(w, supplier, RemotePartyRole.Supplier)) } })),
      code: 'E061508', step: 'pre-command', reason: /signature does not verify with any digital-signing certificate/,
    },
    { name: 'unsigned pre-command as the signed one', endpoint: 'serviceS', body: signAs(w, no, buildRequest({ requestId: rid2, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: pre2 } })), code: 'E061508', step: 'pre-command', reason: /carries no signature/ },
    { name: 'GBCS payload that is not GBCS', endpoint: 'serviceS', body: signAs(w, no, buildRequest({ requestId: rid2, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: Buffer.from('garbage!') } })), code: 'E061508', step: 'pre-command', reason: /not a general-signing APDU/ },
    { name: 'a service on the wrong endpoint (6.22, CommandVariant 1, on serviceT)', endpoint: 'serviceT', body: signDuis(prepareRequest(readFileSync(rtdsTemplatePath('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML'), 'utf8'), { originator: supplier, counter: next() }).xml, xmlSignerOf(w, supplier)), code: 'E13', step: 'service', reason: /belongs on \/api\/v1\/serviceS, not \/api\/v1\/serviceT/ },
    { name: 'a ServiceReferenceVariant DUIS does not define (6.99)', endpoint: 'serviceS', body: signDuis(edit(prepareRequest(readFileSync(rtdsTemplatePath('ECS25a_6.22_SUCCESS_REQUEST_DUIS.XML'), 'utf8'), { originator: supplier, counter: next() }).xml, '<sr:ServiceReferenceVariant>6.22<', '<sr:ServiceReferenceVariant>6.99<'), xmlSignerOf(w, supplier)), code: 'E100', step: 'parse:schema', reason: /"6.99" is not a DUIS ServiceReferenceVariant/ },
    { name: 'CommandVariant 9 (DCC internal)', endpoint: 'serviceD', body: signAs(w, supplier, edit(inventoryXml(supplier, mpxn, next()), '<sr:CommandVariant>8<', '<sr:CommandVariant>9<')), code: 'E12', step: 'parse:command-variant', reason: /CommandVariant 9 is internal/ },
    // The DCC signs its own requests with its DSP certificate, but only those it originates (6.24.1) are taken.
    { name: 'a request from the DCC itself', endpoint: 'serviceD', body: signDuis(inventoryXml(DCC.accessControlBroker, mpxn, next()), xmlSignerOf(w, DCC.accessControlBroker)), code: 'E3', step: 'user-role', reason: /is not a DCC User/ },
  );
});

afterAll(async () => {
  await h?.close();
  await new Promise((r) => canary?.close(r));
});

describe('bad-input corpus', () => {
  it('refuses every item, each with its code, reason and failed step', async () => {
    expect(items.length).toBeGreaterThan(45);
    const failures: string[] = [];
    for (const item of items) {
      const before = (await requestLog(url(), 'limit=1'))[0]?.id ?? 0;
      const answer = await postRaw(url(), item.endpoint ?? 'serviceS', item.body, item.contentType);
      const got = `${item.name}: HTTP ${answer.status} ${answer.code} ${answer.reason}`;
      try {
        if (item.status !== undefined) {
          expect(answer.status, got).toBe(item.status);
          expect(`${answer.reason ?? ''} ${answer.body}`, got).toMatch(item.reason);
          continue;
        }
        expect(answer.status, got).toBe(200);
        expect(answer.code, got).toBe(item.code);
        expect(answer.reason, got).toMatch(item.reason);
        checkDuisAnswer(h.world, answer.body, item.code);
        const [log] = await requestLog(url(), 'limit=1');
        expect(log!.id, got).toBeGreaterThan(before);
        expect(log!.responseCode, got).toBe(item.code);
        expect(log!.failedStep, got).toBe(item.step);
        expect(log!.reason, got).toMatch(item.reason);
      } catch (err) {
        failures.push((err as Error).message.split('\n')[0]!);
      }
    }
    expect(failures).toEqual([]);
  });

  it('left the device tables byte-for-byte unchanged', () => {
    expect(dumpDeviceTables(h.world) === snapshot).toBe(true);
  });

  it('fetched nothing: no entity or DTD was ever resolved', () => {
    expect(canaryHits).toBe(0);
  });

  it('every DUIS response it gave is valid DUIS 5.4, signed by the DCC', async () => {
    const n = await expectAllResponsesSchemaValid(h.world, url());
    expect(n.sync).toBeGreaterThan(45);
  });
});
