// World meta: the world's own facts as key-value pairs (profile, seed, secret, reference time, CA certificate ids).
import type { SqliteDatabase } from './world-db.ts';

/** Queries of the world_meta table; statements are prepared once. */
export class MetaStore {
  private readonly stmts;

  constructor(readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      metaGet: p('SELECT value FROM world_meta WHERE key = ?'),
      metaSet: p('INSERT INTO world_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
  }

  getMeta(key: string): string | undefined {
    const row = this.stmts.metaGet.get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaSet.run(key, value);
  }
}
