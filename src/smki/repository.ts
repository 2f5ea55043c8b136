import { certificateToPem, dashedEui, roleHex, type Eui } from '../../pki/index.ts';
import type { CertificateQuery, CertificateRecord } from '../../db/index.ts';
import type { World } from '../world/index.ts';
import { MP074_DEVICE_CERTIFICATES, SmkiRefusal } from './refusal.ts';
import { zipArchive } from './zip.ts';

// The SMKI repository as the portal interface shows it: organisation (and XML-signing) certificates
// and the CA certificates above them. Device certificates are never served here (MP074): a search
// or retrieval aimed at one is refused; broad searches are scoped to what the portal serves.

/** Certificate kinds the portal serves. */
export const PORTAL_KINDS = ['organisation', 'xml-signing', 'root', 'issuing-ca', 'device-ca'] as const;

/** DCC Boxed's status letters: P pending, I in use, N not in use, E expired, R revoked. */
export type CertificateStatusLetter = 'P' | 'I' | 'N' | 'E' | 'R';

export function statusOf(c: CertificateRecord, now: Date): CertificateStatusLetter {
  if (c.revokedAt !== null) return 'R';
  if (now.getTime() > Date.parse(c.notAfter)) return 'E';
  if (now.getTime() < Date.parse(c.notBefore)) return 'N';
  return 'I';
}

export interface PortalQuery {
  /** the organisation's EUI (DCC Boxed CertificateSubjectName) */
  subjectEui?: Eui;
  /** a device's EUI (DCC Boxed CertificateSubjectAltName): always refused here */
  subjectAltNameEui?: Eui;
  role?: number;
  usage?: string;
  /** hex (DCC Boxed form) or decimal */
  serial?: string;
  ski?: string;
  status?: CertificateStatusLetter;
  kind?: string;
  limit?: number;
}

function refuseDevice(what: string): never {
  throw new SmkiRefusal(403, 'wrong-interface', `${what}. ${MP074_DEVICE_CERTIFICATES}`);
}

/** Normalised hex of a serial as the repository stores it (upper case, no leading zeros beyond one byte). */
function hexSerial(text: string): string | null {
  const h = text.trim().replace(/^0x/i, '').replace(/[:\s]/g, '');
  if (!/^[0-9A-Fa-f]+$/.test(h)) return null;
  return h.toUpperCase().replace(/^0+(?=[0-9A-F]{2})/, '');
}

/** The repository's certificates with this serial: read as hex (DCC Boxed's form), else as decimal. */
export function certificatesWithSerial(world: World, serial: string, kind?: string): CertificateRecord[] {
  const hex = hexSerial(serial);
  const byHex = hex ? world.store.searchCertificates({ serial: `0x${hex}`, kind, limit: 10 }) : [];
  if (byHex.length || !/^\s*[0-9]+\s*$/.test(serial)) return byHex;
  return world.store.searchCertificates({ serial: serial.trim(), kind, limit: 10 });
}

