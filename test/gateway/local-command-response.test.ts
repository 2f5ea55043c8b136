import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, parseDuisRequest } from '../../service-requests/index.ts';
import { startHarness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, deviceState, postRaw, requestLog } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 8.13 Return Local Command Response from its RTDS template (GITTESTSUPPLIER returns the RTDS ESME
// …A0's CS06 response to its request with counter 1000), signed by the DCC's signing tool.

const ESME = '00DB1234567890A0';
const DCC = '90B3D51F30000002';
const SUPPLIER2 = '90B3D51F30030000';
const TEMPLATE = '8.13_RETURN_LOCAL_COMMAND_RESPONSE_CS06_REQUEST_DUIS.XML';
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startHarness>>;
let counter = 7000n;
beforeAll(async () => {
  if (hasJava) h = await startHarness({ file: zaz1WorldFile() });
});
afterAll(async () => h?.close());

async function post(unsigned: string) {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, 'serviceD', signed);
}

const esmeNow = () => JSON.stringify([h.world.store.getDevice(ESME), deviceState(h.world, ESME)]);

describe.skipIf(!hasJava)('8.13 Return Local Command Response (RTDS template, DCC signing tool)', () => {
  it('the DCC records the ESME\'s CS06 response as the answer to the original request and answers I0 in DUIS the tool accepts, changing nothing else', async () => {
    const before = esmeNow();
    const a = await post(rtdsTemplate(TEMPLATE, ++counter));
    expect(a.code, a.reason ?? '').toBe('I0');
    const r = checkDuisAnswer(h.world, a.body, 'I0');
    expect(r.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '8.13', serviceReferenceVariant: '8.13' });
    expect(r.body.kind === 'ResponseMessage' && r.body.content).toBeUndefined();
    await validateWithTool(a.body);
    const logged = (await requestLog(h.server.url, `?requestId=${encodeURIComponent(r.requestId!.text)}`))[0]!;
    expect(logged.steps?.find((s) => s.step === 'local-response')?.detail).toMatch(
      /^ESME 00-DB-12-34-56-78-90-A0 answered message code 0x0012, counter 1000 \(signed\).*recorded as the response to 90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000$/,
    );
    expect(esmeNow()).toBe(before);
  });

  it('refuses a response addressed to another User, and one from a decommissioned device (changing nothing)', async () => {
    const body = parseDuisRequest(rtdsTemplate(TEMPLATE, 1n)).body;
    const other = await post(buildRequest({ requestId: { originator: SUPPLIER2, target: DCC, counter: ++counter }, commandVariant: 8, body }));
    expect([other.code, other.reason]).toEqual(['E081302', expect.stringContaining('addressed to 90-B3-D5-1F-30-01-00-00, not to GITTESTSUPPLIER2')]);
    checkDuisAnswer(h.world, other.body, 'E081302');

    expect((await post(rtdsTemplate('8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML', ++counter))).code).toBe('I0');
    const before = esmeNow();
    const gone = await post(rtdsTemplate(TEMPLATE, ++counter));
    expect([gone.code, gone.reason]).toEqual(['E081303', expect.stringContaining('is Decommissioned')]);
    checkDuisAnswer(h.world, gone.body, 'E081303');
    expect(esmeNow()).toBe(before);
  });
});
