/**
 * XMLDSig exactly as the DCC uses it for DUIS (duis.md §4): enveloped signature, last child of the
 * root; SignedInfo exclusive C14N; ECDSA P-256 / SHA-256 with a raw r‖s value; one Reference
 * URI="" whose only transform is enveloped-signature, so the digest is over the inclusive C14N
 * (without comments) of the document minus the signature; KeyInfo = X509IssuerSerial, decimal.
 *
 * The canonicalisers are xml-crypto 6.3's, applied to our own safely parsed DOM, so the document
 * that is verified is the very tree that was read: no second parser, no xpath. The whole verify
 * path is verifyDuisSignature(), to be swapped for a faster implementation if ever needed.
 */
import { createPublicKey, hash, sign as ecdsaSign, verify as ecdsaVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { C14nCanonicalization, ExclusiveCanonicalization } from 'xml-crypto';
import { StructureError, checkAttributes, displayName, elementChildren, simpleText } from './dom.ts';
import { DS_NS } from './model.ts';
import type { SignerIdentity } from './model.ts';
import { DuisRejection } from './rejection.ts';
import { decodeXmlInput, parseXml } from './safe-xml.ts';
import { escapeText } from './xml-write.ts';
import { collapse, parseXsBase64 } from './xsd-types.ts';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const ELEMENT = 1;
const TEXT = 3;

// C14N orders namespace declarations and attributes by code point (as the DCC's Java tooling does);
// xml-crypto compares prefixes with localeCompare and attributes by URI+name concatenated, which
// differ for mixed-case prefixes and some URI/name pairs.
const byCodePoint = (a: string, b: string): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);
interface NamespaceNode { prefix: string }
interface AttributeNode { namespaceURI: string | null; localName: string }
function attributeOrder(a: AttributeNode, b: AttributeNode): -1 | 0 | 1 {
  return byCodePoint(a.namespaceURI ?? '', b.namespaceURI ?? '') || byCodePoint(a.localName, b.localName);
}

class InclusiveC14n extends C14nCanonicalization {
  override nsCompare(a: NamespaceNode, b: NamespaceNode): -1 | 0 | 1 {
    return byCodePoint(a.prefix, b.prefix);
  }
  override attrCompare(a: AttributeNode, b: AttributeNode): -1 | 0 | 1 {
    return attributeOrder(a, b);
  }
}

class ExclusiveC14n extends ExclusiveCanonicalization {
  override nsCompare(a: NamespaceNode, b: NamespaceNode): -1 | 0 | 1 {
    return byCodePoint(a.prefix, b.prefix);
  }
  override attrCompare(a: AttributeNode, b: AttributeNode): -1 | 0 | 1 {
    return attributeOrder(a, b);
  }
}

export interface SignatureParts {
  signature: Element;
  signedInfo: Element;
  digestValue: Buffer;
  signatureValue: Buffer;
  signer: SignerIdentity;
}

function dsChildren(el: Element, path: string, expected: readonly string[]): Element[] {
  const kids = elementChildren(el, path);
  const names = kids.map((k) => (k.namespaceURI === DS_NS ? k.localName : displayName(k)));
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) {
    throw new StructureError(`${path} must contain exactly ${expected.map((e) => `ds:${e}`).join(', ')}; found ${names.length ? kids.map(displayName).join(', ') : 'nothing'}`);
  }
  return kids;
}

function algorithm(el: Element, path: string, expected: string): void {
  checkAttributes(el, path, ['Algorithm']);
  const alg = el.getAttribute('Algorithm');
  if (alg !== expected) throw new StructureError(`${path}: Algorithm ${JSON.stringify(alg)} is not the DCC profile's ${expected}`);
  if (elementChildren(el, path).length !== 0) throw new StructureError(`${path}: must be empty in the DCC profile (found child elements)`);
}

function base64Of(el: Element, path: string, length: number | undefined): Buffer {
  checkAttributes(el, path);
  const r = parseXsBase64(simpleText(el, path));
  if ('error' in r) throw new StructureError(`${path}: not valid base64: ${r.error}`);
  if (length !== undefined && r.bytes.length !== length) throw new StructureError(`${path}: holds ${r.bytes.length} bytes, expected ${length}`);
  return r.bytes;
}

