import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { parseDuisResponse } from '../../service-requests/index.ts';
import { prepareRequest } from '../../src/client.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { rtdsTemplate, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';
import { Receiver } from '../resilience/kit.ts';

// Fault injection on a real server over a ZAZ1 world: each fault kind set through the API, its effect as a
// DUIS User sees it (the final outcome of a Read Supply Status, the delivery of its answer, an alert in the
// supplier's mailbox), and cleared in one call.

const ESME = '00DB1234567890A0';
const HUB = '00DB1234567890A2';
let h: Harness;
const receiver = new Receiver();

beforeAll(async () => {
  h = await startHarness({ file: zaz1WorldFile(), workers: 0 });
  await receiver.start();
});
afterAll(async () => {
  await h?.close();
  await receiver.stop();
  if (h) rmSync(dirname(h.file), { recursive: true, force: true });
});

const api = async (method: string, p: string, body?: unknown) => {
  const res = await fetch(`${h.server.url}${p}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json() as any };
};

/** A Read Supply Status to the RTDS ESME; its request-log row once the DCC has answered. */
async function readSupply(): Promise<{ requestId: string; finalResponseCode: string; finalReason: string | null; deviceAlertCode: string | null; sentAt: number }> {
  const p = prepareRequest(rtdsTemplate('ECS45_7.4_SUCCESS_REQUEST_DUIS.XML', h.nextCounter()));
  const sentAt = Date.now();
  const a = await h.post('serviceS', h.signAs(p.originator, p.xml));
  expect(a.code).toBe('I99');
  const row = (await api('GET', `/api/requests?requestId=${encodeURIComponent(p.requestId)}`)).body[0];
  return { ...row, requestId: p.requestId, sentAt };
}

describe('fault injection', () => {
  it('device offline: E21 (no response) and the device untouched; cleared, the read is carried out', async () => {
    expect((await api('PUT', `/api/faults/${ESME}`, { kind: 'device-offline' })).status).toBe(200);
    const before = h.world.store.getDeviceSecurity(ESME);
    const r = await readSupply();
    expect(r).toMatchObject({ finalResponseCode: 'E21' });
    expect(r.finalReason).toMatch(/does not answer \(injected fault: device offline\)/);
    expect(h.world.store.getDeviceSecurity(ESME)).toEqual(before);
    expect((await api('DELETE', `/api/faults/${ESME}`)).body).toEqual({ cleared: 1 });
    expect((await readSupply()).finalResponseCode).toBe('I0');
  });

  it('device refuses with a chosen alert code: E21 carrying that code', async () => {
    await api('PUT', `/api/faults/${ESME}`, { kind: 'device-refuses', detail: '8f30' });
    const r = await readSupply();
    expect(r).toMatchObject({ finalResponseCode: 'E21', deviceAlertCode: '8F30' });
    await api('DELETE', `/api/faults/${ESME}?kind=device-refuses`);
    expect((await readSupply()).finalResponseCode).toBe('I0');
  });

  it('comms hub down: every device behind it answers E20', async () => {
    expect((await api('PUT', `/api/faults/${ESME}`, { kind: 'hub-down' })).status).toBe(400); // not a hub
    await api('PUT', `/api/faults/${HUB}`, { kind: 'hub-down' });
    const r = await readSupply();
    expect(r.finalResponseCode).toBe('E20');
    expect(r.finalReason).toMatch(/comms hub 00-DB-12-34-56-78-90-A2 is down/);
    expect((await api('GET', '/api/faults')).body.map((f: any) => [f.targetEui, f.kind])).toEqual([['00-DB-12-34-56-78-90-A2', 'hub-down']]);
    await api('DELETE', `/api/faults/${HUB}`);
    expect((await readSupply()).finalResponseCode).toBe('I0');
  });

  it("slow WAN and a late or dropping receiver delay or fail the answer's delivery, which goes once cleared", { timeout: 30_000 }, async () => {
    await api('PUT', `/api/parties/${ZAZ1_SUPPLIER}/response-url`, { url: receiver.url });
    await api('PUT', `/api/faults/${ESME}`, { kind: 'slow-wan', detail: '2' });
    const slow = await readSupply();
    await expect.poll(() => receiver.accepted.some((d) => d.body.includes(slow.requestId)), { timeout: 10_000 }).toBe(true);
    const at = receiver.accepted.find((d) => d.body.includes(slow.requestId))!.at;
    expect(at - slow.sentAt).toBeGreaterThanOrEqual(1_900);
    await api('DELETE', `/api/faults/${ESME}`);

    expect((await api('PUT', `/api/faults/${ZAZ1_SUPPLIER}`, { kind: 'receiver-drops' })).status).toBe(200);
    const dropped = await readSupply();
    const inbox = async () => (await api('GET', `/api/parties/${ZAZ1_SUPPLIER}/inbox`)).body.entries.find((e: any) => e.requestId === dropped.requestId);
    await expect.poll(async () => (await inbox())?.status, { timeout: 10_000 }).toBe('receiver-failing');
    expect((await inbox()).lastError).toMatch(/dropped the connection \(injected fault\)/);
    await api('DELETE', `/api/faults/${ZAZ1_SUPPLIER}`);
    await expect.poll(async () => (await inbox())?.status, { timeout: 15_000 }).toBe('delivered');

    await api('PUT', `/api/faults/${ZAZ1_SUPPLIER}`, { kind: 'receiver-delays', detail: '1' });
    const late = await readSupply();
    await expect.poll(() => receiver.accepted.some((d) => d.body.includes(late.requestId)), { timeout: 10_000 }).toBe(true);
    expect(receiver.accepted.find((d) => d.body.includes(late.requestId))!.at - late.sentAt).toBeGreaterThanOrEqual(900);
    expect((await api('DELETE', `/api/faults/${ZAZ1_SUPPLIER}`)).body).toEqual({ cleared: 1 });
  });

  it('alerts on demand reach the supplier as DUIS device alerts, critical ones signed by the device', async () => {
    const bad = await api('POST', `/api/devices/${ESME}/alerts`, { alertCode: 'XYZ' });
    expect(bad.status).toBe(400);
    const critical = await api('POST', `/api/devices/${ESME}/alerts`, { alertCode: '8F30' });
    expect(critical.body).toEqual({ alertCode: '8F30', to: '90-B3-D5-1F-30-01-00-00' });
    await api('POST', `/api/devices/${ESME}/alerts`, { alertCode: '810e' });
    const entries = (await api('GET', `/api/parties/${ZAZ1_SUPPLIER}/inbox`, undefined)).body.entries.filter((e: any) => e.kind === 'device-alert');
    expect(entries.map((e: any) => e.responseCode).slice(0, 2).sort()).toEqual(['810E', '8F30']);
    const xml = (await api('GET', `/api/parties/${ZAZ1_SUPPLIER}/inbox?xml=1&limit=2`)).body.entries.find((e: any) => e.responseCode === '8F30').xml;
    const r = parseDuisResponse(xml);
    if (r.body.kind !== 'DeviceAlertMessage') throw new Error(r.body.kind);
    const m = decodeGbcsMessage(r.body.gbcsPayload);
    expect(m.apdu).toMatchObject({ cra: 'alert', originator: ESME, target: ZAZ1_SUPPLIER, messageCode: 0x1000 });
    expect(m.apdu.signature).not.toBeNull();
  });
});
