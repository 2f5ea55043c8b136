/**
 * Reading an inbound DUIS request: safe XML, then the schema for the supported services as own
 * code (envelope, header, the five bodies), then header/body consistency and CommandVariant, then
 * the content of typed values (certificates), then the signature's shape. Verification of the
 * signature itself is verifyDuisSignature(), once the caller has found the signer's key.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { describeCertificate } from '../../pki/index.ts';
import { Sequence, StructureError, checkAttributes, displayName } from './dom.ts';
import {
  DS_NS, REMOTE_PARTY_ROLE_NAMES, SIGNED_PRE_COMMAND_VARIANTS, SR_NS, SUPPORTED_SERVICES,
} from './model.ts';
import type {
  DuisRequest, InventoryQuery, RemotePartyRoleName, RequestId, SecurityCredentialsFields, ServiceBody, SupportedService,
} from './model.ts';
import { DuisRejection } from './rejection.ts';
import type { DuisRejectionContext } from './rejection.ts';
import { decodeXmlInput, parseXml } from './safe-xml.ts';
import { readSignatureProfile } from './xmldsig.ts';
import { REQUEST_BODY_ELEMENTS, SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS } from './xsd-enums.ts';
import { isXsDecimal, collapse } from './xsd-types.ts';
import {
  readBase64, readBoolean, readDateTime, readEui, readFloor, readInteger, readRequestId, readString, readStringEnum,
  readTokenEnum, readUprn,
} from './values.ts';

/** Critical service request variants (request matrix, duis.md §1.5): they travel as pre-commands. */
export const CRITICAL_SERVICE_REFERENCE_VARIANTS: readonly string[] = [
  '1.1.1', '1.1.2', '1.2.1', '1.2.2', '1.5', '1.6', '1.7', '2.1', '2.3', '2.5', '6.4.1', '6.6', '6.7', '6.8', '6.11',
  '6.14.1', '6.14.2', '6.14.3', '6.15.1', '6.15.2', '6.17', '6.24.2', '6.25', '6.26', '7.1', '7.2', '7.3', '7.5', '7.6',
  '7.8', '7.12', '7.13', '7.16', '8.1.1', '8.7.1', '8.8.1', '11.3',
];

export interface ParseRequestOptions {
  /** size limit in bytes (default DEFAULT_MAX_DUIS_BYTES) */
  maxBytes?: number;
}

interface CertificateField {
  path: string;
  der: Buffer;
}

const SUPPORTED_LIST = '6.15.1 UpdateSecurityCredentialsKRP, 6.21 RequestHandoverOfDCCControlledDevice, ' +
  '6.24.1 RetrieveDeviceSecurityCredentialsKRP, 8.2 ReadInventory and SignedPreCommand (for 6.15.1)';

function readCertificate(el: Element, path: string, certs: CertificateField[]): Buffer {
  const der = readBase64(el, path);
  certs.push({ path, der });
  return der;
}

function readCredentials(item: Element, path: string, handover: boolean, certs: CertificateField[]): SecurityCredentialsFields {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const out: Partial<SecurityCredentialsFields> = {};
  const exec = s.optional('ExecutionDateTime');
  if (exec) out.executionDateTime = readDateTime(exec, `${path}/sr:ExecutionDateTime`);
  out.remotePartyRole = readTokenEnum(s.required('RemotePartyRole'), `${path}/sr:RemotePartyRole`, REMOTE_PARTY_ROLE_NAMES);
  const floor = s.optional('RemotePartyFloorSeqNumber');
  if (floor) out.floorSeqNumber = readFloor(floor, `${path}/sr:RemotePartyFloorSeqNumber`);
  const topUp = s.optional('RemotePartyPrepaymentTopUpFloorSeqNumber');
  if (topUp) out.topUpFloorSeqNumber = readFloor(topUp, `${path}/sr:RemotePartyPrepaymentTopUpFloorSeqNumber`);
  const rc = s.required('ReplacementCertificates');
  let holder = rc;
  let holderPath = `${path}/sr:ReplacementCertificates`;
  checkAttributes(rc, holderPath);
  if (!handover) {
    // ReplacementCertificatesKRP: a choice whose only option is SupplierOrNetworkOperatorCertificates.
    const choice = new Sequence(rc, holderPath);
    holder = choice.required('SupplierOrNetworkOperatorCertificates');
    choice.end();
    holderPath = `${holderPath}/sr:SupplierOrNetworkOperatorCertificates`;
    checkAttributes(holder, holderPath);
  }
  const c = new Sequence(holder, holderPath);
  const ds = handover ? c.required('DigitalSigningCertificate') : c.optional('DigitalSigningCertificate');
  if (ds) out.digitalSigning = readCertificate(ds, `${holderPath}/sr:DigitalSigningCertificate`, certs);
  const ka = c.optional('KeyAgreementCertificate');
  if (ka) out.keyAgreement = readCertificate(ka, `${holderPath}/sr:KeyAgreementCertificate`, certs);
  const kaTopUp = c.optional('KeyAgreementTopUpCertificate');
  if (kaTopUp) out.keyAgreementTopUp = readCertificate(kaTopUp, `${holderPath}/sr:KeyAgreementTopUpCertificate`, certs);
  c.end();
  const cpcPath = `${path}/sr:CertificationPathCertificates`;
  const cpc = s.required('CertificationPathCertificates');
  checkAttributes(cpc, cpcPath);
  const cs = new Sequence(cpc, cpcPath);
  out.certificationPath = cs.repeated('Certificate', 1, 3).map((el, i) => readCertificate(el, `${cpcPath}/sr:Certificate[${i + 1}]`, certs));
  cs.end();
  out.applyTimeBasedCpvChecks = readBoolean(s.required('ApplyTimeBasedCPVChecks'), `${path}/sr:ApplyTimeBasedCPVChecks`);
  s.end();
  return out as SecurityCredentialsFields;
}

