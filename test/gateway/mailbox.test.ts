import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { runCliAsync, expectOk } from '../helpers/world-cli.ts';
import { Receiver, sleep } from '../resilience/kit.ts';
import type { MetricsSnapshot } from '../../src/dcc/metrics.ts';

// A mailbox per party (issue 18, item 2): every asynchronous response kept and readable per party,
// with or without a Receive Response Service URL, over a real server on 127.0.0.1, the real CLI
// beside it on the same world file, and real receivers.

interface InboxEntry {
  deliveryId: number;
  requestId: string | null;
  kind: string;
  responseCode: string;
  createdAt: string;
  deliveredAt: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  requestLogId: number | null;
  xml?: string | null;
}
interface Inbox {
  party: { eui: string; responseUrl: string | null; inbox: { total: number; undelivered: number } };
  total: number;
  entries: InboxEntry[];
  nextBefore: number | null;
}

let h: Harness;
const good = new Receiver();
const failing = new Receiver();
let quiet: { supplier: Eui; devices: Eui[] }; // no URL
let broken: { supplier: Eui; device: Eui }; // a receiver answering 500

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  await good.start();
  await failing.start();
  failing.mode = 'error';
  const a = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null);
  const b = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && reg.supplier !== a.supplier);
  const { devices } = h.world.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 100_000 });
  quiet = { supplier: a.supplier, devices: devices.filter((d) => h.world.store.getSupplyPoint(d.mpxn!)?.supplierEui === a.supplier).map((d) => d.eui) };
  broken = { supplier: b.supplier, device: b.eui };
  for (const p of h.world.store.listParties()) h.world.store.setResponseUrl(p.eui, null);
  h.world.store.setResponseUrl(broken.supplier, failing.url);
}, 120_000);

afterAll(async () => {
  await h?.close();
  await good.stop();
  await failing.stop();
});

async function retrieve(supplier: Eui, device: Eui): Promise<string> {
  const answer = await h.post('serviceS', signAs(h.world, supplier, retrieveXml(supplier, device, h.nextCounter())));
  expect(answer.code, answer.reason ?? '').toBe('I99');
  return answer.response.requestId!.text;
}

