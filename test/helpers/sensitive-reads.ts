/**
 * What an ESME's DLMS answer looks like, for comparing it with an RTDS response: a Data value's shape (types, fixed
 * array lengths, compact-array descriptions; not its values), with a sensitive part (catalogue.md §2.3) replaced by
 * the shape of what it decrypts to with the recipient's key from the RTDS keystore.
 *
 *   expect(responseShape(ours, esmeKa)).toEqual(responseShape(rtdsResponse, RTDS_ESME_KA));
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeDlmsData, decryptSensitive, type DlmsData, type GbcsMessage } from '../../devices/index.ts';

const KEYS = resolve(import.meta.dirname, '../../../shared/rtds-keystore');

/** A party's KA private key from the RTDS keystore. */
export const kaKeyOf = (eui: string): KeyObject => createPrivateKey(readFileSync(resolve(KEYS, `${eui.toLowerCase()}-ka.key`)));

/** the RTDS ESME's KA key (its responses in the RTDS vectors were encrypted with it) */
export const RTDS_ESME_KA = new X509Certificate(readFileSync(resolve(KEYS, '00db1234567890a0-ka.pem'))).publicKey;

/** A Data value's shape: types, fixed array lengths and compact-array descriptions; not its values. */
export function dataShape(d: DlmsData): unknown {
  switch (d.type) {
    case 'array': case 'structure': return { [d.type]: d.items.map(dataShape) };
    case 'compact-array': return { 'compact-array': d.description };
    case 'octet-string': return d.value.length === 12 ? 'date-time' : `octet-string(${d.value.length})`;
    case 'bit-string': return `bit-string(${d.bits})`;
    default: return d.type;
  }
}

/** The decrypted sensitive part of a get_protected_attributes result, with the recipient's RTDS KA key. */
export function sensitivePlaintext(m: GbcsMessage, d: DlmsData, deviceKa: KeyObject): DlmsData | undefined {
  if (d.type !== 'structure' || d.items[1]?.type !== 'octet-string' || d.items[1].value[0] !== 0x31) return undefined;
  // A read the ACB sent on a User's behalf is encrypted to that User, the supplementary remote party.
  const extra = m.apdu.otherInformationExtra;
  const party = extra && extra.length >= 8 ? extra.subarray(0, 8).toString('hex').toUpperCase() : m.apdu.target;
  // A URP response names the device's own counter the key was made with, after the User's EUI and counter.
  const counter = extra && extra.length >= 24 ? extra.readBigUInt64BE(16) : m.apdu.counter;
  const plain = decryptSensitive(d.items[1].value, kaKeyOf(party), deviceKa, { device: m.apdu.originator, party, counter });
  return decodeDlmsData(plain);
}

/** The response's shape, with a sensitive part replaced by the shape of what it decrypts to. */
export function responseShape(m: GbcsMessage, deviceKa: KeyObject): unknown {
  if (m.body.kind !== 'dlms-response') throw new Error(`expected a DLMS response, got ${m.body.kind}`);
  return {
    dateTime: m.apdu.dateTime !== undefined,
    results: m.body.response.results,
    data: m.body.response.data.map((d) => {
      const plain = sensitivePlaintext(m, d, deviceKa);
      return plain ? { protected: dataShape(d.type === 'structure' ? d.items[0]! : d), plaintext: dataShape(plain) } : dataShape(d);
    }),
  };
}

/** A structure's or array's items (a read's rows and columns). */
export function items(d: DlmsData | undefined): DlmsData[] {
  if (!d || (d.type !== 'structure' && d.type !== 'array' && d.type !== 'compact-array')) throw new Error(`not a list: ${d?.type}`);
  return d.items;
}

/** A register value (double-long-unsigned). */
export const num = (d: DlmsData | undefined): number => {
  if (d?.type !== 'double-long-unsigned') throw new Error(`not a dlu: ${d?.type}`);
  return d.value;
};

/**
 * A GBZ read's attribute values by 'cluster/attribute' (hex, 4 digits each), from its read-attributes responses,
 * each sensitive component opened with `decrypt`; an attribute answered with an error status is absent.
 */
export function zclReadValues(m: GbcsMessage, decrypt: (ciphered: Buffer) => Buffer): Record<string, number> {
  if (m.body.kind !== 'gbz') throw new Error(`not GBZ: ${m.body.kind}`);
  const out: Record<string, number> = {};
  for (const c of m.body.gbz.components) {
    const p = c.encrypted ? decrypt(c.encrypted.ciphered) : c.payload;
    if (c.commandId !== 0x01) continue;
    for (let i = 0; i + 3 <= p.length;) {
      const id = p.readUInt16LE(i);
      if (p[i + 2] !== 0) { i += 3; continue; }
      const type = p[i + 3]!;
      const size = type === 0x2b || type === 0x23 ? 4 : type === 0x30 || type === 0x18 ? 1 : type === 0x25 ? 6 : type === 0x21 || type === 0x19 ? 2 : type === 0x22 ? 3 : 0;
      const v = p.subarray(i + 4, i + 4 + size);
      out[`${c.clusterId.toString(16).padStart(4, '0')}/${id.toString(16).padStart(4, '0')}`] = type === 0x2b ? v.readInt32LE(0) : v.readUIntLE(0, size);
      i += 4 + size;
    }
  }
  return out;
}
