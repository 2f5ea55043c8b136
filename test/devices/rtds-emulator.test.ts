/**
 * The RTDS commands run through the emulators, seeded with the public ZAZ1 certificates the RTDS devices
 * held (gbcs-cs02b.md §5-§7), with Z1 pinned in the root cell (ZAZ1 mode). The RTDS device KA keys are
 * not published, so each command is re-MACed with the ZAZ1 ACB KA key for an emulator KA key; the RTDS
 * signatures are kept and verified by the emulator. The device's answers must then equal the RTDS
 * responses byte for byte, except the date-time and the device's own signature or MAC.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeGbcsMessage,
  encodeApdu,
  encodeCs02bCommand,
  executeDueCommands,
  isGeneralCiphering,
  newDeviceState,
  processCommand,
  unwrapGeneralCiphering,
  verifyMac,
  wrapWithAcbMac,
  type CellName,
  type DeviceOutcome,
  type DeviceSecurityState,
  type DeviceType,
} from '../../devices/index.ts';
import { buildTestPki, ks, rtds, rtdsZ1 } from './helpers.ts';

const NOW = new Date('2020-06-01T00:00:00Z'); // inside the validity of every Z1 and Z1b certificate
const pki = buildTestPki();
const acbKa = ks('Z1-accessControlBroker-ka');

const Z1 = rtdsZ1();

const cert = (name: string) => ks(name).certificate;

/** The cells of the RTDS ESME (…A0) before the 6.15.1/6.23/8.5/recovery use cases. */
const ESME_CELLS: Partial<Record<CellName, Buffer>> = {
  root: Z1,
  recovery: cert('Z1-recovery-ds'),
  supplierDS: cert('Z1-supplier-ds'),
  supplierKA: cert('Z1-supplier-ka'),
  supplierTopUpKA: cert('Z1-supplierPP-ka'),
  networkOperatorDS: cert('Z1-networkOperator-ds'),
  networkOperatorKA: cert('Z1-networkOperator-ka'),
  acbKA: cert('Z1-accessControlBroker-ka'),
  transitionalCoSDS: cert('Z1-transitionalCoS-ds'),
};

/** The RTDS GPF (…A3) is DCC controlled before 6.21: the ACB's certificates sit in the supplier and NO cells. */
const GPF_CELLS: Partial<Record<CellName, Buffer>> = {
  root: Z1,
  supplierDS: cert('Z1-accessControlBroker-ds'),
  supplierKA: cert('Z1-accessControlBroker-ka'),
  supplierTopUpKA: cert('Z1-accessControlBroker-ka'),
  networkOperatorDS: cert('Z1-accessControlBroker-ds'),
  networkOperatorKA: cert('Z1-accessControlBroker-ka'),
  acbKA: cert('Z1-accessControlBroker-ka'),
};

const devices = {
  '00DB1234567890A0': { type: 'ESME' as DeviceType, cells: ESME_CELLS, ...pki.device('00DB1234567890A0') },
  '00DB1234567890A1': { type: 'GSME' as DeviceType, cells: { root: Z1, acbKA: cert('Z1-accessControlBroker-ka') }, ...pki.device('00DB1234567890A1') },
  '00DB1234567890A3': { type: 'GPF' as DeviceType, cells: GPF_CELLS, ...pki.device('00DB1234567890A3') },
};
type DeviceEui = keyof typeof devices;

function deviceFor(eui: string) {
  const d = devices[eui as DeviceEui];
  if (!d) throw new Error(`no emulated RTDS device ${eui}`);
  return d;
}

function initialState(eui: string): DeviceSecurityState {
  const d = deviceFor(eui);
  return newDeviceState(eui, d.type, d.cells);
}

/** The RTDS command as the emulator's DCC would deliver it: same APDU and signature, MAC for the emulator's KA key. */
function deliver(dir: string, file: string): { message: Buffer; device: string } {
  const v = rtds(dir, file);
  const apdu = isGeneralCiphering(v) ? unwrapGeneralCiphering(v).apdu : v;
  const device = decodeGbcsMessage(v).apdu.target;
  const message = isGeneralCiphering(v) ? wrapWithAcbMac(apdu, acbKa.privateKey, deviceFor(device).kaPublic) : apdu;
  return { message, device };
}

function run(dir: string, file: string, state?: DeviceSecurityState): DeviceOutcome {
  const { message, device } = deliver(dir, file);
  return processCommand(state ?? initialState(device), deviceFor(device).creds, message, NOW);
}

/** Compares a device response with the RTDS one: every header field but the date-time, and the payload octets. */
function expectSameResponse(out: DeviceOutcome, dir: string, file: string): void {
  expect(out.rejected, out.rejected?.reason).toBeUndefined();
  const ours = decodeGbcsMessage(out.response!);
  const theirs = decodeGbcsMessage(rtds(dir, file));
  for (const f of ['cra', 'counter', 'originator', 'target', 'messageCode', 'form'] as const) expect(ours.apdu[f]).toEqual(theirs.apdu[f]);
  expect(ours.apdu.payload.toString('hex')).toBe(theirs.apdu.payload.toString('hex'));
}

