/**
 * The GBCS codec beyond the RTDS vectors: signature and MAC round trips with real keys, the MAC key
 * derivation pinned step by step, encode/decode properties, and defensive decoding of hostile input.
 */
import { createCipheriv, createHash, diffieHellman, generateKeyPairSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GbcsError,
  annotateGbcs,
  computeGbcsMac,
  decodeApdu,
  decodeCs02aCommand,
  decodeCs02aResponse,
  decodeCs02bAlert,
  decodeCs02bCommand,
  decodeCs02bResponse,
  decodeDlmsDateTime,
  decodeGbcsMessage,
  encodeApdu,
  encodeCs02aCommand,
  encodeCs02aResponse,
  encodeCs02bAlert,
  encodeCs02bCommand,
  encodeCs02bResponse,
  encodeDlmsDateTime,
  signApdu,
  unwrapGeneralCiphering,
  verifyApduSignature,
  verifyMac,
  wrapWithAcbMac,
  wrapWithMac,
  type CellId,
  type Cs02bCommand,
  type ExecutionOutcome,
} from '../../devices/index.ts';
import { rtds, rtdsVectors } from './helpers.ts';

const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ESME = '00DB1234567890A0';
const NO = '90B3D51F30020000';

function sampleCommand(): Buffer {
  return encodeApdu({
    cra: 'command',
    counter: 0x1234n,
    originator: NO,
    target: ESME,
    messageCode: 0x0103,
    payload: Buffer.from('3003020103', 'hex'),
  });
}

describe('signApdu / verifyApduSignature', () => {
  const k = ec();

  it('signs the octets after DF through the payload, with or without the trailing 00', () => {
    const pre = sampleCommand();
    expect(pre[pre.length - 1]).toBe(0x00);
    const a = signApdu(pre, k.privateKey);
    const b = signApdu(pre.subarray(0, -1), k.privateKey);
    expect(a.subarray(0, -65)).toEqual(pre.subarray(0, -1));
    expect(a[a.length - 65]).toBe(0x40);
    expect(a.subarray(0, -64)).toEqual(b.subarray(0, -64));
    const d = decodeApdu(a);
    expect(d.form).toBe('signed');
    // raw r||s over exactly the bytes after DF through the payload
    expect(verify('sha256', a.subarray(1, -65), { key: k.publicKey, dsaEncoding: 'ieee-p1363' }, a.subarray(-64))).toBe(true);
    expect(verifyApduSignature(a, k.publicKey)).toBe(true);
    expect(verifyApduSignature(b, k.publicKey)).toBe(true);
  });

  it('rejects a wrong key, a tampered header and an unsigned APDU', () => {
    const signed = signApdu(sampleCommand(), k.privateKey);
    expect(verifyApduSignature(signed, ec().publicKey)).toBe(false);
    const t = Buffer.from(signed);
    t[5]! ^= 0x01; // originator counter
    expect(verifyApduSignature(t, k.publicKey)).toBe(false);
    expect(verifyApduSignature(sampleCommand(), k.publicKey)).toBe(false);
    expect(() => signApdu(signed, k.privateKey)).toThrow(/already signed/);
    expect(() => signApdu(sampleCommand(), k.publicKey)).toThrow(GbcsError);
  });
});

