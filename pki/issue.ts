import { createHash, KeyObject } from 'node:crypto';
import { parseCertificate, parsedOf } from './certificate.ts';
import type { CertificateFacts, ParsedCertificate } from './certificate.ts';
import {
  bitString, boolean, contextTag, integer, integerFromBytes, octetString, oid, printableString, seq, setOf, time, utf8String,
} from './der.ts';
import { signDeterministic } from './ecdsa.ts';
import { PkiError } from './errors.ts';
import { privateScalar, rawPublicKey, P256_SPKI_PREFIX } from './keys.ts';
import type { KeyPair } from './keys.ts';
import { OID, SMKI_TEST_POLICY_OID } from './oids.ts';
import { euiToBytes, isXmlSigningRole, parseEui, roleHex, roleName, ROLE_KEY_USAGES } from './vocabulary.ts';
import type { Eui, KeyUsage } from './vocabulary.ts';

// ---------------------------------------------------------------------------------------------
// Low-level builder

/**
 * One name attribute. `type` is a dotted OID or one of CN, OU, O, C, x500UniqueIdentifier.
 * Give `value` (encoded as PrintableString or UTF8String) or `valueDer` (the attribute value's
 * whole DER TLV, for anything else, e.g. the x500UniqueIdentifier BIT STRING).
 */
export type NameAttributeSpec =
  | { type: string; value: string; encoding: 'printable' | 'utf8' }
  | { type: string; valueDer: Uint8Array };

/** A Name: its DER bytes, or attributes in DER order, one attribute per RDN (`[]` is the empty name). */
export type NameSpec = Uint8Array | readonly NameAttributeSpec[];

/** An extension as it goes into the certificate: extnValue is `valueDer` (the extension's own DER). */
export interface ExtensionSpec {
  oid: string;
  critical: boolean;
  valueDer: Uint8Array;
}

/**
 * Everything about a certificate, so tests (and the CSR flow) can build exactly the certificate
 * they want, including deliberately broken ones. Nothing is checked against the SMKI profile here.
 */
export interface CertificateSpec {
  issuer: NameSpec;
  subject: NameSpec;
  /** magnitude bytes or a bigint; default: 16 bytes derived from the certificate content (positive, no leading 00) */
  serial?: Uint8Array | bigint;
  /** encoded per RFC 5280: UTCTime 1950-2049, GeneralizedTime otherwise; fractions of a second dropped */
  notBefore: Date;
  notAfter: Date;
  /** the subject's public key: a P-256 KeyObject or its 65-byte uncompressed point */
  publicKey: KeyObject | Uint8Array;
  /** in order; an empty list omits the [3] extensions field */
  extensions: readonly ExtensionSpec[];
  /** the issuer's P-256 private key; the signature is deterministic (RFC 6979) */
  signingKey: KeyObject;
  /** default 3 */
  version?: 1 | 2 | 3;
  /** written in both AlgorithmIdentifier fields; default ecdsa-with-SHA256 (anything else makes the cert unverifiable) */
  signatureAlgorithmOid?: string;
}

const SHORT_TYPES: Record<string, string> = {
  CN: OID.commonName,
  OU: OID.organizationalUnit,
  O: '2.5.4.10',
  C: '2.5.4.6',
  x500UniqueIdentifier: OID.x500UniqueIdentifier,
};

/** DER of a Name. */
export function encodeName(name: NameSpec): Buffer {
  if (name instanceof Uint8Array) return Buffer.from(name);
  return seq(
    ...name.map((a) => {
      const typeOid = SHORT_TYPES[a.type] ?? a.type;
      const value = 'valueDer' in a ? Buffer.from(a.valueDer) : a.encoding === 'printable' ? printableString(a.value) : utf8String(a.value);
      return setOf(seq(oid(typeOid), value));
    }),
  );
}

