/**
 * DUIS messages: safe parsing and schema checks of requests, XMLDSig in the DCC profile, building
 * and parsing responses and alerts, an optional full XSD validator. Other folders import this file.
 */
export { DuisRejection, REJECTION_RESPONSE_CODES } from './rejection.ts';
export type { DuisRejectionStep, DuisRejectionContext } from './rejection.ts';
export { SR_NS, DS_NS, RA_NS, DCC_EUI, DEFAULT_SCHEMA_VERSION, REMOTE_PARTY_ROLE_NAMES } from './model.ts';
export type {
  RequestId, RemotePartyRoleName, InventoryQuery, SignerIdentity, DuisEnvelope, InventoryDevice, FutureDatedDeviceAlert, ResponseContent, WanMatrixRequest, WanMatrixRegion,
  ResponseBody, DuisResponse,
} from './model.ts';
export { SERVICE_MATRIX, serviceFacts, CRITICAL_SERVICE_REFERENCE_VARIANTS } from './service-matrix.ts';
export type { ServiceFacts, FutureDatedResponse } from './service-matrix.ts';
export * as bodyKit from './body-kit.ts';
export type { BodyCodec, BodyReadContext, RequestBody } from './body-kit.ts';
export { indentXml } from './xml-write.ts';
export { DEFAULT_MAX_DUIS_BYTES, MAX_ELEMENT_DEPTH, MAX_ELEMENTS, MAX_ATTRIBUTES_PER_ELEMENT } from './safe-xml.ts';
export { parseDuisEnvelope, parsedDocumentOf } from './request.ts';
export type { ParseRequestOptions, RequestBodies } from './request.ts';
export { buildDuisEnvelope } from './request-build.ts';
export type { BuildRequestInput } from './request-build.ts';
export { buildResponse, buildDeviceAlert, parseDuisResponse, canonicalOwnResponse, signResponse } from './response.ts';
export type { BuildResponseInput, BuildDeviceAlertInput, ParseResponseOptions } from './response.ts';
export { signDuis, signDuisCanonical, verifyDuisSignature, verifyDuisSignatureOfDocument, readDuisSigner, EXC_C14N, ECDSA_SHA256, ENVELOPED_SIGNATURE, SHA256 } from './xmldsig.ts';
export type { DuisSigner, DuisSignatureCheck, VerifyOptions } from './xmldsig.ts';
export { createXsdValidator } from './xsd.ts';
export type { DuisXsdValidator } from './xsd.ts';
export { formatRequestId } from './values.ts';
export { RESPONSE_CODES } from './xsd-enums.ts';
