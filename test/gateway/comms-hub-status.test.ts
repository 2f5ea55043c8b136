import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, type ServiceBody } from '../../service-requests/index.ts';
import { ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { deviceCompliance } from '../../src/compliance/index.ts';
import { startHarness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, postRaw } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 8.14.1 to 8.14.4 Communications Hub Status Update from their RTDS templates (GITTESTSUPPLIER and
// the RTDS comms hub …A2 at MPxN 1000999888), signed by the DCC's signing tool, against a ZAZ1 world
// in which the hub has not been delivered yet and 1000999888 is in registration data, supplied by
// GITTESTSUPPLIER. The hub is pre-notified (12.2), installed without and then with SM WAN, returned.

const HUB = '00DB1234567890A2';
const TEMPLATE_MPXN = '1000999888';
const DCC = '90B3D51F30000002';
const SUPPLIER2 = '90B3D51F30030000';
const T = {
  smWan: '8.14.1_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_SUCCESS_REQUEST_DUIS.XML',
  noSmWan: '8.14.2_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_NO_SM_WAN_REQUEST_DUIS.XML',
  fault: '8.14.3_COMMUNICATIONS_HUB_STATUS_UPDATE_FAULT_RETURN_REQUEST_DUIS.XML',
  noFault: '8.14.4_COMMUNICATIONS_HUB_STATUS_UPDATE_NO_FAULT_RETURN_REQUEST_DUIS.XML',
};
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startHarness>>;
let counter = 5000n;
beforeAll(async () => {
  if (!hasJava) return;
  h = await startHarness({ file: zaz1WorldFile() });
  h.world.store.transaction(() => {
    h.world.inventory.delete(HUB);
    h.world.store.registration.insertSupplyPoint({ mpxn: TEMPLATE_MPXN, fuel: 'G', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: null, postcode: null, address: null });
  });
});
afterAll(async () => h?.close());

async function post(unsigned: string) {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, 'serviceD', signed);
}

const request = (originator: string, body: ServiceBody) => buildRequest({ requestId: { originator, target: DCC, counter: ++counter }, commandVariant: 8, body });
const hubNow = () => JSON.stringify([h.world.store.getDevice(HUB), h.world.inventory.detailsOf(HUB)]);

async function expectAnswered(unsigned: string, variant: string) {
  const a = await post(unsigned);
  expect(a.code, a.reason ?? '').toBe('I0');
  const r = checkDuisAnswer(h.world, a.body, 'I0');
  expect(r.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '8.14', serviceReferenceVariant: variant });
  expect(r.body.kind === 'ResponseMessage' && r.body.content).toBeUndefined();
  await validateWithTool(a.body);
}

async function expectRefused(unsigned: string, code: string, reason: RegExp) {
  const before = hubNow();
  const a = await post(unsigned);
  expect(a.code, a.reason ?? '').toBe(code);
  expect(a.reason).toMatch(reason);
  checkDuisAnswer(h.world, a.body, code);
  expect(hubNow()).toBe(before);
}

async function prenotifyHub() {
  const a = await post(request(ZAZ1_SUPPLIER, { kind: 'DevicePrenotification', deviceId: HUB, manufacturer: 'AB01', model: 'CH-1', deviceType: 'CHF' }));
  expect(a.code, a.reason ?? '').toBe('I0');
  expect(h.world.store.getDevice(HUB)?.status).toBe('Pending');
}

