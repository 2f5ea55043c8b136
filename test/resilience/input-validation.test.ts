import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { Eui } from '../../pki/index.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { inventoryXml, pickDevice, signAs } from '../helpers/gateway-requests.ts';

// Finding 6 of issue 19, each over HTTP against a real server: a query string SQLite choked on,
// JSON to a DUIS endpoint answered outside DUIS and unlogged, JavaScript whitespace taken for
// XML's, X509IssuerName ignored, and a counter of 2^64-1 that locked its originator out.

let file = '';
let server: RunningServer;
let supplier: Eui;
let mpxn = '';
let w: World;
let counter = 20_000n;

beforeAll(async () => {
  file = demoWorldFile();
  server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
  w = server.world;
  const esme = pickDevice(w, 'ESME', (d) => d.status === 'Commissioned');
  supplier = esme.supplier;
  mpxn = esme.mpxn!;
});
afterAll(async () => {
  await server?.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

const signed = (c = ++counter) => signAs(w, supplier, inventoryXml(supplier, mpxn, c));
async function duis(body: string | Buffer, contentType = 'application/xml') {
  const res = await fetch(`${server.url}/api/v1/serviceD`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const xml = await res.text();
  return { status: res.status, code: res.headers.get('x-dcc-sim-response-code'), reason: res.headers.get('x-dcc-sim-reason') ?? '', xml };
}
const logged = () => server.dcc.gateway.listRequests({ limit: 1000 }).length;

describe('validated inputs', () => {
  it('a query string that is not a whole number is a 400 naming the parameter', async () => {
    for (const [q, name] of [['limit=abc', 'limit'], ['after=1e3', 'after'], ['limit=-1', 'limit']]) {
      const res = await fetch(`${server.url}/api/requests?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toBe(`querystring/${name} must be a whole number`);
    }
    expect((await fetch(`${server.url}/api/requests?limit=5`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/console/requests?limit=x`)).status).toBe(400);
  });

  it('invalid JSON posted to a DUIS endpoint is refused in DUIS and logged', async () => {
    const before = logged();
    const r = await duis('{"not": json', 'application/json');
    expect(r.status).toBe(200);
    expect(r.code).toBe('E100');
    expect(r.reason).toMatch(/Content-Type application\/xml, got 'application\/json'/);
    expect(r.xml).toContain('sr:Response');
    expect(logged()).toBe(before + 1);
  });

  it('only XML whitespace may surround the root: a second BOM, U+00A0 or U+2028 is refused', async () => {
    for (const [name, wrap] of [
      ['two BOMs', (x: string) => `\uFEFF\uFEFF${x}`],
      ['U+00A0 after the root', (x: string) => `${x}\u00A0`],
      ['U+2028 after the root', (x: string) => `${x}\u2028`],
    ] as const) {
      const r = await duis(Buffer.from(wrap(signed()), 'utf8'));
      expect(r.code, name).toBe('E100');
      expect(r.reason, name).toMatch(/text before the root element|content after the root element/);
    }
    expect((await duis(`${signed()}\r\n\t `)).code, 'XML whitespace is fine').toBe('I0');
  });

  it('X509IssuerName must name the issuer of the certificate with that serial (spelling aside)', async () => {
    const xml = signed();
    const issuer = /<ds:X509IssuerName>([^<]*)<\/ds:X509IssuerName>/.exec(xml)![1]!;
    const other = await duis(xml.replace(`<ds:X509IssuerName>${issuer}<`, '<ds:X509IssuerName>CN=Someone Else,OU=07<'));
    expect(other.code).toBe('E1');
    expect(other.reason).toMatch(/is issued by '.*', not by 'CN=Someone Else,OU=07' \(KeyInfo X509IssuerName\)/);
    // the same issuer written with spaces and in lower case is the same name
    const respelt = issuer.split(',').map((rdn) => rdn.toLowerCase()).join(', ');
    expect((await duis(signed().replace(`<ds:X509IssuerName>${issuer}<`, `<ds:X509IssuerName>${respelt}<`))).code).toBe('I0');
  });

  it('a counter of 2^64-1 is refused, and the originator can still send', async () => {
    const max = 2n ** 64n - 1n;
    const r = await duis(signed(max));
    expect(r.code).toBe('E100');
    expect(r.reason).toMatch(/18446744073709551615 is the largest a RequestID can carry/);
    expect((await duis(signed())).code).toBe('I0');
  });
});
