import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFromPem, dashedEui } from '../../pki/index.ts';
import { ComplianceStore, postgresOf } from '../../db/index.ts';
import { DCC, DNOS, dnoEui } from '../../src/world/catalogue.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// The JSON API behind the web console: device search (keyset pages, filters, the post-commissioning
// classification the report uses), device slots, certificates, the request detail with annotated
// GBCS, the send route (both legs of 6.15.1), server-sent events, static assets and /docs.

let h: Harness;
const url = (p: string) => `${h.server.url}${p}`;
const getJson = async <T = any>(p: string): Promise<T> => {
  const res = await fetch(url(p));
  expect(res.status, `${p}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
};
const send = async (body: unknown) => {
  const res = await fetch(url('/api/console/send'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

const AT = '2026-11-03T12:00:00.000Z'; // two days after the test world's reference time: some devices are in their window

beforeAll(async () => {
  h = await startHarness();
  const res = await fetch(url('/api/clock'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: AT }) });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await h?.close();
});

describe('device search', () => {
  it('pages by keyset in EUI order, forwards and back, over the same devices as the inventory', async () => {
    const all = h.world.store.listDevices({ limit: 100_000 }).devices.map((d) => dashedEui(d.eui));
    const p1 = await getJson('/api/console/devices?limit=10');
    expect(p1.devices.map((d: any) => d.eui)).toEqual(all.slice(0, 10));
    expect(p1.hasPrevious).toBe(false);
    expect(p1.hasMore).toBe(true);
    const p2 = await getJson(`/api/console/devices?limit=10&after=${p1.last}`);
    expect(p2.devices.map((d: any) => d.eui)).toEqual(all.slice(10, 20));
    expect(p2.hasPrevious).toBe(true);
    const back = await getJson(`/api/console/devices?limit=10&before=${p2.first}`);
    expect(back.devices.map((d: any) => d.eui)).toEqual(all.slice(0, 10));
    expect(back.hasPrevious).toBe(false);
    const last = await getJson(`/api/console/devices?limit=10&after=${all.at(-3)}`);
    expect(last.devices).toHaveLength(2);
    expect(last.hasMore).toBe(false);
  });

  it('filters by EUI prefix (any case, dashes or not), MPxN, supplier, network operator, type and status', async () => {
    const esme = findDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
    const sp = h.world.store.getSupplyPoint(esme.mpxn!)!;
    const byEui = await getJson(`/api/console/devices?eui=${dashedEui(esme.eui).toLowerCase()}`);
    expect(byEui.devices.map((d: any) => d.eui)).toEqual([dashedEui(esme.eui)]);
    expect(byEui.devices[0].supplier).toEqual({ eui: dashedEui(sp.supplierEui!), name: h.world.store.getParty(sp.supplierEui!)!.name });
    const byPrefix = await getJson(`/api/console/devices?eui=${esme.eui.slice(0, 8)}&limit=500`);
    expect(byPrefix.devices.every((d: any) => d.eui.replace(/-/g, '').startsWith(esme.eui.slice(0, 8)))).toBe(true);
    const byMpxn = await getJson(`/api/console/devices?mpxn=${esme.mpxn}`);
    expect(byMpxn.devices.map((d: any) => d.eui)).toEqual([dashedEui(esme.eui)]);
    const combined = await getJson(
      `/api/console/devices?type=ESME&status=Commissioned&supplier=${dashedEui(sp.supplierEui!)}&networkOperator=${sp.networkOperatorEui}&limit=500`,
    );
    expect(combined.devices.map((d: any) => d.eui)).toContain(dashedEui(esme.eui));
    for (const d of combined.devices) {
      expect(d.type).toBe('ESME');
      expect(d.status).toBe('Commissioned');
      expect(d.supplier.eui).toBe(dashedEui(sp.supplierEui!));
      expect(d.networkOperator.eui).toBe(dashedEui(sp.networkOperatorEui));
    }
    const bad = await fetch(url('/api/console/devices?type=KETTLE'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/type must be one of/);
  });

  it('classifies as the post-commissioning report does: the counts per state agree with it, and the device view says the same', async () => {
    const counts = new ComplianceStore(h.world.store.db).postCommissioningCounts({ at: AT, windowDays: 7 });
    const sum = (state: string) => counts.filter((c) => c.state === state).reduce((n, c) => n + c.devices, 0);
    for (const state of ['compliant', 'pending', 'non-compliant'] as const) {
      const page = await getJson(`/api/console/devices?compliance=${state}&limit=500`);
      expect(page.totalCapped).toBe(false);
      expect(page.total, state).toBe(sum(state));
      expect(page.devices.every((d: any) => d.compliance === state)).toBe(true);
    }
    expect(sum('pending')).toBeGreaterThan(0);
    const wrong = (await getJson('/api/console/devices?compliance=non-compliant&type=ESME&limit=1')).devices[0];
    expect(wrong.complianceReason).toBeTruthy();
    const view = await getJson(`/api/console/devices/${wrong.eui}`);
    expect(view.compliance.state).toBe('non-compliant');
    expect(view.compliance.reason).toBe(wrong.complianceReason);
    const noSlot = view.slots.find((s: any) => s.cell === 'networkOperatorDS');
    expect(noSlot.match).toBe('unexpected');
    expect(noSlot.expected.eui).toBe(view.registeredNetworkOperator.eui);
  });

  it('keeps EUI and MPxN searches on their indexes (no scan per keystroke)', () => {
    // the same shape of condition searchDevices writes for a prefix
    const byEui = "SELECT * FROM devices d WHERE d.eui >= '00DB5A0E' AND d.eui < '00DB5A0E~' ORDER BY d.eui LIMIT 26";
    const byMpxn = "SELECT * FROM devices d WHERE d.mpxn >= '14' AND d.mpxn < '14~'";
    if (postgresOf(h.world.store.db)) {
      // PostgreSQL's plan, in its own words; the text columns' "C" collation lets a range use the index
      const plan = (sql: string) => (h.world.store.db.prepare(`EXPLAIN ${sql}`).pluck().all() as string[]).join(' | ');
      expect(plan(byEui)).toMatch(/Index Scan using devices_pkey on devices d .*Index Cond: \(\(eui >= '00DB5A0E'::text\) AND \(eui < '00DB5A0E~'::text\)\)/);
      expect(plan(byMpxn)).toMatch(/Index Scan (using|on) devices_by_mpxn .*Index Cond: \(\(mpxn >= '14'::text\) AND \(mpxn < '14~'::text\)\)/);
      return;
    }
    const plan = (sql: string) => (h.world.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan(byEui)).toMatch(/SEARCH d USING PRIMARY KEY \(eui>\? AND eui<\?\)/);
    expect(plan(byMpxn)).toMatch(/SEARCH d USING INDEX devices_by_mpxn \(mpxn>\? AND mpxn<\?\)/);
  });
});

describe('a device and its slots', () => {
  it('draws the device type’s cells with holder, role, key usage, serial, validity and what registration data expects', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
    const v = await getJson(`/api/console/devices/${esme.eui}`);
    expect(v.slots.map((s: any) => s.cell)).toEqual(['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS']);
    const sup = v.slots.find((s: any) => s.cell === 'supplierDS');
    expect(sup).toMatchObject({ match: 'interim', keyUsage: 'DS', remotePartyRole: 'supplier', cellUsage: 'management' });
    expect(sup.certificate).toMatchObject({ holderEui: dashedEui(DCC.accessControlBroker), keyUsage: 'DS' });
    expect(sup.certificate.serial).toMatch(/^[0-9A-F]+$/);
    expect(sup.expected.eui).toBe(v.registeredSupplier.eui);
    expect(v.slots.find((s: any) => s.cell === 'supplierTopUpKA').cellUsage).toBe('prepaymentTopUp');
    expect(v.slots.find((s: any) => s.cell === 'root').match).toBe('expected');
    const chf = findDevice(h.world, 'CHF', () => true);
    expect((await getJson(`/api/console/devices/${chf.eui}`)).slots.map((s: any) => s.cell)).toEqual(['root', 'recovery', 'acbDS', 'acbKA', 'wanProviderDS']);
    expect((await fetch(url('/api/console/devices/00-DB-5A-FF-00-00-00-01'))).status).toBe(404);
  });

  it('serves a certificate’s details and its PEM', async () => {
    const esme = findDevice(h.world, 'ESME', () => true);
    const id = h.world.store.getDeviceSecurity(esme.eui)!.cells.supplierDS!;
    const c = await getJson(`/api/console/certificates/${id}`);
    expect(c).toMatchObject({ id, keyUsage: 'DS', role: 'supplier', revoked: false });
    expect(c.pem).toContain('-----BEGIN CERTIFICATE-----');
    const pem = await fetch(url(`/api/console/certificates/${id}/pem`));
    expect(pem.headers.get('content-type')).toBe('application/x-pem-file');
    expect(pem.headers.get('content-disposition')).toMatch(/^attachment; filename=".*\.pem"$/);
    expect(Buffer.from(certificateFromPem(await pem.text())).equals(h.world.certificate(id).der)).toBe(true);
    expect((await fetch(url('/api/console/certificates/999999'))).status).toBe(404);
  });
});

describe('sending as a party from the console', () => {
  it('6.21 as the registered supplier is accepted and moves the supplier cells; the request detail decodes DUIS and annotates the GBCS', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
    const { status, body } = await send({ service: '6.21', device: dashedEui(esme.eui), role: 'Supplier' });
    expect(status).toBe(200);
    expect(body.accepted, body.summary).toBe(true);
    expect(body.legs).toHaveLength(1);
    expect(body.legs[0]).toMatchObject({ endpoint: 'serviceS', commandVariant: 1, responseCode: 'I99', changedCells: ['supplierDS', 'supplierKA', 'supplierTopUpKA'] });
    const view = await getJson(`/api/console/devices/${esme.eui}`);
    expect(view.slots.find((s: any) => s.cell === 'supplierDS')).toMatchObject({ match: 'expected', certificate: { holderEui: view.registeredSupplier.eui } });

    const detail = await getJson(`/api/console/requests/${body.legs[0].requestLogId}`);
    expect(detail.accepted).toBe(true);
    expect(detail.duis[0].fields).toEqual(expect.arrayContaining([expect.objectContaining({ label: 'RemotePartyRole', value: 'Supplier' })]));
    expect(detail.duis[0].fields.find((f: any) => f.label === 'DigitalSigningCertificate').certificateId).toBeTypeOf('number');
    const device = detail.gbcs.find((g: any) => g.source.startsWith('device response'));
    expect(device.hex).toMatch(/^DF/);
    expect(device.annotations.length).toBeGreaterThan(10);
    expect(device.annotations.some((a: any) => a.label === 'error')).toBe(false);
  });

  it('6.21 with another DNO’s certificate in the NO role is refused (E062105), with the reason, and changes nothing', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.networkOperatorDS === DCC.accessControlBroker);
    const sp = h.world.store.getSupplyPoint(esme.mpxn!)!;
    const other = DNOS.map((d) => dnoEui(d.distributorId)).find((e) => e !== sp.networkOperatorEui)!;
    const before = h.world.store.getDeviceSecurity(esme.eui);
    const { status, body } = await send({ service: '6.21', device: esme.eui, role: 'NetworkOperator', certificatesOf: dashedEui(other) });
    expect(status).toBe(200);
    expect(body.accepted).toBe(false);
    expect(body.legs[0]).toMatchObject({ responseCode: 'E062105', failedStep: 'network-operator' });
    expect(body.legs[0].reason).toMatch(/registration data names .* for MPAN \d{13}/);
    expect(body.summary).toContain('E062105');
    expect(h.world.store.getDeviceSecurity(esme.eui)).toEqual(before);
  });

  it('6.15.1 goes through both legs: the pre-command (I0), then the signed pre-command to the device (I99)', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => {
      const sp = d.mpxn ? h.world.store.getSupplyPoint(d.mpxn) : undefined;
      return d.status === 'Commissioned' && !!sp && holders.networkOperatorDS === sp.networkOperatorEui;
    });
    const { body } = await send({ service: '6.15.1', device: esme.eui, role: 'NetworkOperator' });
    expect(body.accepted, body.summary).toBe(true);
    expect(body.legs.map((l: any) => [l.endpoint, l.commandVariant, l.responseCode])).toEqual([
      ['serviceT', 4, 'I0'],
      ['serviceS', 5, 'I99'],
    ]);
    expect(body.legs[1].changedCells).toEqual(['networkOperatorDS', 'networkOperatorKA']);
    const newDs = body.certificates.find((c: any) => c.slot === 'DigitalSigningCertificate').id;
    expect(h.world.store.getDeviceSecurity(esme.eui)!.cells.networkOperatorDS).toBe(newDs);
    const first = await getJson(`/api/console/requests/${body.legs[0].requestLogId}`);
    expect(first.gbcs.map((g: any) => g.source)).toEqual(['pre-command (synchronous response)']);
    const second = await getJson(`/api/console/requests/${body.legs[1].requestLogId}`);
    expect(second.gbcs.map((g: any) => g.source)).toEqual(['signed pre-command (request, CV 5)', 'pre-command the DCC built (before signing and the ACB MAC)', 'command the DCC sent to the device', 'device response (asynchronous response)']);
    // the pre-command inside what was sent is the very one leg 1 gave the network operator to sign
    expect(second.gbcs.find((g: any) => g.source.startsWith('pre-command the DCC built')).hex).toBe(first.gbcs[0].hex);
    expect(second.deviceAnswer).toMatch(/^device response \(asynchronous response\)/);
    // The command as it travelled: the signed pre-command inside the ACB's general-ciphering (MAC) wrapper.
    const sent = second.gbcs.find((g: any) => g.source === 'command the DCC sent to the device');
    expect(sent.hex).toMatch(/^DD/);
    expect(sent.summary).toMatch(/^general-ciphering \(ACB MAC\) around general-signing APDU/);
  });

  it('answers 400 for a form it cannot turn into a request', async () => {
    expect((await send({ service: '6.99', device: '00-DB-5A-0E-00-00-00-01', role: 'Supplier' })).status).toBe(400);
    expect((await send({ service: '6.21', device: 'nonsense', role: 'Supplier' })).body.error).toMatch(/not an EUI-64/);
    expect((await send({ service: '6.21', device: '00-DB-5A-FF-00-00-00-01', role: 'Supplier' })).body.error).toMatch(/no device/);
  });
});

describe('live events', () => {
  it('streams every request as a server-sent event with its steps, code, reason and changed cells', async () => {
    const ac = new AbortController();
    const res = await fetch(url('/api/console/events'), { signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (pred: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!pred() && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await until(() => text.includes('event: hello'));
    const gsme = findDevice(h.world, 'GSME', (d) => d.status === 'Commissioned');
    const { body } = await send({ service: '6.21', device: gsme.eui, role: 'NetworkOperator' });
    expect(body.accepted).toBe(false); // a GSME has no network operator cells
    await until(() => text.includes(`id: ${body.legs[0].requestLogId}\n`));
    ac.abort();
    const frame = text.split('\n\n').find((f) => f.startsWith(`id: ${body.legs[0].requestLogId}\n`))!;
    expect(frame).toContain('event: request');
    const data = JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(data).toMatchObject({ accepted: false, responseCode: body.legs[0].responseCode, device: { eui: dashedEui(gsme.eui), type: 'GSME' } });
    expect(data.reason).toBe(body.legs[0].reason);
    expect(data.steps.at(-1).ok).toBe(false);
  });
});

describe('the console itself and /docs', () => {
  it('serves the page and its modules from the simulator, with a same-origin-only CSP', async () => {
    const page = await fetch(url('/'));
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/js/app.js">');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(url('/console/js/app.js'));
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(url('/console/..%2F..%2Fpackage.json'))).status).toBe(404);
    expect((await fetch(url('/console/nope.js'))).status).toBe(404);
  });

  it('describes its JSON API in an OpenAPI 3 document at /docs/openapi.json, rendered at /docs', async () => {
    const doc = await getJson('/docs/openapi.json');
    expect(doc).toEqual(JSON.parse(JSON.stringify(h.server.app.swagger()))); // the document generated from the routes
    expect(doc.openapi).toMatch(/^3\./);
    // a sandbox's routes are its own Fastify instance's, handed the requests under its prefix
    const sandbox = await h.server.sandboxes.create('docs');
    const inSandbox = h.server.sandboxes.served(sandbox.id)!.app;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        const sandboxed = path.startsWith('/sandboxes/{sandboxId}/');
        const fastifyPath = (sandboxed ? path.slice('/sandboxes/{sandboxId}'.length) : path).replace(/\{(\w+)\}/g, ':$1');
        expect((sandboxed ? inSandbox : h.server.app).hasRoute({ method: method.toUpperCase() as 'GET', url: fastifyPath }), `${method} ${path} is served`).toBe(true);
      }
    }
    await h.server.sandboxes.drop(sandbox.id);
    // every console route is documented
    for (const p of ['/api/console/world', '/api/console/parties', '/api/console/devices', '/api/console/devices/{eui}', '/api/console/certificates/{id}', '/api/console/certificates/{id}/pem', '/api/console/requests', '/api/console/requests/{id}', '/api/console/events', '/api/console/send']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    // every $ref resolves
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const target = r.slice(9, -1).split('/').slice(1).reduce((o: any, k: string) => o?.[k], doc);
      expect(target, r).toBeDefined();
    }
    const docs = await fetch(url('/docs'));
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await docs.text()).toContain('/console/js/docs.js');
  });
});
