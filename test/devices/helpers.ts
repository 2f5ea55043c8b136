/**
 * Shared fixtures for the devices tests: RTDS vectors and the ZAZ1 keystore read from where they lie,
 * and a private SMKI test PKI built with the pki room's issuance API.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  certificateFromPem,
  createRootCa,
  describeCertificate,
  deriveKeyPair,
  issueDeviceCa,
  issueDeviceCertificate,
  issueIssuingCa,
  issueOrganisationCertificate,
  type CaHandle,
  type Eui,
  type KeyPair,
  type KeyUsage,
} from '../../pki/index.ts';
import {
  decodeGbcsMessage,
  encodeApdu,
  encodeCs02bCommand,
  signApdu,
  wrapWithAcbMac,
  type Cs02bCommand,
  type DeviceCredentials,
} from '../../devices/index.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const RTDS_DIR = path.resolve(REPO, '../shared/rtds');
export const KEYSTORE_PATH = path.resolve(REPO, 'node_modules/@smartdcc/dccboxed-keystore/keystore.json');

export interface RtdsVector {
  dir: string;
  file: string;
  bytes: Buffer;
}

export function rtdsVectors(): RtdsVector[] {
  const out: RtdsVector[] = [];
  for (const dir of readdirSync(RTDS_DIR).sort()) {
    for (const file of readdirSync(path.join(RTDS_DIR, dir)).sort()) {
      const text = readFileSync(path.join(RTDS_DIR, dir, file), 'utf8').trim();
      out.push({ dir, file, bytes: Buffer.from(text, 'hex') });
    }
  }
  return out;
}

export function rtds(dir: string, file: string): Buffer {
  return Buffer.from(readFileSync(path.join(RTDS_DIR, dir, file), 'utf8').trim(), 'hex');
}

/** The Z1 issuing CA, taken from the certification path every RTDS CS02b command carries. */
export function rtdsZ1(): Buffer {
  const m = decodeGbcsMessage(rtds('6.15.1_CS02bNOByNO', 'CS02bNOByNO_6.15.1_SUCCESS_COMMAND_GBCS.HEX'));
  if (m.body.kind !== 'cs02b-command') throw new Error('expected a CS02b command');
  return m.body.command.certificationPath[0]!;
}

export interface KeystoreEntry {
  name: string;
  eui: Eui;
  role: number;
  usage: 'digitalSignature' | 'keyAgreement';
  certificate: Buffer;
  privateKey: KeyObject;
}

let keystoreCache: KeystoreEntry[] | undefined;

export function keystore(): KeystoreEntry[] {
  if (keystoreCache) return keystoreCache;
  const json = JSON.parse(readFileSync(KEYSTORE_PATH, 'utf8')) as Record<
    string,
    Record<string, Record<string, { certificate: string; privateKey: string; name: string; role: number }>>
  >;
  const out: KeystoreEntry[] = [];
  for (const [eui, usages] of Object.entries(json)) {
    for (const [usage, bySerial] of Object.entries(usages)) {
      for (const e of Object.values(bySerial)) {
        out.push({
          name: e.name,
          eui: eui.toUpperCase(),
          role: e.role,
          usage: usage as KeystoreEntry['usage'],
          certificate: certificateFromPem(e.certificate),
          privateKey: createPrivateKey(e.privateKey),
        });
      }
    }
  }
  keystoreCache = out;
  return out;
}

export function ks(name: string): KeystoreEntry {
  const e = keystore().find((x) => x.name === name);
  if (!e) throw new Error(`keystore has no entry named ${name}`);
  return e;
}

// --- a private test PKI ---------------------------------------------------------------------------

export const T0 = new Date('2024-01-01T00:00:00Z');
export const T_END = new Date('2034-01-01T00:00:00Z');
export const NOW = new Date('2026-06-01T12:00:00Z');

export interface Party {
  eui: Eui;
  role: number;
  ds: { keys: KeyPair; cert: Buffer };
  ka?: { keys: KeyPair; cert: Buffer };
  topUp?: { keys: KeyPair; cert: Buffer };
}

export interface TestPki {
  root: CaHandle;
  oca: CaHandle;
  dca: CaHandle;
  /** a second, unrelated root and OCA for "bad chain" cases */
  foreignOca: CaHandle;
  issue(eui: Eui, role: number, ku: KeyUsage, opts?: { oca?: CaHandle; notBefore?: Date; notAfter?: Date; seed?: string }): { keys: KeyPair; cert: Buffer };
  party(eui: Eui, role: number, withKa: boolean, withTopUp?: boolean): Party;
  device(eui: Eui): { creds: DeviceCredentials & { dsCertificate: Buffer; kaCertificate: Buffer }; kaPublic: KeyObject; dsPublic: KeyObject };
}

