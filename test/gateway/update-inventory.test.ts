import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotePartyRole } from '../../pki/index.ts';
import { buildRequest, type ServiceBody } from '../../service-requests/index.ts';
import { ZAZ1_MPAN, ZAZ1_MPRN, ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { asyncResponses, checkDuisAnswer, postRaw } from '../helpers/gateway-checks.ts';
import { handoverXml, ocaDer, orgCerts } from '../helpers/gateway-requests.ts';
import { javaAvailable, rtdsTemplate, signWithTool, startZaz1WithoutEsme, validateWithTool } from '../helpers/gateway-zaz1.ts';

// 8.4 Update Inventory from its RTDS template, signed by the DCC's signing tool, and the install
// flow it carries: pre-notified (12.2), installed, given its MPAN, handed over by its supplier (6.21).

const ESME = '00DB1234567890A0';
const DCC = '90B3D51F30000002';
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startZaz1WithoutEsme>>;
let counter = 3000n;
beforeAll(async () => {
  if (hasJava) h = await startZaz1WithoutEsme();
});
afterAll(async () => h?.closeAll());

async function post(endpoint: 'serviceS' | 'serviceD', unsigned: string) {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, endpoint, signed);
}

const update = (originator: string, u: Extract<ServiceBody, { kind: 'UpdateInventory' }>['update']) =>
  buildRequest({ requestId: { originator, target: DCC, counter: ++counter }, commandVariant: 8, body: { kind: 'UpdateInventory', deviceId: ESME, update: u } });

async function expectRefused(unsigned: string, code: string, reason: RegExp) {
  const before = JSON.stringify([h.world.store.getDevice(ESME), h.world.inventory.detailsOf(ESME)]);
  const a = await post('serviceD', unsigned);
  expect(a.code, a.reason ?? '').toBe(code);
  expect(a.reason).toMatch(reason);
  checkDuisAnswer(h.world, a.body, code);
  expect(JSON.stringify([h.world.store.getDevice(ESME), h.world.inventory.detailsOf(ESME)])).toBe(before);
}

describe.skipIf(!hasJava)('8.4 Update Inventory (RTDS template, DCC signing tool)', () => {
  it('deletes a pre-notified device that was never installed: the RTDS template, answered I0 in DUIS the tool accepts', async () => {
    expect((await post('serviceD', rtdsTemplate('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', ++counter))).code).toBe('I0');
    expect(h.world.store.getDevice(ESME)?.status).toBe('Pending');
    const a = await post('serviceD', rtdsTemplate('8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML', ++counter));
    expect(a.code, a.reason ?? '').toBe('I0');
    expect(checkDuisAnswer(h.world, a.body, 'I0').body).toMatchObject({ serviceReference: '8.4', serviceReferenceVariant: '8.4' });
    await validateWithTool(a.body);
    expect(h.world.store.getDevice(ESME)).toBeUndefined();
    expect(h.world.store.getDeviceSecurity(ESME)).toBeUndefined();
  });

  it('carries a pre-notified ESME through installation to a supplier handover', async () => {
    expect((await post('serviceD', rtdsTemplate('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', ++counter))).code).toBe('I0');

    // Only its responsible supplier (here: the party that pre-notified it) may change its record.
    await expectRefused(update(ZAZ1_NETWORK_OPERATOR, { kind: 'status', commsHub: false, status: 'InstalledNotCommissioned' }), 'E080406', /is not responsible for ESME 00-DB-12-34-56-78-90-A0/);
    await expectRefused(update(ZAZ1_SUPPLIER, { kind: 'status', commsHub: true, status: 'Commissioned' }), 'E080407', /UpdateDeviceStatusCH is for a comms hub/);
    await expectRefused(update(ZAZ1_SUPPLIER, { kind: 'mpxn', which: 'ImportMPxN', value: ZAZ1_MPRN }), 'E080411', /is an MPRN; ESME .* needs an MPAN/);
    await expectRefused(update(ZAZ1_SUPPLIER, { kind: 'mpxn', which: 'ImportMPxN', value: '1999999999999' }), 'E080410', /not in registration data/);

    const installed = await post('serviceD', update(ZAZ1_SUPPLIER, { kind: 'status', commsHub: false, status: 'InstalledNotCommissioned' }));
    expect(installed.code, installed.reason ?? '').toBe('I0');
    const mpan = await post('serviceD', update(ZAZ1_SUPPLIER, { kind: 'mpxn', which: 'ImportMPxN', value: ZAZ1_MPAN }));
    expect(mpan.code, mpan.reason ?? '').toBe('I0');
    const details = await post('serviceD', update(ZAZ1_SUPPLIER, { kind: 'details', firmwareVersion: '00030001', esmeVariant: 'A' }));
    expect(details.code, details.reason ?? '').toBe('I0');
    expect(h.world.store.getDevice(ESME)).toMatchObject({ status: 'InstalledNotCommissioned', mpxn: ZAZ1_MPAN, firmware: '00030001' });
    expect(h.world.inventory.detailsOf(ESME)?.esmeVariant).toBe('A');

    // Installed and registered: deleting it is refused; its registered supplier takes it over.
    await expectRefused(update(ZAZ1_SUPPLIER, { kind: 'delete' }), 'E080409', /only a Pending device/);
    // The keystore's own supplier certificates expired in 2026: time-based path checks off, as DCC Boxed users send them.
    const certs = orgCerts(h.world, ZAZ1_SUPPLIER, RemotePartyRole.Supplier);
    const requestId = `90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:${++counter}`;
    const handover = await post('serviceS', handoverXml({ sender: ZAZ1_SUPPLIER, target: ESME, counter, role: 'Supplier', ds: certs.ds, ka: certs.ka, path: [ocaDer(h.world)], floor: 0n, applyTime: false }));
    expect(handover.code, handover.reason ?? '').toBe('I99');
    const device = (await asyncResponses(h.server.url, requestId)).map((r) => `${r.kind} ${r.responseCode}`);
    expect(device).toContain('response I0');
    const cells = h.world.store.getDeviceSecurity(ESME)!.cells as Record<string, number>;
    expect(h.world.certificate(cells.supplierDS!).subjectEui).toBe(ZAZ1_SUPPLIER);
  });
});