async function inbox(eui: Eui, query = ''): Promise<Inbox> {
  const res = await fetch(`${h.server.url}/api/parties/${dashedEui(eui)}/inbox${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Inbox;
}

async function metrics(): Promise<MetricsSnapshot> {
  return (await (await fetch(`${h.server.url}/api/metrics`)).json()) as MetricsSnapshot;
}

const putUrl = (eui: string, url: string | null, headers: Record<string, string> = {}) =>
  fetch(`${h.server.url}/api/parties/${eui}/response-url`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ url }) });

let waiting: string[] = [];

describe('a party without a Receive Response Service URL', () => {
  it('keeps its responses in its mailbox, newest first, without retrying them', async () => {
    waiting = [await retrieve(quiet.supplier, quiet.devices[0]!), await retrieve(quiet.supplier, quiet.devices[1]!)];
    // Long enough for the old outbox to have "tried" them (it marked a failed attempt at once, then every 5 s).
    await sleep(1500);
    const box = await inbox(quiet.supplier);
    expect(box.party.responseUrl).toBeNull();
    expect(box.total).toBe(2);
    expect(box.entries.map((e) => e.requestId)).toEqual([...waiting].reverse());
    for (const e of box.entries) {
      expect(e).toMatchObject({ kind: 'response', status: 'no-url', attempts: 0, deliveredAt: null });
      expect(e.createdAt).toMatch(/^\d{4}-/);
      expect(e.requestLogId).toBeGreaterThan(0);
      expect(e.xml).toBeUndefined();
    }

    // filters, paging and the XML on request
    const one = await inbox(quiet.supplier, `?requestId=${encodeURIComponent(waiting[0]!)}&xml=1`);
    expect(one.entries).toHaveLength(1);
    expect(one.entries[0]!.xml).toContain(waiting[0]);
    const page1 = await inbox(quiet.supplier, '?limit=1');
    expect(page1.entries[0]!.requestId).toBe(waiting[1]);
    const page2 = await inbox(quiet.supplier, `?limit=1&before=${page1.nextBefore}`);
    expect(page2.entries[0]!.requestId).toBe(waiting[0]);
    expect(page2.nextBefore).toBeNull();
    expect((await inbox(quiet.supplier, '?kind=device-alert')).total).toBe(0);
    expect((await inbox(quiet.supplier, `?code=${box.entries[0]!.responseCode}`)).total).toBe(2);
  });

  it('dcc-sim inbox --as shows the same mailbox as a table, as JSON and as XML', async () => {
    const text = expectOk(await runCliAsync(['inbox', '--as', dashedEui(quiet.supplier), '--db', h.file]));
    expect(text.stdout).toMatch(/2 in the mailbox/);
    expect(text.stdout).toMatch(/not set/);
    for (const id of waiting) expect(text.stdout).toMatch(new RegExp(`${id.replace(/[-:]/g, '.')}\\s+no-url\\s+0`));
    const json = JSON.parse(expectOk(await runCliAsync(['inbox', '--as', dashedEui(quiet.supplier), '--db', h.file, '--json', '--limit', '1'])).stdout) as { total: number; entries: InboxEntry[] };
    expect(json.total).toBe(2);
    expect(json.entries.map((e) => e.requestId)).toEqual([waiting[1]]);
    const xml = expectOk(await runCliAsync(['inbox', '--as', dashedEui(quiet.supplier), '--db', h.file, '--xml']));
    expect(xml.stdout).toContain('<?xml');
    const bad = await runCliAsync(['inbox', '--as', '00-11-22-33-44-55-66-77', '--db', h.file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/no party/);
  });
});

describe('a party whose receiver fails', () => {
  it('shows the delivery attempts and the last error', async () => {
    const id = await retrieve(broken.supplier, broken.device);
    await expect.poll(async () => (await inbox(broken.supplier, `?requestId=${id}`)).entries[0]?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const [e] = (await inbox(broken.supplier, `?requestId=${id}`)).entries;
    expect(e).toMatchObject({ status: 'receiver-failing', deliveredAt: null });
    expect(e!.lastError).toMatch(/HTTP 500/);
  });
});

describe('/api/metrics', () => {
  it('counts undeliverable responses by reason, in JSON and Prometheus', async () => {
    const m = await metrics();
    expect(m.outbox.undeliverable.byReason['no-url']).toBe(2);
    expect(m.outbox.undeliverable.byReason['receiver-failing']).toBe(1);
    expect(m.outbox.undeliverable.total).toBe(3);
    const text = await (await fetch(`${h.server.url}/api/metrics?format=prometheus`)).text();
    expect(text).toContain('dcc_sim_outbox_undeliverable{reason="no-url"} 2');
    expect(text).toContain('dcc_sim_outbox_undeliverable{reason="receiver-failing"} 1');
  });
});

describe('PUT /api/parties/{eui}/response-url', () => {
  it('refuses what is not a URL, an unknown party and a cross-site request', async () => {
    expect((await putUrl(dashedEui(quiet.supplier), 'ftp://example.org/x')).status).toBe(400);
    expect((await putUrl(dashedEui(quiet.supplier), 'not a url')).status).toBe(400);
    expect((await putUrl('00-11-22-33-44-55-66-77', good.url)).status).toBe(404);
    expect((await putUrl(dashedEui(quiet.supplier), good.url, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await inbox(quiet.supplier)).party.responseUrl).toBeNull();
  });

  it('delivers what was waiting once the URL is set', async () => {
    const res = await putUrl(dashedEui(quiet.supplier), good.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { responseUrl: string }).responseUrl).toBe(good.url);
    await expect.poll(async () => (await inbox(quiet.supplier)).entries.every((e) => e.status === 'delivered'), { timeout: 5_000 }).toBe(true);
    const box = await inbox(quiet.supplier);
    for (const e of box.entries) {
      expect(e.deliveredAt).not.toBeNull();
      expect(good.accepted.some((d) => d.id === String(e.deliveryId))).toBe(true);
    }
    expect(box.party.inbox).toEqual({ total: 2, undelivered: 0 });
    expect((await metrics()).outbox.undeliverable.byReason['no-url']).toBe(0);
    // the party list shows it too
    const parties = (await (await fetch(`${h.server.url}/api/parties`)).json()) as { eui: string; responseUrl: string | null }[];
    expect(parties.find((p) => p.eui === dashedEui(quiet.supplier))?.responseUrl).toBe(good.url);
  });
});
