import type { SqliteDatabase } from './world-db.ts';
import { postgresOf } from './open-world.ts';
import { connectPostgres, copyField, PgDatabase } from './postgres/index.ts';
import { CELL_COLUMN, CELL_NAMES, type CellColumnName } from './device-security-store.ts';
import type { DeviceStatus, DeviceType } from './inventory-store.ts';

// Bulk loading of a seeded fleet. A million premises are some 3.3 million devices, their cells
// and 1.6 million supply points: one bound statement per row spends most of the seed binding
// parameters. Instead each premises is staged as one row of a temporary table (many rows per
// statement), and every batch is spread into supply_points, devices and device_security by a
// handful of INSERT ... SELECT statements that run entirely inside SQLite. A PostgreSQL world is
// written by COPY straight into the three tables (no staging): the server takes the rows in pages
// rather than one insert each, and parses one part of a batch while this process writes the next,
// so the seed uses both the client's core and the server's.

/** A device's make, written into each of its rows. */
export interface DeviceModel {
  manufacturer: string;
  model: string;
  firmware: string;
}

/**
 * One premises of a seeded fleet: its comms hub, and the meters and supply points of the fuels it
 * has (null where it has not that fuel). All its devices share one status and commissioning time.
 * Cells are ids from FleetLoader.cellSet.
 */
export interface FleetPremises {
  status: DeviceStatus;
  commissionedAt: string | null;
  uprn: number;
  postcode: string;
  address: string;
  chfEui: string;
  chfCells: number;
  mpan: string | null;
  electricityNetworkOperatorEui: string | null;
  electricitySupplierEui: string | null;
  esmeEui: string | null;
  esmeCells: number | null;
  mprn: string | null;
  gasTransporterEui: string | null;
  gasSupplierEui: string | null;
  gpfEui: string | null;
  gpfCells: number | null;
  gsmeEui: string | null;
  gsmeCells: number | null;
}

const PREMISES_COLUMNS = [
  'status',
  'commissioned_at',
  'uprn',
  'postcode',
  'address',
  'chf_eui',
  'chf_cells',
  'mpan',
  'mpan_network_operator',
  'mpan_supplier',
  'esme_eui',
  'esme_cells',
  'mprn',
  'mprn_network_operator',
  'mprn_supplier',
  'gpf_eui',
  'gpf_cells',
  'gsme_eui',
  'gsme_cells',
] as const;
const WIDTH = PREMISES_COLUMNS.length;
/** premises per staging statement: few statements, well under SQLite's parameter limit */
const ROWS_PER_STATEMENT = 100;

const CELL_COLUMNS = CELL_NAMES.map((n) => CELL_COLUMN[n]).join(', ');

/**
 * Stages premises and writes them into the world tables on flush(). The caller runs it inside its
 * own transactions (flush() within the transaction that added the premises) and calls close() once.
 * Rows are written as a per-row INSERT would write them: seq_numbers, top_up_seq_number and
 * alert_counter take their column defaults ('{}', '0', '0'), those of a device with no counters yet.
 */
export class FleetLoader {
  private readonly stageMany: ReturnType<SqliteDatabase["prepare"]> | undefined;
  private readonly spread: { run: () => void }[] = [];
  private readonly clearStage: { run(): unknown } | undefined;
  private readonly insertCellSet: ReturnType<SqliteDatabase["prepare"]> | undefined;
  private readonly pending: unknown[] = [];
  private cellSets = 0;
  private readonly pg?: PostgresFleet;

