/**
 * The pipeline as a list of named steps: a step checks one thing and either passes (with the detail
 * the request log shows) or refuses through ctx.reject with a DUIS response code. One runner keeps
 * the trace, the timing and the rejection, so a new check is one step.
 */
import type { DuisEnvelope, DuisRejectionContext, RequestBody } from '../duis/index.ts';
import type { Endpoint, StepRecord, ValidatedRequest } from '../service.ts';
import type { GatewayOptions, GatewayPorts } from '../ports.ts';

export class GatewayRejection extends Error {
  constructor(
    readonly responseCode: string,
    readonly reason: string,
    readonly step: string,
    readonly request?: DuisEnvelope<RequestBody>,
    readonly context: { requestId?: string; serviceReference?: string; serviceReferenceVariant?: string } = {},
    /** the checks that passed before this one (for the request log) */
    readonly trace: readonly StepRecord[] = [],
  ) {
    super(`${responseCode}: ${reason}`);
    this.name = 'GatewayRejection';
  }
}

export interface ValidateOptions extends GatewayOptions {
  /** extra schema validation (full XSD) run after the built-in checks */
  xsd?: (xml: string) => string[];
  /** accept a party's organisation DS certificate as its XML signer (ZAZ1: the DCC's tool signs so for parties with no XML-signing certificate) */
  acceptOrganisationXmlSigners?: boolean;
}

/**
 * Steps 1-3 done ahead, elsewhere (a prevalidation worker, src/dcc/prevalidation-pool.ts), for
 * validateRequest to continue from. Structured-cloneable (no DOM, no class instances). Only
 * verdicts that depend on nothing but the bytes and a certificate's key are taken from it: which
 * repository certificates may sign (originator, XML signing, revocation) is judged again by
 * validateRequest against its own ports.
 */
export type Prevalidation =
  | { kind: 'refused'; responseCode: string; reason: string; step: string; context: DuisRejectionContext }
  | {
      kind: 'parsed';
      request: DuisEnvelope<RequestBody>;
      /** the XSD's problems ([] = valid) when it was run ahead; absent when it was not */
      xsdProblems?: string[];
      /** fingerprints of repository certificates whose key the XML signature verifies against */
      verifiedBy: string[];
      parseMs: number;
      signatureMs: number;
    };

export type PrevalidateOptions = Pick<ValidateOptions, 'maxRequestBytes' | 'xsd' | 'acceptOrganisationXmlSigners'>;

/** What the steps read and establish, as they go: the ValidatedRequest taking shape. */
export interface StepContext extends Omit<ValidatedRequest, 'trace'> {
  readonly body: Buffer;
  readonly endpoint: Endpoint;
  readonly ports: GatewayPorts;
  readonly options: ValidateOptions;
  readonly pre?: Prevalidation;
  /** refuses the request at this step (or at `step`, for a check reported under another name) */
  reject(code: string, reason: string, step?: string): never;
}

export interface Step {
  name: string;
  /**
   * Runs the check: the pass's detail for the request log, or null for a check that records no line
   * of its own (its time counts towards the next recorded step).
   */
  run(ctx: StepContext): string | null;
  /** the part of this step done ahead in prevalidation, milliseconds */
  aheadMs?(ctx: StepContext): number;
}

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;
export { roundMs };

/**
 * Runs the steps in order; the first refusal ends the run as a GatewayRejection carrying the steps
 * that passed before it. Steps may append further steps for the request's service (`more`).
 */
export function runSteps(
  steps: readonly Step[],
  init: Pick<StepContext, 'body' | 'endpoint' | 'ports' | 'options' | 'pre'>,
  more: (ctx: StepContext) => readonly Step[],
): ValidatedRequest {
  const trace: StepRecord[] = [];
  let current = '';
  // Written out, not `{ ...init, reject }`: on Node 20 a spread's copy gets a hidden class of its own, and so does
  // each property a step then adds, in the old generation, from where young collections kept the whole request
  // alive (~14 kB a read promoted; bench/measurements.md, "spreads").
  const ctx = {
    body: init.body,
    endpoint: init.endpoint,
    ports: init.ports,
    options: init.options,
    pre: init.pre,
    reject(code: string, reason: string, step?: string): never {
      const request = (ctx as Partial<StepContext>).request;
      const context = request
        ? { requestId: request.requestId.text, serviceReference: request.serviceReference, serviceReferenceVariant: request.serviceReferenceVariant }
        : {};
      throw new GatewayRejection(code, reason, step ?? current, request, context, [...trace]);
    },
  } as StepContext;
  let last = performance.now();
  const runAll = (list: readonly Step[]) => {
    for (const step of list) {
      current = step.name;
      const detail = step.run(ctx);
      if (detail === null) continue;
      const now = performance.now();
      trace.push({ step: step.name, ok: true, detail, ms: roundMs(now - last + (step.aheadMs?.(ctx) ?? 0)) });
      last = now;
    }
  };
  runAll(steps);
  runAll(more(ctx));
  const v: ValidatedRequest = { request: ctx.request, service: ctx.service, signer: ctx.signer, sender: ctx.sender, trace };
  if (ctx.device) v.device = ctx.device;
  if (ctx.supplyPoint) v.supplyPoint = ctx.supplyPoint;
  if (ctx.replacements) v.replacements = ctx.replacements;
  if (ctx.certificationPath) v.certificationPath = ctx.certificationPath;
  return v;
}

/** A handler's refusal after the pipeline passed (e.g. 8.2 with no match): logged with the steps that passed. */
export function refuse(v: ValidatedRequest, code: string, step: string, reason: string): never {
  const r = v.request;
  throw new GatewayRejection(code, reason, step, r, {
    requestId: r.requestId.text, serviceReference: r.serviceReference, serviceReferenceVariant: r.serviceReferenceVariant,
  }, [...v.trace]);
}
