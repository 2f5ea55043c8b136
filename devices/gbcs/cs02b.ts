/**
 * CS02b "Update Security Credentials" payloads (gbcs-cs02b.md §4): command, response, alert.
 * Message code = 0x0100 + credentialsReplacementMode; the alert uses 0x00CB.
 */
import type { Eui } from '../../pki/index.ts';
import { type Annotate, BerReader, DerWriter, type LengthStyle, TAG, type Tlv, hex } from './ber.ts';
import { type CellId, encodeCellId, readCellId } from './cell-id.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02B_MESSAGE_CODE_BASE = 0x0100;
export const CS02B_ALERT_MESSAGE_CODE = 0x00cb;

export const CredentialsReplacementMode = {
  rootBySupplier: 0,
  rootByWanProvider: 1,
  supplierBySupplier: 2,
  networkOperatorByNetworkOperator: 3,
  accessControlBrokerByACB: 4,
  wanProviderByWanProvider: 5,
  transCoSByTransCoS: 6,
  supplierByTransCoS: 7,
  anyExceptAbnormalRootByRecovery: 8,
  anyByContingency: 9,
  /** CS02g (cs02g.ts): message codes 0x0125 and 0x0126, not 0x0100 + mode */
  loadControllerByLoadController: 10,
  loadControllerBySupplier: 11,
} as const;

const MODE_NAMES = Object.fromEntries(Object.entries(CredentialsReplacementMode).map(([k, v]) => [v, k])) as Record<number, string>;

export function modeName(mode: number): string {
  return MODE_NAMES[mode] ?? `mode ${mode}`;
}

export function cs02bMessageCode(mode: number): number {
  return CS02B_MESSAGE_CODE_BASE + mode;
}

/** Modes 0..9 use message codes 0x0100..0x0109. */
export const CS02B_MESSAGE_CODES: readonly number[] = Array.from({ length: 10 }, (_, mode) => cs02bMessageCode(mode));

export function isCs02bMessageCode(code: number): boolean {
  return code >= CS02B_MESSAGE_CODE_BASE && code <= CS02B_MESSAGE_CODE_BASE + 9;
}

export const StatusCode = {
  success: 0,
  badCertificate: 5,
  noTrustAnchor: 10,
  insufficientMemory: 17,
  trustAnchorNotFound: 25,
  resourcesBusy: 30,
  other: 127,
} as const;

const STATUS_NAMES = Object.fromEntries(Object.entries(StatusCode).map(([k, v]) => [v, k])) as Record<number, string>;
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `status ${code}`;
}

export const ALERT_FUTURE_DATED_SUCCESS = 0x8f66;
export const ALERT_FUTURE_DATED_FAILURE = 0x8f67;

/** The GBCS cancellation date: a future-dated command dated this supersedes the pending one. */
export const CANCELLATION_DATE_TIME = new Date('9999-12-31T23:59:59Z');

export interface RemotePartySeqNumberChange {
  role: number;
  floorSeqNumber: bigint;
  /** specialistFloorSeqNumbers entry with usage prepaymentTopUp(0). */
  topUpFloorSeqNumber?: bigint;
}

export interface Cs02bReplacement {
  certificate: Buffer;
  target: CellId;
}

export interface Cs02bCommand {
  mode: number;
  /** [0] plaintextSymmetricKey, anyByContingency only. */
  plaintextSymmetricKey?: Buffer;
  /** [1]: absent means apply; false is written `81 01 01`. */
  applyTimeBasedCpvChecks: boolean;
  /** [2] authorisingRemotePartyTACellIdentifier; absent when the ACB replaces its own credentials on a non-CHF. */
  authorisingCell?: CellId;
  /** [3], equal to the originator counter in every RTDS vector. */
  authorisingSeqNumber: bigint;
  /** [4] */
  newFloorSeqNumber?: bigint;
  /** [5], usage prepaymentTopUp. */
  newTopUpFloorSeqNumber?: bigint;
  /** [6] */
  otherSeqNumberChanges?: RemotePartySeqNumberChange[];
  replacements: Cs02bReplacement[];
  certificationPath: Buffer[];
  executionDateTime?: Date;
}

export interface ReplacementOutcome {
  cell: CellId;
  status: number;
  existingSubjectUniqueId: Eui;
  existingSubjectKeyId: string;
  replacingSubjectUniqueId: Eui;
  replacingSubjectKeyId: string;
}

export interface ExecutionOutcome {
  authorisingSeqNumber: bigint;
  mode: number;
  seqNumberChanges: RemotePartySeqNumberChange[];
  replacementOutcomes: ReplacementOutcome[];
}

export interface Cs02bResponse {
  /** Present only for immediate execution. */
  outcome?: ExecutionOutcome;
}