  constructor(
    private readonly db: SqliteDatabase,
    models: Readonly<Record<DeviceType, DeviceModel>>,
  ) {
    const pg = postgresOf(db);
    if (pg) {
      this.pg = new PostgresFleet(pg, models);
      return;
    }
    // the staging tables, replacing any a failed seed left on this connection
    db.exec(`
      DROP TABLE IF EXISTS temp.fleet_cell_sets;
      DROP TABLE IF EXISTS temp.fleet_premises;
      CREATE TEMP TABLE fleet_cell_sets (id INTEGER PRIMARY KEY, ${CELL_COLUMNS});
      CREATE TEMP TABLE fleet_premises (n INTEGER PRIMARY KEY, ${PREMISES_COLUMNS.join(', ')});`);
    this.stageMany = db.prepare(stageSql(ROWS_PER_STATEMENT));
    this.insertCellSet = db.prepare(`INSERT INTO temp.fleet_cell_sets (id, ${CELL_COLUMNS}) VALUES (?, ${CELL_NAMES.map(() => '?').join(', ')})`);
    this.clearStage = db.prepare('DELETE FROM temp.fleet_premises');
    const p = (sql: string, bound: Record<string, unknown> = {}) => {
      const s = db.prepare(sql);
      return { run: () => void s.run(bound) };
    };
    // gpf: a comms hub's own GPF, the other half of the hub (NULL for the other devices).
    const device = (type: DeviceType, eui: string, mpxn: string, commsHub: string, gpf = 'NULL') =>
      p(
        `INSERT INTO main.devices (eui, type, status, mpxn, comms_hub_eui, manufacturer, model, firmware, commissioned_at, associated_gpf_eui)
         SELECT ${eui}, '${type}', status, ${mpxn}, ${commsHub}, @manufacturer, @model, @firmware, commissioned_at, ${gpf}
         FROM temp.fleet_premises WHERE ${eui} IS NOT NULL ORDER BY n`,
        { ...models[type] },
      );
    const cells = (eui: string, cellSet: string) =>
      p(
        `INSERT INTO main.device_security (device_eui, ${CELL_COLUMNS})
         SELECT p.${eui}, ${CELL_NAMES.map((n) => `c.${CELL_COLUMN[n]}`).join(', ')}
         FROM temp.fleet_premises p JOIN temp.fleet_cell_sets c ON c.id = p.${cellSet} ORDER BY p.n`,
      );
    const supplyPoint = (fuel: 'E' | 'G', mpxn: string, networkOperator: string, supplier: string) =>
      p(
        `INSERT INTO main.supply_points (mpxn, fuel, network_operator_eui, supplier_eui, uprn, postcode, address)
         SELECT ${mpxn}, '${fuel}', ${networkOperator}, ${supplier}, uprn, postcode, address
         FROM temp.fleet_premises WHERE ${mpxn} IS NOT NULL ORDER BY n`,
      );
    // Type by type, in premises order: the seed's EUIs then rise within each type, so the
    // B-trees are mostly appended to.
    this.spread.push(
      supplyPoint('E', 'mpan', 'mpan_network_operator', 'mpan_supplier'),
      supplyPoint('G', 'mprn', 'mprn_network_operator', 'mprn_supplier'),
      device('CHF', 'chf_eui', 'NULL', 'NULL', 'gpf_eui'),
      device('ESME', 'esme_eui', 'mpan', 'chf_eui'),
      device('GPF', 'gpf_eui', 'mprn', 'chf_eui'),
      device('GSME', 'gsme_eui', 'mprn', 'chf_eui'),
      cells('chf_eui', 'chf_cells'),
      cells('esme_eui', 'esme_cells'),
      cells('gpf_eui', 'gpf_cells'),
      cells('gsme_eui', 'gsme_cells'),
    );
  }

  /** Registers a combination of cells that many devices hold; returns its id for FleetPremises. */
  cellSet(cells: Partial<Record<CellColumnName, number>>): number {
    const id = ++this.cellSets;
    if (this.pg) {
      this.pg.cellSet(id, CELL_NAMES.map((n) => cells[n] ?? null));
      return id;
    }
    this.insertCellSet!.run([id, ...CELL_NAMES.map((n) => cells[n] ?? null)]);
    return id;
  }

  add(p: FleetPremises): void {
    if (this.pg) {
      this.pg.premises.push(p);
      return;
    }
    const row = this.pending;
    row.push(
      p.status,
      p.commissionedAt,
      p.uprn,
      p.postcode,
      p.address,
      p.chfEui,
      p.chfCells,
      p.mpan,
      p.electricityNetworkOperatorEui,
      p.electricitySupplierEui,
      p.esmeEui,
      p.esmeCells,
      p.mprn,
      p.gasTransporterEui,
      p.gasSupplierEui,
      p.gpfEui,
      p.gpfCells,
      p.gsmeEui,
      p.gsmeCells,
    );
    if (row.length === ROWS_PER_STATEMENT * WIDTH) {
      this.stageMany!.run(row);
      row.length = 0;
    }
  }

  /** Writes the staged premises into the world tables. */
  flush(): void {
    if (this.pg) return this.pg.flush();
    if (this.pending.length > 0) {
      this.db.prepare(stageSql(this.pending.length / WIDTH)).run(this.pending);
      this.pending.length = 0;
    }
    for (const s of this.spread) s.run();
    this.clearStage!.run();
  }

  /** Drops the staging tables (outside a transaction or inside, after the last flush). */
  close(): void {
    if (this.pg) return;
    this.db.exec('DROP TABLE temp.fleet_premises; DROP TABLE temp.fleet_cell_sets;');
  }
}

/**
 * A PostgreSQL world's fleet: each batch COPYed into supply_points, devices and device_security,
 * rows in the order the SQLite spread writes them (type by type, in premises order).
 */
class PostgresFleet {
  readonly premises: FleetPremises[] = [];
  /** cell-set id → its certificate ids as the tail of a device_security line (tab, ids in CELL_NAMES order) */
  private readonly cellLines = new Map<number, string>();
  /** device type → its manufacturer, model and firmware fields */
  private readonly makes: Record<string, string> = {};

