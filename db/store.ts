import type { SqliteDatabase } from './world-db.ts';
import { WorldDbError } from './world-db.ts';
import { cellProblem } from './compliance-store.ts';

// Typed queries over the world file. Rows use the domain's words; the SQL stays in here.

export type UserRole = 'IS' | 'ES' | 'GS' | 'ED' | 'GT' | 'RSA' | 'OU';
export const USER_ROLES: readonly UserRole[] = ['IS', 'ES', 'GS', 'ED', 'GT', 'RSA', 'OU'];
export type DeviceType = 'ESME' | 'GSME' | 'GPF' | 'CHF';
export type DeviceStatus =
  | 'Pending'
  | 'Whitelisted'
  | 'InstalledNotCommissioned'
  | 'Commissioned'
  | 'Decommissioned'
  | 'Withdrawn'
  | 'Suspended'
  | 'Recovery'
  | 'Recovered';

export interface Party {
  eui: string;
  name: string;
  dccUser: boolean;
  smkiSubscriber: boolean;
  ueptCompleted: boolean;
  isDcc: boolean;
  responseUrl: string | null;
  userRoles: UserRole[];
  /** MP074: an Authorised Subscriber for Device Certificates (migration 4); false when not given */
  deviceSubscriber?: boolean;
}

/** Party flags the SMKI Registration Authority and the DCC set (`dcc-sim parties set`). */
export interface PartyFlags {
  dccUser?: boolean;
  smkiSubscriber?: boolean;
  ueptCompleted?: boolean;
  deviceSubscriber?: boolean;
}

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

export interface Distributor {
  distributorId: string;
  area: string;
  marketId: string;
  partyEui: string;
}

export interface SupplyPoint {
  mpxn: string;
  fuel: 'E' | 'G';
  networkOperatorEui: string;
  supplierEui: string | null;
  uprn: number | null;
  postcode: string | null;
  address: string | null;
}

export interface DeviceRecord {
  eui: string;
  type: DeviceType;
  status: DeviceStatus;
  mpxn: string | null;
  commsHubEui: string | null;
  manufacturer: string;
  model: string;
  firmware: string;
  commissionedAt: string | null;
}

/** Trust-anchor cell names, as the device emulators name them. */
export const CELL_NAMES = [
  'root',
  'recovery',
  'supplierDS',
  'supplierKA',
  'supplierTopUpKA',
  'networkOperatorDS',
  'networkOperatorKA',
  'acbDS',
  'acbKA',
  'transitionalCoSDS',
  'wanProviderDS',
] as const;
export type CellColumnName = (typeof CELL_NAMES)[number];

/** The device_security column of each cell. */
export const CELL_COLUMN: Readonly<Record<CellColumnName, string>> = {
  root: 'root',
  recovery: 'recovery',
  supplierDS: 'supplier_ds',
  supplierKA: 'supplier_ka',
  supplierTopUpKA: 'supplier_top_up_ka',
  networkOperatorDS: 'network_operator_ds',
  networkOperatorKA: 'network_operator_ka',
  acbDS: 'acb_ds',
  acbKA: 'acb_ka',
  transitionalCoSDS: 'transitional_cos_ds',
  wanProviderDS: 'wan_provider_ds',
};

export interface DeviceSecurityRecord {
  deviceEui: string;
  /** certificate id held in each cell; absent = no such cell on this device or cell empty */
  cells: Partial<Record<CellColumnName, number>>;
  seqNumbers: Record<number, bigint>;
  topUpSeqNumber: bigint;
  alertCounter: bigint;
}

export interface PendingCommandRecord {
  deviceEui: string;
  counter: bigint;
  originator: string;
  executeAt: string;
  command: Buffer;
}

export interface DeviceFilter {
  eui?: string;
  type?: DeviceType;
  mpxn?: string;
  supplierEui?: string;
  networkOperatorEui?: string;
  status?: DeviceStatus;
  limit?: number;
  offset?: number;
}

/**
 * The console's device search: keyset-paginated (by EUI) and index-friendly — EUI and MPxN are
 * prefix ranges on their keys, never LIKE scans; the count stops at `countCap`.
 */
