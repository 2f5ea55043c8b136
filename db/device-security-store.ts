// Device security state: each device's trust-anchor cells, sequence numbers and counters, and the
// future-dated commands it holds.
import type { SqliteDatabase } from './world-db.ts';
import { WorldDbError } from './world-db.ts';

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
  'loadControllerDS',
  'loadControllerKA',
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
  loadControllerDS: 'load_controller_ds',
  loadControllerKA: 'load_controller_ka',
};

export interface DeviceSecurityRecord {
  deviceEui: string;
  /** certificate id held in each cell; absent = no such cell on this device or cell empty */
  cells: Partial<Record<CellColumnName, number>>;
  seqNumbers: Record<number, bigint>;
  topUpSeqNumber: bigint;
  alertCounter: bigint;
  /** key pairs generated on command per usage (CS02c); absent in an update: unchanged */
  keyGenerations?: KeyGenerations;
  /** the generation of the root's contingency key the device holds, 0 when spent; absent: 1 when read, unchanged in an update */
  contingencyKeyGeneration?: number;
}

export type KeyGenerations = Partial<Record<'DS' | 'KA', number>>;

export interface PendingCommandRecord {
  deviceEui: string;
  counter: bigint;
  originator: string;
  executeAt: string;
  command: Buffer;
}

type Row = Record<string, unknown>;

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

function keyGenerationsFromText(text: string): KeyGenerations {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const out: KeyGenerations = {};
  for (const u of ['DS', 'KA'] as const) {
    const n = parsed[u];
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) out[u] = n;
  }
  return out;
}