/**
 * Finds the one ds:Signature, which must be the last element child of the root, and checks that
 * it follows the DCC profile to the letter. Returns null when the document has no signature.
 * Throws StructureError naming what deviates. `cryptoLengths` also requires a 32-byte digest and
 * a 64-byte r‖s value; parsing leaves that to verification, so that templates with placeholder
 * values ("ZGVmYXVsdA==") still read.
 */
export function readSignatureProfile(doc: Document, cryptoLengths = false): SignatureParts | null {
  const root = doc.documentElement!;
  const all = doc.getElementsByTagNameNS(DS_NS, 'Signature');
  if (all.length === 0) return null;
  if (all.length > 1) throw new StructureError(`the document holds ${all.length} ds:Signature elements; the DCC profile has exactly one`);
  const sig = all.item(0)!;
  let last: Node | null = root.lastChild;
  while (last !== null && last.nodeType !== ELEMENT) last = last.previousSibling;
  if (sig.parentNode !== root || last !== sig) throw new StructureError('ds:Signature must be the last child element of the root element');
  const p = 'ds:Signature';
  checkAttributes(sig, p, ['Id']);
  const [signedInfo, signatureValue, keyInfo] = dsChildren(sig, p, ['SignedInfo', 'SignatureValue', 'KeyInfo']) as [Element, Element, Element];
  const pi = `${p}/ds:SignedInfo`;
  checkAttributes(signedInfo, pi, ['Id']);
  const siKids = elementChildren(signedInfo, pi);
  const references = siKids.filter((k) => k.namespaceURI === DS_NS && k.localName === 'Reference').length;
  if (references !== 1) throw new StructureError(`${pi} holds ${references} ds:Reference elements; the DCC profile has exactly one`);
  const [c14n, method, reference] = dsChildren(signedInfo, pi, ['CanonicalizationMethod', 'SignatureMethod', 'Reference']) as [Element, Element, Element];
  algorithm(c14n, `${pi}/ds:CanonicalizationMethod`, EXC_C14N);
  algorithm(method, `${pi}/ds:SignatureMethod`, ECDSA_SHA256);
  const pr = `${pi}/ds:Reference`;
  checkAttributes(reference, pr, ['URI', 'Id']);
  if (!reference.hasAttribute('URI') || reference.getAttribute('URI') !== '') {
    throw new StructureError(`${pr}: URI must be "" (the whole document), found ${reference.hasAttribute('URI') ? JSON.stringify(reference.getAttribute('URI')) : 'no URI'}`);
  }
  const [transforms, digestMethod, digestValue] = dsChildren(reference, pr, ['Transforms', 'DigestMethod', 'DigestValue']) as [Element, Element, Element];
  checkAttributes(transforms, `${pr}/ds:Transforms`);
  const tList = elementChildren(transforms, `${pr}/ds:Transforms`);
  if (tList.length !== 1) throw new StructureError(`${pr}/ds:Transforms holds ${tList.length} transforms; the DCC profile has only the enveloped-signature transform`);
  const [transform] = dsChildren(transforms, `${pr}/ds:Transforms`, ['Transform']) as [Element];
  algorithm(transform, `${pr}/ds:Transforms/ds:Transform`, ENVELOPED_SIGNATURE);
  algorithm(digestMethod, `${pr}/ds:DigestMethod`, SHA256);
  const digest = base64Of(digestValue, `${pr}/ds:DigestValue`, cryptoLengths ? 32 : undefined);
  const sigValue = base64Of(signatureValue, `${p}/ds:SignatureValue`, cryptoLengths ? 64 : undefined);
  const pk = `${p}/ds:KeyInfo`;
  checkAttributes(keyInfo, pk, ['Id']);
  const [x509Data] = dsChildren(keyInfo, pk, ['X509Data']) as [Element];
  checkAttributes(x509Data, `${pk}/ds:X509Data`);
  const [issuerSerial] = dsChildren(x509Data, `${pk}/ds:X509Data`, ['X509IssuerSerial']) as [Element];
  const pis = `${pk}/ds:X509Data/ds:X509IssuerSerial`;
  checkAttributes(issuerSerial, pis);
  const [issuerName, serialNumber] = dsChildren(issuerSerial, pis, ['X509IssuerName', 'X509SerialNumber']) as [Element, Element];
  checkAttributes(issuerName, `${pis}/ds:X509IssuerName`);
  checkAttributes(serialNumber, `${pis}/ds:X509SerialNumber`);
  const serialText = collapse(simpleText(serialNumber, `${pis}/ds:X509SerialNumber`));
  if (!/^\+?[0-9]{1,60}$/.test(serialText)) {
    throw new StructureError(`${pis}/ds:X509SerialNumber: ${JSON.stringify(serialText.slice(0, 60))} is not a positive decimal serial number`);
  }
  return {
    signature: sig,
    signedInfo,
    digestValue: digest,
    signatureValue: sigValue,
    signer: { issuerName: simpleText(issuerName, `${pis}/ds:X509IssuerName`), serialDecimal: BigInt(serialText).toString() },
  };
}

