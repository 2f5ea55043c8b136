import { createPublicKey, hash, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  children, content, decodeBitString, decodeIntegerBytes, decodeOid, decodeSmallInteger, decodeTime,
  expectTag, readSingle, TAG, whole,
} from './der.ts';
import type { Tlv } from './der.ts';
import { PkiError } from './errors.ts';
import { ATTRIBUTE_NAMES, KEY_USAGE_BIT_NAMES, OID } from './oids.ts';
import { publicKeyFromRaw } from './keys.ts';
import { parseKnownExtensions, readExtensions } from './extensions/index.ts';
import type { GeneralName } from './extensions/index.ts';
import { euiFromBytes } from './vocabulary.ts';
import type { Eui, KeyUsage } from './vocabulary.ts';

export type CertificateKind = 'root' | 'issuing-ca' | 'device-ca' | 'organisation' | 'xml-signing' | 'device';

/** One extension as it appears in the certificate, in order. */
export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** the extnValue OCTET STRING contents (the extension's own DER) */
  valueDer: Buffer;
}

export interface CertificateFacts {
  der: Buffer;
  /** SHA-256 of the DER, lower-case hex */
  fingerprint: string;
  /** upper-case hex of the serial's magnitude */
  serialHex: string;
  serialDecimal: string;
  kind: CertificateKind;
  /** org/xml-signing: x500UniqueIdentifier; device: SAN hwSerialNum; CA: null */
  subjectEui: Eui | null;
  /** subject OU parsed as hex (root 0, OCA 7); null for device certs and when OU is not two hex digits */
  role: number | null;
  /** DS/KA when exactly that one bit is set; CA = keyCertSign (+cRLSign) only; OTHER = anything else or absent */
  keyUsage: KeyUsage | 'CA' | 'OTHER';
  /** upper-case hex; '' when the certificate has no subjectKeyIdentifier */
  ski: string;
  /** upper-case hex of the AKI keyIdentifier; null when absent */
  aki: string | null;
  /** RFC 2253 style, most significant RDN last, as openssl/Java print it: 'CN=Z1,OU=07' */
  subjectDn: string;
  issuerDn: string;
  notBefore: Date;
  notAfter: Date;
  policyOids: string[];
  publicKey: KeyObject;
  // --- additions beyond the agreed minimum ---
  /** extensions in certificate order */
  extensions: CertificateExtension[];
  /** basicConstraints, null when absent */
  basicConstraints: { ca: boolean; pathLen: number | null; critical: boolean } | null;
  /** subject DN bytes equal issuer DN bytes */
  selfIssued: boolean;
  /** the Name DER of subject and issuer, byte for byte (a child's issuer is its CA's subjectNameDer) */
  subjectNameDer: Buffer;
  issuerNameDer: Buffer;
}

/** Everything a validator needs beyond the facts; kept out of the public facts object. */
export interface ParsedCertificate {
  facts: CertificateFacts;
  version: number; // 1..3
  tbs: Buffer;
  signatureAlgorithm: { oid: string; paramsPresent: boolean };
  tbsSignatureAlgorithm: { oid: string; paramsPresent: boolean };
  signature: { unusedBits: number; bytes: Buffer };
  serial: Buffer; // INTEGER content bytes (two's complement)
  issuerDer: Buffer;
  subjectDer: Buffer;
  issuer: NameAttribute[][];
  subject: NameAttribute[][];
  spki: { algorithmOid: string; curveOid: string | null; key: Buffer; unusedBits: number };
  timeTags: { notBefore: number; notAfter: number };
  keyUsageBits: number[] | null;
  keyUsageDer: Buffer | null;
  akiForm: { keyIdentifier: Buffer | null; otherFields: boolean } | null;
  policies: { oid: string; qualifiers: boolean }[] | null;
  san: { names: GeneralName[] } | null;
  hasUniqueIds: boolean;
}

export interface NameAttribute {
  oid: string;
  tag: number;
  value: Buffer; // content octets
  der: Buffer; // whole value TLV
}

export type { GeneralName };

const parsedByFacts = new WeakMap<CertificateFacts, ParsedCertificate>();

