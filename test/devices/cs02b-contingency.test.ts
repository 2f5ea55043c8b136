/**
 * CS02b anyByContingency (mode 9, 0x0109) through an emulated ESME: the root's contingency public key, held
 * wrapped under a symmetric key the device does not know, authenticates a command that replaces the root and
 * the eight cells the recovery replaces. The device answers as RTDS's contingency SUCCESS and ERROR responses
 * (layout: cells, statuses, floors; not counters, date-times, signatures or the certificates' IDs); a wrong
 * symmetric key, a signature by another key, a replayed counter, or a second use of the spent key is discarded
 * and nothing changes.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CELL_IDS, decodeGbcsMessage, newDeviceState, processCommand, RejectionAlert, verifyApduSignature, wrapContingencyKey,
  type CellName, type Cs02bCommand, type DeviceOutcome, type DeviceSecurityState, type GbcsMessage,
} from '../../devices/index.ts';
import { createRootCa, deriveKeyPair, issueIssuingCa } from '../../pki/index.ts';
import { buildTestPki, canonical, cs02bMessage, NOW, rtds, skiOf, T0 } from './helpers.ts';

const ESME = '00DB1234567890A0';
const ORIGINATOR = '70B3D51F300017FF'; // RTDS's contingency responses answer this EUI
const DIR = 'NA_CS02bAnyByContingency';
const pki = buildTestPki();
// The parties under the old root, with RTDS's EUIs so the responses' existing IDs line up.
const old = {
  recovery: pki.party('90B3D51F30000001', 1, false),
  supplier: pki.party('90B3D51F30010000', 2, true, true),
  no: pki.party('90B3D51F30020000', 3, true),
  acb: pki.party('90B3D51F30000002', 4, true),
  tcos: pki.party('90B3D51F30000004', 5, false),
};
const device = pki.device(ESME);

// The SMKI after the contingency: a new root and issuing CA, and each party's certificates under it.
const kp = (label: string) => deriveKeyPair(Buffer.from('contingency test'), label);
const newRoot = createRootCa({ commonName: 'XB', keyPair: kp('root'), notBefore: T0, notAfter: new Date('2050-01-01T00:00:00Z') });
const newOca = issueIssuingCa(newRoot, { commonName: 'X2', keyPair: kp('oca'), notBefore: T0, notAfter: new Date('2049-01-01T00:00:00Z') });
const under = (eui: string, role: number, ku: 'DS' | 'KA') => pki.issue(eui, role, ku, { oca: newOca }).cert;
const NEW: [CellName, Buffer][] = [
  ['root', newRoot.certificate],
  ['recovery', under('90B3D51F30000001', 1, 'DS')],
  ['supplierDS', under('90B3D51F30010000', 2, 'DS')],
  ['supplierKA', under('90B3D51F30010000', 2, 'KA')],
  ['supplierTopUpKA', under('90B3D51F30010000', 2, 'KA')],
  ['networkOperatorDS', under('90B3D51F30020000', 3, 'DS')],
  ['networkOperatorKA', under('90B3D51F30020000', 3, 'KA')],
  ['acbKA', under('90B3D51F30000002', 4, 'KA')],
  ['transitionalCoSDS', under('90B3D51F30000004', 5, 'DS')],
];

// The root's contingency key and the symmetric key that wraps it: the SMKI's, never the device's.
const contingency = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const symmetricKey = randomBytes(16);

function esme(seqNumbers: Record<number, bigint> = {}): DeviceSecurityState {
  const s = newDeviceState(ESME, 'ESME', {
    root: pki.root.certificate,
    recovery: old.recovery.ds.cert,
    supplierDS: old.supplier.ds.cert,
    supplierKA: old.supplier.ka!.cert,
    supplierTopUpKA: old.supplier.topUp!.cert,
    networkOperatorDS: old.no.ds.cert,
    networkOperatorKA: old.no.ka!.cert,
    acbKA: old.acb.ka!.cert,
    transitionalCoSDS: old.tcos.ds.cert,
  });
  return { ...s, seqNumbers, rootContingencyKey: wrapContingencyKey(symmetricKey, contingency.publicKey) };
}

function command(o: { counter?: bigint; key?: Buffer | null; signer?: KeyObject; cells?: [CellName, Buffer][] } = {}): Buffer {
  const counter = o.counter ?? 5000n;
  const cmd: Cs02bCommand = {
    mode: 9,
    ...(o.key === null ? {} : { plaintextSymmetricKey: o.key ?? symmetricKey }),
    applyTimeBasedCpvChecks: false,
    authorisingCell: CELL_IDS.root,
    authorisingSeqNumber: counter,
    newFloorSeqNumber: 0n,
    otherSeqNumberChanges: [
      { role: 2, floorSeqNumber: 0n, topUpFloorSeqNumber: 0n },
      { role: 3, floorSeqNumber: 0n },
      { role: 4, floorSeqNumber: 0n },
      { role: 5, floorSeqNumber: 0n },
    ],
    replacements: (o.cells ?? NEW).map(([cell, certificate]) => ({ certificate, target: CELL_IDS[cell] })),
    certificationPath: [newOca.certificate],
  };
  return cs02bMessage({ counter, originator: ORIGINATOR, target: ESME, command: cmd, signer: o.signer ?? contingency.privateKey, mac: null });
}

const outcomeOf = (m: GbcsMessage) => {
  if (m.body.kind !== 'cs02b-response') throw new Error(`expected a CS02b response, got ${m.body.kind}`);
  return m.body.response.outcome!;
};
/** What RTDS's response and ours share: mode, floors, and per cell its identifier, status and existing holder's EUI. */
const layout = (m: GbcsMessage) => {
  const o = outcomeOf(m);
  return { cra: m.apdu.cra, target: m.apdu.target, messageCode: m.apdu.messageCode, mode: o.mode, floors: o.seqNumberChanges, cells: o.replacementOutcomes.map((x) => [x.cell, x.status, x.existingSubjectUniqueId]) };
};
const sortedCells = (l: ReturnType<typeof layout>) => ({ ...l, cells: [...l.cells].sort((a, b) => canonical(a).localeCompare(canonical(b))) });