function readInventoryQuery(item: Element, path: string): InventoryQuery {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const options = 'one of sr:UPRN, sr:DeviceID, sr:MPxN, sr:PropertyFilter';
  const c = s.peek();
  if (c === undefined) throw new StructureError(`${path}: is empty, expected ${options}`);
  if (c.namespaceURI !== SR_NS || !['UPRN', 'DeviceID', 'MPxN', 'PropertyFilter'].includes(c.localName ?? '')) {
    throw new StructureError(`${path}: expected ${options}, found ${displayName(c)}`);
  }
  s.take();
  s.end();
  const p = `${path}/sr:${c.localName}`;
  switch (c.localName) {
    case 'UPRN':
      return { uprn: readUprn(c, p) };
    case 'DeviceID':
      return { deviceId: readEui(c, p) };
    case 'MPxN':
      return { mpxn: readString(c, p, 1, 13) };
    default: {
      checkAttributes(c, p);
      const f = new Sequence(c, p);
      const postCode = readString(f.required('PostCode'), `${p}/sr:PostCode`, 6, 8);
      const addressIdentifier = readString(f.required('AddressIdentifier'), `${p}/sr:AddressIdentifier`, 0, 30);
      f.end();
      return addressIdentifier === '' ? { postCode } : { postCode, addressIdentifier };
    }
  }
}

function readBody(item: Element, path: string, certs: CertificateField[]): ServiceBody {
  switch (item.localName) {
    case 'UpdateSecurityCredentialsKRP':
      return { kind: 'UpdateSecurityCredentialsKRP', ...readCredentials(item, path, false, certs) };
    case 'RequestHandoverOfDCCControlledDevice': {
      const f = readCredentials(item, path, true, certs);
      return { kind: 'RequestHandoverOfDCCControlledDevice', ...f, digitalSigning: f.digitalSigning! };
    }
    case 'SignedPreCommand': {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      const executionDateTime = exec ? readDateTime(exec, `${path}/sr:ExecutionDateTime`) : undefined;
      const gbcsPayload = readBase64(s.required('GBCSPayload'), `${path}/sr:GBCSPayload`);
      s.end();
      return executionDateTime ? { kind: 'SignedPreCommand', executionDateTime, gbcsPayload } : { kind: 'SignedPreCommand', gbcsPayload };
    }
    case 'RetrieveDeviceSecurityCredentialsKRP': {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const roles: RemotePartyRoleName[] = s.repeated('RemotePartyRole', 1, 7)
        .map((el, i) => readTokenEnum(el, `${path}/sr:RemotePartyRole[${i + 1}]`, REMOTE_PARTY_ROLE_NAMES));
      s.end();
      return { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles };
    }
    case 'ReadInventory':
      return { kind: 'ReadInventory', by: readInventoryQuery(item, path) };
    default:
      throw new Error(`unreachable: body ${item.localName}`);
  }
}

const SUPPORTED_BODIES = new Set(['UpdateSecurityCredentialsKRP', 'RequestHandoverOfDCCControlledDevice', 'SignedPreCommand', 'RetrieveDeviceSecurityCredentialsKRP', 'ReadInventory']);

