import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../service-requests/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { startHarness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, postRaw } from '../helpers/gateway-checks.ts';
import { retrieveXml } from '../helpers/gateway-requests.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 8.3 Decommission Device from its RTDS template (GITTESTSUPPLIER decommissions the RTDS ESME …A0,
// whose MPAN it supplies), signed by the DCC's signing tool, against a ZAZ1 world.

const ESME = '00DB1234567890A0';
const CHF = '00DB1234567890A2';
const DCC = '90B3D51F30000002';
const SUPPLIER2 = '90B3D51F30030000';
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startHarness>>;
let counter = 4000n;
beforeAll(async () => {
  if (hasJava) h = await startHarness({ file: zaz1WorldFile() });
});
afterAll(async () => h?.close());

async function post(endpoint: 'serviceS' | 'serviceD', unsigned: string) {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, endpoint, signed);
}

const decommission = (originator: string, eui: string) =>
  buildRequest({ requestId: { originator, target: DCC, counter: ++counter }, commandVariant: 8, body: { kind: 'DecommissionDevice', deviceId: eui } });

async function expectRefused(unsigned: string, code: string, reason: RegExp) {
  const before = JSON.stringify([h.world.store.getDevice(ESME), h.world.store.getDevice(CHF)]);
  const a = await post('serviceD', unsigned);
  expect(a.code, a.reason ?? '').toBe(code);
  expect(a.reason).toMatch(reason);
  checkDuisAnswer(h.world, a.body, code);
  expect(JSON.stringify([h.world.store.getDevice(ESME), h.world.store.getDevice(CHF)])).toBe(before);
}

describe.skipIf(!hasJava)('8.3 Decommission Device (RTDS template, DCC signing tool)', () => {
  it('refuses what does not fit and changes nothing', async () => {
    await expectRefused(decommission(SUPPLIER2, ESME), 'E080302', /GITTESTSUPPLIER2 is not responsible for ESME 00-DB-12-34-56-78-90-A0/);
    await expectRefused(decommission(ZAZ1_SUPPLIER, '00DB1234567890FF'), 'E080301', /not in the smart metering inventory/);
  });

  it('the DCC marks the ESME Decommissioned and answers I0 in DUIS the tool accepts; the device then takes no device command (E5)', async () => {
    expect(h.world.store.getDevice(ESME)?.status).toBe('Commissioned');
    const a = await post('serviceD', rtdsTemplate('8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML', ++counter));
    expect(a.code, a.reason ?? '').toBe('I0');
    const r = checkDuisAnswer(h.world, a.body, 'I0');
    expect(r.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '8.3', serviceReferenceVariant: '8.3' });
    expect(r.body.kind === 'ResponseMessage' && r.body.content).toBeUndefined();
    await validateWithTool(a.body);
    expect(h.world.store.getDevice(ESME)?.status).toBe('Decommissioned');

    const retrieve = await post('serviceS', retrieveXml(ZAZ1_SUPPLIER, ESME, ++counter));
    expect(retrieve.code, retrieve.reason ?? '').toBe('E5');
    expect(retrieve.reason).toMatch(/Decommissioned/);
    await expectRefused(rtdsTemplate('8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML', ++counter), 'E5', /is Decommissioned; only .* devices are decommissioned/);
  });
});
