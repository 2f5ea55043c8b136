import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RemotePartyRole, ScalarKey, type Eui } from '../../pki/index.ts';
import { buildRequest, parseDuisResponse } from '../../service-requests/index.ts';
import { signPreCommand } from '../../src/client.ts';
import { PUBLIC_DIR } from '../../src/console/static.ts';
import { issueOrganisationCertificateFor } from '../../src/world/smki.ts';
import { META, World } from '../../src/world/world.ts';
import { demoWorldFile } from '../helpers/gateway.ts';
import { handoverXml, inventoryXml, ocaDer, orgCerts, pickDevice, retrieveXml, signAs, updateXml } from '../helpers/gateway-requests.ts';
import { freePort, Receiver, sleep, spawnServer, type ChildServer } from './kit.ts';

// No private key ever in the logs or the API. A server runs as a child process with its request
// log on at debug level and the SMKI portal up; a full flow goes through it (6.21, both legs of
// 6.15.1, 6.24.1, 8.2, refusals, the console's send, a scenario, the clock, asynchronous
// deliveries), then every JSON API route it can reach is read. Its stdout, stderr and every body
// served are searched for PEM private key markers, the PKCS#8 DER (base64 prefix) and the private
// scalar (hex, base64, base64url as in a JWK) of every key the world holds and of the devices'
// derived keys, and the world secret.

let file = '';
let world: World;
let child: ChildServer;
const receiver = new Receiver();
const served: { what: string; text: string }[] = [];
const touchedDevices = new Set<Eui>();
let counter = 7_000_000n;

beforeAll(async () => {
  file = demoWorldFile();
  await receiver.start();
  const w = World.open(file);
  for (const p of w.store.listParties()) w.store.setResponseUrl(p.eui, receiver.url);
  w.close();
  child = await spawnServer(file, { quiet: false, smkiPort: await freePort(), env: { DCC_SIM_LOG_LEVEL: 'debug' } });
  world = World.open(file); // a second connection: the test signs as the parties
}, 120_000);

afterAll(async () => {
  world?.close();
  await child?.kill('SIGKILL');
  await receiver.stop();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});

async function read(what: string, url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.clone().text();
  served.push({ what, text: `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}` });
  return res;
}

