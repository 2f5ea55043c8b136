// The SMKI repository: certificates (issued and carried), their revocation, the private keys the
// world holds, and which certificates are a device's own.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './world-db.ts';

export interface CertificateRecord {
  id: number;
  fingerprint: string;
  serialHex: string;
  serialDecimal: string;
  kind: string;
  subjectEui: string | null;
  role: number | null;
  keyUsage: string;
  ski: string;
  aki: string | null;
  subjectDn: string;
  issuerDn: string;
  notBefore: string;
  notAfter: string;
  label: string | null;
  der: Buffer;
  revokedAt: string | null;
  revocationReason: string | null;
}

export type NewCertificate = Omit<CertificateRecord, 'id' | 'revokedAt' | 'revocationReason'>;

export interface CertificateQuery {
  eui?: string;
  role?: number;
  keyUsage?: string;
  serial?: string; // decimal or hex (hex with 0x prefix or letters)
  ski?: string;
  kind?: string;
  limit?: number;
}

type Row = Record<string, unknown>;

/**
 * Certificates looked up by fingerprint, kept for one SQLite connection. Every request asks for the
 * same few (the cells' holders'; its signer, found by serial, goes by id to World's parsed facts), and
 * the rows with their DER cost more to read than to keep (bench/measurements.md, issue 20). Any write to
 * the certificates table on this connection, by whatever statement (revocation runs raw SQL too), is
 * seen by temporary triggers; one on another connection (a CLI revoking on a served world file) by
 * PRAGMA data_version, once per task. PostgreSQL worlds, which other servers write, are not cached.
 */
interface CertificateCache {
  /** a certificate row was written on this connection since the maps were last known good */
  changed: boolean;
  dataVersion: Statement;
  seenVersion: unknown;
  /** data_version read in this task already (reading it opens a read transaction: ~5 µs outside one) */
  versionChecked: boolean;
  byFingerprint: Map<string, CertificateRecord | undefined>;
}

const CACHE_SIZE = 10_000;
const caches = new WeakMap<SqliteDatabase, CertificateCache | null>();

