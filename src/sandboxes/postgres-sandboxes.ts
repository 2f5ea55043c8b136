import { ADVISORY_LOCKS, connectPostgres, copyWorld, createDatabase, databaseOf, databaseUrl, dropDatabase, type PgDatabase } from '../../db/index.ts';
import { WorldError } from '../world/index.ts';

// A PostgreSQL world's sandboxes: each a database of its own beside the world's, listed in the
// world's `sandboxes` table, so that every server on the world serves the same ones, and any of
// them may make, reset or drop one. The copy taken at creation (the snapshot) is a database
// nobody serves, so a reset is CREATE DATABASE … TEMPLATE of it, into a new database: a server
// still serving the old one sees the registry name another and serves that instead.

export interface SandboxRow {
  id: string;
  name: string;
  createdAt: string;
  /** the database its world is in now */
  database: string;
  generation: number;
}


export class PostgresSandboxes {
  private readonly worldDatabase: string;

  constructor(private readonly worldUrl: string) {
    this.worldDatabase = databaseOf(worldUrl);
  }

  /** The URL of a sandbox's database (reached as the world is). */
  url(database: string): string {
    return databaseUrl(this.worldUrl, database);
  }

  private names(id: string, generation: number): { live: string; snapshot: string } {
    // PostgreSQL names are at most 63 bytes: a long world name is cut, the sandbox id keeps them apart.
    const base = `${this.worldDatabase.slice(0, 40)}_sb_${id}`;
    return { live: `${base}_${generation}`, snapshot: `${base}_snapshot` };
  }

  /** The registry, oldest first (on the caller's connection to the world). */
  rows(world: PgDatabase, id?: string): SandboxRow[] {
    const rows = world.query(
      `SELECT id, name, created_at, database, generation FROM sandboxes ${id === undefined ? '' : 'WHERE id = $1'} ORDER BY created_at, id`,
      id === undefined ? [] : [id],
    ) as { id: string; name: string; created_at: string; database: string; generation: number }[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, database: r.database, generation: r.generation }));
  }

  /** Copies the world into a new sandbox's snapshot and live databases and lists it. */
  create(id: string, name: string, createdAt: string, max: number): SandboxRow {
    return this.locked((admin) => {
      const count = (admin.query('SELECT count(*) AS n FROM sandboxes')[0] as { n: number }).n;
      if (count >= max) throw new WorldError('too-many-sandboxes', `${max} sandboxes exist already: drop one first`);
      const { live, snapshot } = this.names(id, 1);
      try {
        createDatabase(admin, snapshot);
        copyWorld(this.worldUrl, this.url(snapshot), ['sandboxes']);
        createDatabase(admin, live, snapshot);
        admin.query('INSERT INTO sandboxes (id, name, created_at, database, snapshot) VALUES ($1, $2, $3, $4, $5)', [id, name, createdAt, live, snapshot]);
      } catch (err) {
        dropDatabase(admin, live);
        dropDatabase(admin, snapshot);
        throw err;
      }
      return { id, name, createdAt, database: live, generation: 1 };
    });
  }

  /** A new live database copied from the snapshot; the old one is dropped (its other servers' connections closed). */
  reset(id: string): SandboxRow {
    return this.locked((admin) => {
      const row = this.rows(admin, id)[0];
      if (!row) throw new WorldError('no-sandbox', `no sandbox '${id}'`);
      const { live, snapshot } = this.names(id, row.generation + 1);
      createDatabase(admin, live, snapshot);
      admin.query('UPDATE sandboxes SET database = $1, generation = $2 WHERE id = $3', [live, row.generation + 1, id]);
      dropDatabase(admin, row.database);
      return { ...row, database: live, generation: row.generation + 1 };
    });
  }

  drop(id: string): void {
    this.locked((admin) => {
      const gone = admin.query('DELETE FROM sandboxes WHERE id = $1 RETURNING database, snapshot', [id]) as { database: string; snapshot: string }[];
      if (!gone[0]) throw new WorldError('no-sandbox', `no sandbox '${id}'`);
      dropDatabase(admin, gone[0].database);
      dropDatabase(admin, gone[0].snapshot);
    });
  }

  /** On a connection of its own (CREATE DATABASE runs outside any transaction), under the sandboxes' lock. */
  private locked<T>(fn: (admin: PgDatabase) => T): T {
    const admin = connectPostgres(this.worldUrl);
    try {
      // one operation at a time across the servers on the world
      admin.command(`SELECT pg_advisory_lock(${ADVISORY_LOCKS.sandboxes})`);
      return fn(admin);
    } finally {
      admin.close(); // and with it the lock
    }
  }
}
