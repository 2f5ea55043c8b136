/**
 * The device emulators with a private SMKI test PKI (issued by the pki room): commands built with the codec
 * and real keys go through processCommand / executeDueCommands; cells, floors, responses, alerts and every
 * rejection path are checked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ALERT_FUTURE_DATED_FAILURE,
  ALERT_FUTURE_DATED_SUCCESS,
  CANCELLATION_DATE_TIME,
  CELL_IDS,
  RejectionAlert,
  StatusCode,
  cellNameOf,
  cellsOf,
  decodeApdu,
  decodeGbcsMessage,
  describeCells,
  encodeApdu,
  encodeCs02aCommand,
  encodeCs02bCommand,
  executeDueCommands,
  newDeviceState,
  processCommand,
  signApdu,
  verifyApduSignature,
  verifyMac,
  wrapWithAcbMac,
  type Cs02bCommand,
  type DeviceOutcome,
  type DeviceSecurityState,
  type ExecutionOutcome,
} from '../../devices/index.ts';
import { describeCertificate } from '../../pki/index.ts';
import { NOW, buildTestPki, canonical, cs02bMessage, skiOf } from './helpers.ts';

const pki = buildTestPki();
const SUPPLIER = '90B3D51F30010000';
const SUPPLIER2 = '90B3D51F30030000';
const NO = '90B3D51F30020000';
const ACB = '90B3D51F30000002';
const RECOVERY = '90B3D51F30000001';
const TCOS = '90B3D51F30000004';
const WAN = '90B3D51F30000007';
const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const CHF = '00DB1234567890A2';
const GPF = '00DB1234567890A3';

const supplier = pki.party(SUPPLIER, 2, true, true);
const supplier2 = pki.party(SUPPLIER2, 2, true, true);
const no = pki.party(NO, 3, true);
const acb = pki.party(ACB, 4, true);
const recovery = pki.party(RECOVERY, 1, false);
const tcos = pki.party(TCOS, 5, false);
const wan = pki.party(WAN, 6, false);
const esme = pki.device(ESME);
const gsme = pki.device(GSME);
const chf = pki.device(CHF);
const gpf = pki.device(GPF);
const PATH = [pki.oca.certificate];
const DAY = 86_400_000;

const ka = (p: typeof supplier) => p.ka!;
const topUp = (p: typeof supplier) => p.topUp!;

function esmeState(): DeviceSecurityState {
  return newDeviceState(ESME, 'ESME', {
    root: pki.root.certificate,
    recovery: recovery.ds.cert,
    supplierDS: supplier.ds.cert,
    supplierKA: ka(supplier).cert,
    supplierTopUpKA: topUp(supplier).cert,
    networkOperatorDS: no.ds.cert,
    networkOperatorKA: ka(no).cert,
    acbKA: ka(acb).cert,
    transitionalCoSDS: tcos.ds.cert,
  });
}

const esmeMac = { acbKa: ka(acb).keys.privateKey, deviceKaPublic: esme.kaPublic };

function supplierChange(counter: bigint, over: Partial<Cs02bCommand> = {}): Cs02bCommand {
  return {
    mode: 2,
    applyTimeBasedCpvChecks: true,
    authorisingCell: { ...CELL_IDS.supplierDS },
    authorisingSeqNumber: counter,
    newFloorSeqNumber: 0n,
    newTopUpFloorSeqNumber: 0n,
    replacements: [
      { certificate: supplier2.ds.cert, target: { ...CELL_IDS.supplierDS } },
      { certificate: ka(supplier2).cert, target: { ...CELL_IDS.supplierKA } },
      { certificate: topUp(supplier2).cert, target: { ...CELL_IDS.supplierTopUpKA } },
    ],
    certificationPath: PATH,
    ...over,
  };
}

function fromSupplier(counter: bigint, over: Partial<Cs02bCommand> = {}): Buffer {
  return cs02bMessage({ counter, originator: SUPPLIER, target: ESME, command: supplierChange(counter, over), signer: supplier.ds.keys.privateKey, mac: esmeMac });
}

/** Decodes a device response, checks its device signature and returns the execution outcome. */
function responseOutcome(out: DeviceOutcome, expect_: { counter: bigint; target: string; messageCode: number; device?: string; dsPublic?: import('node:crypto').KeyObject }): ExecutionOutcome | undefined {
  expect(out.rejected).toBeUndefined();
  expect(out.response).toBeDefined();
  const m = decodeGbcsMessage(out.response!);
  expect(m.mac).toBeUndefined();
  expect(m.apdu.cra).toBe('response');
  expect(m.apdu.counter).toBe(expect_.counter);
  expect(m.apdu.originator).toBe(expect_.device ?? ESME);
  expect(m.apdu.target).toBe(expect_.target);
  expect(m.apdu.messageCode).toBe(expect_.messageCode);
  expect(m.apdu.dateTime).toEqual(NOW);
  expect(verifyApduSignature(m.apdu, expect_.dsPublic ?? esme.dsPublic)).toBe(true);
  if (m.body.kind !== 'cs02b-response') throw new Error(`expected a CS02b response, got ${m.body.kind}`);
  return m.body.response.outcome;
}

