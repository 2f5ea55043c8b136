/**
 * CS02c (SRV 6.17, message code 0x000A): the RTDS vectors of 6.17_CS02c decode and rebuild byte for byte, the
 * device CSR dcc-sim builds has the RTDS CSR's structure, and the emulator runs the RTDS-shaped command (its
 * supplier signature kept, re-MACed for an emulator KA key as rtds-emulator.test.ts does) and answers with a
 * CSR the DCC's SMKI accepts (src/smki/csr.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  CS02C_MESSAGE_CODE, buildDeviceCsr, decodeApdu, decodeGbcsMessage, encodeApdu, encodeCs02cCommand, encodeCs02cResponse, newDeviceState,
  processCommand, RejectionAlert, unwrapGeneralCiphering, verifyApduSignature, wrapWithAcbMac, type CellName, type DeviceCredentials,
} from '../../devices/index.ts';
import { deriveScalarKey, describeCertificate } from '../../pki/index.ts';
import { parseDeviceCsr } from '../../src/smki/index.ts';
import { buildTestPki, ks, rtds, rtdsVectors } from './helpers.ts';

const DIR = '6.17_CS02c';
const vectors = rtdsVectors().filter((v) => v.dir === DIR);
const ESME = '00DB1234567890A0';
const NOW = new Date('2020-06-01T00:00:00Z');

describe('CS02c RTDS vectors', () => {
  it('finds the six vectors', () => expect(vectors.map((v) => v.file)).toHaveLength(6));

  it.each(vectors.map((v) => [v.file, v] as const))('%s decodes and rebuilds byte for byte', (_n, v) => {
    const m = decodeGbcsMessage(v.bytes);
    expect(m.apdu.messageCode).toBe(CS02C_MESSAGE_CODE);
    expect(m.apdu.dateTime).toBeUndefined();
    const body = m.body;
    if (body.kind === 'cs02c-command') {
      expect(m.apdu.cra).toBe('command');
      expect(encodeCs02cCommand(body.command)).toEqual(m.apdu.payload);
      expect(body.command.keyUsage).toBe(/ERROR/.test(v.file) ? 'KA' : 'DS');
    } else if (body.kind === 'cs02c-response') {
      expect(m.apdu.cra).toBe('response');
      expect(encodeCs02cResponse(body.response)).toEqual(m.apdu.payload);
    } else throw new Error(`unexpected ${body.kind}`);
    // The whole APDU rebuilds from its fields.
    const apdu = decodeApdu(m.mac ? unwrapGeneralCiphering(v.bytes).apdu : v.bytes);
    const rebuilt = encodeApdu(
      { cra: apdu.cra, counter: apdu.counter, originator: apdu.originator, target: apdu.target, messageCode: apdu.messageCode, payload: apdu.payload },
      apdu.form === 'pre-command' ? { omitSignatureLength: true } : { signature: apdu.signature ?? null },
    );
    expect(rebuilt.toString('hex')).toBe(apdu.bytes.toString('hex'));
  });

  it('commands: the pre-command plus a signature by the ZAZ1 supplier DS key, then the ACB MAC', () => {
    const supplier = describeCertificate(ks('Z1-supplier-ds').certificate).publicKey;
    for (const kind of ['SUCCESS', 'ERROR']) {
      const pre = decodeApdu(rtds(DIR, `CS02c_6.17_${kind}_PRECOMMAND_GBCS.HEX`));
      const cmd = decodeApdu(unwrapGeneralCiphering(rtds(DIR, `CS02c_6.17_${kind}_COMMAND_GBCS.HEX`)).apdu);
      expect(cmd.signedData).toEqual(pre.signedData);
      expect(verifyApduSignature(cmd, supplier)).toBe(true);
    }
  });

  it('the success response carries a CSR for the device DS key, with the error response an INTEGER 3', () => {
    const ok = decodeGbcsMessage(rtds(DIR, 'CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX'));
    if (ok.body.kind !== 'cs02c-response' || !('csr' in ok.body.response)) throw new Error('expected a CSR');
    expect(ok.body.response.csr).toMatchObject({ keyUsage: 'DS', deviceEui: ESME });
    const csr = parseDeviceCsr(ok.body.response.csr.der);
    expect(csr).toMatchObject({ deviceEui: ESME, keyUsage: 'DS', hwType: '1.2.826.0.1.8641679.1.2.2.1' });
    const err = decodeGbcsMessage(rtds(DIR, 'CS02c_6.17_ERROR_RESPONSE_GBCS.HEX'));
    expect(err.body).toEqual({ kind: 'cs02c-response', response: { errorCode: 3 } });
  });

  it('buildDeviceCsr has the RTDS CSR structure apart from the key and the signature', () => {
    const ok = decodeGbcsMessage(rtds(DIR, 'CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX'));
    if (ok.body.kind !== 'cs02c-response' || !('csr' in ok.body.response)) throw new Error('expected a CSR');
    const theirs = ok.body.response.csr;
    const key = deriveScalarKey(Buffer.from('cs02c test'), 'new DS');
    const mine = buildDeviceCsr({ eui: ESME, keyUsage: 'DS', key });
    // certificationRequestInfo: identical once the public key is swapped
    const info = (der: Buffer) => der.subarray(4, 4 + 3 + der[6]!);
    expect(info(mine).toString('hex')).toBe(info(theirs.der).toString('hex').replace(theirs.publicKey.toString('hex'), key.point.toString('hex')));
    expect(parseDeviceCsr(mine)).toMatchObject({ deviceEui: ESME, keyUsage: 'DS', publicKey: key.point });
    expect(parseDeviceCsr(buildDeviceCsr({ eui: ESME, keyUsage: 'KA', key })).keyUsage).toBe('KA');
  });
});

describe('the CS02c emulator', () => {
  const pki = buildTestPki();
  const dev = pki.device(ESME);
  const cells: Partial<Record<CellName, Buffer>> = {
    supplierDS: ks('Z1-supplier-ds').certificate,
    acbKA: ks('Z1-accessControlBroker-ka').certificate,
  };
  const secret = Buffer.from('cs02c emulator');
  const creds: DeviceCredentials = { ...dev.creds, generateKey: (usage, gen) => deriveScalarKey(secret, `device/${ESME}/${usage}/${gen}`) };
  const remac = (file: string) =>
    wrapWithAcbMac(unwrapGeneralCiphering(rtds(DIR, file)).apdu, ks('Z1-accessControlBroker-ka').privateKey, dev.kaPublic);

  it.each(['SUCCESS', 'ERROR'])('accepts the RTDS %s command and answers with a CSR for a new key, signed with its old DS key', (kind) => {
    const state = newDeviceState(ESME, 'ESME', cells);
    const out = processCommand(state, creds, remac(`CS02c_6.17_${kind}_COMMAND_GBCS.HEX`), NOW);
    expect(out.rejected).toBeUndefined();
    const usage = kind === 'SUCCESS' ? 'DS' : 'KA';
    const resp = decodeGbcsMessage(out.response!);
    const theirs = decodeApdu(rtds(DIR, `CS02c_6.17_${kind}_RESPONSE_GBCS.HEX`));
    // The grouping header equals the RTDS response's.
    expect(resp.apdu.bytes.subarray(0, resp.apdu.payloadOffset - 3).toString('hex')).toBe(theirs.bytes.subarray(0, resp.apdu.payloadOffset - 3).toString('hex'));
    expect(verifyApduSignature(resp.apdu, dev.dsPublic)).toBe(true);
    if (resp.body.kind !== 'cs02c-response' || !('csr' in resp.body.response)) throw new Error('expected a CSR');
    const csr = parseDeviceCsr(resp.body.response.csr.der);
    const expected = deriveScalarKey(secret, `device/${ESME}/${usage}/1`);
    expect(csr).toMatchObject({ deviceEui: ESME, keyUsage: usage, publicKey: expected.point });
    expect(out.state.keyGenerations).toEqual({ [usage]: 1 });
    expect(out.state.seqNumbers[2]).toBe(theirs.counter);
    expect(state.keyGenerations).toBeUndefined();
    // A second command makes generation 2; a replay is refused.
    const again = processCommand(out.state, creds, remac(`CS02c_6.17_${kind}_COMMAND_GBCS.HEX`), NOW);
    expect(again.rejected?.alertCode).toBe(RejectionAlert.otherAuthFailure);
  });

  it('answers error 3 when it cannot generate a key pair', () => {
    const out = processCommand(newDeviceState(ESME, 'ESME', cells), dev.creds, remac('CS02c_6.17_ERROR_COMMAND_GBCS.HEX'), NOW);
    const resp = decodeGbcsMessage(out.response!);
    expect(resp.apdu.payload.toString('hex')).toBe(decodeApdu(rtds(DIR, 'CS02c_6.17_ERROR_RESPONSE_GBCS.HEX')).payload.toString('hex'));
    expect(out.state.keyGenerations).toBeUndefined();
  });

  it('refuses a command not signed by the supplier DS holder, or without the ACB MAC', () => {
    const state = newDeviceState(ESME, 'ESME', cells);
    const apdu = decodeApdu(unwrapGeneralCiphering(rtds(DIR, 'CS02c_6.17_SUCCESS_COMMAND_GBCS.HEX')).apdu);
    const bad = Buffer.from(apdu.bytes);
    bad[bad.length - 1]! ^= 1;
    const forged = processCommand(state, creds, wrapWithAcbMac(bad, ks('Z1-accessControlBroker-ka').privateKey, dev.kaPublic), NOW);
    expect(forged.rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
    expect(forged.state).toBe(state);
    expect(processCommand(state, creds, apdu.bytes, NOW).rejected?.alertCode).toBe(RejectionAlert.authenticationFailed);
    const noSupplier = processCommand(newDeviceState(ESME, 'ESME', { acbKA: cells.acbKA! }), creds, remac('CS02c_6.17_SUCCESS_COMMAND_GBCS.HEX'), NOW);
    expect(noSupplier.rejected?.alertCode).toBe(RejectionAlert.noAuthority);
  });
});
