import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { cellHolder, findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// The cockpit's remaining pieces over a real server (issue 18 item 6 and the reports): the timeline
// downloaded whole with its filters, DCC controlled as a device search filter, what the device made
// of a command the DCC built (also when it discarded it), and the post-commissioning report per
// supplier agreeing with the device search its counts open.

let h: Harness;
const url = (p: string) => `${h.server.url}${p}`;
const getJson = async <T = any>(p: string): Promise<T> => {
  const res = await fetch(url(p));
  expect(res.status, `${p}: ${res.status} ${res.status === 200 ? '' : await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
};
const send = async (body: unknown) => {
  const res = await fetch(url('/api/console/send'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};
const AT = '2026-11-03T12:00:00.000Z';

let handover: { eui: string; first: any; second: any };

beforeAll(async () => {
  h = await startHarness();
  expect((await fetch(url('/api/clock'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: AT }) })).status).toBe(200);
  // the README's handover, twice: accepted, then discarded by the device (its supplier cells have moved on)
  const esme = findDevice(h.world, 'ESME', (d, holders) => holders.supplierDS === DCC.accessControlBroker);
  const eui = dashedEui(esme.eui);
  handover = { eui, first: await send({ service: '6.21', device: eui, role: 'Supplier' }), second: await send({ service: '6.21', device: eui, role: 'Supplier' }) };
  expect(handover.first.succeeded, handover.first.summary).toBe(true);
  expect(handover.second.succeeded, handover.second.summary).toBe(false);
  // and more refusals than a page of the timeline holds: a GSME has no network operator cells
  const gsme = dashedEui(findDevice(h.world, 'GSME', (d) => d.status === 'Commissioned').eui);
  for (let i = 0; i < 60; i++) expect((await send({ service: '6.21', device: gsme, role: 'NetworkOperator' })).accepted).toBe(false);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

function parseCsv(text: string): Record<string, string>[] {
  // the exported cells quote commas and quotes; a small reader for the test's own check
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head!.map((k, i) => [k, r[i] ?? ''])));
}

describe('timeline export', () => {
  it('downloads every request the filters match as CSV and JSON, not only a page', async () => {
    const failures = h.server.dcc.gateway.listRequests({ outcome: 'failure', limit: 100_000 }).map((r) => r.id);
    expect(failures.length).toBeGreaterThan(60); // more than the timeline's page of 50
    const page = await getJson<any[]>('/api/console/requests?outcome=failure');
    expect(page.length).toBeLessThan(failures.length);

    const res = await fetch(url('/api/console/requests/export?format=csv&outcome=failure'));
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="dcc-sim-requests-.*\.csv"$/);
    const rows = parseCsv(await res.text());
    expect(rows.map((r) => Number(r.id))).toEqual(failures);
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['failure']));
    // the device's refusal: acknowledged I99, final E21 with the device's reason and alert code
    const refused = rows.find((r) => Number(r.id) === handover.second.legs[0].requestLogId)!;
    expect(refused).toMatchObject({ response_code: 'I99', final_response_code: 'E21', device_eui: handover.eui, service_reference_variant: '6.21' });
    expect(refused.final_reason).toMatch(/device discarded the command/);
    expect(refused.device_alert_code).toMatch(/^[0-9A-F]{4}$/);

    const json = await getJson<any[]>('/api/console/requests/export?format=json&outcome=failure');
    expect(json.map((e) => e.id)).toEqual(failures);
    expect(json[0]).toEqual(page[0]); // the same entries the timeline shows
  });

  it('takes the timeline filters: device and service', async () => {
    const rows = parseCsv(await (await fetch(url(`/api/console/requests/export?device=${handover.eui}&service=6.21`))).text());
    expect(rows.map((r) => Number(r.id))).toEqual([handover.second.legs[0].requestLogId, handover.first.legs[0].requestLogId]);
    expect(rows.map((r) => r.outcome)).toEqual(['failure', 'success']);
    expect(rows[1]!.changed_cells).toBe('supplierDS supplierKA supplierTopUpKA');
    const bad = await fetch(url('/api/console/requests/export?format=xlsx'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/csv, json/);
  });
});

describe('the device search', () => {
  it('finds DCC controlled devices: supplier cells holding the ACB’s certificates; a handed-over device leaves the list', async () => {
    const page = await getJson('/api/console/devices?dccControlled=true&limit=500');
    expect(page.devices.length).toBeGreaterThan(0);
    for (const d of page.devices) expect(cellHolder(h.world, d.eui.replace(/-/g, ''), 'supplierDS'), d.eui).toBe(DCC.accessControlBroker);
    // exactly those: every other ESME in the world has its supplier's cells
    const all = h.world.store.listDevices({ limit: 100_000 }).devices.filter((d) => cellHolder(h.world, d.eui, 'supplierDS') === DCC.accessControlBroker);
    expect(page.devices.map((d: any) => d.eui)).toEqual(all.map((d) => dashedEui(d.eui)));
    expect(page.devices.map((d: any) => d.eui)).not.toContain(handover.eui);
    // some not commissioned devices are not DCC controlled any more: the filter is about the cells, not the status
    const handedOver = h.world.store.getDevice(handover.eui.replace(/-/g, ''))!;
    expect(handedOver.status === 'Commissioned' || handedOver.status === 'InstalledNotCommissioned').toBe(true);
  });
});

describe('a command the DCC built, taken apart', () => {
  it('shows the pre-command, the MAC’d command and the device’s answer, accepted or discarded', async () => {
    const ok = await getJson(`/api/console/requests/${handover.first.legs[0].requestLogId}`);
    expect(ok.gbcs.map((g: any) => g.source)).toEqual(['pre-command the DCC built (before signing and the ACB MAC)', 'command the DCC sent to the device', 'device response (asynchronous response)']);
    const pre = ok.gbcs[0];
    expect(pre.hex).toMatch(/^DF/);
    expect(pre.annotations.some((a: any) => a.label === 'error')).toBe(false);
    // the command sent carries the pre-command's octets inside its signature and MAC
    expect(ok.gbcs[1].hex).toContain(pre.hex.slice(2, -2));
    expect(ok.deviceAnswer).toMatch(/^device response/);

    const refused = await getJson(`/api/console/requests/${handover.second.legs[0].requestLogId}`);
    expect(refused.succeeded).toBe(false);
    expect(refused.gbcs.map((g: any) => g.source)).toEqual(['pre-command the DCC built (before signing and the ACB MAC)', 'command the DCC sent to the device']);
    expect(refused.deviceAnswer).toMatch(new RegExp(`^none: the device discarded the command .*alert code ${refused.deviceAlertCode}.*originator .* is not .*E21`));
  });
});

describe('the post-commissioning report per supplier', () => {
  it('scopes to a supplier and agrees with the device search its counts open', async () => {
    const whole = await getJson('/api/reports/post-commissioning?limit=0');
    const supplier = [...whole.bySupplier].sort((a: any, b: any) => b.nonCompliant - a.nonCompliant)[0];
    expect(supplier.nonCompliant).toBeGreaterThan(0);
    const own = await getJson(`/api/reports/post-commissioning?supplier=${supplier.eui}&state=non-compliant&limit=1000`);
    expect(own.totals).toMatchObject({ devices: supplier.devices, nonCompliant: supplier.nonCompliant, pending: supplier.pending });
    expect(own.devices).toHaveLength(supplier.nonCompliant);
    for (const d of own.devices) expect(d.supplierEui.replace(/-/g, '')).toBe(supplier.eui.replace(/-/g, ''));
    // the report's click-through: the device search for that supplier and state finds the same devices
    const search = await getJson(`/api/console/devices?supplier=${supplier.eui}&compliance=non-compliant&limit=500`);
    expect(search.total).toBe(supplier.nonCompliant);
    expect(search.devices.map((d: any) => d.eui).sort()).toEqual(own.devices.map((d: any) => dashedEui(d.eui.replace(/-/g, ''))).sort());
  });
});