export interface DeviceSearch {
  euiPrefix?: string; // hex digits, separators ignored
  mpxnPrefix?: string;
  type?: DeviceType;
  status?: DeviceStatus;
  supplierEui?: string;
  networkOperatorEui?: string;
  /** post-commissioning state of the network operator cells; see DeviceComplianceState */
  compliance?: DeviceComplianceState;
  /** the time compliance is judged at (ISO 8601) and the window in days; default now and 7 */
  at?: string;
  windowDays?: number;
  /** keyset cursor: the last EUI of the previous page */
  after?: string;
  /** keyset cursor backwards: the first EUI of the following page */
  before?: string;
  limit?: number;
  countCap?: number;
}

/**
 * The post-commissioning report's classification (db/compliance-store.ts, IEDP 5.3 with MP128B) of
 * a commissioned ESME or GPF; 'not-applicable' for every other device (GSME, CHF, not commissioned).
 */
export type DeviceComplianceState = 'compliant' | 'pending' | 'non-compliant' | 'not-applicable';

export interface DeviceSearchRow extends DeviceRecord {
  supplierEui: string | null;
  networkOperatorEui: string | null;
  /** subject EUI of the certificate in the network operator DS cell */
  networkOperatorCellHolder: string | null;
  compliance: DeviceComplianceState;
  /** why the NO cells are not as registration data expects (compliance-store NonComplianceReason) */
  complianceReason: string | null;
}

export interface DeviceSearchPage {
  devices: DeviceSearchRow[];
  /** devices matching, counted up to countCap */
  total: number;
  totalCapped: boolean;
  hasMore: boolean;
  hasPrevious: boolean;
}

/** Per-cell verdict: the post-commissioning report's own rule, so the console filter and the report agree. */
function noCellProblem(c: string, p: string): string {
  return cellProblem(c, p, 'd.type', 's.mpxn IS NOT NULL', 's.network_operator_eui');
}

const SEARCH_REASON = `coalesce(${noCellProblem('cds', 'pds')}, ${noCellProblem('cka', 'pka')})`;
const SEARCH_APPLICABLE = "d.type IN ('ESME', 'GPF') AND d.status = 'Commissioned' AND d.commissioned_at IS NOT NULL AND d.commissioned_at <= @at";
const SEARCH_STATE = `CASE
    WHEN NOT (${SEARCH_APPLICABLE}) THEN 'not-applicable'
    WHEN ${SEARCH_REASON} IS NULL THEN 'compliant'
    WHEN CAST(julianday(substr(@at, 1, 10)) - julianday(substr(d.commissioned_at, 1, 10)) AS INTEGER) <= @window THEN 'pending'
    ELSE 'non-compliant' END`;

type Row = Record<string, unknown>;

function partyFromRow(r: Row, roles: UserRole[]): Party {
  return {
    eui: r.eui as string,
    name: r.name as string,
    dccUser: r.dcc_user === 1,
    smkiSubscriber: r.smki_subscriber === 1,
    ueptCompleted: r.uept_completed === 1,
    isDcc: r.is_dcc === 1,
    responseUrl: (r.response_url as string | null) ?? null,
    userRoles: roles,
    deviceSubscriber: r.device_subscriber === 1,
  };
}

function certificateFromRow(r: Row): CertificateRecord {
  return {
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
  };
}

function deviceFromRow(r: Row): DeviceRecord {
  return {
    eui: r.eui as string,
    type: r.type as DeviceType,
    status: r.status as DeviceStatus,
    mpxn: (r.mpxn as string | null) ?? null,
    commsHubEui: (r.comms_hub_eui as string | null) ?? null,
    manufacturer: r.manufacturer as string,
    model: r.model as string,
    firmware: r.firmware as string,
    commissionedAt: (r.commissioned_at as string | null) ?? null,
  };
}

function supplyPointFromRow(r: Row): SupplyPoint {
  return {
    mpxn: r.mpxn as string,
    fuel: r.fuel as 'E' | 'G',
    networkOperatorEui: r.network_operator_eui as string,
    supplierEui: (r.supplier_eui as string | null) ?? null,
    uprn: (r.uprn as number | null) ?? null,
    postcode: (r.postcode as string | null) ?? null,
    address: (r.address as string | null) ?? null,
  };
}

function seqNumbersToText(seq: Record<number, bigint>): string {
  const out: Record<string, string> = {};
  for (const [role, value] of Object.entries(seq)) out[role] = value.toString();
  return JSON.stringify(out);
}

