/**
 * CS02f (0x011B, credential details) and CS02g (0x0125/0x0126, load controller credentials) against the RTDS
 * vectors: the codec rebuilds every vector of their four folders byte for byte, and the RTDS commands run
 * through an emulated ESME holding the ZAZ1 certificates give the RTDS responses and alerts, octet for
 * octet apart from the counters and date-times, signatures and MACs, and the IDs of the load controller
 * certificates the RTDS ESME held (not published; ours holds the keystore's).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeGbcsMessage, encodeApdu, encodeCs02aCommand, encodeCs02aResponse, encodeCs02bAlert, encodeCs02bCommand, encodeCs02bResponse,
  executeDueCommands, isGeneralCiphering, newDeviceState, processCommand, RejectionAlert, signApdu, unwrapGeneralCiphering, verifyMac,
  wrapWithAcbMac, type CellName, type DeviceOutcome, type DeviceSecurityState, type GbcsMessage,
} from '../../devices/index.ts';
import { buildTestPki, ks, rtds, rtdsVectors, skiOf, rtdsZ1 } from './helpers.ts';

const DIRS = ['6.24.1_CS02fMAC', 'NA_CS02fSignature', '6.15.1_CS02gLoadControllerBySupplier', 'NA_CS02gLoadControllerByLoadController'];
const NOW = new Date('2020-06-01T00:00:00Z'); // inside every Z1 and Z1b certificate's validity
const pki = buildTestPki();
const acbKa = ks('Z1-accessControlBroker-ka');
const cert = (name: string) => ks(name).certificate;
const Z1 = rtdsZ1();

/** The RTDS ESMEs …A0 and …A6: the ZAZ1 supplier, NO and DCC cells and (ours) the keystore's load controller. */
const CELLS: Partial<Record<CellName, Buffer>> = {
  root: Z1,
  recovery: cert('Z1-recovery-ds'),
  supplierDS: cert('Z1-supplier-ds'),
  supplierKA: cert('Z1-supplier-ka'),
  supplierTopUpKA: cert('Z1-supplierPP-ka'),
  networkOperatorDS: cert('Z1-networkOperator-ds'),
  networkOperatorKA: cert('Z1-networkOperator-ka'),
  acbKA: cert('Z1-accessControlBroker-ka'),
  transitionalCoSDS: cert('Z1-transitionalCoS-ds'),
  loadControllerDS: cert('Z1-loadController-ds'),
  loadControllerKA: cert('Z1-loadController-ka'),
};
const devices = { '00DB1234567890A0': pki.device('00DB1234567890A0'), '00DB1234567890A6': pki.device('00DB1234567890A6') };
const deviceOf = (eui: string) => devices[eui as keyof typeof devices] ?? (() => { throw new Error(`no device ${eui}`); })();

/** The RTDS load controller certificates' IDs, and ours: the one place the answers may differ. */
const RTDS_LC_SKI = { ds: '4694FE8205DC1ACD', ka: '4C42629AFA881F7A' };
const OUR_LC_SKI = { ds: skiOf(cert('Z1-loadController-ds')), ka: skiOf(cert('Z1-loadController-ka')) };
const ourIds = (hex: string) => hex.toUpperCase().replaceAll(RTDS_LC_SKI.ds, OUR_LC_SKI.ds).replaceAll(RTDS_LC_SKI.ka, OUR_LC_SKI.ka);

function state(eui: string, seqNumbers: Record<number, bigint> = {}): DeviceSecurityState {
  return { ...newDeviceState(eui, 'ESME', CELLS), seqNumbers: { ...seqNumbers } };
}

/** The RTDS command as dcc-sim's DCC would deliver it: same APDU and signature, re-MAC'd for our device's KA key. */
function deliver(dir: string, file: string): { message: Buffer; eui: string } {
  const v = rtds(dir, file);
  const eui = decodeGbcsMessage(v).apdu.target;
  if (!isGeneralCiphering(v)) return { message: v, eui };
  return { message: wrapWithAcbMac(unwrapGeneralCiphering(v).apdu, acbKa.privateKey, deviceOf(eui).kaPublic), eui };
}

function run(dir: string, file: string, s?: DeviceSecurityState): DeviceOutcome {
  const { message, eui } = deliver(dir, file);
  return processCommand(s ?? state(eui), deviceOf(eui).creds, message, NOW);
}

function expectSame(ours: Buffer, dir: string, file: string, fields: readonly string[] = ['cra', 'counter', 'originator', 'target', 'messageCode', 'form']): GbcsMessage {
  const o = decodeGbcsMessage(ours);
  const t = decodeGbcsMessage(rtds(dir, file));
  for (const f of fields) expect(o.apdu[f as keyof typeof o.apdu], f).toEqual(t.apdu[f as keyof typeof t.apdu]);
  expect(o.apdu.payload.toString('hex').toUpperCase()).toBe(ourIds(t.apdu.payload.toString('hex')));
  return o;
}

