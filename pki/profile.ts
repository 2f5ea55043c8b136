import { OID, SMKI_TEST_POLICY_OID } from './oids.ts';
import { KNOWN_EXTENSIONS } from './extensions/index.ts';
import { keyUsageBitNames, parsedOf, signatureVerifies } from './certificate.ts';
import type { CertificateFacts, CertificateKind, ParsedCertificate } from './certificate.ts';
import { bitString, TAG } from './der.ts';
import { PkiError } from './errors.ts';
import { DEVICE_NOT_AFTER, smkiKeyIdentifier } from './issue.ts';
import { isXmlSigningRole, parseEui, roleHex, roleName, ROLE_KEY_USAGES } from './vocabulary.ts';
import type { Eui, KeyUsage } from './vocabulary.ts';

/** One way a certificate departs from its SMKI profile. `code` is stable; `message` is for people. */
export interface ProfileProblem {
  code: string;
  message: string;
}

/** What the certificate is supposed to be: its kind, and for the slot it fills, role, usage and owner. */
export interface ProfileExpectation {
  kind: CertificateKind;
  role?: number;
  keyUsage?: KeyUsage;
  eui?: Eui;
  /** default SMKI_TEST_POLICY_OID */
  policyOid?: string;
}

const KIND_TEXT: Record<CertificateKind, string> = {
  root: 'a root CA certificate',
  'issuing-ca': 'an issuing (organisation) CA certificate',
  'device-ca': 'a device CA certificate',
  organisation: 'an organisation certificate',
  'xml-signing': 'an XML-signing certificate',
  device: 'a device certificate',
};

const family = (k: CertificateKind): string =>
  k === 'root' || k === 'issuing-ca' || k === 'device-ca' ? 'CA' : k === 'device' ? 'device' : 'organisation';

const USAGE_TEXT: Record<KeyUsage, string> = { DS: 'digitalSignature', KA: 'keyAgreement' };

/** DER of a named-bit BIT STRING: trailing zero bits dropped (X.690 §11.2.2). */
function namedBitsDer(bits: readonly number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
  return bitString(bytes, 7 - (highest & 7));
}

function stringOf(tag: number, value: Buffer): string | null {
  if (tag === TAG.UTF8_STRING) return value.toString('utf8');
  if (tag === TAG.PRINTABLE_STRING || tag === TAG.IA5_STRING || tag === TAG.T61_STRING) return value.toString('latin1');
  return null;
}

/**
 * Checks one certificate against the SMKI profile of `expect.kind` (smki.md §1-6) and against the
 * slot it is meant to fill (role, key usage, owner EUI). Returns every problem found; [] means conformant.
 * Does not check the issuer's signature or the path (see validatePath).
 */