function expectRejected(state: DeviceSecurityState, out: DeviceOutcome, alertCode: number, reason: RegExp): void {
  expect(out.rejected?.alertCode, out.rejected?.reason).toBe(alertCode);
  expect(out.rejected!.reason).toMatch(reason);
  expect(out.response).toBeUndefined();
  expect(out.alerts).toEqual([]);
  expect(out.changedCells).toEqual([]);
  expect(out.state).toBe(state);
}

describe('cells', () => {
  it('gives each device type its cells and names every cell identifier', () => {
    // the nine RTDS shows in the recovery response, and the load controller's two (CS02f, CS02g)
    expect(cellsOf('ESME')).toHaveLength(11);
    expect(cellsOf('ESME')).toEqual(expect.arrayContaining(['loadControllerDS', 'loadControllerKA']));
    expect(cellsOf('GSME')).not.toContain('loadControllerDS');
    expect(cellsOf('ESME')).not.toContain('wanProviderDS');
    expect(cellsOf('GSME')).not.toContain('networkOperatorDS');
    expect(cellsOf('CHF')).toEqual(['root', 'recovery', 'acbDS', 'acbKA', 'wanProviderDS']);
    for (const t of ['ESME', 'GSME', 'GPF', 'CHF'] as const) expect(cellsOf(t)).toContain('acbKA');
    expect(cellNameOf({ role: 2, keyUsage: 'KA', cellUsage: 1 })).toBe('supplierTopUpKA');
    expect(cellNameOf({ role: 3, keyUsage: 'KA', cellUsage: 1 })).toBeUndefined();
    expect(() => newDeviceState(GSME, 'GSME', { networkOperatorDS: no.ds.cert })).toThrow(/GSME has no networkOperatorDS/);
  });
});

describe('CS02b supplierBySupplier', () => {
  it('replaces the three supplier cells, sets the floors and answers with a signed response', () => {
    const state = esmeState();
    const before = canonical(state);
    const out = processCommand(state, esme.creds, fromSupplier(1000n), NOW);
    const o = responseOutcome(out, { counter: 1000n, target: SUPPLIER, messageCode: 0x0102 });
    expect(canonical(state)).toBe(before); // the input is never mutated
    expect(out.state.cells.supplierDS).toEqual(supplier2.ds.cert);
    expect(out.state.cells.supplierKA).toEqual(ka(supplier2).cert);
    expect(out.state.cells.supplierTopUpKA).toEqual(topUp(supplier2).cert);
    expect(out.state.cells.networkOperatorDS).toEqual(no.ds.cert);
    expect(out.changedCells).toEqual(['supplierDS', 'supplierKA', 'supplierTopUpKA']);
    expect(out.state.seqNumbers[2]).toBe(0n);
    expect(out.state.topUpSeqNumber).toBe(0n);
    expect(o).toEqual({
      authorisingSeqNumber: 1000n,
      mode: 2,
      seqNumberChanges: [{ role: 2, floorSeqNumber: 0n, topUpFloorSeqNumber: 0n }],
      replacementOutcomes: [
        [supplier.ds.cert, supplier2.ds.cert, CELL_IDS.supplierDS],
        [ka(supplier).cert, ka(supplier2).cert, CELL_IDS.supplierKA],
        [topUp(supplier).cert, topUp(supplier2).cert, CELL_IDS.supplierTopUpKA],
      ].map(([old, neu, cell]) => ({
        cell,
        status: 0,
        existingSubjectUniqueId: SUPPLIER,
        existingSubjectKeyId: skiOf(old as Buffer),
        replacingSubjectUniqueId: SUPPLIER2,
        replacingSubjectKeyId: skiOf(neu as Buffer),
      })),
    });
    // the device signature also verifies with the device's own certificate
    expect(verifyApduSignature(out.response!, describeCertificate(esme.creds.dsCertificate).publicKey)).toBe(true);
  });

  it('hands control to the new supplier: the old one is refused, the new one starts above the floor', () => {
    const s1 = processCommand(esmeState(), esme.creds, fromSupplier(1000n, { newFloorSeqNumber: 5n, newTopUpFloorSeqNumber: 7n }), NOW).state;
    expect(s1.seqNumbers[2]).toBe(5n);
    expect(s1.topUpSeqNumber).toBe(7n);
    const old = processCommand(s1, esme.creds, fromSupplier(1001n), NOW);
    expectRejected(s1, old, RejectionAlert.noAuthority, /originator 90B3D51F30010000 is not 90B3D51F30030000, the holder of the supplier DS cell/);
    const back = (counter: bigint) =>
      cs02bMessage({
        counter,
        originator: SUPPLIER2,
        target: ESME,
        signer: supplier2.ds.keys.privateKey,
        mac: esmeMac,
        command: supplierChange(counter, {
          replacements: [{ certificate: supplier.ds.cert, target: { ...CELL_IDS.supplierDS } }],
          newFloorSeqNumber: undefined,
          newTopUpFloorSeqNumber: undefined,
        }),
      });
    expectRejected(s1, processCommand(s1, esme.creds, back(5n), NOW), RejectionAlert.otherAuthFailure, /counter 5 is not greater than the supplier counter 5/);
    const ok = processCommand(s1, esme.creds, back(6n), NOW);
    expect(ok.rejected).toBeUndefined();
    expect(ok.state.cells.supplierDS).toEqual(supplier.ds.cert);
    expect(ok.state.seqNumbers[2]).toBe(6n); // no [4]: the accepted counter stays
  });
});