  constructor(
    private readonly pg: PgDatabase,
    models: Readonly<Record<DeviceType, DeviceModel>>,
  ) {
    for (const [type, m] of Object.entries(models)) this.makes[type] = [m.manufacturer, m.model, m.firmware].map(copyField).join('\t');
  }

  cellSet(id: number, cells: (number | null)[]): void {
    this.cellLines.set(id, cells.map((c) => `\t${copyField(c)}`).join(''));
  }

  flush(): void {
    const batch = this.premises.splice(0);
    if (batch.length === 0) return;
    const f = copyField;
    this.pg.copyLines('supply_points', ['mpxn', 'fuel', 'network_operator_eui', 'supplier_eui', 'uprn', 'postcode', 'address'], (function* () {
      for (const p of batch) if (p.mpan !== null) yield `${f(p.mpan)}\tE\t${f(p.electricityNetworkOperatorEui)}\t${f(p.electricitySupplierEui)}\t${f(p.uprn)}\t${f(p.postcode)}\t${f(p.address)}\n`;
      for (const p of batch) if (p.mprn !== null) yield `${f(p.mprn)}\tG\t${f(p.gasTransporterEui)}\t${f(p.gasSupplierEui)}\t${f(p.uprn)}\t${f(p.postcode)}\t${f(p.address)}\n`;
    })());
    const makes = this.makes;
    const device = (type: DeviceType, eui: string, mpxn: string | null, commsHub: string | null, gpf: string | null, p: FleetPremises) =>
      `${f(eui)}\t${type}\t${f(p.status)}\t${f(mpxn)}\t${f(commsHub)}\t${makes[type]}\t${f(p.commissionedAt)}\t${f(gpf)}\n`;
    this.pg.copyLines('devices', ['eui', 'type', 'status', 'mpxn', 'comms_hub_eui', 'manufacturer', 'model', 'firmware', 'commissioned_at', 'associated_gpf_eui'], (function* () {
      for (const p of batch) yield device('CHF', p.chfEui, null, null, p.gpfEui, p);
      for (const p of batch) if (p.esmeEui !== null) yield device('ESME', p.esmeEui, p.mpan, p.chfEui, null, p);
      for (const p of batch) if (p.gpfEui !== null) yield device('GPF', p.gpfEui, p.mprn, p.chfEui, null, p);
      for (const p of batch) if (p.gsmeEui !== null) yield device('GSME', p.gsmeEui, p.mprn, p.chfEui, null, p);
    })());
    const cellLines = this.cellLines;
    const cells = (eui: string, set: number | null) => `${f(eui)}${cellLines.get(set!)!}\n`;
    this.pg.copyLines('device_security', ['device_eui', ...CELL_NAMES.map((n) => CELL_COLUMN[n])], (function* () {
      for (const p of batch) yield cells(p.chfEui, p.chfCells);
      for (const p of batch) if (p.esmeEui !== null) yield cells(p.esmeEui, p.esmeCells);
      for (const p of batch) if (p.gpfEui !== null) yield cells(p.gpfEui, p.gpfCells);
      for (const p of batch) if (p.gsmeEui !== null) yield cells(p.gsmeEui, p.gsmeCells);
    })());
  }
}

function stageSql(rows: number): string {
  const one = `(${PREMISES_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO temp.fleet_premises (${PREMISES_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(one).join(', ')}`;
}

/**
 * Settings for filling a world file that is of no use until complete (a seed into a scratch file):
 * no journal to disk, no syncs, a large page cache, foreign keys and CHECK constraints not
 * enforced (the seed writes consistent rows by construction), and the secondary indexes of the
 * fleet tables dropped, to be rebuilt by one sort each instead of millions of B-tree inserts.
 * end() rebuilds the indexes and restores the settings found. Outside any transaction.
 */
