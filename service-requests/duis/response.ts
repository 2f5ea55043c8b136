/**
 * DUIS responses and alerts: built compact with a `standalone="no"` declaration and the root
 * namespace declarations DCC Boxed writes (sr, ns3 = xmldsig, ra), unsigned (the caller signs with
 * signDuis); and parsed back for dcc-sim's own client and the tests.
 *
 * Builders check every value against its XSD type first, so what they return is schema-valid;
 * a value that does not fit is a RangeError naming the field.
 */
import type { Element } from '@xmldom/xmldom';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { Sequence, StructureError, checkAttributes, displayName } from './dom.ts';
import { DEFAULT_SCHEMA_VERSION, DS_NS, RA_NS, SR_NS } from './model.ts';
import type {
  DuisResponse, FutureDatedDeviceAlert, InventoryDevice, RequestId, ResponseBody, ResponseContent, WanMatrixRegion, WanMatrixRequest,
} from './model.ts';
import { DuisRejection } from './rejection.ts';
import { decodeXmlInput, parseXml } from './safe-xml.ts';
import { readSignatureProfile, signDuis, signDuisCanonical, type DuisSigner } from './xmldsig.ts';
import { XML_DECLARATION, assertXmlChars, el, escapeAttribute, textEl } from './xml-write.ts';
import {
  CONNECTIVITIES, CPL_STATUSES, CSP_REGIONS, DEVICE_STATUSES, DEVICE_TYPES, ESME_VARIANTS, FIRMWARE_VERSION_STATUSES,
  RESPONSE_CODES, SERVICE_REFERENCES, SERVICE_REFERENCE_VARIANTS,
} from './xsd-enums.ts';
import { charLength, collapse, formatXsDateTime, isXsDecimal, isXsHexBinary, parseXsInteger, totalDigits } from './xsd-types.ts';
import {
  formatRequestId, parseRequestIdText, readBase64, readBoolean, readDateTime, readEui, readRequestId, readString, readStringEnum,
  readUnsigned, readUprn,
} from './values.ts';

// ---- shared writing helpers ----

/** RequestID/ResponseID text from a string or a RequestId, checked against the RequestIDType pattern. */
export function requestIdText(id: string | RequestId | { originator: string; target: string; counter: bigint | number }, field: string): string {
  if (typeof id === 'string') {
    if (parseRequestIdText(id) === null) throw new RangeError(`${field}: ${JSON.stringify(id)} is not a RequestID (EUI:EUI:counter)`);
    return id;
  }
  if ('text' in id && typeof id.text === 'string' && parseRequestIdText(id.text) !== null) return id.text;
  return formatRequestId(id);
}

export function checkSchemaVersion(v: string, field: string): string {
  if (!isXsDecimal(v) || v !== collapse(v)) throw new RangeError(`${field}: schemaVersion ${JSON.stringify(v)} is not a decimal number`);
  return v;
}

function checkEnum(value: string, allowed: readonly string[], field: string): string {
  if (!allowed.includes(value)) throw new RangeError(`${field}: ${JSON.stringify(value)} is not one of the XSD's values`);
  return value;
}

function checkString(value: unknown, field: string, min = 0, max = Number.POSITIVE_INFINITY): string {
  if (typeof value !== 'string') throw new RangeError(`${field}: expected a string`);
  assertXmlChars(value, field);
  const n = charLength(value);
  if (n < min || n > max) throw new RangeError(`${field}: ${JSON.stringify(value)} has ${n} characters, expected ${min}..${max === Number.POSITIVE_INFINITY ? '' : max}`);
  return value;
}

