/**
 * The DCC's SMKI services (MP074):
 * - the Ad Hoc Device CSR service, on the DCC Gateway connection (the DUIS listener) only, for
 *   Authorised Subscribers for Device Certificates who have completed UEPT (src/api/smki.ts mounts it);
 * - the SMKI portal interface, a listener of its own (DCC Boxed's 8083): organisation and CA
 *   certificates only — search and retrieval in DCC Boxed's XML and as JSON, and org-certs.zip.
 * See docs/smki.md. Other folders import only this file.
 */
export { SmkiRefusal, MP074_DEVICE_CERTIFICATES } from './refusal.ts';
export type { SmkiRefusalCode } from './refusal.ts';
export { parseDeviceCsr, csrDer } from './csr.ts';
export type { DeviceCsr } from './csr.ts';
export {
  SMKI_NS, buildDeviceCsrEnvelope, signDeviceCsrEnvelope, handleDeviceCsr, deviceCsrAnswer,
} from './device-csr.ts';
export type { DeviceCsrContext, DeviceCertificateIssued, SmkiInterface } from './device-csr.ts';
export { PORTAL_KINDS, statusOf, searchPortal, retrievePortal, certificateJson, organisationCertificatesZip } from './repository.ts';
export type { CertificateStatusLetter, PortalQuery } from './repository.ts';
export { buildPortalApp, startPortal } from './portal.ts';
export type { PortalOptions, RunningPortal } from './portal.ts';