describe('ACB MAC', () => {
  const acb = ec();
  const device = ec();

  it('derives the key and tag exactly as gbcs-cs02b.md §3 describes', () => {
    const apdu = signApdu(sampleCommand(), ec().privateKey);
    const z = diffieHellman({ privateKey: acb.privateKey, publicKey: device.publicKey });
    const otherInfo = Buffer.concat([
      Buffer.from('60857406080300', 'hex'),
      Buffer.from(NO, 'hex'),
      Buffer.from('0901', 'hex'),
      Buffer.from('0000000000001234', 'hex'),
      Buffer.from(ESME, 'hex'),
    ]);
    const key = createHash('sha256').update(Buffer.from('00000001', 'hex')).update(z).update(otherInfo).digest().subarray(0, 16);
    const gcm = createCipheriv('aes-128-gcm', key, Buffer.concat([Buffer.from(NO, 'hex'), Buffer.alloc(4)]));
    gcm.setAAD(Buffer.concat([Buffer.from('110000000000', 'hex'), apdu]));
    gcm.final();
    const tag = gcm.getAuthTag().subarray(0, 12);
    expect(computeGbcsMac(apdu, acb.privateKey, device.publicKey)).toEqual(tag);
    const wrapped = wrapWithAcbMac(apdu, acb.privateKey, device.publicKey);
    const len = 5 + apdu.length + 12;
    expect(len).toBeLessThan(128);
    expect(wrapped.subarray(0, 13).toString('hex')).toBe(`dd000000000000${len.toString(16)}1100000000`);
    expect(wrapped.subarray(13, -12)).toEqual(apdu);
    expect(wrapped.subarray(-12)).toEqual(tag);
  });

  it('verifies on the device side with its KA key and the ACB KA public key', () => {
    const apdu = signApdu(sampleCommand(), ec().privateKey);
    const wrapped = wrapWithAcbMac(apdu, acb.privateKey, device.publicKey);
    const ok = verifyMac(wrapped, device.privateKey, acb.publicKey);
    expect(ok).toEqual({ ok: true, apdu });
  });

  it('fails for a flipped MAC bit, a flipped APDU bit and a wrong key', () => {
    const wrapped = wrapWithAcbMac(signApdu(sampleCommand(), ec().privateKey), acb.privateKey, device.publicKey);
    const macFlip = Buffer.from(wrapped);
    macFlip[macFlip.length - 1]! ^= 0x80;
    expect(verifyMac(macFlip, device.privateKey, acb.publicKey).ok).toBe(false);
    const apduFlip = Buffer.from(wrapped);
    apduFlip[40]! ^= 0x01;
    expect(verifyMac(apduFlip, device.privateKey, acb.publicKey).ok).toBe(false);
    const r = verifyMac(wrapped, device.privateKey, ec().publicKey);
    expect(r).toEqual({ ok: false, reason: 'MAC does not verify with the key-agreement keys' });
    expect(verifyMac(Buffer.from('dd00', 'hex'), device.privateKey, acb.publicKey).ok).toBe(false);
  });

  it('MACs responses with type 02 and the device as originator', () => {
    const response = encodeApdu({ cra: 'response', counter: 7n, originator: ESME, target: NO, messageCode: 8, payload: Buffer.from('3000', 'hex') });
    const wrapped = wrapWithMac(response, device.privateKey, acb.publicKey);
    expect(verifyMac(wrapped, acb.privateKey, device.publicKey).ok).toBe(true);
    // the same octets presented as a command give a different MAC (type 01 in OtherInfo)
    const asCommand = Buffer.from(response);
    asCommand[2] = 0x01;
    expect(computeGbcsMac(asCommand, device.privateKey, acb.publicKey)).not.toEqual(wrapped.subarray(-12));
    expect(() => wrapWithAcbMac(response, acb.privateKey, device.publicKey)).toThrow(/expected a command/);
  });
});

// --- properties --------------------------------------------------------------------------------

const eui = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex').toUpperCase());
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const cellId: fc.Arbitrary<CellId> = fc.record({
  role: fc.integer({ min: 0, max: 255 }),
  keyUsage: fc.constantFrom('DS' as const, 'KA' as const, 'CA' as const),
  cellUsage: fc.constantFrom(0 as const, 1 as const),
});
/** Any DER SEQUENCE stands in for a certificate: the codec carries certificates opaquely. */
const certLike = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => {
  const body = Buffer.from(b);
  const len = body.length < 128 ? Buffer.from([body.length]) : body.length < 256 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
});
const seqChange = fc.record({ role: fc.integer({ min: 0, max: 255 }), floorSeqNumber: u64, topUpFloorSeqNumber: fc.option(u64, { nil: undefined }) }, { requiredKeys: ['role', 'floorSeqNumber'] });
const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));

const command: fc.Arbitrary<Cs02bCommand> = fc.record(
  {
    mode: fc.integer({ min: 0, max: 9 }),
    applyTimeBasedCpvChecks: fc.boolean(),
    authorisingCell: cellId,
    authorisingSeqNumber: u64,
    newFloorSeqNumber: u64,
    newTopUpFloorSeqNumber: u64,
    otherSeqNumberChanges: fc.array(seqChange, { minLength: 1, maxLength: 4 }),
    replacements: fc.array(fc.record({ certificate: certLike, target: cellId }), { maxLength: 4 }),
    certificationPath: fc.array(certLike, { maxLength: 3 }),
    executionDateTime: date,
  },
  { requiredKeys: ['mode', 'applyTimeBasedCpvChecks', 'authorisingSeqNumber', 'replacements', 'certificationPath'] },
);