export interface Cs02bAlert {
  alertCode: number;
  executionDateTime: Date;
  outcome: ExecutionOutcome;
}

// --- helpers ------------------------------------------------------------------------------------

function specialist(w: DerWriter, topUp: bigint): Buffer {
  return w.seq(w.int(0), w.int(topUp));
}

function readSpecialists(r: BerReader, t: Tlv, what: string): bigint {
  const list = r.inner(t, what);
  let topUp: bigint | undefined;
  while (!list.atEnd()) {
    const e = list.read(TAG.SEQUENCE, 'specialist seq number');
    list.note(e, 'specialist seq number');
    const er = list.inner(e, 'specialist seq number');
    const usage = er.small('usage', 0, 0x7fffffff, 'seq number usage', (n) => (n === 0 ? 'prepaymentTopUp' : `usage ${n}`));
    if (usage !== 0) throw new GbcsError('bad-payload', `${what}: specialist usage ${usage} is not prepaymentTopUp(0)`);
    const v = er.unsigned('seqNumber', 'seq number');
    er.expectEnd();
    if (topUp !== undefined) throw new GbcsError('bad-payload', `${what}: prepaymentTopUp is listed twice`);
    topUp = v;
  }
  if (topUp === undefined) throw new GbcsError('bad-payload', `${what}: empty list of specialist seq numbers`);
  return topUp;
}

function encodeSeqChange(w: DerWriter, c: RemotePartySeqNumberChange): Buffer {
  const parts = [w.int(c.role), w.int(c.floorSeqNumber)];
  if (c.topUpFloorSeqNumber !== undefined) parts.push(w.seq(specialist(w, c.topUpFloorSeqNumber)));
  return w.seq(...parts);
}

function readSeqChange(r: BerReader): RemotePartySeqNumberChange {
  const t = r.read(TAG.SEQUENCE, 'RemotePartySeqNumberChange');
  r.note(t, 'remote party seq number change');
  const cr = r.inner(t, 'RemotePartySeqNumberChange');
  const role = cr.small('remotePartyRole', 0, 255, 'remote party role');
  const floorSeqNumber = cr.unsigned('floorSeqNumber', 'floor seq number');
  const out: RemotePartySeqNumberChange = { role, floorSeqNumber };
  const s = cr.optional(TAG.SEQUENCE, 'specialistFloorSeqNumbers');
  if (s) {
    cr.note(s, 'specialist floor seq numbers');
    out.topUpFloorSeqNumber = readSpecialists(cr, s, 'specialistFloorSeqNumbers');
  }
  cr.expectEnd();
  return out;
}

function readSeqOf<T>(r: BerReader, what: string, label: string, item: (r: BerReader) => T): T[] {
  const t = r.read(TAG.SEQUENCE, what);
  r.note(t, label);
  const lr = r.inner(t, what);
  const out: T[] = [];
  while (!lr.atEnd()) out.push(item(lr));
  return out;
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 127) throw new GbcsError('bad-argument', `credentialsReplacementMode ${mode} is not 0..127`);
}

// --- command ------------------------------------------------------------------------------------

export function encodeCs02bCommand(c: Cs02bCommand): Buffer {
  checkMode(c.mode);
  const w = new DerWriter('der');
  const ctl: Buffer[] = [w.int(c.mode)];
  if (c.plaintextSymmetricKey) ctl.push(w.tlv(0x80, c.plaintextSymmetricKey));
  if (!c.applyTimeBasedCpvChecks) ctl.push(w.int(1, 0x81));
  if (c.authorisingCell) {
    ctl.push(encodeCellId(w, c.authorisingCell, 0xa2));
  }
  ctl.push(w.int(c.authorisingSeqNumber, 0x83));
  if (c.newFloorSeqNumber !== undefined) ctl.push(w.int(c.newFloorSeqNumber, 0x84));
  if (c.newTopUpFloorSeqNumber !== undefined) ctl.push(w.tlv(0xa5, specialist(w, c.newTopUpFloorSeqNumber)));
  if (c.otherSeqNumberChanges && c.otherSeqNumberChanges.length > 0) {
    ctl.push(w.tlv(0xa6, ...c.otherSeqNumberChanges.map((x) => encodeSeqChange(w, x))));
  }
  for (const r of c.replacements) {
    if (!Buffer.isBuffer(r.certificate) || r.certificate[0] !== 0x30) {
      throw new GbcsError('bad-argument', 'replacement certificate must be the DER of an X.509 certificate');
    }
  }
  const parts = [
    w.seq(...ctl),
    w.seq(...c.replacements.map((r) => w.seq(r.certificate, encodeCellId(w, r.target)))),
    w.seq(...c.certificationPath),
  ];
  if (c.executionDateTime) parts.push(w.generalizedTime(c.executionDateTime));
  return w.seq(...parts);
}

