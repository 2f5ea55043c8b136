import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { euiFromBytes, OID, publicKeyFromRaw, type Eui, type KeyUsage } from '../../pki/index.ts';
import { SmkiRefusal } from './refusal.ts';

// A device's PKCS#10 certificate signing request, as CS02c (SRV 6.17) returns it: empty subject,
// a P-256 key, ecdsa-with-SHA256, and an extensionRequest asking for exactly the device-certificate
// extensions: keyUsage (critical, digitalSignature or keyAgreement) and subjectAltName (critical,
// one otherName hardwareModuleName whose hwSerialNum is the device's EUI-64) — smki.md §5.

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export interface DeviceCsr {
  der: Buffer;
  deviceEui: Eui;
  keyUsage: KeyUsage;
  /** the 65-byte uncompressed P-256 point */
  publicKey: Buffer;
  publicKeyObject: KeyObject;
  /** hwType the device named in its hardwareModuleName */
  hwType: string;
}

const PEM_RE = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+?)-----END (?:NEW )?CERTIFICATE REQUEST-----/;

/** DER of a CSR given as PEM (CERTIFICATE REQUEST block) or as base64 / raw DER. */
export function csrDer(input: Buffer | string): Buffer {
  const text = typeof input === 'string' ? input : input.subarray(0, 64).toString('latin1').includes('-----BEGIN') ? input.toString('latin1') : null;
  if (text !== null) {
    if (text.includes('-----BEGIN')) {
      const m = PEM_RE.exec(text);
      if (!m) throw new SmkiRefusal(422, 'bad-csr', 'the PEM text holds no -----BEGIN CERTIFICATE REQUEST----- block');
      return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    }
    const b64 = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length === 0) throw new SmkiRefusal(422, 'bad-csr', 'the CSR is neither PEM nor base64 DER');
    return Buffer.from(b64, 'base64');
  }
  return Buffer.from(input as Buffer);
}

function bad(reason: string): never {
  throw new SmkiRefusal(422, 'bad-csr', `the CSR is not a PKCS#10 certification request: ${reason}`);
}

function profile(reason: string): never {
  throw new SmkiRefusal(422, 'csr-profile', `the CSR does not ask for a device certificate as GBCS defines it (smki.md §5): ${reason}`);
}

function bytesOf(view: ArrayBuffer | Uint8Array): Buffer {
  return view instanceof Uint8Array ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : Buffer.from(view);
}

/** keyUsage named bits of a BIT STRING value (DER of the extension). */
function keyUsageOf(valueDer: Buffer): KeyUsage {
  const parsed = asn1js.fromBER(new Uint8Array(valueDer));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.BitString)) profile('keyUsage is not a BIT STRING');
  const bs = parsed.result as asn1js.BitString;
  const bytes = bytesOf(bs.valueBlock.valueHexView);
  const unused = bs.valueBlock.unusedBits;
  const bits: number[] = [];
  for (let i = 0; i < bytes.length * 8 - unused; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits.push(i);
  if (bits.length === 1 && bits[0] === 0) return 'DS';
  if (bits.length === 1 && bits[0] === 4) return 'KA';
  return profile(`keyUsage must be exactly digitalSignature or keyAgreement, the CSR asks for bits ${bits.join(', ') || 'none'}`);
}

/** The single hardwareModuleName of a subjectAltName value. */
function hardwareModuleNameOf(valueDer: Buffer): { hwType: string; hwSerialNum: Buffer } {
  const parsed = asn1js.fromBER(new Uint8Array(valueDer));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) profile('subjectAltName is not a SEQUENCE of GeneralName');
  const names = (parsed.result as asn1js.Sequence).valueBlock.value;
  if (names.length !== 1) profile(`subjectAltName must hold exactly one GeneralName (hardwareModuleName), it holds ${names.length}`);
  const gn = names[0]!;
  if (gn.idBlock.tagClass !== 3 || gn.idBlock.tagNumber !== 0 || !(gn instanceof asn1js.Constructed)) {
    profile('the subjectAltName GeneralName is not an otherName');
  }
  const [typeId, explicit] = (gn as asn1js.Constructed).valueBlock.value;
  if (!(typeId instanceof asn1js.ObjectIdentifier) || typeId.valueBlock.toString() !== OID.hardwareModuleName) {
    profile(`the otherName is not id-on-hardwareModuleName (${OID.hardwareModuleName})`);
  }
  if (!(explicit instanceof asn1js.Constructed) || explicit.idBlock.tagClass !== 3 || explicit.idBlock.tagNumber !== 0 || explicit.valueBlock.value.length !== 1) {
    profile('the hardwareModuleName value is not [0] EXPLICIT');
  }
  const hmn = (explicit as asn1js.Constructed).valueBlock.value[0];
  if (!(hmn instanceof asn1js.Sequence) || hmn.valueBlock.value.length !== 2) profile('hardwareModuleName is not SEQUENCE { hwType, hwSerialNum }');
  const [hwType, hwSerial] = (hmn as asn1js.Sequence).valueBlock.value;
  if (!(hwType instanceof asn1js.ObjectIdentifier)) profile('hardwareModuleName hwType is not an OBJECT IDENTIFIER');
  if (!(hwSerial instanceof asn1js.OctetString)) profile('hardwareModuleName hwSerialNum is not an OCTET STRING');
  const serial = bytesOf((hwSerial as asn1js.OctetString).valueBlock.valueHexView);
  if (serial.length !== 8) profile(`hwSerialNum must be the device's 8-byte EUI-64, it is ${serial.length} bytes`);
  return { hwType: (hwType as asn1js.ObjectIdentifier).valueBlock.toString(), hwSerialNum: serial };
}

