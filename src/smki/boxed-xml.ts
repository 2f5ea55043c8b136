import { randomBytes } from 'node:crypto';
import { dashedEui, parseEui } from '../../pki/index.ts';
import type { CertificateRecord } from '../../db/index.ts';
import { statusOf, type CertificateStatusLetter, type PortalQuery } from './repository.ts';
import { SmkiRefusal } from './refusal.ts';
import { escapeXml, readFlatXml, xmlElements } from './xml.ts';

// The SMKI web service in DCC Boxed's shape (port 8083), as DCC Boxed tooling calls it:
//   POST /services/certificatesearch    <CertificateSearchRequest><CertificateSubjectName>90-B3-…</…></…>
//   POST /services/retrievecertificate  <CertificateDataRequest><CertificateSerial>HEX</…></…>
// Answers: 200 with CertificateSearchResponse / CertificateDataResponse (ResponseCode, ResponseMessage,
// AuditReference, then Result… / CertificateResponse), 402 when nothing matches, 401 for invalid
// search parameters. dcc-sim adds 403 (with the reason in ResponseMessage) for device certificates.

const SEARCH_FIELDS = ['CertificateSubjectName', 'CertificateSubjectAltName', 'CertificateRole', 'CertificateUsage', 'CertificateStatus', 'CertificateSerial'];
const STATUS = new Set(['P', 'I', 'N', 'E', 'R']);

function invalid(reason: string): never {
  throw new SmkiRefusal(401, 'bad-request', `invalid search parameters: ${reason}`);
}

/** A CertificateSearchRequest as a portal query (401 when it is not one). */
export function parseSearchRequest(body: Buffer): PortalQuery {
  const xml = readFlatXml(body, 401);
  if (xml.root !== 'CertificateSearchRequest') invalid(`expected CertificateSearchRequest, got ${xml.root}`);
  const q: PortalQuery = {};
  const seen = new Set<string>();
  for (const f of xml.fields) {
    if (!SEARCH_FIELDS.includes(f.name)) invalid(`unknown element ${f.name} (${SEARCH_FIELDS.join(', ')})`);
    if (seen.has(f.name)) invalid(`${f.name} given twice`);
    seen.add(f.name);
    const eui = () => {
      try {
        return parseEui(f.text);
      } catch {
        return invalid(`${f.name} '${f.text.slice(0, 40)}' is not an EUI-64 (a1-a2-a3-a4-a5-a6-a7-a8)`);
      }
    };
    switch (f.name) {
      case 'CertificateSubjectName':
        q.subjectEui = eui();
        break;
      case 'CertificateSubjectAltName':
        q.subjectAltNameEui = eui();
        break;
      case 'CertificateRole':
        if (!/^[0-9]{1,3}$/.test(f.text) || Number(f.text) > 255) invalid(`CertificateRole '${f.text.slice(0, 20)}' is not a role code (decimal, e.g. 2 supplier, 135 XML signing)`);
        q.role = Number(f.text);
        break;
      case 'CertificateUsage':
        if (f.text !== 'DS' && f.text !== 'KA') invalid(`CertificateUsage '${f.text.slice(0, 20)}' is not DS or KA`);
        q.usage = f.text;
        break;
      case 'CertificateStatus':
        if (!STATUS.has(f.text)) invalid(`CertificateStatus '${f.text.slice(0, 20)}' is not one of P, I, N, E, R`);
        q.status = f.text as CertificateStatusLetter;
        break;
      case 'CertificateSerial':
        if (!/^(0x)?[0-9A-Fa-f]{1,64}$/.test(f.text)) invalid(`CertificateSerial '${f.text.slice(0, 40)}' is not a serial number (hex)`);
        q.serial = f.text;
        break;
    }
  }
  if (q.subjectEui === undefined && q.subjectAltNameEui === undefined && q.serial === undefined && q.role === undefined) {
    invalid('give CertificateSubjectName (organisation EUI), CertificateSerial or CertificateRole');
  }
  return q;
}

/** The serial of a CertificateDataRequest. */
export function parseRetrieveRequest(body: Buffer): string {
  const xml = readFlatXml(body, 401);
  if (xml.root !== 'CertificateDataRequest') invalid(`expected CertificateDataRequest, got ${xml.root}`);
  const serials = xml.fields.filter((f) => f.name === 'CertificateSerial');
  const other = xml.fields.find((f) => f.name !== 'CertificateSerial');
  if (other) invalid(`unknown element ${other.name} (CertificateSerial)`);
  if (serials.length !== 1) invalid('give exactly one CertificateSerial');
  const serial = serials[0]!.text;
  if (!/^(0x)?[0-9A-Fa-f]{1,64}$/.test(serial)) invalid(`CertificateSerial '${serial.slice(0, 40)}' is not a serial number (hex)`);
  return serial;
}

function header(code: number, message: string): string {
  return xmlElements([
    ['ResponseCode', code],
    ['ResponseMessage', message],
    ['AuditReference', `${Date.now()}-${randomBytes(5).toString('hex')}`],
  ]);
}

/** The fields describing one certificate, in DCC Boxed's order. */
function describe(c: CertificateRecord, now: Date, body: boolean): string {
  const subject = c.subjectEui ? dashedEui(c.subjectEui) : c.subjectDn;
  return (
    xmlElements([
      ['CertificateSubjectName', subject],
      ['CertificateSerial', c.serialHex],
      ['CertificateStatus', statusOf(c, now)],
    ]) +
    (body ? `<CertificateBody>${escapeXml(c.der.toString('base64'))}</CertificateBody>` : '') +
    xmlElements([
      ['CertificateRole', c.role],
      ['CertificateUsage', c.keyUsage],
      ['ManufacturingFlag', 'false'],
    ])
  );
}

const DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

export function searchResponse(found: CertificateRecord[], now: Date): string {
  return `${DECL}<CertificateSearchResponse>${header(200, 'Success')}${found.map((c) => `<Result>${describe(c, now, false)}</Result>`).join('')}</CertificateSearchResponse>`;
}

export function retrieveResponse(c: CertificateRecord, now: Date): string {
  return `${DECL}<CertificateDataResponse>${header(200, 'Success')}<CertificateResponse>${describe(c, now, true)}</CertificateResponse></CertificateDataResponse>`;
}

/** A refusal in the same envelope (root CertificateSearchResponse or CertificateDataResponse). */
export function refusalResponse(root: 'CertificateSearchResponse' | 'CertificateDataResponse', r: SmkiRefusal): string {
  return `${DECL}<${root}>${header(r.status, r.reason)}${xmlElements([['Refusal', r.code]])}</${root}>`;
}
