// subjectAltName (RFC 5280 §4.2.1.6): the general names, with a device's hardwareModuleName
// (RFC 4108: hwType and hwSerialNum, the device EUI) decoded; other names are kept by kind only.
import { children, content, decodeOid, expectTag, readSingle, TAG } from '../der.ts';
import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';

export type GeneralName =
  | { type: 'hardwareModuleName'; hwType: string; hwSerialNum: Buffer }
  | { type: 'otherName'; typeId: string }
  | { type: 'other'; tag: number };

export function parseSubjectAltName(value: Buffer): GeneralName[] {
  const seqT = expectTag(readSingle(value, 'subjectAltName'), TAG.SEQUENCE, 'subjectAltName');
  return children(seqT, 'subjectAltName').map((gn): GeneralName => {
    if (gn.tag !== 0xa0) return { type: 'other', tag: gn.tag };
    const parts = children(gn, 'subjectAltName otherName');
    if (parts.length !== 2 || parts[1]!.tag !== 0xa0) {
      throw new PkiError('bad-der', 'subjectAltName otherName: expected type-id and [0] value');
    }
    const typeId = decodeOid(parts[0]!, 'subjectAltName otherName type-id');
    if (typeId !== OID.hardwareModuleName) return { type: 'otherName', typeId };
    const inner = children(parts[1]!, 'hardwareModuleName');
    if (inner.length !== 1) throw new PkiError('bad-der', 'hardwareModuleName: [0] must hold exactly one value');
    const hmn = children(expectTag(inner[0]!, TAG.SEQUENCE, 'hardwareModuleName'), 'hardwareModuleName');
    if (hmn.length !== 2) throw new PkiError('bad-der', 'hardwareModuleName: expected hwType and hwSerialNum');
    return {
      type: 'hardwareModuleName',
      hwType: decodeOid(hmn[0]!, 'hardwareModuleName hwType'),
      hwSerialNum: content(expectTag(hmn[1]!, TAG.OCTET_STRING, 'hardwareModuleName hwSerialNum')),
    };
  });
}