describe.skipIf(!hasJava)('8.14 Communications Hub Status Update (RTDS templates, DCC signing tool)', () => {
  it('installs the hub without SM WAN, then with it, and returns it without fault; refusals change nothing', async () => {
    await expectRefused(rtdsTemplate(T.smWan, ++counter), 'E081401', /00-DB-12-34-56-78-90-A2 is not in the smart metering inventory/);
    await prenotifyHub();
    const install = { deviceId: HUB, reference: {}, mpxn: TEMPLATE_MPXN, aerialInstall: true, location: 'Basement or Cellar' } as const;
    await expectRefused(request(SUPPLIER2, { kind: 'CHFInstallSuccessSMWAN', installType: 'New CHF Install', ...install }), 'E4', /GITTESTSUPPLIER2 is not responsible for CHF/);
    await expectRefused(request(ZAZ1_SUPPLIER, { kind: 'CHFInstallSuccessSMWAN', installType: 'New CHF Install', ...install, mpxn: '1999999999' }), 'E081405', /not in registration data/);
    await expectRefused(request(ZAZ1_SUPPLIER, { kind: 'CHFInstallSuccessSMWAN', installType: 'CHF Install - no SM WAN', ...install }), 'E081406', /CHF Install - no SM WAN/);

    await expectAnswered(rtdsTemplate(T.noSmWan, ++counter), '8.14.2');
    expect(h.world.store.getDevice(HUB)).toMatchObject({ status: 'InstalledNotCommissioned', commissionedAt: null });
    expect(h.world.inventory.detailsOf(HUB)?.smWan).toBe('NoSMWAN');

    await expectAnswered(rtdsTemplate(T.smWan, ++counter), '8.14.1');
    expect(h.world.store.getDevice(HUB)).toMatchObject({ status: 'Commissioned', commissionedAt: expect.any(String) });
    expect(h.world.inventory.detailsOf(HUB)?.smWan).toBe('Connected');
    await expectRefused(rtdsTemplate(T.smWan, ++counter), 'E081402', /is Commissioned; only a Pending, Whitelisted, InstalledNotCommissioned hub/);
    // The template's fault was identified before installation; this hub was installed.
    await expectRefused(rtdsTemplate(T.fault, ++counter), 'E081406', /prior to installation, but comms hub .* is Commissioned/);

    await expectAnswered(rtdsTemplate(T.noFault, ++counter), '8.14.4');
    expect(h.world.store.getDevice(HUB)?.status).toBe('Withdrawn');
    await expectRefused(rtdsTemplate(T.noFault, ++counter), 'E081402', /is Withdrawn; it has already left service/);
  });

  it('withdraws a hub found faulty before installation', async () => {
    h.world.store.transaction(() => h.world.inventory.delete(HUB));
    await prenotifyHub();
    await expectAnswered(rtdsTemplate(T.fault, ++counter), '8.14.3');
    expect(h.world.store.getDevice(HUB)?.status).toBe('Withdrawn');
  });

  it("commissions the hub's Gas Proxy Function with the hub, and starts its 7-day clock", async () => {
    h.world.store.transaction(() => h.world.inventory.delete(HUB));
    const GPF = '00DB1234567890B3';
    await prenotifyHub();
    const pre = await post(request(ZAZ1_SUPPLIER, { kind: 'DevicePrenotification', deviceId: GPF, manufacturer: 'AB01', model: 'CH-1 GPF', deviceType: 'GPF' }));
    expect(pre.code, pre.reason ?? '').toBe('I0');
    const mpxn = await post(request(ZAZ1_SUPPLIER, { kind: 'UpdateInventory', deviceId: GPF, update: { kind: 'mpxn', which: 'ImportMPxN', value: TEMPLATE_MPXN } }));
    expect(mpxn.code, mpxn.reason ?? '').toBe('I0');
    expect(h.world.store.getDevice(GPF)).toMatchObject({ status: 'Pending', commissionedAt: null });

    // No SM WAN yet: the GPF is installed with its hub, not commissioned; the report does not count it.
    await expectAnswered(rtdsTemplate(T.noSmWan, ++counter), '8.14.2');
    expect(h.world.store.getDevice(GPF)).toMatchObject({ status: 'InstalledNotCommissioned', commissionedAt: null, commsHubEui: HUB });
    expect(deviceCompliance(h.world, GPF)).toBeUndefined();

    const before = Date.now();
    await expectAnswered(rtdsTemplate(T.smWan, ++counter), '8.14.1');
    const gpf = h.world.store.getDevice(GPF)!;
    expect(gpf).toMatchObject({ status: 'Commissioned', commsHubEui: HUB });
    expect(gpf.commissionedAt).toBe(h.world.store.getDevice(HUB)?.commissionedAt);
    expect(Date.parse(gpf.commissionedAt!)).toBeGreaterThanOrEqual(before - 1000);
    // Day 0 of its 7 days: the report counts it from this install.
    expect(deviceCompliance(h.world, GPF)).toMatchObject({ daysSinceCommissioning: 0 });
  });
});