export function checkProfile(cert: Uint8Array | CertificateFacts, expect: ProfileExpectation): ProfileProblem[] {
  let p: ParsedCertificate;
  try {
    p = parsedOf(cert);
  } catch (e) {
    if (e instanceof PkiError) return [{ code: e.code, message: e.message }];
    throw e;
  }
  const problems: ProfileProblem[] = [];
  const add = (code: string, message: string): void => {
    problems.push({ code, message });
  };
  const f = p.facts;
  const kind = expect.kind;
  if (!KIND_TEXT[kind]) throw new PkiError('bad-request', `checkProfile: unknown certificate kind '${String(kind)}'`);
  const kindText = KIND_TEXT[kind];
  const isCa = family(kind) === 'CA';
  const ext = (o: string) => f.extensions.find((e) => e.oid === o);

  if (family(f.kind) !== family(kind)) {
    add('kind-mismatch', `expected ${kindText}, but the certificate is structured as ${KIND_TEXT[f.kind]}`);
  }

  // --- common to every SMKI certificate
  if (p.version !== 3) add('version', `certificate is v${p.version}; SMKI certificates are v3`);
  if (p.signatureAlgorithm.oid !== OID.ecdsaWithSha256 || p.signatureAlgorithm.paramsPresent) {
    add('signature-algorithm', `signature algorithm is ${p.signatureAlgorithm.oid}${p.signatureAlgorithm.paramsPresent ? ' with parameters' : ''}; SMKI requires ecdsa-with-SHA256 without parameters`);
  } else if (p.tbsSignatureAlgorithm.oid !== p.signatureAlgorithm.oid || p.tbsSignatureAlgorithm.paramsPresent) {
    add('signature-algorithm', 'the signature algorithm inside tbsCertificate differs from the outer one');
  }
  if (p.spki.algorithmOid !== OID.ecPublicKey || p.spki.curveOid !== OID.prime256v1 || p.spki.key.length !== 65 || p.spki.key[0] !== 0x04) {
    add('public-key', `public key is ${p.spki.algorithmOid}${p.spki.curveOid ? ` on ${p.spki.curveOid}` : ''} (${p.spki.key.length} bytes); SMKI requires a P-256 key as a 65-byte uncompressed point`);
  }
  if ((p.serial[0]! & 0x80) !== 0 || p.serial.every((b) => b === 0)) {
    add('serial-number', `serialNumber ${f.serialHex} is not a positive integer`);
  } else if (p.serial.length > 20) {
    add('serial-number', `serialNumber is ${p.serial.length} octets; RFC 5280 allows at most 20`);
  }
  if (f.notAfter.getTime() < f.notBefore.getTime()) {
    add('validity-order', `notAfter ${f.notAfter.toISOString()} is before notBefore ${f.notBefore.toISOString()}`);
  }
  for (const [which, date, tag] of [['notBefore', f.notBefore, p.timeTags.notBefore], ['notAfter', f.notAfter, p.timeTags.notAfter]] as const) {
    const y = date.getUTCFullYear();
    const want = y >= 1950 && y <= 2049 ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
    if (tag !== want) add('validity-encoding', `${which} (${y}) is encoded as ${tag === TAG.UTC_TIME ? 'UTCTime' : 'GeneralizedTime'}; RFC 5280 requires ${want === TAG.UTC_TIME ? 'UTCTime up to 2049' : 'GeneralizedTime from 2050'}`);
  }

  const seen = new Set<string>();
  for (const e of f.extensions) {
    if (seen.has(e.oid)) add('duplicate-extension', `extension ${e.oid} appears more than once`);
    seen.add(e.oid);
    if (e.critical && !KNOWN_EXTENSIONS.has(e.oid)) add('unknown-critical-extension', `extension ${e.oid} is critical and not one a validator understands`);
  }

  // keyUsage
  const ku = ext(OID.keyUsage);
  if (!ku || !p.keyUsageBits) {
    add('key-usage-missing', `keyUsage is absent; ${kindText} must carry it, critical`);
  } else {
    if (!ku.critical) add('key-usage-not-critical', 'keyUsage is not marked critical; SMKI requires it critical');
    const bits = p.keyUsageBits;
    const names = keyUsageBitNames(bits);
    if (bits.length && !p.keyUsageDer!.equals(namedBitsDer(bits))) {
      add('key-usage-encoding', `keyUsage BIT STRING ${p.keyUsageDer!.toString('hex')} is not the DER form ${namedBitsDer(bits).toString('hex')}`);
    }
    if (isCa) {
      const ok = bits.includes(5) && bits.every((b) => b === 5 || b === 6);
      if (!ok) add('key-usage-ca', `keyUsage is {${names.join(', ')}}; ${kindText} has keyCertSign (and cRLSign) only`);
    } else if (bits.length !== 1) {
      add('key-usage-bits', `keyUsage has ${bits.length} bits set${bits.length ? ` (${names.join(', ')})` : ''}; ${kindText} has exactly one`);
    } else if (bits[0] !== 0 && bits[0] !== 4) {
      add('key-usage-bits', `keyUsage is ${names[0]}; ${kindText} has digitalSignature or keyAgreement`);
    } else {
      const usage: KeyUsage = bits[0] === 0 ? 'DS' : 'KA';
      if (expect.keyUsage !== undefined && expect.keyUsage !== usage) {
        add('key-usage-mismatch', `certificate key usage is ${USAGE_TEXT[usage]}; this slot needs ${USAGE_TEXT[expect.keyUsage]}`);
      }
    }
  }

  // subjectKeyIdentifier: 8 bytes, RFC 5280 method 2
  const ski = ext(OID.subjectKeyIdentifier);
  if (!ski || !f.ski) {
    add('ski-missing', 'subjectKeyIdentifier is absent; SMKI requires it');
  } else {
    if (ski.critical) add('ski-critical', 'subjectKeyIdentifier is marked critical; SMKI has it non-critical');
    const len = f.ski.length / 2;
    if (len !== 8) add('ski-length', `subjectKeyIdentifier is ${len} bytes; SMKI requires 8`);
    else if (p.spki.key.length === 65 && smkiKeyIdentifier(p.spki.key).toString('hex').toUpperCase() !== f.ski) {
      add('ski-method', `subjectKeyIdentifier ${f.ski} is not RFC 5280 method 2 of the public key (expected ${smkiKeyIdentifier(p.spki.key).toString('hex').toUpperCase()})`);
    }
  }

  // authorityKeyIdentifier: [0] keyIdentifier only, 8 bytes; absent only on the root
  const aki = ext(OID.authorityKeyIdentifier);
  if (kind === 'root') {
    if (aki) add('aki-on-root', 'the root certificate carries an authorityKeyIdentifier; an SMKI root has none');
  } else if (!aki || !p.akiForm) {
    add('aki-missing', `authorityKeyIdentifier is absent; ${kindText} must identify its issuer's key`);
  } else {
    if (aki.critical) add('aki-critical', 'authorityKeyIdentifier is marked critical; SMKI has it non-critical');
    if (!p.akiForm.keyIdentifier) add('aki-form', 'authorityKeyIdentifier has no [0] keyIdentifier');
    else if (p.akiForm.keyIdentifier.length !== 8) add('aki-length', `authorityKeyIdentifier is ${p.akiForm.keyIdentifier.length} bytes; SMKI requires 8`);
    if (p.akiForm.otherFields) add('aki-form', 'authorityKeyIdentifier carries authorityCertIssuer/serialNumber; SMKI uses the keyIdentifier only');
  }

  // certificatePolicies: critical, one policy, the expected one
  const wantPolicy = expect.policyOid ?? SMKI_TEST_POLICY_OID;
  const cp = ext(OID.certificatePolicies);
  if (!cp || !p.policies) {
    add('policy-missing', `certificatePolicies is absent; SMKI requires it critical with policy ${wantPolicy}`);
  } else {
    if (!cp.critical) add('policy-not-critical', 'certificatePolicies is not marked critical; SMKI requires it critical');
    if (!p.policies.some((x) => x.oid === wantPolicy)) {
      add('policy-mismatch', `certificatePolicies holds ${p.policies.map((x) => x.oid).join(', ') || 'no policy'}; expected ${wantPolicy}`);
    } else if (p.policies.length !== 1) {
      add('policy-count', `certificatePolicies holds ${p.policies.length} policies; SMKI certificates carry exactly one`);
    }
    if (p.policies.some((x) => x.qualifiers)) add('policy-qualifiers', 'certificatePolicies carries policy qualifiers; SMKI certificates have none');
  }

  // basicConstraints
  const bc = f.basicConstraints;
  if (isCa) {
    if (!bc) add('basic-constraints-missing', `basicConstraints is absent; ${kindText} needs it critical with cA TRUE`);
    else {
      if (!bc.critical) add('basic-constraints-not-critical', 'basicConstraints is not marked critical');
      if (!bc.ca) add('basic-constraints-not-ca', `basicConstraints has cA FALSE; ${kindText} needs cA TRUE`);
      if (kind === 'issuing-ca' && bc.pathLen !== 0) {
        add('path-length', `basicConstraints pathLenConstraint is ${bc.pathLen ?? 'absent'}; an issuing CA has pathLen 0`);
      }
    }
  } else if (bc?.ca) {
    add('basic-constraints-ca-on-leaf', `basicConstraints has cA TRUE; ${kindText} is not a CA`);
  }

  // subject
  const attrs = p.subject.flat();
  const ous = attrs.filter((a) => a.oid === OID.organizationalUnit);
  const ouText = ous.length === 1 ? stringOf(ous[0]!.tag, ous[0]!.value) : null;
  const ouRole = ouText !== null && /^[0-9A-F]{2}$/.test(ouText) ? parseInt(ouText, 16) : null;
  const describeOu = (): string => (ous.length === 0 ? 'has no OU' : ous.length > 1 ? `has ${ous.length} OUs` : ouText === null ? 'OU is not a string' : `OU is '${ouText}'`);

  if (kind === 'root' || kind === 'issuing-ca') {
    const want = kind === 'root' ? 0 : 7;
    if (ouRole !== want) add('subject-ou', `subject ${describeOu()}; ${kindText} has OU=${roleHex(want)} (${roleName(want)})`);
    if (kind === 'root') {
      if (!f.selfIssued) add('root-not-self-issued', `issuer '${f.issuerDn}' differs from subject '${f.subjectDn}'; a root is self-issued`);
      else if (!signatureVerifies(p, f.publicKey)) add('root-signature', 'the root certificate is not signed by its own key');
    }
  } else if (kind === 'organisation' || kind === 'xml-signing') {
    if (ouRole === null) add('subject-ou', `subject ${describeOu()}; ${kindText} has exactly one OU of two upper-case hex digits (the remote party role)`);
    const uids = attrs.filter((a) => a.oid === OID.x500UniqueIdentifier);
    const uid = uids[0];
    if (uids.length !== 1 || !uid) {
      add('subject-eui', `subject has ${uids.length} x500UniqueIdentifier attributes; ${kindText} has exactly one holding the party's EUI-64`);
    } else if (uid.tag !== TAG.BIT_STRING || uid.value.length !== 9 || uid.value[0] !== 0) {
      add('subject-eui', 'subject x500UniqueIdentifier is not a BIT STRING of 64 bits with 0 unused bits');
    }
    const others = attrs.filter((a) => a.oid !== OID.x500UniqueIdentifier && a.oid !== OID.organizationalUnit && a.oid !== OID.commonName);
    if (others.length) add('subject-attributes', `subject has unexpected attribute(s) ${others.map((a) => a.oid).join(', ')}; only CN, OU and x500UniqueIdentifier are used`);
    if (ouRole !== null) {
      if (kind === 'xml-signing' && !isXmlSigningRole(ouRole)) {
        add('role-not-allowed', `subject OU ${ouText} (${roleName(ouRole)}) is not an XML-signing role (87 xmlSign, 89 dspXmlSign)`);
      } else if (kind === 'organisation' && (!ROLE_KEY_USAGES.has(ouRole) || isXmlSigningRole(ouRole))) {
        add('role-not-allowed', `subject OU ${ouText} (${roleName(ouRole)}) is not a role that holds organisation certificates`);
      } else if (f.keyUsage === 'DS' || f.keyUsage === 'KA') {
        const allowed = ROLE_KEY_USAGES.get(ouRole) ?? [];
        if (!allowed.includes(f.keyUsage)) {
          add('usage-not-allowed-for-role', `a ${roleName(ouRole)} certificate cannot be ${USAGE_TEXT[f.keyUsage]} (allowed: ${allowed.map((u) => USAGE_TEXT[u]).join(', ')})`);
        }
      }
    }
  } else if (kind === 'device') {
    if (p.subject.length !== 0) add('subject-not-empty', `subject is '${f.subjectDn}'; a device certificate has an empty subject`);
    if (f.notAfter.getTime() !== DEVICE_NOT_AFTER.getTime() || p.timeTags.notAfter !== TAG.GENERALIZED_TIME) {
      add('device-not-after', `notAfter is ${f.notAfter.toISOString()}; a device certificate has 99991231235959Z`);
    }
    const san = ext(OID.subjectAltName);
    if (!san || !p.san) add('san-missing', 'subjectAltName is absent; a device certificate names its device in a critical hardwareModuleName');
    else {
      if (!san.critical) add('san-not-critical', 'subjectAltName is not marked critical; with an empty subject it must be critical');
      const names = p.san.names;
      const hmn = names[0];
      if (names.length !== 1 || hmn?.type !== 'hardwareModuleName') {
        add('san-form', `subjectAltName holds ${names.length} name(s)${hmn && hmn.type !== 'hardwareModuleName' ? ` starting with ${hmn.type}` : ''}; a device certificate has exactly one otherName hardwareModuleName`);
      } else if (hmn.hwSerialNum.length !== 8) {
        add('san-form', `hardwareModuleName hwSerialNum is ${hmn.hwSerialNum.length} bytes; it must be the 8-byte device EUI-64`);
      }
    }
  }

  // the slot being filled
  if (expect.role !== undefined && kind !== 'device' && f.role !== expect.role) {
    add('role-mismatch', `subject OU is ${ouText ?? '(none)'}${f.role !== null ? ` (${roleName(f.role)})` : ''}; this slot needs OU=${roleHex(expect.role)} (${roleName(expect.role)})`);
  }
  if (expect.eui !== undefined) {
    const want = parseEui(expect.eui);
    if (f.subjectEui !== want) add('eui-mismatch', `certificate is for EUI ${f.subjectEui ?? '(none)'}; expected ${want}`);
  }
  return problems;
}
