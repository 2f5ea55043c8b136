// Certificate extensions: reading the [3] extensions field, and the table of extensions this package
// understands, each with its own parser. An extension is "known" to the validators exactly when it has one.
import { children, content, decodeBoolean, decodeOid, expectTag, TAG } from '../der.ts';
import type { Tlv } from '../der.ts';
import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';
import type { CertificateExtension } from '../certificate.ts';
import { parseAuthorityKeyIdentifier, type AuthorityKeyIdentifier } from './authority-key-identifier.ts';
import { parseBasicConstraints, type BasicConstraints } from './basic-constraints.ts';
import { parseCertificatePolicies, type PolicyInformation } from './certificate-policies.ts';
import { parseKeyUsage } from './key-usage.ts';
import { parseSubjectAltName, type GeneralName } from './subject-alt-name.ts';
import { parseSubjectKeyIdentifier } from './subject-key-identifier.ts';

export type { AuthorityKeyIdentifier, BasicConstraints, GeneralName, PolicyInformation };
export {
  parseAuthorityKeyIdentifier, parseBasicConstraints, parseCertificatePolicies, parseKeyUsage, parseSubjectAltName, parseSubjectKeyIdentifier,
};

/** What each known extension parses to. */
export interface ParsedExtensions {
  keyUsage: { bits: number[] };
  subjectKeyIdentifier: Buffer;
  authorityKeyIdentifier: AuthorityKeyIdentifier;
  basicConstraints: BasicConstraints;
  certificatePolicies: PolicyInformation[];
  subjectAltName: GeneralName[];
}
export type ExtensionName = keyof ParsedExtensions;

export interface ExtensionParser<T> {
  oid: string;
  /** parses the extnValue contents; throws PkiError('bad-der') naming the extension */
  parse(valueDer: Buffer): T;
}

/**
 * OID and parser of each known extension. The order is the order they are parsed in, whatever their
 * order in the certificate, so a certificate with several malformed extensions always reports the
 * same one.
 */
export const EXTENSION_PARSERS: { readonly [K in ExtensionName]: ExtensionParser<ParsedExtensions[K]> } = {
  keyUsage: { oid: OID.keyUsage, parse: parseKeyUsage },
  subjectKeyIdentifier: { oid: OID.subjectKeyIdentifier, parse: parseSubjectKeyIdentifier },
  authorityKeyIdentifier: { oid: OID.authorityKeyIdentifier, parse: parseAuthorityKeyIdentifier },
  basicConstraints: { oid: OID.basicConstraints, parse: parseBasicConstraints },
  certificatePolicies: { oid: OID.certificatePolicies, parse: parseCertificatePolicies },
  subjectAltName: { oid: OID.subjectAltName, parse: parseSubjectAltName },
};

const EXTENSION_NAMES = Object.keys(EXTENSION_PARSERS) as ExtensionName[];

/** Extensions a validator understands; any other extension marked critical makes a certificate unusable. */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set(EXTENSION_NAMES.map((name) => EXTENSION_PARSERS[name].oid));

/** A known extension as found in a certificate (the first, if its OID repeats) and its parsed value. */
export interface FoundExtension<T> {
  extension: CertificateExtension;
  value: T;
}
export type KnownExtensions = { [K in ExtensionName]: FoundExtension<ParsedExtensions[K]> | null };

/** Parses every known extension present; null for those absent. Unknown extensions are left as they are. */
export function parseKnownExtensions(extensions: readonly CertificateExtension[]): KnownExtensions {
  const found: Partial<Record<ExtensionName, FoundExtension<unknown> | null>> = {};
  for (const name of EXTENSION_NAMES) {
    const { oid, parse } = EXTENSION_PARSERS[name];
    const extension = extensions.find((e) => e.oid === oid);
    found[name] = extension ? { extension, value: parse(extension.valueDer) } : null;
  }
  return found as KnownExtensions;
}

/** The extensions in the tbsCertificate's [3] field, in certificate order, values not yet parsed. */
export function readExtensions(t: Tlv): CertificateExtension[] {
  const extensions: CertificateExtension[] = [];
  const inner = children(t, 'extensions');
  if (inner.length !== 1) throw new PkiError('bad-der', 'extensions: [3] must hold one SEQUENCE');
  for (const e of children(expectTag(inner[0]!, TAG.SEQUENCE, 'extensions'), 'extensions')) {
    const ep = children(expectTag(e, TAG.SEQUENCE, 'extension'), 'extension');
    const extOid = decodeOid(ep[0] ?? e, 'extension extnID');
    let critical = false;
    let valueT = ep[1];
    if (ep.length === 3) {
      critical = decodeBoolean(ep[1]!, `extension ${extOid} critical`);
      if (!critical) throw new PkiError('bad-der', `extension ${extOid}: critical FALSE must be omitted in DER`);
      valueT = ep[2];
    } else if (ep.length !== 2) {
      throw new PkiError('bad-der', `extension ${extOid}: expected extnID, optional critical, extnValue`);
    }
    extensions.push({ oid: extOid, critical, valueDer: content(expectTag(valueT!, TAG.OCTET_STRING, `extension ${extOid} extnValue`)) });
  }
  return extensions;
}