/** Searches what the portal serves; refuses (403, MP074) anything aimed at a device certificate. */
export function searchPortal(world: World, q: PortalQuery, now: Date): CertificateRecord[] {
  const store = world.store;
  if (q.subjectAltNameEui !== undefined) {
    refuseDevice(`a search by CertificateSubjectAltName (device ${dashedEui(q.subjectAltNameEui)}) asks for device certificates`);
  }
  if (q.kind === 'device') refuseDevice('a search for device certificates');
  if (q.kind !== undefined && !(PORTAL_KINDS as readonly string[]).includes(q.kind)) {
    throw new SmkiRefusal(400, 'bad-request', `kind '${q.kind}' is not one of ${PORTAL_KINDS.join(', ')}`);
  }
  if (q.subjectEui !== undefined) {
    if (store.getDevice(q.subjectEui) || store.searchCertificates({ eui: q.subjectEui, kind: 'device', limit: 1 }).length) {
      refuseDevice(`${dashedEui(q.subjectEui)} is a device: its certificates are device certificates`);
    }
  }
  const base: CertificateQuery = {
    eui: q.subjectEui,
    role: q.role,
    keyUsage: q.usage,
    ski: q.ski,
    limit: Math.min(q.limit ?? 100, 1000),
  };
  if (q.serial !== undefined && certificatesWithSerial(world, q.serial, 'device').length) {
    refuseDevice(`serial ${q.serial} is a device certificate's`);
  }
  if (q.ski !== undefined && store.searchCertificates({ ski: q.ski, kind: 'device', limit: 1 }).length) {
    refuseDevice(`key identifier ${q.ski} is a device certificate's`);
  }
  const kinds = q.kind ? [q.kind] : PORTAL_KINDS;
  const found: CertificateRecord[] = [];
  for (const kind of kinds) {
    found.push(...(q.serial !== undefined ? certificatesWithSerial(world, q.serial, kind) : store.searchCertificates({ ...base, kind })));
  }
  return found
    .filter((c) => (q.serial === undefined ? true : (q.subjectEui === undefined || c.subjectEui === q.subjectEui) && (q.role === undefined || c.role === q.role) && (q.usage === undefined || c.keyUsage === q.usage)))
    .filter((c) => q.status === undefined || statusOf(c, now) === q.status)
    .sort((a, b) => a.id - b.id)
    .slice(0, base.limit);
}

/** One certificate by serial, for retrieval; refuses device certificates (403) and answers 404 when none. */
export function retrievePortal(world: World, serial: string): CertificateRecord {
  const all = certificatesWithSerial(world, serial);
  const served = all.filter((c) => (PORTAL_KINDS as readonly string[]).includes(c.kind));
  if (served.length) return served[0]!;
  if (all.some((c) => c.kind === 'device')) refuseDevice(`certificate ${serial} is a device certificate`);
  throw new SmkiRefusal(404, 'not-found', `no certificate with serial ${serial} in the SMKI repository`);
}

/** A certificate as the JSON API shows it. */
export function certificateJson(world: World, c: CertificateRecord, now: Date, withPem = false) {
  const holder = c.subjectEui ? world.store.getParty(c.subjectEui)?.name ?? null : null;
  return {
    id: c.id,
    serial: c.serialHex,
    serialDecimal: c.serialDecimal,
    kind: c.kind,
    subjectEui: c.subjectEui ? dashedEui(c.subjectEui) : null,
    holder,
    role: c.role,
    roleHex: c.role === null ? null : roleHex(c.role),
    keyUsage: c.keyUsage,
    status: statusOf(c, now),
    subjectDn: c.subjectDn,
    issuerDn: c.issuerDn,
    ski: c.ski,
    aki: c.aki,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    revokedAt: c.revokedAt,
    revocationReason: c.revocationReason,
    ...(withPem ? { pem: certificateToPem(c.der) } : {}),
  };
}

function fileName(c: CertificateRecord): string {
  if (c.kind === 'organisation' || c.kind === 'xml-signing') {
    return `org-certs/cert/${c.subjectEui ?? 'unknown'}-${c.role === null ? 'XX' : roleHex(c.role)}-${c.keyUsage}-${c.serialHex}.pem`;
  }
  const cn = /CN=([^,]+)/.exec(c.subjectDn)?.[1]?.replace(/[^A-Za-z0-9_.-]/g, '_') ?? 'ca';
  return `org-certs/ca/${c.kind}-${cn}-${c.serialHex}.pem`;
}

/**
 * Every unrevoked organisation, XML-signing and CA certificate as PEM files in a ZIP, with a
 * manifest.json: the portal's bulk download (DCC Boxed offers an org-certs.zip). No private keys.
 */
export function organisationCertificatesZip(world: World, now: Date): Buffer {
  const files: { name: string; data: Buffer }[] = [];
  const manifest: object[] = [];
  for (const kind of PORTAL_KINDS) {
    for (const c of world.store.searchCertificates({ kind, limit: 1_000_000 })) {
      if (c.revokedAt !== null) continue;
      const name = fileName(c);
      files.push({ name, data: Buffer.from(certificateToPem(c.der)) });
      manifest.push({ file: name, ...certificateJson(world, c, now) });
    }
  }
  files.unshift({ name: 'org-certs/manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n') });
  return zipArchive(files, now);
}
