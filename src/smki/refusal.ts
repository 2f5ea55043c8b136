// Why the SMKI services said no: an HTTP status, a stable code for programs and a reason for people.

export type SmkiRefusalCode =
  | 'bad-request' // the envelope or search is malformed
  | 'unsigned' // a device CSR came without the requester's signature
  | 'unknown-signer' // no XML-signing certificate of the requester with that serial
  | 'signer-revoked'
  | 'bad-signature'
  | 'unknown-party'
  | 'not-authorised-subscriber' // MP074: not an Authorised Subscriber for Device Certificates
  | 'uept-not-completed' // MP074: User Entry Process Tests not completed
  | 'wrong-interface' // MP074: device certificates only over the DCC Gateway connection
  | 'bad-csr'
  | 'csr-signature'
  | 'csr-profile'
  | 'device-mismatch' // the envelope's DeviceID is not the EUI the CSR names
  | 'not-a-device' // the CSR names an EUI that is a party, not a device
  | 'unknown-device'
  | 'cannot-issue'
  | 'not-found'
  | 'unknown-certificate'
  | 'already-revoked';

export class SmkiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: SmkiRefusalCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SmkiRefusal';
  }
}

/** The MP074 sentence every portal refusal of a device certificate carries. */
export const MP074_DEVICE_CERTIFICATES =
  'MP074: SMKI Device Certificates are obtained only over a DCC Gateway connection (the DUIS gateway listener), by Authorised Subscribers for Device Certificates who have completed User Entry Process Tests; the SMKI portal interface serves Organisation Certificates only';
