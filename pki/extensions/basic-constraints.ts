// basicConstraints (RFC 5280 §4.2.1.9): cA and the optional pathLenConstraint.
import { children, decodeBoolean, decodeSmallInteger, expectTag, readSingle, TAG } from '../der.ts';
import { PkiError } from '../errors.ts';

export interface BasicConstraints {
  ca: boolean;
  pathLen: number | null;
}

export function parseBasicConstraints(value: Buffer): BasicConstraints {
  const seqT = expectTag(readSingle(value, 'basicConstraints'), TAG.SEQUENCE, 'basicConstraints');
  let ca = false;
  let pathLen: number | null = null;
  for (const c of children(seqT, 'basicConstraints')) {
    if (c.tag === TAG.BOOLEAN) ca = decodeBoolean(c, 'basicConstraints cA');
    else if (c.tag === TAG.INTEGER) pathLen = decodeSmallInteger(c, 'basicConstraints pathLenConstraint');
    else throw new PkiError('bad-der', `basicConstraints: unexpected tag 0x${c.tag.toString(16)}`);
  }
  return { ca, pathLen };
}
