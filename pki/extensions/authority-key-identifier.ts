// authorityKeyIdentifier (RFC 5280 §4.2.1.1): the [0] keyIdentifier, and whether the issuer/serial
// fields (which SMKI does not use) are present.
import { children, content, expectTag, readSingle, TAG } from '../der.ts';

export interface AuthorityKeyIdentifier {
  keyIdentifier: Buffer | null;
  otherFields: boolean;
}

export function parseAuthorityKeyIdentifier(value: Buffer): AuthorityKeyIdentifier {
  const seqT = expectTag(readSingle(value, 'authorityKeyIdentifier'), TAG.SEQUENCE, 'authorityKeyIdentifier');
  let keyIdentifier: Buffer | null = null;
  let otherFields = false;
  for (const c of children(seqT, 'authorityKeyIdentifier')) {
    if (c.tag === 0x80) keyIdentifier = content(c);
    else otherFields = true;
  }
  return { keyIdentifier, otherFields };
}
