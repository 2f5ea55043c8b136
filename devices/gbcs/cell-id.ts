/**
 * TrustAnchorCellIdentifier ::= SEQUENCE { remotePartyRole INTEGER, keyUsage BIT STRING,
 *                                          cellUsage INTEGER DEFAULT management(0) }
 */
import { BerReader, DerWriter, TAG, hex } from './ber.ts';
import { GbcsError } from './errors.ts';

/** 'CA' is the root cell's keyCertSign. */
export type CellKeyUsage = 'DS' | 'KA' | 'CA';

export interface CellId {
  role: number;
  keyUsage: CellKeyUsage;
  /** 0 management, 1 prepaymentTopUp. */
  cellUsage: 0 | 1;
}

/** Content octets of the KeyUsage BIT STRING (unused-bits octet, then the bits). */
const KEY_USAGE_BITS: Record<CellKeyUsage, Buffer> = {
  DS: Buffer.from([0x07, 0x80]),
  KA: Buffer.from([0x03, 0x08]),
  CA: Buffer.from([0x02, 0x04]),
};

const ROLE_LABELS: Record<number, string> = {
  0: 'root',
  1: 'recovery',
  2: 'supplier',
  3: 'networkOperator',
  4: 'accessControlBroker',
  5: 'transitionalCoS',
  6: 'wanProvider',
  7: 'issuingAuthority',
  8: 'loadController',
  127: 'other',
};

export function describeRole(role: number): string {
  return ROLE_LABELS[role] ?? `role ${role}`;
}

export function describeCellId(id: CellId): string {
  return `${describeRole(id.role)} ${id.keyUsage}${id.cellUsage === 1 ? ' prepaymentTopUp' : ''}`;
}

export function sameCell(a: CellId, b: CellId): boolean {
  return a.role === b.role && a.keyUsage === b.keyUsage && a.cellUsage === b.cellUsage;
}

export function encodeKeyUsage(w: DerWriter, ku: CellKeyUsage): Buffer {
  return w.tlv(TAG.BIT_STRING, KEY_USAGE_BITS[ku]);
}

export function readKeyUsage(r: BerReader, what: string): CellKeyUsage {
  const t = r.read(TAG.BIT_STRING, what);
  const c = r.content(t);
  for (const ku of ['DS', 'KA', 'CA'] as const) {
    if (c.equals(KEY_USAGE_BITS[ku])) {
      r.note(t, what, ku === 'CA' ? 'keyCertSign' : ku === 'DS' ? 'digitalSignature' : 'keyAgreement');
      return ku;
    }
  }
  throw new GbcsError(
    'bad-payload',
    `${r.what}: ${what} BIT STRING ${hex(c)} is none of digitalSignature (0780), keyAgreement (0308), keyCertSign (0204)`,
  );
}

/** Encodes a cell identifier; cellUsage is omitted when it is the default, as RTDS does. */
export function encodeCellId(w: DerWriter, id: CellId, tag: number = TAG.SEQUENCE): Buffer {
  checkCellId(id);
  const parts = [w.int(id.role), encodeKeyUsage(w, id.keyUsage)];
  if (id.cellUsage !== 0) parts.push(w.int(id.cellUsage));
  return w.tlv(tag, ...parts);
}

export function checkCellId(id: CellId): void {
  if (!Number.isInteger(id.role) || id.role < 0 || id.role > 255) {
    throw new GbcsError('bad-argument', `cell identifier: role ${id.role} is not 0..255`);
  }
  if (!(id.keyUsage in KEY_USAGE_BITS)) throw new GbcsError('bad-argument', `cell identifier: key usage '${String(id.keyUsage)}'`);
  if (id.cellUsage !== 0 && id.cellUsage !== 1) throw new GbcsError('bad-argument', `cell identifier: cellUsage ${String(id.cellUsage)} is not 0 or 1`);
}

/** Reads the members of a TrustAnchorCellIdentifier from `r` (which is positioned inside the SEQUENCE). */
export function readCellIdMembers(r: BerReader): CellId {
  const role = r.small('remotePartyRole', 0, 255, 'remote party role', describeRole);
  const keyUsage = readKeyUsage(r, 'key usage');
  let cellUsage: 0 | 1 = 0;
  if (r.peekTag() === TAG.INTEGER) {
    cellUsage = r.small('cellUsage', 0, 1, 'cell usage', (n) => (n === 1 ? 'prepaymentTopUp' : 'management')) as 0 | 1;
  }
  return { role, keyUsage, cellUsage };
}

export function readCellId(r: BerReader, what: string, tag: number = TAG.SEQUENCE): CellId {
  const t = r.read(tag, what);
  r.note(t, what);
  const inner = r.inner(t, what);
  const id = readCellIdMembers(inner);
  inner.expectEnd();
  return id;
}
