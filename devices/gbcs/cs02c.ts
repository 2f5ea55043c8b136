/**
 * CS02c "Issue Security Credentials" (SRV 6.17), message code 0x000A, as the `6.17_CS02c` RTDS vectors show it:
 * a critical command (signed by the supplier, ACB MAC'd) asking the device to generate a new key pair, and a
 * signed response carrying either a PKCS#10 certification request for the new key or an error code.
 *
 *   Command  = SEQUENCE { keyUsage BIT STRING }            digitalSignature 03 02 07 80, keyAgreement 03 02 03 08
 *   Response = CHOICE { certificationRequest CertificationRequest,   a SEQUENCE (RFC 2986)
 *                       errorCode INTEGER }                            the RTDS error vector: 02 01 03
 *
 * The RTDS CSR: version 0, empty subject (30 00), P-256 SPKI with the uncompressed point, one extensionRequest
 * with keyUsage (critical, one bit) and subjectAltName (critical, otherName hardwareModuleName { hwType
 * 1.2.826.0.1.8641679.1.2.2.1, hwSerialNum = the device's EUI-64 }), ecdsa-with-SHA256 without parameters.
 */
import { euiFromBytes, type Eui, type P256PrivateKey } from '../../pki/index.ts';
import { euiBytes } from './apdu.ts';
import { type Annotate, BerReader, DerWriter, TAG, hex } from './ber.ts';
import { encodeKeyUsage, readKeyUsage } from './cell-id.ts';
import { GbcsError } from './errors.ts';
import type { UseCaseCodec } from './use-case-codec.ts';

export const CS02C_MESSAGE_CODE = 0x000a;

/** The key usages a device can generate a pair for. */
export type DeviceKeyUsage = 'DS' | 'KA';

export interface Cs02cCommand {
  keyUsage: DeviceKeyUsage;
}

/** What the CSR says, read back from it (the DCC's SMKI checks it fully: src/smki/csr.ts). */
export interface Cs02cCsr {
  der: Buffer;
  /** 65-octet uncompressed P-256 point. */
  publicKey: Buffer;
  keyUsage: DeviceKeyUsage;
  deviceEui: Eui;
}

export type Cs02cResponse = { csr: Cs02cCsr } | { errorCode: number };

/**
 * Error codes a device answers instead of a CSR. The RTDS error vector carries 3 for a keyAgreement request; GBCS
 * (as far as we could read it) does not tell us its meaning, so 3 is the one error our device raises: it cannot
 * generate a key pair for this request (see devices/README.md).
 */
export const Cs02cError = { keyGenerationFailed: 3 } as const;

const OID = {
  ecPublicKey: Buffer.from('2A8648CE3D0201', 'hex'),
  p256: Buffer.from('2A8648CE3D030107', 'hex'),
  extensionRequest: Buffer.from('2A864886F70D01090E', 'hex'),
  keyUsage: Buffer.from('551D0F', 'hex'),
  subjectAltName: Buffer.from('551D11', 'hex'),
  hardwareModuleName: Buffer.from('2B06010505070804', 'hex'),
  smartMeterHwType: Buffer.from('2A863A0001848FB90F01020201', 'hex'),
  ecdsaWithSha256: Buffer.from('2A8648CE3D040302', 'hex'),
};
const TAG_OID = 0x06;
const TAG_BOOLEAN = 0x01;
const TAG_SET = 0x31;
const TAG_CTX0 = 0xa0;

export function encodeCs02cCommand(c: Cs02cCommand): Buffer {
  checkUsage(c.keyUsage);
  const w = new DerWriter('der');
  return w.seq(encodeKeyUsage(w, c.keyUsage));
}

function checkUsage(u: string): asserts u is DeviceKeyUsage {
  if (u !== 'DS' && u !== 'KA') throw new GbcsError('bad-argument', `CS02c key usage '${String(u)}' is neither DS nor KA`);
}

export function decodeCs02cCommand(payload: Buffer, ann?: Annotate, base = 0): Cs02cCommand {
  const top = BerReader.of(payload, 'CS02c command', base, ann);
  const t = top.read(TAG.SEQUENCE, 'IssueSecurityCredentialsCommand');
  top.note(t, 'CS02c command');
  top.expectEnd();
  const r = top.inner(t, 'CS02c command');
  const keyUsage = readKeyUsage(r, 'key usage');
  r.expectEnd();
  if (keyUsage === 'CA') throw new GbcsError('bad-payload', 'CS02c command: a device generates DS or KA key pairs, not keyCertSign');
  return { keyUsage };
}

