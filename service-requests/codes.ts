// DUIS response codes dcc-sim answers with, and why. The normative DUIS table (SEC Appendix AD) was
// not available; the two-digit codes follow a transcription of it (duis.md §2.4) and the
// service-specific codes are dcc-sim's own assignment within the ranges the 5.4 XSD defines.
// Every rejection also carries a readable reason (X-DCC-Sim-Reason header, request log).

export const Codes = {
  success: 'I0',
  acknowledged: 'I99',
  /** the signer is not established as the User it claims to be (signature, certificate) */
  invalidUser: 'E1',
  /** the User's roles may not send this service */
  roleNotAllowed: 'E2',
  /** the User is not in a state to send (not a DCC User) */
  userStatus: 'E3',
  /** the User is not the one registered for this device in the required role */
  notAuthorisedForDevice: 'E4',
  /** the device's SMI status does not permit the service */
  deviceStatus: 'E5',
  /** the service is not valid for this device type */
  deviceType: 'E11',
  /** the command variant is not applicable to this request */
  commandVariant: 'E12',
  /** the request type is not valid for the URL it was sent to */
  wrongEndpoint: 'E13',
  /** the DCC cannot communicate with the device (its comms hub is unreachable) */
  cannotCommunicate: 'E20',
  /** no response from the device (it discarded the command, e.g. failed authentication) */
  noResponse: 'E21',
  /** no such device in the inventory */
  unknownDevice: 'E19',
  /** anything wrong with the document itself: size, XML, schema, RequestID, counter */
  invalidRequest: 'E100',
} as const;

/** 6.15.1 Update Security Credentials (KRP) and 6.15.2 (Device): dcc-sim's assignment of the E0615xx codes. */
export const Codes0615 = {
  certificateInvalid: 'E061501', // not a certificate / not the SMKI organisation profile
  roleOrUsage: 'E061504', // role (OU) is not the RemotePartyRole, or key usage does not fit the slot
  certificationPath: 'E061505', // does not chain through CertificationPathCertificates to the SMKI root
  revoked: 'E061506',
  outOfDate: 'E061507', // outside its validity while ApplyTimeBasedCPVChecks is true
  preCommand: 'E061508', // signed pre-command: none issued, already used, altered, or badly signed
  networkOperator: 'E061509', // SECMP0063 / MP128 network operator check
} as const;

/** 6.21 Request Handover of DCC Controlled Device: dcc-sim's assignment of the E0621xx codes. */
export const Codes0621 = {
  certificateInvalid: 'E062101',
  roleOrUsage: 'E062102',
  certificationPath: 'E062103', // path, revocation or validity
  networkOperator: 'E062105',
} as const;

/** 6.24.2 Retrieve Device Security Credentials (Device): dcc-sim's assignment of the E0624xx codes. */
export const Codes0624 = {
  preCommand: 'E062401', // signed pre-command: none issued, already used, altered, or badly signed
} as const;

/** 8.2 Read Inventory: dcc-sim's assignment of the E0802xx codes. */
export const Codes0802 = {
  noMatch: 'E080201', // nothing in the inventory matches the query (a DSPInventory must list 1 to 17 devices)
} as const;
