// Building DUIS requests and (good or deliberately bad) certificates against a demo world, for
// the gateway suites. Certificates with profile violations are built with pki's buildCertificate
// and signed by the world's own issuing CA, so that only the violation is wrong with them.
import {
  authorityKeyIdentifierExtension,
  buildCertificate,
  certificatePoliciesExtension,
  createRootCa,
  encodeName,
  euiUniqueIdentifier,
  generateKeyPair,
  issueIssuingCa,
  issueOrganisationCertificate,
  keyUsageExtension,
  roleHex,
  smkiKeyIdentifier,
  SMKI_TEST_POLICY_OID,
  subjectKeyIdentifierExtension,
  type CertificateSpec,
  type Eui,
  type KeyUsage,
} from '../../pki/index.ts';
import { buildRequest, signDuis, type RemotePartyRoleName, type SecurityCredentialsFields } from '../../service-requests/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { META, type World } from '../../src/world/world.ts';
import type { DeviceRecord } from '../../db/index.ts';

export const ocaDer = (world: World): Buffer => world.certificate(Number(world.meta(META.issuingCaId))).der;

/** A party's current organisation certificates of a role from the SMKI repository: DS, KA and (suppliers) top-up KA. */
export function orgCerts(world: World, eui: Eui, role: number): { ds: Buffer; ka: Buffer; topUp?: Buffer } {
  const { ds, ka, kaTopUp } = world.currentOrganisationCertificates(eui, role);
  if (!ds || !ka) throw new Error(`${eui} has no role-${role} DS and KA certificates`);
  return { ds: ds.der, ka: ka.der, ...(kaTopUp ? { topUp: kaTopUp.der } : {}) };
}

export function signAs(world: World, eui: Eui, unsignedXml: string): string {
  return signDuis(unsignedXml, xmlSignerOf(world, eui));
}

export interface CredentialsRequest {
  sender: Eui;
  target: Eui;
  counter: bigint;
  role: RemotePartyRoleName;
  ds?: Buffer;
  ka?: Buffer;
  topUp?: Buffer;
  path: Buffer[];
  applyTime?: boolean;
  floor?: bigint;
}

function fields(r: CredentialsRequest): SecurityCredentialsFields {
  return {
    remotePartyRole: r.role,
    ...(r.floor !== undefined ? { floorSeqNumber: r.floor } : {}),
    ...(r.ds ? { digitalSigning: r.ds } : {}),
    ...(r.ka ? { keyAgreement: r.ka } : {}),
    ...(r.topUp ? { keyAgreementTopUp: r.topUp } : {}),
    certificationPath: r.path,
    applyTimeBasedCpvChecks: r.applyTime ?? true,
  };
}

/** Unsigned 6.21 Request Handover of DCC Controlled Device (CV 1). */
export function handoverXml(r: CredentialsRequest, commandVariant = 1): string {
  if (!r.ds) throw new Error('a handover needs a DS certificate');
  return buildRequest({
    requestId: { originator: r.sender, target: r.target, counter: r.counter },
    commandVariant,
    body: { kind: 'RequestHandoverOfDCCControlledDevice', ...fields(r), digitalSigning: r.ds },
  });
}

/** Unsigned 6.15.1 Update Security Credentials (KRP), the first leg (CV 4). */
export function updateXml(r: CredentialsRequest, commandVariant = 4): string {
  return buildRequest({
    requestId: { originator: r.sender, target: r.target, counter: r.counter },
    commandVariant,
    body: { kind: 'UpdateSecurityCredentialsKRP', ...fields(r) },
  });
}

/** Unsigned 6.24.1 Retrieve Device Security Credentials (KRP) (CV 1). */
export function retrieveXml(sender: Eui, target: Eui, counter: bigint): string {
  return buildRequest({
    requestId: { originator: sender, target, counter },
    commandVariant: 1,
    body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'NetworkOperator'] },
  });
}

