import type { SqliteDatabase } from './world-db.ts';
import { WorldDbError } from './world-db.ts';

// Queries of the post-commissioning report (IEDP 5.3 as amended by MP128B) and of network operator
// changes (MP128A). The classification of every commissioned ESME and GPF is one SQL expression over
// devices ⋈ device_security ⋈ certificates ⋈ supply_points ⋈ parties, so a million-device world is
// classified by SQLite in one pass, never device by device in JavaScript.

/** Remote party role codes the classification needs (pki's RemotePartyRole; db depends on pki for types only). */
const ROLE_NETWORK_OPERATOR = 3;
const ROLE_ACB = 4;

export type ComplianceState = 'compliant' | 'pending' | 'non-compliant';

/**
 * Why a device's network operator cells are not as they should be. Reported as non-compliance after
 * the 7-day window, and as the open item of a pending device within it.
 */
export type NonComplianceReason =
  | 'other-network-operator' // a network operator certificate of a party other than the registered one
  | 'acb-in-esme' // the ACB certificate still in an ESME (allowed only in a GPF, MP128B)
  | 'gno-not-dcc-user' // a GPF holds its GNO's certificate, but that GNO is not a DCC User (MP128)
  | 'revoked-certificate' // the registered operator's certificate, revoked in the SMKI repository
  | 'wrong-role' // a certificate of neither the network operator nor the ACB role
  | 'empty-cell' // no certificate at all
  | 'no-registration'; // the device's MPxN is not in registration data

export const NON_COMPLIANCE_REASONS: readonly NonComplianceReason[] = [
  'other-network-operator',
  'acb-in-esme',
  'gno-not-dcc-user',
  'revoked-certificate',
  'wrong-role',
  'empty-cell',
  'no-registration',
];

/** Which commissioned devices a report covers. */
export interface ComplianceScope {
  /** the report's time (ISO 8601): days since commissioning are counted to it */
  at: string;
  /** the 7-day window: devices are pending while days since commissioning <= windowDays */
  windowDays: number;
  type?: 'ESME' | 'GPF';
  networkOperatorEui?: string;
  supplierEui?: string;
  /** one device */
  eui?: string;
}

export interface ComplianceCountRow {
  type: 'ESME' | 'GPF';
  networkOperatorEui: string | null;
  supplierEui: string | null;
  state: ComplianceState;
  reason: NonComplianceReason | null;
  devices: number;
}

export interface DeviceComplianceRow {
  eui: string;
  type: 'ESME' | 'GPF';
  mpxn: string | null;
  commissionedAt: string;
  /** calendar days (UTC) from the commissioning date to the report date */
  daysSinceCommissioning: number;
  /** the last day the network operator certificates are due (commissioning date + the window), YYYY-MM-DD */
  dueBy: string;
  networkOperatorEui: string | null;
  supplierEui: string | null;
  /** subject EUI and role of the certificates in the network operator DS and KA cells */
  dsHolderEui: string | null;
  dsHolderRole: number | null;
  kaHolderEui: string | null;
  kaHolderRole: number | null;
  state: ComplianceState;
  reason: NonComplianceReason | null;
}

export interface DeviceListQuery extends ComplianceScope {
  state?: ComplianceState;
  reason?: NonComplianceReason;
  limit?: number;
  offset?: number;
}

export interface HeldCertificateDevice {
  eui: string;
  type: string;
  status: string;
  mpxn: string | null;
  registeredNetworkOperatorEui: string | null;
  supplierEui: string | null;
  /** which network operator cells hold the party's certificates */
  cells: ('networkOperatorDS' | 'networkOperatorKA')[];
}

export interface CeaseResult {
  revokedCertificateIds: number[];
}

type Row = Record<string, unknown>;

/**
 * Per-cell verdict: NULL when the cell is as it should be, otherwise the reason. `c` is the cell's
 * certificate and `p` the party it identifies; `type`, `registered` and `no` name the device type,
 * whether the MPxN is in registration data, and the registered network operator.
 */
export function cellProblem(c: string, p: string, type: string, registered: string, no: string): string {
  return `CASE
      WHEN NOT (${registered}) THEN 'no-registration'
      WHEN ${c}.id IS NULL THEN 'empty-cell'
      WHEN ${c}.role = ${ROLE_ACB} THEN CASE WHEN ${type} = 'GPF' THEN NULL ELSE 'acb-in-esme' END
      WHEN ${c}.role IS NOT ${ROLE_NETWORK_OPERATOR} THEN 'wrong-role'
      WHEN ${c}.subject_eui IS NOT ${no} THEN 'other-network-operator'
      WHEN ${c}.revoked_at IS NOT NULL THEN 'revoked-certificate'
      WHEN ${type} = 'GPF' AND coalesce(${p}.dcc_user, 0) = 0 THEN 'gno-not-dcc-user'
    END`;
}

