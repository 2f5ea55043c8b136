/**
 * Building a compact, unsigned DUIS request from typed fields, for `dcc-sim send` and the tests.
 * Values are checked against their XSD types; a value that does not fit is a RangeError naming
 * the field. Sign the result with signDuis.
 */
import { dashedEui, parseEui } from '../../pki/index.ts';
import { DEFAULT_SCHEMA_VERSION, REMOTE_PARTY_ROLE_NAMES, SUPPORTED_SERVICES } from './model.ts';
import type { RemotePartyRoleName, RequestId, SecurityCredentialsFields, ServiceBody } from './model.ts';
import { checkSchemaVersion, requestIdText, requestRootStart } from './response.ts';
import { FLOOR_MAX } from './values.ts';
import { XML_DECLARATION, assertXmlChars, el, textEl } from './xml-write.ts';
import { SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS } from './xsd-enums.ts';
import { charLength, formatXsDateTime, parseXsInteger, totalDigits } from './xsd-types.ts';

export interface BuildRequestInput {
  /** default 5.4 */
  schemaVersion?: string;
  requestId: string | RequestId | { originator: string; target: string; counter: bigint | number };
  firstInSequence?: boolean;
  precedingRequestId?: string | RequestId;
  commandVariant: number;
  /** default: the service of the body; for a SignedPreCommand 6.15 / 6.15.1 */
  serviceReference?: string;
  serviceReferenceVariant?: string;
  body: ServiceBody;
}