/** DER ECDSA-Sig-Value from 64 octets r || s. */
function derSignature(p1363: Buffer): Buffer {
  const w = new DerWriter('der');
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
    return w.tlv(TAG.INTEGER, v);
  };
  return w.seq(int(p1363.subarray(0, 32)), int(p1363.subarray(32, 64)));
}

function sign(key: P256PrivateKey, data: Buffer): Buffer {
  if ('sign' in key && typeof key.sign === 'function') return derSignature(key.sign(data));
  throw new GbcsError('bad-argument', 'CS02c: the new device key must be a ScalarKey (devices hold theirs as scalars)');
}

/**
 * The PKCS#10 request a device makes for its new key, field for field as the RTDS response: DER lengths, the
 * request signed with the new key itself (proof of possession).
 */
export function buildDeviceCsr(o: { eui: Eui; keyUsage: DeviceKeyUsage; key: P256PrivateKey & { point: Buffer } }): Buffer {
  checkUsage(o.keyUsage);
  const w = new DerWriter('der');
  const oid = (b: Buffer) => w.tlv(TAG_OID, b);
  const critical = w.tlv(TAG_BOOLEAN, Buffer.from([0xff]));
  const ext = (id: Buffer, value: Buffer) => w.seq(oid(id), critical, w.octets(value));
  const keyUsage = ext(OID.keyUsage, encodeKeyUsage(w, o.keyUsage));
  const hmn = w.seq(oid(OID.smartMeterHwType), w.octets(euiBytes(o.eui, 'CSR hwSerialNum')));
  const san = ext(OID.subjectAltName, w.seq(w.tlv(TAG_CTX0, oid(OID.hardwareModuleName), w.tlv(TAG_CTX0, hmn))));
  const info = w.seq(
    w.int(0),
    w.seq(),
    w.seq(w.seq(oid(OID.ecPublicKey), oid(OID.p256)), w.tlv(TAG.BIT_STRING, Buffer.from([0]), o.key.point)),
    w.tlv(TAG_CTX0, w.seq(oid(OID.extensionRequest), w.tlv(TAG_SET, w.seq(keyUsage, san)))),
  );
  return w.seq(info, w.seq(oid(OID.ecdsaWithSha256)), w.tlv(TAG.BIT_STRING, Buffer.from([0]), sign(o.key, info)));
}

export function encodeCs02cResponse(resp: Cs02cResponse): Buffer {
  if ('errorCode' in resp) return new DerWriter('der').int(resp.errorCode);
  return Buffer.from(resp.csr.der);
}

