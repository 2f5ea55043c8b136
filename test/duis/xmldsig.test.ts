// XMLDSig in the DCC profile: what we sign verifies (with our code and with xml-crypto's own
// verifier), Boxed's real signed responses verify, and every tampering a user could attempt fails
// with a reason, as do documents that step outside the profile.
import { createHash, generateKeyPairSync, verify as ecdsaVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { describe, expect, it } from 'vitest';
import { buildResponse, parseDuisResponse, readDuisSigner, signDuis, verifyDuisSignature } from '../../service-requests/duis/index.ts';
import { buildRequest, parseDuisRequest } from '../../service-requests/index.ts';
import {
  DSP_XML_SIGN_2025_SERIAL, DSP_XML_SIGN_SERIAL, duisKeyByName, duisKeyBySerial, duisSigner,
} from '../helpers/duis-keystore.ts';
import { sharedDuis } from '../helpers/duis-xsd.ts';
import { readFileSync } from 'node:fs';
import { TEMPLATES, compact, template, unsignedTemplate } from './fixtures.ts';

const NO_XML_SIGN = 'xml-sign-90B3D51F30020000-ds';
const DSP = 'dsp-xml-sign-90B3D51F30000002-ds';
const ECDSA = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';

/** xml-crypto's own verifier (stack.md §3 recipe): an independent opinion on our signatures. */
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
function xmlCryptoVerifies(xml: string, publicKey: KeyObject): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sig = new SignedXml({ publicCert: publicKey, getCertFromKeyInfo: () => null });
  (sig.SignatureAlgorithms as Record<string, unknown>)[ECDSA] = EcdsaSha256;
  sig.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0) as never);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}

const request6151 = compact(unsignedTemplate(TEMPLATES.no6151));
const signedRequest = signDuis(request6151, duisSigner(NO_XML_SIGN));
const noKey = duisKeyByName(NO_XML_SIGN).publicKey;

function tamper(xml: string, from: string | RegExp, to: string): string {
  const out = xml.replace(from, to);
  if (out === xml) throw new Error(`tamper ${String(from)} did not apply`);
  return out;
}

