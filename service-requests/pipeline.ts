import {
  checkProfile,
  dashedEui,
  describeCertificate,
  RemotePartyRole,
  roleName,
  validatePath,
  type CertificateFacts,
  type Eui,
  type KeyUsage,
} from '../pki/index.ts';
import {
  DEFAULT_MAX_DUIS_BYTES, DuisRejection, parseDuisRequest, parsedDocumentOf, verifyDuisSignature, verifyDuisSignatureOfDocument,
  type DuisRejectionContext, type DuisRequest, type ServiceBody,
} from './duis/index.ts';
import { Codes, Codes0615, Codes0621 } from './codes.ts';
import type { DeviceInfo, GatewayOptions, GatewayPorts, PartyInfo, RepositoryCertificate, SupplyPointInfo, UserRole } from './ports.ts';

// The DCC's validation pipeline for an inbound DUIS request, in order, each step with its response
// code. It reads the world through GatewayPorts and never writes: a rejection changes nothing.

export type Endpoint = 'serviceS' | 'serviceT' | 'serviceD';

export interface StepRecord {
  step: string;
  ok: boolean;
  detail: string;
  /** time spent in this step, milliseconds (the console's timeline and the bench's stage profile) */
  ms?: number;
}

export class GatewayRejection extends Error {
  constructor(
    readonly responseCode: string,
    readonly reason: string,
    readonly step: string,
    readonly request?: DuisRequest,
    readonly context: { requestId?: string; serviceReference?: string; serviceReferenceVariant?: string } = {},
    /** the checks that passed before this one (for the request log) */
    readonly trace: readonly StepRecord[] = [],
  ) {
    super(`${responseCode}: ${reason}`);
    this.name = 'GatewayRejection';
  }
}

export interface ReplacementCertificate {
  slot: 'DS' | 'KA' | 'KA-TopUp';
  facts: CertificateFacts;
}

export interface ValidatedRequest {
  request: DuisRequest;
  signer: CertificateFacts;
  sender: PartyInfo;
  device?: DeviceInfo;
  supplyPoint?: SupplyPointInfo;
  /** 6.15.1 / 6.21: the parsed, checked replacement certificates */
  replacements?: ReplacementCertificate[];
  certificationPath?: CertificateFacts[];
  trace: StepRecord[];
}

interface ServiceRule {
  variant: string;
  commandVariants: Record<number, Endpoint>;
  userRoles: readonly UserRole[];
  device: boolean;
}

// Which command variants dcc-sim serves per service and where (duis.md §1.4), and who may send it
// (rules-and-data.md §2.5).
const RULES: Record<ServiceBody['kind'], ServiceRule> = {
  UpdateSecurityCredentialsKRP: { variant: '6.15.1', commandVariants: { 4: 'serviceT' }, userRoles: ['IS', 'GS', 'ED', 'GT'], device: true },
  SignedPreCommand: { variant: '6.15.1', commandVariants: { 5: 'serviceS' }, userRoles: ['IS', 'GS', 'ED', 'GT'], device: true },
  RequestHandoverOfDCCControlledDevice: { variant: '6.21', commandVariants: { 1: 'serviceS' }, userRoles: ['IS', 'GS'], device: true },
  RetrieveDeviceSecurityCredentialsKRP: { variant: '6.24.1', commandVariants: { 1: 'serviceS' }, userRoles: ['IS', 'GS', 'ED', 'GT'], device: true },
  ReadInventory: { variant: '8.2', commandVariants: { 8: 'serviceD' }, userRoles: ['IS', 'ES', 'GS', 'RSA', 'ED', 'GT', 'OU'], device: false },
};

const NETWORK_ROLES: readonly UserRole[] = ['ED', 'GT'];

/** Device statuses at which each service reaches the device. */
const ALLOWED_STATUS: Record<string, readonly string[]> = {
  '6.15.1': ['Commissioned'],
  '6.21': ['Commissioned', 'InstalledNotCommissioned'],
  '6.24.1': ['Commissioned', 'InstalledNotCommissioned'],
};

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
      request: DuisRequest;
      /** the XSD's problems ([] = valid) when it was run ahead; absent when it was not */
      xsdProblems?: string[];
      /** fingerprints of repository certificates whose key the XML signature verifies against */
      verifiedBy: string[];
      parseMs: number;
      signatureMs: number;
    };