function rawPoint(key: KeyObject | Uint8Array): Buffer {
  if (key instanceof KeyObject) return rawPublicKey(key);
  if (key.length !== 65 || key[0] !== 0x04) throw new PkiError('bad-key', `subject public key must be a 65-byte uncompressed P-256 point, got ${key.length} bytes`);
  return Buffer.from(key);
}

const SIG_ALG_DER = seq(oid(OID.ecdsaWithSha256));

function signatureAlgorithm(o: string | undefined): Buffer {
  return o === undefined || o === OID.ecdsaWithSha256 ? SIG_ALG_DER : seq(oid(o));
}

/** Serial derived from the content so a world seeded twice is byte-identical: 16 bytes, top bit clear, non-zero first byte. */
function derivedSerial(parts: Uint8Array[]): Buffer {
  const h = createHash('sha256').update('dcc-sim certificate serial\0');
  for (const p of parts) h.update(p);
  const s = h.digest().subarray(0, 16);
  s[0] = s[0]! & 0x7f || 0x01;
  return s;
}

function serialDer(serial: Uint8Array | bigint): Buffer {
  if (typeof serial === 'bigint') {
    if (serial < 0n) throw new PkiError('bad-spec', 'serial must be non-negative');
    const hex = serial.toString(16);
    return integerFromBytes(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
  }
  return integerFromBytes(serial);
}

function extensionDer(e: ExtensionSpec): Buffer {
  return e.critical ? seq(oid(e.oid), boolean(true), octetString(e.valueDer)) : seq(oid(e.oid), octetString(e.valueDer));
}

/** Builds and signs a certificate exactly as specified. Returns its DER. */
export function buildCertificate(spec: CertificateSpec): Buffer {
  const version = spec.version ?? 3;
  const issuer = encodeName(spec.issuer);
  const subject = encodeName(spec.subject);
  const validity = seq(time(spec.notBefore), time(spec.notAfter));
  const spki = Buffer.concat([P256_SPKI_PREFIX, rawPoint(spec.publicKey)]);
  const sigAlg = signatureAlgorithm(spec.signatureAlgorithmOid);
  const exts = spec.extensions.length ? contextTag(3, true, seq(...spec.extensions.map(extensionDer))) : Buffer.alloc(0);
  const serial = spec.serial === undefined ? integerFromBytes(derivedSerial([issuer, subject, validity, spki, exts])) : serialDer(spec.serial);
  const versionDer = version === 1 ? Buffer.alloc(0) : contextTag(0, true, integer(version - 1));
  const tbs = seq(versionDer, serial, sigAlg, issuer, validity, subject, spki, exts);
  const sig = signDeterministic(tbs, privateScalar(spec.signingKey));
  return seq(tbs, sigAlg, bitString(sig));
}

// ---------------------------------------------------------------------------------------------
// SMKI extension builders (byte-identical to ZAZ1, smki.md §1)

const KU_DER: Record<KeyUsage | 'CA', Buffer> = {
  DS: Buffer.from('03020780', 'hex'),
  KA: Buffer.from('03020308', 'hex'),
  CA: Buffer.from('03020106', 'hex'),
};

/** keyUsage, critical: DS = digitalSignature, KA = keyAgreement, CA = keyCertSign + cRLSign. */
export function keyUsageExtension(usage: KeyUsage | 'CA', critical = true): ExtensionSpec {
  return { oid: OID.keyUsage, critical, valueDer: KU_DER[usage] };
}

/** RFC 5280 §4.2.1.2 method 2 (8 bytes): 0100 + low 60 bits of SHA-1 over the 65-byte public point. */
export function smkiKeyIdentifier(publicKey: KeyObject | Uint8Array): Buffer {
  const id = createHash('sha1').update(rawPoint(publicKey)).digest().subarray(12);
  id[0] = 0x40 | (id[0]! & 0x0f);
  return id;
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array, critical = false): ExtensionSpec {
  return { oid: OID.subjectKeyIdentifier, critical, valueDer: octetString(keyId) };
}

/** `SEQUENCE { [0] keyIdentifier }` only, as ZAZ1 has it. */
export function authorityKeyIdentifierExtension(keyId: Uint8Array, critical = false): ExtensionSpec {
  return { oid: OID.authorityKeyIdentifier, critical, valueDer: seq(contextTag(0, false, keyId)) };
}

export function basicConstraintsExtension(ca: boolean, pathLen?: number, critical = true): ExtensionSpec {
  const parts = [...(ca ? [boolean(true)] : []), ...(pathLen === undefined ? [] : [integer(pathLen)])];
  return { oid: OID.basicConstraints, critical, valueDer: seq(...parts) };
}

/** One PolicyInformation per OID, no qualifiers. */
export function certificatePoliciesExtension(policyOids: readonly string[], critical = true): ExtensionSpec {
  return { oid: OID.certificatePolicies, critical, valueDer: seq(...policyOids.map((p) => seq(oid(p)))) };
}

/** subjectAltName with one otherName hardwareModuleName { hwType, hwSerialNum = device EUI } (smki.md §5). */
export function deviceSubjectAltNameExtension(deviceEui: Eui, critical = true, hwType: string = OID.smartMeterHwType): ExtensionSpec {
  const hmn = seq(oid(hwType), octetString(euiToBytes(deviceEui)));
  return { oid: OID.subjectAltName, critical, valueDer: seq(contextTag(0, true, oid(OID.hardwareModuleName), contextTag(0, true, hmn))) };
}

/** The x500UniqueIdentifier attribute value: BIT STRING, 0 unused bits, the 8-byte EUI. */
export function euiUniqueIdentifier(eui: Eui): NameAttributeSpec {
  return { type: 'x500UniqueIdentifier', valueDer: bitString(euiToBytes(eui)) };
}

// ---------------------------------------------------------------------------------------------
// SMKI issuance

/** A CA that can issue: its certificate, parsed facts and private key. */
export interface CaHandle {
  certificate: Buffer;
  facts: CertificateFacts;
  privateKey: KeyObject;
}

export interface CaOptions {
  commonName: string;
  keyPair: KeyPair;
  notBefore: Date;
  notAfter: Date;
  /** default SMKI_TEST_POLICY_OID */
  policyOid?: string;
}

/** The notAfter every device certificate carries: GeneralizedTime 99991231235959Z. */
export const DEVICE_NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

interface IssuerContext {
  kind: CertificateFacts['kind'];
  subjectDer: Buffer;
  keyId: Buffer;
}
const issuerContexts = new WeakMap<CaHandle, IssuerContext>();

function issuerContext(ca: CaHandle, wantKind: CertificateFacts['kind'], what: string): IssuerContext {
  let ctx = issuerContexts.get(ca);
  if (ctx?.kind === wantKind) return ctx;
  if (!ca || !(ca.certificate instanceof Uint8Array) || !(ca.privateKey instanceof KeyObject)) {
    throw new PkiError('bad-issuer', `${what}: expected a CaHandle { certificate, facts, privateKey }`);
  }
  const parsed: ParsedCertificate = parsedOf(ca.facts ?? ca.certificate);
  if (parsed.facts.kind !== wantKind) {
    throw new PkiError('bad-issuer', `${what}: the issuer '${parsed.facts.subjectDn}' has kind ${parsed.facts.kind}, expected ${wantKind}`);
  }
  if (!rawPublicKey(ca.privateKey).equals(rawPublicKey(parsed.facts.publicKey))) {
    throw new PkiError('bad-issuer', `${what}: the private key does not belong to the issuer certificate '${parsed.facts.subjectDn}'`);
  }
  if (!parsed.facts.ski) throw new PkiError('bad-issuer', `${what}: the issuer certificate has no subjectKeyIdentifier`);
  ctx = { kind: wantKind, subjectDer: parsed.subjectDer, keyId: Buffer.from(parsed.facts.ski, 'hex') };
  issuerContexts.set(ca, ctx);
  return ctx;
}

function checkValidity(notBefore: Date, notAfter: Date, what: string): void {
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) throw new PkiError('bad-request', `${what}: notBefore is not a valid Date`);
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) throw new PkiError('bad-request', `${what}: notAfter is not a valid Date`);
  if (notAfter.getTime() < notBefore.getTime()) throw new PkiError('bad-request', `${what}: notAfter ${notAfter.toISOString()} is before notBefore ${notBefore.toISOString()}`);
}

