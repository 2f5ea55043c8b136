/**
 * Reading an inbound DUIS request envelope: safe XML, then the schema of the envelope and header as
 * own code, the body element handed to the codec of the service that serves it (RequestBodies, from
 * the service registry), then header/body consistency and CommandVariant, then the content of typed
 * values (certificates), then the signature's shape. Verification of the signature itself is
 * verifyDuisSignature(), once the caller has found the signer's key.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { describeCertificate } from '../../pki/index.ts';
import type { BodyCodec, RequestBody } from './body-kit.ts';
import { Sequence, StructureError, checkAttributes, displayName } from './dom.ts';
import { DS_NS, SR_NS } from './model.ts';
import type { DuisEnvelope, RequestId } from './model.ts';
import { DuisRejection } from './rejection.ts';
import type { DuisRejectionContext } from './rejection.ts';
import { decodeXmlInput, parseXml } from './safe-xml.ts';
import { readSignatureProfile } from './xmldsig.ts';
import { REQUEST_BODY_ELEMENTS, SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS } from './xsd-enums.ts';
import { isXsDecimal, collapse } from './xsd-types.ts';
import { readBase64, readBoolean, readInteger, readRequestId, readStringEnum } from './values.ts';

export interface ParseRequestOptions {
  /** size limit in bytes (default DEFAULT_MAX_DUIS_BYTES) */
  maxBytes?: number;
}

/** The request bodies a reader understands: the service registry's, in dcc-sim. */
export interface RequestBodies<B extends RequestBody> {
  /** the codec of a body element a service is registered for, else undefined (answered 'unsupported') */
  codec(element: string): BodyCodec<B> | undefined;
  /** names what is supported, for the 'unsupported' refusal */
  supportedList(): string;
  /** the service's own header/body consistency and CommandVariant rules; throws DuisRejection */
  checkService(body: B, commandVariant: number, serviceReferenceVariant: string, ctx: DuisRejectionContext): void;
}

interface CertificateField {
  path: string;
  der: Buffer;
}

/** Header/body consistency that holds for every service, then the service's own rules. */
function checkService<B extends RequestBody>(bodies: RequestBodies<B>, body: B, cv: number, sr: string, srv: string, ctx: DuisRejectionContext): void {
  if (srv !== sr && !srv.startsWith(`${sr}.`)) {
    throw new DuisRejection('consistency', `ServiceReferenceVariant ${srv} does not belong to ServiceReference ${sr}`, ctx);
  }
  if (cv === 9) throw new DuisRejection('command-variant', 'CommandVariant 9 is internal to the DCC and not available to Users', ctx);
  bodies.checkService(body, cv, srv, ctx);
}

