/**
 * Why an inbound DUIS document was refused, at which step, and which DUIS ResponseCode to answer with.
 *
 * DUIS Appendix AD was not available when this was written (duis.md §2.4): the codes below are an
 * inferred, documented choice, kept in one table so that they can be changed in one place.
 * - E100 for anything wrong with the document itself (size, unsafe or malformed XML, schema,
 *   inconsistent header/body, content that is not what its type says, services dcc-sim does not
 *   implement). It is the one generic, non-service-specific E-code of the XSD whose meaning is not
 *   known to be taken by an authorisation, device or communication failure.
 * - E12 "Command Variant not applicable to the Request type" (3P transcription of DUIS) for a
 *   CommandVariant that does not fit the service.
 * - E1 "Invalid User / User Role" for a signature that cannot be checked or does not verify: the
 *   sender is then not established as the User it claims to be.
 */
export type DuisRejectionStep =
  | 'size'
  | 'xml'
  | 'schema'
  | 'unsupported'
  | 'consistency'
  | 'command-variant'
  | 'content'
  | 'signature';

export const REJECTION_RESPONSE_CODES: Readonly<Record<DuisRejectionStep, string>> = {
  size: 'E100',
  xml: 'E100',
  schema: 'E100',
  unsupported: 'E100',
  consistency: 'E100',
  'command-variant': 'E12',
  content: 'E100',
  signature: 'E1',
};

/**
 * Header values already read when the rejection happened; each one is present only when it is
 * itself schema-valid, so an error response may echo it.
 */
export interface DuisRejectionContext {
  requestId?: string;
  serviceReference?: string;
  serviceReferenceVariant?: string;
}

export class DuisRejection extends Error {
  readonly responseCode: string;
  readonly reason: string;
  readonly step: DuisRejectionStep;
  readonly context: DuisRejectionContext;

  constructor(step: DuisRejectionStep, reason: string, context: DuisRejectionContext = {}, responseCode?: string) {
    super(`DUIS ${step} check failed: ${reason}`);
    this.name = 'DuisRejection';
    this.step = step;
    this.reason = reason;
    this.responseCode = responseCode ?? REJECTION_RESPONSE_CODES[step];
    this.context = context;
  }
}
