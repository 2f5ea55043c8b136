/**
 * Building a compact, unsigned DUIS request from typed fields, for `dcc-sim send` and the tests.
 * Values are checked against their XSD types; a value that does not fit is a RangeError naming
 * the field. Sign the result with signDuis.
 */
import type { RequestBody } from './body-kit.ts';
import { DEFAULT_SCHEMA_VERSION } from './model.ts';
import type { RequestId } from './model.ts';
import { checkSchemaVersion, requestIdText, requestRootStart } from './response.ts';
import { XML_DECLARATION, el, escapeAttribute, textEl } from './xml-write.ts';
import { SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS } from './xsd-enums.ts';

export interface BuildRequestInput<B extends RequestBody = RequestBody> {
  /** default 5.4 */
  schemaVersion?: string;
  requestId: string | RequestId | { originator: string; target: string; counter: bigint | number };
  firstInSequence?: boolean;
  precedingRequestId?: string | RequestId;
  commandVariant: number;
  /** default: the service of the body; for a SignedPreCommand 6.15 / 6.15.1 */
  serviceReference?: string;
  serviceReferenceVariant?: string;
  body: B;
}

/**
 * A compact, unsigned sr:Request around a body the service registry wrote: `service` is the
 * header's default service, `bodyContent` writes the body element's children (after the header's
 * own checks, so a bad header is reported first).
 */
export function buildDuisEnvelope<B extends RequestBody>(
  r: BuildRequestInput<B>,
  service: { serviceReference: string; serviceReferenceVariant: string },
  bodyContent: () => string,
  bodyAttributes: () => Readonly<Record<string, string>> = () => ({}),
): string {
  const schemaVersion = checkSchemaVersion(r.schemaVersion ?? DEFAULT_SCHEMA_VERSION, 'schemaVersion');
  const serviceReference = r.serviceReference ?? service.serviceReference;
  const serviceReferenceVariant = r.serviceReferenceVariant ?? service.serviceReferenceVariant;
  if (!SERVICE_REFERENCES.includes(serviceReference)) throw new RangeError(`serviceReference: ${JSON.stringify(serviceReference)} is not a DUIS ServiceReference`);
  if (!SERVICE_REFERENCE_VARIANTS.includes(serviceReferenceVariant)) throw new RangeError(`serviceReferenceVariant: ${JSON.stringify(serviceReferenceVariant)} is not a DUIS ServiceReferenceVariant`);
  if (!Number.isInteger(r.commandVariant) || r.commandVariant < 1 || r.commandVariant > 9) throw new RangeError(`commandVariant: ${r.commandVariant} is not 1..9`);
  let header = textEl('RequestID', requestIdText(r.requestId, 'requestId'));
  if (r.firstInSequence !== undefined) header += textEl('FirstInSequence', String(r.firstInSequence));
  if (r.precedingRequestId !== undefined) header += textEl('PrecedingServiceRequestID', requestIdText(r.precedingRequestId, 'precedingRequestId'));
  header += textEl('CommandVariant', String(r.commandVariant)) + textEl('ServiceReference', serviceReference) +
    textEl('ServiceReferenceVariant', serviceReferenceVariant);
  const content = bodyContent();
  // Attributes of the body element itself (7.13's and 7.16's auxiliaryControllerN), escaped
  const attributes = Object.entries(bodyAttributes()).map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`).join('');
  const body = attributes ? `<sr:${r.body.kind}${attributes}>${content}</sr:${r.body.kind}>` : el(r.body.kind, content);
  return `${XML_DECLARATION}${requestRootStart(schemaVersion)}${el('Header', header)}${el('Body', body)}</sr:Request>`;
}