describe('CS02b other modes', () => {
  it('networkOperatorByNetworkOperator replaces the NO cells', () => {
    const no2ds = pki.issue(NO, 3, 'DS');
    const no2ka = pki.issue(NO, 3, 'KA');
    const command: Cs02bCommand = {
      mode: 3,
      applyTimeBasedCpvChecks: true,
      authorisingCell: { ...CELL_IDS.networkOperatorDS },
      authorisingSeqNumber: 1200n,
      newFloorSeqNumber: 0n,
      replacements: [
        { certificate: no2ds.cert, target: { ...CELL_IDS.networkOperatorDS } },
        { certificate: no2ka.cert, target: { ...CELL_IDS.networkOperatorKA } },
      ],
      certificationPath: PATH,
    };
    const out = processCommand(esmeState(), esme.creds, cs02bMessage({ counter: 1200n, originator: NO, target: ESME, command, signer: no.ds.keys.privateKey, mac: esmeMac }), NOW);
    const o = responseOutcome(out, { counter: 1200n, target: NO, messageCode: 0x0103 });
    expect(o?.replacementOutcomes.map((r) => [r.status, r.replacingSubjectKeyId])).toEqual([
      [0, skiOf(no2ds.cert)],
      [0, skiOf(no2ka.cert)],
    ]);
    expect(out.state.seqNumbers[3]).toBe(0n);
  });

  it('accessControlBrokerByACB on an ESME is authenticated by the MAC alone, and the new ACB KA then guards the device', () => {
    const acb2ka = pki.issue(ACB, 4, 'KA');
    const acbBy = (counter: bigint, macKey: import('node:crypto').KeyObject, target = CELL_IDS.acbKA) =>
      cs02bMessage({
        counter,
        originator: ACB,
        target: ESME,
        signer: null,
        mac: { acbKa: macKey, deviceKaPublic: esme.kaPublic },
        command: { mode: 4, applyTimeBasedCpvChecks: true, authorisingSeqNumber: counter, newFloorSeqNumber: 0n, replacements: [{ certificate: acb2ka.cert, target: { ...target } }], certificationPath: PATH },
      });
    const out = processCommand(esmeState(), esme.creds, acbBy(1300n, ka(acb).keys.privateKey), NOW);
    const o = responseOutcome(out, { counter: 1300n, target: ACB, messageCode: 0x0104 });
    expect(o?.replacementOutcomes[0]).toMatchObject({ status: 0, existingSubjectKeyId: skiOf(ka(acb).cert), replacingSubjectKeyId: skiOf(acb2ka.cert) });
    expect(out.state.cells.acbKA).toEqual(acb2ka.cert);
    // the old ACB KA key no longer MACs commands for this device
    const stale = processCommand(out.state, esme.creds, fromSupplier(1000n), NOW);
    expectRejected(out.state, stale, RejectionAlert.authenticationFailed, /MAC does not verify/);
    const fresh = cs02bMessage({ counter: 1000n, originator: SUPPLIER, target: ESME, command: supplierChange(1000n), signer: supplier.ds.keys.privateKey, mac: { acbKa: acb2ka.keys.privateKey, deviceKaPublic: esme.kaPublic } });
    expect(processCommand(out.state, esme.creds, fresh, NOW).rejected).toBeUndefined();
    // an ESME has no ACB DS cell: that replacement gets 25 trustAnchorNotFound
    const ds = processCommand(esmeState(), esme.creds, acbBy(1301n, ka(acb).keys.privateKey, CELL_IDS.acbDS), NOW);
    expect(responseOutcome(ds, { counter: 1301n, target: ACB, messageCode: 0x0104 })?.replacementOutcomes[0]).toMatchObject({
      status: StatusCode.trustAnchorNotFound,
      existingSubjectUniqueId: '0000000000000000',
      replacingSubjectUniqueId: '0000000000000000',
    });
    expect(ds.replacementFailures?.[0]?.reason).toMatch(/ESME has no accessControlBroker DS cell/);
  });

  it('accessControlBrokerByACB on a CHF is signed with the ACB DS cell', () => {
    const state = newDeviceState(CHF, 'CHF', { root: pki.root.certificate, recovery: recovery.ds.cert, acbDS: acb.ds.cert, acbKA: ka(acb).cert, wanProviderDS: wan.ds.cert });
    const acb2ds = pki.issue(ACB, 4, 'DS');
    const command: Cs02bCommand = { mode: 4, applyTimeBasedCpvChecks: true, authorisingCell: { ...CELL_IDS.acbDS }, authorisingSeqNumber: 9n, replacements: [{ certificate: acb2ds.cert, target: { ...CELL_IDS.acbDS } }], certificationPath: PATH };
    const msg = (signer: import('node:crypto').KeyObject | null) => cs02bMessage({ counter: 9n, originator: ACB, target: CHF, command, signer, mac: { acbKa: ka(acb).keys.privateKey, deviceKaPublic: chf.kaPublic } });
    expectRejected(state, processCommand(state, chf.creds, msg(null), NOW), RejectionAlert.authenticationFailed, /not signed/);
    const out = processCommand(state, chf.creds, msg(acb.ds.keys.privateKey), NOW);
    responseOutcome(out, { counter: 9n, target: ACB, messageCode: 0x0104, device: CHF, dsPublic: chf.dsPublic });
    expect(out.state.cells.acbDS).toEqual(acb2ds.cert);
  });

  it('handover of a DCC-controlled GPF: the ACB signs through the supplier DS cell that holds its certificate', () => {
    const state = newDeviceState(GPF, 'GPF', {
      root: pki.root.certificate,
      supplierDS: acb.ds.cert,
      supplierKA: ka(acb).cert,
      supplierTopUpKA: ka(acb).cert,
      networkOperatorDS: acb.ds.cert,
      networkOperatorKA: ka(acb).cert,
      acbKA: ka(acb).cert,
    });
    const command = supplierChange(1300n, {
      replacements: [
        { certificate: supplier.ds.cert, target: { ...CELL_IDS.supplierDS } },
        { certificate: ka(supplier).cert, target: { ...CELL_IDS.supplierKA } },
        { certificate: topUp(supplier).cert, target: { ...CELL_IDS.supplierTopUpKA } },
      ],
    });
    const out = processCommand(state, gpf.creds, cs02bMessage({ counter: 1300n, originator: ACB, target: GPF, command, signer: acb.ds.keys.privateKey, mac: { acbKa: ka(acb).keys.privateKey, deviceKaPublic: gpf.kaPublic } }), NOW);
    const o = responseOutcome(out, { counter: 1300n, target: ACB, messageCode: 0x0102, device: GPF, dsPublic: gpf.dsPublic });
    expect(o?.replacementOutcomes.map((r) => `${r.existingSubjectUniqueId}->${r.replacingSubjectUniqueId}:${r.status}`)).toEqual([
      `${ACB}->${SUPPLIER}:0`,
      `${ACB}->${SUPPLIER}:0`,
      `${ACB}->${SUPPLIER}:0`,
    ]);
    expect(out.state.cells.networkOperatorDS).toEqual(acb.ds.cert);
  });

  it('supplierByTransCoS sets the supplier floor through [6]', () => {
    const command: Cs02bCommand = {
      mode: 7,
      applyTimeBasedCpvChecks: true,
      authorisingCell: { ...CELL_IDS.transitionalCoSDS },
      authorisingSeqNumber: 6001n,
      otherSeqNumberChanges: [{ role: 2, floorSeqNumber: 3n, topUpFloorSeqNumber: 4n }],
      replacements: supplierChange(0n).replacements,
      certificationPath: PATH,
    };
    const state = { ...esmeState(), seqNumbers: { 2: 900n } };
    const out = processCommand(state, esme.creds, cs02bMessage({ counter: 6001n, originator: TCOS, target: ESME, command, signer: tcos.ds.keys.privateKey, mac: esmeMac }), NOW);
    const o = responseOutcome(out, { counter: 6001n, target: TCOS, messageCode: 0x0107 });
    expect(o?.seqNumberChanges).toEqual([{ role: 2, floorSeqNumber: 3n, topUpFloorSeqNumber: 4n }]);
    expect(out.state.seqNumbers).toEqual({ 2: 3n, 5: 6001n });
    expect(out.state.topUpSeqNumber).toBe(4n);
    expect(out.state.cells.supplierDS).toEqual(supplier2.ds.cert);
  });

  it('anyExceptAbnormalRootByRecovery needs no MAC and reports 25 for a cell the ESME lacks', () => {
    const command: Cs02bCommand = {
      mode: 8,
      applyTimeBasedCpvChecks: false,
      authorisingCell: { ...CELL_IDS.recovery },
      authorisingSeqNumber: 7000n,
      newFloorSeqNumber: 0n,
      otherSeqNumberChanges: [
        { role: 2, floorSeqNumber: 0n, topUpFloorSeqNumber: 0n },
        { role: 3, floorSeqNumber: 0n },
      ],
      replacements: [
        { certificate: supplier2.ds.cert, target: { ...CELL_IDS.supplierDS } },
        { certificate: wan.ds.cert, target: { ...CELL_IDS.wanProviderDS } },
      ],
      certificationPath: PATH,
    };
    const state = { ...esmeState(), seqNumbers: { 1: 10n, 2: 50n, 3: 60n } };
    const out = processCommand(state, esme.creds, cs02bMessage({ counter: 7000n, originator: RECOVERY, target: ESME, command, signer: recovery.ds.keys.privateKey, mac: null }), NOW);
    const o = responseOutcome(out, { counter: 7000n, target: RECOVERY, messageCode: 0x0108 });
    expect(o?.replacementOutcomes.map((r) => r.status)).toEqual([0, StatusCode.trustAnchorNotFound]);
    expect(o?.seqNumberChanges.map((c) => c.role)).toEqual([1, 2, 3]);
    expect(out.state.seqNumbers).toEqual({ 1: 0n, 2: 0n, 3: 0n });
    expect(out.changedCells).toEqual(['supplierDS']);
  });
});