/** Inclusive C14N 1.0 without comments of the document minus the signature (the Reference's octets). */
function referenceDigest(doc: Document, signature: Element | null): Buffer {
  const root = doc.documentElement!;
  const next = signature?.nextSibling ?? null;
  if (signature !== null) root.removeChild(signature);
  try {
    const octets: string = new InclusiveC14n().process(root as never, {});
    return hash('sha256', octets, 'buffer');
  } finally {
    if (signature !== null) root.insertBefore(signature, next);
  }
}

function canonicalSignedInfo(signedInfo: Element): Buffer {
  return Buffer.from(new ExclusiveC14n().process(signedInfo as never, {}) as string, 'utf8');
}

/** Removes whitespace-only text in element-only content, as the DCC's tool does before it verifies. */
function stripIgnorableWhitespace(el: Element): boolean {
  let changed = false;
  let hasElement = false;
  for (let n = el.firstChild; n !== null; n = n.nextSibling) if (n.nodeType === ELEMENT) hasElement = true;
  for (let n = el.firstChild; n !== null;) {
    const next = n.nextSibling;
    if (n.nodeType === ELEMENT) {
      if (stripIgnorableWhitespace(n as Element)) changed = true;
    } else if (hasElement && n.nodeType === TEXT && /^[\t\n\r ]*$/.test((n as unknown as { data: string }).data)) {
      el.removeChild(n);
      changed = true;
    }
    n = next;
  }
  return changed;
}

function p256PublicKey(key: KeyObject): KeyObject | string {
  if (key === null || typeof key !== 'object' || typeof key.type !== 'string') return 'the verification key must be a node KeyObject';
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.type !== 'public') return `the verification key is a ${pub.type} key, expected an EC P-256 public key`;
  if (pub.asymmetricKeyType !== 'ec' || pub.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return `the verification key is ${pub.asymmetricKeyType ?? 'unknown'}${pub.asymmetricKeyDetails?.namedCurve ? ` on ${pub.asymmetricKeyDetails.namedCurve}` : ''}, expected EC P-256`;
  }
  return pub;
}

/** null when the signature verifies; otherwise why, and whether stripping whitespace could change the answer. */
function checkOnce(doc: Document, key: KeyObject): { reason: string; final: boolean } | null {
  let parts: SignatureParts | null;
  try {
    parts = readSignatureProfile(doc, true);
  } catch (e) {
    if (e instanceof StructureError) return { reason: `signature does not follow the DCC profile: ${e.message}`, final: true };
    throw e;
  }
  if (parts === null) return { reason: 'the document carries no ds:Signature', final: true };
  const signedInfo = canonicalSignedInfo(parts.signedInfo);
  const digest = referenceDigest(doc, parts.signature);
  if (!digest.equals(parts.digestValue)) {
    return {
      reason: `digest mismatch: the signed content was changed (computed ${digest.toString('base64')}, ds:DigestValue says ${parts.digestValue.toString('base64')})`,
      final: false,
    };
  }
  if (!ecdsaVerify('sha256', signedInfo, { key, dsaEncoding: 'ieee-p1363' }, parts.signatureValue)) {
    return {
      reason: `ds:SignatureValue does not verify with the given public key (wrong key for serial ${parts.signer.serialDecimal}, or ds:SignedInfo was changed)`,
      final: false,
    };
  }
  return null;
}

export interface DuisSignatureCheck {
  ok: boolean;
  /** why it failed, specific enough to act on */
  reason?: string;
  /** true when it verified only after whitespace-only text was removed (the DCC tool's behaviour) */
  whitespaceStripped?: boolean;
}

export interface VerifyOptions {
  /** retry once on a copy stripped of inter-element whitespace, as the DCC tool does (default true) */
  whitespaceRetry?: boolean;
  maxBytes?: number;
}