describe('RTDS CS02b commands through the emulators', () => {
  it.each([
    ['6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS'],
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS'],
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_IMMEDIATE_ERROR'],
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS'],
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_ERROR'],
    ['6.21_CS02bNOByNOHandover', 'CS02bNOByNOHandover_6.21_SUCCESS'],
    ['6.21_CS02bSupplierBySupplierHandover', 'CS02bSupplierBySupplierHandover_6.21_SUCCESS'],
    ['6.23_CS02bSupplierByTransCoS', 'CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS'],
    ['6.23_CS02bSupplierByTransCoS', 'CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS'],
    ['8.5_CS02bACBByACB', 'CS02bACBByACB_8.5_SUCCESS'],
    ['NA_CS02bAnyExceptAbnormalRootByRecovery', 'CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS'],
  ])('%s %s answers as the RTDS device did', (dir, name) => {
    const out = run(dir, `${name}_COMMAND_GBCS.HEX`);
    expectSameResponse(out, dir, `${name}_RESPONSE_GBCS.HEX`);
  });

  it('the cancellation pair: future-dated, then cancelled, then nothing to execute', () => {
    const dir = '6.15.1_CS02bSupplierBySupplier';
    const held = run(dir, 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX');
    expect(held.state.pending).toHaveLength(1);
    const cancelled = run(dir, 'CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX', held.state);
    expectSameResponse(cancelled, dir, 'CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_RESPONSE_GBCS.HEX');
    expect(cancelled.state.pending).toEqual([]);
    const d = deviceFor('00DB1234567890A0');
    expect(executeDueCommands(cancelled.state, d.creds, new Date('2031-01-01T00:00:00Z')).alerts).toEqual([]);

    const dir2 = '6.23_CS02bSupplierByTransCoS';
    const held2 = run(dir2, 'CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX');
    const cancelled2 = run(dir2, 'CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX', held2.state);
    expectSameResponse(cancelled2, dir2, 'CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_RESPONSE_GBCS.HEX');
    expect(cancelled2.state.pending).toEqual([]);
  });

  it.each([
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX', 'CS02bSupplierBySupplier_6.15.1_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX', 0x7cfn],
    ['6.15.1_CS02bSupplierBySupplier', 'CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_ERROR_COMMAND_GBCS.HEX', 'CS02bSupplierBySupplier_6.15.1_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX', 0x7d1n],
    ['6.23_CS02bSupplierByTransCoS', 'CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX', 'CS02bSupplierByTransCoS_6.23_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX', 0x7d0n],
  ])('%s: the alert at execution has the RTDS layout (%s)', (dir, command, alertFile, counterBefore) => {
    const held = run(dir, command);
    const d = deviceFor('00DB1234567890A0');
    const theirs = decodeGbcsMessage(rtds(dir, alertFile));
    if (theirs.body.kind !== 'cs02b-alert') throw new Error('expected an alert');
    const at = theirs.body.alert.executionDateTime;
    // Time checks are off here so that the certificates, which expired in 2025-26, are judged as the RTDS device
    // (whose clock was in 2015) judged them: the alert then matches byte for byte.
    const pending = held.state.pending.map((p) => ({ ...p }));
    const state = { ...held.state, alertCounter: counterBefore, pending };
    const timeless = withoutTimeChecks(state);
    const done = executeDueCommands(timeless, d.creds, at);
    expect(done.alerts).toHaveLength(1);
    const ours = decodeGbcsMessage(done.alerts[0]!);
    for (const f of ['cra', 'counter', 'originator', 'target', 'messageCode', 'form', 'dateTime'] as const) expect(ours.apdu[f]).toEqual(theirs.apdu[f]);
    expect(ours.apdu.payload.toString('hex')).toBe(theirs.apdu.payload.toString('hex'));
    // With time checks on, at 2030 the replacement certificates have expired: the device reports 8F67 instead.
    const late = executeDueCommands(state, d.creds, at);
    const lateAlert = decodeGbcsMessage(late.alerts[0]!);
    if (lateAlert.body.kind !== 'cs02b-alert') throw new Error('expected an alert');
    expect(lateAlert.body.alert.alertCode).toBe(0x8f67);
    expect(late.replacementFailures?.some((f) => /\(expired\)/.test(f.reason))).toBe(true);
  });
});

/** The same pending commands with applyTimeBasedCPVChecks disapplied (re-encoded; they were authenticated on arrival). */
function withoutTimeChecks(state: DeviceSecurityState): DeviceSecurityState {
  return {
    ...state,
    pending: state.pending.map((p) => {
      const m = decodeGbcsMessage(p.command);
      if (m.body.kind !== 'cs02b-command') throw new Error('pending command is not CS02b');
      const payload = encodeCs02bCommand({ ...m.body.command, applyTimeBasedCpvChecks: false });
      return { ...p, command: encodeApdu({ ...m.apdu, payload }, { signature: m.apdu.signature }) };
    }),
  };
}

describe('RTDS CS02a through the emulators', () => {
  it.each([
    ['SUCCESS', { 3: 1n }],
    ['ERROR', {}],
  ] as const)('CS02aMAC %s: the response APDU equals the RTDS one, and its MAC verifies with the ACB KA key', (kind, seq) => {
    const dir = '6.24.1_CS02aMAC';
    const { message, device } = deliver(dir, `CS02aMAC_6.24.1_${kind}_COMMAND_GBCS.HEX`);
    const state = { ...initialState(device), seqNumbers: { ...seq } };
    const out = processCommand(state, deviceFor(device).creds, message, NOW);
    expect(out.rejected, out.rejected?.reason).toBeUndefined();
    const theirs = unwrapGeneralCiphering(rtds(dir, `CS02aMAC_6.24.1_${kind}_RESPONSE_GBCS.HEX`)).apdu;
    expect(unwrapGeneralCiphering(out.response!).apdu.toString('hex')).toBe(theirs.toString('hex'));
    expect(verifyMac(out.response!, acbKa.privateKey, deviceFor(device).kaPublic).ok).toBe(true);
  });
});
