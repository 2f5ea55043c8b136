/**
 * Validating an inbound request: the common steps, then the steps its service declares. Steps 1-3
 * (parse, signature) can be done ahead on a worker thread (prevalidateRequest) and continued from.
 */
import { DuisRejection } from '../duis/index.ts';
import { parseDuisRequest, type DuisRequest } from '../request.ts';
import type { GatewayPorts } from '../ports.ts';
import type { Endpoint, ValidatedRequest } from '../service.ts';
import { COMMON_STEPS, firstVerifying, isXmlSigner, parseRejectionStep } from './steps.ts';
import { roundMs, runSteps, type PrevalidateOptions, type Prevalidation, type ValidateOptions } from './step.ts';

/**
 * Steps 1-3 without the world's mutable state: parse (and XSD), then the signature checked against
 * every XML-signing certificate of the originator with the KeyInfo serial, revoked or not (the
 * caller's view of revocation is the one that counts). Throws only what validateRequest would.
 */
export function prevalidateRequest(body: Uint8Array, ports: Pick<GatewayPorts, 'certificatesBySerial'>, options: PrevalidateOptions): Prevalidation {
  const started = performance.now();
  let request: DuisRequest;
  try {
    request = parseDuisRequest(body, { maxBytes: options.maxRequestBytes });
  } catch (err) {
    if (err instanceof DuisRejection) return { kind: 'refused', responseCode: err.responseCode, reason: err.reason, step: parseRejectionStep(err), context: { ...err.context } };
    throw err;
  }
  const xsdProblems = options.xsd?.(request.xml);
  const parsedAt = performance.now();
  const verifiedBy: string[] = [];
  if (request.signer && !xsdProblems?.length) {
    const originator = request.requestId.originator;
    const usable = ports.certificatesBySerial(request.signer.serialDecimal).filter((c) => c.facts.subjectEui === originator && isXmlSigner(c, options));
    // Unrevoked first: the caller is then most likely to find its signer already verified.
    usable.sort((a, b) => Number(a.revoked) - Number(b.revoked));
    const found = firstVerifying(request, usable).signer;
    if (found) verifiedBy.push(found.facts.fingerprint);
  }
  return {
    kind: 'parsed',
    request,
    ...(xsdProblems !== undefined ? { xsdProblems } : {}),
    verifiedBy,
    parseMs: roundMs(parsedAt - started),
    signatureMs: roundMs(performance.now() - parsedAt),
  };
}

/**
 * Validates an inbound request. With `pre` (prevalidateRequest's result for the same body), steps
 * 1-3 continue from it instead of parsing and verifying again; the outcome, the step records and
 * the rejections are the same as without.
 */
export function validateRequest(body: Buffer, endpoint: Endpoint, ports: GatewayPorts, options: ValidateOptions, pre?: Prevalidation): ValidatedRequest {
  return runSteps(COMMON_STEPS, { body, endpoint, ports, options, pre }, (ctx) => ctx.service.steps ?? []);
}