export function startBulkLoad(db: SqliteDatabase): { end: () => void } {
  const pg = postgresOf(db);
  if (pg) return startPostgresBulkLoad(pg);
  const setting = (name: string) => db.pragma(name, { simple: true }) as string | number;
  const before = {
    journalMode: setting('main.journal_mode'),
    synchronous: setting('main.synchronous'),
    cacheSize: setting('main.cache_size'),
    foreignKeys: setting('foreign_keys'),
    ignoreChecks: setting('ignore_check_constraints'),
  };
  // main only: the temp database (FleetLoader's staging) keeps its own journal
  db.pragma('main.journal_mode = MEMORY');
  db.pragma('main.synchronous = OFF');
  db.pragma('main.cache_size = -262144');
  db.pragma('foreign_keys = OFF');
  db.pragma('ignore_check_constraints = ON');
  const fleetIndexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN ('devices', 'device_security', 'supply_points')`,
    )
    .all() as { name: string; sql: string }[];
  for (const ix of fleetIndexes) db.exec(`DROP INDEX ${ix.name}`);
  return {
    end: () => {
      for (const ix of fleetIndexes) db.exec(ix.sql);
      db.pragma(`ignore_check_constraints = ${before.ignoreChecks}`);
      db.pragma(`foreign_keys = ${before.foreignKeys}`);
      db.pragma(`main.cache_size = ${before.cacheSize}`);
      db.pragma(`main.synchronous = ${before.synchronous}`);
      db.pragma(`main.journal_mode = ${before.journalMode}`);
      // With a temp database open (FleetLoader's staging), the first wal_checkpoint after the switch
      // back to WAL fails with SQLITE_LOCKED unless main has been read in WAL mode first.
      db.prepare('SELECT count(*) FROM main.sqlite_master').get();
    },
  };
}

const FLEET_TABLES = ['devices', 'device_security', 'supply_points'] as const;

/**
 * PostgreSQL: the fleet tables' secondary indexes and foreign keys dropped while the seed fills
 * them, autovacuum off on them, and the seed's commits not waited for. A foreign key is a trigger
 * run for every row inserted (device_security's fourteen were most of a seed's time); added again
 * at the end, each is checked once over the whole table by a join, so the world served is
 * constrained and validated as one written row by row would be. end() commits durably again
 * before those last statements, and a durable commit flushes the log of every commit before it.
 */
function startPostgresBulkLoad(pg: PgDatabase): { end: () => void } {
  const fleetTables = `(${FLEET_TABLES.map((t) => `'${t}'`).join(', ')})`;
  const fleetIndexes = pg.query(
    `SELECT i.tablename AS "table", i.indexname AS name, i.indexdef AS sql FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN ${fleetTables}
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  ) as { table: string; name: string; sql: string }[];
  const foreignKeys = pg.query(
    `SELECT t.relname AS "table", c.confrelid::regclass::text AS "references", c.conname AS name, pg_get_constraintdef(c.oid) AS sql
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname IN ${fleetTables}
      ORDER BY c.conrelid, c.conname`,
  ) as { table: string; references: string; name: string; sql: string }[];
  for (const fk of foreignKeys) pg.command(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
  for (const ix of fleetIndexes) pg.command(`DROP INDEX ${ix.name}`);
  // Autovacuum would start on the tables while they fill (inserts trigger it), competing for the
  // cores with the seed, only for the VACUUM at the end to do it again.
  for (const t of FLEET_TABLES) pg.command(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
  pg.command(`SET synchronous_commit = off; SET maintenance_work_mem = '${MAINTENANCE_MEMORY}'`);
  const indexes = (table: string) => fleetIndexes.filter((i) => i.table === table).map((i) => i.sql);
  // Each foreign key of the table, those onto another fleet table last (they lock that table too).
  const constraints = (table: string) =>
    foreignKeys
      .filter((fk) => fk.table === table)
      .sort((a, b) => Number(FLEET_TABLES.includes(a.references as never)) - Number(FLEET_TABLES.includes(b.references as never)))
      .map((fk) => `ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${fk.sql}`);
  return {
    end: () => {
      pg.command('RESET synchronous_commit');
      // Two connections, so that the server works on two cores: devices on this one, the other two
      // tables on the other. Indexes first; VACUUM marks the pages all-visible (index-only scans,
      // such as the health check's count of devices, read no table pages; the first reads write no
      // hint bits) and ANALYZE gives the statistics the foreign keys' checks are planned with.
      const other = connectPostgres(pg.url);
      try {
        other.command(`SET maintenance_work_mem = '${MAINTENANCE_MEMORY}'`);
        PgDatabase.concurrently([
          [pg, [...indexes('devices'), 'VACUUM (ANALYZE) devices']],
          [other, [...indexes('device_security'), 'VACUUM (ANALYZE) device_security', ...indexes('supply_points'), 'VACUUM (ANALYZE) supply_points']],
        ]);
        PgDatabase.concurrently([
          [pg, constraints('device_security')],
          [other, [...constraints('supply_points'), ...constraints('devices')]],
        ]);
      } finally {
        other.close();
      }
      for (const t of FLEET_TABLES) pg.command(`ALTER TABLE ${t} RESET (autovacuum_enabled)`);
      const rest = (pg.query(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ${fleetTables}`) as { name: string }[]).map((t) => t.name);
      if (rest.length) pg.command(`VACUUM (ANALYZE) ${rest.join(', ')}`);
      pg.command('RESET maintenance_work_mem');
    },
  };
}

/** per index build: a million premises' device EUIs sort in memory */
const MAINTENANCE_MEMORY = '512MB';
