/**
 * The DCC's validation pipeline for an inbound DUIS request, in order, each step with its response
 * code: parse (size, safe XML, schema), the XML signature, the RequestID, the service and its
 * endpoint, the sender's user role, the device and its status and type, registration; then the
 * service's own steps. It reads the world through GatewayPorts and never writes: a rejection
 * changes nothing.
 */
import { dashedEui, DCC_EUI, isType2, RemotePartyRole, type CertificateFacts, type UserRole } from '../../pki/index.ts';
import {
  DEFAULT_MAX_DUIS_BYTES, DuisRejection, parsedDocumentOf, verifyDuisSignature, verifyDuisSignatureOfDocument,
  type DuisEnvelope, type RequestBody,
} from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { serviceFor } from '../registry.ts';
import { parseDuisRequest } from '../request.ts';
import type { RepositoryCertificate } from '../ports.ts';
import type { RegistrationCheck } from '../service.ts';
import { GatewayRejection, type PrevalidateOptions, type Step, type StepContext } from './step.ts';

/** The pipeline step a DuisRejection from parseDuisRequest is logged under. */
export function parseRejectionStep(err: DuisRejection): string {
  return err.step === 'signature' ? 'signature' : `parse:${err.step}`;
}

/**
 * Users sign with role 135 (OU 87); role 137 is the DCC's own signer: its responses, and the requests
 * the DCC itself sends (services with dccMayOriginate; the user-role step refuses it any other).
 */
export function isXmlSigner(c: RepositoryCertificate, options: PrevalidateOptions): boolean {
  return (
    c.facts.keyUsage === 'DS' &&
    ((c.facts.kind === 'xml-signing' && c.facts.role === RemotePartyRole.XmlSign) ||
      (c.facts.kind === 'xml-signing' && c.facts.role === RemotePartyRole.DspXmlSign && c.facts.subjectEui === DCC_EUI) ||
      (options.acceptOrganisationXmlSigners === true && c.facts.kind === 'organisation'))
  );
}

/**
 * The first candidate whose key the request's XML signature verifies against, or the last failure's
 * reason. The tree parseDuisRequest built is verified instead of parsing the text again, but only
 * once (a failed check may strip its whitespace in place) and only within verifyDuisSignature's own
 * size limit; further candidates get the text, which gives the same verdict. `verifiedAhead`: a
 * candidate already verified elsewhere (a prevalidation worker) is taken without checking again.
 */
