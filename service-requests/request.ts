/**
 * DUIS requests as dcc-sim reads and writes them: the DUIS envelope (duis/) around the body of a
 * service in the registry.
 */
import {
  buildDuisEnvelope, parseDuisEnvelope, type BuildRequestInput as EnvelopeInput, type DuisEnvelope, type ParseRequestOptions,
} from './duis/index.ts';
import { REQUEST_BODIES, SERVICES, serviceFor, type ServiceBody } from './registry.ts';

/** What buildRequest takes: the header fields and a registered service's body. */
export type BuildRequestInput = EnvelopeInput<ServiceBody>;

/** A parsed DUIS request whose body is one of the registered services'. */
export type DuisRequest = DuisEnvelope<ServiceBody>;

/**
 * Parses and checks an inbound DUIS request. Throws DuisRejection naming the step (size, xml,
 * schema, unsupported, consistency, command-variant, content, signature) and the response code.
 */
export function parseDuisRequest(xml: string | Uint8Array, options: ParseRequestOptions = {}): DuisRequest {
  return parseDuisEnvelope(xml, REQUEST_BODIES, options);
}

/** A compact, unsigned sr:Request; values that do not fit their XSD type are a RangeError naming the field. */
export function buildRequest(r: BuildRequestInput): string {
  const kind = (r.body as { kind?: unknown } | undefined)?.kind;
  // The header's default service: the body's, or for a SignedPreCommand the first critical service with a signed leg.
  const service = typeof kind === 'string' ? (serviceFor(kind, r.serviceReferenceVariant ?? '') ?? SERVICES.find((s) => s.body.element === kind)) : undefined;
  const header = service ?? SERVICES[0];
  return buildDuisEnvelope(r, { serviceReference: header.reference, serviceReferenceVariant: header.variant }, () => {
    if (!service) throw new RangeError(`body.kind: ${JSON.stringify(kind)} is not a supported request body`);
    return service.body.write(r.body as never);
  }, () => service?.body.attributes?.(r.body as never) ?? {});
}
