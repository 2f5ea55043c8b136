/**
 * The SMKI room: EUIs and role codes, P-256 keys, certificate facts, issuance with the SMKI profiles,
 * the profile validator and path validation, and the DCC Boxed keystore format.
 * Other rooms import only this file.
 */
export { PkiError } from './errors.ts';
export {
  parseEui, dashedEui, euiFromBytes, RemotePartyRole, roleName, roleHex, ROLE_KEY_USAGES, isXmlSigningRole,
  USER_ROLES, DEVICE_TYPES, TYPE1_DEVICE_TYPES, TYPE2_DEVICE_TYPES, isType2, DCC_PARTIES, DCC_EUI,
} from './vocabulary.ts';
export type { Eui, RemotePartyRoleCode, KeyUsage, UserRole, DeviceType } from './vocabulary.ts';
export {
  deriveKeyPair, deriveScalarKey, ScalarKey, generateKeyPair, privateKeyToPkcs8, privateKeyFromPkcs8, privateKeyFromPem, publicKeyFromRaw, rawPublicKey, privateScalar,
} from './keys.ts';
export type { KeyPair, P256PrivateKey } from './keys.ts';
export { describeCertificate, certificateFingerprint, certificateToPem, certificateFromPem, verifyIssuedBy } from './certificate.ts';
export type { CertificateKind, CertificateFacts, CertificateExtension } from './certificate.ts';
export { SMKI_TEST_POLICY_OID, OID } from './oids.ts';
export {
  buildCertificate, encodeName, keyUsageExtension, smkiKeyIdentifier, subjectKeyIdentifierExtension,
  authorityKeyIdentifierExtension, basicConstraintsExtension, certificatePoliciesExtension, deviceSubjectAltNameExtension,
  euiUniqueIdentifier, createRootCa, issueIssuingCa, issueDeviceCa, issueOrganisationCertificate, issueDeviceCertificate,
  DEVICE_NOT_AFTER,
} from './issue.ts';
export type {
  CertificateSpec, NameSpec, NameAttributeSpec, ExtensionSpec, CaHandle, CaOptions, OrganisationCertificateOptions, DeviceCertificateOptions,
} from './issue.ts';
export { checkProfile } from './profile.ts';
export type { ProfileProblem, ProfileExpectation } from './profile.ts';
export { validatePath } from './path.ts';
export type { PathResult, PathOptions } from './path.ts';
export { readDccBoxedKeystore, writeDccBoxedKeystore } from './keystore.ts';
export type { KeystoreEntry } from './keystore.ts';