function expectDiscarded(out: DeviceOutcome, before: DeviceSecurityState, alertCode: number, reason: RegExp): void {
  expect(out.rejected?.alertCode).toBe(alertCode);
  expect(out.rejected?.reason).toMatch(reason);
  expect(out.response).toBeUndefined();
  expect(out.changedCells).toEqual([]);
  expect(canonical(out.state)).toBe(canonical(before));
}

describe('CS02b anyByContingency (0x0109): the root\'s contingency key', () => {
  it('a command signed with the contingency key and carrying its symmetric key replaces the root and the eight other cells; answered as RTDS\'s SUCCESS response', () => {
    const s = esme({ 0: 4000n, 2: 77n });
    const out = processCommand(s, device.creds, command(), NOW);
    expect(out.rejected, out.rejected?.reason).toBeUndefined();
    expect(out.changedCells).toEqual(NEW.map(([cell]) => cell));
    for (const [cell, der] of NEW) expect(out.state.cells[cell]!.equals(der), cell).toBe(true);
    expect(skiOf(out.state.cells.root!)).not.toBe(skiOf(pki.root.certificate));
    // floors as RTDS's response sets them: the root (the authorising role), supplier with its top-up, NO, ACB, TransCoS
    expect(out.state.seqNumbers).toEqual({ 0: 0n, 2: 0n, 3: 0n, 4: 0n, 5: 0n });
    // spent: the device will not act on this contingency key again
    expect(out.state.rootContingencyKey).toBeUndefined();
    expect(s.rootContingencyKey).toBeDefined();

    const ours = decodeGbcsMessage(out.response!);
    expect(verifyApduSignature(ours.apdu, device.dsPublic)).toBe(true);
    expect([ours.apdu.counter, ours.apdu.originator]).toEqual([5000n, ESME]);
    const theirs = decodeGbcsMessage(rtds(DIR, 'CS02bAnyByContingency_NA_SUCCESS_RESPONSE_GBCS.HEX'));
    // RTDS lists the NO's KA cell before its DS cell in this one response; the cells, statuses and holders are the same
    expect(sortedCells(layout(ours))).toEqual(sortedCells(layout(theirs)));
    // the root cell reports no EUI, before and after, as RTDS's
    const root = outcomeOf(ours).replacementOutcomes[0]!;
    expect([root.existingSubjectUniqueId, root.existingSubjectKeyId, root.replacingSubjectUniqueId, root.replacingSubjectKeyId])
      .toEqual(['0000000000000000', skiOf(pki.root.certificate), '0000000000000000', skiOf(newRoot.certificate)]);
  });

  it('a certificate that does not chain to the new root fails on its own (status 10), the rest succeed: RTDS\'s ERROR response', () => {
    const foreign = pki.issue('90B3D51F30010000', 2, 'KA', { oca: pki.foreignOca }).cert;
    const cells = NEW.map(([cell, der]): [CellName, Buffer] => [cell, cell === 'supplierTopUpKA' ? foreign : der]);
    const s = esme();
    const out = processCommand(s, device.creds, command({ counter: 5001n, cells }), NOW);
    expect(out.rejected, out.rejected?.reason).toBeUndefined();
    expect(out.state.cells.supplierTopUpKA!.equals(old.supplier.topUp!.cert)).toBe(true);
    expect(out.changedCells).not.toContain('supplierTopUpKA');
    const ours = decodeGbcsMessage(out.response!);
    const theirs = decodeGbcsMessage(rtds(DIR, 'CS02bAnyByContingency_NA_ERROR_RESPONSE_GBCS.HEX'));
    expect(layout(ours)).toEqual(layout(theirs));
    const failed = outcomeOf(ours).replacementOutcomes[4]!;
    expect([failed.status, failed.replacingSubjectKeyId]).toEqual([10, failed.existingSubjectKeyId]);
  });

  it('a wrong symmetric key is discarded (8F3D) and nothing changes, the contingency key included', () => {
    const s = esme();
    expectDiscarded(processCommand(s, device.creds, command({ key: randomBytes(16) }), NOW), s, RejectionAlert.authenticationFailed, /does not unwrap the root's contingency key/);
    expectDiscarded(processCommand(s, device.creds, command({ key: null }), NOW), s, RejectionAlert.authenticationFailed, /no \[0\] plaintextSymmetricKey/);
  });

  it('a signature by another key (the Recovery party\'s) is discarded (8F3D) and nothing changes', () => {
    const s = esme();
    expectDiscarded(processCommand(s, device.creds, command({ signer: old.recovery.ds.keys.privateKey }), NOW), s, RejectionAlert.authenticationFailed, /does not verify with the root's contingency key/);
  });

  it('a replayed counter is discarded (8F53), and so is the accepted command sent again once its key is spent (8F30)', () => {
    const s = esme({ 0: 5000n });
    expectDiscarded(processCommand(s, device.creds, command({ counter: 5000n }), NOW), s, RejectionAlert.otherAuthFailure, /not greater than the root counter 5000/);
    const first = processCommand(esme(), device.creds, command(), NOW);
    expect(first.rejected).toBeUndefined();
    // the floor the command set (0) lets the counter through: the spent key is what refuses it
    expectDiscarded(processCommand(first.state, device.creds, command(), NOW), first.state, RejectionAlert.noAuthority, /holds no contingency key/);
  });
});
