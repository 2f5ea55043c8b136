/**
 * The DUIS request/response model as dcc-sim sees it: namespaces, RequestID, the request envelope
 * (each service module declares its own body) and the response contents the services produce.
 */
import type { Eui } from '../../pki/index.ts';

export const SR_NS = 'http://www.dccinterface.co.uk/ServiceUserGateway';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const RA_NS = 'http://www.dccinterface.co.uk/ResponseAndAlert';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The DCC's own EUI: target of non-device requests, sender of DSP-signed responses. */
export { DCC_EUI } from '../../pki/index.ts';

export const DEFAULT_SCHEMA_VERSION = '5.4';

/** A parsed RequestID (or ResponseID): `originator:target:counter`, EUIs dashed in `text`. */
export interface RequestId {
  originator: Eui;
  target: Eui;
  /** 0..2^64-1 */
  counter: bigint;
  /** the canonical DUIS form, upper-case dashed EUIs: '90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1001' */
  text: string;
}

export const REMOTE_PARTY_ROLE_NAMES = ['ACB', 'NetworkOperator', 'Recovery', 'Root', 'Supplier', 'TransCoS', 'LoadController'] as const;
export type RemotePartyRoleName = (typeof REMOTE_PARTY_ROLE_NAMES)[number];

export interface SignerIdentity {
  /** as written in X509IssuerName, e.g. 'CN=Z1,OU=07' */
  issuerName: string;
  /** X509SerialNumber in canonical decimal (no sign, no leading zeros) */
  serialDecimal: string;
}

/** A parsed DUIS request around the body a service module read (see service-requests/registry.ts). */
export interface DuisEnvelope<B extends { kind: string }> {
  schemaVersion: string;
  requestId: RequestId;
  firstInSequence?: boolean;
  precedingRequestId?: RequestId;
  commandVariant: number;
  serviceReference: string;
  serviceReferenceVariant: string;
  body: B;
  /** from ds:Signature/KeyInfo; null when the request carries no signature */
  signer: SignerIdentity | null;
  /** the document text exactly as received (decoded), to be handed to verifyDuisSignature */
  xml: string;
}

/** A query of the smart metering inventory (8.2's body, and what the DCC looks up). */
export type InventoryQuery =
  | { uprn: string }
  | { deviceId: Eui }
  | { mpxn: string }
  /** The XSD requires AddressIdentifier; an absent one travels as an empty element and parses as absent. */
  | { postCode: string; addressIdentifier?: string };

// ---- responses ----

export interface InventoryDevice {
  deviceId: Eui;
  deviceType: string;
  deviceStatus?: string;
  deviceManufacturer: string;
  deviceModel: string;
  smetsChtsVersion?: string;
  deviceFirmwareVersion?: string;
  deviceFirmwareVersionStatus?: string;
  cplStatus?: string;
  /** xs:date, e.g. '2025-12-28' or '2025-12-28Z' */
  dateCommissioned?: string;
  importMpxn?: string;
  secondaryImportMpan?: string;
  exportMpan?: string;
  esmeVariant?: string;
  uprn?: string;
  propertyFilter?: { postCode: string; addressIdentifier: string };
  cspRegion?: string;
  deviceGbcsVersion?: string;
  hanVariant?: string;
  s1sp?: string;
  connectivity?: string;
}

/** 12.1: the premises asked about, by UPRN or by postcode and address identifier. */
export type WanMatrixRequest = { uprn: string } | { postCode: string; addressIdentifier: string };

/** 12.1: one CSP region's answer for the premises. */
export interface WanMatrixRegion {
  cspRegion: string;
  /** the region's own response code (I0 when it answers) */
  responseCode: string;
  coverage?: {
    available: boolean;
    /** xs:date, when coverage is not available yet */
    anticipatedDate?: string;
    wanTechnology: string;
    likelihood: 'High' | 'Medium' | 'Low';
    auxiliaryEquipment?: string;
    additionalInformation?: string;
  };
}

export interface FutureDatedDeviceAlert {
  alertCode: '8F66' | '8F67';
  gbcsPayload: Buffer;
  instructionNumber: number;
  totalCommandInstructions: number;
}

/** What a ResponseMessage carries after ServiceReference/Variant, for the supported services. */
export type ResponseContent =
  /** 6.15.1 with CV 4: the pre-command to be signed by the user */
  | { preCommand: { gbcsVersion: string; gbcsPayload: Buffer } }
  /** device responses (CV 1/5 outcomes) */
  | { gbcsPayload: Buffer }
  /** CV 2/6: the command for local delivery */
  | { localCommand: { gbcsPayload: Buffer } }
  /** 9.1: the device's response and the Customer Identification Number the DCC set on it */
  | { cinMessage: { gbcsPayload: Buffer; cin: string } }
  /** 8.2 */
  | { dspInventory: InventoryDevice[] }
  /** 12.1 */
  | { dspWanMatrix: { request: WanMatrixRequest; regions: WanMatrixRegion[] } }
  /** the outcome of a future-dated command, alert 0x8F66 (success) or 0x8F67 (failure) */
  | { futureDatedDeviceAlert: FutureDatedDeviceAlert }
  /** 5.1: the ID of the schedule made */
  | { dspScheduleId: number }
  /** 5.2: the schedules read (writing needs each one's DSPScheduleDetails children; reading gives its variant and device) */
  | { dspSchedulesRead: { id: number; detailsXml?: string; serviceReferenceVariant?: string; deviceId?: string }[] }
  /** a read the DCC sent on a schedule: the device's response and the schedule's ID */
  | { dspScheduledMessage: { gbcsPayload: Buffer; scheduleId: number } };

export type ResponseBody =
  | { kind: 'ResponseMessage'; serviceReference: string; serviceReferenceVariant: string; content?: ResponseContent; otherContent?: string }
  | { kind: 'DeviceAlertMessage'; alertCode: string; throttledAlertSequenceId?: number; throttledAlertCount?: number; gbcsPayload: Buffer }
  | { kind: 'DCCAlertMessage'; dccAlertCode: string }
  | { kind: 'SMETS1ResponseMessage' };

export interface DuisResponse {
  schemaVersion: string;
  requestId?: RequestId;
  responseId?: RequestId;
  responseCode: string;
  responseDateTime: Date;
  body: ResponseBody;
  signer: SignerIdentity | null;
  xml: string;
}
