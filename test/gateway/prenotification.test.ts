import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { buildRequest } from '../../service-requests/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, deviceState, expectRejected, postRaw, requestLog } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, startZaz1WithoutEsme, validateWithTool } from '../helpers/gateway-zaz1.ts';

// 12.2 Device Pre-notification from its RTDS template, signed by the DCC's signing tool, against a
// ZAZ1 world in which the RTDS ESME (…A0, the template's device) has not been delivered yet.

const ESME = '00DB1234567890A0';
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startZaz1WithoutEsme>>;
beforeAll(async () => {
  if (hasJava) h = await startZaz1WithoutEsme();
});
afterAll(async () => h?.closeAll());

async function send(counter: bigint) {
  const signed = await signWithTool(rtdsTemplate('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', counter));
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, 'serviceD', signed);
}

describe.skipIf(!hasJava)('12.2 Device Pre-notification (RTDS template, DCC signing tool)', () => {
  it('the DCC adds the device to the inventory as Pending, DCC controlled, and answers I0 in DUIS the tool accepts', async () => {
    expect(h.world.store.getDevice(ESME)).toBeUndefined();
    const answer = await send(2001n);
    expect(answer.code, answer.reason ?? '').toBe('I0');
    const r = checkDuisAnswer(h.world, answer.body, 'I0');
    expect(r.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '12.2', serviceReferenceVariant: '12.2' });
    await validateWithTool(answer.body);

    expect(h.world.store.getDevice(ESME)).toMatchObject({ type: 'ESME', status: 'Pending', manufacturer: 'AB01', model: '010A030B', firmware: '0002012F', mpxn: null });
    expect(h.world.inventory.detailsOf(ESME)).toMatchObject({ smetsChtsVersion: 'SMETS V1.58', esmeVariant: 'AD', addedBy: ZAZ1_SUPPLIER });
    // Factory cells: the supplier and network operator cells hold the ACB's certificates until a handover.
    const cells = deviceState(h.world, ESME).cells as Record<string, number>;
    for (const cell of ['supplierDS', 'networkOperatorDS', 'acbKA', 'root', 'recovery']) expect(cells[cell], cell).toBeGreaterThan(0);
    expect(h.world.certificate(cells.supplierDS!).subjectEui).toBe('90B3D51F30000002');

    const logged = (await requestLog(h.server.url, `?requestId=${encodeURIComponent(r.requestId!.text)}`))[0]!;
    expect(logged).toMatchObject({ responseCode: 'I0', failedStep: null });
    expect(logged.steps?.map((s) => s.step)).toEqual(['parse', 'signature', 'request-id', 'user-role', 'inventory', 'response-signing']);
  });

  it('8.2 then reads it from the inventory with what the pre-notification said', async () => {
    const read = buildRequest({ requestId: { originator: ZAZ1_SUPPLIER, target: '90B3D51F30000002', counter: 2003n }, commandVariant: 8, body: { kind: 'ReadInventory', by: { deviceId: ESME } } });
    const answer = await postRaw(h.server.url, 'serviceD', await signWithTool(read));
    expect(answer.code, answer.reason ?? '').toBe('I0');
    const r = checkDuisAnswer(h.world, answer.body, 'I0');
    expect(r.body).toMatchObject({ kind: 'ResponseMessage', content: { dspInventory: [expect.objectContaining({ deviceId: ESME, deviceStatus: 'Pending', smetsChtsVersion: 'SMETS V1.58', esmeVariant: 'AD' })] } });
    await validateWithTool(answer.body);
  });

  it('pre-notifying a device the inventory already holds is refused E120201 and changes nothing', async () => {
    const before = h.world.store.getDevice(ESME);
    const answer = await send(2004n);
    expect(answer.code).toBe('E120201');
    expect(answer.reason).toMatch(/ESME 00-DB-12-34-56-78-90-A0 is already in the smart metering inventory \(Pending\)/);
    checkDuisAnswer(h.world, answer.body, 'E120201');
    expect(h.world.store.getDevice(ESME)).toEqual(before);
  });
});

// A comms hub and its GPF are the two halves of one device: a GPF belongs to exactly one hub. The ZAZ1 seed pairs
// the RTDS hub …A2 with its GPF …A3 (12.2's AssociatedGPFDeviceID, as a pre-notification records it).
const PAIRED_HUB = '00DB1234567890A2';
const PAIRED_GPF = '00DB1234567890A3';
const GSME = '00DB1234567890A1';
// A hub and GPF of each test's own, so that no test depends on another's outcome.
const NEW_HUB = '00DB1234567890C2';
const HUB_NAMING_GSME = '00DB1234567890C4';
const NEW_PAIR = { hub: '00DB1234567890C6', gpf: '00DB1234567890C7', other: '00DB1234567890C8' };

