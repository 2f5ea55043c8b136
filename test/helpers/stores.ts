import { describe } from 'vitest';
import { openWorldDb, type SqliteDatabase } from '../../db/index.ts';
import { dropPostgresDatabase, emptyPostgresWorld } from './postgres.ts';

// The world has two stores behind one interface: an embedded SQLite file and a PostgreSQL database
// (db/postgres). The store tests run against both; a suite written for one store runs against the
// other with DCC_SIM_TEST_STORE=postgres.

export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/** The store a suite not parametrized over STORES runs against. */
export function defaultStore(): StoreKind {
  return process.env.DCC_SIM_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/** Runs a suite once per store, in a describe block named after it ("on sqlite", "on postgres"). */
export function forEachStore(suite: (store: StoreKind) => void): void {
  describe.each(STORES)('on %s', suite);
}

export interface EmptyWorldDb {
  db: SqliteDatabase;
  /** closes the connection and removes the database */
  close(): void;
}

/** A database holding an empty world (every migration applied, no rows) in the given store. */
export function emptyWorldDb(store: StoreKind): EmptyWorldDb {
  if (store === 'sqlite') {
    const db = openWorldDb(':memory:', { create: true });
    return { db, close: () => db.close() };
  }
  const url = emptyPostgresWorld();
  const db = openWorldDb(url);
  return {
    db,
    close() {
      db.close();
      dropPostgresDatabase(url);
    },
  };
}
