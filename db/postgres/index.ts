// A world kept in PostgreSQL, shared by any number of dcc-sim processes: the stores' interface
// over libpq (pg-database.ts), SQLite's SQL rewritten (dialect.ts), the schema (migrate.ts), and
// a connection that LISTENs for what the other processes NOTIFY (pg-listener.ts).
export { PgDatabase, PgStatement, PgStoreError, copyField } from './pg-database.ts';
export { PgListener, type PgListenerOptions, type PgNotification } from './pg-listener.ts';
export { connectPostgres, openPostgres, ROWID_TABLES, postgresWorldExists } from './migrate.ts';
export { translate, translateScript } from './dialect.ts';

/** Whether a --db value names a PostgreSQL world (a libpq URL) rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}
export { ADVISORY_LOCKS, copyWorld, createDatabase, databaseOf, databaseUrl, dropDatabase, dropPostgresWorld } from './databases.ts';