function cacheOf(db: SqliteDatabase): CertificateCache | null {
  let c = caches.get(db);
  if (c !== undefined) return c;
  c = null;
  if ((db as unknown as { dialect?: string }).dialect !== 'postgres') {
    try {
      const cache: CertificateCache = { changed: false, dataVersion: db.prepare('PRAGMA data_version').pluck(), seenVersion: undefined, versionChecked: false, byFingerprint: new Map() };
      db.function('dcc_sim_certificates_changed', { deterministic: false }, () => {
        cache.changed = true;
        return null;
      });
      for (const op of ['INSERT', 'UPDATE', 'DELETE'])
        db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS dcc_sim_certificates_${op.toLowerCase()} AFTER ${op} ON main.certificates BEGIN SELECT dcc_sim_certificates_changed(); END`);
      c = cache;
    } catch {
      c = null; // a connection that cannot take the triggers is read every time
    }
  }
  caches.set(db, c);
  return c;
}

/**
 * Certificates on this connection are always read from the table: a pipeline worker's recorded
 * connection (src/dcc/speculation.ts), whose reads the main thread checks again when it commits, so
 * none may be answered from memory. Called before any repository is made on it.
 */
export function noCertificateCache(db: SqliteDatabase): void {
  caches.set(db, null);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= CACHE_SIZE) map.delete(map.keys().next().value!);
  map.set(key, value);
}

function certificateFromRow(r: Row): CertificateRecord {
  // frozen: a cached record is shared by every caller
  return Object.freeze({
    id: r.id as number,
    fingerprint: r.fingerprint as string,
    serialHex: r.serial_hex as string,
    serialDecimal: r.serial_decimal as string,
    kind: r.kind as string,
    subjectEui: (r.subject_eui as string | null) ?? null,
    role: (r.role as number | null) ?? null,
    keyUsage: r.key_usage as string,
    ski: r.ski as string,
    aki: (r.aki as string | null) ?? null,
    subjectDn: r.subject_dn as string,
    issuerDn: r.issuer_dn as string,
    notBefore: r.not_before as string,
    notAfter: r.not_after as string,
    label: (r.label as string | null) ?? null,
    der: r.der as Buffer,
    revokedAt: (r.revoked_at as string | null) ?? null,
    revocationReason: (r.revocation_reason as string | null) ?? null,
  });
}

/** Queries of the certificates, private_keys and device_credentials tables; statements are prepared once. */
export class SmkiRepository {
  private readonly stmts;
  // set up outside a transaction (here, or at a later lookup): a temporary trigger created inside one would go
  // with its rollback
  private cache: CertificateCache | null | undefined;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      certInsert: p(
        `INSERT INTO certificates (fingerprint, serial_hex, serial_decimal, kind, subject_eui, role, key_usage, ski, aki,
           subject_dn, issuer_dn, not_before, not_after, label, der)
         VALUES (@fingerprint, @serialHex, @serialDecimal, @kind, @subjectEui, @role, @keyUsage, @ski, @aki,
           @subjectDn, @issuerDn, @notBefore, @notAfter, @label, @der)
         ON CONFLICT(fingerprint) DO NOTHING`,
      ),
      certIdByFingerprint: p('SELECT id FROM certificates WHERE fingerprint = ?'),
      certGet: p('SELECT * FROM certificates WHERE id = ?'),
      certByFingerprint: p('SELECT * FROM certificates WHERE fingerprint = ?'),
      certBySerial: p('SELECT * FROM certificates WHERE serial_decimal = ?'),
      // the gateway's signature check needs only which certificates and whether revoked (their facts are kept by id):
      // 18 columns and the DER made an object row of ~60,000 instructions per request
      certIdsBySerial: p('SELECT id, revoked_at FROM certificates WHERE serial_decimal = ? ORDER BY id').raw(),
      certRevoke: p('UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ? AND revoked_at IS NULL'),
      keyInsert: p('INSERT INTO private_keys (certificate_id, pkcs8) VALUES (?, ?) ON CONFLICT (certificate_id) DO UPDATE SET pkcs8 = excluded.pkcs8'),
      keyGet: p('SELECT pkcs8 FROM private_keys WHERE certificate_id = ?'),
      credentialsGet: p('SELECT * FROM device_credentials WHERE device_eui = ?'),
      credentialsInsert: p('INSERT INTO device_credentials (device_eui, ds_certificate_id, ka_certificate_id) VALUES (?, ?, ?)'),
      credentialsSetDs: p('UPDATE device_credentials SET ds_certificate_id = ? WHERE device_eui = ?'),
      credentialsSetKa: p('UPDATE device_credentials SET ka_certificate_id = ? WHERE device_eui = ?'),
    };
    if (!db.inTransaction) this.cache = cacheOf(db);
  }

  /**
   * The cache if its entries may be used now. After a certificate write in a transaction still open,
   * not until it ends: a rolled-back insert must not stay cached, and reads meanwhile go to the table.
   */
  private usableCache(): CertificateCache | null {
    if (this.cache === undefined) {
      if (this.db.inTransaction) return null;
      this.cache = cacheOf(this.db);
    }
    const c = this.cache;
    if (!c) return null;
    if (c.changed) {
      if (this.db.inTransaction) return null;
      c.changed = false;
      c.byFingerprint.clear();
    }
    // Another connection's commit is seen from the next task on: it raced with this one, which may be taken
    // to have come first (a request is handled in one task).
    if (!c.versionChecked) {
      c.versionChecked = true;
      queueMicrotask(() => {
        c.versionChecked = false;
      });
      const v = c.dataVersion.get();
      if (v !== c.seenVersion) {
        c.seenVersion = v;
        c.byFingerprint.clear();
      }
    }
    return c;
  }

  /** Stores a certificate once (by fingerprint) and returns its id. */
  putCertificate(c: NewCertificate): number {
    this.stmts.certInsert.run(c);
    const row = this.stmts.certIdByFingerprint.get(c.fingerprint) as { id: number };
    return row.id;
  }

  getCertificate(id: number): CertificateRecord | undefined {
    const row = this.stmts.certGet.get(id) as Row | undefined;
    return row ? certificateFromRow(row) : undefined;
  }

  getCertificateByFingerprint(fingerprint: string): CertificateRecord | undefined {
    const c = this.usableCache();
    if (c?.byFingerprint.has(fingerprint)) return c.byFingerprint.get(fingerprint);
    const row = this.stmts.certByFingerprint.get(fingerprint) as Row | undefined;
    const record = row ? certificateFromRow(row) : undefined;
    if (c) remember(c.byFingerprint, fingerprint, record);
    return record;
  }

  certificatesBySerial(serialDecimal: string): CertificateRecord[] {
    return (this.stmts.certBySerial.all(serialDecimal) as Row[]).map(certificateFromRow);
  }

  /** The ids of the certificates with a serial number, in id order, and whether each is revoked. */
  certificateIdsBySerial(serialDecimal: string): { id: number; revoked: boolean }[] {
    return (this.stmts.certIdsBySerial.all(serialDecimal) as [number, string | null][]).map(([id, revokedAt]) => ({ id, revoked: revokedAt !== null }));
  }

  searchCertificates(q: CertificateQuery): CertificateRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.eui !== undefined) {
      where.push('subject_eui = ?');
      args.push(q.eui);
    }
    if (q.role !== undefined) {
      where.push('role = ?');
      args.push(q.role);
    }
    if (q.keyUsage !== undefined) {
      where.push('key_usage = ?');
      args.push(q.keyUsage);
    }
    if (q.kind !== undefined) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.ski !== undefined) {
      where.push('ski = ?');
      args.push(q.ski.toUpperCase().replace(/[^0-9A-F]/g, ''));
    }
    if (q.serial !== undefined) {
      const s = q.serial.trim();
      if (/^[0-9]+$/.test(s)) {
        where.push('serial_decimal = ?');
        args.push(s.replace(/^0+(?=\d)/, ''));
      } else {
        where.push('serial_hex = ?');
        args.push(s.replace(/^0x/i, '').replace(/[^0-9a-fA-F]/g, '').toUpperCase());
      }
    }
    const sql = `SELECT * FROM certificates ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT ?`;
    args.push(q.limit ?? 1000);
    return (this.db.prepare(sql).all(...args) as Row[]).map(certificateFromRow);
  }

  revokeCertificate(id: number, at: string, reason: string): boolean {
    return this.stmts.certRevoke.run(at, reason, id).changes === 1;
  }

  putPrivateKey(certificateId: number, pkcs8: Buffer): void {
    this.stmts.keyInsert.run(certificateId, pkcs8);
  }

  getPrivateKey(certificateId: number): Buffer | undefined {
    const row = this.stmts.keyGet.get(certificateId) as { pkcs8: Buffer } | undefined;
    return row?.pkcs8;
  }

  getDeviceCredentialIds(eui: string): { ds: number; ka: number } | undefined {
    const r = this.stmts.credentialsGet.get(eui) as Row | undefined;
    return r ? { ds: r.ds_certificate_id as number, ka: r.ka_certificate_id as number } : undefined;
  }

  putDeviceCredentialIds(eui: string, ds: number, ka: number): void {
    this.stmts.credentialsInsert.run(eui, ds, ka);
  }

  /** The device took a new certificate of its own (CS02c, CS02d): its row must exist. */
  setDeviceCredentialId(eui: string, usage: 'DS' | 'KA', certificateId: number): void {
    const r = (usage === 'DS' ? this.stmts.credentialsSetDs : this.stmts.credentialsSetKa).run(certificateId, eui);
    if (r.changes !== 1) throw new Error(`device ${eui} has no device credentials row to update`);
  }
}