/** Header/body consistency and the CommandVariant rules, for a structurally valid request. */
function checkService(body: ServiceBody, cv: number, sr: string, srv: string, ctx: DuisRejectionContext): void {
  if (srv !== sr && !srv.startsWith(`${sr}.`)) {
    throw new DuisRejection('consistency', `ServiceReferenceVariant ${srv} does not belong to ServiceReference ${sr}`, ctx);
  }
  if (cv === 9) throw new DuisRejection('command-variant', 'CommandVariant 9 is internal to the DCC and not available to Users', ctx);
  if (body.kind === 'SignedPreCommand') {
    if (!CRITICAL_SERVICE_REFERENCE_VARIANTS.includes(srv)) {
      throw new DuisRejection('consistency', `a SignedPreCommand answers a critical service request, and ${srv} is not critical`, ctx);
    }
    if (srv !== '6.15.1') {
      throw new DuisRejection('unsupported', `signed pre-commands for ${srv} are not supported by dcc-sim (only 6.15.1)`, ctx);
    }
    if (!SIGNED_PRE_COMMAND_VARIANTS.includes(cv)) {
      throw new DuisRejection('command-variant', `CommandVariant ${cv} does not fit a SignedPreCommand, which is sent with CommandVariant 5, 6 or 7`, ctx);
    }
    return;
  }
  const service = SUPPORTED_SERVICES.find((s) => s.body === body.kind) as SupportedService;
  if (srv !== service.serviceReferenceVariant) {
    throw new DuisRejection('consistency', `sr:${body.kind} is service ${service.serviceReferenceVariant}, but the header says ServiceReferenceVariant ${srv}`, ctx);
  }
  if (!service.commandVariants.includes(cv)) {
    const why = service.critical
      ? `${srv} is a critical service request: send it with CommandVariant 4 to obtain the pre-command, then the SignedPreCommand with 5, 6 or 7`
      : service.nonDevice
        ? `${srv} is a non-device service request, answered by the DCC: CommandVariant 8`
        : `${srv} is a non-critical device service request: CommandVariant 1, 2 or 3`;
    throw new DuisRejection('command-variant', `CommandVariant ${cv} is not applicable: ${why}`, ctx);
  }
}

function readRequest(doc: Document, text: string, ctx: DuisRejectionContext): DuisRequest {
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
  if (!SUPPORTED_BODIES.has(item.localName ?? '')) {
    throw new DuisRejection('unsupported', `sr:${item.localName} (ServiceReferenceVariant ${serviceReferenceVariant}) is not supported by dcc-sim; it supports ${SUPPORTED_LIST}`, ctx);
  }
  const certs: CertificateField[] = [];
  const body = readBody(item, `${bp}/sr:${item.localName}`, certs);

  let signer = null;
  try {
    signer = readSignatureProfile(doc)?.signer ?? null;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('signature', `signature does not follow the DCC profile: ${e.message}`, ctx);
    throw e;
  }

  checkService(body, commandVariant, serviceReference, serviceReferenceVariant, ctx);

  for (const c of certs) {
    try {
      describeCertificate(c.der);
    } catch (e) {
      throw new DuisRejection('content', `${c.path}: ${e instanceof Error ? e.message : 'not an X.509 certificate'}`, ctx);
    }
  }

  const request: DuisRequest = {
    schemaVersion, requestId, commandVariant, serviceReference, serviceReferenceVariant, body, signer, xml: text,
  };
  if (firstInSequence !== undefined) request.firstInSequence = firstInSequence;
  if (precedingRequestId !== undefined) request.precedingRequestId = precedingRequestId;
  return request;
}

// The tree each request was read from, so that its signature can be verified without parsing the
// text again (verifyDuisSignatureOfDocument). Weak: it lives exactly as long as the request.
const parsedDocuments = new WeakMap<DuisRequest, Document>();

/** The document parseDuisRequest read `request` from (unchanged by reading), if it came from there. */
export function parsedDocumentOf(request: DuisRequest): Document | undefined {
  return parsedDocuments.get(request);
}

/**
 * Parses and checks an inbound DUIS request. Throws DuisRejection naming the step (size, xml,
 * schema, unsupported, consistency, command-variant, content, signature) and the response code.
 */
export function parseDuisRequest(xml: string | Uint8Array, options: ParseRequestOptions = {}): DuisRequest {
  const text = decodeXmlInput(xml, options.maxBytes);
  const doc = parseXml(text);
  const ctx: DuisRejectionContext = {};
  try {
    const request = readRequest(doc, text, ctx);
    parsedDocuments.set(request, doc);
    return request;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('schema', e.message, ctx);
    throw e;
  }
}