/** `base` is the payload's offset in the whole message, for annotations. */
export function decodeCs02bCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02bCommand {
  const top = BerReader.of(payload, 'CS02b command', base, ann);
  const t = top.read(TAG.SEQUENCE, 'UpdateSecurityCredentialsCommand');
  top.note(t, 'CS02b command');
  top.expectEnd();
  const r = top.inner(t, 'CS02b command');

  const ct = r.read(TAG.SEQUENCE, 'authorisingRemotePartyControl');
  r.note(ct, 'authorising remote party control');
  const cr = r.inner(ct, 'authorisingRemotePartyControl');
  const mode = cr.small('credentialsReplacementMode', 0, 127, 'credentials replacement mode', modeName);
  const cmd: Cs02bCommand = {
    mode,
    applyTimeBasedCpvChecks: true,
    authorisingSeqNumber: 0n,
    replacements: [],
    certificationPath: [],
  };
  const k = cr.optional(0x80, '[0] plaintextSymmetricKey');
  if (k) {
    cmd.plaintextSymmetricKey = Buffer.from(cr.content(k));
    cr.note(k, 'plaintext symmetric key', `${cmd.plaintextSymmetricKey.length} octets`);
  }
  if (cr.peekTag() === 0x81) {
    const v = cr.small('[1] applyTimeBasedCPVChecks', 0, 1, 'apply time-based CPV checks', (n) => (n === 0 ? 'apply' : 'disapply'), 0x81);
    cmd.applyTimeBasedCpvChecks = v === 0;
  }
  if (cr.peekTag() === 0xa2) cmd.authorisingCell = readCellId(cr, 'authorising cell', 0xa2);
  if (cr.peekTag() !== 0x83) throw new GbcsError('bad-payload', 'CS02b command: [3] authorisingRemotePartySeqNumber is missing');
  cmd.authorisingSeqNumber = cr.unsigned('[3] authorisingRemotePartySeqNumber', 'authorising seq number', 0x83);
  if (cr.peekTag() === 0x84) cmd.newFloorSeqNumber = cr.unsigned('[4] newRemotePartyFloorSeqNumber', 'new floor seq number', 0x84);
  const sp = cr.optional(0xa5, '[5] newRemotePartySpecialistFloorSeqNumber');
  if (sp) {
    cr.note(sp, 'new specialist floor seq numbers');
    cmd.newTopUpFloorSeqNumber = readSpecialists(cr, sp, '[5] newRemotePartySpecialistFloorSeqNumber');
  }
  const other = cr.optional(0xa6, '[6] otherRemotePartySeqNumberChanges');
  if (other) {
    cr.note(other, 'other remote party seq number changes');
    const or = cr.inner(other, '[6] otherRemotePartySeqNumberChanges');
    const list: RemotePartySeqNumberChange[] = [];
    while (!or.atEnd()) list.push(readSeqChange(or));
    cmd.otherSeqNumberChanges = list;
  }
  cr.expectEnd();

  cmd.replacements = readSeqOf(r, 'replacements', 'replacements', (lr) => {
    const e = lr.read(TAG.SEQUENCE, 'TrustAnchorReplacement');
    lr.note(e, 'trust anchor replacement');
    const er = lr.inner(e, 'TrustAnchorReplacement');
    const c = er.read(TAG.SEQUENCE, 'certificate');
    const certificate = Buffer.from(er.whole(c));
    er.note(c, 'certificate', `${certificate.length} octets`);
    const target = readCellId(er, 'target cell');
    er.expectEnd();
    return { certificate, target };
  });
  cmd.certificationPath = readSeqOf(r, 'certificationPathCertificates', 'certification path', (lr) => {
    const c = lr.read(TAG.SEQUENCE, 'certificate');
    lr.note(c, 'path certificate', `${c.end - c.start} octets`);
    return Buffer.from(lr.whole(c));
  });
  if (r.peekTag() === TAG.GENERALIZED_TIME) cmd.executionDateTime = r.generalizedTime('executionDateTime', 'execution date-time');
  r.expectEnd();
  return cmd;
}

// --- execution outcome, response, alert --------------------------------------------------------

function encodeOutcome(w: DerWriter, o: ExecutionOutcome): Buffer {
  return w.seq(
    w.int(o.authorisingSeqNumber),
    w.int(o.mode),
    w.seq(...o.seqNumberChanges.map((c) => encodeSeqChange(w, c))),
    w.seq(
      ...o.replacementOutcomes.map((x) =>
        w.seq(
          encodeCellId(w, x.cell),
          w.enumerated(x.status),
          w.octets(id8(x.existingSubjectUniqueId, 'existing subject unique ID')),
          w.octets(id8(x.existingSubjectKeyId, 'existing subject key ID')),
          w.octets(id8(x.replacingSubjectUniqueId, 'replacing subject unique ID')),
          w.octets(id8(x.replacingSubjectKeyId, 'replacing subject key ID')),
        ),
      ),
    ),
  );
}