export type PrevalidateOptions = Pick<ValidateOptions, 'maxRequestBytes' | 'xsd' | 'acceptOrganisationXmlSigners'>;

/** The pipeline step a DuisRejection from parseDuisRequest is logged under. */
function parseRejectionStep(err: DuisRejection): string {
  return err.step === 'signature' ? 'signature' : `parse:${err.step}`;
}

/** Users sign with role 135 (OU 87); role 137 is the DCC's own response signer, never a User's. */
function isXmlSigner(c: RepositoryCertificate, options: PrevalidateOptions): boolean {
  return (
    c.facts.keyUsage === 'DS' &&
    ((c.facts.kind === 'xml-signing' && c.facts.role === RemotePartyRole.XmlSign) ||
      (options.acceptOrganisationXmlSigners === true && c.facts.kind === 'organisation'))
  );
}

const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The first candidate whose key the request's XML signature verifies against, or the last failure's
 * reason. The tree parseDuisRequest built is verified instead of parsing the text again, but only
 * once (a failed check may strip its whitespace in place) and only within verifyDuisSignature's own
 * size limit; further candidates get the text, which gives the same verdict. `verifiedAhead`: a
 * candidate already verified elsewhere (a prevalidation worker) is taken without checking again.
 */
function firstVerifying(
  request: DuisRequest,
  candidates: RepositoryCertificate[],
  verifiedAhead: (c: RepositoryCertificate) => boolean = () => false,
): { signer: RepositoryCertificate } | { signer: undefined; reason: string } {
  let doc = Buffer.byteLength(request.xml, 'utf8') <= DEFAULT_MAX_DUIS_BYTES ? parsedDocumentOf(request) : undefined;
  let reason = '';
  for (const c of candidates) {
    if (verifiedAhead(c)) return { signer: c };
    const v = doc !== undefined ? verifyDuisSignatureOfDocument(doc, c.facts.publicKey) : verifyDuisSignature(request.xml, c.facts.publicKey);
    doc = undefined;
    if (v.ok) return { signer: c };
    reason = v.reason ?? 'signature does not verify';
  }
  return { signer: undefined, reason };
}

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
  const trace: StepRecord[] = [];
  let last = performance.now();
  // `aheadMs`: the part of a step done ahead in prevalidation.
  const pass = (step: string, detail: string, aheadMs = 0) => {
    const now = performance.now();
    trace.push({ step, ok: true, detail, ms: roundMs(now - last + aheadMs) });
    last = now;
  };

  // 1-2. Size, safe XML, schema.
  let request: DuisRequest;
  if (pre?.kind === 'refused') throw new GatewayRejection(pre.responseCode, pre.reason, pre.step, undefined, pre.context);
  if (pre) request = pre.request;
  else {
    try {
      request = parseDuisRequest(body, { maxBytes: options.maxRequestBytes });
    } catch (err) {
      if (err instanceof DuisRejection) throw new GatewayRejection(err.responseCode, err.reason, parseRejectionStep(err), undefined, err.context);
      throw err;
    }
  }
  const ctx = { requestId: request.requestId.text, serviceReference: request.serviceReference, serviceReferenceVariant: request.serviceReferenceVariant };
  // The passed steps travel with the rejection: without them the request log of a rejected
  // request showed only the failure, not which checks it had already passed.
  const reject = (code: string, step: string, reason: string): never => {
    throw new GatewayRejection(code, reason, step, request, ctx, [...trace]);
  };
  const problems = pre?.xsdProblems ?? options.xsd?.(request.xml);
  if (problems?.length) reject(Codes.invalidRequest, 'schema', `not valid against the DUIS XSD: ${problems.slice(0, 3).join('; ')}`);
  pass('parse', `well-formed, safe DUIS ${request.schemaVersion} ${request.body.kind}`, pre?.parseMs);

  // 3. XML signature, with the sender's XML-signing certificate from the SMKI repository.
  const originator = request.requestId.originator;
  if (!request.signer) reject(Codes.invalidUser, 'signature', 'the request carries no ds:Signature; DUIS requests must be signed');
  const signerRef = request.signer!;
  const candidates = ports.certificatesBySerial(signerRef.serialDecimal);
  if (candidates.length === 0) {
    reject(Codes.invalidUser, 'signature', `no certificate with serial ${signerRef.serialDecimal} (KeyInfo X509SerialNumber) in the SMKI repository`);
  }
  const own = candidates.filter((c) => c.facts.subjectEui === originator);
  if (own.length === 0) {
    reject(Codes.invalidUser, 'signature', `certificate ${signerRef.serialDecimal} belongs to ${describeHolder(candidates[0]!.facts)}, not to the RequestID originator ${dashedEui(originator)}`);
  }
  const usable = own.filter((c) => isXmlSigner(c, options));
  if (usable.length === 0) {
    reject(Codes.invalidUser, 'signature', `certificate ${signerRef.serialDecimal} is not an XML-signing certificate (OU 87, digitalSignature)`);
  }
  const live = usable.filter((c) => !c.revoked);
  if (live.length === 0) reject(Codes.invalidUser, 'signature', `the sender's XML-signing certificate ${signerRef.serialDecimal} is revoked`);
  // Prevalidated requests have no tree here: a candidate not verified ahead is checked on the text.
  const verified = firstVerifying(request, live, (c) => pre?.verifiedBy.includes(c.facts.fingerprint) === true);
  if (!verified.signer) reject(Codes.invalidUser, 'signature', `XML signature check failed: ${verified.reason}`);
  const signer: CertificateFacts = verified.signer!.facts;
  pass('signature', `signed by ${dashedEui(originator)} with certificate ${signerRef.serialDecimal}`, pre?.signatureMs);

  // 4. RequestID: the counter strictly increases per originator (replay protection). The signed
  // pre-command leg reuses the RequestID of its pre-command and is matched to it instead.
  const kind = request.body.kind;
  if (kind === 'SignedPreCommand') {
    const issued = ports.preCommand(request.requestId.text);
    if (!issued) reject(Codes0615.preCommand, 'request-id', `no pre-command was issued for RequestID ${request.requestId.text}`);
    if (issued!.consumed) reject(Codes0615.preCommand, 'request-id', `the pre-command for RequestID ${request.requestId.text} has already been used`);
    pass('request-id', `matches the pre-command issued for ${request.requestId.text}`);
  } else {
    const last = ports.lastCounter(originator);
    if (last !== undefined && request.requestId.counter <= last) {
      reject(Codes.invalidRequest, 'request-id', `RequestID counter ${request.requestId.counter} is not greater than ${last}, the last accepted from ${dashedEui(originator)} (replay)`);
    }
    pass('request-id', `counter ${request.requestId.counter} > ${last ?? 'none yet'}`);
  }

  // 5. Service, command variant and URL; the sender's role; the device, its status and type; registration.
  const rule = RULES[kind];
  if (request.serviceReferenceVariant !== rule.variant) {
    reject(Codes.invalidRequest, 'service', `ServiceReferenceVariant ${request.serviceReferenceVariant} does not match the body ${kind} (${rule.variant})`);
  }
  const expectedEndpoint = rule.commandVariants[request.commandVariant];
  if (!expectedEndpoint) {
    const allowed = Object.entries(rule.commandVariants).map(([cv, ep]) => `CV ${cv} on ${ep}`).join(', ');
    reject(Codes.commandVariant, 'service', `CommandVariant ${request.commandVariant} is not applicable to ${rule.variant} (dcc-sim serves ${allowed})`);
  }
  if (expectedEndpoint !== endpoint) {
    reject(Codes.wrongEndpoint, 'service', `${rule.variant} with CommandVariant ${request.commandVariant} belongs on /api/v1/${expectedEndpoint}, not /api/v1/${endpoint}`);
  }
  const sender = ports.party(originator);
  if (!sender) reject(Codes.invalidUser, 'user-role', `${dashedEui(originator)} is not a known party`);
  if (!sender!.dccUser) reject(Codes.userStatus, 'user-role', `${sender!.name} (${dashedEui(originator)}) is not a DCC User`);
  const roles = sender!.userRoles.filter((r) => rule.userRoles.includes(r));
  if (roles.length === 0) {
    reject(Codes.roleNotAllowed, 'user-role', `${rule.variant} may be sent by ${rule.userRoles.join('/')}; ${sender!.name} holds ${sender!.userRoles.join('/') || 'no user role'}`);
  }
  pass('user-role', `${sender!.name} as ${roles.join('/')}`);

  const result: ValidatedRequest = { request, signer, sender: sender!, trace };
  if (!rule.device) {
    if (request.requestId.target !== DCC_ACB && kind === 'ReadInventory') {
      reject(Codes.invalidRequest, 'device', `a non-device request is addressed to the DCC ${dashedEui(DCC_ACB)}, not ${dashedEui(request.requestId.target)}`);
    }
    return result;
  }
  const target = request.requestId.target;
  const device = ports.device(target);
  if (!device) reject(Codes.unknownDevice, 'device', `device ${dashedEui(target)} is not in the smart metering inventory`);
  result.device = device!;
  const allowedStatus = ALLOWED_STATUS[rule.variant]!;
  if (!allowedStatus.includes(device!.status)) {
    reject(Codes.deviceStatus, 'device', `${device!.type} ${dashedEui(target)} is ${device!.status}; ${rule.variant} needs ${allowedStatus.join(' or ')}`);
  }
  const remoteRole = 'remotePartyRole' in request.body ? request.body.remotePartyRole : undefined;
  const typeOk = suitsType(kind, remoteRole, device!.type);
  if (typeOk !== true) reject(Codes.deviceType, 'device', typeOk);
  const supplyPoint = registrationFor(device!, ports);
  result.supplyPoint = supplyPoint;
  const holdsNoCell = ports.cellHolder(target, 'networkOperatorDS') === originator;
  checkRegistration(kind, remoteRole, sender!, device!, supplyPoint, holdsNoCell, (code, reason) => reject(code, 'registration', reason));
  pass('registration', `${device!.type} ${dashedEui(target)} ${device!.status}, ${sender!.name} registered for ${supplyPoint?.mpxn ?? 'it'}`);

  // 6-7. Replacement certificates, then the network operator check.
  if (kind === 'UpdateSecurityCredentialsKRP' || kind === 'RequestHandoverOfDCCControlledDevice') {
    const body = request.body as Extract<ServiceBody, { kind: 'UpdateSecurityCredentialsKRP' | 'RequestHandoverOfDCCControlledDevice' }>;
    const codes = kind === 'UpdateSecurityCredentialsKRP' ? Codes0615 : Codes0621;
    const { replacements, path } = checkReplacements(body, device!, ports, codes, (code, reason) => reject(code, 'certificates', reason));
    result.replacements = replacements;
    result.certificationPath = path;
    pass('certificates', replacements.map((r) => `${r.slot} ${r.facts.serialHex} of ${dashedEui(r.facts.subjectEui ?? '')}`).join(', '));
    if (options.networkOperatorCheck && body.remotePartyRole === 'NetworkOperator') {
      const applies = device!.type === 'ESME' || (device!.type === 'GPF' && kind === 'RequestHandoverOfDCCControlledDevice');
      const gpfRule = device!.type === 'GPF'; // MP128 applies to every NO certificate placed on a GPF
      if (applies || gpfRule) {
        checkNetworkOperator(replacements, device!, supplyPoint, ports, (reason) => reject(codes.networkOperator, 'network-operator', reason));
        pass('network-operator', `certificates belong to the registered network operator${device!.type === 'GPF' ? ' (or the ACB, MP128)' : ''}`);
      }
    }
  }
  return result;
}

