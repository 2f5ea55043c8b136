import type { SqliteDatabase } from './world-db.ts';

// Injected faults (issue 18): what a tester or trainer made go wrong on purpose, per device, comms hub or
// party, until cleared. The DCC reads them where the fault would bite (delivery to a device, delivery to a
// party's Receive Response Service).

export const FAULT_KINDS = ['device-offline', 'device-refuses', 'slow-wan', 'hub-down', 'receiver-drops', 'receiver-delays'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  targetEui: string;
  kind: FaultKind;
  /** device-refuses: the GBCS alert code (4 hex digits); slow-wan and receiver-delays: seconds */
  detail: string | null;
  createdAt: string;
}

type Row = { target_eui: string; kind: string; detail: string | null; created_at: string };
const fromRow = (r: Row): Fault => ({ targetEui: r.target_eui, kind: r.kind as FaultKind, detail: r.detail, createdAt: r.created_at });

export class FaultStore {
  private readonly stmts;

  constructor(db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      put: p(`INSERT INTO faults (target_eui, kind, detail, created_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (target_eui, kind) DO UPDATE SET detail = excluded.detail, created_at = excluded.created_at`),
      clearOne: p('DELETE FROM faults WHERE target_eui = ? AND kind = ?'),
      clearAll: p('DELETE FROM faults WHERE target_eui = ?'),
      of: p('SELECT * FROM faults WHERE target_eui = ? ORDER BY kind'),
      all: p('SELECT * FROM faults ORDER BY created_at, target_eui, kind'),
      count: p('SELECT count(*) AS n FROM faults'),
    };
  }

  put(targetEui: string, kind: FaultKind, detail: string | null, at: string): void {
    this.stmts.put.run(targetEui, kind, detail, at);
  }

  /** Clears one kind, or every fault of the target; how many were cleared. */
  clear(targetEui: string, kind?: FaultKind): number {
    return (kind ? this.stmts.clearOne.run(targetEui, kind) : this.stmts.clearAll.run(targetEui)).changes;
  }

  of(targetEui: string): Fault[] {
    return (this.stmts.of.all(targetEui) as Row[]).map(fromRow);
  }

  all(): Fault[] {
    return (this.stmts.all.all() as Row[]).map(fromRow);
  }

  /** Whether any fault is set (the DCC's hot path asks this before looking one up). */
  any(): boolean {
    return (this.stmts.count.get() as { n: number }).n > 0;
  }
}
