// A ZAZ1 world (the DCC's public test identities) for interoperating with the DCC's own signing
// tool, @smartdcc/duis-sign-wrap (a Java 17 jar, kept running by ./duis-tool.ts: one JVM start-up
// per test file, tens of milliseconds a call after it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { startHarness, type Harness } from './gateway.ts';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { signDuis as toolSign, validateDuis as toolValidate } from './duis-tool.ts';
import { World } from '../../src/world/world.ts';
import { readIssuingCa, seedZaz1World } from '../../src/world/seed-zaz1.ts';
import { DUIS_KEYSTORE_JSON } from './duis-keystore.ts';
import { sharedDuis } from './duis-xsd.ts';
import { isPostgresUrl } from '../../db/index.ts';
import { dropPostgresDatabase, freshPostgresDatabase } from './postgres.ts';
import { defaultStore, type StoreKind } from './stores.ts';

/** Whether a Java runtime is on the PATH (the DCC's tool needs Java 11+, 17 here). */
export function javaAvailable(): boolean {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** Signs with the DCC's tool, keeping the RequestID counter (the tool picks the key by the originator EUI). */
export async function signWithTool(xml: string): Promise<string> {
  return toolSign({ xml, preserveCounter: true });
}

/** Validates with the DCC's tool (its embedded DUIS 5.1 schema and its known signers); resolves with '' or rejects with its complaint. */
export async function validateWithTool(xml: string): Promise<void> {
  await toolValidate({ xml });
}

/**
 * A fresh ZAZ1 world: keystore identities, Z1 from a DUIS template, the RTDS devices …A0-…A3 and
 * the second ESME …A6; a SQLite file, or a PostgreSQL database's URL (DCC_SIM_TEST_STORE=postgres).
 */
export function zaz1WorldFile(referenceTime = new Date('2026-11-01T00:00:00Z'), store: StoreKind = defaultStore()): string {
  const file = store === 'postgres' ? freshPostgresDatabase() : join(mkdtempSync(join(tmpdir(), 'dcc-sim-zaz1-')), 'zaz1.db');
  const w = World.open(file, { create: true });
  try {
    seedZaz1World(w, {
      keystoreJson: readFileSync(DUIS_KEYSTORE_JSON, 'utf8'),
      issuingCa: readIssuingCa(readFileSync(sharedDuis('CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML'))),
      referenceTime,
    });
    w.store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    w.close();
  }
  return file;
}

/** A DUIS template from ../shared/duis with its RequestID counter set (templates are 1000-ish; counters must increase per originator). */
export function template(name: string, counter?: bigint): string {
  const xml = readFileSync(sharedDuis(name), 'utf8');
  if (counter === undefined) return xml;
  const re = /(<sr:RequestID>[^<:]+:[^<:]+:)\d+(<\/sr:RequestID>)/;
  if (!re.test(xml)) throw new Error(`${name}: no RequestID to renumber`);
  return xml.replace(re, `$1${counter}$2`);
}

const RTDS_TEMPLATES = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');

/** An RTDS DUIS request template from npm @smartdcc/duis-templates, with its RequestID counter set. */
export function rtdsTemplate(name: string, counter: bigint): string {
  const xml = readFileSync(join(RTDS_TEMPLATES, name), 'utf8');
  const re = /(<sr:RequestID>[^<:]+:[^<:]+:)\d+(<\/sr:RequestID>)/;
  if (!re.test(xml)) throw new Error(`${name}: no RequestID to renumber`);
  return xml.replace(re, `$1${counter}$2`);
}

/**
 * A server on a fresh ZAZ1 world from which the RTDS ESME (…A0, the device of the 12.2 and 8.4
 * templates) has not been delivered yet; `close` also removes the world.
 */
export async function startZaz1WithoutEsme(): Promise<Harness & { closeAll(): Promise<void> }> {
  const h = await startHarness({ file: zaz1WorldFile() });
  h.world.store.transaction(() => h.world.inventory.delete(RTDS_ESME));
  return {
    ...h,
    closeAll: async () => {
      await h.close();
      if (isPostgresUrl(h.file)) dropPostgresDatabase(h.file);
      else rmSync(dirname(h.file), { recursive: true, force: true });
    },
  };
}

export const RTDS_ESME = '00DB1234567890A0';