/**
 * Verifies a DUIS document's signature under the DCC profile with the signer's public key (the
 * caller finds it by the X509SerialNumber, see readDuisSigner / DuisRequest.signer). Never throws
 * for bad input: the answer says what is wrong.
 */
export function verifyDuisSignature(xml: string | Uint8Array, publicKey: KeyObject, options: VerifyOptions = {}): DuisSignatureCheck {
  const key = p256PublicKey(publicKey);
  if (typeof key === 'string') return { ok: false, reason: key };
  let doc: Document;
  try {
    doc = parseXml(decodeXmlInput(xml, options.maxBytes));
  } catch (e) {
    if (e instanceof DuisRejection) return { ok: false, reason: `cannot read the document: ${e.reason}` };
    throw e;
  }
  return checkDocument(doc, key, options);
}

/**
 * verifyDuisSignature on a document already parsed by parseXml (parseDuisRequest's, see
 * parsedDocumentOf): parsing a request twice was ~13% of a handover (bench/pipeline.ts). The
 * whitespace retry strips the document in place, so the caller must not use it for anything else
 * afterwards (nor verify it again with another key).
 */
export function verifyDuisSignatureOfDocument(doc: Document, publicKey: KeyObject, options: VerifyOptions = {}): DuisSignatureCheck {
  const key = p256PublicKey(publicKey);
  if (typeof key === 'string') return { ok: false, reason: key };
  return checkDocument(doc, key, options);
}

function checkDocument(doc: Document, key: KeyObject, options: VerifyOptions): DuisSignatureCheck {
  const strict = checkOnce(doc, key);
  if (strict === null) return { ok: true, whitespaceStripped: false };
  if (strict.final || options.whitespaceRetry === false || !stripIgnorableWhitespace(doc.documentElement!)) {
    return { ok: false, reason: strict.reason };
  }
  const relaxed = checkOnce(doc, key);
  if (relaxed === null) return { ok: true, whitespaceStripped: true };
  return { ok: false, reason: strict.reason };
}

/** The signer named in a document's KeyInfo, null when unsigned; throws DuisRejection('signature') off-profile. */
export function readDuisSigner(xml: string | Uint8Array, options: { maxBytes?: number } = {}): SignerIdentity | null {
  const doc = parseXml(decodeXmlInput(xml, options.maxBytes));
  try {
    return readSignatureProfile(doc)?.signer ?? null;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('signature', e.message);
    throw e;
  }
}

export interface DuisSigner {
  privateKey: KeyObject;
  /** X509IssuerName as the DCC tool writes it, e.g. 'CN=Z1,OU=07' */
  issuerName: string;
  /** the signing certificate's serial number in decimal */
  serialDecimal: string;
}

function hasIgnorableWhitespace(el: Element): Element | null {
  let hasElement = false;
  for (let n = el.firstChild; n !== null; n = n.nextSibling) if (n.nodeType === ELEMENT) hasElement = true;
  for (let n = el.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === ELEMENT) {
      const found = hasIgnorableWhitespace(n as Element);
      if (found !== null) return found;
    } else if (hasElement && n.nodeType === TEXT) {
      return el;
    }
  }
  return null;
}

/**
 * Signs compact DUIS XML (no whitespace between elements, as the DCC tool requires) and returns
 * the same text with the ds:Signature inserted before the root's end tag: the caller's bytes are
 * never re-serialised.
 */
function checkSigner(signer: DuisSigner): void {
  if (!/^[0-9]{1,60}$/.test(signer.serialDecimal) || /^0[0-9]/.test(signer.serialDecimal)) {
    throw new RangeError(`signDuis: serialDecimal ${JSON.stringify(signer.serialDecimal)} is not a decimal serial number`);
  }
  if (typeof signer.issuerName !== 'string' || signer.issuerName.trim() === '') throw new RangeError('signDuis: issuerName is empty');
  if (signer.privateKey?.type !== 'private' || signer.privateKey.asymmetricKeyType !== 'ec' || signer.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new RangeError('signDuis: the signing key must be an EC P-256 private KeyObject');
  }
}