/** The device's state from its two cell verdicts and whether it is still within the window. */
function stateSql(dsProblem: string, kaProblem: string, inWindow: string): string {
  return `CASE WHEN ${dsProblem} IS NULL AND ${kaProblem} IS NULL THEN 'compliant' WHEN ${inWindow} THEN 'pending' ELSE 'non-compliant' END`;
}

/**
 * The first day still inside the window for a report at `at`: a device commissioned on that UTC
 * date or later is at most `windowDays` calendar days old.
 */
function windowStart(at: string, windowDays: number): string {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) throw new WorldDbError('bad-argument', `report time '${at}' is not a date-time`);
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - windowDays));
  return d.toISOString().slice(0, 10);
}

/** The commissioned ESMEs and GPFs of a scope: FROM and WHERE over devices, registration and cells, with named parameters. */
function scopeSql(scope: ComplianceScope, inEuiOrder = false): { from: string; where: string; params: Record<string, unknown> } {
  // In EUI order (a listing) the inventory is walked by its key (unary + keeps the type/status index
  // out), so the rows come out sorted, a LIMIT stops the walk early and the cells, keyed by EUI too,
  // are read in order. Counting starts from the index instead.
  const k = inEuiOrder && scope.eui === undefined ? '+' : '';
  const where: string[] = [
    `${k}d.type IN ('ESME', 'GPF')`,
    `${k}d.status = 'Commissioned'`,
    'd.commissioned_at IS NOT NULL',
    'd.commissioned_at <= @at',
  ];
  const params: Record<string, unknown> = { at: scope.at, windowStart: windowStart(scope.at, scope.windowDays) };
  if (scope.type !== undefined) {
    where.push('d.type = @type');
    params.type = scope.type;
  }
  if (scope.networkOperatorEui !== undefined) {
    where.push('sp.network_operator_eui = @networkOperator');
    params.networkOperator = scope.networkOperatorEui;
  }
  if (scope.supplierEui !== undefined) {
    where.push('sp.supplier_eui = @supplier');
    params.supplier = scope.supplierEui;
  }
  if (scope.eui !== undefined) {
    where.push('d.eui = @eui');
    params.eui = scope.eui;
  }
  const from = `devices d
      LEFT JOIN supply_points sp ON sp.mpxn = d.mpxn
      LEFT JOIN device_security s ON s.device_eui = d.eui`;
  return { from, where: where.join(' AND '), params };
}

/**
 * Counts: devices are first grouped by what decides their state (type, registration, the two cell
 * certificates, inside the window or not), which is a few hundred groups even for a million
 * devices; the certificates and parties are then looked up and the rules applied once per group.
 */
function countsSql(scope: ComplianceScope): { sql: string; params: Record<string, unknown> } {
  const { from, where, params } = scopeSql(scope);
  const ds = cellProblem('cds', 'pds', 'g.type', 'g.registered', 'g.no');
  const ka = cellProblem('cka', 'pka', 'g.type', 'g.registered', 'g.no');
  const sql = `
    SELECT type, no, supplier, state, reason, sum(n) AS n FROM (
      SELECT g.type, g.no, g.supplier, g.n,
             ${stateSql(ds, ka, 'g.in_window')} AS state,
             coalesce(${ds}, ${ka}) AS reason
      FROM (
        SELECT d.type, sp.mpxn IS NOT NULL AS registered, sp.network_operator_eui AS no, sp.supplier_eui AS supplier,
               s.network_operator_ds AS ds, s.network_operator_ka AS ka,
               substr(d.commissioned_at, 1, 10) >= @windowStart AS in_window, count(*) AS n
        FROM ${from}
        WHERE ${where}
        GROUP BY 1, 2, 3, 4, 5, 6, 7
      ) g
      LEFT JOIN certificates cds ON cds.id = g.ds
      LEFT JOIN parties pds ON pds.eui = cds.subject_eui
      LEFT JOIN certificates cka ON cka.id = g.ka
      LEFT JOIN parties pka ON pka.eui = cka.subject_eui
    )
    GROUP BY type, no, supplier, state, reason
    ORDER BY type, no NULLS FIRST, supplier NULLS FIRST, state, reason NULLS FIRST`;
  return { sql, params };
}

