import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { readIssuingCa, seedDemoWorld, seedZaz1World, World, WorldError } from '../world/index.ts';
import { dbOption, jsonOption, out } from './options.ts';
import { dropPostgresWorld, isPostgresUrl, postgresWorldExists } from '../../db/index.ts';
import { progressBar } from './output.ts';

// `seed`: a new world file, built in a scratch file and renamed into place when complete.

export function registerSeed(program: Command): void {
  program
    .command('seed')
    .description('build a new world file: a demo fleet on dcc-sim\'s own SMKI, or the ZAZ1 test identities')
    .addOption(dbOption())
    .addOption(new Option('--profile <profile>', 'demo (own PKI) or zaz1 (DCC public test identities)').choices(['demo', 'zaz1']).default('demo'))
    .option('--premises <n>', 'number of premises in a demo world', '1000')
    .option('--seed <seed>', 'seed: the same seed builds the same world', 'dcc-sim')
    .option('--at <time>', 'reference time the fleet is laid out against (ISO 8601); default now')
    .option('--keystore <file>', 'DCC Boxed keystore.json (zaz1 profile)')
    .option('--issuing-ca <file>', 'the ZAZ1 Z1 issuing CA (zaz1 profile): PEM, DER, or any DUIS template carrying it')
    .option('--force', 'replace an existing world file')
    .option('--keep-existing', 'leave a world that is already there as it is and succeed (a compose or CI seed step run again)')
    .addOption(jsonOption())
    .action((o: { db: string; profile: string; premises: string; seed: string; at?: string; keystore?: string; issuingCa?: string; force?: boolean; keepExisting?: boolean; json?: boolean }) => {
      const premises = Number(o.premises);
      if (!Number.isInteger(premises) || premises < 0 || premises > 10_000_000) {
        throw new WorldError('bad-argument', `--premises must be a whole number from 0 to 10000000, got '${o.premises}'`);
      }
      const referenceTime = o.at ? new Date(o.at) : new Date();
      if (Number.isNaN(referenceTime.getTime())) throw new WorldError('bad-argument', `--at '${o.at}' is not a date-time`);
      if (o.keepExisting && !o.force && (isPostgresUrl(o.db) ? postgresWorldExists(o.db) : existsSync(o.db))) {
        out(o.json, { db: o.db, kept: true }, () => `${redacted(o.db)} already holds a world: kept as it is`);
        return;
      }
      if (!isPostgresUrl(o.db) && existsSync(o.db) && !o.force) {
        throw new WorldError('world-exists', `${o.db} already exists; use --force to replace it`);
      }
      let zaz1: { keystoreJson: string; issuingCa: Buffer } | undefined;
      if (o.profile === 'zaz1') {
        if (!o.keystore) throw new WorldError('bad-argument', 'the zaz1 profile needs --keystore FILE (keystore.json of @smartdcc/dccboxed-keystore)');
        if (!o.issuingCa) throw new WorldError('bad-argument', 'the zaz1 profile needs --issuing-ca FILE (the Z1 CA: PEM, DER, or a DUIS template carrying it)');
        zaz1 = { keystoreJson: readFileSync(o.keystore, 'utf8'), issuingCa: readIssuingCa(readFileSync(o.issuingCa)) };
      }
      if (isPostgresUrl(o.db)) {
        const summary = seedPostgres(o.db, o.profile, { premises, seed: o.seed, referenceTime, zaz1, force: o.force });
        out(o.json, { db: o.db, profile: o.profile, ...summary }, () =>
          `seeded ${redacted(o.db)} (${o.profile}): ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        );
        return;
      }
      // Build into a scratch file and rename at the end: a failed seed leaves nothing half-made.
      const partial = `${o.db}.partial-${process.pid}`;
      rmSync(partial, { force: true });
      const world = World.open(partial, { create: true });
      let summary: object;
      try {
        summary =
          o.profile === 'zaz1'
            ? seedZaz1World(world, { ...zaz1!, referenceTime })
            : seedDemoWorld(world, { premises, seed: o.seed, referenceTime, onProgress: progressBar('seeding') });
        world.store.db.pragma('wal_checkpoint(TRUNCATE)');
        world.close();
      } catch (err) {
        world.close();
        for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
        throw err;
      }
      for (const f of [o.db, `${o.db}-wal`, `${o.db}-shm`]) rmSync(f, { force: true });
      renameSync(partial, o.db);
      for (const f of [`${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
      out(o.json, { db: o.db, profile: o.profile, ...summary }, () =>
        `seeded ${o.db} (${o.profile}): ${Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
    });
}

/** A --db value fit to print: a PostgreSQL URL's password hidden. */
function redacted(db: string): string {
  return db.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Seeds a PostgreSQL world. There is no scratch file to rename: the database must hold no world
 * (or --force empties it), and a seed that fails empties it again, so nothing half-made remains.
 */
function seedPostgres(
  url: string,
  profile: string,
  o: { premises: number; seed: string; referenceTime: Date; zaz1?: { keystoreJson: string; issuingCa: Buffer }; force?: boolean },
): object {
  if (postgresWorldExists(url)) {
    if (!o.force) throw new WorldError('world-exists', 'that PostgreSQL database already holds a world; use --force to replace it');
    dropPostgresWorld(url);
  }
  const world = World.open(url, { create: true });
  try {
    const summary =
      profile === 'zaz1'
        ? seedZaz1World(world, { ...o.zaz1!, referenceTime: o.referenceTime })
        : seedDemoWorld(world, { premises: o.premises, seed: o.seed, referenceTime: o.referenceTime, onProgress: progressBar('seeding') });
    world.close();
    return summary;
  } catch (err) {
    world.close();
    dropPostgresWorld(url);
    throw err;
  }
}