describe('signing', () => {
  it('appends one ds:Signature in the DCC profile before the root end tag, leaving the signed bytes as they were', () => {
    expect(signedRequest.startsWith(request6151.slice(0, -'</sr:Request>'.length))).toBe(true);
    expect(signedRequest.endsWith('</ds:Signature></sr:Request>')).toBe(true);
    const sig = signedRequest.slice(signedRequest.indexOf('<ds:Signature'));
    expect(sig).toContain('<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>');
    expect(sig).toContain(`<ds:SignatureMethod Algorithm="${ECDSA}"/>`);
    expect(sig).toContain('<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>');
    expect(sig).toContain('<ds:X509IssuerName>CN=Z1,OU=07</ds:X509IssuerName><ds:X509SerialNumber>40938316298935008147424226388667426413</ds:X509SerialNumber>');
    expect(Buffer.from(/<ds:SignatureValue>([^<]+)</.exec(sig)![1]!, 'base64')).toHaveLength(64);
  });

  it('the digest is SHA-256 over the inclusive canonical form of the unsigned document', () => {
    // For a compact document with only xmlns:sr on the root, inclusive C14N is the text without
    // the XML declaration and with empty elements expanded (there are none here).
    const canonical = request6151.slice(request6151.indexOf('<sr:Request'));
    const digest = createHash('sha256').update(canonical).digest('base64');
    expect(signedRequest).toContain(`<ds:DigestValue>${digest}</ds:DigestValue>`);
  });

  it('canonical order is by code point: upper-case prefixes before lower-case, attributes by namespace URI then name', () => {
    // (xml-crypto's own canonicaliser would put xmlns:a first: it compares prefixes with localeCompare)
    const xml = '<R xmlns:a="urn:a" xmlns:B="urn:b" z="1" B:y="2" a:x="3 &amp; &#9;"><c/></R>';
    const signed = signDuis(xml, duisSigner(NO_XML_SIGN));
    const canonical = '<R xmlns:B="urn:b" xmlns:a="urn:a" z="1" a:x="3 &amp; &#x9;" B:y="2"><c></c></R>';
    expect(signed).toContain(`<ds:DigestValue>${createHash('sha256').update(canonical).digest('base64')}</ds:DigestValue>`);
    expect(verifyDuisSignature(signed, noKey).ok).toBe(true);
  });

  it('round trip: our verifier and xml-crypto both accept it; the parser names the signer', () => {
    expect(verifyDuisSignature(signedRequest, noKey)).toEqual({ ok: true, whitespaceStripped: false });
    expect(xmlCryptoVerifies(signedRequest, noKey)).toBe(true);
    expect(parseDuisRequest(signedRequest).signer).toEqual({ issuerName: 'CN=Z1,OU=07', serialDecimal: '40938316298935008147424226388667426413' });
    expect(readDuisSigner(signedRequest)?.serialDecimal).toBe(duisKeyByName(NO_XML_SIGN).serialDecimal);
  });

  it('signs built requests and responses of every supported kind', () => {
    const built = [
      buildRequest({ requestId: { originator: '90B3D51F30010000', target: '90B3D51F30000002', counter: 7n }, commandVariant: 8, body: { kind: 'ReadInventory', by: { postCode: 'AB1 2CD', addressIdentifier: 'Flat 1 & 2 <rear>' } } }),
      buildResponse({ requestId: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000', responseCode: 'I99', responseDateTime: new Date(), serviceReference: '6.21', serviceReferenceVariant: '6.21' }),
    ];
    for (const xml of built) {
      const signed = signDuis(xml, duisSigner(DSP));
      const key = duisKeyByName(DSP).publicKey;
      expect(verifyDuisSignature(signed, key).ok).toBe(true);
      expect(xmlCryptoVerifies(signed, key)).toBe(true);
    }
  });

  it('a whitespace-only value is content, not indentation: it signs, verifies, and is protected', () => {
    const xml = buildRequest({ requestId: { originator: '90B3D51F30010000', target: '90B3D51F30000002', counter: 8n }, commandVariant: 8, body: { kind: 'ReadInventory', by: { mpxn: '  ' } } });
    const signed = signDuis(xml, duisSigner(NO_XML_SIGN));
    expect(verifyDuisSignature(signed, noKey)).toEqual({ ok: true, whitespaceStripped: false });
    expect(verifyDuisSignature(signed.replace('<sr:MPxN>  <', '<sr:MPxN> <'), noKey).ok).toBe(false);
  });

  it('refuses what it must not sign', () => {
    const signer = duisSigner(NO_XML_SIGN);
    expect(() => signDuis(unsignedTemplate(TEMPLATES.no6151), signer)).toThrow(/must be compact .* sr:Request has text between its child elements/);
    expect(() => signDuis(signedRequest, signer)).toThrow(/already signed/);
    expect(() => signDuis(`${request6151}<!-- after -->`, signer)).toThrow(/must end with the root's end tag <\/sr:Request>/);
    expect(() => signDuis(request6151, { ...signer, serialDecimal: '0x1F' })).toThrow(/serialDecimal "0x1F" is not a decimal serial number/);
    expect(() => signDuis(request6151, { ...signer, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey })).toThrow(/EC P-256 private KeyObject/);
    expect(() => signDuis(request6151, { ...signer, privateKey: noKey })).toThrow(/EC P-256 private KeyObject/);
    expect(() => signDuis('<sr:Request', signer)).toThrow(/cannot be signed: .*truncated/);
  });
});

describe('tampering fails verification with a reason', () => {
  const signatureValue = /<ds:SignatureValue>([^<]+)</.exec(signedRequest)![1]!;
  const flipped = Buffer.from(signatureValue, 'base64');
  flipped[10]! ^= 0x01;
  const flippedSignatureValue = flipped.toString('base64');
  const cases: Array<[string, string, RegExp]> = [
    ['a body value', tamper(signedRequest, '<sr:RemotePartyRole>NetworkOperator<', '<sr:RemotePartyRole>Supplier<'), /digest mismatch: the signed content was changed/],
    ['the counter', tamper(signedRequest, ':1200<', ':1201<'), /digest mismatch/],
    ['schemaVersion', tamper(signedRequest, 'schemaVersion="5.4"', 'schemaVersion="5.3"'), /digest mismatch/],
    ['an added namespace declaration', tamper(signedRequest, '<sr:Request ', '<sr:Request xmlns:foo="urn:foo" '), /digest mismatch/],
    ['the unused xmlns:xsi removed', tamper(signedRequest, ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', ''), /digest mismatch/],
    ['the sr prefix renamed', signedRequest.replace(/sr:/g, 'duis:').replace('xmlns:sr=', 'xmlns:duis='), /digest mismatch/],
    ['the signature value (one bit)', tamper(signedRequest, signatureValue, flippedSignatureValue), /ds:SignatureValue does not verify with the given public key/],
    ['SignatureMethod swapped to ecdsa-sha384', tamper(signedRequest, ECDSA, 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384'),
      /ds:SignatureMethod: Algorithm "http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#ecdsa-sha384" is not the DCC profile's/],
    ['SignatureMethod swapped to rsa-sha256', tamper(signedRequest, ECDSA, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'), /ds:SignatureMethod: Algorithm .*rsa-sha256/],
    ['CanonicalizationMethod swapped to inclusive C14N', tamper(signedRequest, 'http://www.w3.org/2001/10/xml-exc-c14n#', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'), /ds:CanonicalizationMethod: Algorithm/],
    ['a second Reference', tamper(signedRequest, /(<ds:Reference URI="">.*<\/ds:Reference>)/, '$1$1'), /holds 2 ds:Reference elements; the DCC profile has exactly one/],
    ['an extra transform', tamper(signedRequest, '</ds:Transforms>', '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'), /holds 2 transforms; the DCC profile has only the enveloped-signature transform/],
    ['a Reference to an Id', tamper(signedRequest, '<ds:Reference URI="">', '<ds:Reference URI="#body">'), /URI must be "" \(the whole document\), found "#body"/],
    ['a Reference without URI', tamper(signedRequest, '<ds:Reference URI="">', '<ds:Reference>'), /found no URI/],
    ['DigestMethod SHA-1', tamper(signedRequest, 'http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2000/09/xmldsig#sha1'), /ds:DigestMethod: Algorithm/],
    ['InclusiveNamespaces inside CanonicalizationMethod', tamper(signedRequest, /<ds:CanonicalizationMethod Algorithm="([^"]+)"\/>/, '<ds:CanonicalizationMethod Algorithm="$1"><ec:InclusiveNamespaces xmlns:ec="$1" PrefixList="sr"/></ds:CanonicalizationMethod>'),
      /ds:CanonicalizationMethod: must be empty/],
    ['the signature moved to the front', (() => {
      const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signedRequest)![0];
      return signedRequest.replace(sig, '').replace('<sr:Header>', `${sig}<sr:Header>`);
    })(), /ds:Signature must be the last child element of the root element/],
    ['a second signature hidden in the body', tamper(signedRequest, '<sr:ApplyTimeBasedCPVChecks>', `${/<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signedRequest)![0]}<sr:ApplyTimeBasedCPVChecks>`),
      /the document holds 2 ds:Signature elements; the DCC profile has exactly one/],
    ['KeyInfo carrying a certificate instead of issuer and serial', tamper(signedRequest, /<ds:X509IssuerSerial>.*<\/ds:X509IssuerSerial>/, '<ds:X509Certificate>MIIB</ds:X509Certificate>'),
      /ds:X509Data must contain exactly ds:X509IssuerSerial; found ds:X509Certificate/],
    ['an Object element', tamper(signedRequest, '</ds:KeyInfo>', '</ds:KeyInfo><ds:Object>x</ds:Object>'), /ds:Signature must contain exactly ds:SignedInfo, ds:SignatureValue, ds:KeyInfo/],
    ['a short SignatureValue', tamper(signedRequest, /<ds:SignatureValue>[^<]+</, '<ds:SignatureValue>ZGVmYXVsdA==<'), /ds:SignatureValue: holds 7 bytes, expected 64/],
  ];

  it.each(cases)('%s', (_name, xml, reason) => {
    const r = verifyDuisSignature(xml, noKey);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(reason);
  });

  it('xml-crypto agrees on the content tampering', () => {
    for (const [, xml] of cases.slice(0, 7)) expect(xmlCryptoVerifies(xml, noKey)).toBe(false);
  });

  it('another party\'s key, a key on another curve, an unsigned document', () => {
    expect(verifyDuisSignature(signedRequest, duisKeyByName('xml-sign-90B3D51F30010000-ds').publicKey).reason).toMatch(/does not verify with the given public key .*serial 40938316298935008147424226388667426413/);
    expect(verifyDuisSignature(signedRequest, generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey).reason).toMatch(/verification key is ec on secp384r1, expected EC P-256/);
    expect(verifyDuisSignature(signedRequest, generateKeyPairSync('ed25519').publicKey).reason).toMatch(/verification key is ed25519, expected EC P-256/);
    expect(verifyDuisSignature(request6151, noKey)).toEqual({ ok: false, reason: 'the document carries no ds:Signature' });
  });
});

describe('changes the profile tolerates', () => {
  it.each([
    ['a comment in the body (C14N without comments)', tamper(signedRequest, '<sr:Body>', '<sr:Body><!-- note -->')],
    ['single-quoted attributes', tamper(signedRequest, 'schemaVersion="5.4"', "schemaVersion='5.4'")],
    ['no XML declaration', tamper(signedRequest, /^<\?xml[^>]*>/, '')],
    ['SignatureValue folded at 76 columns with CR LF, as Java writes it', signedRequest.replace(/<ds:SignatureValue>([^<]{76})/, '<ds:SignatureValue>$1&#13;\n')],
    ['another X509IssuerName (not signed; the key is found by serial)', tamper(signedRequest, 'CN=Z1,OU=07', 'CN=Z1, OU=07')],
  ])('%s', (_name, xml) => {
    expect(verifyDuisSignature(xml, noKey)).toEqual({ ok: true, whitespaceStripped: false });
  });

  it('re-indented after signing: fails strictly, verifies on the whitespace-stripped retry like the DCC tool', () => {
    const pretty = signedRequest.replace(/></g, '>\n  <');
    expect(verifyDuisSignature(pretty, noKey)).toEqual({ ok: true, whitespaceStripped: true });
    const strict = verifyDuisSignature(pretty, noKey, { whitespaceRetry: false });
    expect(strict.ok).toBe(false);
    expect(strict.reason).toMatch(/digest mismatch/);
    // The retry does not rescue a real change.
    expect(verifyDuisSignature(pretty.replace(':1200<', ':1201<'), noKey).reason).toMatch(/digest mismatch/);
  });
});

describe('real DCC Boxed responses', () => {
  const inventory = readFileSync(sharedDuis('boxed-responses', 'read-inventory-response-5.4.xml'), 'utf8');

  it('the 5.4 read-inventory response verifies with the DSP key found by its serial', () => {
    const response = parseDuisResponse(inventory);
    expect(response.signer?.serialDecimal).toBe(DSP_XML_SIGN_2025_SERIAL);
    const key = duisKeyBySerial(response.signer!.serialDecimal).publicKey;
    expect(verifyDuisSignature(inventory, key)).toEqual({ ok: true, whitespaceStripped: false });
    expect(xmlCryptoVerifies(inventory, key)).toBe(true);
  });

  it('removing its unused xmlns:ra, or changing a device, breaks it', () => {
    const key = duisKeyBySerial(DSP_XML_SIGN_SERIAL).publicKey;
    expect(verifyDuisSignature(tamper(inventory, ' xmlns:ra="http://www.dccinterface.co.uk/ResponseAndAlert"', ''), key).reason).toMatch(/digest mismatch/);
    expect(verifyDuisSignature(tamper(inventory, '<sr:DeviceType>CAD<', '<sr:DeviceType>IHD<'), key).reason).toMatch(/digest mismatch/);
  });

  it('a template with its placeholder signature parses but does not verify', () => {
    const xml = template(TEMPLATES.readInventory82);
    expect(parseDuisRequest(xml).signer?.serialDecimal).toBe('1234567890');
    expect(verifyDuisSignature(xml, noKey).reason).toMatch(/ds:SignedInfo\/ds:Reference\/ds:DigestValue: holds 7 bytes, expected 32/);
  });
});