const SECRET = Buffer.from('dcc-sim devices tests');

export function buildTestPki(): TestPki {
  const kp = (label: string) => deriveKeyPair(SECRET, label);
  const root = createRootCa({ commonName: 'XA', keyPair: kp('root'), notBefore: T0, notAfter: new Date('2050-01-01T00:00:00Z') });
  const oca = issueIssuingCa(root, { commonName: 'X1', keyPair: kp('oca'), notBefore: T0, notAfter: new Date('2049-01-01T00:00:00Z') });
  const dca = issueDeviceCa(root, { commonName: 'X357', keyPair: kp('dca'), notBefore: T0, notAfter: new Date('2049-01-01T00:00:00Z') });
  const foreignRoot = createRootCa({ commonName: 'YA', keyPair: kp('foreign root'), notBefore: T0, notAfter: new Date('2050-01-01T00:00:00Z') });
  // same subject name as the real OCA, different key: the chain only fails on the key
  const foreignOca = issueIssuingCa(foreignRoot, { commonName: 'X1', keyPair: kp('foreign oca'), notBefore: T0, notAfter: new Date('2049-01-01T00:00:00Z') });
  let n = 0;
  const issue: TestPki['issue'] = (eui, role, ku, opts = {}) => {
    const keys = kp(opts.seed ?? `${eui}-${role}-${ku}-${n++}`);
    const cert = issueOrganisationCertificate(opts.oca ?? oca, {
      eui,
      role,
      keyUsage: ku,
      publicKey: keys.publicKey,
      notBefore: opts.notBefore ?? T0,
      notAfter: opts.notAfter ?? T_END,
    });
    return { keys, cert };
  };
  return {
    root,
    oca,
    dca,
    foreignOca,
    issue,
    party(eui, role, withKa, withTopUp = false) {
      const p: Party = { eui, role, ds: issue(eui, role, 'DS') };
      if (withKa) p.ka = issue(eui, role, 'KA');
      if (withTopUp) p.topUp = issue(eui, role, 'KA');
      return p;
    },
    device(eui) {
      const ds = kp(`${eui}-device-ds`);
      const ka = kp(`${eui}-device-ka`);
      const creds: DeviceCredentials & { dsCertificate: Buffer; kaCertificate: Buffer } = {
        dsKey: ds.privateKey,
        kaKey: ka.privateKey,
        dsCertificate: issueDeviceCertificate(dca, { deviceEui: eui, keyUsage: 'DS', publicKey: ds.publicKey, notBefore: T0 }),
        kaCertificate: issueDeviceCertificate(dca, { deviceEui: eui, keyUsage: 'KA', publicKey: ka.publicKey, notBefore: T0 }),
      };
      return { creds, kaPublic: ka.publicKey, dsPublic: ds.publicKey };
    },
  };
}

export function skiOf(cert: Buffer): string {
  return describeCertificate(cert).ski;
}

/** Builds a CS02b command message as the DCC sends it: signed by `signer`, then ACB-MACed (unless mac is null). */
export function cs02bMessage(o: {
  counter: bigint;
  originator: Eui;
  target: Eui;
  command: Cs02bCommand;
  signer: KeyObject | null;
  mac: { acbKa: KeyObject; deviceKaPublic: KeyObject } | null;
  messageCode?: number;
}): Buffer {
  const unsigned = encodeApdu({
    cra: 'command',
    counter: o.counter,
    originator: o.originator,
    target: o.target,
    messageCode: o.messageCode ?? 0x0100 + o.command.mode,
    payload: encodeCs02bCommand(o.command),
  });
  const apdu = o.signer ? signApdu(unsigned, o.signer) : unsigned;
  return o.mac ? wrapWithAcbMac(apdu, o.mac.acbKa, o.mac.deviceKaPublic) : apdu;
}

/** A canonical text form of any value (bigint, Date, Buffer included) for "deep-equal to the input" checks. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, function (this: unknown, key: string, value: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (typeof raw === 'bigint') return `bigint:${raw}`;
    if (raw instanceof Date) return `date:${raw.toISOString()}`;
    if (Buffer.isBuffer(raw)) return `hex:${raw.toString('hex')}`;
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      return Object.fromEntries(Object.entries(raw as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return value;
  });
}