const outcome: fc.Arbitrary<ExecutionOutcome> = fc.record({
  authorisingSeqNumber: u64,
  mode: fc.integer({ min: 0, max: 9 }),
  seqNumberChanges: fc.array(seqChange, { maxLength: 5 }),
  replacementOutcomes: fc.array(
    fc.record({
      cell: cellId,
      status: fc.constantFrom(0, 5, 10, 17, 25, 30, 127),
      existingSubjectUniqueId: eui,
      existingSubjectKeyId: eui,
      replacingSubjectUniqueId: eui,
      replacingSubjectKeyId: eui,
    }),
    { maxLength: 9 },
  ),
});

/** Optional members that fast-check left out must stay absent after decoding, so compare without undefineds. */
function clean<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))) as T;
}

describe('encode/decode properties', () => {
  it('CS02b commands round-trip', () => {
    fc.assert(
      fc.property(command, (c) => {
        const back = decodeCs02bCommand(encodeCs02bCommand(c));
        expect(clean(back)).toEqual(clean({ ...c, otherSeqNumberChanges: c.otherSeqNumberChanges }));
      }),
      { numRuns: 150 },
    );
  });

  it('CS02b responses and alerts round-trip in both length styles', () => {
    fc.assert(
      fc.property(outcome, fc.constantFrom('der' as const, 'rtds' as const), date, (o, style, when) => {
        expect(clean(decodeCs02bResponse(encodeCs02bResponse({ outcome: o }, style)))).toEqual(clean({ outcome: o }));
        expect(decodeCs02bResponse(encodeCs02bResponse({}, style))).toEqual({});
        const alert = { alertCode: 0x8f67, executionDateTime: when, outcome: o };
        expect(clean(decodeCs02bAlert(encodeCs02bAlert(alert, style)))).toEqual(clean(alert));
      }),
      { numRuns: 150 },
    );
  });

  it('CS02a commands and responses round-trip', () => {
    const details = fc.record(
      {
        role: fc.integer({ min: 0, max: 255 }),
        status: fc.constantFrom(0, 25),
        currentSeqNumber: u64,
        cells: fc.array(fc.record({ keyUsage: fc.constantFrom('DS' as const, 'KA' as const, 'CA' as const), cellUsage: fc.constantFrom(0 as const, 1 as const), subjectUniqueId: eui, subjectKeyId: eui }), { maxLength: 3 }),
      },
      { requiredKeys: ['role', 'status'] },
    );
    fc.assert(
      fc.property(cellId, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }), fc.array(details, { maxLength: 5 }), (id, roles, ds) => {
        expect(decodeCs02aCommand(encodeCs02aCommand({ authorisingCell: id, roles }))).toEqual({ authorisingCell: id, roles });
        expect(clean(decodeCs02aResponse(encodeCs02aResponse({ roles: ds })))).toEqual(clean({ roles: ds }));
      }),
      { numRuns: 100 },
    );
  });

  it('grouping headers round-trip, counters up to 2^64-1', () => {
    fc.assert(
      fc.property(fc.constantFrom('command' as const, 'response' as const, 'alert' as const), u64, eui, eui, fc.option(date, { nil: undefined }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 400 }), (cra, counter, originator, target, dateTime, messageCode, p) => {
        const fields = { cra, counter, originator, target, messageCode, payload: Buffer.from(p), ...(dateTime ? { dateTime } : {}) };
        const d = decodeApdu(encodeApdu(fields));
        expect({ cra: d.cra, counter: d.counter, originator: d.originator, target: d.target, messageCode: d.messageCode, payload: d.payload, dateTime: d.dateTime }).toEqual({ ...fields, dateTime });
        expect(d.form).toBe('unsigned');
      }),
      { numRuns: 150 },
    );
  });
});