describe('CS02b rejections leave the state as it was', () => {
  const state = esmeState();
  const before = canonical(state);
  const run = (msg: Buffer, st = state) => processCommand(st, esme.creds, msg, NOW);
  const signed = (counter: bigint, command: Cs02bCommand, o: { signer?: import('node:crypto').KeyObject; originator?: string; target?: string; messageCode?: number } = {}) =>
    cs02bMessage({ counter, originator: o.originator ?? SUPPLIER, target: o.target ?? ESME, command, signer: o.signer ?? supplier.ds.keys.privateKey, mac: esmeMac, ...(o.messageCode === undefined ? {} : { messageCode: o.messageCode }) });

  it.each([
    ['a command for another device', () => signed(1n, supplierChange(1n), { target: GSME }), RejectionAlert.integrityCheckFailed, /addressed to 00DB1234567890A1, not to this device 00DB1234567890A0/],
    [
      'a flipped MAC bit',
      () => {
        const m = fromSupplier(1n);
        m[m.length - 3]! ^= 0x10;
        return m;
      },
      RejectionAlert.authenticationFailed,
      /MAC does not verify/,
    ],
    [
      'a MAC made with another ACB key',
      () => cs02bMessage({ counter: 1n, originator: SUPPLIER, target: ESME, command: supplierChange(1n), signer: supplier.ds.keys.privateKey, mac: { acbKa: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, deviceKaPublic: esme.kaPublic } }),
      RejectionAlert.authenticationFailed,
      /MAC does not verify/,
    ],
    ['no MAC at all', () => cs02bMessage({ counter: 1n, originator: SUPPLIER, target: ESME, command: supplierChange(1n), signer: supplier.ds.keys.privateKey, mac: null }), RejectionAlert.authenticationFailed, /no MAC wrapper/],
    ['a signature by another supplier', () => signed(1n, supplierChange(1n), { signer: supplier2.ds.keys.privateKey }), RejectionAlert.authenticationFailed, /signature does not verify with the key in the supplier DS cell/],
    ['an originator that does not hold the authorising cell', () => signed(1n, supplierChange(1n), { originator: SUPPLIER2, signer: supplier2.ds.keys.privateKey }), RejectionAlert.noAuthority, /not 90B3D51F30010000, the holder of the supplier DS cell/],
    ['the wrong authorising cell for the mode', () => signed(1n, supplierChange(1n, { authorisingCell: { ...CELL_IDS.networkOperatorDS } })), RejectionAlert.noAuthority, /\[2\] names the networkOperator DS cell; supplierBySupplier is authorised by the supplier DS cell/],
    ['no authorising cell', () => signed(1n, supplierChange(1n, { authorisingCell: undefined })), RejectionAlert.noAuthority, /\[2\] authorising cell is missing/],
    ['[3] different from the originator counter', () => signed(2n, supplierChange(1n)), RejectionAlert.integrityCheckFailed, /\[3\] authorisingRemotePartySeqNumber 1 differs from the originator counter 2/],
    ['a message code that does not match the mode', () => signed(1n, supplierChange(1n), { messageCode: 0x0103 }), RejectionAlert.integrityCheckFailed, /message code 0x0103 does not match mode 2/],
    ['a target cell outside the mode', () => signed(1n, supplierChange(1n, { replacements: [{ certificate: no.ds.cert, target: { ...CELL_IDS.networkOperatorDS } }] })), RejectionAlert.noAuthority, /networkOperator DS is outside what supplierBySupplier may replace/],
    ['[6] for a role the mode may not touch', () => signed(1n, supplierChange(1n, { otherSeqNumberChanges: [{ role: 3, floorSeqNumber: 0n }] })), RejectionAlert.noAuthority, /\[6\] sets the networkOperator floor/],
    ['a mode the emulator does not run', () => signed(1n, supplierChange(1n, { mode: 1 })), RejectionAlert.integrityCheckFailed, /mode 1 \(rootByWanProvider\) is not supported/],
    ['bytes that are not GBCS', () => Buffer.from('not a gbcs message'), RejectionAlert.integrityCheckFailed, /cannot be decoded/],
    [
      'a response instead of a command',
      () => signApdu(encodeApdu({ cra: 'response', counter: 1n, originator: SUPPLIER, target: ESME, messageCode: 0x0102, payload: encodeCs02bCommand(supplierChange(1n)) }), supplier.ds.keys.privateKey),
      RejectionAlert.integrityCheckFailed,
      /CRA flag is response/,
    ],
  ] as const)('rejects %s', (_name, make, code, reason) => {
    const out = run(make());
    expectRejected(state, out, code, reason);
    expect(canonical(state)).toBe(before);
  });

  it('rejects a replayed command and a lower counter', () => {
    const msg = fromSupplier(100n);
    const first = run(msg);
    expect(first.rejected).toBeUndefined();
    const s = { ...first.state, seqNumbers: { ...first.state.seqNumbers, 2: 100n } }; // as without a floor in the command
    expectRejected(s, run(msg, s), RejectionAlert.otherAuthFailure, /counter 100 is not greater than the supplier counter 100 the device holds \(replay\)/);
    expectRejected(s, run(fromSupplier(99n), s), RejectionAlert.otherAuthFailure, /replay/);
  });

  it('rejects a tampered payload under a valid MAC', () => {
    const good = signApdu(encodeApdu({ cra: 'command', counter: 1n, originator: SUPPLIER, target: ESME, messageCode: 0x0102, payload: encodeCs02bCommand(supplierChange(1n)) }), supplier.ds.keys.privateKey);
    const d = decodeApdu(good);
    // the DCC (or anyone holding the ACB KA key) changes the floor but cannot re-sign
    const tampered = encodeApdu({ ...d, payload: encodeCs02bCommand(supplierChange(1n, { newFloorSeqNumber: 999n })) }, { signature: d.signature });
    const out = run(wrapWithAcbMac(tampered, ka(acb).keys.privateKey, esme.kaPublic));
    expectRejected(state, out, RejectionAlert.authenticationFailed, /signature does not verify/);
  });

  it('rejects a network operator command on a GSME, which has no NO cells', () => {
    const g = newDeviceState(GSME, 'GSME', { root: pki.root.certificate, supplierDS: supplier.ds.cert, acbKA: ka(acb).cert });
    const command: Cs02bCommand = { mode: 3, applyTimeBasedCpvChecks: true, authorisingCell: { ...CELL_IDS.networkOperatorDS }, authorisingSeqNumber: 1n, replacements: [], certificationPath: PATH };
    const out = processCommand(g, gsme.creds, cs02bMessage({ counter: 1n, originator: NO, target: GSME, command, signer: no.ds.keys.privateKey, mac: { acbKa: ka(acb).keys.privateKey, deviceKaPublic: gsme.kaPublic } }), NOW);
    expectRejected(g, out, RejectionAlert.noAuthority, /a GSME has no networkOperator DS cell/);
  });

  it('rejects ACBByACB on an ESME that names an authorising cell', () => {
    const command: Cs02bCommand = { mode: 4, applyTimeBasedCpvChecks: true, authorisingCell: { ...CELL_IDS.acbDS }, authorisingSeqNumber: 1n, replacements: [], certificationPath: PATH };
    const out = run(cs02bMessage({ counter: 1n, originator: ACB, target: ESME, command, signer: acb.ds.keys.privateKey, mac: esmeMac }));
    expectRejected(state, out, RejectionAlert.noAuthority, /authorised by the ACB MAC alone/);
  });
});