describe('CS02f and CS02g RTDS vectors decode and rebuild byte for byte', () => {
  const vectors = rtdsVectors().filter((v) => DIRS.includes(v.dir));
  it('finds the 35 vectors of the four folders', () => expect(vectors.length).toBe(35));
  it.each(vectors.map((v) => [v.file, v] as const))('%s', (_n, v) => {
    const m = decodeGbcsMessage(v.bytes);
    const b = m.body;
    const payload =
      b.kind === 'cs02f-command' ? encodeCs02aCommand(b.command)
        : b.kind === 'cs02f-response' ? encodeCs02aResponse(b.response, 'rtds')
          : b.kind === 'cs02g-command' ? encodeCs02bCommand(b.command)
            : b.kind === 'cs02g-response' ? encodeCs02bResponse(b.response, 'rtds')
              : b.kind === 'cs02g-alert' ? encodeCs02bAlert(b.alert, 'rtds')
                : undefined;
    expect(payload, b.kind).toBeDefined();
    expect(payload!.toString('hex')).toBe(m.apdu.payload.toString('hex'));
  });
});

describe('CS02f through the emulated ESME', () => {
  it('CS02fMAC (the DCC asks for supplier and load controller): the RTDS answer, MAC-only, MAC verifying with the ACB KA key', () => {
    const { message, eui } = deliver('6.24.1_CS02fMAC', 'CS02fMAC_6.24.1_SUCCESS_COMMAND_GBCS.HEX');
    const out = processCommand(state(eui, { 8: 1n }), deviceOf(eui).creds, message, NOW);
    expect(out.rejected, out.rejected?.reason).toBeUndefined();
    const m = expectSame(out.response!, '6.24.1_CS02fMAC', 'CS02fMAC_6.24.1_SUCCESS_RESPONSE_GBCS.HEX', ['cra', 'counter', 'originator', 'target', 'messageCode', 'form', 'dateTime']);
    expect(m.apdu.signature ?? null).toBeNull();
    expect(verifyMac(out.response!, acbKa.privateKey, deviceOf(eui).kaPublic).ok).toBe(true);
    expect(out.state.seqNumbers[4]).toBe(0x516n); // the ACB's counter is recorded
    // Replayed, it is discarded.
    expect(processCommand(out.state, deviceOf(eui).creds, message, NOW).rejected?.alertCode).toBe(RejectionAlert.otherAuthFailure);
  });

  it('CS02fMAC asking for the transitional CoS: status 127, as RTDS', () => {
    const out = run('6.24.1_CS02fMAC', 'CS02fMAC_6.24.1_ERROR_COMMAND_GBCS.HEX');
    expectSame(out.response!, '6.24.1_CS02fMAC', 'CS02fMAC_6.24.1_ERROR_RESPONSE_GBCS.HEX');
  });

  it('CS02fSignature: signed by the supplier, no MAC; answered signed with no date-time; the TransCoS-signed one gets 127 for role 5', () => {
    const { message, eui } = deliver('NA_CS02fSignature', 'CS02fSignature_NA_SUCCESS_COMMAND_GBCS.HEX');
    const ok = processCommand(state(eui, { 3: 1n }), deviceOf(eui).creds, message, NOW);
    const m = expectSame(ok.response!, 'NA_CS02fSignature', 'CS02fSignature_NA_SUCCESS_RESPONSE_GBCS.HEX', ['cra', 'counter', 'originator', 'target', 'messageCode', 'form', 'dateTime']);
    expect(m.mac).toBeUndefined();
    const err = run('NA_CS02fSignature', 'CS02fSignature_NA_ERROR_COMMAND_GBCS.HEX');
    expectSame(err.response!, 'NA_CS02fSignature', 'CS02fSignature_NA_ERROR_RESPONSE_GBCS.HEX');
  });

  it('a CS02f signed by someone other than the authorising cell\'s holder is discarded and changes nothing', () => {
    const v = decodeGbcsMessage(rtds('NA_CS02fSignature', 'CS02fSignature_NA_SUCCESS_COMMAND_GBCS.HEX')).apdu;
    const forged = signApdu(encodeApdu({ cra: 'command', counter: v.counter, originator: v.originator, target: v.target, messageCode: v.messageCode, payload: v.payload }), ks('Z1-networkOperator-ds').privateKey);
    const s = state(v.target);
    const out = processCommand(s, deviceOf(v.target).creds, forged, NOW);
    expect(out.rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
    expect(out.state).toBe(s);
  });
});

describe('CS02g through the emulated ESME', () => {
  const dir = '6.15.1_CS02gLoadControllerBySupplier';
  const f = (n: string) => `CS02gLoadControllerBySupplier_6.15.1_${n}_GBCS.HEX`;

  it('LoadControllerBySupplier immediate: the supplier\'s certificates replace the load controller\'s, as RTDS answers', () => {
    const out = run(dir, f('IMMEDIATE_SUCCESS_COMMAND'));
    expectSame(out.response!, dir, f('IMMEDIATE_SUCCESS_RESPONSE'));
    expect(out.changedCells).toEqual(['loadControllerDS', 'loadControllerKA']);
    expect(skiOf(out.state.cells.loadControllerDS!)).toBe('43046B4FB7C4F11B');
    expect(out.state.seqNumbers).toEqual({ 2: 1000n, 8: 0n });
  });

  it('LoadControllerBySupplier with a broken certification path: status 10 for both cells, which keep the load controller', () => {
    const out = run(dir, f('IMMEDIATE_ERROR_COMMAND'));
    expectSame(out.response!, dir, f('IMMEDIATE_ERROR_RESPONSE'));
    expect(out.changedCells).toEqual([]);
    expect(out.state.cells.loadControllerDS).toEqual(CELLS.loadControllerDS);
  });

  it('future-dated: held and answered 30 02 05 00; at 2030-01-15 the 8F66 alert under 0x0124, as RTDS; a cancellation removes it', () => {
    const held = run(dir, f('FUTURE_DATED_SUCCESS_COMMAND'));
    expectSame(held.response!, dir, f('FUTURE_DATED_SUCCESS_RESPONSE'));
    expect(held.state.pending).toHaveLength(1);
    const theirs = decodeGbcsMessage(rtds(dir, f('8F66_FUTURE_DATED_SUCCESS_ALERT')));
    if (theirs.body.kind !== 'cs02g-alert') throw new Error('expected a CS02g alert');
    // The RTDS device's clock was in 2015: disapply time checks on the held command (its Z1b certificates expire in 2026).
    const timeless: DeviceSecurityState = {
      ...held.state,
      alertCounter: 0x7cfn,
      pending: held.state.pending.map((p) => {
        const m = decodeGbcsMessage(p.command);
        if (m.body.kind !== 'cs02g-command') throw new Error('pending command is not CS02g');
        return { ...p, command: encodeApdu({ ...m.apdu, payload: encodeCs02bCommand({ ...m.body.command, applyTimeBasedCpvChecks: false }) }, { signature: m.apdu.signature }) };
      }),
    };
    const done = executeDueCommands(timeless, deviceOf('00DB1234567890A0').creds, theirs.body.alert.executionDateTime);
    expect(done.alerts).toHaveLength(1);
    expectSame(done.alerts[0]!, dir, f('8F66_FUTURE_DATED_SUCCESS_ALERT'), ['cra', 'counter', 'originator', 'target', 'messageCode', 'form', 'dateTime']);
    const cancelled = run(dir, f('CANCELLATION_SUCCESS_COMMAND'), held.state);
    expectSame(cancelled.response!, dir, f('CANCELLATION_SUCCESS_RESPONSE'));
    expect(cancelled.state.pending).toEqual([]);
  });

  it('LoadControllerByLoadController (0x0125) on …A6, signed by the load controller whose certificate the cell holds', () => {
    const v = decodeGbcsMessage(rtds('NA_CS02gLoadControllerByLoadController', 'CS02gLoadControllerByLoadController_NA_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX'));
    // The RTDS load controller's key is not published: the same command, signed with the keystore's.
    const signed = signApdu(encodeApdu({ cra: 'command', counter: v.apdu.counter, originator: v.apdu.originator, target: v.apdu.target, messageCode: v.apdu.messageCode, payload: v.apdu.payload }), ks('Z1-loadController-ds').privateKey);
    const out = processCommand(state(v.apdu.target), deviceOf(v.apdu.target).creds, wrapWithAcbMac(signed, acbKa.privateKey, deviceOf(v.apdu.target).kaPublic), NOW);
    expect(out.rejected, out.rejected?.reason).toBeUndefined();
    expectSame(out.response!, 'NA_CS02gLoadControllerByLoadController', 'CS02gLoadControllerByLoadController_NA_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX');
  });

  it('a GSME discards CS02g: it has no load controller cells', () => {
    const { message } = deliver(dir, f('IMMEDIATE_SUCCESS_COMMAND'));
    const gsme = { ...newDeviceState('00DB1234567890A0', 'GSME', { root: Z1, supplierDS: CELLS.supplierDS!, acbKA: CELLS.acbKA! }) };
    const out = processCommand(gsme, deviceOf('00DB1234567890A0').creds, message, NOW);
    expect(out.rejected?.reason).toMatch(/0x0126 \(CS02g\) does not apply to a GSME/);
  });
});
