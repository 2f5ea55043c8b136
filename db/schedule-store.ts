/** DCC schedules (DUIS 5.1-5.3): the table of migration 13. */
import type { SqliteDatabase } from './world-db.ts';

export interface ScheduleRecord {
  /** the DSPScheduleID */
  id: number;
  originatorEui: string;
  deviceEui: string;
  serviceVariant: string;
  /** the CreateSchedule body, as the 5.1 module keeps it (JSON) */
  details: string;
  nextRunAt: string;
  createdAt: string;
}

type Row = Record<string, unknown>;

const fromRow = (r: Row): ScheduleRecord => ({
  id: Number(r.id),
  originatorEui: r.originator_eui as string,
  deviceEui: r.device_eui as string,
  serviceVariant: r.service_variant as string,
  details: r.details as string,
  nextRunAt: r.next_run_at as string,
  createdAt: r.created_at as string,
});

export class ScheduleStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      insert: p(`INSERT INTO dcc_schedules (id, originator_eui, device_eui, service_variant, details, next_run_at, created_at)
                 VALUES (@id, @originatorEui, @deviceEui, @serviceVariant, @details, @nextRunAt, @createdAt)`),
      nextId: p('SELECT COALESCE(MAX(id), 0) + 1 AS id FROM dcc_schedules'),
      byId: p('SELECT * FROM dcc_schedules WHERE id = ?'),
      byDevice: p('SELECT * FROM dcc_schedules WHERE device_eui = ? ORDER BY id'),
      remove: p('DELETE FROM dcc_schedules WHERE id = ?'),
      due: p('SELECT * FROM dcc_schedules WHERE next_run_at <= ? ORDER BY next_run_at, id'),
      setNext: p('UPDATE dcc_schedules SET next_run_at = ? WHERE id = ?'),
    };
  }

  /** The DSPScheduleID the next schedule gets (IDs are not reused while a higher one exists). */
  nextId(): number {
    return Number((this.stmts.nextId.get() as { id: number }).id);
  }

  add(s: ScheduleRecord): void {
    this.stmts.insert.run(s);
  }

  get(id: number): ScheduleRecord | undefined {
    const r = this.stmts.byId.get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  forDevice(eui: string): ScheduleRecord[] {
    return (this.stmts.byDevice.all(eui) as Row[]).map(fromRow);
  }

  remove(id: number): void {
    this.stmts.remove.run(id);
  }

  /** Schedules with an occurrence at or before `now` (ISO), earliest first. */
  due(now: string): ScheduleRecord[] {
    return (this.stmts.due.all(now) as Row[]).map(fromRow);
  }

  setNextRun(id: number, at: string): void {
    this.stmts.setNext.run(at, id);
  }
}