export const DCC_ACB = '90B3D51F30000002';

function describeHolder(f: CertificateFacts): string {
  return f.subjectEui ? dashedEui(f.subjectEui) : f.subjectDn || 'an unnamed subject';
}

function suitsType(kind: ServiceBody['kind'], remoteRole: string | undefined, type: DeviceInfo['type']): true | string {
  if (kind === 'RetrieveDeviceSecurityCredentialsKRP') return true;
  if (kind === 'SignedPreCommand') return type === 'CHF' ? `a CS02b pre-command cannot target a CHF` : true;
  if (remoteRole === 'Supplier') {
    return type === 'CHF' ? `a comms hub function has no supplier trust-anchor cells` : true;
  }
  if (remoteRole === 'NetworkOperator') {
    return type === 'ESME' || type === 'GPF' ? true : `a ${type} has no network operator trust-anchor cells (only ESME and GPF do)`;
  }
  return `RemotePartyRole ${remoteRole} is not supported by dcc-sim for this service (Supplier and NetworkOperator are)`;
}

/** Registration data for a device: its own MPxN, or for a comms hub the supply point of a meter it serves. */
function registrationFor(device: DeviceInfo, ports: GatewayPorts): SupplyPointInfo | undefined {
  if (device.mpxn) return ports.supplyPoint(device.mpxn);
  return undefined;
}