/** Reads the CSR far enough to say what it asks for; the signature and profile are the SMKI's to check. */
function readCsr(top: BerReader, t: ReturnType<BerReader['read']>): Cs02cCsr {
  const der = Buffer.from(top.whole(t));
  const r = top.inner(t, 'CertificationRequest');
  const infoT = r.read(TAG.SEQUENCE, 'certificationRequestInfo');
  r.note(infoT, 'certification request info');
  const info = r.inner(infoT, 'certificationRequestInfo');
  info.small('version', 0, 0, 'CSR version');
  const subj = info.read(TAG.SEQUENCE, 'subject');
  info.note(subj, 'subject', subj.end === subj.contentStart ? '(empty)' : hex(info.content(subj)));
  const spkiT = info.read(TAG.SEQUENCE, 'subjectPKInfo');
  const spki = info.inner(spkiT, 'subjectPKInfo');
  const algT = spki.read(TAG.SEQUENCE, 'algorithm');
  const alg = spki.inner(algT, 'algorithm');
  const a1 = alg.content(alg.read(TAG_OID, 'algorithm'));
  const a2 = alg.content(alg.read(TAG_OID, 'namedCurve'));
  if (!a1.equals(OID.ecPublicKey) || !a2.equals(OID.p256)) throw new GbcsError('bad-payload', 'CS02c response: the CSR key is not an EC P-256 key');
  const bits = spki.read(TAG.BIT_STRING, 'subjectPublicKey');
  const bc = spki.content(bits);
  if (bc.length !== 66 || bc[0] !== 0 || bc[1] !== 0x04) throw new GbcsError('bad-payload', 'CS02c response: the CSR key is not an uncompressed P-256 point');
  const publicKey = Buffer.from(bc.subarray(1));
  spki.note(bits, 'public key', hex(publicKey));
  const attrsT = info.read(TAG_CTX0, 'attributes');
  info.expectEnd();
  // The extensionRequest: keyUsage and the hardwareModuleName's hwSerialNum.
  const attrs = info.inner(attrsT, 'attributes');
  const er = attrs.inner(attrs.read(TAG.SEQUENCE, 'extensionRequest'), 'extensionRequest');
  if (!er.content(er.read(TAG_OID, 'type')).equals(OID.extensionRequest)) throw new GbcsError('bad-payload', 'CS02c response: the CSR attribute is not an extensionRequest');
  const set = er.inner(er.read(TAG_SET, 'values'), 'values');
  const exts = set.inner(set.read(TAG.SEQUENCE, 'Extensions'), 'Extensions');
  let keyUsage: DeviceKeyUsage | undefined;
  let deviceEui: Eui | undefined;
  while (!exts.atEnd()) {
    const e = exts.inner(exts.read(TAG.SEQUENCE, 'Extension'), 'Extension');
    const id = e.content(e.read(TAG_OID, 'extnID'));
    e.optional(TAG_BOOLEAN, 'critical');
    const valueT = e.read(TAG.OCTET_STRING, 'extnValue');
    const value = BerReader.of(e.content(valueT), 'extnValue', e.base + valueT.contentStart, e.ann);
    if (id.equals(OID.keyUsage)) {
      const ku = readKeyUsage(value, 'CSR key usage');
      if (ku === 'CA') throw new GbcsError('bad-payload', 'CS02c response: the CSR asks for keyCertSign');
      keyUsage = ku;
    } else if (id.equals(OID.subjectAltName)) {
      const names = value.inner(value.read(TAG.SEQUENCE, 'GeneralNames'), 'GeneralNames');
      const on = names.inner(names.read(TAG_CTX0, 'otherName'), 'otherName');
      on.read(TAG_OID, 'type-id');
      const ex = on.inner(on.read(TAG_CTX0, 'value'), 'value');
      const hmn = ex.inner(ex.read(TAG.SEQUENCE, 'HardwareModuleName'), 'HardwareModuleName');
      hmn.read(TAG_OID, 'hwType');
      deviceEui = euiFromBytes(hmn.octets('hwSerialNum', 8, 'hwSerialNum (device EUI)'));
    }
  }
  if (!keyUsage || !deviceEui) throw new GbcsError('bad-payload', 'CS02c response: the CSR requests no keyUsage or no hardwareModuleName');
  const sigAlg = r.read(TAG.SEQUENCE, 'signatureAlgorithm');
  if (!r.inner(sigAlg, 'signatureAlgorithm').content(r.inner(sigAlg, 'signatureAlgorithm').read(TAG_OID, 'algorithm')).equals(OID.ecdsaWithSha256)) {
    throw new GbcsError('bad-payload', 'CS02c response: the CSR is not signed with ecdsa-with-SHA256');
  }
  r.note(r.read(TAG.BIT_STRING, 'signature'), 'CSR signature');
  r.expectEnd();
  return { der, publicKey, keyUsage, deviceEui };
}

export function decodeCs02cResponse(payload: Buffer, ann?: Annotate, base = 0): Cs02cResponse {
  const top = BerReader.of(payload, 'CS02c response', base, ann);
  if (top.peekTag() === TAG.INTEGER) {
    const errorCode = top.small('errorCode', 0, 255, 'CS02c error code');
    top.expectEnd();
    return { errorCode };
  }
  const t = top.read(TAG.SEQUENCE, 'CertificationRequest');
  top.note(t, 'certification request (PKCS#10)');
  top.expectEnd();
  return { csr: readCsr(top, t) };
}

export type Cs02cBody = { kind: 'cs02c-command'; command: Cs02cCommand } | { kind: 'cs02c-response'; response: Cs02cResponse };

export const CS02C_CODEC: UseCaseCodec<Cs02cBody> = {
  name: 'CS02c',
  messageCodes: [CS02C_MESSAGE_CODE],
  decodeCommand: (payload, ann, base) => ({ kind: 'cs02c-command', command: decodeCs02cCommand(payload, ann, base) }),
  decodeResponse: (payload, ann, base) => ({ kind: 'cs02c-response', response: decodeCs02cResponse(payload, ann, base) }),
};