/** Devices one by one, classified, in EUI order. */
function devicesSql(scope: ComplianceScope): { sql: string; params: Record<string, unknown> } {
  const { from, where, params } = scopeSql(scope, true);
  params.windowModifier = `+${Math.trunc(scope.windowDays)} days`;
  const ds = cellProblem('cds', 'pds', 'd.type', 'sp.mpxn IS NOT NULL', 'sp.network_operator_eui');
  const ka = cellProblem('cka', 'pka', 'd.type', 'sp.mpxn IS NOT NULL', 'sp.network_operator_eui');
  const sql = `
    SELECT eui, type, mpxn, commissioned_at, days, due_by, network_operator_eui, supplier_eui, ds_eui, ds_role, ka_eui, ka_role,
           ${stateSql('ds_problem', 'ka_problem', 'in_window')} AS state,
           coalesce(ds_problem, ka_problem) AS reason
    FROM (
      SELECT d.eui, d.type, d.mpxn, d.commissioned_at,
             CAST(julianday(substr(@at, 1, 10)) - julianday(substr(d.commissioned_at, 1, 10)) AS INTEGER) AS days,
             date(substr(d.commissioned_at, 1, 10), @windowModifier) AS due_by,
             substr(d.commissioned_at, 1, 10) >= @windowStart AS in_window,
             sp.network_operator_eui, sp.supplier_eui,
             cds.subject_eui AS ds_eui, cds.role AS ds_role, cka.subject_eui AS ka_eui, cka.role AS ka_role,
             ${ds} AS ds_problem,
             ${ka} AS ka_problem
      FROM ${from}
      LEFT JOIN certificates cds ON cds.id = s.network_operator_ds
      LEFT JOIN parties pds ON pds.eui = cds.subject_eui
      LEFT JOIN certificates cka ON cka.id = s.network_operator_ka
      LEFT JOIN parties pka ON pka.eui = cka.subject_eui
      WHERE ${where}
    )`;
  return { sql, params };
}

export class ComplianceStore {
  constructor(readonly db: SqliteDatabase) {}

  /** Device counts of the scope by type, registered network operator, registered supplier, state and reason. */
  postCommissioningCounts(scope: ComplianceScope): ComplianceCountRow[] {
    const { sql, params } = countsSql(scope);
    const rows = this.db.prepare(sql).all(params) as Row[];
    return rows.map((r) => ({
      type: r.type as 'ESME' | 'GPF',
      networkOperatorEui: (r.no as string | null) ?? null,
      supplierEui: (r.supplier as string | null) ?? null,
      state: r.state as ComplianceState,
      reason: (r.reason as NonComplianceReason | null) ?? null,
      devices: r.n as number,
    }));
  }

  /** The classified devices themselves, in EUI order, a page at a time. */
  postCommissioningDevices(q: DeviceListQuery): DeviceComplianceRow[] {
    const { sql, params } = this.deviceQuery(q);
    params.limit = q.limit ?? 100;
    params.offset = q.offset ?? 0;
    return (this.db.prepare(`${sql} LIMIT @limit OFFSET @offset`).all(params) as Row[]).map(deviceRow);
  }

  /** All classified devices of a query, streamed in EUI order (one query, for exports). */
  *iteratePostCommissioningDevices(q: Omit<DeviceListQuery, 'limit' | 'offset'>): Generator<DeviceComplianceRow> {
    const { sql, params } = this.deviceQuery(q);
    for (const r of this.db.prepare(sql).iterate(params) as IterableIterator<Row>) yield deviceRow(r);
  }

  private deviceQuery(q: Omit<DeviceListQuery, 'limit' | 'offset'>): { sql: string; params: Record<string, unknown> } {
    const { sql, params } = devicesSql(q);
    const where: string[] = [];
    if (q.state !== undefined) {
      where.push('state = @state');
      params.state = q.state;
    }
    if (q.reason !== undefined) {
      where.push('reason = @reason');
      params.reason = q.reason;
    }
    return { sql: `SELECT * FROM (${sql}) ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY eui`, params };
  }


  // --- network operator changes (MP128A) ---------------------------------------------------------

