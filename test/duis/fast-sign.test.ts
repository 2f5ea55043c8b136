// The DCC signs its own responses without re-parsing them (signResponse → signDuisCanonical): the
// output must be the general signDuis's byte for byte (the SignatureValue aside, ECDSA being
// randomised), verify with our verifier and xml-crypto's, and pass the DCC's own tool.
import { verify as ecdsaVerify, type KeyObject } from 'node:crypto';
import { validateDuis as toolValidate } from '../helpers/duis-tool.ts';
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { SignedXml } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDeviceAlert, buildResponse, canonicalOwnResponse, signDuis, signResponse, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { buildRequest, parseDuisRequest } from '../../service-requests/index.ts';
import { duisKeyByName, duisSigner } from '../helpers/duis-keystore.ts';
import { TEMPLATES, template } from './fixtures.ts';

const DSP = 'dsp-xml-sign-90B3D51F30000002-ds';
const signer = duisSigner(DSP);
const publicKey = duisKeyByName(DSP).publicKey;
const AT = new Date('2026-11-23T10:11:12.345Z');
const ECDSA = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';

class EcdsaSha256 {
  getSignature(): string {
    throw new Error('verify only');
  }
  verifySignature(material: string, key: KeyObject, signature: string): boolean {
    return ecdsaVerify('sha256', Buffer.from(material), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64'));
  }
  getAlgorithmName(): string {
    return ECDSA;
  }
}
function xmlCryptoVerifies(xml: string, key: KeyObject): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sig = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null });
  (sig.SignatureAlgorithms as Record<string, unknown>)[ECDSA] = EcdsaSha256;
  sig.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0) as never);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}

const masked = (xml: string): string => xml.replace(/<ds:SignatureValue>[^<]*</, '<ds:SignatureValue>…<');

function expectSameAsGeneral(xml: string): string {
  expect(canonicalOwnResponse(xml)).not.toBeNull();
  const fast = signResponse(xml, signer);
  expect(masked(fast)).toBe(masked(signDuis(xml, signer)));
  expect(verifyDuisSignature(fast, publicKey)).toEqual({ ok: true, whitespaceStripped: false });
  return fast;
}

const preCommand = buildResponse({
  requestId: '90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A0:1201', responseCode: 'I0', responseDateTime: AT, serviceReference: '6.15', serviceReferenceVariant: '6.15.1',
  content: { preCommand: { gbcsVersion: '4.2', gbcsPayload: Buffer.from('df0901000000000000004b10890b3d51f300200000800db1234567890a000', 'hex') } },
});

let toolVerdict: boolean | undefined;
beforeAll(async () => {
  try {
    await toolValidate({ xml: signResponse(preCommand, signer) });
    toolVerdict = true;
  } catch (e) {
    if (/validation failed/.test((e as Error).message)) toolVerdict = false;
    else throw e;
  }
}, 60_000);

describe('signResponse: the fast path for the DCC\'s own documents', () => {
  it('a pre-command response: same bytes as signDuis, verifies with ours and xml-crypto', () => {
    const fast = expectSameAsGeneral(preCommand);
    expect(xmlCryptoVerifies(fast, publicKey)).toBe(true);
  });

  it('passes the DCC tool', () => {
    expect(toolVerdict).toBe(true);
  });

  it('acknowledgements, errors, alerts and future-dated alerts', () => {
    const docs = [
      buildResponse({ requestId: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:7', responseCode: 'I99', responseDateTime: AT, serviceReference: '6.21', serviceReferenceVariant: '6.21' }),
      buildResponse({ responseCode: 'E2', responseDateTime: AT, serviceReference: '6.21', serviceReferenceVariant: '6.21', schemaVersion: '5.1' }),
      buildResponse({ requestId: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:7', responseId: '00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:9', responseCode: 'I0', responseDateTime: AT, serviceReference: '6.21', serviceReferenceVariant: '6.21', content: { gbcsPayload: Buffer.from([1, 2, 3]) } }),
      buildDeviceAlert({ responseDateTime: AT, alertCode: '8f84', gbcsPayload: Buffer.from('abcd', 'hex'), throttledAlertCount: 3, throttledAlertSequenceId: 1 }),
      buildDeviceAlert({ responseDateTime: AT, alertCode: '8F66', gbcsPayload: Buffer.from('abcd', 'hex'), futureDated: { serviceReference: '6.15', serviceReferenceVariant: '6.15.1', instructionNumber: 1, totalCommandInstructions: 2 } }),
    ];
    for (const d of docs) expect(xmlCryptoVerifies(expectSameAsGeneral(d), publicKey)).toBe(true);
  });

  it('text needing escapes (&, <, >, CR, quotes, non-ASCII) canonicalises as C14N does', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', 'é', '€', '😀', ']]>'), maxLength: 20 });
    fc.assert(
      fc.property(text, text, (manufacturer, model) => {
        const xml = buildResponse({
          requestId: '90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1000', responseCode: 'I0', responseDateTime: AT, serviceReference: '8.2', serviceReferenceVariant: '8.2',
          content: { dspInventory: [{ deviceId: '00DB1234567890A2', deviceType: 'ESME', deviceManufacturer: manufacturer.slice(0, 30), deviceModel: model.slice(0, 30) }] },
        });
        expectSameAsGeneral(xml);
      }),
      { numRuns: 60 },
    );
  });

  it('anything not written by the builders goes through the general path', () => {
    const request = buildRequest({
      requestId: { originator: '90B3D51F30020000', target: '00DB1234567890A0', counter: 1201n },
      commandVariant: 4,
      body: parseDuisRequest(template(TEMPLATES.no6151)).body,
    });
    expect(canonicalOwnResponse(request)).toBeNull();
    expect(canonicalOwnResponse(preCommand.replace('<sr:Header>', '<sr:Header a="1">'))).toBeNull();
    expect(canonicalOwnResponse(preCommand.replace('<sr:Header>', '<!--x--><sr:Header>'))).toBeNull();
    expect(canonicalOwnResponse(preCommand.replace('<sr:Header>', '<sr:Header>&#10;'))).toBeNull();
    const viaFallback = signResponse(request, signer);
    expect(masked(viaFallback)).toBe(masked(signDuis(request, signer)));
  });
});