describe('per-replacement checks and partial success', () => {
  const cases: [string, () => Buffer, number, RegExp, Partial<Cs02bCommand>?][] = [
    ['a certificate from another issuing CA', () => pki.issue(SUPPLIER2, 2, 'KA', { oca: pki.foreignOca }).cert, StatusCode.noTrustAnchor, /certification path validation failed \(no-path\)/],
    ['a certificate of another role', () => pki.issue(NO, 3, 'KA').cert, StatusCode.badCertificate, /role networkOperator does not fit the supplier KA cell/],
    ['a certificate with the wrong key usage', () => pki.issue(SUPPLIER2, 2, 'DS').cert, StatusCode.badCertificate, /key usage DS does not fit the supplier KA cell \(KA\)/],
    ['an expired certificate', () => pki.issue(SUPPLIER2, 2, 'KA', { notAfter: new Date(NOW.getTime() - DAY) }).cert, StatusCode.noTrustAnchor, /\(expired\)/],
    ['a certificate not yet valid', () => pki.issue(SUPPLIER2, 2, 'KA', { notBefore: new Date(NOW.getTime() + DAY), notAfter: new Date(NOW.getTime() + 400 * DAY) }).cert, StatusCode.noTrustAnchor, /\(not-yet-valid\)/],
    ['a SEQUENCE that is not a certificate', () => Buffer.from('3003020101', 'hex'), StatusCode.badCertificate, /cannot be parsed/],
    ['no certification path', () => ka(supplier2).cert, StatusCode.noTrustAnchor, /no-path/, { certificationPath: [] }],
  ];

  it.each(cases)('%s fails alone while the other cells are replaced', (_name, cert, status, reason, over) => {
    const bad = cert();
    const command = supplierChange(1n, {
      ...over,
      replacements: [
        { certificate: supplier2.ds.cert, target: { ...CELL_IDS.supplierDS } },
        { certificate: bad, target: { ...CELL_IDS.supplierKA } },
        { certificate: topUp(supplier2).cert, target: { ...CELL_IDS.supplierTopUpKA } },
      ],
    });
    const out = processCommand(esmeState(), esme.creds, cs02bMessage({ counter: 1n, originator: SUPPLIER, target: ESME, command, signer: supplier.ds.keys.privateKey, mac: esmeMac }), NOW);
    const o = responseOutcome(out, { counter: 1n, target: SUPPLIER, messageCode: 0x0102 });
    const expectedDs = over?.certificationPath?.length === 0 ? StatusCode.noTrustAnchor : 0;
    expect(o?.replacementOutcomes.map((r) => r.status)).toEqual([expectedDs, status, expectedDs]);
    const failed = o!.replacementOutcomes[1]!;
    expect(failed.replacingSubjectKeyId).toBe(failed.existingSubjectKeyId);
    expect(failed.replacingSubjectUniqueId).toBe(SUPPLIER);
    expect(out.state.cells.supplierKA).toEqual(ka(supplier).cert);
    expect(out.replacementFailures?.find((f) => f.cell.keyUsage === 'KA' && f.cell.cellUsage === 0)?.reason).toMatch(reason);
    // the floors are applied even when a replacement fails, as the RTDS error response shows
    expect(out.state.seqNumbers[2]).toBe(0n);
  });

  it('skips the time checks when the command disapplies them', () => {
    const expired = pki.issue(SUPPLIER2, 2, 'KA', { notAfter: new Date(NOW.getTime() - DAY) });
    const command = supplierChange(1n, { applyTimeBasedCpvChecks: false, replacements: [{ certificate: expired.cert, target: { ...CELL_IDS.supplierKA } }] });
    const out = processCommand(esmeState(), esme.creds, cs02bMessage({ counter: 1n, originator: SUPPLIER, target: ESME, command, signer: supplier.ds.keys.privateKey, mac: esmeMac }), NOW);
    expect(responseOutcome(out, { counter: 1n, target: SUPPLIER, messageCode: 0x0102 })?.replacementOutcomes[0]?.status).toBe(0);
    expect(out.state.cells.supplierKA).toEqual(expired.cert);
  });

  it('answers 10 for every replacement when the root cell is empty', () => {
    const state = { ...esmeState(), cells: { ...esmeState().cells, root: undefined } };
    delete state.cells.root;
    const out = processCommand(state, esme.creds, fromSupplier(1n), NOW);
    expect(responseOutcome(out, { counter: 1n, target: SUPPLIER, messageCode: 0x0102 })?.replacementOutcomes.map((r) => r.status)).toEqual([10, 10, 10]);
    expect(out.changedCells).toEqual([]);
  });
});

