/**
 * Conformance of the GBCS codec with the RTDS 4.5.0 vectors in ../shared/rtds: every vector decodes,
 * commands and device outputs rebuild byte for byte from their decoded fields, and every command signature
 * verifies with the public ZAZ1 key gbcs-cs02b.md §5 names.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeApdu,
  decodeGbcsMessage,
  encodeApdu,
  encodeCs02aCommand,
  encodeCs02aResponse,
  encodeCs02bAlert,
  encodeCs02bCommand,
  encodeCs02bResponse,
  stripSignature,
  unwrapGeneralCiphering,
  verifyApduSignature,
  wrapWithMac,
  type GbcsMessage,
} from '../../devices/index.ts';
import { describeCertificate } from '../../pki/index.ts';
import { ks, rtds, rtdsVectors } from './helpers.ts';

// ../shared/rtds now holds every RTDS use case; this file covers the eight CS02a/CS02b folders it was written
// for (SIGNERS below names each). Newer CS02 folders (NA_CS02aSignature, NA_CS02bWPByWP, ...) are not in it yet.
const CS02_DIRS = [
  '6.15.1_CS02bNOByNO',
  '6.15.1_CS02bSupplierBySupplier',
  '6.21_CS02bNOByNOHandover',
  '6.21_CS02bSupplierBySupplierHandover',
  '6.23_CS02bSupplierByTransCoS',
  'NA_CS02bAnyExceptAbnormalRootByRecovery',
  '8.5_CS02bACBByACB',
  '6.24.1_CS02aMAC',
];
const vectors = rtdsVectors().filter((v) => CS02_DIRS.includes(v.dir));

function rebuildPayload(m: GbcsMessage): Buffer {
  switch (m.body.kind) {
    case 'cs02b-command':
      return encodeCs02bCommand(m.body.command);
    case 'cs02b-response':
      return encodeCs02bResponse(m.body.response, 'rtds');
    case 'cs02b-alert':
      return encodeCs02bAlert(m.body.alert, 'rtds');
    case 'cs02a-command':
      return encodeCs02aCommand(m.body.command);
    case 'cs02a-response':
      return encodeCs02aResponse(m.body.response, 'rtds');
    default:
      throw new Error(`unexpected body ${m.body.kind}`);
  }
}

/** Who signed each RTDS command (gbcs-cs02b.md §5 and §7.1): the DS key of the cell authorising it. */
const SIGNERS: Record<string, string | null> = {
  '6.15.1_CS02bNOByNO': 'Z1-networkOperator-ds',
  '6.15.1_CS02bSupplierBySupplier': 'Z1-supplier-ds',
  '6.21_CS02bNOByNOHandover': 'Z1-accessControlBroker-ds',
  '6.21_CS02bSupplierBySupplierHandover': 'Z1-accessControlBroker-ds',
  '6.23_CS02bSupplierByTransCoS': 'Z1-transitionalCoS-ds',
  NA_CS02bAnyExceptAbnormalRootByRecovery: 'Z1-recovery-ds',
  '8.5_CS02bACBByACB': null, // MAC only
  '6.24.1_CS02aMAC': null, // MAC only
};

describe('RTDS vectors decode', () => {
  it('finds the vectors', () => {
    expect(vectors.length).toBe(39);
  });

  it.each(vectors.map((v) => [v.file, v] as const))('%s', (_name, v) => {
    const m = decodeGbcsMessage(v.bytes);
    const kind = /PRECOMMAND/.test(v.file) ? 'command' : /COMMAND/.test(v.file) ? 'command' : /RESPONSE/.test(v.file) ? 'response' : 'alert';
    expect(m.apdu.cra).toBe(kind);
    if (/PRECOMMAND/.test(v.file)) expect(m.apdu.form).toBe('pre-command');
    if (v.dir.startsWith('6.24.1')) {
      expect(m.body.kind).toBe(kind === 'command' ? 'cs02a-command' : 'cs02a-response');
      expect(m.mac).toBeDefined();
    } else {
      expect(m.body.kind).toBe(`cs02b-${kind}`);
    }
    // the device is always one of the RTDS test devices, on the far side from the remote party
    const device = kind === 'command' ? m.apdu.target : m.apdu.originator;
    expect(device).toMatch(/^00DB1234567890A[0-3]$/);
    if (kind === 'response') expect(m.apdu.dateTime === undefined).toBe(v.dir.startsWith('6.24.1'));
  });
});