function seqNumbersFromText(text: string): Record<number, bigint> {
  const parsed = JSON.parse(text) as Record<string, string>;
  const out: Record<number, bigint> = {};
  for (const [role, value] of Object.entries(parsed)) out[Number(role)] = BigInt(value);
  return out;
}

/** The world's queries. One instance per open database; statements are prepared once. */
export class WorldStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      metaGet: p('SELECT value FROM world_meta WHERE key = ?'),
      metaSet: p('INSERT INTO world_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      partyInsert: p(
        `INSERT INTO parties (eui, name, dcc_user, smki_subscriber, uept_completed, is_dcc, response_url)
         VALUES (@eui, @name, @dccUser, @smkiSubscriber, @ueptCompleted, @isDcc, @responseUrl)`,
      ),
      partyRoleInsert: p('INSERT OR IGNORE INTO party_user_roles (party_eui, user_role) VALUES (?, ?)'),
      partyGet: p('SELECT * FROM parties WHERE eui = ?'),
      partyRoles: p('SELECT user_role FROM party_user_roles WHERE party_eui = ? ORDER BY user_role'),
      partyList: p('SELECT * FROM parties ORDER BY eui'),
      partySetResponseUrl: p('UPDATE parties SET response_url = ? WHERE eui = ?'),
      partySetDccUser: p('UPDATE parties SET dcc_user = ? WHERE eui = ?'),
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
      certRevoke: p('UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ? AND revoked_at IS NULL'),
      keyInsert: p('INSERT OR REPLACE INTO private_keys (certificate_id, pkcs8) VALUES (?, ?)'),
      keyGet: p('SELECT pkcs8 FROM private_keys WHERE certificate_id = ?'),
      distributorInsert: p(
        'INSERT INTO distributors (distributor_id, area, market_id, party_eui) VALUES (@distributorId, @area, @marketId, @partyEui)',
      ),
      distributorGet: p('SELECT * FROM distributors WHERE distributor_id = ?'),
      distributorList: p('SELECT * FROM distributors ORDER BY distributor_id'),
      supplyPointInsert: p(
        `INSERT INTO supply_points (mpxn, fuel, network_operator_eui, supplier_eui, uprn, postcode, address)
         VALUES (@mpxn, @fuel, @networkOperatorEui, @supplierEui, @uprn, @postcode, @address)`,
      ),
      supplyPointGet: p('SELECT * FROM supply_points WHERE mpxn = ?'),
      supplyPointSetNetworkOperator: p('UPDATE supply_points SET network_operator_eui = ? WHERE mpxn = ?'),
      deviceInsert: p(
        `INSERT INTO devices (eui, type, status, mpxn, comms_hub_eui, manufacturer, model, firmware, commissioned_at)
         VALUES (@eui, @type, @status, @mpxn, @commsHubEui, @manufacturer, @model, @firmware, @commissionedAt)`,
      ),
      deviceGet: p('SELECT * FROM devices WHERE eui = ?'),
      securityInsert: p(
        `INSERT INTO device_security (device_eui, root, recovery, supplier_ds, supplier_ka, supplier_top_up_ka,
           network_operator_ds, network_operator_ka, acb_ds, acb_ka, transitional_cos_ds, wan_provider_ds,
           seq_numbers, top_up_seq_number, alert_counter)
         VALUES (@deviceEui, @root, @recovery, @supplierDS, @supplierKA, @supplierTopUpKA, @networkOperatorDS,
           @networkOperatorKA, @acbDS, @acbKA, @transitionalCoSDS, @wanProviderDS, @seqNumbers, @topUpSeqNumber, @alertCounter)`,
      ),
      securityUpdate: p(
        `UPDATE device_security SET root = @root, recovery = @recovery, supplier_ds = @supplierDS, supplier_ka = @supplierKA,
           supplier_top_up_ka = @supplierTopUpKA, network_operator_ds = @networkOperatorDS, network_operator_ka = @networkOperatorKA,
           acb_ds = @acbDS, acb_ka = @acbKA, transitional_cos_ds = @transitionalCoSDS, wan_provider_ds = @wanProviderDS,
           seq_numbers = @seqNumbers, top_up_seq_number = @topUpSeqNumber, alert_counter = @alertCounter
         WHERE device_eui = @deviceEui`,
      ),
      securityGet: p('SELECT * FROM device_security WHERE device_eui = ?'),
      credentialsGet: p('SELECT * FROM device_credentials WHERE device_eui = ?'),
      credentialsInsert: p('INSERT INTO device_credentials (device_eui, ds_certificate_id, ka_certificate_id) VALUES (?, ?, ?)'),
      pendingList: p('SELECT * FROM device_pending_commands WHERE device_eui = ? ORDER BY execute_at, counter'),
      pendingInsert: p(
        'INSERT OR REPLACE INTO device_pending_commands (device_eui, counter, originator, execute_at, command) VALUES (?, ?, ?, ?, ?)',
      ),
      pendingDeleteAll: p('DELETE FROM device_pending_commands WHERE device_eui = ?'),
      pendingDue: p('SELECT DISTINCT device_eui FROM device_pending_commands WHERE execute_at <= ? ORDER BY device_eui'),
    };
  }

  private readonly rollbackListeners: (() => void)[] = [];

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      // Rows inserted in the transaction are gone and their ids (rowids) will be handed out again:
      // whoever cached something by id must forget it.
      for (const listener of this.rollbackListeners) listener();
      throw e;
    }
  }

  /** Called after any transaction (or nested savepoint) made through transaction() rolls back. */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  // --- world meta ---------------------------------------------------------------------------
  getMeta(key: string): string | undefined {
    const row = this.stmts.metaGet.get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaSet.run(key, value);
  }

  // --- parties ------------------------------------------------------------------------------
  insertParty(p: Party): void {
    this.stmts.partyInsert.run({
      eui: p.eui,
      name: p.name,
      dccUser: p.dccUser ? 1 : 0,
      smkiSubscriber: p.smkiSubscriber ? 1 : 0,
      ueptCompleted: p.ueptCompleted ? 1 : 0,
      isDcc: p.isDcc ? 1 : 0,
      responseUrl: p.responseUrl,
    });
    for (const role of p.userRoles) this.stmts.partyRoleInsert.run(p.eui, role);
    if (p.deviceSubscriber) this.setPartyFlags(p.eui, { deviceSubscriber: true });
  }

  getParty(eui: string): Party | undefined {
    const row = this.stmts.partyGet.get(eui) as Row | undefined;
    if (!row) return undefined;
    return partyFromRow(row, this.rolesOf(eui));
  }

  listParties(): Party[] {
    return (this.stmts.partyList.all() as Row[]).map((r) => partyFromRow(r, this.rolesOf(r.eui as string)));
  }

  private rolesOf(eui: string): UserRole[] {
    return (this.stmts.partyRoles.all(eui) as { user_role: UserRole }[]).map((r) => r.user_role);
  }

  setResponseUrl(eui: string, url: string | null): void {
    const r = this.stmts.partySetResponseUrl.run(url, eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }

  setDccUser(eui: string, dccUser: boolean): void {
    const r = this.stmts.partySetDccUser.run(dccUser ? 1 : 0, eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }

  /** Sets the flags given (others unchanged); throws WorldDbError('unknown-party') for an unknown EUI. */
  setPartyFlags(eui: string, flags: PartyFlags): void {
    const columns: [keyof PartyFlags, string][] = [
      ['dccUser', 'dcc_user'],
      ['smkiSubscriber', 'smki_subscriber'],
      ['ueptCompleted', 'uept_completed'],
      ['deviceSubscriber', 'device_subscriber'],
    ];
    const set = columns.filter(([k]) => flags[k] !== undefined);
    if (set.length === 0) {
      if (!this.stmts.partyGet.get(eui)) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
      return;
    }
    const sql = `UPDATE parties SET ${set.map(([, c]) => `${c} = ?`).join(', ')} WHERE eui = ?`;
    const r = this.db.prepare(sql).run(...set.map(([k]) => (flags[k] ? 1 : 0)), eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
  }

  // --- SMKI repository ----------------------------------------------------------------------
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
    const row = this.stmts.certByFingerprint.get(fingerprint) as Row | undefined;
    return row ? certificateFromRow(row) : undefined;
  }

  certificatesBySerial(serialDecimal: string): CertificateRecord[] {
    return (this.stmts.certBySerial.all(serialDecimal) as Row[]).map(certificateFromRow);
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

  // --- registration data --------------------------------------------------------------------
  insertDistributor(d: Distributor): void {
    this.stmts.distributorInsert.run(d);
  }

  getDistributor(id: string): Distributor | undefined {
    const r = this.stmts.distributorGet.get(id) as Row | undefined;
    if (!r) return undefined;
    return { distributorId: r.distributor_id as string, area: r.area as string, marketId: r.market_id as string, partyEui: r.party_eui as string };
  }

  listDistributors(): Distributor[] {
    return (this.stmts.distributorList.all() as Row[]).map((r) => ({
      distributorId: r.distributor_id as string,
      area: r.area as string,
      marketId: r.market_id as string,
      partyEui: r.party_eui as string,
    }));
  }

  insertSupplyPoint(s: SupplyPoint): void {
    this.stmts.supplyPointInsert.run(s);
  }

  getSupplyPoint(mpxn: string): SupplyPoint | undefined {
    const r = this.stmts.supplyPointGet.get(mpxn) as Row | undefined;
    return r ? supplyPointFromRow(r) : undefined;
  }

  setNetworkOperator(mpxn: string, networkOperatorEui: string): void {
    this.stmts.supplyPointSetNetworkOperator.run(networkOperatorEui, mpxn);
  }

  // --- inventory ----------------------------------------------------------------------------
  insertDevice(d: DeviceRecord): void {
    this.stmts.deviceInsert.run(d);
  }

  getDevice(eui: string): DeviceRecord | undefined {
    const r = this.stmts.deviceGet.get(eui) as Row | undefined;
    return r ? deviceFromRow(r) : undefined;
  }

  listDevices(f: DeviceFilter = {}): { total: number; devices: DeviceRecord[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    const needsJoin = f.supplierEui !== undefined || f.networkOperatorEui !== undefined;
    if (f.eui !== undefined) {
      where.push('d.eui LIKE ?');
      args.push(f.eui.toUpperCase().replace(/[^0-9A-F]/g, '') + '%');
    }
    if (f.type !== undefined) {
      where.push('d.type = ?');
      args.push(f.type);
    }
    if (f.status !== undefined) {
      where.push('d.status = ?');
      args.push(f.status);
    }
    if (f.mpxn !== undefined) {
      where.push('d.mpxn = ?');
      args.push(f.mpxn);
    }
    if (f.supplierEui !== undefined) {
      where.push('s.supplier_eui = ?');
      args.push(f.supplierEui);
    }
    if (f.networkOperatorEui !== undefined) {
      where.push('s.network_operator_eui = ?');
      args.push(f.networkOperatorEui);
    }
    const from = `FROM devices d ${needsJoin ? 'JOIN supply_points s ON s.mpxn = d.mpxn' : ''} ${
      where.length ? 'WHERE ' + where.join(' AND ') : ''
    }`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT d.* ${from} ORDER BY d.eui LIMIT ? OFFSET ?`)
      .all(...args, f.limit ?? 50, f.offset ?? 0) as Row[];
    return { total, devices: rows.map(deviceFromRow) };
  }

  searchDevices(f: DeviceSearch): DeviceSearchPage {
    const where: string[] = [];
    const params: Record<string, unknown> = { at: f.at ?? new Date().toISOString(), window: f.windowDays ?? 7 };
    const prefixRange = (col: string, name: string, prefix: string) => {
      // a range on the key (its index), not LIKE: every key character sorts below '~'
      where.push(`${col} >= @${name} AND ${col} < @${name}End`);
      params[name] = prefix;
      params[`${name}End`] = prefix + '~';
    };
    if (f.euiPrefix) prefixRange('d.eui', 'eui', f.euiPrefix.toUpperCase().replace(/[^0-9A-F]/g, ''));
    if (f.mpxnPrefix) prefixRange('d.mpxn', 'mpxn', f.mpxnPrefix.replace(/\s+/g, ''));
    // Unary + keeps type and status off devices_by_type_status: walking the primary key in EUI
    // order stops after one page, where that index would sort every device of the type first.
    if (f.type !== undefined) {
      where.push('+d.type = @type');
      params.type = f.type;
    }
    if (f.status !== undefined) {
      where.push('+d.status = @status');
      params.status = f.status;
    }
    if (f.supplierEui !== undefined) {
      where.push('s.supplier_eui = @supplier');
      params.supplier = f.supplierEui;
    }
    if (f.networkOperatorEui !== undefined) {
      where.push('s.network_operator_eui = @networkOperator');
      params.networkOperator = f.networkOperatorEui;
    }
    if (f.compliance !== undefined) {
      // the cheap device-only terms first, so the joins run only for commissioned ESMEs and GPFs
      if (f.compliance === 'pending') {
        // few devices are inside the window: find them through devices_by_type_status
        where.push("d.type IN ('ESME', 'GPF') AND d.status = 'Commissioned' AND d.commissioned_at >= @windowStart");
        const day = new Date(`${String(params.at).slice(0, 10)}T00:00:00Z`);
        params.windowStart = new Date(day.getTime() - Number(params.window) * 86_400_000).toISOString().slice(0, 10);
      } else if (f.compliance !== 'not-applicable') where.push("+d.type IN ('ESME', 'GPF') AND +d.status = 'Commissioned'");
      where.push(`(${SEARCH_STATE}) = @compliance`);
      params.compliance = f.compliance;
    }
    // An inner join when registration data is filtered on, so the planner may start from its index.
    const sJoin = f.supplierEui !== undefined || f.networkOperatorEui !== undefined ? 'JOIN' : 'LEFT JOIN';
    const from = `FROM devices d ${sJoin} supply_points s ON s.mpxn = d.mpxn
      LEFT JOIN device_security x ON x.device_eui = d.eui
      LEFT JOIN certificates cds ON cds.id = x.network_operator_ds LEFT JOIN parties pds ON pds.eui = cds.subject_eui
      LEFT JOIN certificates cka ON cka.id = x.network_operator_ka LEFT JOIN parties pka ON pka.eui = cka.subject_eui`;
    const cond = where.length ? where.join(' AND ') : '1';
    const cap = f.countCap ?? 1000;
    const counted = (this.db.prepare(`SELECT count(*) AS n FROM (SELECT 1 ${from} WHERE ${cond} LIMIT @cap)`).get({ ...params, cap: cap + 1 }) as { n: number }).n;
    const limit = Math.max(1, Math.min(500, f.limit ?? 25));
    const select = `SELECT d.*, s.supplier_eui AS sp_supplier, s.network_operator_eui AS sp_network_operator, cds.subject_eui AS no_holder,
      ${SEARCH_STATE} AS compliance_state, CASE WHEN ${SEARCH_APPLICABLE} THEN ${SEARCH_REASON} END AS compliance_reason ${from}`;
    let rows: Row[];
    let hasMore: boolean;
    let hasPrevious: boolean;
    if (f.before !== undefined) {
      rows = this.db.prepare(`${select} WHERE ${cond} AND d.eui < @cursor ORDER BY d.eui DESC LIMIT @limit`).all({ ...params, cursor: f.before, limit: limit + 1 }) as Row[];
      hasPrevious = rows.length > limit;
      rows = rows.slice(0, limit).reverse();
      hasMore = true;
    } else {
      const after = f.after !== undefined ? ' AND d.eui > @cursor' : '';
      rows = this.db
        .prepare(`${select} WHERE ${cond}${after} ORDER BY d.eui LIMIT @limit`)
        .all({ ...params, ...(f.after !== undefined ? { cursor: f.after } : {}), limit: limit + 1 }) as Row[];
      hasMore = rows.length > limit;
      rows = rows.slice(0, limit);
      hasPrevious = f.after !== undefined;
    }
    return {
      devices: rows.map((r) => ({
        ...deviceFromRow(r),
        supplierEui: (r.sp_supplier as string | null) ?? null,
        networkOperatorEui: (r.sp_network_operator as string | null) ?? null,
        networkOperatorCellHolder: (r.no_holder as string | null) ?? null,
        compliance: r.compliance_state as DeviceComplianceState,
        complianceReason: (r.compliance_reason as string | null) ?? null,
      })),
      total: Math.min(counted, cap),
      totalCapped: counted > cap,
      hasMore,
      hasPrevious,
    };
  }

  devicesAtSupplyPoint(mpxn: string): DeviceRecord[] {
    return (this.db.prepare('SELECT * FROM devices WHERE mpxn = ? ORDER BY type, eui').all(mpxn) as Row[]).map(deviceFromRow);
  }

  /** Devices at the supply points of a property (UPRN): the comms hub is found through its meters. */
  devicesAtUprn(uprn: number): DeviceRecord[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT d.* FROM devices d JOIN supply_points s ON s.mpxn = d.mpxn WHERE s.uprn = ?
           UNION SELECT DISTINCT h.* FROM devices h JOIN devices m ON m.comms_hub_eui = h.eui JOIN supply_points s ON s.mpxn = m.mpxn WHERE s.uprn = ?
           ORDER BY 1`,
        )
        .all(uprn, uprn) as Row[]
    ).map(deviceFromRow);
  }

  devicesAtPostcode(postcode: string, address?: string): DeviceRecord[] {
    const args: unknown[] = [postcode.toUpperCase().replace(/\s+/g, ' ').trim()];
    let cond = 'upper(s.postcode) = ?';
    if (address) {
      cond += ' AND s.address LIKE ?';
      args.push(`${address}%`);
    }
    return (this.db.prepare(`SELECT DISTINCT d.* FROM devices d JOIN supply_points s ON s.mpxn = d.mpxn WHERE ${cond} ORDER BY d.eui LIMIT 100`).all(...args) as Row[]).map(
      deviceFromRow,
    );
  }

  countDevices(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
  }

  // --- trust-anchor cells -------------------------------------------------------------------
  insertDeviceSecurity(s: DeviceSecurityRecord): void {
    this.stmts.securityInsert.run(securityParams(s));
  }

  updateDeviceSecurity(s: DeviceSecurityRecord): void {
    const r = this.stmts.securityUpdate.run(securityParams(s));
    if (r.changes !== 1) throw new WorldDbError('unknown-device', `no trust-anchor cells stored for device ${s.deviceEui}`);
  }

  getDeviceSecurity(eui: string): DeviceSecurityRecord | undefined {
    const r = this.stmts.securityGet.get(eui) as Row | undefined;
    if (!r) return undefined;
    const cells: Partial<Record<CellColumnName, number>> = {};
    for (const name of CELL_NAMES) {
      const id = r[CELL_COLUMN[name]] as number | null;
      if (id !== null && id !== undefined) cells[name] = id;
    }
    return {
      deviceEui: eui,
      cells,
      seqNumbers: seqNumbersFromText(r.seq_numbers as string),
      topUpSeqNumber: BigInt(r.top_up_seq_number as string),
      alertCounter: BigInt(r.alert_counter as string),
    };
  }

  getDeviceCredentialIds(eui: string): { ds: number; ka: number } | undefined {
    const r = this.stmts.credentialsGet.get(eui) as Row | undefined;
    return r ? { ds: r.ds_certificate_id as number, ka: r.ka_certificate_id as number } : undefined;
  }

  putDeviceCredentialIds(eui: string, ds: number, ka: number): void {
    this.stmts.credentialsInsert.run(eui, ds, ka);
  }

  pendingCommands(eui: string): PendingCommandRecord[] {
    return (this.stmts.pendingList.all(eui) as Row[]).map((r) => ({
      deviceEui: r.device_eui as string,
      counter: BigInt(r.counter as string),
      originator: r.originator as string,
      executeAt: r.execute_at as string,
      command: r.command as Buffer,
    }));
  }

  /** Replaces the device's held future-dated commands with the given set. */
  replacePendingCommands(eui: string, pending: Omit<PendingCommandRecord, 'deviceEui'>[]): void {
    this.stmts.pendingDeleteAll.run(eui);
    for (const p of pending) this.stmts.pendingInsert.run(eui, p.counter.toString(), p.originator, p.executeAt, p.command);
  }

  devicesWithCommandsDue(at: string): string[] {
    return (this.stmts.pendingDue.all(at) as { device_eui: string }[]).map((r) => r.device_eui);
  }
}

function securityParams(s: DeviceSecurityRecord): Record<string, unknown> {
  const params: Record<string, unknown> = {
    deviceEui: s.deviceEui,
    seqNumbers: seqNumbersToText(s.seqNumbers),
    topUpSeqNumber: s.topUpSeqNumber.toString(),
    alertCounter: s.alertCounter.toString(),
  };
  for (const name of CELL_NAMES) params[name] = s.cells[name] ?? null;
  return params;
}
