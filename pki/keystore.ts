import { KeyObject } from 'node:crypto';
import { certificateFromPem, certificateToPem, describeCertificate } from './certificate.ts';
import { PkiError } from './errors.ts';
import { privateKeyFromPem, rawPublicKey } from './keys.ts';
import { parseEui } from './vocabulary.ts';
import type { Eui, KeyUsage } from './vocabulary.ts';

/** One certificate (and maybe its key) of a DCC Boxed keystore.json. */
export interface KeystoreEntry {
  eui: Eui;
  usage: KeyUsage;
  serialDecimal: string;
  certificate: Buffer;
  privateKey?: KeyObject;
  name: string;
  role: number;
}

const USAGE_KEYS: Record<string, KeyUsage> = { digitalSignature: 'DS', keyAgreement: 'KA' };
const USAGE_NAMES: Record<KeyUsage, string> = { DS: 'digitalSignature', KA: 'keyAgreement' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(path: string, message: string): never {
  throw new PkiError('bad-keystore', `keystore${path}: ${message}`);
}

/**
 * Reads the DCC Boxed keystore format (@smartdcc/dccboxed-keystore keystore.json):
 * eui (hex) -> 'digitalSignature' | 'keyAgreement' -> serial (decimal) -> { certificate: PEM, privateKey?: PEM (PKCS#8),
 * name, role }. Checks each certificate parses, its serial and EUI match the keys it is filed under, its key usage
 * matches the usage it is filed under (for DS/KA certificates), and the private key belongs to it.
 * Throws PkiError('bad-keystore') naming the path of the bad entry.
 */
export function readDccBoxedKeystore(json: string): KeystoreEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new PkiError('bad-keystore', `keystore is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) bad('', 'top level must be an object keyed by EUI');
  const out: KeystoreEntry[] = [];
  for (const [euiKey, usages] of Object.entries(doc)) {
    const p1 = `['${euiKey}']`;
    let eui: Eui;
    try {
      eui = parseEui(euiKey);
    } catch (e) {
      bad(p1, (e as Error).message);
    }
    if (!isObject(usages)) bad(p1, "must be an object keyed by 'digitalSignature' / 'keyAgreement'");
    for (const [usageKey, serials] of Object.entries(usages)) {
      const p2 = `${p1}['${usageKey}']`;
      const usage = USAGE_KEYS[usageKey];
      if (!usage) bad(p2, "key usage must be 'digitalSignature' or 'keyAgreement'");
      if (!isObject(serials)) bad(p2, 'must be an object keyed by decimal serial number');
      for (const [serial, entry] of Object.entries(serials)) {
        const p3 = `${p2}['${serial}']`;
        if (!/^[1-9][0-9]*$/.test(serial)) bad(p3, 'serial number key must be a positive decimal integer');
        if (!isObject(entry)) bad(p3, 'must be an object { certificate, privateKey?, name, role }');
        if (typeof entry.certificate !== 'string') bad(`${p3}.certificate`, 'must be a PEM string');
        if (typeof entry.name !== 'string') bad(`${p3}.name`, 'must be a string');
        if (typeof entry.role !== 'number' || !Number.isInteger(entry.role) || entry.role < 0 || entry.role > 255) {
          bad(`${p3}.role`, `must be an integer role code 0..255, got ${JSON.stringify(entry.role)}`);
        }
        let certificate: Buffer;
        let facts;
        try {
          certificate = certificateFromPem(entry.certificate);
          facts = describeCertificate(certificate);
        } catch (e) {
          bad(`${p3}.certificate`, (e as Error).message);
        }
        if (facts.serialDecimal !== serial) bad(`${p3}.certificate`, `certificate serial is ${facts.serialDecimal}, but it is filed under ${serial}`);
        if (facts.subjectEui !== null && facts.subjectEui !== eui) bad(`${p3}.certificate`, `certificate is for EUI ${facts.subjectEui}, but it is filed under ${eui}`);
        if ((facts.keyUsage === 'DS' || facts.keyUsage === 'KA') && facts.keyUsage !== usage) {
          bad(`${p3}.certificate`, `certificate key usage is ${USAGE_NAMES[facts.keyUsage]}, but it is filed under ${usageKey}`);
        }
        let privateKey: KeyObject | undefined;
        if (entry.privateKey !== undefined) {
          if (typeof entry.privateKey !== 'string') bad(`${p3}.privateKey`, 'must be a PEM string');
          try {
            privateKey = privateKeyFromPem(entry.privateKey);
          } catch (e) {
            bad(`${p3}.privateKey`, (e as Error).message);
          }
          if (!rawPublicKey(privateKey).equals(rawPublicKey(facts.publicKey))) bad(`${p3}.privateKey`, 'private key does not belong to the certificate');
        }
        out.push({ eui, usage, serialDecimal: serial, certificate, ...(privateKey ? { privateKey } : {}), name: entry.name, role: entry.role });
      }
    }
  }
  return out;
}

/** Writes entries in the DCC Boxed keystore format (EUIs lower-case hex, keys as PKCS#8 PEM). */
export function writeDccBoxedKeystore(entries: KeystoreEntry[]): string {
  const doc: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {};
  for (const [i, e] of entries.entries()) {
    const eui = parseEui(e.eui).toLowerCase();
    const usage = USAGE_NAMES[e.usage];
    if (!usage) throw new PkiError('bad-keystore', `entry ${i + 1}: usage must be DS or KA, got ${String(e.usage)}`);
    if (!/^[1-9][0-9]*$/.test(e.serialDecimal)) throw new PkiError('bad-keystore', `entry ${i + 1}: serialDecimal '${e.serialDecimal}' is not a positive decimal integer`);
    const bySerial = ((doc[eui] ??= {})[usage] ??= {});
    if (bySerial[e.serialDecimal]) throw new PkiError('bad-keystore', `entry ${i + 1}: duplicate ${eui}/${usage}/${e.serialDecimal}`);
    bySerial[e.serialDecimal] = {
      certificate: certificateToPem(e.certificate),
      ...(e.privateKey ? { privateKey: e.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string } : {}),
      name: e.name,
      role: e.role,
    };
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}