describe('future-dated commands', () => {
  const at = new Date(NOW.getTime() + 10 * DAY);

  function decodeAlert(alert: Buffer) {
    const m = decodeGbcsMessage(alert);
    expect(m.apdu.cra).toBe('alert');
    expect(m.apdu.messageCode).toBe(0x00cb);
    expect(m.apdu.dateTime).toBeUndefined();
    expect(m.apdu.originator).toBe(ESME);
    expect(verifyApduSignature(m.apdu, esme.dsPublic)).toBe(true);
    if (m.body.kind !== 'cs02b-alert') throw new Error('expected a CS02b alert');
    return { apdu: m.apdu, alert: m.body.alert };
  }

  it('are accepted, held, and executed when due with alert 8F66', () => {
    const state = esmeState();
    const accepted = processCommand(state, esme.creds, fromSupplier(1001n, { executionDateTime: at }), NOW);
    expect(responseOutcome(accepted, { counter: 1001n, target: SUPPLIER, messageCode: 0x0102 })).toBeUndefined();
    expect(decodeApdu(accepted.response!).payload.toString('hex')).toBe('30020500');
    expect(accepted.state.cells).toEqual(state.cells);
    expect(accepted.state.seqNumbers[2]).toBe(1001n);
    expect(accepted.state.pending).toHaveLength(1);
    expect(accepted.state.pending[0]).toMatchObject({ counter: 1001n, originator: SUPPLIER, executeAt: at });

    const early = executeDueCommands(accepted.state, esme.creds, new Date(at.getTime() - 1000));
    expect(early).toEqual({ state: accepted.state, alerts: [], changedCells: [] });

    const done = executeDueCommands(accepted.state, esme.creds, at);
    expect(done.state.pending).toEqual([]);
    expect(done.state.cells.supplierDS).toEqual(supplier2.ds.cert);
    expect(done.changedCells).toEqual(['supplierDS', 'supplierKA', 'supplierTopUpKA']);
    expect(done.state.alertCounter).toBe(1n);
    expect(done.state.seqNumbers[2]).toBe(0n);
    expect(done.alerts).toHaveLength(1);
    const { apdu, alert } = decodeAlert(done.alerts[0]!);
    expect(apdu.counter).toBe(1n);
    expect(apdu.target).toBe(SUPPLIER);
    expect(alert.alertCode).toBe(ALERT_FUTURE_DATED_SUCCESS);
    expect(alert.executionDateTime).toEqual(at);
    expect(alert.outcome.authorisingSeqNumber).toBe(1001n);
    expect(alert.outcome.replacementOutcomes.map((r) => r.status)).toEqual([0, 0, 0]);
  });

  it('raise 8F67 when a replacement fails at execution, with increasing alert counters', () => {
    const foreign = pki.issue(SUPPLIER2, 2, 'KA', { oca: pki.foreignOca });
    let s = esmeState();
    s = { ...s, alertCounter: 0x7d0n };
    s = processCommand(s, esme.creds, fromSupplier(1001n, { executionDateTime: at }), NOW).state;
    const failing = supplierChange(1002n, { executionDateTime: new Date(at.getTime() + DAY), replacements: [{ certificate: foreign.cert, target: { ...CELL_IDS.supplierKA } }], newFloorSeqNumber: undefined, newTopUpFloorSeqNumber: undefined });
    // authenticated on arrival, while supplier 1 still held the cell; it runs after the first one changed the cells
    s = processCommand(s, esme.creds, cs02bMessage({ counter: 1002n, originator: SUPPLIER, target: ESME, command: failing, signer: supplier.ds.keys.privateKey, mac: esmeMac }), NOW).state;
    expect(s.pending).toHaveLength(2);
    const done = executeDueCommands(s, esme.creds, new Date(at.getTime() + 2 * DAY));
    expect(done.alerts.map((a) => decodeAlert(a)).map(({ apdu, alert }) => [apdu.counter, alert.alertCode])).toEqual([
      [0x7d1n, ALERT_FUTURE_DATED_SUCCESS],
      [0x7d2n, ALERT_FUTURE_DATED_FAILURE],
    ]);
    expect(done.replacementFailures?.[0]?.status).toBe(StatusCode.noTrustAnchor);
    expect(done.state.cells.supplierKA).toEqual(ka(supplier2).cert);
  });

  it('a command dated 9999-12-31T23:59:59Z cancels the pending one', () => {
    const s1 = processCommand(esmeState(), esme.creds, fromSupplier(1001n, { executionDateTime: at }), NOW).state;
    const cancel = processCommand(s1, esme.creds, fromSupplier(1002n, { executionDateTime: CANCELLATION_DATE_TIME }), NOW);
    expect(decodeApdu(cancel.response!).payload.toString('hex')).toBe('30020500');
    expect(cancel.state.pending).toEqual([]);
    expect(cancel.state.cells).toEqual(esmeState().cells);
    expect(executeDueCommands(cancel.state, esme.creds, new Date(at.getTime() + DAY)).alerts).toEqual([]);
  });

  it('a past execution date executes at once', () => {
    const out = processCommand(esmeState(), esme.creds, fromSupplier(1001n, { executionDateTime: new Date(NOW.getTime() - DAY) }), NOW);
    expect(responseOutcome(out, { counter: 1001n, target: SUPPLIER, messageCode: 0x0102 })?.replacementOutcomes).toHaveLength(3);
    expect(out.state.pending).toEqual([]);
  });
});