function checkRegistration(
  kind: ServiceBody['kind'],
  remoteRole: string | undefined,
  sender: PartyInfo,
  device: DeviceInfo,
  sp: SupplyPointInfo | undefined,
  holdsNetworkOperatorCell: boolean,
  fail: (code: string, reason: string) => never,
): void {
  if (!sp) {
    if (device.type === 'CHF' && kind === 'RetrieveDeviceSecurityCredentialsKRP') return;
    fail(Codes.notAuthorisedForDevice, `${device.type} ${dashedEui(device.eui)} has no registration data (no MPxN)`);
  }
  const fuelSupplierRole: UserRole = sp!.fuel === 'E' ? 'IS' : 'GS';
  const fuelNetworkRole: UserRole = sp!.fuel === 'E' ? 'ED' : 'GT';
  const isSupplier = sender.eui === sp!.supplierEui && sender.userRoles.includes(fuelSupplierRole);
  const isNetworkOperator = sender.eui === sp!.networkOperatorEui && sender.userRoles.includes(fuelNetworkRole);
  const who = `${sp!.fuel === 'E' ? 'MPAN' : 'MPRN'} ${sp!.mpxn}`;
  const needSupplier = () => {
    if (!isSupplier) fail(Codes.notAuthorisedForDevice, `${sender.name} is not the registered ${fuelSupplierRole === 'IS' ? 'Import' : 'Gas'} Supplier for ${who} (${sp!.supplierEui ? dashedEui(sp!.supplierEui) : 'none'} is)`);
  };
  const needNetworkOperator = () => {
    if (!isNetworkOperator) fail(Codes.notAuthorisedForDevice, `${sender.name} is not the registered network operator for ${who} (${dashedEui(sp!.networkOperatorEui)} is)`);
  };
  switch (kind) {
    case 'RequestHandoverOfDCCControlledDevice':
      return needSupplier();
    case 'SignedPreCommand':
      return; // checked when its pre-command was issued; the RequestID ties the two legs together
    case 'UpdateSecurityCredentialsKRP':
      // A known remote party replaces its own credentials: suppliers their cells, network operators theirs.
      // MP128A: a network party whose certificates a device still holds may replace them (by the ACB's)
      // even after registration moved the supply point to another operator.
      if (remoteRole === 'NetworkOperator') {
        if (!isNetworkOperator && holdsNetworkOperatorCell && sender.userRoles.some((r) => NETWORK_ROLES.includes(r))) return;
        return needNetworkOperator();
      }
      return needSupplier();
    case 'RetrieveDeviceSecurityCredentialsKRP':
      if (!isSupplier && !isNetworkOperator) fail(Codes.notAuthorisedForDevice, `${sender.name} is neither the registered supplier nor the network operator for ${who}`);
      return;
    default:
      return;
  }
}