/** The 12.2 RTDS template pre-notifying `eui` as a `type`, naming `gpf` as its AssociatedGPFDeviceID, signed by the tool. */
async function prenotifyHub(counter: bigint, eui: string, type: 'CHF' | 'GPF', gpf?: string) {
  const xml = rtdsTemplate('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', counter)
    .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${dashedEui(eui)}`)
    .replace('<sr:DeviceType>ESME', `<sr:DeviceType>${type}`)
    .replace(/<sr:ESMEVariant>[^<]*<\/sr:ESMEVariant>/, gpf ? `<sr:AssociatedGPFDeviceID>${dashedEui(gpf)}</sr:AssociatedGPFDeviceID>` : '');
  const signed = await signWithTool(xml);
  expect(duisXsdErrors(signed)).toEqual([]);
  return signed;
}

/** 8.2 Read Inventory by DeviceID, as the supplier would ask after its pre-notification. */
async function readInventory(counter: bigint, eui: string) {
  const read = buildRequest({ requestId: { originator: ZAZ1_SUPPLIER, target: '90B3D51F30000002', counter }, commandVariant: 8, body: { kind: 'ReadInventory', by: { deviceId: eui } } });
  return postRaw(h.server.url, 'serviceD', await signWithTool(read));
}

describe.skipIf(!hasJava)('12.2 pre-notifying a comms hub with AssociatedGPFDeviceID (DCC signing tool)', () => {
  it('a hub naming a GPF another hub already names is refused E120204, and the inventory is unchanged', async () => {
    expect(h.world.inventory.detailsOf(PAIRED_HUB)?.associatedGpfEui).toBe(PAIRED_GPF);
    const r = await expectRejected(h.world, h.server.url, 'serviceD', await prenotifyHub(3001n, NEW_HUB, 'CHF', PAIRED_GPF), {
      code: 'E120204',
      reason: /GPF 00-DB-12-34-56-78-90-A3 is already paired with comms hub 00-DB-12-34-56-78-90-A2/,
      step: 'inventory',
      passed: ['parse', 'signature', 'request-id', 'user-role'],
      originator: ZAZ1_SUPPLIER,
    });
    expect(r.response.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '12.2', serviceReferenceVariant: '12.2' });
    // The supplier asks for the hub it tried to pre-notify: the inventory has no such device; A2 still has A3.
    const read = await readInventory(3002n, NEW_HUB);
    expect(read.code, read.reason ?? '').toBe('E080201');
    expect(h.world.inventory.detailsOf(PAIRED_HUB)?.associatedGpfEui).toBe(PAIRED_GPF);
  });

  it('a hub naming a device that is not a GPF (the GSME …A1) is refused E120204, and the inventory is unchanged', async () => {
    await expectRejected(h.world, h.server.url, 'serviceD', await prenotifyHub(3003n, HUB_NAMING_GSME, 'CHF', GSME), {
      code: 'E120204',
      reason: /AssociatedGPFDeviceID 00-DB-12-34-56-78-90-A1 is a GSME, not a GPF/,
      step: 'inventory',
      originator: ZAZ1_SUPPLIER,
    });
  });

  it('a hub naming a GPF no hub has yet is paired with it; the same pre-notification again is refused E120201, another hub naming it E120204', async () => {
    expect((await postRaw(h.server.url, 'serviceD', await prenotifyHub(3004n, NEW_PAIR.gpf, 'GPF'))).code).toBe('I0');
    const first = await postRaw(h.server.url, 'serviceD', await prenotifyHub(3005n, NEW_PAIR.hub, 'CHF', NEW_PAIR.gpf));
    expect(first.code, first.reason ?? '').toBe('I0');
    expect(h.world.inventory.detailsOf(NEW_PAIR.hub)?.associatedGpfEui).toBe(NEW_PAIR.gpf);
    await expectRejected(h.world, h.server.url, 'serviceD', await prenotifyHub(3006n, NEW_PAIR.hub, 'CHF', NEW_PAIR.gpf), {
      code: 'E120201',
      reason: /CHF 00-DB-12-34-56-78-90-C6 is already in the smart metering inventory \(Pending\)/,
      step: 'inventory',
      originator: ZAZ1_SUPPLIER,
    });
    // Paired by the pre-notification alone (neither is installed yet), the GPF is taken all the same.
    await expectRejected(h.world, h.server.url, 'serviceD', await prenotifyHub(3007n, NEW_PAIR.other, 'CHF', NEW_PAIR.gpf), {
      code: 'E120204',
      reason: /GPF 00-DB-12-34-56-78-90-C7 is already paired with comms hub 00-DB-12-34-56-78-90-C6/,
      step: 'inventory',
      originator: ZAZ1_SUPPLIER,
    });
  });
});