describe('CS02a read cells', () => {
  const cs02a = (counter: bigint, roles: number[], o: { cell?: typeof CELL_IDS.acbKA; mac?: boolean; target?: string; kaPublic?: import('node:crypto').KeyObject } = {}) => {
    const apdu = encodeApdu({ cra: 'command', counter, originator: ACB, target: o.target ?? ESME, messageCode: 0x0008, payload: encodeCs02aCommand({ authorisingCell: { ...(o.cell ?? CELL_IDS.acbKA) }, roles }) });
    return o.mac === false ? apdu : wrapWithAcbMac(apdu, ka(acb).keys.privateKey, o.kaPublic ?? esme.kaPublic);
  };

  it('reports subject unique IDs, key ids and seq numbers per role, MAC-only', () => {
    const state = { ...esmeState(), seqNumbers: { 2: 17n, 4: 1300n } };
    const out = processCommand(state, esme.creds, cs02a(0x516n, [0, 2, 3, 4, 6]), NOW);
    expect(out.rejected).toBeUndefined();
    const mac = verifyMac(out.response!, ka(acb).keys.privateKey, esme.kaPublic);
    expect(mac.ok).toBe(true);
    const m = decodeGbcsMessage(out.response!);
    expect(m.apdu).toMatchObject({ cra: 'response', counter: 0x516n, originator: ESME, target: ACB, messageCode: 8, form: 'unsigned' });
    expect(m.apdu.dateTime).toBeUndefined();
    if (m.body.kind !== 'cs02a-response') throw new Error('expected a CS02a response');
    const cell = (cert: Buffer, keyUsage: 'DS' | 'KA', cellUsage: 0 | 1 = 0) => ({ keyUsage, cellUsage, subjectUniqueId: describeCertificate(cert).subjectEui, subjectKeyId: skiOf(cert) });
    expect(m.body.response.roles).toEqual([
      { role: 0, status: 0, currentSeqNumber: 0n, cells: [{ keyUsage: 'CA', cellUsage: 0, subjectUniqueId: '0000000000000000', subjectKeyId: skiOf(pki.root.certificate) }] },
      { role: 2, status: 0, currentSeqNumber: 17n, cells: [cell(supplier.ds.cert, 'DS'), cell(ka(supplier).cert, 'KA'), cell(topUp(supplier).cert, 'KA', 1)] },
      { role: 3, status: 0, currentSeqNumber: 0n, cells: [cell(no.ds.cert, 'DS'), cell(ka(no).cert, 'KA')] },
      { role: 4, status: 0, currentSeqNumber: 1300n, cells: [cell(ka(acb).cert, 'KA')] },
      { role: 6, status: StatusCode.trustAnchorNotFound },
    ]);
    expect(out.state.seqNumbers[4]).toBe(0x516n);
    expect(out.state.cells).toEqual(state.cells);
    expectRejected(out.state, processCommand(out.state, esme.creds, cs02a(0x516n, [2]), NOW), RejectionAlert.otherAuthFailure, /replay/);
  });

  it('reports empty cells with zero IDs', () => {
    const g = newDeviceState(GSME, 'GSME', { acbKA: ka(acb).cert });
    const out = processCommand(g, gsme.creds, cs02a(1n, [2, 3], { target: GSME, kaPublic: gsme.kaPublic }), NOW);
    const m = decodeGbcsMessage(out.response!);
    if (m.body.kind !== 'cs02a-response') throw new Error('expected a CS02a response');
    expect(m.body.response.roles[0]?.cells?.map((c) => c.subjectUniqueId + c.subjectKeyId)).toEqual(Array(3).fill('0'.repeat(32)));
    expect(m.body.response.roles[1]).toEqual({ role: 3, status: 25 });
    expect(describeCells(g).filter((c) => c.state === 'filled').map((c) => c.name)).toEqual(['acbKA']);
  });

  it('refuses a CS02a without MAC or authorised by another cell', () => {
    const state = esmeState();
    expectRejected(state, processCommand(state, esme.creds, cs02a(1n, [2], { mac: false }), NOW), RejectionAlert.authenticationFailed, /CS02a command has no MAC wrapper/);
    expectRejected(state, processCommand(state, esme.creds, cs02a(1n, [2], { cell: CELL_IDS.supplierKA }), NOW), RejectionAlert.noAuthority, /only the ACB KA cell may authorise it/);
  });
});
