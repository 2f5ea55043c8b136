import { PkiError } from './errors.ts';

/** An EUI-64 entity identifier: 16 upper-case hex digits, no separators, e.g. '90B3D51F30020000'. */
export type Eui = string;

const EUI_PLAIN = /^[0-9A-Fa-f]{16}$/;
const EUI_DASHED = /^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$/;

/** Normalises an EUI-64 written plain or in the DUIS dashed form; throws PkiError('bad-eui') otherwise. */
export function parseEui(text: string): Eui {
  if (typeof text !== 'string') throw new PkiError('bad-eui', `EUI must be a string, got ${typeof text}`);
  if (EUI_PLAIN.test(text)) return text.toUpperCase();
  if (EUI_DASHED.test(text)) return text.replaceAll('-', '').toUpperCase();
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  throw new PkiError('bad-eui', `'${shown}' is not an EUI-64: expected 16 hex digits, plain or as 8 dash-separated pairs`);
}

/** The DUIS form of an EUI: '90-B3-D5-1F-30-02-00-00'. */
export function dashedEui(eui: Eui): string {
  const plain = parseEui(eui);
  return plain.match(/../g)!.join('-');
}

/** Converts an 8-byte hwSerialNum / x500UniqueIdentifier value to an Eui. */
export function euiFromBytes(bytes: Uint8Array): Eui {
  if (bytes.length !== 8) throw new PkiError('bad-eui', `an EUI-64 is 8 bytes, got ${bytes.length}`);
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

export function euiToBytes(eui: Eui): Buffer {
  return Buffer.from(parseEui(eui), 'hex');
}

/**
 * RemotePartyRole codes, as carried hex-encoded in the subject OU of SMKI certificates.
 * 0-7 and 127 are GBCS values; 8, 135 and 137 come from DCC Boxed (smki.md §4).
 */
export const RemotePartyRole = {
  Root: 0,
  Recovery: 1,
  Supplier: 2,
  NetworkOperator: 3,
  AccessControlBroker: 4,
  TransitionalCoS: 5,
  WanProvider: 6,
  IssuingAuthority: 7,
  LoadController: 8,
  Other: 127,
  XmlSign: 135,
  DspXmlSign: 137,
} as const;

export type RemotePartyRoleCode = number;

const ROLE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'root'],
  [1, 'recovery'],
  [2, 'supplier'],
  [3, 'networkOperator'],
  [4, 'accessControlBroker'],
  [5, 'transitionalCoS'],
  [6, 'wanProvider'],
  [7, 'issuingAuthority'],
  [8, 'loadController'],
  [127, 'other'],
  [135, 'xmlSign'],
  [137, 'dspXmlSign'],
]);

/** 'networkOperator' for 3, ...; unknown codes read 'role 0x2A' so a message stays meaningful. */
export function roleName(code: number): string {
  return ROLE_NAMES.get(code) ?? `role 0x${roleHex(code)}`;
}

/** The two-hex-digit OU form of a role code (3 -> '03', 135 -> '87'). */
export function roleHex(code: number): string {
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    throw new PkiError('bad-role', `remote party role must be an integer 0..255, got ${code}`);
  }
  return code.toString(16).toUpperCase().padStart(2, '0');
}

export type KeyUsage = 'DS' | 'KA';

/**
 * Which key usages each role's organisation certificates may carry (smki.md §4 role table).
 * Root and issuing authority are CA roles and have no leaf certificates.
 */
export const ROLE_KEY_USAGES: ReadonlyMap<number, readonly KeyUsage[]> = new Map<number, readonly KeyUsage[]>([
  [1, ['DS']],
  [2, ['DS', 'KA']],
  [3, ['DS', 'KA']],
  [4, ['DS', 'KA']],
  [5, ['DS']],
  [6, ['DS']],
  [8, ['DS', 'KA']],
  [127, ['DS', 'KA']],
  [135, ['DS']],
  [137, ['DS']],
]);

/** XML-signing roles: sign DUIS, never placed on devices. */
export function isXmlSigningRole(code: number): boolean {
  return code === RemotePartyRole.XmlSign || code === RemotePartyRole.DspXmlSign;
}

// The DCC's vocabulary beyond certificates, declared once here (the bottom room) so that every room
// names devices, users and the DCC's own parties alike.

/** DCC User roles (DUIS): import, export and gas supplier, electricity distributor, gas transporter, registered supplier agent, other user. */
export const USER_ROLES = ['IS', 'ES', 'GS', 'ED', 'GT', 'RSA', 'OU'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * The device types dcc-sim's inventory holds. Its emulators speak for the first six (PPMID and HCALCS: for the
 * HAN services); IHD and CAD are Type 2 devices: no SMKI certificates and no GBCS commands from the DCC, known
 * to the DCC only as inventory entries, hub device-log entries and joins (rules-and-data.md).
 */
export const DEVICE_TYPES = ['ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS', 'IHD', 'CAD'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Type 1 devices: SMKI certificates in their trust-anchor cells, and GBCS commands from the DCC (the CS02 use cases run on each). */
export const TYPE1_DEVICE_TYPES = ['ESME', 'GSME', 'GPF', 'CHF', 'PPMID', 'HCALCS'] as const satisfies readonly DeviceType[];

/** Type 2 devices: an In-Home Display and a Consumer Access Device. */
export const TYPE2_DEVICE_TYPES = ['IHD', 'CAD'] as const;
export function isType2(type: string): type is (typeof TYPE2_DEVICE_TYPES)[number] {
  return (TYPE2_DEVICE_TYPES as readonly string[]).includes(type);
}

/** The DCC's own parties. The ACB's EUI is also the DCC's: target of non-device requests, sender of DSP-signed responses. */
export const DCC_PARTIES = {
  accessControlBroker: '90B3D51F30000002',
  recovery: '90B3D51F30000001',
  transitionalCoS: '90B3D51F30000004',
  wanProvider: '90B3D51F30000007',
} as const satisfies Record<string, Eui>;

/** The DCC's EUI (its Access Control Broker's). */
export const DCC_EUI: Eui = DCC_PARTIES.accessControlBroker;
