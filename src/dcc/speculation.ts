import { noCertificateCache, type SqliteDatabase } from '../../db/index.ts';
import type { DccAnswer } from './dcc.ts';

// Speculation: a pipeline worker runs a request's whole pure part (validation, the handler, the
// GBCS command, the emulated device, the signed responses) on its own connection to the world
// file, inside one read transaction (a consistent snapshot), with every write captured instead of
// applied. What it did is a list of statements in order: reads with the rows they returned, writes
// with their parameters. The main thread (the single writer) replays that list in one transaction:
// each read is run again and must return the same rows, each write is applied; any difference is a
// conflict, and the request is then done in-thread from scratch. Replaying the same statements in
// the same order over the same rows gives the same state as running the request there, so a
// committed speculation is exactly what a serial run would have done (correct by construction).
//
// Not applying writes on the worker means a read of a row the request itself wrote earlier sees
// the old row: the replay then reads the new one, finds it different, and calls it a conflict.
// The ids an INSERT hands out are not known on the worker: it gets a placeholder (a negative number
// no row has) and the replay puts the real id wherever the placeholder was passed on.

/** A prepared statement, its parameters taken as they come. */
type Statement = ReturnType<SqliteDatabase['prepare']> & {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
};

/** Bit flags of a statement's result mode (better-sqlite3's pluck, raw, expand, safeIntegers). */
const PLUCK = 1;
const RAW = 2;
const EXPAND = 4;
const SAFE = 8;

/** A request run whole on a worker: what it did, for the main thread to replay; plain data only. */
export interface Speculation {
  ops: SpeculatedOp[];
  answer: DccAnswer;
  /** the events the request emitted (name, data), emitted again on the main thread once committed */
  events: [string, unknown][];
  /** devices whose key generations it changed: the main thread's cached keys for them go */
  forgotKeys: string[];
}

export type SpeculatedOp =
  | {
    read: true;
    sql: string;
    mode: number;
    all: boolean;
    params: unknown[];
    rows: unknown;
    /** not checked again: what the request relies on is checked at the matching write (`above`) */
    unchecked?: true;
  }
  | {
    read: false;
    sql: string;
    mode: number;
    params: unknown[];
    /** the placeholder id the worker was given for this insert */
    insertId: number;
    /** the number of changed rows the worker was told (1), when the request looked at it */
    changes?: number;
    /** a DCC counter: written only when above the stored one (indexes of the role and value parameters) */
    above?: { roleParam: number; valueParam: number };
  };

/** A DCC-side counter (dcc_counters): one request's read and write of it. */
const DCC_COUNTER_GET = /^\s*SELECT counter FROM dcc_counters WHERE role_name = \?\s*$/;
const DCC_COUNTER_SET = /^\s*INSERT INTO dcc_counters \(role_name, counter\) VALUES \(\?, \?\)/;
/** An originator's last accepted counter (originator_counters). */
const ORIGINATOR_COUNTER_GET = /^\s*SELECT last_counter FROM originator_counters WHERE originator_eui = \?\s*$/;
const ORIGINATOR_COUNTER_SET = /^\s*INSERT INTO originator_counters \(originator_eui, last_counter\) VALUES \(\?, \?\)/;

/** Placeholders for inserted rows' ids: negative, far below any rowid. */
const PLACEHOLDER_BASE = -(2 ** 50);

export class Conflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Conflict';
  }
}

interface Recording {
  ops: SpeculatedOp[];
  /** reads recorded since the last write to any table they read (by sql and parameters): a repeat need not be checked twice */
  seen: Map<string, string[]>;
  writes: number;
  /** a transaction rolled back after the request wrote in it: its outcome is not one a replay can give */
  tainted: boolean;
}

/**
 * The worker side: wraps a connection's prepare() and transaction() so that, while recording, reads
 * are run and logged and writes are logged and not run. Install before any store prepares its
 * statements. Outside a recording, reads run plainly and a write is an error.
 */
export class StatementRecorder {
  private current?: Recording;
  private nextPlaceholder = PLACEHOLDER_BASE;
  /**
   * What requests this worker has speculated but the main thread has not yet settled wrote to the
   * counters: a later request of the same lane is speculated as if they had committed (the lane
   * commits in order), and its replay checks that they did.
   */
  private readonly originatorCounters = new Map<string, { value: string; job: number }>();
  private readonly dccCounters = new Map<string, bigint>();
  private job = 0;

  constructor(private readonly db: SqliteDatabase) {
    noCertificateCache(db); // every read recorded, none answered from memory
    const prepare = db.prepare.bind(db);
    (db as { prepare: unknown }).prepare = (sql: string) => this.wrap(prepare(sql) as Statement, sql);
    const transaction = db.transaction.bind(db);
    (db as { transaction: unknown }).transaction = (fn: (...a: unknown[]) => unknown) => {
      const t = transaction(fn);
      const run = (...a: unknown[]) => {
        const rec = this.current;
        const mark = rec?.writes ?? 0;
        try {
          return t(...a);
        } catch (e) {
          if (rec && rec.writes > mark) rec.tainted = true;
          throw e;
        }
      };
      return Object.assign(run, { deferred: run, immediate: run, exclusive: run });
    };
  }