  /** Supply points registered to a network operator, optionally only those whose MPxN starts with a prefix. */
  countSupplyPoints(networkOperatorEui: string, mpxnPrefix?: string): number {
    const { cond, args } = prefixCond(mpxnPrefix);
    return (
      this.db.prepare(`SELECT count(*) AS n FROM supply_points WHERE network_operator_eui = ?${cond}`).get(networkOperatorEui, ...args) as {
        n: number;
      }
    ).n;
  }

  /** Registration data: moves supply points from one network operator to another; returns how many moved. */
  moveSupplyPoints(fromEui: string, toEui: string, mpxnPrefix?: string): number {
    const { cond, args } = prefixCond(mpxnPrefix);
    return this.db.prepare(`UPDATE supply_points SET network_operator_eui = ? WHERE network_operator_eui = ?${cond}`).run(toEui, fromEui, ...args).changes;
  }

  /**
   * Devices whose network operator cells hold certificates of a party, with the registered operator
   * of their supply point. `notRegisteredTo`: only devices whose supply point is registered to
   * someone else (the party cannot be their operator: MP128A's stranded devices).
   */
  devicesHoldingCertificatesOf(
    partyEui: string,
    o: { notRegisteredTo?: string; registeredTo?: string; mpxnPrefix?: string; limit?: number; offset?: number } = {},
  ): { total: number; devices: HeldCertificateDevice[] } {
    const where: string[] = [];
    const args: unknown[] = [partyEui, partyEui];
    if (o.notRegisteredTo !== undefined) {
      where.push('sp.network_operator_eui IS NOT ?');
      args.push(o.notRegisteredTo);
    }
    if (o.registeredTo !== undefined) {
      where.push('sp.network_operator_eui = ?');
      args.push(o.registeredTo);
    }
    if (o.mpxnPrefix) {
      where.push('d.mpxn >= ? AND d.mpxn < ?');
      args.push(o.mpxnPrefix, o.mpxnPrefix + '~');
    }
    // Both cells through their indexes: the party's certificate ids, then the cells holding them.
    const held = `
      SELECT device_eui, max(in_ds) AS in_ds, max(in_ka) AS in_ka FROM (
        SELECT s.device_eui, 1 AS in_ds, 0 AS in_ka FROM certificates c JOIN device_security s ON s.network_operator_ds = c.id WHERE c.subject_eui = ?
        UNION ALL
        SELECT s.device_eui, 0, 1 FROM certificates c JOIN device_security s ON s.network_operator_ka = c.id WHERE c.subject_eui = ?
      ) GROUP BY device_eui`;
    const from = `FROM (${held}) h JOIN devices d ON d.eui = h.device_eui LEFT JOIN supply_points sp ON sp.mpxn = d.mpxn
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT d.eui, d.type, d.status, d.mpxn, sp.network_operator_eui, sp.supplier_eui, h.in_ds, h.in_ka ${from} ORDER BY d.eui LIMIT ? OFFSET ?`)
      .all(...args, o.limit ?? 100, o.offset ?? 0) as Row[];
    return {
      total,
      devices: rows.map((r) => ({
        eui: r.eui as string,
        type: r.type as string,
        status: r.status as string,
        mpxn: (r.mpxn as string | null) ?? null,
        registeredNetworkOperatorEui: (r.network_operator_eui as string | null) ?? null,
        supplierEui: (r.supplier_eui as string | null) ?? null,
        cells: [...(r.in_ds === 1 ? (['networkOperatorDS'] as const) : []), ...(r.in_ka === 1 ? (['networkOperatorKA'] as const) : [])],
      })),
    };
  }

  /**
   * A party ceases to be a DCC User (MP128A): it stops being a DCC User and an SMKI Subscriber and
   * its organisation and XML-signing certificates are revoked (its Certificate Revocation Request).
   * The caller checks first that no device still holds its certificates.
   */
  ceaseDccUser(eui: string, at: string, reason: string): CeaseResult {
    const r = this.db.prepare('UPDATE parties SET dcc_user = 0, smki_subscriber = 0 WHERE eui = ?').run(eui);
    if (r.changes === 0) throw new WorldDbError('unknown-party', `no party with EUI ${eui}`);
    const ids = (
      this.db
        .prepare(`SELECT id FROM certificates WHERE subject_eui = ? AND kind IN ('organisation', 'xml-signing') AND revoked_at IS NULL ORDER BY id`)
        .all(eui) as { id: number }[]
    ).map((x) => x.id);
    const revoke = this.db.prepare('UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE id = ?');
    for (const id of ids) revoke.run(at, reason, id);
    return { revokedCertificateIds: ids };
  }

  /**
   * Devices by what their cells hold (training scenarios pick their devices with it): type, SMI
   * status, the holders of the network operator and supplier DS cells, commissioned on or after a date.
   */
  findDevicesByCells(q: {
    type: 'ESME' | 'GPF';
    status?: string;
    networkOperatorCellHolder?: string;
    supplierCellHolder?: string;
    registeredNetworkOperatorIsDccUser?: boolean;
    commissionedOnOrAfter?: string;
    limit?: number;
  }): { eui: string; mpxn: string | null; status: string; commissionedAt: string | null; networkOperatorEui: string | null; supplierEui: string | null }[] {
    const where = ['d.type = @type'];
    const params: Record<string, unknown> = { type: q.type, limit: q.limit ?? 10 };
    if (q.status !== undefined) {
      where.push('d.status = @status');
      params.status = q.status;
    }
    if (q.networkOperatorCellHolder !== undefined) {
      where.push('nc.subject_eui = @noHolder');
      params.noHolder = q.networkOperatorCellHolder;
    }
    if (q.supplierCellHolder !== undefined) {
      where.push('sc.subject_eui = @supplierHolder');
      params.supplierHolder = q.supplierCellHolder;
    }
    if (q.registeredNetworkOperatorIsDccUser !== undefined) {
      where.push('coalesce(np.dcc_user, 0) = @noDccUser');
      params.noDccUser = q.registeredNetworkOperatorIsDccUser ? 1 : 0;
    }
    if (q.commissionedOnOrAfter !== undefined) {
      where.push('d.commissioned_at >= @since');
      params.since = q.commissionedOnOrAfter;
    }
    const rows = this.db
      .prepare(
        `SELECT d.eui, d.mpxn, d.status, d.commissioned_at, sp.network_operator_eui, sp.supplier_eui
         FROM devices d
         JOIN device_security s ON s.device_eui = d.eui
         LEFT JOIN certificates nc ON nc.id = s.network_operator_ds
         LEFT JOIN certificates sc ON sc.id = s.supplier_ds
         LEFT JOIN supply_points sp ON sp.mpxn = d.mpxn
         LEFT JOIN parties np ON np.eui = sp.network_operator_eui
         WHERE ${where.join(' AND ')} ORDER BY d.eui LIMIT @limit`,
      )
      .all(params) as Row[];
    return rows.map((r) => ({
      eui: r.eui as string,
      mpxn: (r.mpxn as string | null) ?? null,
      status: r.status as string,
      commissionedAt: (r.commissioned_at as string | null) ?? null,
      networkOperatorEui: (r.network_operator_eui as string | null) ?? null,
      supplierEui: (r.supplier_eui as string | null) ?? null,
    }));
  }

  /** The Smart Metering Inventory records a device as commissioned (SRV 8.1.1's effect on the SMI). */
  markCommissioned(eui: string, at: string): void {
    const r = this.db.prepare("UPDATE devices SET status = 'Commissioned', commissioned_at = ? WHERE eui = ?").run(at, eui);
    if (r.changes === 0) throw new WorldDbError('unknown-device', `no device with EUI ${eui}`);
  }
}

function deviceRow(r: Row): DeviceComplianceRow {
  return {
    eui: r.eui as string,
    type: r.type as 'ESME' | 'GPF',
    mpxn: (r.mpxn as string | null) ?? null,
    commissionedAt: r.commissioned_at as string,
    daysSinceCommissioning: r.days as number,
    dueBy: r.due_by as string,
    networkOperatorEui: (r.network_operator_eui as string | null) ?? null,
    supplierEui: (r.supplier_eui as string | null) ?? null,
    dsHolderEui: (r.ds_eui as string | null) ?? null,
    dsHolderRole: (r.ds_role as number | null) ?? null,
    kaHolderEui: (r.ka_eui as string | null) ?? null,
    kaHolderRole: (r.ka_role as number | null) ?? null,
    state: r.state as ComplianceState,
    reason: (r.reason as NonComplianceReason | null) ?? null,
  };
}

function prefixCond(mpxnPrefix: string | undefined): { cond: string; args: unknown[] } {
  if (!mpxnPrefix) return { cond: '', args: [] };
  // a range on the primary key rather than LIKE (which would scan): digits sort below '~'
  return { cond: ' AND mpxn >= ? AND mpxn < ?', args: [mpxnPrefix, mpxnPrefix + '~'] };
}