function checkBytes(value: unknown, field: string): string {
  if (!(value instanceof Uint8Array)) throw new RangeError(`${field}: expected bytes (Buffer)`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

function checkUnsigned(value: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${field}: ${value} is not an integer in 0..${max}`);
  return value;
}

const XS_DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;

function isXsDate(value: string): boolean {
  const m = XS_DATE.exec(value);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const probe = new Date(0);
  probe.setUTCFullYear(y, mo - 1, d); // rolls over when the day does not exist in that month
  return probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

function checkDate(value: string, field: string): string {
  if (typeof value !== 'string' || !isXsDate(value)) throw new RangeError(`${field}: ${JSON.stringify(value)} is not an xs:date (YYYY-MM-DD with optional zone)`);
  return value;
}

function checkUprn(value: string, field: string): string {
  const v = parseXsInteger(value);
  if (v === null || v < 1n || totalDigits(v) > 12 || value !== collapse(value)) throw new RangeError(`${field}: ${JSON.stringify(value)} is not a UPRN (positive integer, at most 12 digits)`);
  return value;
}

/** The root start tag Boxed writes, with the schemaVersion. */
function rootStart(name: 'Request' | 'Response', schemaVersion: string): string {
  const extra = name === 'Response' ? ` xmlns:ns3="${DS_NS}" xmlns:ra="${RA_NS}"` : '';
  return `<sr:${name} xmlns:sr="${SR_NS}"${extra} schemaVersion="${escapeAttribute(schemaVersion)}">`;
}

const RESPONSE_START = `${XML_DECLARATION}<sr:Response xmlns:sr="${SR_NS}" xmlns:ns3="${DS_NS}" xmlns:ra="${RA_NS}" schemaVersion="`;
const CANONICAL_RESPONSE_START = `<sr:Response xmlns:ns3="${DS_NS}" xmlns:ra="${RA_NS}" xmlns:sr="${SR_NS}" schemaVersion="`;

/**
 * The inclusive C14N 1.0 octets of a response or alert that buildResponse / buildDeviceAlert wrote,
 * without parsing it; null for any other text. What C14N changes in our output is fixed: the
 * declaration goes, the root's namespace declarations are sorted by prefix (ns3, ra, sr) before
 * the schemaVersion attribute, and a CR in text is written &#xD; (escapeText writes &#13;).
 * Elements are always written as start and end tags, text is escaped as C14N escapes it (&, <, >),
 * there is no whitespace between elements and no other namespace declaration or attribute.
 */
export function canonicalOwnResponse(xml: string): string | null {
  if (!xml.startsWith(RESPONSE_START)) return null;
  const close = xml.indexOf('">', RESPONSE_START.length);
  if (close === -1) return null;
  const version = xml.slice(RESPONSE_START.length, close);
  if (!/^[0-9.+-]+$/.test(version) || !xml.endsWith('</sr:Response>')) return null;
  const rest = xml.slice(close);
  // anything a builder cannot have written (a declaration, comment, PI, CDATA, another reference) is left to the general path
  if (/<[!?]|&(?!amp;|lt;|gt;|#13;)|<sr:Response[\s>]|<[^>]*\s[^>]*>|\r/.test(rest.slice(2))) return null;
  return CANONICAL_RESPONSE_START + version + rest.replaceAll('&#13;', '&#xD;');
}

/** Signs a document the DCC built: the fast path when its canonical form is known, signDuis otherwise. */
export function signResponse(xml: string, signer: DuisSigner): string {
  const canonical = canonicalOwnResponse(xml);
  return canonical === null ? signDuis(xml, signer) : signDuisCanonical(xml, canonical, signer);
}

export function requestRootStart(schemaVersion: string): string {
  return rootStart('Request', schemaVersion);
}

// ---- inventory devices: one table for writing and reading, in XSD order ----

type DeviceFieldKind = 'eui' | 'enum' | 'string' | 'date' | 'uprn' | 'propertyFilter';
interface DeviceField {
  key: keyof InventoryDevice;
  el: string;
  kind: DeviceFieldKind;
  required?: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
}

const DEVICE_FIELDS: readonly DeviceField[] = [
  { key: 'deviceId', el: 'DeviceID', kind: 'eui', required: true },
  { key: 'deviceType', el: 'DeviceType', kind: 'enum', values: DEVICE_TYPES, required: true },
  { key: 'deviceStatus', el: 'DeviceStatus', kind: 'enum', values: DEVICE_STATUSES },
  { key: 'deviceManufacturer', el: 'DeviceManufacturer', kind: 'string', max: 30, required: true },
  { key: 'deviceModel', el: 'DeviceModel', kind: 'string', max: 30, required: true },
  { key: 'smetsChtsVersion', el: 'SMETSCHTSVersion', kind: 'string', min: 1, max: 20 },
  { key: 'deviceFirmwareVersion', el: 'DeviceFirmwareVersion', kind: 'string', min: 1, max: 8 },
  { key: 'deviceFirmwareVersionStatus', el: 'DeviceFirmwareVersionStatus', kind: 'enum', values: FIRMWARE_VERSION_STATUSES },
  { key: 'cplStatus', el: 'CPLStatus', kind: 'enum', values: CPL_STATUSES },
  { key: 'dateCommissioned', el: 'DateCommissioned', kind: 'date' },
  { key: 'importMpxn', el: 'ImportMPxN', kind: 'string', min: 1, max: 13 },
  { key: 'secondaryImportMpan', el: 'SecondaryImportMPAN', kind: 'string', min: 13, max: 13 },
  { key: 'exportMpan', el: 'ExportMPAN', kind: 'string', min: 13, max: 13 },
  { key: 'esmeVariant', el: 'ESMEVariant', kind: 'enum', values: ESME_VARIANTS },
  { key: 'uprn', el: 'UPRN', kind: 'uprn' },
  { key: 'propertyFilter', el: 'PropertyFilter', kind: 'propertyFilter' },
  { key: 'cspRegion', el: 'CSPRegion', kind: 'enum', values: CSP_REGIONS },
  { key: 'deviceGbcsVersion', el: 'DeviceGBCSVersion', kind: 'string' },
  { key: 'hanVariant', el: 'HANVariant', kind: 'string' },
  { key: 's1sp', el: 'S1SP', kind: 'string' },
  { key: 'connectivity', el: 'Connectivity', kind: 'enum', values: CONNECTIVITIES },
];

function writeDevice(d: InventoryDevice, field: string): string {
  if (d === null || typeof d !== 'object') throw new RangeError(`${field}: expected a device object`);
  let out = '';
  for (const f of DEVICE_FIELDS) {
    const v = d[f.key];
    const name = `${field}.${f.key}`;
    if (v === undefined) {
      if (f.required) throw new RangeError(`${name} is required`);
      continue;
    }
    switch (f.kind) {
      case 'eui':
        out += textEl(f.el, dashedEui(parseEui(v as string)));
        break;
      case 'enum':
        out += textEl(f.el, checkEnum(v as string, f.values!, name));
        break;
      case 'string':
        out += textEl(f.el, checkString(v, name, f.min, f.max));
        break;
      case 'date':
        out += textEl(f.el, checkDate(v as string, name));
        break;
      case 'uprn':
        out += textEl(f.el, checkUprn(v as string, name));
        break;
      case 'propertyFilter': {
        const p = v as NonNullable<InventoryDevice['propertyFilter']>;
        out += el('PropertyFilter',
          textEl('PostCode', checkString(p.postCode, `${name}.postCode`, 6, 8)) +
          textEl('AddressIdentifier', checkString(p.addressIdentifier, `${name}.addressIdentifier`, 0, 30)));
        break;
      }
    }
  }
  return el('Device', out);
}

function readDevice(item: Element, path: string): InventoryDevice {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const d: Record<string, unknown> = {};
  for (const f of DEVICE_FIELDS) {
    const e = f.required ? s.required(f.el) : s.optional(f.el);
    if (e === undefined) continue;
    const p = `${path}/sr:${f.el}`;
    switch (f.kind) {
      case 'eui':
        d[f.key] = readEui(e, p);
        break;
      case 'enum':
        d[f.key] = readStringEnum(e, p, f.values!, f.el);
        break;
      case 'string':
        d[f.key] = readString(e, p, f.min ?? 0, f.max ?? Number.POSITIVE_INFINITY);
        break;
      case 'date': {
        const v = collapse(readString(e, p, 0, 40));
        if (!isXsDate(v)) throw new StructureError(`${p}: ${JSON.stringify(v)} is not an xs:date (YYYY-MM-DD with optional zone)`);
        d[f.key] = v;
        break;
      }
      case 'uprn':
        d[f.key] = readUprn(e, p);
        break;
      case 'propertyFilter': {
        checkAttributes(e, p);
        const pf = new Sequence(e, p);
        const postCode = readString(pf.required('PostCode'), `${p}/sr:PostCode`, 6, 8);
        const addressIdentifier = readString(pf.required('AddressIdentifier'), `${p}/sr:AddressIdentifier`, 0, 30);
        pf.end();
        d[f.key] = { postCode, addressIdentifier };
        break;
      }
    }
  }
  s.end();
  return d as unknown as InventoryDevice;
}

// ---- building ----

function writeFutureDatedAlert(a: FutureDatedDeviceAlert, field: string): string {
  if (a.alertCode !== '8F66' && a.alertCode !== '8F67') throw new RangeError(`${field}.alertCode: ${JSON.stringify(a.alertCode)} is not 8F66 or 8F67`);
  return el('FutureDatedDeviceAlertMessage',
    textEl('FutureDatedAlertCode', a.alertCode) +
    textEl('GBCSPayload', checkBytes(a.gbcsPayload, `${field}.gbcsPayload`)) +
    textEl('InstructionNumber', String(checkUnsigned(a.instructionNumber, 65535, `${field}.instructionNumber`))) +
    textEl('TotalCommandInstructions', String(checkUnsigned(a.totalCommandInstructions, 65535, `${field}.totalCommandInstructions`))));
}

export function writeWanMatrixRequest(r: WanMatrixRequest, field: string): string {
  if ('uprn' in r) return textEl('UPRN', checkUprn(r.uprn, `${field}.uprn`));
  return el('PartialAddress',
    textEl('PostCode', checkString(r.postCode, `${field}.postCode`, 6, 8)) +
    textEl('AddressIdentifier', checkString(r.addressIdentifier, `${field}.addressIdentifier`, 0, 30)));
}

const LIKELIHOODS = ['High', 'Medium', 'Low'];

function writeWanMatrixRegion(r: WanMatrixRegion, field: string): string {
  let out = textEl('CSPRegion', checkEnum(r.cspRegion, CSP_REGIONS, `${field}.cspRegion`)) +
    textEl('CSPRegionResponseCode', checkEnum(r.responseCode, RESPONSE_CODES, `${field}.responseCode`));
  const c = r.coverage;
  if (c !== undefined) {
    out += textEl('CoverageAvailability', c.available ? 'true' : 'false');
    if (c.anticipatedDate !== undefined) out += textEl('AnticipatedCoverageDate', checkDate(c.anticipatedDate, `${field}.coverage.anticipatedDate`));
    out += textEl('WANTechnology', checkString(c.wanTechnology, `${field}.coverage.wanTechnology`, 1, 30));
    out += textEl('ConnectivityLikelihood', checkEnum(c.likelihood, LIKELIHOODS, `${field}.coverage.likelihood`));
    if (c.auxiliaryEquipment !== undefined) out += textEl('AuxiliaryEquipmentRequired', checkString(c.auxiliaryEquipment, `${field}.coverage.auxiliaryEquipment`, 0, 50));
    if (c.additionalInformation !== undefined) out += textEl('AdditionalInformation', checkString(c.additionalInformation, `${field}.coverage.additionalInformation`, 0, 250));
  }
  return el('DSPWANMatrixResponse', out);
}

function readWanMatrix(item: Element, path: string): { request: WanMatrixRequest; regions: WanMatrixRegion[] } {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const rp = `${path}/sr:Request`;
  const req = s.required('Request');
  checkAttributes(req, rp);
  const rs = new Sequence(req, rp);
  let request: WanMatrixRequest;
  const uprn = rs.optional('UPRN');
  if (uprn) request = { uprn: readUprn(uprn, `${rp}/sr:UPRN`) };
  else {
    const pa = rs.required('PartialAddress');
    const pp = `${rp}/sr:PartialAddress`;
    checkAttributes(pa, pp);
    const ps = new Sequence(pa, pp);
    request = { postCode: readString(ps.required('PostCode'), `${pp}/sr:PostCode`, 6, 8), addressIdentifier: readString(ps.required('AddressIdentifier'), `${pp}/sr:AddressIdentifier`, 0, 30) };
    ps.end();
  }
  rs.end();
  const regions = s.repeated('DSPWANMatrixResponse', 1, Number.POSITIVE_INFINITY).map((e, i) => {
    const p = `${path}/sr:DSPWANMatrixResponse[${i + 1}]`;
    checkAttributes(e, p);
    const q = new Sequence(e, p);
    const region: WanMatrixRegion = {
      cspRegion: readStringEnum(q.required('CSPRegion'), `${p}/sr:CSPRegion`, CSP_REGIONS, 'CSPRegion'),
      responseCode: readStringEnum(q.required('CSPRegionResponseCode'), `${p}/sr:CSPRegionResponseCode`, RESPONSE_CODES, 'ResponseCode'),
    };
    const avail = q.optional('CoverageAvailability');
    if (avail) {
      const available = readBoolean(avail, `${p}/sr:CoverageAvailability`);
      const date = q.optional('AnticipatedCoverageDate');
      const anticipatedDate = date ? collapse(readString(date, `${p}/sr:AnticipatedCoverageDate`, 0, 40)) : undefined;
      if (anticipatedDate !== undefined && !isXsDate(anticipatedDate)) throw new StructureError(`${p}/sr:AnticipatedCoverageDate: ${JSON.stringify(anticipatedDate)} is not an xs:date`);
      const wanTechnology = readString(q.required('WANTechnology'), `${p}/sr:WANTechnology`, 1, 30);
      const likelihood = readStringEnum(q.required('ConnectivityLikelihood'), `${p}/sr:ConnectivityLikelihood`, LIKELIHOODS, 'ConnectivityLikelihood') as 'High' | 'Medium' | 'Low';
      const aux = q.optional('AuxiliaryEquipmentRequired');
      const info = q.optional('AdditionalInformation');
      region.coverage = {
        available, wanTechnology, likelihood,
        ...(anticipatedDate !== undefined ? { anticipatedDate } : {}),
        ...(aux ? { auxiliaryEquipment: readString(aux, `${p}/sr:AuxiliaryEquipmentRequired`, 0, 50) } : {}),
        ...(info ? { additionalInformation: readString(info, `${p}/sr:AdditionalInformation`, 0, 250) } : {}),
      };
    }
    q.end();
    return region;
  });
  s.end();
  return { request, regions };
}

/** scheduleID: a non-negative integer up to 10^12. */
function checkScheduleId(n: number, field: string): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > 1_000_000_000_000) throw new RangeError(`${field}: ${n} is not a DSPScheduleID (0..10^12)`);
  return n;
}

function writeContent(c: ResponseContent): string {
  if ('preCommand' in c) {
    return el('PreCommand',
      textEl('GBCSVersion', checkString(c.preCommand.gbcsVersion, 'content.preCommand.gbcsVersion')) +
      textEl('GBCSPayload', checkBytes(c.preCommand.gbcsPayload, 'content.preCommand.gbcsPayload')));
  }
  if ('gbcsPayload' in c) return textEl('GBCSPayload', checkBytes(c.gbcsPayload, 'content.gbcsPayload'));
  if ('localCommand' in c) return el('LocalCommand', textEl('GBCSPayload', checkBytes(c.localCommand.gbcsPayload, 'content.localCommand.gbcsPayload')));
  if ('cinMessage' in c) {
    if (typeof c.cinMessage.cin !== 'string' || !/^[0-9]{4}$/.test(c.cinMessage.cin)) throw new RangeError(`content.cinMessage.cin: ${JSON.stringify(c.cinMessage.cin)} is not four digits`);
    return el('CINMessage', textEl('GBCSPayload', checkBytes(c.cinMessage.gbcsPayload, 'content.cinMessage.gbcsPayload')) + textEl('CustomerIdentificationNumber', c.cinMessage.cin));
  }
  if ('dspInventory' in c) {
    const devices = c.dspInventory;
    if (!Array.isArray(devices) || devices.length < 1 || devices.length > 17) {
      throw new RangeError(`content.dspInventory: DSPInventory holds 1..17 devices, got ${Array.isArray(devices) ? devices.length : 'no array'}`);
    }
    return el('DSPInventory', devices.map((d, i) => writeDevice(d, `content.dspInventory[${i}]`)).join(''));
  }
  if ('futureDatedDeviceAlert' in c) return writeFutureDatedAlert(c.futureDatedDeviceAlert, 'content.futureDatedDeviceAlert');
  if ('dspWanMatrix' in c) {
    const m = c.dspWanMatrix;
    if (m.regions.length < 1) throw new RangeError('content.dspWanMatrix.regions: a DSPWANMatrix answers for at least one CSP region');
    return el('DSPWANMatrix', el('Request', writeWanMatrixRequest(m.request, 'content.dspWanMatrix.request')) +
      m.regions.map((r, i) => writeWanMatrixRegion(r, `content.dspWanMatrix.regions[${i}]`)).join(''));
  }
  if ('dspScheduleId' in c) return textEl('DSPScheduleID', String(checkScheduleId(c.dspScheduleId, 'content.dspScheduleId')));
  if ('dspSchedulesRead' in c) {
    const list = c.dspSchedulesRead;
    if (list.length < 1 || list.length > 99) throw new RangeError(`content.dspSchedulesRead: DSPSchedulesRead holds 1..99 schedules, got ${list.length}`);
    return el('DSPSchedulesRead', list.map((x, i) => el('DSPSchedules',
      textEl('DSPScheduleID', String(checkScheduleId(x.id, `content.dspSchedulesRead[${i}].id`))) +
      el('DSPScheduleDetails', x.detailsXml ?? ''))).join(''));
  }
  if ('dspScheduledMessage' in c) {
    return el('DSPScheduledMessage', textEl('GBCSPayload', checkBytes(c.dspScheduledMessage.gbcsPayload, 'content.dspScheduledMessage.gbcsPayload')) +
      textEl('DSPScheduleID', String(checkScheduleId(c.dspScheduledMessage.scheduleId, 'content.dspScheduledMessage.scheduleId'))));
  }
  throw new RangeError('content: not a known ResponseContent');
}

interface HeaderInput {
  schemaVersion?: string;
  requestId?: string | RequestId;
  responseId?: string | RequestId;
  responseCode: string;
  responseDateTime: Date;
}

function writeResponse(h: HeaderInput, bodyContent: string): string {
  const schemaVersion = checkSchemaVersion(h.schemaVersion ?? DEFAULT_SCHEMA_VERSION, 'schemaVersion');
  let header = '';
  if (h.requestId !== undefined) header += textEl('RequestID', requestIdText(h.requestId, 'requestId'));
  if (h.responseId !== undefined) header += textEl('ResponseID', requestIdText(h.responseId, 'responseId'));
  header += textEl('ResponseCode', checkEnum(h.responseCode, RESPONSE_CODES, 'responseCode'));
  header += textEl('ResponseDateTime', formatXsDateTime(h.responseDateTime));
  return `${XML_DECLARATION}${rootStart('Response', schemaVersion)}${el('Header', header)}${el('Body', bodyContent)}</sr:Response>`;
}

export interface BuildResponseInput extends HeaderInput {
  serviceReference: string;
  serviceReferenceVariant: string;
  content?: ResponseContent;
}

/** A compact, unsigned sr:Response holding a ResponseMessage. */
export function buildResponse(r: BuildResponseInput): string {
  const message =
    textEl('ServiceReference', checkEnum(r.serviceReference, SERVICE_REFERENCES, 'serviceReference')) +
    textEl('ServiceReferenceVariant', checkEnum(r.serviceReferenceVariant, SERVICE_REFERENCE_VARIANTS, 'serviceReferenceVariant')) +
    (r.content === undefined ? '' : writeContent(r.content));
  return writeResponse(r, el('ResponseMessage', message));
}

export interface BuildDeviceAlertInput {
  schemaVersion?: string;
  requestId?: string | RequestId;
  responseId?: string | RequestId;
  /** default I0 */
  responseCode?: string;
  responseDateTime: Date;
  /** two bytes as four hex digits, e.g. '8F66' */
  alertCode: string;
  gbcsPayload: Buffer;
  throttledAlertSequenceId?: number;
  throttledAlertCount?: number;
  /**
   * For 8F66/8F67 (outcome of a future-dated command): the XSD's dedicated shape,
   * ResponseMessage/FutureDatedDeviceAlertMessage, carrying the original request's service reference.
   */
  futureDated?: { serviceReference: string; serviceReferenceVariant: string; instructionNumber: number; totalCommandInstructions: number };
}

/**
 * A device alert for the user: Body/DeviceAlertMessage, or, with `futureDated`, the
 * FutureDatedDeviceAlertMessage the XSD defines for alerts 8F66/8F67.
 */
export function buildDeviceAlert(a: BuildDeviceAlertInput): string {
  const alertCode = typeof a.alertCode === 'string' ? a.alertCode.toUpperCase() : '';
  if (!/^[0-9A-F]{4}$/.test(alertCode)) throw new RangeError(`alertCode: ${JSON.stringify(a.alertCode)} is not two bytes of hex (e.g. 8F66)`);
  const header: HeaderInput = { ...a, responseCode: a.responseCode ?? 'I0' };
  if (a.futureDated !== undefined) {
    if (a.throttledAlertCount !== undefined || a.throttledAlertSequenceId !== undefined) {
      throw new RangeError('throttling fields do not exist in a FutureDatedDeviceAlertMessage');
    }
    return buildResponse({
      ...header,
      serviceReference: a.futureDated.serviceReference,
      serviceReferenceVariant: a.futureDated.serviceReferenceVariant,
      content: {
        futureDatedDeviceAlert: {
          alertCode: alertCode as '8F66' | '8F67',
          gbcsPayload: a.gbcsPayload,
          instructionNumber: a.futureDated.instructionNumber,
          totalCommandInstructions: a.futureDated.totalCommandInstructions,
        },
      },
    });
  }
  let body = textEl('AlertCode', alertCode);
  if (a.throttledAlertSequenceId !== undefined) body += textEl('ThrottledAlertSequenceId', String(checkUnsigned(a.throttledAlertSequenceId, 4294967295, 'throttledAlertSequenceId')));
  if (a.throttledAlertCount !== undefined) body += textEl('ThrottledAlertCount', String(checkUnsigned(a.throttledAlertCount, 4294967295, 'throttledAlertCount')));
  body += textEl('GBCSPayload', checkBytes(a.gbcsPayload, 'gbcsPayload'));
  return writeResponse(header, el('DeviceAlertMessage', body));
}

// ---- parsing ----

function readResponseMessage(item: Element, path: string): ResponseBody {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const serviceReference = readStringEnum(s.required('ServiceReference'), `${path}/sr:ServiceReference`, SERVICE_REFERENCES, 'ServiceReference');
  const serviceReferenceVariant = readStringEnum(s.required('ServiceReferenceVariant'), `${path}/sr:ServiceReferenceVariant`, SERVICE_REFERENCE_VARIANTS, 'ServiceReferenceVariant');
  const out: ResponseBody = { kind: 'ResponseMessage', serviceReference, serviceReferenceVariant };
  const c = s.peek();
  if (c !== undefined) {
    if (c.namespaceURI !== SR_NS) throw new StructureError(`${path}: unexpected ${displayName(c)}`);
    s.take();
    const p = `${path}/sr:${c.localName}`;
    switch (c.localName) {
      case 'PreCommand': {
        checkAttributes(c, p);
        const pc = new Sequence(c, p);
        const gbcsVersion = readString(pc.required('GBCSVersion'), `${p}/sr:GBCSVersion`, 0, Number.POSITIVE_INFINITY);
        const gbcsPayload = readBase64(pc.required('GBCSPayload'), `${p}/sr:GBCSPayload`);
        pc.end();
        out.content = { preCommand: { gbcsVersion, gbcsPayload } };
        break;
      }
      case 'GBCSPayload':
        out.content = { gbcsPayload: readBase64(c, p) };
        break;
      case 'LocalCommand': {
        checkAttributes(c, p);
        const lc = new Sequence(c, p);
        const gbcsPayload = readBase64(lc.required('GBCSPayload'), `${p}/sr:GBCSPayload`);
        lc.end();
        out.content = { localCommand: { gbcsPayload } };
        break;
      }
      case 'CINMessage': {
        checkAttributes(c, p);
        const cm = new Sequence(c, p);
        const gbcsPayload = readBase64(cm.required('GBCSPayload'), `${p}/sr:GBCSPayload`);
        const cinEl = cm.required('CustomerIdentificationNumber');
        const cin = readString(cinEl, `${p}/sr:CustomerIdentificationNumber`, 4, 4);
        if (!/^[0-9]{4}$/.test(cin)) throw new StructureError(`${p}/sr:CustomerIdentificationNumber: ${JSON.stringify(cin)} is not four digits`);
        cm.end();
        out.content = { cinMessage: { gbcsPayload, cin } };
        break;
      }
      case 'DSPInventory': {
        checkAttributes(c, p);
        const inv = new Sequence(c, p);
        const devices = inv.repeated('Device', 1, 17).map((d, i) => readDevice(d, `${p}/sr:Device[${i + 1}]`));
        inv.end();
        out.content = { dspInventory: devices };
        break;
      }
      case 'FutureDatedDeviceAlertMessage': {
        checkAttributes(c, p);
        const f = new Sequence(c, p);
        const code = collapse(readString(f.required('FutureDatedAlertCode'), `${p}/sr:FutureDatedAlertCode`, 0, 10)).toUpperCase();
        if (code !== '8F66' && code !== '8F67') throw new StructureError(`${p}/sr:FutureDatedAlertCode: ${JSON.stringify(code)} is not 8F66 or 8F67`);
        const gbcsPayload = readBase64(f.required('GBCSPayload'), `${p}/sr:GBCSPayload`);
        const instructionNumber = readUnsigned(f.required('InstructionNumber'), `${p}/sr:InstructionNumber`, 65535, 'unsignedShort');
        const totalCommandInstructions = readUnsigned(f.required('TotalCommandInstructions'), `${p}/sr:TotalCommandInstructions`, 65535, 'unsignedShort');
        f.end();
        out.content = { futureDatedDeviceAlert: { alertCode: code, gbcsPayload, instructionNumber, totalCommandInstructions } };
        break;
      }
      case 'DSPWANMatrix':
        out.content = { dspWanMatrix: readWanMatrix(c, p) };
        break;
      case 'DSPScheduleID':
        out.content = { dspScheduleId: Number(readUnsigned(c, p, 1_000_000_000_000, 'scheduleID')) };
        break;
      case 'DSPScheduledMessage': {
        checkAttributes(c, p);
        const m = new Sequence(c, p);
        const gbcsPayload = readBase64(m.required('GBCSPayload'), `${p}/sr:GBCSPayload`);
        const scheduleId = Number(readUnsigned(m.required('DSPScheduleID'), `${p}/sr:DSPScheduleID`, 1_000_000_000_000, 'scheduleID'));
        m.end();
        out.content = { dspScheduledMessage: { gbcsPayload, scheduleId } };
        break;
      }
      case 'DSPSchedulesRead': {
        checkAttributes(c, p);
        const r = new Sequence(c, p);
        const list = r.repeated('DSPSchedules', 1, 99).map((x, i) => {
          const xp = `${p}/sr:DSPSchedules[${i + 1}]`;
          const xs = new Sequence(x, xp);
          const id = Number(readUnsigned(xs.required('DSPScheduleID'), `${xp}/sr:DSPScheduleID`, 1_000_000_000_000, 'scheduleID'));
          const details = xs.required('DSPScheduleDetails');
          xs.end();
          const child = (name: string) => Array.from(details.childNodes).find((n) => (n as Element).localName === name)?.textContent?.trim();
          const variant = child('DSPScheduledServiceReferenceVariant');
          const device = child('DeviceID');
          return { id, ...(variant ? { serviceReferenceVariant: variant } : {}), ...(device ? { deviceId: device } : {}) };
        });
        r.end();
        out.content = { dspSchedulesRead: list };
        break;
      }
      default:
        // Other contents (opt-in...) belong to services dcc-sim does not implement.
        out.otherContent = c.localName ?? '';
    }
  }
  s.end();
  return out;
}

function readDeviceAlert(item: Element, path: string): ResponseBody {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const code = collapse(readString(s.required('AlertCode'), `${path}/sr:AlertCode`, 0, 64));
  if (!isXsHexBinary(code) || code === '') throw new StructureError(`${path}/sr:AlertCode: ${JSON.stringify(code)} is not hexBinary`);
  const out: ResponseBody = { kind: 'DeviceAlertMessage', alertCode: code.toUpperCase(), gbcsPayload: Buffer.alloc(0) };
  const seq = s.optional('ThrottledAlertSequenceId');
  if (seq) out.throttledAlertSequenceId = readUnsigned(seq, `${path}/sr:ThrottledAlertSequenceId`, 4294967295, 'unsignedInt');
  const count = s.optional('ThrottledAlertCount');
  if (count) out.throttledAlertCount = readUnsigned(count, `${path}/sr:ThrottledAlertCount`, 4294967295, 'unsignedInt');
  out.gbcsPayload = readBase64(s.required('GBCSPayload'), `${path}/sr:GBCSPayload`);
  s.end();
  return out;
}

export interface ParseResponseOptions {
  maxBytes?: number;
}

/** Parses a DUIS response or alert (what dcc-sim's own client receives). Throws DuisRejection. */
export function parseDuisResponse(xml: string | Uint8Array, options: ParseResponseOptions = {}): DuisResponse {
  const text = decodeXmlInput(xml, options.maxBytes);
  const doc = parseXml(text);
  try {
    const root = doc.documentElement!;
    if (root.namespaceURI !== SR_NS || root.localName !== 'Response') {
      throw new StructureError(`the root element is ${displayName(root)}, expected sr:Response in namespace ${SR_NS}`);
    }
    const rp = 'sr:Response';
    checkAttributes(root, rp, ['schemaVersion']);
    const schemaVersion = collapse(root.getAttribute('schemaVersion') ?? '');
    if (!isXsDecimal(schemaVersion)) throw new StructureError(`${rp}: schemaVersion ${JSON.stringify(schemaVersion)} is missing or not a decimal number`);
    const top = new Sequence(root, rp);
    const header = top.required('Header');
    const bodyEl = top.required('Body');
    top.optional('Signature', DS_NS);
    top.end();
    const hp = `${rp}/sr:Header`;
    checkAttributes(header, hp);
    const h = new Sequence(header, hp);
    const rq = h.optional('RequestID');
    const rs = h.optional('ResponseID');
    const response: Partial<DuisResponse> = { schemaVersion };
    if (rq) response.requestId = readRequestId(rq, `${hp}/sr:RequestID`);
    if (rs) response.responseId = readRequestId(rs, `${hp}/sr:ResponseID`);
    response.responseCode = readStringEnum(h.required('ResponseCode'), `${hp}/sr:ResponseCode`, RESPONSE_CODES, 'ResponseCode');
    response.responseDateTime = readDateTime(h.required('ResponseDateTime'), `${hp}/sr:ResponseDateTime`);
    h.end();
    const bp = `${rp}/sr:Body`;
    checkAttributes(bodyEl, bp);
    const b = new Sequence(bodyEl, bp);
    const item = b.peek();
    if (item === undefined) throw new StructureError(`${bp}: is empty`);
    b.take();
    b.end();
    const ip = `${bp}/${displayName(item)}`;
    if (item.namespaceURI !== SR_NS) throw new StructureError(`${bp}: ${displayName(item)} is not a DUIS response body`);
    switch (item.localName) {
      case 'ResponseMessage':
        response.body = readResponseMessage(item, ip);
        break;
      case 'DeviceAlertMessage':
        response.body = readDeviceAlert(item, ip);
        break;
      case 'DCCAlertMessage': {
        const s = new Sequence(item, ip);
        response.body = { kind: 'DCCAlertMessage', dccAlertCode: collapse(readString(s.required('DCCAlertCode'), `${ip}/sr:DCCAlertCode`, 1, 10)) };
        break;
      }
      case 'SMETS1ResponseMessage':
        response.body = { kind: 'SMETS1ResponseMessage' };
        break;
      default:
        throw new StructureError(`${bp}: ${displayName(item)} is not a DUIS response body (ResponseMessage, DeviceAlertMessage, DCCAlertMessage, SMETS1ResponseMessage)`);
    }
    try {
      response.signer = readSignatureProfile(doc)?.signer ?? null;
    } catch (e) {
      if (e instanceof StructureError) throw new DuisRejection('signature', `signature does not follow the DCC profile: ${e.message}`);
      throw e;
    }
    response.xml = text;
    return response as DuisResponse;
  } catch (e) {
    if (e instanceof StructureError) throw new DuisRejection('schema', e.message);
    throw e;
  }
}