const ROLE_CODE: Record<string, number> = {
  Supplier: RemotePartyRole.Supplier,
  NetworkOperator: RemotePartyRole.NetworkOperator,
};

// The certificates a 6.21 / 6.15.1 carries are the same few organisation certificates over and
// over, and their profile check and path validation were ~8% of a handover (bench/pipeline.ts).
// Both are pure functions of the certificates, so they are cached; describeCertificate returns
// one facts object per distinct DER (pki's parse cache), which keys the profile cache.
const profileProblems = new WeakMap<CertificateFacts, ReturnType<typeof checkProfile>>();
function organisationProfileProblems(facts: CertificateFacts): ReturnType<typeof checkProfile> {
  let problems = profileProblems.get(facts);
  if (problems === undefined) {
    problems = checkProfile(facts, { kind: 'organisation' });
    profileProblems.set(facts, problems);
  }
  return problems;
}

// Successful path validations, per trust-anchor list (WorldPorts keeps one array for the world's
// life) and leaf + intermediates. Time enters validatePath only as each chain certificate's
// validity at `at`, so a success found at any time (or with no time check) holds at `at` exactly
// when `at` lies within every chain certificate's validity; that window is kept with the entry.
// Failures are not cached: they are rare and their reasons name the time checked.
interface PathSuccess { from: number; until: number }
const PATH_CACHE_LIMIT = 1024;
const pathSuccesses = new WeakMap<readonly Uint8Array[], Map<string, PathSuccess>>();
function cachedValidatePath(leaf: CertificateFacts, intermediates: Buffer[], anchors: Buffer[], at: Date | null): ReturnType<typeof validatePath> {
  let byChain = pathSuccesses.get(anchors);
  if (byChain === undefined) {
    byChain = new Map();
    pathSuccesses.set(anchors, byChain);
  }
  const key = [leaf.der, ...intermediates].map((d) => d.toString('base64')).join('|');
  const hit = byChain.get(key);
  const t = at?.getTime();
  if (hit !== undefined && (t === undefined || (t >= hit.from && t <= hit.until))) return { ok: true };
  const pv = validatePath(leaf.der, intermediates, anchors, { at });
  if (pv.ok && pv.chain !== undefined) {
    if (byChain.size >= PATH_CACHE_LIMIT) byChain.clear();
    byChain.set(key, {
      from: Math.max(...pv.chain.map((c) => c.notBefore.getTime())),
      until: Math.min(...pv.chain.map((c) => c.notAfter.getTime())),
    });
  }
  return pv;
}