export function firstVerifying(
  request: DuisEnvelope<RequestBody>,
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

function describeHolder(f: CertificateFacts): string {
  return f.subjectEui ? dashedEui(f.subjectEui) : f.subjectDn || 'an unnamed subject';
}

const MAX_COUNTER = 2n ** 64n - 1n;

/**
 * Two distinguished names in RFC 4514 / 2253 text, compared as the DCC tool's and OpenSSL's
 * spellings differ: attribute types and values case-folded, spaces around separators ignored, and
 * RDN order either way (X.500 or LDAP order).
 */
export function sameDistinguishedName(a: string, b: string): boolean {
  const x = comparableDn(a);
  return x !== '' && x === comparableDn(b);
}

/**
 * A DN's comparable form, kept for the last few hundred seen: every request compares its signer's issuer with
 * the repository's (the same few CAs), two regex splits and a sort each time.
 */
const comparableDns = new Map<string, string>();

function comparableDn(dn: string): string {
  let c = comparableDns.get(dn);
  if (c === undefined) {
    c = dn
      .split(/(?<!\\),/)
      .map((rdn) => rdn.split(/(?<!\\)=/).map((p) => p.trim().replace(/\s+/g, ' ').toLowerCase()).join('='))
      .filter((rdn) => rdn !== '')
      .sort()
      .join(',');
    // a sender's DN is any text: bounded in number and size
    if (dn.length > 1024) return c;
    if (comparableDns.size >= 256) comparableDns.delete(comparableDns.keys().next().value!);
    comparableDns.set(dn, c);
  }
  return c;
}

/** 1-2. Size, safe XML, schema (or their verdict from prevalidation). */
const parse: Step = {
  name: 'parse',
  run(ctx) {
    const pre = ctx.pre;
    if (pre?.kind === 'refused') throw new GatewayRejection(pre.responseCode, pre.reason, pre.step, undefined, pre.context);
    if (pre) ctx.request = pre.request;
    else {
      try {
        ctx.request = parseDuisRequest(ctx.body, { maxBytes: ctx.options.maxRequestBytes });
      } catch (err) {
        if (err instanceof DuisRejection) throw new GatewayRejection(err.responseCode, err.reason, parseRejectionStep(err), undefined, err.context);
        throw err;
      }
    }
    const problems = pre?.xsdProblems ?? ctx.options.xsd?.(ctx.request.xml);
    if (problems?.length) ctx.reject(Codes.invalidRequest, `not valid against the DUIS XSD: ${problems.slice(0, 3).join('; ')}`, 'schema');
    return `well-formed, safe DUIS ${ctx.request.schemaVersion} ${ctx.request.body.kind}`;
  },
  aheadMs: (ctx) => (ctx.pre?.kind === 'parsed' ? ctx.pre.parseMs : 0),
};

/** 3. XML signature, with the sender's XML-signing certificate from the SMKI repository. */
const signature: Step = {
  name: 'signature',
  run(ctx) {
    const { request, ports, options, pre } = ctx;
    const originator = request.requestId.originator;
    if (!request.signer) ctx.reject(Codes.invalidUser, 'the request carries no ds:Signature; DUIS requests must be signed');
    const signerRef = request.signer!;
    const bySerial = ports.certificatesBySerial(signerRef.serialDecimal);
    if (bySerial.length === 0) {
      ctx.reject(Codes.invalidUser, `no certificate with serial ${signerRef.serialDecimal} (KeyInfo X509SerialNumber) in the SMKI repository`);
    }
    // X509IssuerSerial names a certificate by both: a serial is unique only under its issuer.
    const candidates = bySerial.filter((c) => sameDistinguishedName(signerRef.issuerName, c.facts.issuerDn));
    if (candidates.length === 0) {
      ctx.reject(Codes.invalidUser, `certificate ${signerRef.serialDecimal} is issued by '${bySerial[0]!.facts.issuerDn}', not by '${signerRef.issuerName.slice(0, 200)}' (KeyInfo X509IssuerName)`);
    }
    const own = candidates.filter((c) => c.facts.subjectEui === originator);
    if (own.length === 0) {
      ctx.reject(Codes.invalidUser, `certificate ${signerRef.serialDecimal} belongs to ${describeHolder(candidates[0]!.facts)}, not to the RequestID originator ${dashedEui(originator)}`);
    }
    const usable = own.filter((c) => isXmlSigner(c, options));
    if (usable.length === 0) {
      ctx.reject(Codes.invalidUser, `certificate ${signerRef.serialDecimal} is not an XML-signing certificate (OU 87, digitalSignature)`);
    }
    const live = usable.filter((c) => !c.revoked);
    if (live.length === 0) ctx.reject(Codes.invalidUser, `the sender's XML-signing certificate ${signerRef.serialDecimal} is revoked`);
    // Prevalidated requests have no tree here: a candidate not verified ahead is checked on the text.
    const verified = firstVerifying(request, live, (c) => pre?.kind === 'parsed' && pre.verifiedBy.includes(c.facts.fingerprint));
    if (!verified.signer) ctx.reject(Codes.invalidUser, `XML signature check failed: ${verified.reason}`);
    ctx.signer = verified.signer!.facts;
    return `signed by ${dashedEui(originator)} with certificate ${signerRef.serialDecimal}`;
  },
  aheadMs: (ctx) => (ctx.pre?.kind === 'parsed' ? ctx.pre.signatureMs : 0),
};

/**
 * 4. RequestID: the counter strictly increases per originator (replay protection). The signed
 * pre-command leg reuses the RequestID of its pre-command and is matched to it instead.
 */
const requestId: Step = {
  name: 'request-id',
  run(ctx) {
    const { request, ports } = ctx;
    const leg = serviceFor(request.body.kind, request.serviceReferenceVariant)?.completesPreCommand;
    if (leg) {
      const issued = ports.preCommand(request.requestId.text);
      if (!issued) ctx.reject(leg.refusalCode, `no pre-command was issued for RequestID ${request.requestId.text}`);
      if (issued!.consumed) ctx.reject(leg.refusalCode, `the pre-command for RequestID ${request.requestId.text} has already been used`);
      return `matches the pre-command issued for ${request.requestId.text}`;
    }
    // The largest counter a RequestID can carry: accepted, it would leave its originator no greater one.
    if (request.requestId.counter >= MAX_COUNTER) {
      ctx.reject(Codes.invalidRequest, `RequestID counter ${request.requestId.counter} is the largest a RequestID can carry: accepting it would leave ${dashedEui(request.requestId.originator)} no greater counter for its next request`);
    }
    const last = ports.lastCounter(request.requestId.originator);
    if (last !== undefined && request.requestId.counter <= last) {
      ctx.reject(Codes.invalidRequest, `RequestID counter ${request.requestId.counter} is not greater than ${last}, the last accepted from ${dashedEui(request.requestId.originator)} (replay)`);
    }
    return `counter ${request.requestId.counter} > ${last ?? 'none yet'}`;
  },
};

/** 5a. The service, its command variant and the URL it was sent to (recorded with the user role). */
const service: Step = {
  name: 'service',
  run(ctx) {
    const { request, endpoint } = ctx;
    const kind = request.body.kind;
    const s = serviceFor(kind, request.serviceReferenceVariant);
    // Parsing refuses bodies no service reads, so a module is found; its variant may still differ.
    const module = s ?? ctx.reject(Codes.invalidRequest, `sr:${kind} is not served by dcc-sim`);
    if (request.serviceReferenceVariant !== module.variant) {
      ctx.reject(Codes.invalidRequest, `ServiceReferenceVariant ${request.serviceReferenceVariant} does not match the body ${kind} (${module.variant})`);
    }
    const expectedEndpoint = module.endpoints[request.commandVariant];
    if (!expectedEndpoint) {
      const allowed = Object.entries(module.endpoints).map(([cv, ep]) => `CV ${cv} on ${ep}`).join(', ');
      ctx.reject(Codes.commandVariant, `CommandVariant ${request.commandVariant} is not applicable to ${module.variant} (dcc-sim serves ${allowed})`);
    }
    if (expectedEndpoint !== endpoint) {
      ctx.reject(Codes.wrongEndpoint, `${module.variant} with CommandVariant ${request.commandVariant} belongs on /api/v1/${expectedEndpoint}, not /api/v1/${endpoint}`);
    }
    ctx.service = module;
    return null;
  },
};

/** 5b. The sender is a DCC User in a role eligible for the service. */
const userRole: Step = {
  name: 'user-role',
  run(ctx) {
    const originator = ctx.request.requestId.originator;
    const sender = ctx.ports.party(originator);
    if (!sender) ctx.reject(Codes.invalidUser, `${dashedEui(originator)} is not a known party`);
    if (!sender!.dccUser) {
      if (sender!.isDcc && originator === DCC_EUI && ctx.service.dccMayOriginate) {
        ctx.sender = sender!;
        return `the DCC itself (${sender!.name})`;
      }
      ctx.reject(Codes.userStatus, `${sender!.name} (${dashedEui(originator)}) is not a DCC User`);
    }
    const eligible = ctx.service.userRoles.length > 0 ? ctx.service.userRoles : (ctx.service.assumedUserRoles ?? []);
    const roles = sender!.userRoles.filter((r) => eligible.includes(r));
    if (roles.length === 0) {
      ctx.reject(Codes.roleNotAllowed, `${ctx.service.variant} may be sent by ${eligible.join('/')}; ${sender!.name} holds ${sender!.userRoles.join('/') || 'no user role'}`);
    }
    ctx.sender = sender!;
    return `${sender!.name} as ${roles.join('/')}`;
  },
};

/** 5c. A device service's target is in the inventory, at a status and of a type the service reaches; a non-device one is the DCC. */
const device: Step = {
  name: 'device',
  run(ctx) {
    const { request, ports } = ctx;
    const targeting = ctx.service.device;
    const target = request.requestId.target;
    if (!targeting) {
      if (target !== DCC_EUI) ctx.reject(Codes.invalidRequest, `a non-device request is addressed to the DCC ${dashedEui(DCC_EUI)}, not ${dashedEui(target)}`);
      return null;
    }
    const d = ports.device(target);
    if (!d) ctx.reject(Codes.unknownDevice, `device ${dashedEui(target)} is not in the smart metering inventory`);
    ctx.device = d!;
    // Type 2 devices take no GBCS commands from the DCC: the DCC reaches them only through a meter or the hub.
    if (isType2(d!.type)) ctx.reject(Codes.deviceType, `${d!.type} ${dashedEui(target)} is a Type 2 device: it takes no commands from the DCC (join it to a meter with 8.7.2)`);
    if (!targeting.statuses.includes(d!.status)) {
      ctx.reject(Codes.deviceStatus, `${d!.type} ${dashedEui(target)} is ${d!.status}; ${ctx.service.variant} needs ${targeting.statuses.join(' or ')}`);
    }
    const typeOk = targeting.suits(request.body, d!.type);
    if (typeOk !== true) ctx.reject(Codes.deviceType, typeOk);
    // Recorded with registration: the request log has one line for the device and its registration.
    return null;
  },
};

/** 5d. Registration data: the sender's authority over the device, as the service defines it. */
const registration: Step = {
  name: 'registration',
  run(ctx) {
    const targeting = ctx.service.device;
    if (!targeting) return null;
    const { ports, sender, request } = ctx;
    const d = ctx.device!;
    const target = request.requestId.target;
    const sp = d.mpxn ? ports.supplyPoint(d.mpxn) : undefined;
    ctx.supplyPoint = sp;
    const fail = (code: string, reason: string): never => ctx.reject(code, reason);
    if (!sp) {
      if (!targeting.withoutRegistration?.(d)) fail(Codes.notAuthorisedForDevice, `${d.type} ${dashedEui(d.eui)} has no registration data (no MPxN)`);
    } else {
      const fuelSupplierRole: UserRole = sp.fuel === 'E' ? 'IS' : 'GS';
      const fuelNetworkRole: UserRole = sp.fuel === 'E' ? 'ED' : 'GT';
      const who = `${sp.fuel === 'E' ? 'MPAN' : 'MPRN'} ${sp.mpxn}`;
      // An export service (no Import Supplier may send it) is the registered supplier's of the ESME's export MPAN;
      // an ESME with none in the inventory (ZAZ1's, before 6.20.2 sets one) takes it from its import supplier.
      const roles = ctx.service.userRoles;
      const exportSp = roles.includes('ES') && !roles.includes('IS') && d.exportMpan ? ports.supplyPoint(d.exportMpan) : undefined;
      const isSupplier = exportSp ? sender.eui === exportSp.supplierEui : sender.eui === sp.supplierEui && sender.userRoles.includes(fuelSupplierRole);
      const isNetworkOperator = sender.eui === sp.networkOperatorEui && sender.userRoles.includes(fuelNetworkRole);
      let holdsCell: boolean | undefined;
      const check: RegistrationCheck = {
        sender, device: d, supplyPoint: sp, isSupplier, isNetworkOperator, who, fail,
        // looked up only when a service asks (6.15.1): the device's cells and a certificate, read per request before.
        // A method, not a getter: a getter in an object literal gives each object a hidden class of its own, in the
        // old generation, which keeps all the request held past young collections (bench/measurements.md).
        holdsNetworkOperatorCell() {
          return (holdsCell ??= ports.cellHolder(target, 'networkOperatorDS') === request.requestId.originator);
        },
        needSupplier() {
          if (exportSp && !isSupplier) fail(Codes.notAuthorisedForDevice, `${sender.name} is not the registered Export Supplier for export MPAN ${exportSp.mpxn} (${exportSp.supplierEui ? dashedEui(exportSp.supplierEui) : 'none'} is)`);
          if (!isSupplier) fail(Codes.notAuthorisedForDevice, `${sender.name} is not the registered ${fuelSupplierRole === 'IS' ? 'Import' : 'Gas'} Supplier for ${who} (${sp.supplierEui ? dashedEui(sp.supplierEui) : 'none'} is)`);
        },
        needNetworkOperator() {
          if (!isNetworkOperator) fail(Codes.notAuthorisedForDevice, `${sender.name} is not the registered network operator for ${who} (${dashedEui(sp.networkOperatorEui)} is)`);
        },
      };
      targeting.authorise(request.body, check);
    }
    return `${d.type} ${dashedEui(target)} ${d.status}, ${sender.name} registered for ${sp?.mpxn ?? 'it'}`;
  },
};

/** The steps every request goes through, before its service's own. */
export const COMMON_STEPS: readonly Step[] = [parse, signature, requestId, service, userRole, device, registration];
