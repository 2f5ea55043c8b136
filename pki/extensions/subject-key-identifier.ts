// subjectKeyIdentifier (RFC 5280 §4.2.1.2): the key identifier's bytes.
import { content, expectTag, readSingle, TAG } from '../der.ts';

export function parseSubjectKeyIdentifier(value: Buffer): Buffer {
  return content(expectTag(readSingle(value, 'subjectKeyIdentifier'), TAG.OCTET_STRING, 'subjectKeyIdentifier'));
}