function readRequest<B extends RequestBody>(doc: Document, text: string, bodies: RequestBodies<B>, ctx: DuisRejectionContext): DuisEnvelope<B> {
  const root = doc.documentElement!;
  if (root.namespaceURI !== SR_NS || root.localName !== 'Request') {
    throw new StructureError(`the root element is ${displayName(root)}, expected sr:Request in namespace ${SR_NS}`);
  }
  const rp = 'sr:Request';
  checkAttributes(root, rp, ['schemaVersion']);
  if (!root.hasAttribute('schemaVersion')) throw new StructureError(`${rp}: the schemaVersion attribute is missing`);
  const schemaVersion = collapse(root.getAttribute('schemaVersion') ?? '');
  if (!isXsDecimal(schemaVersion)) throw new StructureError(`${rp}: schemaVersion ${JSON.stringify(schemaVersion)} is not a decimal number`);

  const top = new Sequence(root, rp);
  const header = top.required('Header');
  const bodyEl = top.required('Body');
  top.optional('Signature', DS_NS);
  top.end();

  const hp = `${rp}/sr:Header`;
  checkAttributes(header, hp);
  const h = new Sequence(header, hp);
  const requestId = readRequestId(h.required('RequestID'), `${hp}/sr:RequestID`);
  ctx.requestId = requestId.text;
  const first = h.optional('FirstInSequence');
  const firstInSequence = first ? readBoolean(first, `${hp}/sr:FirstInSequence`) : undefined;
  const preceding = h.optional('PrecedingServiceRequestID');
  const precedingRequestId: RequestId | undefined = preceding ? readRequestId(preceding, `${hp}/sr:PrecedingServiceRequestID`) : undefined;
  const commandVariant = Number(readInteger(h.required('CommandVariant'), `${hp}/sr:CommandVariant`, 1n, 9n, 'CommandVariant is one of 1..9'));
  const serviceReference = readStringEnum(h.required('ServiceReference'), `${hp}/sr:ServiceReference`, SERVICE_REFERENCES, 'ServiceReference');
  ctx.serviceReference = serviceReference;
  const serviceReferenceVariant = readStringEnum(h.required('ServiceReferenceVariant'), `${hp}/sr:ServiceReferenceVariant`, SERVICE_REFERENCE_VARIANTS, 'ServiceReferenceVariant');
  ctx.serviceReferenceVariant = serviceReferenceVariant;
  h.end();

  const bp = `${rp}/sr:Body`;
  checkAttributes(bodyEl, bp);
  const b = new Sequence(bodyEl, bp);
  const item = b.peek();
  if (item === undefined) throw new StructureError(`${bp}: is empty, expected one service request element`);
  if (item.namespaceURI !== SR_NS || !REQUEST_BODY_ELEMENTS.includes(item.localName ?? '')) {
    throw new StructureError(`${bp}: ${displayName(item)} is not a DUIS service request`);
  }
  b.take();
  b.end();
  const codec = bodies.codec(item.localName ?? '');
  if (!codec) {
    throw new DuisRejection('unsupported', `sr:${item.localName} (ServiceReferenceVariant ${serviceReferenceVariant}) is not supported by dcc-sim; it supports ${bodies.supportedList()}`, ctx);
  }
  const certs: CertificateField[] = [];
  const body = codec.read(item, `${bp}/sr:${item.localName}`, {
    certificate(el: Element, path: string): Buffer {
      const der = readBase64(el, path);
      certs.push({ path, der });
      return der;
    },
  });

  let signer = null;
  try {
    signer = readSignatureProfile(doc)?.signer ?? null;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('signature', `signature does not follow the DCC profile: ${e.message}`, ctx);
    throw e;
  }

  checkService(bodies, body, commandVariant, serviceReference, serviceReferenceVariant, ctx);

  for (const c of certs) {
    try {
      describeCertificate(c.der);
    } catch (e) {
      throw new DuisRejection('content', `${c.path}: ${e instanceof Error ? e.message : 'not an X.509 certificate'}`, ctx);
    }
  }

  const request: DuisEnvelope<B> = {
    schemaVersion, requestId, commandVariant, serviceReference, serviceReferenceVariant, body, signer, xml: text,
  };
  if (firstInSequence !== undefined) request.firstInSequence = firstInSequence;
  if (precedingRequestId !== undefined) request.precedingRequestId = precedingRequestId;
  return request;
}

// The tree each request was read from, so that its signature can be verified without parsing the
// text again (verifyDuisSignatureOfDocument). A hidden property of the request, so it lives exactly as long as the
// request and is not structured-cloned with it: a WeakMap's young collections keep each value to the next full
// collection, and every request's tree went to the old generation that way (bench/measurements.md).
const parsedDocument = Symbol('parsed document');

/** The document parseDuisRequest read `request` from (unchanged by reading), if it came from there. */
export function parsedDocumentOf(request: DuisEnvelope<RequestBody>): Document | undefined {
  return (request as { [parsedDocument]?: Document })[parsedDocument];
}

/**
 * Parses and checks an inbound DUIS request whose body `bodies` can read. Throws DuisRejection naming
 * the step (size, xml, schema, unsupported, consistency, command-variant, content, signature) and the
 * response code.
 */
export function parseDuisEnvelope<B extends RequestBody>(xml: string | Uint8Array, bodies: RequestBodies<B>, options: ParseRequestOptions = {}): DuisEnvelope<B> {
  const text = decodeXmlInput(xml, options.maxBytes);
  const doc = parseXml(text);
  const ctx: DuisRejectionContext = {};
  try {
    const request = readRequest(doc, text, bodies, ctx);
    Object.defineProperty(request, parsedDocument, { value: doc });
    return request;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('schema', e.message, ctx);
    throw e;
  }
}
