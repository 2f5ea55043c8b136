// Device CSRs made the way a device makes them (CS02c / SRV 6.17 returns a PKCS#10 request), built
// field by field with asn1js and signed with node:crypto, so that a test can break exactly one thing.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { deviceSubjectAltNameExtension, keyUsageExtension, type Eui, type KeyUsage } from '../../pki/index.ts';

export interface CsrSpec {
  eui: Eui;
  usage: KeyUsage;
  /** default: a fresh P-256 pair */
  keys?: { publicKey: KeyObject; privateKey: KeyObject };
  /** a non-empty subject (an organisation-style CN) */
  subjectCn?: string;
  /** leave out the subjectAltName request */
  noSan?: boolean;
  /** request the SAN non-critical */
  sanNotCritical?: boolean;
  /** sign with this key instead of the CSR's own (proof of possession fails) */
  signWith?: KeyObject;
}

function extension(oid: string, critical: boolean, valueDer: Uint8Array): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: oid }),
      ...(critical ? [new asn1js.Boolean({ value: true })] : []),
      new asn1js.OctetString({ valueHex: new Uint8Array(valueDer) }),
    ],
  });
}

export function freshKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** DER of a PKCS#10 device CSR. */
export function deviceCsr(o: CsrSpec): Buffer {
  const keys = o.keys ?? freshKeys();
  const spki = asn1js.fromBER(new Uint8Array(keys.publicKey.export({ format: 'der', type: 'spki' }))).result;
  const ku = keyUsageExtension(o.usage);
  const san = deviceSubjectAltNameExtension(o.eui);
  const exts = [extension(ku.oid, true, ku.valueDer)];
  if (!o.noSan) exts.push(extension(san.oid, !o.sanNotCritical, san.valueDer));
  const subject = new asn1js.Sequence({
    value: o.subjectCn
      ? [new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '2.5.4.3' }), new asn1js.Utf8String({ value: o.subjectCn })] })] })]
      : [],
  });
  const attributes = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 },
    value: [
      new asn1js.Sequence({
        value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.9.14' }), new asn1js.Set({ value: [new asn1js.Sequence({ value: exts })] })],
      }),
    ],
  });
  const info = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 }), subject, spki, attributes] });
  const infoDer = Buffer.from(info.toBER());
  const signature = sign('sha256', infoDer, o.signWith ?? keys.privateKey);
  const csr = new asn1js.Sequence({
    value: [
      asn1js.fromBER(new Uint8Array(infoDer)).result,
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.4.3.2' })] }),
      new asn1js.BitString({ valueHex: new Uint8Array(signature) }),
    ],
  });
  return Buffer.from(csr.toBER());
}

export function csrPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
