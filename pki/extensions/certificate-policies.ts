// certificatePolicies (RFC 5280 §4.2.1.4): each policy's OID and whether it carries qualifiers.
import { children, decodeOid, expectTag, readSingle, TAG } from '../der.ts';
import { PkiError } from '../errors.ts';

export interface PolicyInformation {
  oid: string;
  qualifiers: boolean;
}

export function parseCertificatePolicies(value: Buffer): PolicyInformation[] {
  const seqT = expectTag(readSingle(value, 'certificatePolicies'), TAG.SEQUENCE, 'certificatePolicies');
  return children(seqT, 'certificatePolicies').map((pi) => {
    const parts = children(expectTag(pi, TAG.SEQUENCE, 'PolicyInformation'), 'PolicyInformation');
    if (parts.length < 1 || parts.length > 2) throw new PkiError('bad-der', 'PolicyInformation: expected policyIdentifier and optional qualifiers');
    return { oid: decodeOid(parts[0]!, 'policyIdentifier'), qualifiers: parts.length === 2 };
  });
}
