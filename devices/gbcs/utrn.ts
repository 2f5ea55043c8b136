/**
 * UTRNs (GBCS 14): the 20-digit top-up code a supplier gives its prepayment customer and the DCC copies into
 * CS01a/CS01b. The first 19 digits are a 64-bit PTUT plus a fixed offset; the 20th is a check digit (GBCS's
 * variant of Verhoeff). The PTUT's high 32 bits carry 10 bits of the top-up counter (counter >> 32), the
 * value class (pence or pounds) and the value (0-8191); its low 32 bits are the last four octets of an
 * AES-GCM tag keyed by the supplier's top-up KA key and the device's KA key, so a UTRN credits only the meter
 * it was made for, and only once (the device keeps the counters it has taken).
 */
import { createCipheriv } from 'node:crypto';
import type { P256PrivateKey } from '../../pki/index.ts';
import { euiBytes } from './apdu.ts';
import { gbcsKdfKey, type P256PublicKey } from './mac.ts';
import { GbcsError } from './errors.ts';

/** What the 19 digits are offset by (GBCS 14: the PPTD = PTUT + this). */
const PPTD_OFFSET = 7394156990786306048n;
/** Top-up counters step by 2^32: only bits 32-41 travel in the UTRN. */
export const UTRN_COUNTER_STEP = 1n << 32n;
const COUNTER_BITS = 0x3ffn;

export type UtrnValueClass = 'pence' | 'pounds';

export interface UtrnFields {
  /** bits 32-41 of the top-up counter */
  counterBits: number;
  valueClass: UtrnValueClass;
  /** 0-8191, in `valueClass` */
  value: number;
  /** the PTUT's high 32 bits (what the MAC covers besides the parties and counter) */
  high: number;
  mac: number;
}

// GBCS 14.8 tables: the permutation P, the dihedral multiplication D and GBCS's own inverse table.
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1], [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1], [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const INVERSE = [1, 2, 6, 7, 5, 8, 3, 0, 9, 4];

/** The check digit of a digit string (GBCS 14.8). */
export function utrnCheckDigit(digits: string): number {
  let c = 0;
  let k = 4;
  for (const ch of digits) {
    c = D[c]![P[k]![Number(ch)]!]!;
    k = (k + 1) % 8;
  }
  return INVERSE[c]!;
}

/** The fields of a UTRN; throws when it is not 20 digits, its check digit is wrong or it holds no PTUT. */
export function decodeUtrn(utrn: string): UtrnFields {
  if (!/^[0-9]{20}$/.test(utrn)) throw new GbcsError('bad-utrn', `a UTRN is 20 digits, not '${utrn}'`);
  if (utrnCheckDigit(utrn.slice(0, 19)) !== Number(utrn[19])) throw new GbcsError('bad-utrn', `UTRN ${utrn}: the check digit is wrong`);
  const ptut = BigInt(utrn.slice(0, 19)) - PPTD_OFFSET;
  if (ptut < 0n || ptut >= 1n << 64n || ptut >> 57n !== 0n) throw new GbcsError('bad-utrn', `UTRN ${utrn} holds no top-up token`);
  const high = Number(ptut >> 32n);
  return {
    counterBits: (high >>> 15) & 0x3ff,
    valueClass: ((high >>> 13) & 3) === 1 ? 'pounds' : 'pence',
    value: high & 0x1fff,
    high,
    mac: Number(ptut & 0xffffffffn),
  };
}

/** The UTRN MAC: the tag's last four octets, over the parties, the full counter and the PTUT's high half. */
export function utrnMac(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, supplier: string, device: string, counter: bigint, high: number): number {
  const key = gbcsKdfKey(ownKaPrivate, peerKaPublic, supplier, 0x01, counter, device);
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(counter);
  const h = Buffer.alloc(4);
  h.writeUInt32BE(high >>> 0);
  const aad = Buffer.concat([Buffer.from([0x11, 0, 0, 0, 0, 0]), euiBytes(supplier, 'supplier'), euiBytes(device, 'device'), Buffer.from([0x01]), c, h]);
  const cipher = createCipheriv('aes-128-gcm', key, Buffer.concat([euiBytes(supplier, 'supplier'), Buffer.alloc(4)]), { authTagLength: 16 });
  cipher.setAAD(aad);
  cipher.final();
  return cipher.getAuthTag().readUInt32BE(12);
}

/** The high half of a PTUT. */
export function utrnHigh(counter: bigint, valueClass: UtrnValueClass, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0x1fff) throw new GbcsError('bad-argument', `a UTRN's value is 0..8191, not ${value}`);
  const bits = Number((counter >> 32n) & COUNTER_BITS);
  return ((bits << 15) | ((valueClass === 'pounds' ? 1 : 0) << 13) | value) >>> 0;
}

/**
 * A UTRN as the supplier makes it: with its top-up KA private key and the device's KA public key, for a counter
 * (a multiple of 2^32 above the device's last) and a value.
 */
export function makeUtrn(supplierTopUpKa: P256PrivateKey, deviceKa: P256PublicKey, o: { supplier: string; device: string; counter: bigint; valueClass?: UtrnValueClass; value: number }): string {
  const high = utrnHigh(o.counter, o.valueClass ?? 'pence', o.value);
  const mac = utrnMac(supplierTopUpKa, deviceKa, o.supplier, o.device, o.counter, high);
  const digits = (PPTD_OFFSET + ((BigInt(high) << 32n) | BigInt(mac >>> 0))).toString();
  return `${digits}${utrnCheckDigit(digits)}`;
}

/** The value of a UTRN in pence. */
export function utrnPence(f: UtrnFields): number {
  return f.valueClass === 'pounds' ? f.value * 100 : f.value;
}