function checkReplacements(
  body: Extract<ServiceBody, { kind: 'UpdateSecurityCredentialsKRP' | 'RequestHandoverOfDCCControlledDevice' }>,
  device: DeviceInfo,
  ports: GatewayPorts,
  codes: typeof Codes0615 | typeof Codes0621,
  fail: (code: string, reason: string) => never,
): { replacements: ReplacementCertificate[]; path: CertificateFacts[] } {
  const roleCode = ROLE_CODE[body.remotePartyRole]!;
  const path: CertificateFacts[] = body.certificationPath.map((der, i) => {
    try {
      return describeCertificate(der);
    } catch (err) {
      return fail(codes.certificateInvalid, `CertificationPathCertificates #${i + 1} is not a certificate: ${(err as Error).message}`);
    }
  });
  const slots: [ReplacementCertificate['slot'], Buffer | undefined, KeyUsage][] = [
    ['DS', body.digitalSigning, 'DS'],
    ['KA', body.keyAgreement, 'KA'],
    ['KA-TopUp', body.keyAgreementTopUp, 'KA'],
  ];
  const out: ReplacementCertificate[] = [];
  const now = ports.now();
  for (const [slot, der, usage] of slots) {
    if (!der) continue;
    const name = slot === 'DS' ? 'DigitalSigningCertificate' : slot === 'KA' ? 'KeyAgreementCertificate' : 'KeyAgreementTopUpCertificate';
    if (slot === 'KA-TopUp' && body.remotePartyRole !== 'Supplier') {
      fail(codes.roleOrUsage, `${name} is only for the Supplier's prepayment top-up cell, not ${body.remotePartyRole}`);
    }
    let facts: CertificateFacts;
    try {
      facts = describeCertificate(der);
    } catch (err) {
      return fail(codes.certificateInvalid, `${name} is not a certificate: ${(err as Error).message}`);
    }
    // MP128: a GPF's network-operator cells may hold the ACB's certificates.
    const acbInGpf = device.type === 'GPF' && body.remotePartyRole === 'NetworkOperator' && facts.role === RemotePartyRole.AccessControlBroker;
    const expectedRole = acbInGpf ? RemotePartyRole.AccessControlBroker : roleCode;
    if (facts.kind !== 'organisation') fail(codes.certificateInvalid, `${name} is a ${facts.kind} certificate, not an organisation certificate`);
    // The slot's key usage is judged below with its own code (roleOrUsage); passed to checkProfile
    // it surfaced as a profile problem (certificateInvalid) and the usage check was unreachable.
    const problems = organisationProfileProblems(facts);
    if (problems.length) fail(codes.certificateInvalid, `${name} does not fit the SMKI organisation profile: ${problems.map((p) => p.message).join('; ')}`);
    if (facts.role !== expectedRole) {
      fail(codes.roleOrUsage, `${name} has role ${facts.role === null ? 'none' : roleName(facts.role)} (OU ${facts.role?.toString(16).padStart(2, '0').toUpperCase()}); RemotePartyRole is ${body.remotePartyRole}`);
    }
    if (facts.keyUsage !== usage) fail(codes.roleOrUsage, `${name} has key usage ${facts.keyUsage}; the slot needs ${usage === 'DS' ? 'digitalSignature' : 'keyAgreement'}`);
    const at = body.applyTimeBasedCpvChecks ? now : null;
    const pv = cachedValidatePath(facts, body.certificationPath, ports.trustAnchors(), at);
    if (!pv.ok) {
      const outOfDate = pv.code === 'expired' || pv.code === 'not-yet-valid' || /valid/i.test(pv.code ?? '');
      const code = outOfDate && 'outOfDate' in codes ? codes.outOfDate : codes.certificationPath;
      fail(code, `${name} ${facts.serialHex}: ${pv.reason ?? 'certification path validation failed'}`);
    }
    if (ports.isRevoked(facts)) fail('revoked' in codes ? codes.revoked : codes.certificationPath, `${name} ${facts.serialHex} is revoked`);
    out.push({ slot, facts });
  }
  if (!out.some((r) => r.slot === 'DS') && body.kind === 'RequestHandoverOfDCCControlledDevice') {
    fail(codes.certificateInvalid, 'a handover needs a DigitalSigningCertificate');
  }
  if (out.length === 0) fail(codes.certificateInvalid, 'no replacement certificate given');
  const holders = new Set(out.map((r) => r.facts.subjectEui));
  if (holders.size > 1) fail(codes.roleOrUsage, `replacement certificates belong to different parties: ${[...holders].map((e) => dashedEui(e ?? '')).join(', ')}`);
  return { replacements: out, path };
}