function b64(value: unknown, field: string): string {
  if (!(value instanceof Uint8Array)) throw new RangeError(`${field}: expected bytes (Buffer)`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

function role(value: string, field: string): RemotePartyRoleName {
  if (!(REMOTE_PARTY_ROLE_NAMES as readonly string[]).includes(value)) {
    throw new RangeError(`${field}: ${JSON.stringify(value)} is not one of ${REMOTE_PARTY_ROLE_NAMES.join(', ')}`);
  }
  return value as RemotePartyRoleName;
}

function floor(value: bigint, field: string): string {
  if (typeof value !== 'bigint' || value < 0n || value > FLOOR_MAX) throw new RangeError(`${field}: must be a bigint in 0..${FLOOR_MAX}`);
  return value.toString();
}

function str(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new RangeError(`${field}: expected a string`);
  assertXmlChars(value, field);
  const n = charLength(value);
  if (n < min || n > max) throw new RangeError(`${field}: ${JSON.stringify(value)} has ${n} characters, expected ${min}..${max}`);
  return value;
}

function execution(d: Date | undefined): string {
  return d === undefined ? '' : textEl('ExecutionDateTime', formatXsDateTime(d));
}

function credentials(b: SecurityCredentialsFields, handover: boolean): string {
  let out = execution(b.executionDateTime) + textEl('RemotePartyRole', role(b.remotePartyRole, 'body.remotePartyRole'));
  if (b.floorSeqNumber !== undefined) out += textEl('RemotePartyFloorSeqNumber', floor(b.floorSeqNumber, 'body.floorSeqNumber'));
  if (b.topUpFloorSeqNumber !== undefined) out += textEl('RemotePartyPrepaymentTopUpFloorSeqNumber', floor(b.topUpFloorSeqNumber, 'body.topUpFloorSeqNumber'));
  if (handover && b.digitalSigning === undefined) throw new RangeError('body.digitalSigning: required for RequestHandoverOfDCCControlledDevice');
  let certs = '';
  if (b.digitalSigning !== undefined) certs += textEl('DigitalSigningCertificate', b64(b.digitalSigning, 'body.digitalSigning'));
  if (b.keyAgreement !== undefined) certs += textEl('KeyAgreementCertificate', b64(b.keyAgreement, 'body.keyAgreement'));
  if (b.keyAgreementTopUp !== undefined) certs += textEl('KeyAgreementTopUpCertificate', b64(b.keyAgreementTopUp, 'body.keyAgreementTopUp'));
  out += el('ReplacementCertificates', handover ? certs : el('SupplierOrNetworkOperatorCertificates', certs));
  if (!Array.isArray(b.certificationPath) || b.certificationPath.length < 1 || b.certificationPath.length > 3) {
    throw new RangeError('body.certificationPath: 1..3 certificates are required');
  }
  out += el('CertificationPathCertificates', b.certificationPath.map((c, i) => textEl('Certificate', b64(c, `body.certificationPath[${i}]`))).join(''));
  if (typeof b.applyTimeBasedCpvChecks !== 'boolean') throw new RangeError('body.applyTimeBasedCpvChecks: expected a boolean');
  return out + textEl('ApplyTimeBasedCPVChecks', String(b.applyTimeBasedCpvChecks));
}

function writeBody(body: ServiceBody): string {
  switch (body.kind) {
    case 'UpdateSecurityCredentialsKRP':
      return el(body.kind, credentials(body, false));
    case 'RequestHandoverOfDCCControlledDevice':
      return el(body.kind, credentials(body, true));
    case 'SignedPreCommand':
      return el(body.kind, execution(body.executionDateTime) + textEl('GBCSPayload', b64(body.gbcsPayload, 'body.gbcsPayload')));
    case 'RetrieveDeviceSecurityCredentialsKRP': {
      if (!Array.isArray(body.roles) || body.roles.length < 1 || body.roles.length > 7) throw new RangeError('body.roles: 1..7 remote party roles are required');
      return el(body.kind, body.roles.map((r, i) => textEl('RemotePartyRole', role(r, `body.roles[${i}]`))).join(''));
    }
    case 'ReadInventory': {
      const by = body.by;
      let q: string;
      if ('uprn' in by) {
        const v = parseXsInteger(by.uprn);
        if (v === null || v < 1n || totalDigits(v) > 12 || !/^[0-9]+$/.test(by.uprn)) throw new RangeError(`body.by.uprn: ${JSON.stringify(by.uprn)} is not a UPRN (1..12 digits)`);
        q = textEl('UPRN', by.uprn);
      } else if ('deviceId' in by) {
        q = textEl('DeviceID', dashedEui(parseEui(by.deviceId)));
      } else if ('mpxn' in by) {
        q = textEl('MPxN', str(by.mpxn, 'body.by.mpxn', 1, 13));
      } else if ('postCode' in by) {
        q = el('PropertyFilter', textEl('PostCode', str(by.postCode, 'body.by.postCode', 6, 8)) +
          textEl('AddressIdentifier', str(by.addressIdentifier ?? '', 'body.by.addressIdentifier', 0, 30)));
      } else {
        throw new RangeError('body.by: expected uprn, deviceId, mpxn or postCode');
      }
      return el(body.kind, q);
    }
    default:
      throw new RangeError(`body.kind: ${JSON.stringify((body as { kind: unknown }).kind)} is not a supported request body`);
  }
}

/** A compact, unsigned sr:Request. */
export function buildRequest(r: BuildRequestInput): string {
  const schemaVersion = checkSchemaVersion(r.schemaVersion ?? DEFAULT_SCHEMA_VERSION, 'schemaVersion');
  const service = SUPPORTED_SERVICES.find((s) => s.body === r.body?.kind);
  const serviceReference = r.serviceReference ?? service?.serviceReference ?? '6.15';
  const serviceReferenceVariant = r.serviceReferenceVariant ?? service?.serviceReferenceVariant ?? '6.15.1';
  if (!SERVICE_REFERENCES.includes(serviceReference)) throw new RangeError(`serviceReference: ${JSON.stringify(serviceReference)} is not a DUIS ServiceReference`);
  if (!SERVICE_REFERENCE_VARIANTS.includes(serviceReferenceVariant)) throw new RangeError(`serviceReferenceVariant: ${JSON.stringify(serviceReferenceVariant)} is not a DUIS ServiceReferenceVariant`);
  if (!Number.isInteger(r.commandVariant) || r.commandVariant < 1 || r.commandVariant > 9) throw new RangeError(`commandVariant: ${r.commandVariant} is not 1..9`);
  let header = textEl('RequestID', requestIdText(r.requestId, 'requestId'));
  if (r.firstInSequence !== undefined) header += textEl('FirstInSequence', String(r.firstInSequence));
  if (r.precedingRequestId !== undefined) header += textEl('PrecedingServiceRequestID', requestIdText(r.precedingRequestId, 'precedingRequestId'));
  header += textEl('CommandVariant', String(r.commandVariant)) + textEl('ServiceReference', serviceReference) +
    textEl('ServiceReferenceVariant', serviceReferenceVariant);
  return `${XML_DECLARATION}${requestRootStart(schemaVersion)}${el('Header', header)}${el('Body', writeBody(r.body))}</sr:Request>`;
}