  /** The main thread settled every request of this worker's lane up to `job`: the database has their writes or never will. */
  settled(job: number): void {
    for (const [k, v] of this.originatorCounters) if (v.job <= job) this.originatorCounters.delete(k);
  }

  /** Runs `fn` in one read transaction, recording; always rolls back. */
  record<T>(job: number, fn: () => T): { value: T; ops: SpeculatedOp[]; tainted: boolean } {
    const rec: Recording = { ops: [], seen: new Map(), writes: 0, tainted: false };
    this.current = rec;
    this.job = job;
    this.db.exec('BEGIN');
    try {
      const value = fn();
      return { value, ops: rec.ops, tainted: rec.tainted };
    } finally {
      this.current = undefined;
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    }
  }

  private wrap(stmt: Statement, sql: string): unknown {
    let mode = 0;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const recorder = this;
    const setMode = (flag: number, on: boolean, clears: number) => {
      mode = on ? (mode & ~clears) | flag : mode & ~flag;
    };
    const wrapper = {
      get reader() { return stmt.reader; },
      get readonly() { return stmt.readonly; },
      get source() { return stmt.source; },
      get database() { return recorder.db; },
      columns: () => stmt.columns(),
      pluck(on = true) { stmt.pluck(on); setMode(PLUCK, on, RAW | EXPAND); return wrapper; },
      raw(on = true) { stmt.raw(on); setMode(RAW, on, PLUCK | EXPAND); return wrapper; },
      expand(on = true) { stmt.expand(on); setMode(EXPAND, on, PLUCK | RAW); return wrapper; },
      safeIntegers(on = true) { stmt.safeIntegers(on); setMode(SAFE, on, 0); return wrapper; },
      bind() { throw new Error('bound statements are not recorded'); },
      get: (...params: unknown[]) => recorder.read(stmt, sql, mode, false, params),
      all: (...params: unknown[]) => recorder.read(stmt, sql, mode, true, params),
      iterate: (...params: unknown[]) => (recorder.read(stmt, sql, mode, true, params) as unknown[])[Symbol.iterator](),
      run: (...params: unknown[]) => recorder.write(stmt, sql, mode, params),
    };
    return wrapper;
  }

  private read(stmt: Statement, sql: string, mode: number, all: boolean, params: unknown[]): unknown {
    const rec = this.current;
    let rows = all ? stmt.all(...params) : stmt.get(...params);
    if (!rec) return rows;
    let unchecked = false;
    if (ORIGINATOR_COUNTER_GET.test(sql)) {
      const pending = this.originatorCounters.get(String(params[0]));
      if (pending) rows = { last_counter: pending.value };
    } else if (DCC_COUNTER_GET.test(sql)) {
      // Not checked again: the value the request takes is of this worker's own residue class, so no
      // other thread can take it (GatewayStore.dccCounterClass); the replay keeps the higher of the two.
      unchecked = true;
      const stored = rows ? BigInt((rows as { counter: string }).counter) : 0n;
      const mine = this.dccCounters.get(String(params[0])) ?? 0n;
      if (mine > stored) rows = { counter: mine.toString() };
    }
    // The same read again, with nothing written since to a table it reads: the replay gets the same rows
    // for it as for the first (checked), so it is not sent.
    const key = unchecked ? undefined : readKey(sql, mode, all, params);
    if (key !== undefined) {
      if (rec.seen.has(key)) return rows;
      rec.seen.set(key, tablesRead(sql));
    }
    rec.ops.push({ read: true, sql, mode, all, params, rows, ...(unchecked ? { unchecked: true as const } : {}) });
    return rows;
  }

  private write(stmt: Statement, sql: string, mode: number, params: unknown[]): unknown {
    const rec = this.current;
    if (stmt.reader) return stmt.run(...params); // a reader run for its side effects: none here
    if (!rec) throw new Error(`a speculating worker cannot write outside a request: ${sql.slice(0, 60)}`);
    const insertId = --this.nextPlaceholder;
    const op: Extract<SpeculatedOp, { read: false }> = { read: false, sql, mode, params, insertId };
    if (DCC_COUNTER_SET.test(sql)) {
      op.above = { roleParam: 0, valueParam: 1 };
      this.dccCounters.set(String(params[0]), BigInt(String(params[1])));
    } else if (ORIGINATOR_COUNTER_SET.test(sql)) {
      this.originatorCounters.set(String(params[0]), { value: String(params[1]), job: this.job });
    }
    rec.ops.push(op);
    rec.writes++;
    const written = tableWritten(sql);
    for (const [key, tables] of rec.seen) if (written === undefined || tables.includes(written)) rec.seen.delete(key);
    // What the request is told; if it looks, the replay must be told the same.
    return new RecordedWrite(op, insertId);
  }
}

/**
 * A recorded write's result. A class, not a literal with a `changes` getter: a getter in a literal made per write gives
 * each its own hidden class in the old generation, which kept the write's op (its rows and parameters) past young
 * collections (bench/young-survivors.ts).
 */