function id8(h: string, what: string): Buffer {
  if (typeof h !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(h)) throw new GbcsError('bad-argument', `${what} '${String(h)}' is not 16 hex digits`);
  return Buffer.from(h, 'hex');
}

function readOutcome(r: BerReader): ExecutionOutcome {
  const t = r.read(TAG.SEQUENCE, 'executionOutcome');
  r.note(t, 'execution outcome');
  const o = r.inner(t, 'executionOutcome');
  const authorisingSeqNumber = o.unsigned('authorisingRemotePartySeqNumber', 'authorising seq number');
  const mode = o.small('credentialsReplacementMode', 0, 127, 'credentials replacement mode', modeName);
  const seqNumberChanges = readSeqOf(o, 'remotePartySeqNumberChanges', 'remote party seq number changes', readSeqChange);
  const replacementOutcomes = readSeqOf(o, 'replacementOutcomes', 'replacement outcomes', (lr) => {
    const e = lr.read(TAG.SEQUENCE, 'ReplacementOutcome');
    lr.note(e, 'replacement outcome');
    const er = lr.inner(e, 'ReplacementOutcome');
    const cell = readCellId(er, 'affected cell');
    const status = er.enumerated('statusCode', 'status code', statusName);
    const ids = ['existing subject unique ID', 'existing subject key ID', 'replacing subject unique ID', 'replacing subject key ID'].map((n) =>
      hex(er.octets(n, 8)),
    ) as [string, string, string, string];
    er.expectEnd();
    return {
      cell,
      status,
      existingSubjectUniqueId: ids[0],
      existingSubjectKeyId: ids[1],
      replacingSubjectUniqueId: ids[2],
      replacingSubjectKeyId: ids[3],
    };
  });
  o.expectEnd();
  return { authorisingSeqNumber, mode, seqNumberChanges, replacementOutcomes };
}

/** Response = SEQUENCE { commandAccepted NULL, executionOutcome OPTIONAL }. */
export function encodeCs02bResponse(resp: Cs02bResponse, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return resp.outcome ? w.seq(w.null(), encodeOutcome(w, resp.outcome)) : w.seq(w.null());
}

export function decodeCs02bResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02bResponse {
  const top = BerReader.of(payload, 'CS02b response', base, ann);
  const t = top.read(TAG.SEQUENCE, 'UpdateSecurityCredentialsResponse');
  top.note(t, 'CS02b response');
  top.expectEnd();
  const r = top.inner(t, 'CS02b response');
  r.null('commandAccepted', 'command accepted');
  const out: Cs02bResponse = {};
  if (!r.atEnd()) out.outcome = readOutcome(r);
  r.expectEnd();
  return out;
}

/** Alert (message code 00CB) = SEQUENCE { alertCode INTEGER, executionDateTime, ExecutionOutcome }. */
export function encodeCs02bAlert(a: Cs02bAlert, style: LengthStyle = 'rtds'): Buffer {
  const w = new DerWriter(style);
  return w.seq(w.int(a.alertCode), w.generalizedTime(a.executionDateTime), encodeOutcome(w, a.outcome));
}

export function decodeCs02bAlert(payload: Buffer, ann?: Annotate, base = 0): Cs02bAlert {
  const top = BerReader.of(payload, 'CS02b alert', base, ann);
  const t = top.read(TAG.SEQUENCE, 'UpdateSecurityCredentialsAlert');
  top.note(t, 'CS02b alert');
  top.expectEnd();
  const r = top.inner(t, 'CS02b alert');
  const alertCode = r.small('alertCode', 0, 0xffff, 'alert code', (n) => `0x${n.toString(16).toUpperCase()}`);
  const executionDateTime = r.generalizedTime('executionDateTime', 'execution date-time');
  const outcome = readOutcome(r);
  r.expectEnd();
  return { alertCode, executionDateTime, outcome };
}


export type Cs02bBody =
  | { kind: 'cs02b-command'; command: Cs02bCommand }
  | { kind: 'cs02b-response'; response: Cs02bResponse }
  | { kind: 'cs02b-alert'; alert: Cs02bAlert };

export const CS02B_CODEC: UseCaseCodec<Cs02bBody> = {
  name: 'CS02b',
  messageCodes: CS02B_MESSAGE_CODES,
  // 8F66/8F67 report a future-dated CS02b's execution under their own message code.
  alertMessageCodes: [CS02B_ALERT_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02b-command', command: decodeCs02bCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02b-response', response: decodeCs02bResponse(payload, ann, base) }),
  decodeAlert: (payload, ann, base) => ({ kind: 'cs02b-alert', alert: decodeCs02bAlert(payload, ann, base) }),
};
