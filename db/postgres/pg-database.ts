import { createRequire } from 'node:module';
import { translate, translateScript, type ParamSource, type TranslatedSql } from './dialect.ts';

// A world in PostgreSQL behind the interface the stores already use (better-sqlite3's): prepare,
// get/all/run/iterate, exec, transaction, pragma. The stores and every handler stay synchronous:
// each statement is one blocking round trip through libpq (the same client library psql uses),
// ~45 µs on a Unix socket (bench/measurements.md, "PostgreSQL store"). Synchronous is also what
// keeps a request's transaction whole: nothing else runs on this connection while it is open.
//
// Several dcc-sim processes may share the world. Each transaction runs SERIALIZABLE, so whatever
// they interleave commits as some serial order would; a transaction PostgreSQL cannot place in
// one (a serialization failure or deadlock) is rolled back and run again from the start.

export interface Libpq {
  connectSync(conninfo: string): void;
  connect(conninfo: string, callback: (err?: Error) => void): void;
  exec(text: string): void;
  execParams(text: string, values: (string | null)[]): void;
  prepare(name: string, text: string, nParams: number): void;
  describePrepared(name: string): void;
  execPrepared(name: string, values: (string | null)[]): void;
  resultStatus(): string;
  resultErrorMessage(): string;
  resultErrorFields(): { sqlState?: string; messagePrimary?: string; messageDetail?: string; constraintName?: string } | undefined;
  errorMessage(): string;
  ntuples(): number;
  nfields(): number;
  fname(i: number): string;
  ftype(i: number): number;
  getvalue(row: number, col: number): string;
  getisnull(row: number, col: number): boolean;
  cmdTuples(): string;
  putCopyData(data: Buffer): number;
  getCopyData(async: boolean): Buffer | number;
  putCopyEnd(message?: string): number;
  getResult(): boolean;
  finish(): void;
  transactionStatus(): number;
  sendQuery(text: string): boolean;
  consumeInput(): boolean;
  isBusy(): boolean;
  /** watch the socket (libuv): 'readable' is emitted until consumeInput() has read what came */
  startReader(): void;
  stopReader(): void;
  notifies(): { relname: string; extra: string; be_pid: number } | undefined;
  on(event: 'readable', listener: () => void): void;
  removeAllListeners(event?: string): void;
  escapeLiteral(text: string): string;
}

