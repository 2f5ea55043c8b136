import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../service-requests/index.ts';
import { ZAZ1_NETWORK_OPERATOR } from '../../src/world/seed-zaz1.ts';
import { startHarness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { checkDuisAnswer, postRaw, requestLog } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 12.1 Request WAN Matrix from its RTDS template (GITTESTSUPPLIER asks about M22 0RR, Threapwood
// Road), signed by the DCC's signing tool, against a ZAZ1 world; and by the UPRN of the RTDS premises.

const DCC = '90B3D51F30000002';
const TEMPLATE = '12.1_REQUEST_WAN_MATRIX_ADDRESS_REQUEST_DUIS.XML';
const hasJava = javaAvailable();

let h: Awaited<ReturnType<typeof startHarness>>;
let counter = 6000n;
beforeAll(async () => {
  if (hasJava) h = await startHarness({ file: zaz1WorldFile() });
});
afterAll(async () => h?.close());

async function post(unsigned: string) {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed)).toEqual([]);
  return postRaw(h.server.url, 'serviceD', signed);
}

const ask = (originator: string, by: { uprn: string } | { postCode: string; addressIdentifier: string }) =>
  buildRequest({ requestId: { originator, target: DCC, counter: ++counter }, commandVariant: 8, body: { kind: 'RequestWANMatrix', by } });

describe.skipIf(!hasJava)('12.1 Request WAN Matrix (RTDS template, DCC signing tool)', () => {
  it('answers I0 with a DSPWANMatrix for the North and 4G North regions, the same each time', async () => {
    const a = await post(rtdsTemplate(TEMPLATE, ++counter));
    expect(a.code, a.reason ?? '').toBe('I0');
    const r = checkDuisAnswer(h.world, a.body, 'I0');
    expect(r.body).toMatchObject({ kind: 'ResponseMessage', serviceReference: '12.1', serviceReferenceVariant: '12.1' });
    const content = r.body.kind === 'ResponseMessage' ? r.body.content : undefined;
    expect(content).toMatchObject({
      dspWanMatrix: {
        request: { postCode: 'M22 0RR', addressIdentifier: 'Threapwood Road' },
        regions: [
          { cspRegion: 'North', responseCode: 'I0', coverage: { wanTechnology: 'Long Range Radio', available: expect.any(Boolean) } },
          { cspRegion: '4G North', responseCode: 'I0', coverage: { wanTechnology: '4G Cellular' } },
        ],
      },
    });
    // The tool validates against its embedded DUIS 5.1 schema, whose DSPWANMatrix is one region flat
    // (Request, CSPRegion, CoverageAvailability...); 5.4 answers a list of DSPWANMatrixResponse. That
    // is its only complaint: the 5.4 XSD (checkDuisAnswer) accepts the answer and its signature.
    await expect(validateWithTool(a.body)).rejects.toThrow(/Invalid content was found starting with element '\{"[^"]+":DSPWANMatrixResponse\}'\. One of '\{"[^"]+":CSPRegion\}' is expected/);
    const again = checkDuisAnswer(h.world, (await post(rtdsTemplate(TEMPLATE, ++counter))).body, 'I0');
    expect(again.body.kind === 'ResponseMessage' && again.body.content).toEqual(content);
  });

  it('answers by UPRN from the premises\' postcode; refuses an unknown UPRN and a postcode outside GB (any DCC User may ask)', async () => {
    const byUprn = await post(ask(ZAZ1_NETWORK_OPERATOR, { uprn: '123456789012' }));
    expect(byUprn.code, byUprn.reason ?? '').toBe('I0');
    const logged = (await requestLog(h.server.url, `?requestId=${encodeURIComponent(checkDuisAnswer(h.world, byUprn.body, 'I0').requestId!.text)}`))[0]!;
    expect(logged.steps?.find((s) => s.step === 'wan-matrix')?.detail).toMatch(/^UPRN 123456789012 \(ZA1 1ZZ\): South/);
    const unknown = await post(ask(ZAZ1_NETWORK_OPERATOR, { uprn: '999' }));
    expect([unknown.code, unknown.reason]).toEqual(['E120101', expect.stringContaining('no premises in the smart metering inventory has UPRN 999')]);
    checkDuisAnswer(h.world, unknown.body, 'E120101');
    const belfast = await post(ask(ZAZ1_NETWORK_OPERATOR, { postCode: 'BT1 1AA', addressIdentifier: 'Donegall Place' }));
    expect(belfast.code).toBe('E120103');
    checkDuisAnswer(h.world, belfast.body, 'E120103');
  });
});