/** Unsigned 8.2 Read Inventory by MPxN (CV 8), to the DCC. */
export function inventoryXml(sender: Eui, mpxn: string, counter: bigint): string {
  return buildRequest({
    requestId: { originator: sender, target: '90B3D51F30000002', counter },
    commandVariant: 8,
    body: { kind: 'ReadInventory', by: { mpxn } },
  });
}

/** The issuing CA's subject as the world's OCA has it (OU=07, CN, PrintableString). */
function ocaSubject(world: World): Buffer {
  const f = world.certificateFacts(Number(world.meta(META.issuingCaId)));
  const ou = /OU=([^,]+)/.exec(f.subjectDn)?.[1] ?? '07';
  const cn = /CN=([^,]+)/.exec(f.subjectDn)?.[1] ?? 'S1';
  return encodeName([
    { type: 'OU', value: ou, encoding: 'printable' },
    { type: 'CN', value: cn, encoding: 'printable' },
  ]);
}

export interface OrgCertSpec {
  eui: Eui;
  role: number;
  usage: KeyUsage;
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * An organisation certificate signed by the world's issuing CA, built field by field like
 * issueOrganisationCertificate, then passed through `tweak` to break exactly one thing.
 */
export function craftOrgCert(world: World, o: OrgCertSpec, tweak: (spec: CertificateSpec) => CertificateSpec = (s) => s): Buffer {
  const oca = world.caHandle(META.issuingCaId);
  const keys = generateKeyPair();
  const issuer = ocaSubject(world);
  const spec: CertificateSpec = {
    issuer,
    subject: [{ type: 'OU', value: roleHex(o.role), encoding: 'utf8' }, euiUniqueIdentifier(o.eui)],
    notBefore: o.notBefore ?? new Date('2024-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2033-12-31T23:59:59Z'),
    publicKey: keys.publicKey,
    signingKey: oca.privateKey,
    extensions: [
      keyUsageExtension(o.usage),
      subjectKeyIdentifierExtension(smkiKeyIdentifier(keys.publicKey)),
      certificatePoliciesExtension([SMKI_TEST_POLICY_OID]),
      authorityKeyIdentifierExtension(Buffer.from(oca.facts.ski, 'hex')),
    ],
  };
  return buildCertificate(tweak(spec));
}

/** An organisation certificate from a CA hierarchy the world does not know (a foreign root and OCA). */
export function foreignOrgCert(o: OrgCertSpec): Buffer {
  const root = createRootCa({ commonName: 'XA', keyPair: generateKeyPair(), notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2049-12-31T23:59:59Z') });
  const oca = issueIssuingCa(root, { commonName: 'X1', keyPair: generateKeyPair(), notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2049-12-31T23:59:59Z') });
  return issueOrganisationCertificate(oca, {
    eui: o.eui,
    role: o.role,
    keyUsage: o.usage,
    publicKey: generateKeyPair().publicKey,
    notBefore: o.notBefore ?? new Date('2024-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2033-12-31T23:59:59Z'),
  });
}

/** The first device of a type matching a predicate over it, its registration and its cells' holders. */
export function pickDevice(
  world: World,
  type: DeviceRecord['type'],
  pred: (d: DeviceRecord, reg: { supplier: Eui | null; no: Eui }, holders: Record<string, string | null>) => boolean,
): DeviceRecord & { supplier: Eui; no: Eui } {
  const { devices } = world.store.listDevices({ type, limit: 100_000 });
  for (const d of devices) {
    const sp = d.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
    const s = world.store.getDeviceSecurity(d.eui);
    const holders: Record<string, string | null> = {};
    for (const [cell, id] of Object.entries(s?.cells ?? {})) holders[cell] = world.certificate(id as number).subjectEui;
    const reg = { supplier: sp?.supplierEui ?? null, no: sp?.networkOperatorEui ?? '' };
    if (pred(d, reg, holders)) return { ...d, supplier: reg.supplier ?? '', no: reg.no };
  }
  throw new Error(`no ${type} in the test world matches`);
}