export function signDuis(compactXml: string, signer: DuisSigner): string {
  if (typeof compactXml !== 'string') throw new TypeError('signDuis: the XML must be a string');
  checkSigner(signer);
  let doc: Document;
  try {
    doc = parseXml(decodeXmlInput(compactXml, Number.MAX_SAFE_INTEGER));
  } catch (e) {
    if (e instanceof DuisRejection) throw new Error(`signDuis: the XML cannot be signed: ${e.reason}`);
    throw e;
  }
  const root = doc.documentElement!;
  if (doc.getElementsByTagNameNS(DS_NS, 'Signature').length > 0) throw new Error('signDuis: the document is already signed (it holds a ds:Signature)');
  const loose = hasIgnorableWhitespace(root);
  if (loose !== null) {
    throw new Error(`signDuis: the XML must be compact (no whitespace between elements, the DCC tool strips it before verifying); ${displayName(loose)} has text between its child elements`);
  }
  const end = compactXml.lastIndexOf('</');
  const tail = end === -1 ? null : /^<\/([^\s>]+)\s*>\s*$/.exec(compactXml.slice(end));
  if (tail === null || tail[1] !== root.tagName) {
    throw new Error(`signDuis: the document must end with the root's end tag </${root.tagName}> (nothing but whitespace after it)`);
  }
  const digest = referenceDigest(doc, null).toString('base64');
  const signedInfo = signedInfoXml(digest);
  // Canonicalise SignedInfo exactly as a verifier will see it, inside its ds:Signature.
  const sigDoc = parseXml(`<ds:Signature xmlns:ds="${DS_NS}">${signedInfo}</ds:Signature>`);
  const siEl = sigDoc.getElementsByTagNameNS(DS_NS, 'SignedInfo').item(0)!;
  return insertSignature(compactXml, end, signedInfo, canonicalSignedInfo(siEl), signer);
}

function signedInfoXml(digestBase64: string): string {
  return (
    `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/><ds:SignatureMethod Algorithm="${ECDSA_SHA256}"/>` +
    `<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="${ENVELOPED_SIGNATURE}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${digestBase64}</ds:DigestValue></ds:Reference></ds:SignedInfo>`
  );
}

function insertSignature(compactXml: string, end: number, signedInfo: string, canonicalInfo: Buffer, signer: DuisSigner): string {
  const value = ecdsaSign('sha256', canonicalInfo, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
  const signature =
    `<ds:Signature xmlns:ds="${DS_NS}">${signedInfo}<ds:SignatureValue>${value}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>${escapeText(signer.issuerName)}</ds:X509IssuerName>` +
    `<ds:X509SerialNumber>${signer.serialDecimal}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo></ds:Signature>`;
  return compactXml.slice(0, end) + signature + compactXml.slice(end);
}

/**
 * The exclusive C14N of our SignedInfo around its DigestValue text. It depends only on the digest
 * (base64 needs no escaping), so it is computed once, with the general canonicaliser, and reused.
 */
let canonicalSignedInfoParts: readonly [string, string] | undefined;
function canonicalSignedInfoFor(digestBase64: string): Buffer {
  if (canonicalSignedInfoParts === undefined) {
    const marker = 'AAAA';
    const sigDoc = parseXml(`<ds:Signature xmlns:ds="${DS_NS}">${signedInfoXml(marker)}</ds:Signature>`);
    const text = canonicalSignedInfo(sigDoc.getElementsByTagNameNS(DS_NS, 'SignedInfo').item(0)!).toString('utf8');
    const at = text.indexOf(`>${marker}<`) + 1;
    canonicalSignedInfoParts = [text.slice(0, at), text.slice(at + marker.length)];
  }
  return Buffer.from(canonicalSignedInfoParts[0] + digestBase64 + canonicalSignedInfoParts[1], 'utf8');
}

/**
 * signDuis for a document whose inclusive C14N (minus the signature it does not have yet) the
 * caller already knows: the DCC's own responses, written by buildResponse in a form whose
 * canonical octets follow from the text (see canonicalOwnResponse). Parsing and canonicalising the
 * response and the SignedInfo was most of the cost of signing one (bench/pipeline.ts); this is one
 * SHA-256 and one ECDSA signature. The output is byte-identical to signDuis's apart from the
 * (randomised) SignatureValue; test/duis/fast-sign.test.ts holds it to that.
 */
export function signDuisCanonical(compactXml: string, canonicalOctets: string, signer: DuisSigner): string {
  checkSigner(signer);
  const end = compactXml.lastIndexOf('</');
  if (end === -1) throw new Error('signDuis: the document has no end tag');
  const digest = hash('sha256', canonicalOctets, 'base64');
  return insertSignature(compactXml, end, signedInfoXml(digest), canonicalSignedInfoFor(digest), signer);
}
