import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.ts';

export type SqliteDatabase = Database.Database;

export class WorldDbError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorldDbError';
  }
}

export interface OpenOptions {
  /** Create the file when it does not exist (seed); otherwise a missing file is an error. */
  create?: boolean;
  readonly?: boolean;
}

/** Opens (and migrates) a world file: WAL, foreign keys on, one writer. */
export function openSqlite(file: string, options: OpenOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(file, { fileMustExist: !options.create, readonly: options.readonly ?? false });
  } catch (err) {
    const reason = (err as Error).message;
    // The usual cause is a world not made yet: say how to make one.
    const hint = !options.create && !existsSync(file) ? ` (no such file: make a world with \`dcc-sim seed --db ${file}\`, or \`npm start\` for the demo)` : '';
    throw new WorldDbError('world-open-failed', `cannot open world database ${file}: ${reason}${hint}`);
  }
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) migrate(db);
  else if (schemaVersion(db) !== latestVersion()) {
    throw new WorldDbError('world-schema', `world database ${file} has schema ${schemaVersion(db)}, expected ${latestVersion()}`);
  }
  return db;
}

function latestVersion(): number {
  // the highest version, wherever it sits in the list (migrations added concurrently may be appended out of order)
  return MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
}

function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: SqliteDatabase): void {
  const current = schemaVersion(db);
  if (current > latestVersion()) {
    throw new WorldDbError('world-schema', `world database schema ${current} is newer than this dcc-sim (${latestVersion()})`);
  }
  for (const m of [...MIGRATIONS].sort((x, y) => x.version - y.version)) {
    if (m.version <= current) continue;
    // A table rebuild runs with foreign keys off (they cannot be switched inside a transaction) and is checked.
    if (m.rebuild) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (m.rebuild) {
          m.rebuild(db);
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new WorldDbError('world-schema', `migration ${m.version} (${m.name}) broke ${broken.length} foreign key(s)`);
        }
        db.pragma(`user_version = ${m.version}`);
      })();
    } finally {
      if (m.rebuild) db.pragma('foreign_keys = ON');
    }
  }
}
