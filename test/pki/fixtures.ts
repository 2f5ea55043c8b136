// Shared test PKI and conformance-data readers for the pki suites (not a test file itself).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRootCa, deriveKeyPair, issueDeviceCa, issueDeviceCertificate, issueIssuingCa, issueOrganisationCertificate, RemotePartyRole,
} from '../../pki/index.ts';
import type { CaHandle, KeyPair } from '../../pki/index.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO, '../shared');
export const KEYSTORE_PATH = path.resolve(REPO, 'node_modules/@smartdcc/dccboxed-keystore/keystore.json');

export const SEED = Buffer.from('pki test seed');
export const T0 = new Date('2024-01-01T00:00:00Z');
export const T_ORG_END = new Date('2034-01-01T23:59:59Z');
export const T_CA_END = new Date('2049-12-31T23:59:59Z');
export const T_ROOT_END = new Date('2074-01-01T00:00:00Z');
export const NOW = new Date('2026-11-23T12:00:00Z');

export const NO_EUI = '90B3D51F30020000';
export const DEVICE_EUI = '00DB1234567890A0';

export interface TestPki {
  root: CaHandle;
  oca: CaHandle;
  dca: CaHandle;
  keys: (label: string) => KeyPair;
  noDs: Buffer;
  noKa: Buffer;
  xmlSign: Buffer;
  deviceDs: Buffer;
}

export function makeTestPki(seed: Uint8Array = SEED): TestPki {
  const keys = (label: string): KeyPair => deriveKeyPair(seed, label);
  const root = createRootCa({ commonName: 'XA', keyPair: keys('root'), notBefore: T0, notAfter: T_ROOT_END });
  const oca = issueIssuingCa(root, { commonName: 'X1', keyPair: keys('oca'), notBefore: T0, notAfter: T_CA_END });
  const dca = issueDeviceCa(root, { commonName: 'X357', keyPair: keys('dca'), notBefore: T0, notAfter: T_ROOT_END });
  const org = (role: number, keyUsage: 'DS' | 'KA', label: string): Buffer =>
    issueOrganisationCertificate(oca, { eui: NO_EUI, role, keyUsage, publicKey: keys(label).publicKey, notBefore: T0, notAfter: T_ORG_END });
  return {
    root,
    oca,
    dca,
    keys,
    noDs: org(RemotePartyRole.NetworkOperator, 'DS', 'no-ds'),
    noKa: org(RemotePartyRole.NetworkOperator, 'KA', 'no-ka'),
    xmlSign: org(RemotePartyRole.XmlSign, 'DS', 'xml-sign'),
    deviceDs: issueDeviceCertificate(dca, { deviceEui: DEVICE_EUI, keyUsage: 'DS', publicKey: keys('device-ds').publicKey, notBefore: T0 }),
  };
}

/** Base64 contents of every <sr:NAME> element of a DUIS template, as DER. */
export function templateCertificates(file: string, element: string): Buffer[] {
  const xml = readFileSync(path.join(SHARED, 'duis', file), 'utf8');
  const re = new RegExp(`<sr:${element}>([^<]+)</sr:${element}>`, 'g');
  return [...xml.matchAll(re)].map((m) => Buffer.from(m[1]!.trim(), 'base64'));
}

export interface RawKeystoreEntry {
  eui: string;
  usage: string;
  serial: string;
  certificate: string;
  privateKey?: string;
  name: string;
  role: number;
}

export function rawKeystore(): RawKeystoreEntry[] {
  const doc = JSON.parse(readFileSync(KEYSTORE_PATH, 'utf8')) as Record<string, Record<string, Record<string, Omit<RawKeystoreEntry, 'eui' | 'usage' | 'serial'>>>>;
  return Object.entries(doc).flatMap(([eui, usages]) =>
    Object.entries(usages).flatMap(([usage, serials]) => Object.entries(serials).map(([serial, e]) => ({ eui, usage, serial, ...e }))),
  );
}

export function keystoreEntry(name: string): RawKeystoreEntry {
  const e = rawKeystore().find((x) => x.name === name);
  if (!e) throw new Error(`keystore.json has no entry named ${name}`);
  return e;
}
