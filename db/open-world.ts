import { openSqlite, type OpenOptions, type SqliteDatabase } from './world-db.ts';
import { isPostgresUrl, openPostgres } from './postgres/index.ts';

/**
 * Opens the world a --db value names: a PostgreSQL URL (postgres://…), shared by every dcc-sim
 * process given it, or an embedded SQLite file. Both answer the stores through the same interface.
 */
export function openWorldDb(location: string, options: OpenOptions = {}): SqliteDatabase {
  if (isPostgresUrl(location)) return openPostgres(location, { readonly: options.readonly }) as unknown as SqliteDatabase;
  return openSqlite(location, options);
}

/** The PostgreSQL world behind a store's connection, or undefined for SQLite. */
export function postgresOf(db: SqliteDatabase): import('./postgres/index.ts').PgDatabase | undefined {
  return (db as unknown as { dialect?: string }).dialect === 'postgres' ? (db as unknown as import('./postgres/index.ts').PgDatabase) : undefined;
}
