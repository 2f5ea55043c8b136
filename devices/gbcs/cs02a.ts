/**
 * CS02a "Provide Security Credential Details" (SRV 6.24.1), message code 0x0008, as the
 * `6.24.1_CS02aMAC` vectors show it: the ACB sends it MAC-only (signature length 00) and the device
 * answers MAC-only.
 *
 *   Command  = SEQUENCE { authorisingRemotePartyTACellIdentifier, SEQUENCE OF RemotePartyRole }
 *   Response = SEQUENCE OF SEQUENCE { remotePartyRole, statusCode ENUMERATED,
 *                 currentSeqNumber INTEGER OPTIONAL,
 *                 SEQUENCE OF SEQUENCE { keyUsage, cellUsage DEFAULT 0, subjectUniqueID OCTET STRING(8),
 *                                        subjectKeyIdentifier OCTET STRING(8) } OPTIONAL }
 */
import type { Eui } from '../../pki/index.ts';
import { type Annotate, BerReader, DerWriter, type LengthStyle, TAG, hex } from './ber.ts';
import { type CellId, type CellKeyUsage, describeRole, encodeCellId, encodeKeyUsage, readCellId, readKeyUsage } from './cell-id.ts';
import { statusName } from './cs02b.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02A_MESSAGE_CODE = 0x0008;

export interface Cs02aCommand {
  /** The cell that authorises the read: the ACB KA cell in RTDS. */
  authorisingCell: CellId;
  /** Remote party roles whose credentials are requested. */
  roles: number[];
}

export interface Cs02aCellDetails {
  keyUsage: CellKeyUsage;
  cellUsage: 0 | 1;
  /** 0000000000000000 for the root, which has no EUI. */
  subjectUniqueId: Eui;
  subjectKeyId: string;
}

export interface Cs02aRoleDetails {
  role: number;
  /** 0 success, 25 trustAnchorNotFound (the role has no cell on this device). */
  status: number;
  currentSeqNumber?: bigint;
  cells?: Cs02aCellDetails[];
}

export interface Cs02aResponse {
  roles: Cs02aRoleDetails[];
}

export function encodeCs02aCommand(c: Cs02aCommand): Buffer {
  const w = new DerWriter('der');
  return w.seq(encodeCellId(w, c.authorisingCell), w.seq(...c.roles.map((r) => w.int(r))));
}

export function decodeCs02aCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02aCommand {
  const top = BerReader.of(payload, 'CS02a command', base, ann);
  const t = top.read(TAG.SEQUENCE, 'ProvideSecurityCredentialDetailsCommand');
  top.note(t, 'CS02a command');
  top.expectEnd();
  const r = top.inner(t, 'CS02a command');
  const authorisingCell = readCellId(r, 'authorising cell');
  const lt = r.read(TAG.SEQUENCE, 'remotePartyRolesCredentialsRequired');
  r.note(lt, 'roles requested');
  const lr = r.inner(lt, 'remotePartyRolesCredentialsRequired');
  const roles: number[] = [];
  while (!lr.atEnd()) roles.push(lr.small('remotePartyRole', 0, 255, 'remote party role', describeRole));
  r.expectEnd();
  if (roles.length === 0) throw new GbcsError('bad-payload', 'CS02a command: no remote party role is requested');
  return { authorisingCell, roles };
}

function id8(h: string, what: string): Buffer {
  if (typeof h !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(h)) throw new GbcsError('bad-argument', `${what} '${String(h)}' is not 16 hex digits`);
  return Buffer.from(h, 'hex');
}

export function encodeCs02aResponse(resp: Cs02aResponse, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(
    ...resp.roles.map((d) => {
      const parts = [w.int(d.role), w.enumerated(d.status)];
      if (d.currentSeqNumber !== undefined) parts.push(w.int(d.currentSeqNumber));
      if (d.cells) {
        parts.push(
          w.seq(
            ...d.cells.map((c) => {
              const cp = [encodeKeyUsage(w, c.keyUsage)];
              if (c.cellUsage !== 0) cp.push(w.int(c.cellUsage));
              cp.push(w.octets(id8(c.subjectUniqueId, 'subject unique ID')), w.octets(id8(c.subjectKeyId, 'subject key ID')));
              return w.seq(...cp);
            }),
          ),
        );
      }
      return w.seq(...parts);
    }),
  );
}

export function decodeCs02aResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02aResponse {
  const top = BerReader.of(payload, 'CS02a response', base, ann);
  const t = top.read(TAG.SEQUENCE, 'ProvideSecurityCredentialDetailsResponse');
  top.note(t, 'CS02a response');
  top.expectEnd();
  const r = top.inner(t, 'CS02a response');
  const roles: Cs02aRoleDetails[] = [];
  while (!r.atEnd()) {
    const e = r.read(TAG.SEQUENCE, 'RemotePartyDetails');
    r.note(e, 'remote party details');
    const er = r.inner(e, 'RemotePartyDetails');
    const d: Cs02aRoleDetails = {
      role: er.small('remotePartyRole', 0, 255, 'remote party role', describeRole),
      status: er.enumerated('statusCode', 'status code', statusName),
    };
    if (er.peekTag() === TAG.INTEGER) d.currentSeqNumber = er.unsigned('currentSeqNumber', 'current seq number');
    const ct = er.optional(TAG.SEQUENCE, 'trustAnchorCellDetails');
    if (ct) {
      er.note(ct, 'trust anchor cells');
      const cr = er.inner(ct, 'trustAnchorCellDetails');
      const cells: Cs02aCellDetails[] = [];
      while (!cr.atEnd()) {
        const c = cr.read(TAG.SEQUENCE, 'TrustAnchorCellContents');
        cr.note(c, 'trust anchor cell');
        const ccr = cr.inner(c, 'TrustAnchorCellContents');
        const keyUsage = readKeyUsage(ccr, 'key usage');
        let cellUsage: 0 | 1 = 0;
        if (ccr.peekTag() === TAG.INTEGER) {
          cellUsage = ccr.small('cellUsage', 0, 1, 'cell usage', (n) => (n === 1 ? 'prepaymentTopUp' : 'management')) as 0 | 1;
        }
        const subjectUniqueId = hex(ccr.octets('subjectUniqueID', 8, 'subject unique ID'));
        const subjectKeyId = hex(ccr.octets('subjectKeyIdentifier', 8, 'subject key ID'));
        ccr.expectEnd();
        cells.push({ keyUsage, cellUsage, subjectUniqueId, subjectKeyId });
      }
      d.cells = cells;
    }
    er.expectEnd();
    roles.push(d);
  }
  return { roles };
}

export type Cs02aBody = { kind: 'cs02a-command'; command: Cs02aCommand } | { kind: 'cs02a-response'; response: Cs02aResponse };

export const CS02A_CODEC: UseCaseCodec<Cs02aBody> = {
  name: 'CS02a',
  messageCodes: [CS02A_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02a-command', command: decodeCs02aCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02a-response', response: decodeCs02aResponse(payload, ann, base) }),
};
