// keyUsage (RFC 5280 §4.2.1.3): the named bits set, by bit number (0 digitalSignature … 8 decipherOnly).
import { decodeBitString, readSingle } from '../der.ts';

export function parseKeyUsage(value: Buffer): { bits: number[] } {
  const bs = decodeBitString(readSingle(value, 'keyUsage'), 'keyUsage');
  const bits: number[] = [];
  for (let i = 0; i < bs.bytes.length * 8 - bs.unusedBits; i++) {
    if ((bs.bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0) bits.push(i);
  }
  return { bits };
}
