// Interoperability with the DCC's own signing tool (@smartdcc/duis-sign-wrap, Java, run by
// ../helpers/duis-tool.ts in one JVM): templates it signs verify with dcc-sim using the keystore key found by serial,
// and what dcc-sim signs passes its validateDuis (whose embedded schema is DUIS 5.1).
import { signDuis as toolSign, validateDuis as toolValidate } from '../helpers/duis-tool.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResponse, signDuis, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { buildRequest, parseDuisRequest } from '../../service-requests/index.ts';
import { DSP_XML_SIGN_SERIAL, duisKeyBySerial, duisSigner } from '../helpers/duis-keystore.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { TEMPLATES, template } from './fixtures.ts';

const AT = new Date('2026-11-23T10:11:12.345Z');

/** The tool's verdict: true for exit code 0, false for a validation failure (exit 10). */
async function toolAccepts(xml: string): Promise<boolean> {
  try {
    await toolValidate({ xml });
    return true;
  } catch (e) {
    if (/validation failed/.test((e as Error).message)) return false;
    throw e;
  }
}

const toolSigned: Record<string, string> = {};
const upperCasePrefix = (xml: string): string => xml.replace(/(<\/?)sr:/g, '$1SR:').replace('xmlns:sr=', 'xmlns:SR=');
const verdicts: Record<string, boolean> = {};

const ourRequest = signDuis(
  buildRequest({
    requestId: { originator: '90B3D51F30020000', target: '00DB1234567890A0', counter: 1201n },
    commandVariant: 4,
    body: (() => {
      const r = parseDuisRequest(template(TEMPLATES.no6151));
      return r.body;
    })(),
  }),
  duisSigner('xml-sign-90B3D51F30020000-ds'),
);
const ourPreCommandResponse = signDuis(
  buildResponse({
    requestId: '90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1201', responseCode: 'I0', responseDateTime: AT, serviceReference: '6.15', serviceReferenceVariant: '6.15.1',
    content: { preCommand: { gbcsVersion: '4.2', gbcsPayload: Buffer.from('df0901000000000000004b10890b3d51f300200000800db1234567890a000', 'hex') } },
  }),
  duisSigner('dsp-xml-sign-90B3D51F30000002-ds'),
);
const ourInventoryResponse = signDuis(
  buildResponse({
    requestId: '90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1000', responseCode: 'I0', responseDateTime: AT, serviceReference: '8.2', serviceReferenceVariant: '8.2',
    content: { dspInventory: [{ deviceId: '00DB1234567890A2', deviceType: 'ESME', deviceStatus: 'Commissioned', deviceManufacturer: '106C', deviceModel: '433100AC', cspRegion: 'Central' }] },
  }),
  duisSigner('dsp-xml-sign-90B3D51F30000002-ds'),
);

beforeAll(async () => {
  const checks: Record<string, string> = {
    request: ourRequest,
    preCommand: ourPreCommandResponse,
    inventory: ourInventoryResponse,
    tamperedPreCommand: ourPreCommandResponse.replace('<sr:GBCSVersion>4.2<', '<sr:GBCSVersion>4.3<'),
  };
  // One JVM answers the calls in turn.
  await Promise.all([
    async () => { toolSigned.no6151 = await toolSign({ xml: template(TEMPLATES.no6151), preserveCounter: true }); },
    // With the DUIS prefix in upper case: C14N sorts xmlns:SR before xmlns:ds (code point order).
    async () => { toolSigned.readInventory82 = await toolSign({ xml: upperCasePrefix(template(TEMPLATES.readInventory82)), preserveCounter: true }); },
    ...Object.entries(checks).map(([k, xml]) => async () => { verdicts[k] = await toolAccepts(xml); }),
  ].map((job) => job()));
}, 120_000);

describe('templates signed by the DCC tool verify with dcc-sim', () => {
  it.each([['no6151', '40938316298935008147424226388667426413', 1200n], ['readInventory82', '27572613927499351639968579586655397031', 1000n]] as const)(
    '%s: signer found by serial, signature verifies, counter preserved',
    (name, serial, counter) => {
      const xml = toolSigned[name]!;
      const r = parseDuisRequest(xml);
      expect(r.signer?.serialDecimal).toBe(serial);
      expect(r.requestId.counter).toBe(counter);
      const key = duisKeyBySerial(r.signer!.serialDecimal);
      expect(key.eui).toBe(r.requestId.originator);
      expect(verifyDuisSignature(xml, key.publicKey)).toEqual({ ok: true, whitespaceStripped: false });
      expect(duisXsdErrors(xml)).toEqual([]);
      if (name === 'readInventory82') expect(xml).toContain('<SR:ReadInventory>');
      // and any change to what the tool signed is caught
      expect(verifyDuisSignature(xml.replace(`:${counter}<`, `:${counter + 1n}<`), key.publicKey).reason).toMatch(/digest mismatch/);
    },
  );
});

describe('what dcc-sim signs passes the DCC tool', () => {
  it('a 6.15.1 request built and signed by dcc-sim', () => {
    expect(verdicts.request).toBe(true);
  });
  it('a 6.15.1 pre-command response signed with the DSP key (serial 1670…4033)', () => {
    expect(ourPreCommandResponse).toContain(`<ds:X509SerialNumber>${DSP_XML_SIGN_SERIAL}<`);
    expect(verdicts.preCommand).toBe(true);
  });
  it('an 8.2 inventory response', () => {
    expect(verdicts.inventory).toBe(true);
  });
  it('and the tool does reject a response changed after signing (it really checks)', () => {
    expect(verdicts.tamperedPreCommand).toBe(false);
  });
});
