/**
 * CS02d (0x000B, 6.15.2) and CS02e (0x000C, 6.24.2): every RTDS vector decodes and its payload rebuilds
 * byte for byte; the emulator takes the RTDS-shaped commands (the RTDS pre-commands signed by a supplier
 * whose certificate the device's supplier DS cell holds, MAC'd by the ACB) and answers like the RTDS
 * responses, apart from the device's signature and, for CS02e, which certificate it holds.
 */
import { describe, expect, it } from 'vitest';
import { issueDeviceCertificate } from '../../pki/index.ts';
import {
  CS02D_MESSAGE_CODE, CS02E_MESSAGE_CODE, RejectionAlert, decodeApdu, decodeGbcsMessage, encodeApdu, encodeCs02dCommand, encodeCs02eCommand,
  encodeCs02eResponse, encodeStatusResponse, newDeviceState, processCommand, signApdu, verifyApduSignature,
  wrapWithAcbMac, type DeviceCredentials, type DeviceSecurityState, type GbcsMessage,
} from '../../devices/index.ts';
import { NOW, T0, buildTestPki, canonical, rtds, rtdsVectors } from './helpers.ts';

const DIRS = ['6.15.2_CS02d', '6.24.2_CS02e'];
const pki = buildTestPki();
const ACB = '90B3D51F30000002';
const SUPPLIER = '90B3D51F30010000';
const ESME = '00DB1234567890A0';
const acb = pki.party(ACB, 4, true);
const supplier = pki.party(SUPPLIER, 2, true);
const other = pki.party('90B3D51F30020000', 2, true);
const esme = pki.device(ESME);
const creds: DeviceCredentials = {
  ...esme.creds,
  ownCertificates: () => ({ DS: esme.creds.dsCertificate, KA: esme.creds.kaCertificate }),
};

function state(): DeviceSecurityState {
  return newDeviceState(ESME, 'ESME', { root: pki.root.certificate, acbKA: acb.ka!.cert, supplierDS: supplier.ds.cert, supplierKA: supplier.ka!.cert });
}

/** An RTDS pre-command as it travels: signed by `signer`, MAC'd by the ACB for the emulated ESME. */
const travel = (preCommand: Buffer, signer = supplier.ds.keys.privateKey) =>
  wrapWithAcbMac(signApdu(preCommand, signer), acb.ka!.keys.privateKey, esme.kaPublic);
const pre = (dir: string, file: string) => rtds(dir, file);

/** Everything in a response but the device's signature (and the payload, compared apart). */
const header = (m: GbcsMessage) => ({
  cra: m.apdu.cra, counter: m.apdu.counter, originator: m.apdu.originator, target: m.apdu.target, dateTime: m.apdu.dateTime,
  messageCode: m.apdu.messageCode, form: m.apdu.form, mac: m.mac !== undefined,
});

