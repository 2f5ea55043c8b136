import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../service-requests/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, deviceState, postRaw, requestLog } from '../helpers/gateway-checks.ts';
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