/**
 * Parses a device CSR and checks it: PKCS#10 v1 structure, P-256 key, ecdsa-with-SHA256 self-signature
 * that verifies, empty subject, and an extensionRequest with critical keyUsage (DS or KA) and critical
 * subjectAltName hardwareModuleName. Throws SmkiRefusal (422) naming what is wrong.
 */
export function parseDeviceCsr(input: Buffer | string): DeviceCsr {
  const der = csrDer(input);
  if (der.length === 0) bad('it is empty');
  if (der.length > 8192) bad(`${der.length} bytes is far more than a device CSR (a few hundred bytes)`);
  let req: pkijs.CertificationRequest;
  try {
    const parsed = asn1js.fromBER(new Uint8Array(der));
    if (parsed.offset === -1) bad(parsed.result.error || 'not DER');
    if (parsed.offset !== der.length) bad(`${der.length - parsed.offset} bytes follow the request`);
    req = new pkijs.CertificationRequest({ schema: parsed.result });
  } catch (err) {
    if (err instanceof SmkiRefusal) throw err;
    return bad((err as Error).message);
  }
  if (req.version !== 0) bad(`version ${req.version}; PKCS#10 v1 is 0`);

  // The key: P-256, uncompressed point.
  const spki = req.subjectPublicKeyInfo;
  if (spki.algorithm.algorithmId !== OID_EC_PUBLIC_KEY) profile(`the key is not an EC key (algorithm ${spki.algorithm.algorithmId})`);
  const curve = spki.algorithm.algorithmParams instanceof asn1js.ObjectIdentifier ? spki.algorithm.algorithmParams.valueBlock.toString() : null;
  if (curve !== OID_P256) profile(`the key is not on P-256 (prime256v1), curve ${curve ?? 'not named'}`);
  const point = bytesOf(spki.subjectPublicKey.valueBlock.valueHexView);
  if (point.length !== 65 || point[0] !== 0x04) profile(`the public key must be an uncompressed 65-byte point, it is ${point.length} bytes starting ${point[0]?.toString(16) ?? '-'}`);
  let key: KeyObject;
  try {
    key = publicKeyFromRaw(point);
  } catch (err) {
    return profile(`the public key is not a P-256 point: ${(err as Error).message}`);
  }

  // The self-signature: proof of possession of the private key.
  if (req.signatureAlgorithm.algorithmId !== OID_ECDSA_SHA256) {
    throw new SmkiRefusal(422, 'csr-signature', `the CSR is signed with ${req.signatureAlgorithm.algorithmId}; SMKI uses ecdsa-with-SHA256 (${OID_ECDSA_SHA256})`);
  }
  const signature = bytesOf(req.signatureValue.valueBlock.valueHexView);
  let verifies = false;
  try {
    verifies = cryptoVerify('sha256', bytesOf(req.tbsView), key, signature);
  } catch {
    verifies = false;
  }
  if (!verifies) throw new SmkiRefusal(422, 'csr-signature', 'the CSR self-signature does not verify under the public key it carries (the request was altered or not signed by the device key)');

  // Subject: empty for a device.
  if (req.subject.typesAndValues.length > 0) {
    const text = req.subject.typesAndValues.map((t) => `${t.type}=${t.value.valueBlock.value ?? '…'}`).join(', ');
    profile(`a device certificate has an empty subject; this CSR names ${text} (organisation certificates are not requested with device CSRs)`);
  }

  // The extensions the device asks for.
  const extReq = (req.attributes ?? []).filter((a) => a.type === OID_EXTENSION_REQUEST);
  if (extReq.length !== 1 || extReq[0]!.values.length !== 1) profile('it has no extensionRequest attribute (PKCS#9 1.2.840.113549.1.9.14) with the keyUsage and subjectAltName to certify');
  let extensions: pkijs.Extension[];
  try {
    extensions = new pkijs.Extensions({ schema: extReq[0]!.values[0] }).extensions;
  } catch (err) {
    return profile(`its extensionRequest is not a list of extensions: ${(err as Error).message}`);
  }
  const find = (oid: string, name: string): pkijs.Extension => {
    const found = extensions.filter((e) => e.extnID === oid);
    if (found.length !== 1) profile(`it must ask for exactly one ${name} extension, it asks for ${found.length}`);
    if (!found[0]!.critical) profile(`${name} must be requested critical`);
    return found[0]!;
  };
  const ku = find(OID.keyUsage, 'keyUsage');
  const san = find(OID.subjectAltName, 'subjectAltName');
  const keyUsage = keyUsageOf(bytesOf(ku.extnValue.valueBlock.valueHexView));
  const hmn = hardwareModuleNameOf(bytesOf(san.extnValue.valueBlock.valueHexView));
  return { der, deviceEui: euiFromBytes(hmn.hwSerialNum), keyUsage, publicKey: point, publicKeyObject: key, hwType: hmn.hwType };
}