let LibpqClass: (new () => Libpq) | undefined;
export function loadLibpq(): new () => Libpq {
  if (LibpqClass) return LibpqClass;
  try {
    LibpqClass = createRequire(import.meta.url)('libpq') as new () => Libpq;
    return LibpqClass;
  } catch (e) {
    throw new PgStoreError(
      'postgres-client-missing',
      `the PostgreSQL store needs the libpq client library and its Node binding: install Debian's libpq-dev (apt-get install libpq-dev), then run npm install again (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

export class PgStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** PostgreSQL's SQLSTATE, when the server refused a statement */
    readonly sqlState?: string,
  ) {
    super(message);
    this.name = 'PgStoreError';
  }
}

/** SQLSTATEs after which the whole transaction is run again: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 50;

/** SQLite's error codes for the refusals the stores and their callers look for. */
const SQLITE_CODE: Record<string, string> = {
  '23505': 'SQLITE_CONSTRAINT_UNIQUE',
  '23503': 'SQLITE_CONSTRAINT_FOREIGNKEY',
  '23502': 'SQLITE_CONSTRAINT_NOTNULL',
  '23514': 'SQLITE_CONSTRAINT_CHECK',
  '53100': 'SQLITE_FULL',
  '25006': 'SQLITE_READONLY',
};

// Result values as better-sqlite3 gives them: integers and numerics as numbers, booleans as 1/0, bytea as Buffers.
const INT8 = 20;
const NUMBER_TYPES = new Set([21, 23, 26, 700, 701, 1700]);
const BOOL = 16;
const BYTEA = 17;

function parseValue(text: string, type: number, safeIntegers: boolean): unknown {
  if (type === INT8) {
    if (safeIntegers) return BigInt(text);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new PgStoreError('postgres-integer', `integer ${text} is too large for a JavaScript number`);
    return n;
  }
  if (NUMBER_TYPES.has(type)) return safeIntegers && /^-?\d+$/.test(text) ? BigInt(text) : Number(text);
  if (type === BOOL) return text === 't' ? 1 : 0;
  if (type === BYTEA) return Buffer.from(text.slice(2), 'hex');
  return text;
}

function paramValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  // PostgreSQL's text cannot hold U+0000, and libpq would end the value there: it becomes U+FFFD,
  // so the rest is kept and the same text finds the row again.
  if (typeof v === 'string') return v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PgStoreError('postgres-param', `cannot store ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  throw new PgStoreError('postgres-param', `cannot store a ${typeof v} (${Object.prototype.toString.call(v)})`);
}

const finishing = new Set<Libpq>();

/**
 * Ends a libpq connection. Its binding closes the socket watcher asynchronously and lets go of the
 * connection at once: were it collected before the close completes, libuv would touch freed memory.
 */
export function finishLibpq(pq: Libpq): void {
  pq.finish();
  finishing.add(pq);
  setTimeout(() => finishing.delete(pq), 1000).unref();
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Result {
  rows: unknown[];
  changes: number;
}

type Mode = 'object' | 'pluck' | 'raw' | 'expand';

export class PgStatement {
  private mode: Mode = 'object';
  private safe = false;
  readonly reader: boolean;

  constructor(
    private readonly db: PgDatabase,
    readonly source: string,
    private readonly sql: TranslatedSql,
    private readonly name: string,
  ) {
    this.reader = /^\s*(SELECT|WITH|VALUES|PRAGMA)\b/i.test(source) || /\bRETURNING\b/i.test(source);
  }

  pluck(on = true): this {
    this.mode = on ? 'pluck' : 'object';
    return this;
  }

  raw(on = true): this {
    this.mode = on ? 'raw' : 'object';
    return this;
  }

  expand(on = true): this {
    this.mode = on ? 'expand' : 'object';
    return this;
  }

  safeIntegers(on = true): this {
    this.safe = on;
    return this;
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const r = this.db.execute(this.name, this.sql, this.values(args), 'object', this.safe);
    const last = this.sql.returnsIdOf && r.rows.length ? (r.rows[r.rows.length - 1] as { id: number | bigint }).id : 0;
    return { changes: r.changes, lastInsertRowid: last };
  }

  get(...args: unknown[]): unknown {
    const r = this.db.execute(this.name, this.sql, this.values(args), this.mode, this.safe);
    return r.rows[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.db.execute(this.name, this.sql, this.values(args), this.mode, this.safe).rows;
  }

  /** The result's column names (better-sqlite3's columns(); names only). */
  columns(): { name: string; column: string | null; table: string | null; database: string | null; type: string | null }[] {
    return this.db.describe(this.name, this.sql).map((name) => ({ name, column: null, table: null, database: null, type: null }));
  }

  *iterate(...args: unknown[]): IterableIterator<unknown> {
    yield* this.db.cursor(this.sql, this.values(args), this.mode, this.safe);
  }

  /** better-sqlite3's binding rules: positional values in order (arrays spread), named ones from an object. */
  private values(args: unknown[]): (string | null)[] {
    const positional: unknown[] = [];
    let named: Record<string, unknown> | undefined;
    const take = (a: unknown) => {
      if (Array.isArray(a)) a.forEach(take);
      else if (a !== null && typeof a === 'object' && !(a instanceof Uint8Array)) named = { ...named, ...(a as Record<string, unknown>) };
      else positional.push(a);
    };
    args.forEach(take);
    return this.sql.params.map((p: ParamSource) => {
      if ('position' in p) {
        if (p.position >= positional.length) throw new PgStoreError('postgres-param', `too few parameter values for: ${this.source.trim().slice(0, 80)}`);
        return paramValue(positional[p.position]);
      }
      if (!named || !(p.name in named)) throw new PgStoreError('postgres-param', `missing named parameter ${p.name} for: ${this.source.trim().slice(0, 80)}`);
      return paramValue(named[p.name]);
    });
  }
}

export interface PgDatabaseOptions {
  /** tables whose key is a rowid in SQLite (an identity column here) */
  rowidTables: ReadonlySet<string>;
  readonly?: boolean;
}

export class PgDatabase {
  readonly dialect = 'postgres';
  readonly memory = false;
  readonly readonly: boolean;
  readonly name: string;
  open = true;
  /** transactions run again after a serialization failure or deadlock, since opening */
  retries = 0;
  /** the same, by SQLSTATE: 40001 serialization failure, 40P01 deadlock */
  readonly retriesBySqlState: Record<string, number> = {};
  /** statements executed (round trips to the server), since opening: what a request costs in trips */
  statements = 0;

  private readonly pq: Libpq;
  private readonly translated = new Map<string, { sql: TranslatedSql; name: string }>();
  private readonly prepared = new Set<string>();
  private depth = 0;
  private savepoints = 0;
  private cursors = 0;
  /** a retryable failure seen inside the open transaction: it must be run again even if a caller caught it */
  private doomed?: PgStoreError;
  private readonly sequencesToMove = new Set<string>();
  private readonly commitHooks: (() => void)[] = [];

  constructor(
    readonly url: string,
    private readonly options: PgDatabaseOptions,
  ) {
    const Pq = loadLibpq();
    this.pq = new Pq();
    this.name = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    this.readonly = options.readonly ?? false;
    try {
      this.pq.connectSync(url);
    } catch (e) {
      throw new PgStoreError('world-open-failed', `cannot connect to PostgreSQL world ${this.name}: ${(e as Error).message.trim()}`);
    }
    this.command("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    // which dcc-sim process a connection is, in pg_stat_activity (several may share the world)
    if (!/application_name/.test(url)) this.command(`SET application_name = 'dcc-sim ${process.pid}'`);
    if (this.readonly) this.command('SET default_transaction_read_only = on');
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare(source: string): PgStatement {
    this.assertOpen();
    let t = this.translated.get(source);
    if (!t) {
      t = { sql: translate(source, this.options.rowidTables), name: `s${this.translated.size + 1}` };
      this.translated.set(source, t);
    }
    return new PgStatement(this, source, t.sql, t.name);
  }

  exec(source: string): this {
    this.assertOpen();
    this.command(translateScript(source, this.options.rowidTables));
    return this;
  }

  /** Runs raw PostgreSQL (no translation), e.g. the store's own DDL. */
  command(text: string): void {
    this.statements++;
    this.pq.exec(text);
    this.check(text);
  }

  /** The server process serving this connection (its CPU can be read from /proc on the same machine). */
  backendPid(): number {
    return (this.query('SELECT pg_backend_pid() AS pid')[0] as { pid: number }).pid;
  }

  /** Runs raw PostgreSQL with parameters and returns its rows (objects). */
  query(text: string, values: unknown[] = []): unknown[] {
    this.statements++;
    this.pq.execParams(text, values.map(paramValue));
    this.check(text);
    return this.rows('object', false);
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) & { deferred: (...args: A) => R; immediate: (...args: A) => R; exclusive: (...args: A) => R } {
    const run = (...args: A): R => this.runTransaction(fn, args);
    return Object.assign(run, { deferred: run, immediate: run, exclusive: run });
  }

  /** Runs fn once the outermost transaction open now has committed (at once when none is open). */
  afterCommit(fn: () => void): void {
    if (this.depth === 0) fn();
    else this.commitHooks.push(fn);
  }

  private runTransaction<A extends unknown[], R>(fn: (...args: A) => R, args: A): R {
    if (this.depth > 0) return this.runSavepoint(fn, args);
    for (let attempt = 1; ; attempt++) {
      this.command(this.indexScansInTransactions ? 'BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL enable_seqscan = off' : 'BEGIN ISOLATION LEVEL SERIALIZABLE');
      this.depth = 1;
      this.doomed = undefined;
      this.commitHooks.length = 0;
      try {
        const result = fn(...args);
        if (this.doomed) throw this.doomed;
        this.moveSequences();
        this.command('COMMIT');
        this.depth = 0;
        const hooks = this.commitHooks.splice(0);
        for (const h of hooks) h();
        return result;
      } catch (e) {
        this.depth = 0;
        this.savepoints = 0;
        this.sequencesToMove.clear();
        this.commitHooks.length = 0;
        // After a failed COMMIT the server has already ended the transaction; ROLLBACK is then a no-op.
        if (this.open) this.pq.exec('ROLLBACK');
        const cause = this.doomed ?? e;
        this.doomed = undefined;
        if (cause instanceof PgStoreError && cause.sqlState && RETRYABLE.has(cause.sqlState) && attempt < MAX_ATTEMPTS) {
          this.retries++;
          this.retriesBySqlState[cause.sqlState] = (this.retriesBySqlState[cause.sqlState] ?? 0) + 1;
          // Back off a little, more each time, with jitter, so that two writers stop colliding.
          sleepMs(Math.random() * Math.min(50, attempt * 2));
          continue;
        }
        throw e;
      }
    }
  }

  private runSavepoint<A extends unknown[], R>(fn: (...args: A) => R, args: A): R {
    const name = `sp${++this.savepoints}`;
    this.command(`SAVEPOINT ${name}`);
    this.depth++;
    const hooks = this.commitHooks.length;
    try {
      const result = fn(...args);
      this.command(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (e) {
      // what the rolled-back part meant to do after the commit is not done either
      this.commitHooks.length = hooks;
      if (!this.doomed) this.command(`ROLLBACK TO SAVEPOINT ${name}`);
      throw e;
    } finally {
      this.depth--;
      this.savepoints--;
    }
  }

  /**
   * Plans the statements of this connection's SERIALIZABLE transactions with an index scan wherever an
   * index serves (SET LOCAL enable_seqscan = off; a sequential scan only where none does). In them a
   * sequential scan takes a predicate lock on the whole table, which any other transaction's write to
   * it then conflicts with; on a small table (a few DCC Users' counters, each request writing its own)
   * the planner prefers one, so two servers' requests failed each other although they touched different
   * rows. An index scan locks what it read: the rows, and the index leaf pages. Statements outside
   * transactions (read committed: no predicate locks; reports over the whole fleet) keep their plans:
   * a statement is prepared once for each side, so that no cached plan crosses over.
   */
  preferIndexScans(): void {
    this.indexScansInTransactions = true;
  }

  private indexScansInTransactions = false;

  /**
   * NOTIFY `channel` with each payload (each under 8000 bytes) in a transaction of their own, one
   * round trip, outside any other transaction: send what is already committed. That transaction
   * does not wait for its commit to reach the disk. (A NOTIFY holds PostgreSQL's notify lock until
   * its transaction has committed: one inside every request's transaction would make the commits
   * of every process on the server wait for each other's WAL flush, one at a time.)
   */
  notify(channel: string, payloads: readonly string[]): void {
    this.assertOpen();
    if (this.depth > 0) throw new PgStoreError('postgres-notify', 'notify() commits on its own: it cannot run inside a transaction');
    if (payloads.length === 0) return;
    const to = this.pq.escapeLiteral(channel);
    const sends = payloads.map((p) => `SELECT pg_notify(${to}, ${this.pq.escapeLiteral(p)})`).join('; ');
    try {
      this.command(`BEGIN; SET LOCAL synchronous_commit TO off; ${sends}; COMMIT`);
    } catch (e) {
      // a failed statement leaves the rest of the string unrun, the transaction open and aborted
      if (this.open) this.pq.exec('ROLLBACK');
      throw e;
    }
  }

  private readonly advisoryLocks = new Set<number>();

  /**
   * Takes a session advisory lock if no other connection holds it, and keeps it until this
   * connection ends (a process that dies lets go of it with its connection). True while held.
   */
  holdAdvisoryLock(key: number): boolean {
    if (this.advisoryLocks.has(key)) return true;
    const got = (this.query('SELECT pg_try_advisory_lock($1) AS ok', [key])[0] as { ok: number }).ok === 1;
    if (got) this.advisoryLocks.add(key);
    return got;
  }

  /** Explicit ids were written into identity columns: move their sequences past them. */
  private moveSequences(): void {
    for (const table of this.sequencesToMove) {
      this.command(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1))`);
    }
    this.sequencesToMove.clear();
  }

  private ensurePrepared(name: string, sql: TranslatedSql): void {
    if (this.prepared.has(name)) return;
    this.pq.prepare(name, sql.text, sql.params.length);
    this.check(sql.text);
    this.prepared.add(name);
  }

  describe(name: string, sql: TranslatedSql): string[] {
    this.assertOpen();
    this.ensurePrepared(name, sql);
    this.pq.describePrepared(name);
    this.check(sql.text);
    const names: string[] = [];
    for (let c = 0; c < this.pq.nfields(); c++) names.push(this.pq.fname(c));
    return names;
  }

  execute(name: string, sql: TranslatedSql, values: (string | null)[], mode: Mode, safe: boolean): Result {
    this.assertOpen();
    if (this.doomed) throw this.doomed;
    // planned under the transaction's settings, or outside them (preferIndexScans)
    const planned = this.depth > 0 && this.indexScansInTransactions ? `${name}t` : name;
    this.ensurePrepared(planned, sql);
    this.pq.execPrepared(planned, values);
    this.statements++;
    this.check(sql.text);
    const changes = Number(this.pq.cmdTuples() || 0);
    const rows = this.rows(mode, safe);
    if (sql.setsIdOf) {
      this.sequencesToMove.add(sql.setsIdOf);
      if (this.depth === 0) this.moveSequences();
    }
    return { rows, changes };
  }

  *cursor(sql: TranslatedSql, values: (string | null)[], mode: Mode, safe: boolean): IterableIterator<unknown> {
    // A server-side cursor, read a page at a time: a report over millions of devices never holds them all.
    const name = `c${++this.cursors}`;
    const hold = this.depth === 0 ? ' WITH HOLD' : '';
    this.pq.execParams(`DECLARE ${name} NO SCROLL CURSOR${hold} FOR ${sql.text}`, values);
    this.check(sql.text);
    try {
      for (;;) {
        this.command(`FETCH 500 FROM ${name}`);
        const rows = this.rows(mode, safe);
        yield* rows;
        if (rows.length < 500) break;
      }
    } finally {
      if (this.open && this.pq.transactionStatus() !== 3) this.pq.exec(`CLOSE ${name}`);
    }
  }

  private rows(mode: Mode, safe: boolean): unknown[] {
    const pq = this.pq;
    const n = pq.ntuples();
    if (n === 0) return [];
    const fields = pq.nfields();
    const names: string[] = [];
    const types: number[] = [];
    for (let c = 0; c < fields; c++) {
      names.push(pq.fname(c));
      types.push(pq.ftype(c));
    }
    const value = (r: number, c: number) => (pq.getisnull(r, c) ? null : parseValue(pq.getvalue(r, c), types[c]!, safe));
    const out = new Array<unknown>(n);
    for (let r = 0; r < n; r++) {
      if (mode === 'pluck') out[r] = value(r, 0);
      else if (mode === 'raw') {
        const row = new Array<unknown>(fields);
        for (let c = 0; c < fields; c++) row[c] = value(r, c);
        out[r] = row;
      } else {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < fields; c++) row[names[c]!] = value(r, c);
        out[r] = row;
      }
    }
    return out;
  }

  private check(text: string): void {
    const status = this.pq.resultStatus();
    if (status === 'PGRES_COMMAND_OK' || status === 'PGRES_TUPLES_OK' || status === 'PGRES_EMPTY_QUERY' || status === 'PGRES_COPY_IN') return;
    const fields = this.pq.resultErrorFields();
    const state = fields?.sqlState;
    const message = (this.pq.resultErrorMessage() || this.pq.errorMessage() || status).trim();
    // SQLite tells a duplicate primary key from another duplicate; PostgreSQL names the key <table>_pkey.
    const code = state === '23505' && fields?.constraintName?.endsWith('_pkey') ? 'SQLITE_CONSTRAINT_PRIMARYKEY' : state ? SQLITE_CODE[state] ?? `PG_${state}` : 'postgres-connection';
    const err = new PgStoreError(code, `${message} (in: ${text.trim().slice(0, 200)})`, state);
    if (state && RETRYABLE.has(state) && this.depth > 0) this.doomed = err;
    throw err;
  }

  /** The few pragmas the stores use: the schema version is kept in a table; the rest are SQLite's own business. */
  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const m = /^\s*(?:main\.)?(\w+)\s*(?:=\s*(.+?)|\((.*)\))?\s*$/.exec(source);
    const name = m?.[1]?.toLowerCase();
    if (name === 'user_version') {
      if (m![2] !== undefined) {
        this.command(`UPDATE dcc_sim_schema SET version = ${Number(m![2])}`);
        return [];
      }
      const v = (this.query('SELECT version FROM dcc_sim_schema')[0] as { version: number } | undefined)?.version ?? 0;
      return options.simple ? v : [{ user_version: v }];
    }
    if (name === 'foreign_key_check' || name === 'wal_checkpoint') return [];
    const known: Record<string, unknown> = { journal_mode: 'wal', synchronous: 1, foreign_keys: 1, cache_size: -2000, busy_timeout: 5000, ignore_check_constraints: 0, wal_autocheckpoint: 0 };
    if (name && name in known) return m![2] !== undefined ? [] : options.simple ? known[name] : [{ [name]: known[name] }];
    throw new PgStoreError('postgres-unsupported', `pragma ${source} has no meaning for a PostgreSQL world`);
  }

  /** Copies rows into a table in one COPY (text format): the seed's bulk path. */
  copy(table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): number {
    return this.copyLines(table, columns, (function* () {
      for (const row of rows) yield `${row.map(copyField).join('\t')}\n`;
    })());
  }

  /**
   * COPY of lines already in COPY's text format (fields by copyField, tab-separated, each line
   * ending in a newline): a seed writing millions of rows builds each line once, no row arrays.
   */
  copyLines(table: string, columns: readonly string[], lines: Iterable<string>): number {
    this.pq.exec(`COPY ${table} (${columns.join(', ')}) FROM STDIN`);
    this.check(`COPY ${table}`);
    let n = 0;
    let chunk = '';
    const flush = () => {
      if (!chunk) return;
      if (this.pq.putCopyData(Buffer.from(chunk, 'utf8')) !== 1) throw new PgStoreError('postgres-copy', `COPY ${table}: ${this.pq.errorMessage()}`);
      chunk = '';
    };
    for (const line of lines) {
      chunk += line;
      n++;
      // ~1 MB a message: the server parses one while the next is being built
      if (chunk.length > 1 << 20) flush();
    }
    flush();
    if (this.pq.putCopyEnd() !== 1) throw new PgStoreError('postgres-copy', `COPY ${table}: ${this.pq.errorMessage()}`);
    this.pq.getResult();
    this.check(`COPY ${table}`);
    while (this.pq.getResult()) this.check(`COPY ${table}`);
    return n;
  }

  /** Runs a COPY … TO STDOUT and yields what it sends, as it comes (the rows in COPY's own format). */
  *copyOut(sql: string): Generator<Buffer> {
    this.assertOpen();
    this.pq.exec(sql);
    if (this.pq.resultStatus() !== 'PGRES_COPY_OUT') this.check(sql);
    for (;;) {
      const chunk = this.pq.getCopyData(false);
      if (typeof chunk === 'number') break; // -1: done; -2: failed, reported by the result below
      yield chunk;
    }
    this.pq.getResult();
    this.check(sql);
    while (this.pq.getResult()) this.check(sql);
  }

  /** Runs a COPY … FROM STDIN fed with `data` (in COPY's own format, e.g. another database's copyOut). */
  copyIn(sql: string, data: Iterable<Buffer>): void {
    this.assertOpen();
    this.pq.exec(sql);
    this.check(sql);
    for (const chunk of data) {
      if (this.pq.putCopyData(chunk) !== 1) throw new PgStoreError('postgres-copy', `${sql}: ${this.pq.errorMessage()}`);
    }
    if (this.pq.putCopyEnd() !== 1) throw new PgStoreError('postgres-copy', `${sql}: ${this.pq.errorMessage()}`);
    this.pq.getResult();
    this.check(sql);
    while (this.pq.getResult()) this.check(sql);
  }

  /**
   * Runs raw PostgreSQL on several connections at once, each connection's statements in order and
   * one per round trip (VACUUM refuses to share one), until all are done: bulk work (a seed's
   * index builds, vacuums and constraint checks) then keeps more than one server process busy.
   */
  static concurrently(work: [PgDatabase, string[]][]): void {
    const lanes = work.map(([db, statements]) => ({ db, queue: [...statements], current: undefined as string | undefined }));
    const next = (lane: (typeof lanes)[number]) => {
      lane.current = lane.queue.shift();
      if (lane.current !== undefined && !lane.db.pq.sendQuery(lane.current)) {
        throw new PgStoreError('postgres-connection', `${lane.db.pq.errorMessage().trim()} (in: ${lane.current.slice(0, 200)})`);
      }
    };
    lanes.forEach(next);
    while (lanes.some((l) => l.current !== undefined)) {
      let waiting = true;
      for (const lane of lanes) {
        if (lane.current === undefined) continue;
        if (!lane.db.pq.consumeInput()) throw new PgStoreError('postgres-connection', lane.db.pq.errorMessage().trim());
        if (lane.db.pq.isBusy()) continue;
        while (lane.db.pq.getResult()) lane.db.check(lane.current);
        next(lane);
        waiting = false;
      }
      if (waiting) sleepMs(2);
    }
  }

  backup(): Promise<never> {
    return Promise.reject(new PgStoreError('postgres-unsupported', 'a PostgreSQL world is copied with pg_dump, not backup()'));
  }

  close(): this {
    if (this.open) {
      this.open = false;
      finishLibpq(this.pq);
    }
    return this;
  }

  private assertOpen(): void {
    if (!this.open) throw new PgStoreError('postgres-closed', 'the PostgreSQL world connection is closed');
  }
}

const NEEDS_COPY_ESCAPE = /[\\\t\n\r]/;

/** COPY's text format: \N for NULL; backslash, tab and newlines escaped; bytea as \\x hex. */
export function copyField(v: unknown): string {
  const text = paramValue(v);
  if (text === null) return '\\N';
  // most fields (a seed's millions) have nothing to escape: one scan instead of four replaces
  if (!NEEDS_COPY_ESCAPE.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