/** Queries of the device_security and device_pending_commands tables; statements are prepared once. */
export class DeviceSecurityStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      securityInsert: p(
        `INSERT INTO device_security (device_eui, root, recovery, supplier_ds, supplier_ka, supplier_top_up_ka,
           network_operator_ds, network_operator_ka, acb_ds, acb_ka, transitional_cos_ds, wan_provider_ds,
           load_controller_ds, load_controller_ka, seq_numbers, top_up_seq_number, alert_counter)
         VALUES (@deviceEui, @root, @recovery, @supplierDS, @supplierKA, @supplierTopUpKA, @networkOperatorDS,
           @networkOperatorKA, @acbDS, @acbKA, @transitionalCoSDS, @wanProviderDS, @loadControllerDS, @loadControllerKA, @seqNumbers, @topUpSeqNumber, @alertCounter)`,
      ),
      securityUpdate: p(
        `UPDATE device_security SET root = @root, recovery = @recovery, supplier_ds = @supplierDS, supplier_ka = @supplierKA,
           supplier_top_up_ka = @supplierTopUpKA, network_operator_ds = @networkOperatorDS, network_operator_ka = @networkOperatorKA,
           acb_ds = @acbDS, acb_ka = @acbKA, transitional_cos_ds = @transitionalCoSDS, wan_provider_ds = @wanProviderDS,
           load_controller_ds = @loadControllerDS, load_controller_ka = @loadControllerKA,
           seq_numbers = @seqNumbers, top_up_seq_number = @topUpSeqNumber, alert_counter = @alertCounter,
           key_generations = COALESCE(@keyGenerations, key_generations),
           contingency_key_generation = COALESCE(@contingencyKeyGeneration, contingency_key_generation)
         WHERE device_eui = @deviceEui`,
      ),
      // A command that changed no cell (every read) changes only counters: setting the cell columns as well made
      // SQLite rewrite the network operator cell indexes' entries too, pages the commit then writes.
      countersUpdate: p('UPDATE device_security SET seq_numbers = ?, top_up_seq_number = ?, alert_counter = ? WHERE device_eui = ?'),
      keyGenerationsGet: p('SELECT key_generations FROM device_security WHERE device_eui = ?'),
      // read by every device command: as an array (an object row is built a property at a time, ~2,500 instructions a column)
      securityGet: p(
        `SELECT ${CELL_NAMES.map((n) => CELL_COLUMN[n]).join(', ')}, seq_numbers, top_up_seq_number, alert_counter, key_generations, contingency_key_generation
         FROM device_security WHERE device_eui = ?`,
      ).raw(),
      pendingList: p('SELECT * FROM device_pending_commands WHERE device_eui = ? ORDER BY execute_at, counter'),
      pendingInsert: p(
        `INSERT INTO device_pending_commands (device_eui, counter, originator, execute_at, command) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_eui, originator, counter) DO UPDATE SET execute_at = excluded.execute_at, command = excluded.command`,
      ),
      pendingDeleteAll: p('DELETE FROM device_pending_commands WHERE device_eui = ?'),
      appGet: p('SELECT state FROM device_app_state WHERE device_eui = ?'),
      appPut: p('INSERT INTO device_app_state (device_eui, state) VALUES (?, ?) ON CONFLICT (device_eui) DO UPDATE SET state = excluded.state'),
      pendingDue: p('SELECT DISTINCT device_eui FROM device_pending_commands WHERE execute_at <= ? ORDER BY device_eui'),
      inPrepayment: p("SELECT device_eui FROM device_app_state WHERE json_extract(state, '$.prepayment.paymentMode') = 'prepayment' ORDER BY device_eui"),
    };
  }

  insertDeviceSecurity(s: DeviceSecurityRecord): void {
    this.stmts.securityInsert.run(securityParams(s));
  }

  updateDeviceSecurity(s: DeviceSecurityRecord): void {
    const r = this.stmts.securityUpdate.run(securityParams(s));
    if (r.changes !== 1) throw new WorldDbError('unknown-device', `no trust-anchor cells stored for device ${s.deviceEui}`);
  }

  /** The counters of a device whose cells, key generations and contingency key are as stored. */
  updateDeviceCounters(s: Pick<DeviceSecurityRecord, 'deviceEui' | 'seqNumbers' | 'topUpSeqNumber' | 'alertCounter'>): void {
    const r = this.stmts.countersUpdate.run(seqNumbersToText(s.seqNumbers), s.topUpSeqNumber.toString(), s.alertCounter.toString(), s.deviceEui);
    if (r.changes !== 1) throw new WorldDbError('unknown-device', `no trust-anchor cells stored for device ${s.deviceEui}`);
  }

  getDeviceSecurity(eui: string): DeviceSecurityRecord | undefined {
    const r = this.stmts.securityGet.get(eui) as unknown[] | undefined;
    if (!r) return undefined;
    const cells: Partial<Record<CellColumnName, number>> = {};
    for (let i = 0; i < CELL_NAMES.length; i++) {
      const id = r[i] as number | null;
      if (id !== null && id !== undefined) cells[CELL_NAMES[i]!] = id;
    }
    const at = CELL_NAMES.length;
    const record: DeviceSecurityRecord = {
      deviceEui: eui,
      cells,
      seqNumbers: seqNumbersFromText(r[at] as string),
      topUpSeqNumber: BigInt(r[at + 1] as string),
      alertCounter: BigInt(r[at + 2] as string),
    };
    // Only devices that generated a key pair on command carry it.
    const keyGenerations = keyGenerationsFromText(r[at + 3] as string);
    if (Object.keys(keyGenerations).length > 0) record.keyGenerations = keyGenerations;
    // Only devices that no longer hold the contingency key they were made with (generation 1) carry it.
    const contingency = Number(r[at + 4]);
    if (contingency !== 1) record.contingencyKeyGeneration = contingency;
    return record;
  }

  /** The device's key generations ({} for a device that never generated a pair, or is unknown). */
  keyGenerations(eui: string): KeyGenerations {
    const r = this.stmts.keyGenerationsGet.get(eui) as { key_generations: string } | undefined;
    return r ? keyGenerationsFromText(r.key_generations) : {};
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

  /** The device's application state as JSON text; undefined for a device no command has changed. */
  getDeviceAppState(eui: string): string | undefined {
    return (this.stmts.appGet.get(eui) as { state: string } | undefined)?.state;
  }

  putDeviceAppState(eui: string, json: string): void {
    this.stmts.appPut.run(eui, json);
  }

  devicesWithCommandsDue(at: string): string[] {
    return (this.stmts.pendingDue.all(at) as { device_eui: string }[]).map((r) => r.device_eui);
  }

  /** Meters in prepayment mode: their credit drains as the clock moves. */
  devicesInPrepayment(): string[] {
    return (this.stmts.inPrepayment.all() as { device_eui: string }[]).map((r) => r.device_eui);
  }
}

function securityParams(s: DeviceSecurityRecord): Record<string, unknown> {
  const params: Record<string, unknown> = {
    deviceEui: s.deviceEui,
    seqNumbers: seqNumbersToText(s.seqNumbers),
    topUpSeqNumber: s.topUpSeqNumber.toString(),
    alertCounter: s.alertCounter.toString(),
    keyGenerations: s.keyGenerations ? JSON.stringify(s.keyGenerations) : null,
    contingencyKeyGeneration: s.contingencyKeyGeneration ?? null,
  };
  for (const name of CELL_NAMES) params[name] = s.cells[name] ?? null;
  return params;
}