function handle(certificate: Buffer, privateKey: KeyObject): CaHandle {
  // frozen: issuerContext caches per handle, so its key must not change underneath
  return Object.freeze({ certificate, facts: parseCertificate(certificate).facts, privateKey });
}

/** CA names: PrintableString, DER order OU then CN (as ZA/Z1). */
function caName(ou: string | null, commonName: string): NameAttributeSpec[] {
  return [...(ou === null ? [] : [{ type: 'OU', value: ou, encoding: 'printable' as const }]), { type: 'CN', value: commonName, encoding: 'printable' }];
}

/** Self-signed root, subject OU=00 + CN; KU! keyCertSign+cRLSign, BC! CA:TRUE, CP!, SKI; no AKI. */
export function createRootCa(o: CaOptions): CaHandle {
  checkValidity(o.notBefore, o.notAfter, 'createRootCa');
  const name = caName('00', o.commonName);
  const der = buildCertificate({
    issuer: name,
    subject: name,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: o.keyPair.publicKey,
    signingKey: o.keyPair.privateKey,
    extensions: [
      keyUsageExtension('CA'),
      basicConstraintsExtension(true),
      certificatePoliciesExtension([o.policyOid ?? SMKI_TEST_POLICY_OID]),
      subjectKeyIdentifierExtension(smkiKeyIdentifier(o.keyPair.publicKey)),
    ],
  });
  return handle(der, o.keyPair.privateKey);
}