describe('the CS02d and CS02e codecs against RTDS', () => {
  const vectors = rtdsVectors().filter((v) => DIRS.includes(v.dir));

  it('finds all twelve vectors and decodes each as its use case', () => {
    expect(vectors).toHaveLength(12);
    for (const v of vectors) {
      const m = decodeGbcsMessage(v.bytes);
      const kind = `${v.dir.endsWith('CS02d') ? 'cs02d' : 'cs02e'}-${m.apdu.cra}`;
      expect(m.body.kind, v.file).toBe(kind);
      expect(m.apdu.messageCode).toBe(v.dir.endsWith('CS02d') ? CS02D_MESSAGE_CODE : CS02E_MESSAGE_CODE);
      // Commands travel MAC'd and signed, pre-commands bare, responses signed without date-time or MAC.
      if (v.file.includes('_COMMAND_')) expect([m.apdu.form, m.mac !== undefined]).toEqual(['signed', true]);
      if (v.file.includes('PRECOMMAND')) expect([m.apdu.form, m.mac]).toEqual(['pre-command', undefined]);
      if (v.file.includes('RESPONSE')) expect([m.apdu.form, m.apdu.dateTime, m.mac]).toEqual(['signed', undefined, undefined]);
    }
  });

  it('rebuilds every payload byte for byte', () => {
    for (const v of vectors) {
      const m = decodeGbcsMessage(v.bytes);
      const b = m.body;
      const rebuilt =
        b.kind === 'cs02d-command' ? encodeCs02dCommand(b.command)
          : b.kind === 'cs02d-response' ? encodeStatusResponse(b.response.status)
            : b.kind === 'cs02e-command' ? encodeCs02eCommand(b.command)
              : b.kind === 'cs02e-response' ? encodeCs02eResponse(b.response)
                : Buffer.alloc(0);
      expect(rebuilt.equals(m.apdu.payload), v.file).toBe(true);
    }
  });

  it('reads the facts the vectors carry', () => {
    const body = (dir: string, file: string) => decodeGbcsMessage(rtds(dir, file)).body;
    expect(body('6.24.2_CS02e', 'CS02e_6.24.2_SUCCESS_COMMAND_GBCS.HEX')).toEqual({ kind: 'cs02e-command', command: { keyUsage: 'DS' } });
    expect(body('6.24.2_CS02e', 'CS02e_6.24.2_ERROR_COMMAND_GBCS.HEX')).toEqual({ kind: 'cs02e-command', command: { keyUsage: 'KA' } });
    expect(body('6.24.2_CS02e', 'CS02e_6.24.2_ERROR_RESPONSE_GBCS.HEX')).toEqual({ kind: 'cs02e-response', response: { status: 3 } });
    expect(body('6.15.2_CS02d', 'CS02d_6.15.2_SUCCESS_RESPONSE_GBCS.HEX')).toEqual({ kind: 'cs02d-response', response: { status: 0 } });
    expect(body('6.15.2_CS02d', 'CS02d_6.15.2_ERROR_RESPONSE_GBCS.HEX')).toEqual({ kind: 'cs02d-response', response: { status: 3 } });
    // The CS02e success response returns the certificate the CS02d success command sets.
    const got = body('6.24.2_CS02e', 'CS02e_6.24.2_SUCCESS_RESPONSE_GBCS.HEX');
    const set = body('6.15.2_CS02d', 'CS02d_6.15.2_SUCCESS_COMMAND_GBCS.HEX');
    expect(got.kind === 'cs02e-response' && 'certificate' in got.response && set.kind === 'cs02d-command' && got.response.certificate.equals(set.command.certificate)).toBe(true);
  });
});

