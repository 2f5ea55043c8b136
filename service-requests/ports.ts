import type { KeyObject } from 'node:crypto';
import type { CertificateFacts, DeviceType, Eui, KeyUsage, UserRole } from '../pki/index.ts';
import type { InventoryQuery } from './duis/index.ts';

// What the DUIS pipeline needs to know about the world, as a small interface: the gateway
// wires it to the SQLite world, tests may wire it to anything. Nothing here writes.

export interface PartyInfo {
  eui: Eui;
  name: string;
  userRoles: readonly UserRole[];
  dccUser: boolean;
  isDcc: boolean;
}

export interface DeviceInfo {
  eui: Eui;
  type: DeviceType;
  status: string;
  mpxn: string | null;
  commsHubEui: string | null;
  /** an ESME's variant from the inventory (8.4, 12.2): A single element, B twin element, C polyphase, with options */
  esmeVariant?: string;
  /** an ESME's export MPAN: its registered supplier is the Export Supplier, who alone sends the export services */
  exportMpan?: string;
}

export interface SupplyPointInfo {
  mpxn: string;
  fuel: 'E' | 'G';
  networkOperatorEui: Eui;
  supplierEui: Eui | null;
}

export interface RepositoryCertificate {
  facts: CertificateFacts;
  revoked: boolean;
}

export interface InventoryEntry {
  eui: Eui;
  type: string;
  status: string;
  manufacturer: string;
  model: string;
  firmware: string;
  commissionedAt: string | null;
  mpxn: string | null;
  uprn: number | null;
  postcode: string | null;
  address: string | null;
  smetsChtsVersion?: string;
  esmeVariant?: string;
  secondaryImportMpan?: string;
  exportMpan?: string;
  /** a GSME's GPF */
  associatedGpf?: Eui;
  /** the party that pre-notified the device (12.2) */
  addedBy?: Eui;
  /** registration data of its MPxN: the registered supplier (null: none, or no MPxN) */
  supplierEui: Eui | null;
}


export interface GatewayOptions {
  /** SECMP0063: the NO certificate must be the registered network operator's. On by default. */
  networkOperatorCheck: boolean;
  maxRequestBytes: number;
}

export interface DccCredentials {
  /** the ACB's GBCS digital-signing key and certificate: signs commands the DCC originates (6.21) */
  acbDsKey: KeyObject;
  acbDsCertificate: CertificateFacts;
  /** the ACB's key-agreement key: the MAC on every command (ECDH with the device's KA key) */
  acbKaKey: KeyObject;
}

export interface GatewayPorts {
  now(): Date;
  party(eui: Eui): PartyInfo | undefined;
  /** certificates in the SMKI repository with this serial (decimal) */
  certificatesBySerial(serialDecimal: string): RepositoryCertificate[];
  /** an organisation certificate is revoked when the repository says so (by fingerprint or issuer+serial) */
  isRevoked(facts: CertificateFacts): boolean;
  /** the party's GBCS organisation certificates of a role and usage (to check signed pre-commands) */
  organisationCertificates(eui: Eui, role: number, usage: KeyUsage): RepositoryCertificate[];
  lastCounter(originator: Eui): bigint | undefined;
  device(eui: Eui): DeviceInfo | undefined;
  supplyPoint(mpxn: string): SupplyPointInfo | undefined;
  /** SMKI trust anchors for DCC-side certification path validation */
  trustAnchors(): Buffer[];
  /** the device CA and the root above it: a device certificate's path (6.15.2); absent: not checked */
  deviceCaPath?(): { intermediates: Buffer[]; anchors: Buffer[] };
  preCommand(requestId: string): { targetEui: Eui; serviceVariant: string; payload: Buffer; consumed: boolean } | undefined;
  dccCredentials(): DccCredentials;
  /** the device's key-agreement public key (65-octet point, as its KA certificate carries it), for the ACB MAC */
  deviceKeyAgreementKey(eui: Eui): Uint8Array;
  inventory(q: InventoryQuery): InventoryEntry[];
  /** the EUI of the party whose certificate a device's cell holds (the DCC tracks credentials it placed) */
  cellHolder(deviceEui: Eui, cell: 'networkOperatorDS' | 'supplierDS'): Eui | undefined;
}