function subordinateCa(root: CaHandle, o: CaOptions, ou: string | null, what: string): CaHandle {
  checkValidity(o.notBefore, o.notAfter, what);
  const issuer = issuerContext(root, 'root', what);
  const der = buildCertificate({
    issuer: issuer.subjectDer,
    subject: caName(ou, o.commonName),
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: o.keyPair.publicKey,
    signingKey: root.privateKey,
    extensions: [
      keyUsageExtension('CA'),
      basicConstraintsExtension(true, 0),
      certificatePoliciesExtension([o.policyOid ?? SMKI_TEST_POLICY_OID]),
      subjectKeyIdentifierExtension(smkiKeyIdentifier(o.keyPair.publicKey)),
      authorityKeyIdentifierExtension(issuer.keyId),
    ],
  });
  return handle(der, o.keyPair.privateKey);
}

/** Organisation (issuing) CA under the root: OU=07 + CN, pathLen 0, extension order as Z1. */
export function issueIssuingCa(root: CaHandle, o: CaOptions): CaHandle {
  return subordinateCa(root, o, '07', 'issueIssuingCa');
}

/** Device CA under the root: subject a single CN (as the RTDS device-cert issuers), pathLen 0. */
export function issueDeviceCa(root: CaHandle, o: CaOptions): CaHandle {
  return subordinateCa(root, o, null, 'issueDeviceCa');
}

export interface OrganisationCertificateOptions {
  eui: Eui;
  role: number;
  keyUsage: KeyUsage;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** optional leading CN (UTF8String), as on some ZAZ1 supplier DS certs */
  commonName?: string;
  /** default SMKI_TEST_POLICY_OID */
  policyOid?: string;
}