class RecordedWrite {
  constructor(
    private readonly op: { changes?: number },
    readonly lastInsertRowid: number,
  ) {}

  get changes(): number {
    this.op.changes = 1;
    return 1;
  }
}

const tablesBySql = new Map<string, string[]>();

/** The tables a query reads (FROM and JOIN), by name. */
function tablesRead(sql: string): string[] {
  let t = tablesBySql.get(sql);
  if (!t) {
    t = [...sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/gi)].map((m) => m[1]!.toLowerCase());
    tablesBySql.set(sql, t);
  }
  return t;
}

/**
 * The one table an INSERT or UPDATE writes; undefined for anything that may delete rows (a DELETE,
 * a REPLACE), which may cascade to other tables through foreign keys, or that is not understood.
 */
function tableWritten(sql: string): string | undefined {
  const m = /^\s*(?:INSERT\s+(?:OR\s+(?:IGNORE|ABORT|FAIL|ROLLBACK)\s+)?INTO|UPDATE(?:\s+OR\s+(?:IGNORE|ABORT|FAIL|ROLLBACK))?)\s+([A-Za-z_][\w.]*)/i.exec(sql);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** A read's identity (statement, mode, parameters) when its parameters are plain scalars; else undefined. */
function readKey(sql: string, mode: number, all: boolean, params: unknown[]): string | undefined {
  let key = `${mode}${all ? 'a' : 'g'}${sql}`;
  for (const p of params) {
    const t = typeof p;
    if (p === null) key += '\u0000n';
    else if (t === 'string' || t === 'number' || t === 'bigint') key += `\u0000${t[0]}${String(p)}`;
    else return undefined;
  }
  return key;
}

/** Whether an id is a placeholder a speculating worker handed out. */
export function isPlaceholder(v: unknown): v is number {
  return typeof v === 'number' && v < PLACEHOLDER_BASE;
}

/** Puts the real ids in place of placeholders, anywhere in plain data (a new copy where changed). */
export function substituteIds<T>(v: T, ids: Map<number, number>): T {
  if (ids.size === 0) return v;
  const walk = (x: unknown): unknown => {
    if (isPlaceholder(x)) return ids.get(x) ?? x;
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array) && !(x instanceof Date)) {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) o[k] = walk(val);
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

/** Structured clone turned Buffers into plain Uint8Arrays: make them Buffers again (in place). */
export function reviveBuffers(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveBuffers(v[i]);
  } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = reviveBuffers(o[k]);
  }
  return v;
}

function sameRows(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameRows(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!sameRows((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/**
 * The main thread's side: replays a speculation's statements on the writer's connection. Call inside
 * the commit's transaction; throws Conflict when a read differs (the caller rolls back). Returns the
 * real ids of the placeholders.
 */
export class StatementReplayer {
  /** by mode, then by SQL text */
  private readonly statements = new Map<number, Map<string, Statement>>();

  constructor(private readonly db: SqliteDatabase) {}

  replay(ops: SpeculatedOp[]): Map<number, number> {
    const ids = new Map<number, number>();
    for (const op of ops) {
      if (op.read && op.unchecked) continue;
      const stmt = this.statement(op.sql, op.mode);
      const params = substituteIds(reviveBuffers(op.params) as unknown[], ids);
      if (op.read) {
        const rows = op.all ? stmt.all(...params) : stmt.get(...params);
        // the tables first: a statement naming its columns has its FROM past the excerpt
        if (!sameRows(rows, op.rows)) throw new Conflict(`read of ${tablesRead(op.sql).join(', ')} changed since the speculation: ${op.sql.trim().slice(0, 80)}`);
        continue;
      }
      if (op.above) {
        // Each thread's DCC counters are of its own residue class (GatewayStore.dccCounterClass): this one
        // cannot have been taken by another. A higher one committed first stays the last one handed out.
        const stored = this.statement('SELECT counter FROM dcc_counters WHERE role_name = ?', 0)
          .get(params[op.above.roleParam]) as { counter: string } | undefined;
        if (stored && BigInt(stored.counter) >= BigInt(String(params[op.above.valueParam]))) continue;
      }
      const r = stmt.run(...params);
      if (op.changes !== undefined && r.changes !== op.changes) throw new Conflict(`a write changed ${r.changes} row(s), not ${op.changes}: ${op.sql.trim().slice(0, 80)}`);
      ids.set(op.insertId, Number(r.lastInsertRowid));
    }
    return ids;
  }

  private statement(sql: string, mode: number): Statement {
    let byText = this.statements.get(mode);
    if (!byText) this.statements.set(mode, (byText = new Map()));
    let s = byText.get(sql);
    if (!s) {
      s = this.db.prepare(sql) as Statement;
      if (mode & PLUCK) s.pluck();
      if (mode & RAW) s.raw();
      if (mode & EXPAND) s.expand();
      if (mode & SAFE) s.safeIntegers();
      byText.set(sql, s);
    }
    return s;
  }
}