/**
 * SECMP0063: the NO certificates must be those of the network operator registration data names for
 * the device's MPAN / MPRN. MP128 for gas: a GPF's NO cells may hold the ACB certificate, and a GNO's
 * certificate only while that GNO is a DCC User (its certificate being unrevoked is checked above).
 */
function checkNetworkOperator(
  replacements: ReplacementCertificate[],
  device: DeviceInfo,
  sp: SupplyPointInfo | undefined,
  ports: GatewayPorts,
  fail: (reason: string) => never,
): void {
  if (!sp) fail(`${dashedEui(device.eui)} has no MPxN in registration data, so its network operator is unknown`);
  const registered = sp!.networkOperatorEui;
  for (const r of replacements) {
    const eui = r.facts.subjectEui!;
    if (device.type === 'GPF' && r.facts.role === RemotePartyRole.AccessControlBroker) {
      if (eui !== DCC_ACB) fail(`certificate ${r.facts.serialHex} claims the ACB role but belongs to ${dashedEui(eui)}, not the DCC`);
      continue;
    }
    if (eui !== registered) {
      const holder = ports.party(eui)?.name ?? dashedEui(eui);
      const reg = ports.party(registered)?.name ?? dashedEui(registered);
      fail(`the network operator certificate ${r.facts.serialHex} belongs to ${holder} (${dashedEui(eui)}), but registration data names ${reg} (${dashedEui(registered)}) for ${sp!.fuel === 'E' ? 'MPAN' : 'MPRN'} ${sp!.mpxn}`);
    }
    if (device.type === 'GPF') {
      const gno = ports.party(eui);
      if (!gno?.dccUser) fail(`${gno?.name ?? dashedEui(eui)} is not a DCC User: under MP128 only the ACB certificate or a DCC User GNO's certificate may be placed on a GPF`);
    }
  }
}