async function duis(endpoint: string, xml: string): Promise<{ code: string; xml: string }> {
  const res = await read(`POST ${endpoint}`, `${child.url}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml });
  return { code: res.headers.get('x-dcc-sim-response-code') ?? '', xml: await res.text() };
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Everything secret the world holds, in the forms a leak would take. */
function needles(): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const scalar = (name: string, key: KeyObject | ScalarKey) => {
    const raw = key instanceof ScalarKey ? key.exportScalar() : Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url');
    const d = raw.toString('base64url');
    out.push({ name: `${name} scalar (base64url)`, value: d }, { name: `${name} scalar (hex)`, value: raw.toString('hex') }, { name: `${name} scalar (HEX)`, value: raw.toString('hex').toUpperCase() }, { name: `${name} scalar (base64)`, value: raw.toString('base64').replace(/=+$/, '') });
  };
  const rows = world.store.db.prepare('SELECT certificate_id AS id, pkcs8 FROM private_keys').all() as { id: number; pkcs8: Buffer }[];
  expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) {
    // the first 48 bytes: the PKCS#8 header (the same for every P-256 key) and the first 12 of the scalar
    out.push({ name: `key of certificate ${r.id} (PKCS#8 base64 prefix)`, value: r.pkcs8.toString('base64').slice(0, 64) });
    scalar(`key of certificate ${r.id}`, createPrivateKey({ key: r.pkcs8, format: 'der', type: 'pkcs8' }));
  }
  for (const eui of touchedDevices) {
    const c = world.deviceCredentials(eui);
    scalar(`device ${eui} DS key`, c.dsKey);
    scalar(`device ${eui} KA key`, c.kaKey);
  }
  const secret = Buffer.from(world.meta(META.secret), 'hex');
  out.push({ name: 'world secret (hex)', value: secret.toString('hex') }, { name: 'world secret (HEX)', value: secret.toString('hex').toUpperCase() }, { name: 'world secret (base64)', value: secret.toString('base64').replace(/=+$/, '') });
  return out;
}

describe('no private key in logs or API output', () => {
  it('a full flow with debug logging, then every reachable JSON API response', async () => {
    const w = world;
    const next = () => ++counter;
    // --- the flow ------------------------------------------------------------------------------
    const inc = pickDevice(w, 'ESME', (d) => d.status === 'InstalledNotCommissioned');
    const esme = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.networkOperatorDS === reg.no && c.supplierDS === reg.supplier);
    const gpf = pickDevice(w, 'GPF', (d) => d.status === 'InstalledNotCommissioned');
    for (const d of [inc.eui, esme.eui, gpf.eui]) touchedDevices.add(d);
    const sc = orgCerts(w, inc.supplier, RemotePartyRole.Supplier);
    expect((await duis('serviceS', signAs(w, inc.supplier, handoverXml({ sender: inc.supplier, target: inc.eui, counter: next(), role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [ocaDer(w)] })))).code).toBe('I99');

    const ds = w.certificate(issueOrganisationCertificateFor(w, { eui: esme.no, role: RemotePartyRole.NetworkOperator, usage: 'DS' })).der;
    const ka = w.certificate(issueOrganisationCertificateFor(w, { eui: esme.no, role: RemotePartyRole.NetworkOperator, usage: 'KA' })).der;
    const rid = { originator: esme.no, target: esme.eui, counter: next() };
    const leg1 = await duis('serviceT', signAs(w, esme.no, updateXml({ sender: esme.no, target: esme.eui, counter: rid.counter, role: 'NetworkOperator', floor: 0n, ds, ka, path: [ocaDer(w)] })));
    expect(leg1.code).toBe('I0');
    const pre = (parseDuisResponse(leg1.xml).body as { content: { preCommand: { gbcsPayload: Buffer } } }).content.preCommand.gbcsPayload;
    expect((await duis('serviceS', signAs(w, esme.no, buildRequest({ requestId: rid, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(w, pre) } })))).code).toBe('I99');
    expect((await duis('serviceS', signAs(w, esme.supplier, retrieveXml(esme.supplier, esme.eui, next())))).code).toBe('I99');
    const inventory = signAs(w, esme.supplier, inventoryXml(esme.supplier, esme.mpxn!, next()));
    expect((await duis('serviceD', inventory)).code).toBe('I0');
    expect((await duis('serviceD', inventory)).code, 'a replay').toBe('E100');
    expect((await duis('serviceD', inventory.replace(/<ds:SignatureValue>./, '<ds:SignatureValue>A'))).code).toMatch(/^E/);
    expect((await duis('serviceD', '<not-duis/>')).code).toBe('E100');

    const sent = await read('console send', `${child.url}/api/console/send`, json({ service: '6.21', device: gpf.eui, role: 'Supplier' }));
    expect(sent.status, await sent.clone().text()).toBe(200);
    const scenarios = (await (await read('scenarios', `${child.url}/api/scenarios`)).json()) as { name: string }[];
    // in this world, not a sandbox of it: what the scenario made is read back below with the rest
    const run = (await (await read('scenario run', `${child.url}/api/scenarios/${scenarios[0]!.name}/runs`, json({ in: 'this-world' }))).json()) as { runId: string };
    await read('scenario finish', `${child.url}/api/scenarios/runs/${run.runId}/finish`, json({}));
    await read('clock', `${child.url}/api/clock`, json({ advance: '1d' }));
    const deadline = Date.now() + 15_000;
    while (receiver.accepted.length < 4 && Date.now() < deadline) await sleep(50);
    expect(receiver.accepted.length, 'asynchronous responses delivered').toBeGreaterThanOrEqual(4);
    for (const d of receiver.accepted) served.push({ what: `delivery ${d.id}`, text: d.body });

    // --- every route it can reach ----------------------------------------------------------------
    const base = child.url;
    const requests = (await (await read('requests', `${base}/api/requests?full=1&limit=1000`)).json()) as { id: number; requestId: string | null; device: string | null }[];
    expect(requests.length).toBeGreaterThan(8);
    for (const r of requests) {
      await read(`console request ${r.id}`, `${base}/api/console/requests/${r.id}`);
      if (r.requestId) await read(`responses ${r.requestId}`, `${base}/api/responses?requestId=${encodeURIComponent(r.requestId)}`);
      const eui = r.device?.replace(/-/g, '');
      if (eui && w.store.getDevice(eui)) touchedDevices.add(eui);
    }
    for (const eui of touchedDevices) {
      await read(`device ${eui}`, `${base}/api/devices/${eui}`);
      await read(`console device ${eui}`, `${base}/api/console/devices/${eui}`);
    }
    const certificates = (w.store.db.prepare('SELECT id FROM certificates ORDER BY id').all() as { id: number }[]).map((c) => c.id);
    for (const id of certificates) {
      await read(`certificate ${id}`, `${base}/api/console/certificates/${id}`);
      await read(`certificate ${id} pem`, `${base}/api/console/certificates/${id}/pem`);
    }
    for (const p of w.store.listParties()) {
      if (p.userRoles.includes('ED') || p.userRoles.includes('GT')) await read(`stranded ${p.eui}`, `${base}/api/network-operators/${p.eui}/stranded`);
    }
    for (const p of ['/api/health', '/api/clock', '/api/console/world', '/api/console/parties', '/api/console/devices?limit=100', '/api/console/requests?limit=200', '/api/scenarios', '/api/scenarios/runs', `/api/scenarios/runs/${run.runId}`, '/api/reports/post-commissioning', '/api/reports/post-commissioning.csv', '/docs', '/docs/openapi.json', '/']) {
      await read(p, `${base}${p}`);
    }
    const assets = (dir: string, prefix = ''): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? assets(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
    for (const a of assets(PUBLIC_DIR)) await read(`asset ${a}`, `${base}/console/${a}`);
    // the live timeline (server-sent events) for a moment
    const events = await fetch(`${base}/api/console/events`, { signal: AbortSignal.timeout(1500) }).then(async (res) => {
      let text = '';
      try {
        for await (const chunk of res.body!) text += Buffer.from(chunk as Uint8Array).toString('utf8');
      } catch {
        /* the timeout ends it */
      }
      return text;
    }).catch(() => '');
    served.push({ what: 'events', text: events });

    // --- the search ---------------------------------------------------------------------------------
    await child.kill('SIGTERM');
    const logs = child.stdout() + child.stderr();
    const pemMarker = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
    expect(logs.length, 'the request log was on').toBeGreaterThan(1000);
    expect(logs).toMatch(/"level":(20|30)/);
    const secrets = needles();
    // the search would see a key if one were there: the DCC's own signing key, exported as a leak would be
    const dccKey = w.privateKeyOf(Number(w.meta(META.dccXmlSigningCertificateId)))!;
    const leaked = `${dccKey.export({ format: 'pem', type: 'pkcs8' }).toString()} ${JSON.stringify(dccKey.export({ format: 'jwk' }))} ${dccKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
    expect(pemMarker.test(leaked)).toBe(true);
    expect(secrets.filter((n) => leaked.includes(n.value)).length, 'needles found in a planted leak').toBeGreaterThanOrEqual(3);
    const hits: string[] = [];
    if (pemMarker.test(logs)) hits.push('a PEM private key marker in the logs');
    for (const s of served) if (pemMarker.test(s.text)) hits.push(`a PEM private key marker in ${s.what}`);
    for (const n of secrets) {
      if (logs.includes(n.value)) hits.push(`${n.name} in the logs`);
      for (const s of served) if (s.text.includes(n.value)) hits.push(`${n.name} in ${s.what}`);
    }
    console.info(`secrets: ${secrets.length} needles searched in ${(logs.length / 1024).toFixed(0)} KiB of logs and ${served.length} responses (${(served.reduce((n, s) => n + s.text.length, 0) / 2 ** 20).toFixed(1)} MiB)`);
    expect(hits).toEqual([]);
  }, 240_000);
});