function stringValue(a: NameAttribute): string | null {
  switch (a.tag) {
    case TAG.UTF8_STRING:
      return a.value.toString('utf8');
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
      return a.value.toString('latin1');
    case TAG.BMP_STRING:
      return a.value.length % 2 === 0 ? Buffer.from(a.value).swap16().toString('utf16le') : null;
    default:
      return null;
  }
}

function escapeRfc2253(s: string): string {
  let out = s.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 2253 string: RDNs in reverse order, multi-valued RDNs joined by '+'. */
export function nameToString(rdns: NameAttribute[][]): string {
  return [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const key = ATTRIBUTE_NAMES.get(a.oid) ?? a.oid;
          const s = stringValue(a);
          return `${key}=${s === null ? `#${a.der.toString('hex').toUpperCase()}` : escapeRfc2253(s)}`;
        })
        .join('+'),
    )
    .join(',');
}

/** Comparison form per RFC 5280 §7.1 (simplified): string types ignored, case folded, spaces collapsed. */
export function canonicalName(rdns: NameAttribute[][]): string {
  return rdns
    .map((rdn) =>
      rdn
        .map((a) => {
          const s = stringValue(a);
          return `${a.oid}=${s === null ? `#${a.der.toString('hex')}` : s.trim().replace(/\s+/g, ' ').toLowerCase()}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

function parseName(t: Tlv, what: string): NameAttribute[][] {
  expectTag(t, TAG.SEQUENCE, what);
  return children(t, what).map((rdn, i) => {
    expectTag(rdn, TAG.SET, `${what} RDN ${i + 1}`);
    const atvs = children(rdn, `${what} RDN ${i + 1}`);
    if (atvs.length === 0) throw new PkiError('bad-der', `${what} RDN ${i + 1}: empty RelativeDistinguishedName`);
    return atvs.map((atv) => {
      expectTag(atv, TAG.SEQUENCE, `${what} attribute`);
      const parts = children(atv, `${what} attribute`);
      if (parts.length !== 2) throw new PkiError('bad-der', `${what} attribute: expected type and value`);
      const oid = decodeOid(parts[0]!, `${what} attribute type`);
      const v = parts[1]!;
      return { oid, tag: v.tag, value: content(v), der: whole(v) };
    });
  });
}

function parseAlgorithm(t: Tlv, what: string): { oid: string; paramsPresent: boolean } {
  expectTag(t, TAG.SEQUENCE, what);
  const parts = children(t, what);
  if (parts.length < 1 || parts.length > 2) throw new PkiError('bad-der', `${what}: expected algorithm and optional parameters`);
  return { oid: decodeOid(parts[0]!, what), paramsPresent: parts.length === 2 };
}

function makePublicKey(spki: Buffer): KeyObject {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new PkiError('bad-der', `subjectPublicKeyInfo: unusable public key (${(e as Error).message})`);
  }
}

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** 65-byte uncompressed point with 0 <= x, y < p on y^2 = x^3 - 3x + b. */
function isP256Point(point: Buffer): boolean {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  const x = BigInt(`0x${point.toString('hex', 1, 33)}`);
  const y = BigInt(`0x${point.toString('hex', 33, 65)}`);
  if (x >= P || y >= P) return false;
  return (y * y - (x * x * x - 3n * x + B)) % P === 0n;
}

function signedHex(bytes: Buffer): { hex: string; decimal: string } {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  if ((bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  const abs = n < 0n ? -n : n;
  return { hex: `${n < 0n ? '-' : ''}${abs.toString(16).toUpperCase().padStart(2, '0')}`, decimal: n.toString() };
}

function readSpki(t: Tlv): { algorithmOid: string; curveOid: string | null; keyBits: { unusedBits: number; bytes: Buffer } } {
  const spkiT = expectTag(t, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const spkiParts = children(spkiT, 'subjectPublicKeyInfo');
  if (spkiParts.length !== 2) throw new PkiError('bad-der', 'subjectPublicKeyInfo: expected algorithm and key');
  const algParts = children(expectTag(spkiParts[0]!, TAG.SEQUENCE, 'subjectPublicKeyInfo algorithm'), 'subjectPublicKeyInfo algorithm');
  const algorithmOid = decodeOid(algParts[0] ?? spkiParts[0]!, 'subjectPublicKeyInfo algorithm');
  const curveOid = algParts[1]?.tag === TAG.OID ? decodeOid(algParts[1], 'namedCurve') : null;
  const keyBits = decodeBitString(spkiParts[1]!, 'subjectPublicKey');
  return { algorithmOid, curveOid, keyBits };
}

/** The SMKI kind: a CA by basicConstraints (root when self-issued and self-signed by key id, else by OU), a device by its hardwareModuleName, else by OU. */
function certificateKind(c: { ca: boolean; selfIssued: boolean; ski: Buffer | null; aki: Buffer | null; ouText: string | null; device: boolean }): CertificateKind {
  if (c.ca) {
    const akiMatchesSelf = !c.aki || (c.ski !== null && c.aki.equals(c.ski));
    return c.selfIssued && akiMatchesSelf ? 'root' : c.ouText === '07' ? 'issuing-ca' : 'device-ca';
  }
  if (c.device) return 'device';
  if (c.ouText === '87' || c.ouText === '89') return 'xml-signing';
  return 'organisation';
}

/** A device's EUI is its hwSerialNum; an organisation's is its one x500UniqueIdentifier (a BIT STRING of 8 bytes). */
function subjectEuiOf(kind: CertificateKind, subject: NameAttribute[][], hwName: GeneralName | undefined): Eui | null {
  if (kind === 'device' && hwName?.type === 'hardwareModuleName' && hwName.hwSerialNum.length === 8) {
    return euiFromBytes(hwName.hwSerialNum);
  } else if (kind === 'organisation' || kind === 'xml-signing') {
    const uids = subject.flat().filter((a) => a.oid === OID.x500UniqueIdentifier);
    const uid = uids.length === 1 ? uids[0]! : null;
    if (uid && uid.tag === TAG.BIT_STRING && uid.value.length === 9 && uid.value[0] === 0) {
      return euiFromBytes(uid.value.subarray(1));
    }
  }
  return null;
}

function keyUsageClass(bits: number[] | null): CertificateFacts['keyUsage'] {
  if (bits) {
    const set = bits.join(',');
    if (set === '0') return 'DS';
    if (set === '4') return 'KA';
    if (set === '5' || set === '5,6') return 'CA';
  }
  return 'OTHER';
}

function parse(input: Uint8Array): ParsedCertificate {
  const der = Buffer.from(input); // own copy: callers may reuse their buffer
  const cert = expectTag(readSingle(der, 'Certificate'), TAG.SEQUENCE, 'Certificate');
  const top = children(cert, 'Certificate');
  if (top.length !== 3) throw new PkiError('bad-der', `Certificate: expected 3 elements (tbsCertificate, signatureAlgorithm, signature), found ${top.length}`);
  const [tbsT, sigAlgT, sigT] = top as [Tlv, Tlv, Tlv];
  expectTag(tbsT, TAG.SEQUENCE, 'tbsCertificate');
  const f = children(tbsT, 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (f[0]?.tag === 0xa0) {
    const v = children(f[0], 'version');
    if (v.length !== 1) throw new PkiError('bad-der', 'version: [0] must hold one INTEGER');
    version = decodeSmallInteger(v[0]!, 'version') + 1;
    i = 1;
  }
  const need = (what: string): Tlv => {
    const t = f[i++];
    if (!t) throw new PkiError('bad-der', `tbsCertificate: ${what} is missing`);
    return t;
  };
  const serial = decodeIntegerBytes(need('serialNumber'), 'serialNumber');
  const tbsSignatureAlgorithm = parseAlgorithm(need('signature'), 'tbsCertificate signature algorithm');
  const issuerT = need('issuer');
  const issuer = parseName(issuerT, 'issuer');
  const validity = children(expectTag(need('validity'), TAG.SEQUENCE, 'validity'), 'validity');
  if (validity.length !== 2) throw new PkiError('bad-der', 'validity: expected notBefore and notAfter');
  const notBefore = decodeTime(validity[0]!, 'notBefore');
  const notAfter = decodeTime(validity[1]!, 'notAfter');
  const subjectT = need('subject');
  const subject = parseName(subjectT, 'subject');
  const spkiT = need('subjectPublicKeyInfo');
  const { algorithmOid, curveOid, keyBits } = readSpki(spkiT);

  let hasUniqueIds = false;
  const extensions: CertificateExtension[] = [];
  for (; i < f.length; i++) {
    const t = f[i]!;
    if (t.tag === 0x81 || t.tag === 0x82) {
      hasUniqueIds = true;
    } else if (t.tag === 0xa3) {
      if (version !== 3) throw new PkiError('bad-der', `extensions present in a v${version} certificate`);
      extensions.push(...readExtensions(t));
    } else {
      throw new PkiError('bad-der', `tbsCertificate: unexpected field with tag 0x${t.tag.toString(16)}`);
    }
  }
  const signatureAlgorithm = parseAlgorithm(sigAlgT, 'signatureAlgorithm');
  const signature = decodeBitString(sigT, 'signatureValue');

  const known = parseKnownExtensions(extensions);
  const ku = known.keyUsage;
  const keyUsageBits = ku ? ku.value.bits : null;
  const ski = known.subjectKeyIdentifier?.value ?? null;
  const akiForm = known.authorityKeyIdentifier?.value ?? null;
  const bc = known.basicConstraints;
  const basicConstraints = bc ? { ...bc.value, critical: bc.extension.critical } : null;
  const policies = known.certificatePolicies?.value ?? null;
  const san = known.subjectAltName ? { names: known.subjectAltName.value } : null;

  const issuerDer = whole(issuerT);
  const subjectDer = whole(subjectT);
  const selfIssued = issuerDer.equals(subjectDer);
  const ous = subject.flat().filter((a) => a.oid === OID.organizationalUnit);
  const ouText = ous.length === 1 ? stringValue(ous[0]!) : null;
  const hwName = san?.names.find((n) => n.type === 'hardwareModuleName');
  const kind = certificateKind({ ca: basicConstraints?.ca === true, selfIssued, ski, aki: akiForm?.keyIdentifier ?? null, ouText, device: hwName !== undefined });
  const subjectEui = subjectEuiOf(kind, subject, hwName);
  const keyUsage = keyUsageClass(keyUsageBits);

  // Building a KeyObject costs more than the rest of the parse, so it is made on first use; a P-256
  // point is checked here (cheaply) so that the deferred construction cannot fail.
  let publicKey: KeyObject | null = null;
  if (algorithmOid === OID.ecPublicKey && curveOid === OID.prime256v1) {
    if (keyBits.unusedBits !== 0 || !isP256Point(keyBits.bytes)) {
      throw new PkiError('bad-der', 'subjectPublicKeyInfo: the P-256 public key is not an uncompressed point on the curve');
    }
  } else {
    publicKey = makePublicKey(whole(spkiT));
  }

  const serialText = signedHex(serial);
  const facts: CertificateFacts = {
    der,
    fingerprint: certificateFingerprint(der),
    serialHex: serialText.hex,
    serialDecimal: serialText.decimal,
    kind,
    subjectEui,
    role: kind === 'device' || ouText === null || !/^[0-9A-Fa-f]{2}$/.test(ouText) ? null : parseInt(ouText, 16),
    keyUsage,
    ski: ski ? ski.toString('hex').toUpperCase() : '',
    aki: akiForm?.keyIdentifier ? akiForm.keyIdentifier.toString('hex').toUpperCase() : null,
    subjectDn: nameToString(subject),
    issuerDn: nameToString(issuer),
    notBefore,
    notAfter,
    policyOids: policies ? policies.map((p) => p.oid) : [],
    get publicKey(): KeyObject {
      publicKey ??= publicKeyFromRaw(keyBits.bytes);
      return publicKey;
    },
    extensions,
    basicConstraints,
    selfIssued,
    subjectNameDer: subjectDer,
    issuerNameDer: issuerDer,
  };
  const parsed: ParsedCertificate = {
    facts,
    version,
    tbs: whole(tbsT),
    signatureAlgorithm,
    tbsSignatureAlgorithm,
    signature,
    serial,
    issuerDer,
    subjectDer,
    issuer,
    subject,
    spki: { algorithmOid, curveOid, key: keyBits.bytes, unusedBits: keyBits.unusedBits },
    timeTags: { notBefore: validity[0]!.tag, notAfter: validity[1]!.tag },
    keyUsageBits,
    keyUsageDer: ku ? ku.extension.valueDer : null,
    akiForm,
    policies,
    san,
    hasUniqueIds,
  };
  parsedByFacts.set(facts, parsed);
  return parsed;
}

/**
 * Parses an X.509 certificate (DER) into the facts the simulator works with. Throws
 * PkiError('not-a-certificate') saying which field is malformed. Does not validate the profile
 * (see checkProfile) nor any signature.
 */
export function describeCertificate(der: Uint8Array): CertificateFacts {
  return parseCertificate(der).facts;
}

// Parses by DER content: the DCC sees the same few organisation certificates in every 6.21 and
// 6.15.1 (carried replacement and path certificates), and parsing one cost ~8-10% of a handover
// (bench/pipeline.ts). Keyed by the bytes themselves (latin1), so there is no hash to collide;
// parse() copies its input, so a caller reusing its buffer cannot change a cached entry. Bounded:
// cleared whole when full, which is cheap and keeps memory flat under fuzzing.
const PARSE_CACHE_LIMIT = 2048;
const parseCache = new Map<string, ParsedCertificate>();

/** A certificate's fingerprint as the SMKI repository keys it: SHA-256 of its DER, lower-case hex. */
export function certificateFingerprint(der: Uint8Array): string {
  return hash('sha256', der, 'hex');
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (!(der instanceof Uint8Array)) throw new PkiError('not-a-certificate', 'expected certificate DER bytes (Uint8Array)');
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const hit = parseCache.get(key);
  if (hit !== undefined) return hit;
  try {
    const parsed = parse(der);
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(key, parsed);
    return parsed;
  } catch (e) {
    if (e instanceof PkiError) throw new PkiError('not-a-certificate', `not a certificate: ${e.message}`);
    throw e;
  }
}

/** The parse behind a facts object (re-parsed from facts.der when the facts came from elsewhere). */
export function parsedOf(cert: Uint8Array | CertificateFacts): ParsedCertificate {
  if (cert instanceof Uint8Array) return parseCertificate(cert);
  return parsedByFacts.get(cert) ?? parseCertificate(cert.der);
}

export function keyUsageBitNames(bits: readonly number[]): string[] {
  return bits.map((b) => KEY_USAGE_BIT_NAMES[b] ?? `bit ${b}`);
}

export function namesMatch(a: ParsedCertificate['issuer'], aDer: Buffer, b: ParsedCertificate['subject'], bDer: Buffer): boolean {
  return aDer.equals(bDer) || canonicalName(a) === canonicalName(b);
}

/** ECDSA-SHA256 signature of `child` checks out under `issuerKey`. */
export function signatureVerifies(child: ParsedCertificate, issuerKey: KeyObject): boolean {
  if (child.signatureAlgorithm.oid !== OID.ecdsaWithSha256 || child.signature.unusedBits !== 0) return false;
  if (issuerKey.asymmetricKeyType !== 'ec') return false;
  try {
    return cryptoVerify('sha256', child.tbs, issuerKey, child.signature.bytes);
  } catch {
    return false;
  }
}

/** `issuer` issued `child`: names chain, AKI (when present) equals issuer SKI, signature verifies. */
export function verifyIssuedBy(child: CertificateFacts, issuer: CertificateFacts): boolean {
  const c = parsedOf(child);
  const p = parsedOf(issuer);
  if (!namesMatch(c.issuer, c.issuerDer, p.subject, p.subjectDer)) return false;
  if (c.facts.aki !== null && c.facts.aki !== p.facts.ski) return false;
  return signatureVerifies(c, p.facts.publicKey);
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/;

export function certificateToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** DER of the first CERTIFICATE block in `pem`; throws PkiError('not-a-certificate') when there is none. */
export function certificateFromPem(pem: string): Buffer {
  const m = typeof pem === 'string' ? PEM_RE.exec(pem) : null;
  if (!m) throw new PkiError('not-a-certificate', 'no -----BEGIN CERTIFICATE----- block found in the PEM text');
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (der.length === 0) throw new PkiError('not-a-certificate', 'the CERTIFICATE PEM block is empty');
  return der;
}
