/**
 * RTDS commands replayed on emulated RTDS devices (…A0 ESME, …A1 GSME, …A3 GPF) seeded with the public ZAZ1
 * certificates, after 6.21 for the GPF (the supplier's certificates in its supplier cells). The RTDS device KA
 * keys are not published, so each command is re-MACed with the ZAZ1 ACB KA key for an emulator KA key; the
 * answer is then compared with the RTDS response: every header field but the date-time, and the payload octets.
 * As test/devices/rtds-emulator.test.ts does for CS02.
 */
import { expect } from 'vitest';
import {
  decodeGbcsMessage, isGeneralCiphering, newDeviceState, processCommand, unwrapGeneralCiphering, wrapWithAcbMac, type CellName, type DeviceType,
} from '../../devices/index.ts';
import { buildTestPki, ks, rtds, rtdsZ1 } from '../devices/helpers.ts';

const NOW = new Date('2020-06-01T00:00:00Z'); // inside the validity of every Z1 certificate
const pki = buildTestPki();
const acbKa = ks('Z1-accessControlBroker-ka');
const cert = (name: string) => ks(name).certificate;

const Z1 = rtdsZ1();

const SUPPLIER_CELLS: Partial<Record<CellName, Buffer>> = {
  root: Z1,
  supplierDS: cert('Z1-supplier-ds'),
  supplierKA: cert('Z1-supplier-ka'),
  acbKA: cert('Z1-accessControlBroker-ka'),
};

const DEVICES: Record<string, { type: DeviceType; cells: Partial<Record<CellName, Buffer>> }> = {
  '00DB1234567890A0': { type: 'ESME', cells: SUPPLIER_CELLS },
  '00DB1234567890A1': { type: 'GSME', cells: SUPPLIER_CELLS },
  '00DB1234567890A3': { type: 'GPF', cells: SUPPLIER_CELLS },
};

/** Replays the RTDS `<name>_COMMAND_GBCS.HEX` on a fresh device and expects `<name>_RESPONSE_GBCS.HEX`. */
export function expectRtdsAnswer(dir: string, name: string): void {
  const v = rtds(dir, `${name}_COMMAND_GBCS.HEX`);
  const eui = decodeGbcsMessage(v).apdu.target;
  const d = DEVICES[eui];
  if (!d) throw new Error(`no emulated RTDS device ${eui}`);
  const keys = pki.device(eui);
  const message = isGeneralCiphering(v) ? wrapWithAcbMac(unwrapGeneralCiphering(v).apdu, acbKa.privateKey, keys.kaPublic) : v;
  const out = processCommand(newDeviceState(eui, d.type, d.cells), keys.creds, message, NOW);
  expect(out.rejected, out.rejected?.reason).toBeUndefined();
  const ours = decodeGbcsMessage(out.response!);
  const theirs = decodeGbcsMessage(rtds(dir, `${name}_RESPONSE_GBCS.HEX`));
  for (const f of ['cra', 'counter', 'originator', 'target', 'messageCode', 'form'] as const) expect(ours.apdu[f]).toEqual(theirs.apdu[f]);
  expect(ours.apdu.otherInformationExtra?.toString('hex')).toBe(theirs.apdu.otherInformationExtra?.toString('hex'));
  expect(ours.apdu.dateTime === undefined).toBe(theirs.apdu.dateTime === undefined);
  expect(ours.apdu.payload.toString('hex')).toBe(theirs.apdu.payload.toString('hex'));
}