describe('the emulated device runs CS02e as RTDS shows it', () => {
  const dir = '6.24.2_CS02e';

  it('answers the success command with its DS certificate, signed, with no date-time', () => {
    const out = processCommand(state(), creds, travel(pre(dir, 'CS02e_6.24.2_SUCCESS_PRECOMMAND_GBCS.HEX')), NOW);
    expect(out.rejected).toBeUndefined();
    const ours = decodeGbcsMessage(out.response!);
    const theirs = decodeGbcsMessage(rtds(dir, 'CS02e_6.24.2_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(header(ours)).toEqual(header(theirs));
    expect(ours.body).toEqual({ kind: 'cs02e-response', response: { certificate: esme.creds.dsCertificate } });
    expect(verifyApduSignature(ours.apdu, esme.dsPublic)).toBe(true);
    expect(out.state.seqNumbers[2]).toBe(1000n);
  });

  it('answers the KA command with its KA certificate, and status 3 as RTDS does when it holds none', () => {
    const cmd = travel(pre(dir, 'CS02e_6.24.2_ERROR_PRECOMMAND_GBCS.HEX'));
    const ka = decodeGbcsMessage(processCommand(state(), creds, cmd, NOW).response!);
    expect(ka.body).toEqual({ kind: 'cs02e-response', response: { certificate: esme.creds.kaCertificate } });
    const bare = { dsKey: creds.dsKey, kaKey: creds.kaKey };
    const ours = decodeGbcsMessage(processCommand(state(), bare, cmd, NOW).response!);
    const theirs = decodeGbcsMessage(rtds(dir, 'CS02e_6.24.2_ERROR_RESPONSE_GBCS.HEX'));
    expect(header(ours)).toEqual(header(theirs));
    expect(ours.apdu.payload.equals(theirs.apdu.payload)).toBe(true);
  });

  it('discards a command signed by another supplier, without the ACB MAC, or replayed; a comms hub has no supplier cell', () => {
    const p = pre(dir, 'CS02e_6.24.2_SUCCESS_PRECOMMAND_GBCS.HEX');
    const s = state();
    const before = canonical(s);
    expect(processCommand(s, creds, travel(p, other.ds.keys.privateKey), NOW).rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
    expect(processCommand(s, creds, signApdu(p, supplier.ds.keys.privateKey), NOW).rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
    expect(canonical(s)).toBe(before);
    const after = processCommand(s, creds, travel(p), NOW).state;
    expect(processCommand(after, creds, travel(p), NOW).rejected?.alertCode).toBe(RejectionAlert.otherAuthFailure);
    const hub = newDeviceState(ESME, 'CHF', { root: pki.root.certificate, acbKA: acb.ka!.cert });
    expect(processCommand(hub, creds, travel(p), NOW).rejected?.alertCode).toBe(RejectionAlert.noAuthority);
  });
});

describe('the emulated device runs CS02d as RTDS shows it', () => {
  const dir = '6.15.2_CS02d';
  const rtdsPre = (file: string) => decodeApdu(pre(dir, file));
  /** The RTDS success pre-command with its certificate replaced by one for this device's key. */
  const withCertificate = (certificate: Buffer) => {
    const a = rtdsPre('CS02d_6.15.2_SUCCESS_PRECOMMAND_GBCS.HEX');
    return encodeApdu({ cra: 'command', counter: a.counter, originator: a.originator, target: a.target, messageCode: a.messageCode, payload: encodeCs02dCommand({ certificate }) });
  };

  it('takes a new certificate for its own DS key and answers status 0, as RTDS does', () => {
    const fresh = issueDeviceCertificate(pki.dca, { deviceEui: ESME, keyUsage: 'DS', publicKey: esme.dsPublic, notBefore: new Date(T0.getTime() + 86_400_000) });
    const out = processCommand(state(), creds, travel(withCertificate(fresh)), NOW);
    expect(out.rejected).toBeUndefined();
    expect(out.ownCertificate).toEqual({ usage: 'DS', certificate: fresh });
    const ours = decodeGbcsMessage(out.response!);
    const theirs = decodeGbcsMessage(rtds(dir, 'CS02d_6.15.2_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(header(ours)).toEqual(header(theirs));
    expect(ours.apdu.payload.equals(theirs.apdu.payload)).toBe(true);
    expect(verifyApduSignature(ours.apdu, esme.dsPublic)).toBe(true);
  });

  it('answers the RTDS error command (keyUsage nonRepudiation) with status 3 byte for byte, and keeps its certificate', () => {
    const out = processCommand(state(), creds, travel(pre(dir, 'CS02d_6.15.2_ERROR_PRECOMMAND_GBCS.HEX')), NOW);
    const ours = decodeGbcsMessage(out.response!);
    const theirs = decodeGbcsMessage(rtds(dir, 'CS02d_6.15.2_ERROR_RESPONSE_GBCS.HEX'));
    expect(header(ours)).toEqual(header(theirs));
    expect(ours.apdu.payload.equals(theirs.apdu.payload)).toBe(true);
    expect(out.ownCertificate).toBeUndefined();
    expect(out.state.seqNumbers[2]).toBe(1002n); // authenticated: the counter is used up
  });

  it('refuses (status 3) a certificate for another key, another device, or the RTDS one it cannot hold the key of', () => {
    const foreignKey = pki.device('00DB1234567890A1');
    const status = (cert: Buffer) => decodeGbcsMessage(processCommand(state(), creds, travel(withCertificate(cert)), NOW).response!).body;
    const three = { kind: 'cs02d-response', response: { status: 3 } };
    expect(status(issueDeviceCertificate(pki.dca, { deviceEui: ESME, keyUsage: 'DS', publicKey: foreignKey.dsPublic, notBefore: T0 }))).toEqual(three);
    expect(status(foreignKey.creds.dsCertificate)).toEqual(three);
    expect(status(esme.creds.kaCertificate)).toEqual({ kind: 'cs02d-response', response: { status: 0 } });
    expect(processCommand(state(), creds, travel(pre(dir, 'CS02d_6.15.2_SUCCESS_PRECOMMAND_GBCS.HEX')), NOW).ownCertificate).toBeUndefined();
  });

  it('discards an RTDS-shaped command MAC\'d but signed by a key not in its supplier DS cell', () => {
    const out = processCommand(state(), creds, travel(withCertificate(esme.creds.dsCertificate), other.ds.keys.privateKey), NOW);
    expect(out.rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
  });
});
