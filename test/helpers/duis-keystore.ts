// The DCC Boxed test keystore (ZAZ1 identities, public with private keys) looked up the way the
// DCC's tool does for XML signatures: by certificate serial number. Shared by the DUIS and gateway suites.
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDccBoxedKeystore } from '../../pki/index.ts';
import type { KeystoreEntry } from '../../pki/index.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DUIS_KEYSTORE_JSON = join(REPO, 'node_modules', '@smartdcc', 'dccboxed-keystore', 'keystore.json');

/** The DCC's DUIS response signer: dsp-xml-sign-90B3D51F30000002-ds. */
export const DSP_XML_SIGN_SERIAL = '167048897159233642262001557408276884033';
/**
 * Z1-accessControlBroker-dSPXmlSign, the 2025 re-issue Boxed 25.11 signs with. It is not in
 * keystore.json but holds the same key pair as DSP_XML_SIGN_SERIAL (duis.md §4.2, verified).
 */
export const DSP_XML_SIGN_2025_SERIAL = '20315062944123339095836004026371736578';
export const ZAZ1_ISSUER_NAME = 'CN=Z1,OU=07';

export interface DuisKey {
  name: string;
  eui: string;
  serialDecimal: string;
  role: number;
  publicKey: KeyObject;
  /** absent for entries without a private key */
  privateKey?: KeyObject;
  /** the DUIS signer identity for signDuis */
  issuerName: string;
}

let cache: Map<string, DuisKey> | undefined;

function load(): Map<string, DuisKey> {
  if (cache) return cache;
  const entries: KeystoreEntry[] = readDccBoxedKeystore(readFileSync(DUIS_KEYSTORE_JSON, 'utf8'));
  cache = new Map();
  for (const e of entries) {
    const key: DuisKey = {
      name: e.name, eui: e.eui, serialDecimal: e.serialDecimal, role: e.role,
      publicKey: new X509Certificate(e.certificate).publicKey, issuerName: ZAZ1_ISSUER_NAME,
    };
    if (e.privateKey) key.privateKey = e.privateKey;
    cache.set(e.serialDecimal, key);
  }
  const dsp = cache.get(DSP_XML_SIGN_SERIAL);
  if (dsp) cache.set(DSP_XML_SIGN_2025_SERIAL, { ...dsp, name: 'Z1-accessControlBroker-dSPXmlSign', serialDecimal: DSP_XML_SIGN_2025_SERIAL });
  return cache;
}

/** The keystore entry with this serial (decimal); throws when there is none. */
export function duisKeyBySerial(serialDecimal: string): DuisKey {
  const k = load().get(serialDecimal);
  if (!k) throw new Error(`keystore.json has no certificate with serial ${serialDecimal}`);
  return k;
}

/** The keystore entry by its name, e.g. 'xml-sign-90B3D51F30020000-ds'. */
export function duisKeyByName(name: string): DuisKey {
  for (const k of load().values()) if (k.name === name) return k;
  throw new Error(`keystore.json has no entry named ${name}`);
}

/** signDuis's signer argument for a keystore entry that has its private key. */
export function duisSigner(name: string): { privateKey: KeyObject; issuerName: string; serialDecimal: string } {
  const k = duisKeyByName(name);
  if (!k.privateKey) throw new Error(`keystore entry ${name} has no private key`);
  return { privateKey: k.privateKey, issuerName: k.issuerName, serialDecimal: k.serialDecimal };
}