/**
 * Organisation certificate (or, for role 0x87/0x89, an XML-signing certificate profiled the same way):
 * subject [CN] + OU (role, two hex digits, UTF8String) + x500UniqueIdentifier (EUI); issuer = the OCA
 * subject bytes; extensions KU!, SKI, CP!, AKI. Refuses role/usage pairs the role table does not allow.
 */
export function issueOrganisationCertificate(oca: CaHandle, o: OrganisationCertificateOptions): Buffer {
  const what = 'issueOrganisationCertificate';
  const eui = parseEui(o.eui);
  const allowed = ROLE_KEY_USAGES.get(o.role);
  if (!allowed) throw new PkiError('bad-request', `${what}: ${roleName(o.role)} has no organisation certificates`);
  if (!allowed.includes(o.keyUsage)) {
    throw new PkiError('bad-request', `${what}: a ${roleName(o.role)} certificate cannot have key usage ${o.keyUsage} (allowed: ${allowed.join(', ')})`);
  }
  if (isXmlSigningRole(o.role) && o.keyUsage !== 'DS') throw new PkiError('bad-request', `${what}: XML-signing certificates are DS only`);
  checkValidity(o.notBefore, o.notAfter, what);
  const issuer = issuerContext(oca, 'issuing-ca', what);
  const subject: NameAttributeSpec[] = [
    ...(o.commonName === undefined ? [] : [{ type: 'CN', value: o.commonName, encoding: 'utf8' as const }]),
    { type: 'OU', value: roleHex(o.role), encoding: 'utf8' },
    euiUniqueIdentifier(eui),
  ];
  return buildCertificate({
    issuer: issuer.subjectDer,
    subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    publicKey: o.publicKey,
    signingKey: oca.privateKey,
    extensions: [
      keyUsageExtension(o.keyUsage),
      subjectKeyIdentifierExtension(smkiKeyIdentifier(o.publicKey)),
      certificatePoliciesExtension([o.policyOid ?? SMKI_TEST_POLICY_OID]),
      authorityKeyIdentifierExtension(issuer.keyId),
    ],
  });
}

export interface DeviceCertificateOptions {
  deviceEui: Eui;
  keyUsage: KeyUsage;
  /** P-256 KeyObject or its 65-byte uncompressed point */
  publicKey: KeyObject | Uint8Array;
  notBefore: Date;
  /** default SMKI_TEST_POLICY_OID */
  policyOid?: string;
}

const EMPTY_NAME = Buffer.from([0x30, 0x00]);

/**
 * Device certificate: empty subject, notAfter 99991231235959Z, extensions KU!, SKI, SAN! (hardwareModuleName
 * with hwSerialNum = device EUI), CP!, AKI. Cheap: plain DER concatenation plus one RFC 6979 signature.
 */
export function issueDeviceCertificate(dca: CaHandle, o: DeviceCertificateOptions): Buffer {
  const what = 'issueDeviceCertificate';
  const eui = parseEui(o.deviceEui);
  if (o.keyUsage !== 'DS' && o.keyUsage !== 'KA') throw new PkiError('bad-request', `${what}: key usage must be DS or KA, got ${String(o.keyUsage)}`);
  checkValidity(o.notBefore, DEVICE_NOT_AFTER, what);
  const issuer = issuerContext(dca, 'device-ca', what);
  return buildCertificate({
    issuer: issuer.subjectDer,
    subject: EMPTY_NAME,
    notBefore: o.notBefore,
    notAfter: DEVICE_NOT_AFTER,
    publicKey: o.publicKey,
    signingKey: dca.privateKey,
    extensions: [
      keyUsageExtension(o.keyUsage),
      subjectKeyIdentifierExtension(smkiKeyIdentifier(o.publicKey)),
      deviceSubjectAltNameExtension(eui),
      certificatePoliciesExtension([o.policyOid ?? SMKI_TEST_POLICY_OID]),
      authorityKeyIdentifierExtension(issuer.keyId),
    ],
  });
}
