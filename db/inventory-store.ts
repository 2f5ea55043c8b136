// The smart metering inventory: devices, their status and premises, and the console's device search
// (which joins registration data and the network operator cells to classify each device).
import type { SqliteDatabase } from './world-db.ts';
import { cellProblem } from './compliance-store.ts';

import type { DeviceType } from '../pki/index.ts';
export type { DeviceType };
/** The smart metering inventory statuses (rules-and-data.md). */
export const INVENTORY_STATUSES = [
  'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned', 'Withdrawn', 'Suspended', 'Recovery', 'Recovered',
] as const;
export type DeviceStatus = (typeof INVENTORY_STATUSES)[number];

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

export interface DeviceFilter {
  eui?: string;
  type?: DeviceType;
  mpxn?: string;
  supplierEui?: string;
  networkOperatorEui?: string;
  status?: DeviceStatus;
  /** the devices whose supplier DS cell holds this party's certificate (the ACB's: DCC controlled) */
  supplierCellHolder?: string;
  limit?: number;
  offset?: number;
}

/** A device's supplier DS cell holds this party's certificate. */
const SUPPLIER_CELL_HELD_BY = `EXISTS (SELECT 1 FROM device_security hs JOIN certificates hc ON hc.id = hs.supplier_ds
  WHERE hs.device_eui = d.eui AND hc.subject_eui = @supplierCellHolder)`;

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
  /** the devices whose supplier DS cell holds this party's certificate (the ACB's: DCC controlled) */
  supplierCellHolder?: string;
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

/** A DeviceRecord's columns, in the order deviceFromArray reads them. */
export const DEVICE_COLUMNS = 'eui, type, status, mpxn, comms_hub_eui, manufacturer, model, firmware, commissioned_at';

/** A DeviceRecord from a raw row of DEVICE_COLUMNS (and whatever columns follow them). */
export function deviceFromArray(r: unknown[]): DeviceRecord {
  return {
    eui: r[0] as string,
    type: r[1] as DeviceType,
    status: r[2] as DeviceStatus,
    mpxn: (r[3] as string | null) ?? null,
    commsHubEui: (r[4] as string | null) ?? null,
    manufacturer: r[5] as string,
    model: r[6] as string,
    firmware: r[7] as string,
    commissionedAt: (r[8] as string | null) ?? null,
  };
}

/** A device from a row read by column name (the listings' SELECT d.*): deviceFromArray's mapping, in its column order. */
function deviceFromRow(r: Row): DeviceRecord {
  return deviceFromArray([r.eui, r.type, r.status, r.mpxn, r.comms_hub_eui, r.manufacturer, r.model, r.firmware, r.commissioned_at]);
}

/** Queries of the devices table (joined to registration data where a search needs it); statements are prepared once. */
export class InventoryStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      deviceInsert: p(
        `INSERT INTO devices (eui, type, status, mpxn, comms_hub_eui, manufacturer, model, firmware, commissioned_at)
         VALUES (@eui, @type, @status, @mpxn, @commsHubEui, @manufacturer, @model, @firmware, @commissionedAt)`,
      ),
      // read for every device request: as an array (an object row is built a property at a time, ~2,500 instructions a column)
      deviceGet: p(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE eui = ?`).raw(),
    };
  }

  insertDevice(d: DeviceRecord): void {
    this.stmts.deviceInsert.run(d);
  }

  getDevice(eui: string): DeviceRecord | undefined {
    const r = this.stmts.deviceGet.get(eui) as unknown[] | undefined;
    return r ? deviceFromArray(r) : undefined;
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
    if (f.supplierCellHolder !== undefined) {
      where.push(SUPPLIER_CELL_HELD_BY.replace('@supplierCellHolder', '?'));
      args.push(f.supplierCellHolder);
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
    if (f.supplierCellHolder !== undefined) {
      where.push(SUPPLIER_CELL_HELD_BY);
      params.supplierCellHolder = f.supplierCellHolder;
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
    const cond = where.length ? where.join(' AND ') : '1 = 1';
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

  private pairedGsmeStmt?: ReturnType<SqliteDatabase['prepare']>;

  /**
   * The GSME a GPF mirrors: the one in the HAN of the GPF's comms hub (the inventory's comms hub of both, as 8.7.2
   * asks of a join; seeded fleets and ZAZ1 alike). One still in service, a Commissioned one first; undefined when the
   * GPF has no comms hub or its hub no GSME. The GPF's row by its key, then its hub's devices by devices_by_comms_hub.
   */
  pairedGsme(gpfEui: string): string | undefined {
    this.pairedGsmeStmt ??= this.db.prepare(
      `SELECT g.eui FROM devices p JOIN devices g ON g.comms_hub_eui = p.comms_hub_eui
       WHERE p.eui = ? AND g.type = 'GSME' AND g.status NOT IN ('Decommissioned', 'Withdrawn')
       ORDER BY CASE g.status WHEN 'Commissioned' THEN 0 ELSE 1 END, g.eui LIMIT 1`,
    ).pluck();
    return (this.pairedGsmeStmt.get(gpfEui) as string | undefined) ?? undefined;
  }

  private commsHubOfGpfStmt?: ReturnType<SqliteDatabase['prepare']>;

  /**
   * The comms hub a GPF is the other half of: a hub whose pre-notification named it (AssociatedGPFDeviceID, the seeds
   * and fleets alike), or the hub the GPF's row is linked to (8.14.1). Undefined when no hub has it. A GPF belongs to
   * exactly one hub. A hub not installed yet by devices_by_associated_gpf; an installed hub by its GPF's row, which
   * the install linked to it.
   */
  commsHubOfGpf(gpfEui: string): string | undefined {
    this.commsHubOfGpfStmt ??= this.db.prepare(
      `SELECT eui FROM devices WHERE associated_gpf_eui = @gpf AND status IN ('Pending', 'Whitelisted') AND type = 'CHF'
       UNION SELECT comms_hub_eui FROM devices WHERE eui = @gpf AND comms_hub_eui IS NOT NULL
       ORDER BY 1 LIMIT 1`,
    ).pluck();
    return (this.commsHubOfGpfStmt.get({ gpf: gpfEui }) as string | undefined) ?? undefined;
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
}