describe('RTDS vectors rebuild byte for byte', () => {
  it.each(vectors.map((v) => [v.file, v] as const))('%s', (_name, v) => {
    const m = decodeGbcsMessage(v.bytes);
    const a = m.apdu;
    const payload = rebuildPayload(m);
    expect(payload.toString('hex')).toBe(a.payload.toString('hex'));
    const fields = { cra: a.cra, counter: a.counter, originator: a.originator, target: a.target, messageCode: a.messageCode, payload };
    const apdu = encodeApdu(
      a.dateTime ? { ...fields, dateTime: a.dateTime } : fields,
      { signature: a.signature, omitSignatureLength: a.form === 'pre-command' },
    );
    if (m.mac) {
      // The wrapper is rebuilt with a throw-away key pair: everything but the 12 MAC octets must match.
      const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const wrapped = wrapWithMac(apdu, k.privateKey, k.publicKey);
      expect(wrapped.length).toBe(v.bytes.length);
      expect(wrapped.subarray(0, -12).toString('hex')).toBe(v.bytes.subarray(0, -12).toString('hex'));
    } else {
      expect(apdu.toString('hex')).toBe(v.bytes.toString('hex'));
    }
  });

  it('writes device lengths 128-255 as 82 00 xx only in rtds style, and reads both', () => {
    const v = rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_RESPONSE_GBCS.HEX');
    const m = decodeGbcsMessage(v);
    if (m.body.kind !== 'cs02b-response') throw new Error('expected a response');
    const rtdsStyle = encodeCs02bResponse(m.body.response, 'rtds');
    const der = encodeCs02bResponse(m.body.response, 'der');
    expect(rtdsStyle.subarray(0, 4).toString('hex')).toBe('30820083');
    expect(der.subarray(0, 3).toString('hex')).toBe('308183');
    expect(der.length).toBe(rtdsStyle.length - 1);
    const again = decodeGbcsMessage(encodeApdu({ ...m.apdu, payload: der }, { signature: m.apdu.signature }));
    expect(again.body).toEqual(m.body);
  });

  it('pre-commands are the commands without the signature', () => {
    const pairs = vectors.filter((v) => /PRECOMMAND/.test(v.file));
    expect(pairs.length).toBe(6);
    for (const pre of pairs) {
      const cmd = vectors.find((v) => v.file === pre.file.replace('PRECOMMAND', 'COMMAND'));
      if (!cmd) throw new Error(`no command for ${pre.file}`);
      const apdu = unwrapGeneralCiphering(cmd.bytes).apdu;
      expect(stripSignature(apdu).toString('hex')).toBe(pre.bytes.toString('hex'));
    }
  });
});

describe('RTDS command signatures verify with the ZAZ1 keys', () => {
  const commands = vectors.filter((v) => /_COMMAND_/.test(v.file));

  it.each(commands.map((v) => [v.file, v] as const))('%s', (_name, v) => {
    const m = decodeGbcsMessage(v.bytes);
    const signer = SIGNERS[v.dir];
    if (signer === undefined) throw new Error(`no signer known for ${v.dir}`);
    if (signer === null) {
      expect(m.apdu.signature).toBeNull();
      return;
    }
    const entry = ks(signer);
    const facts = describeCertificate(entry.certificate);
    expect(facts.subjectEui).toBe(m.apdu.originator);
    expect(verifyApduSignature(m.apdu, facts.publicKey)).toBe(true);
    // and the key is the one in the keystore (its private half derives the same public key)
    expect(createPublicKey(entry.privateKey).export({ format: 'der', type: 'spki' })).toEqual(facts.publicKey.export({ format: 'der', type: 'spki' }));
    // a Z1b or another party's key does not verify it
    const other = ks(signer.replace('Z1-', 'Z1b-').replace('Z1b-transitionalCoS', 'Z1b-transitionalCoS'));
    expect(verifyApduSignature(m.apdu, describeCertificate(other.certificate).publicKey)).toBe(false);
  });

  it('a flipped payload bit breaks an RTDS signature', () => {
    const v = rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX');
    const apdu = Buffer.from(unwrapGeneralCiphering(v).apdu);
    const key = describeCertificate(ks('Z1-networkOperator-ds').certificate).publicKey;
    expect(verifyApduSignature(apdu, key)).toBe(true);
    const d = decodeApdu(apdu);
    apdu[d.payloadOffset + 40]! ^= 0x01;
    expect(verifyApduSignature(apdu, key)).toBe(false);
  });
});