describe('defensive decoding', () => {
  const vectors = rtdsVectors();

  it('truncated or corrupted vectors fail with a GbcsError, never anything else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: vectors.length - 1 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (vi, cut, at, xor, truncate) => {
        const v = vectors[vi]!.bytes;
        const input = truncate ? v.subarray(0, cut % v.length) : Buffer.from(v);
        if (!truncate) input[at % input.length]! ^= xor;
        try {
          decodeGbcsMessage(input);
        } catch (e) {
          expect(e).toBeInstanceOf(GbcsError);
          expect((e as Error).message.length).toBeGreaterThan(10);
        }
        const ann = annotateGbcs(input);
        for (const a of ann) {
          expect(a.offset).toBeGreaterThanOrEqual(0);
          expect(a.offset + a.length).toBeLessThanOrEqual(input.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('says what is wrong', () => {
    const v = rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_RESPONSE_GBCS.HEX');
    expect(() => decodeGbcsMessage(v.subarray(0, 100))).toThrow(/content length|claims|needs/);
    const badCra = Buffer.from(v);
    badCra[2] = 0x07;
    expect(() => decodeGbcsMessage(badCra)).toThrow(/CRA flag 07/);
    const indefinite = encodeApdu({ cra: 'command', counter: 1n, originator: NO, target: ESME, messageCode: 0x0103, payload: Buffer.from('3080020103 0000'.replace(' ', ''), 'hex') });
    expect(() => decodeGbcsMessage(indefinite)).toThrow(/indefinite length/);
    const withTrailer = Buffer.concat([v, Buffer.from([0])]);
    expect(() => decodeGbcsMessage(withTrailer)).toThrow(/unexpected octets after the signature/);
    expect(() => encodeApdu({ cra: 'command', counter: 1n << 64n, originator: NO, target: ESME, messageCode: 1, payload: Buffer.alloc(0) })).toThrow(/uint64/);
    expect(() => encodeApdu({ cra: 'command', counter: 1n, originator: 'NOT-AN-EUI', target: ESME, messageCode: 1, payload: Buffer.alloc(0) })).toThrow(/originator/);
  });

  it('rejects a MAC wrapper that is not authenticated-only', () => {
    const v = Buffer.from(rtds('6.24.1_CS02aMAC', 'CS02aMAC_6.24.1_SUCCESS_COMMAND_GBCS.HEX'));
    expect(unwrapGeneralCiphering(v).mac.toString('hex')).toBe('a3e451cdc680b824b9dae4cf');
    v[8] = 0x31; // authenticated and encrypted
    expect(() => decodeGbcsMessage(v)).toThrow(/security control 31/);
  });
});

describe('DLMS date-time', () => {
  it('is written in the RTDS form and read back', () => {
    const d = new Date('2015-01-01T00:00:00Z');
    expect(encodeDlmsDateTime(d).toString('hex')).toBe('07df0101ff000000008000ff');
    const t = new Date('2026-11-23T07:45:12.340Z');
    expect(decodeDlmsDateTime(encodeDlmsDateTime(t))).toEqual(t);
    expect(() => decodeDlmsDateTime(Buffer.from('07df0d01ff000000008000ff', 'hex'))).toThrow(/month 13/);
  });
});

describe('annotateGbcs', () => {
  it('labels the fields of an RTDS command at their offsets (gbcs-cs02b.md §5.1)', () => {
    const v = rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX');
    const ann = annotateGbcs(v);
    const at = (label: string) => ann.find((a) => a.label === label);
    expect(at('general-signing tag')).toMatchObject({ offset: 0x0f, length: 1 });
    expect(at('originator counter')).toEqual({ offset: 0x12, length: 8, label: 'originator counter', value: '1200' });
    expect(at('business originator')).toMatchObject({ offset: 0x1a, value: '90B3D51F30020000' });
    expect(at('business target')).toMatchObject({ offset: 0x23, value: '00DB1234567890A0' });
    expect(at('credentials replacement mode')).toMatchObject({ value: 'networkOperatorByNetworkOperator' });
    expect(at('signature (r||s)')).toMatchObject({ offset: 0x540, length: 64 });
    expect(at('MAC')).toEqual({ offset: 0x580, length: 12, label: 'MAC', value: '5EF46D9F5E4564B1D6C7DEB5' });
    expect(ann.filter((a) => a.label === 'error')).toEqual([]);
    const targets = ann.filter((a) => a.label === 'key usage').map((a) => a.value);
    expect(targets).toEqual(['digitalSignature', 'digitalSignature', 'keyAgreement']);
  });

  it('marks where decoding stopped', () => {
    const v = rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_RESPONSE_GBCS.HEX');
    const cut = v.subarray(0, 90);
    const ann = annotateGbcs(cut);
    const err = ann.find((a) => a.label === 'error');
    expect(err?.value).toMatch(/content length|needs/);
    expect(err!.offset + err!.length).toBe(90);
  });
});
