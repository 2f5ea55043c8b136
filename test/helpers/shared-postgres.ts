import 'reflect-metadata';
import type { Eui } from '../../pki/index.ts';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { signDuis } from '../../service-requests/index.ts';
import { connectPostgres, type PgDatabase } from '../../db/postgres/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { World } from '../../src/world/world.ts';
import { freshPostgresDatabase } from './postgres.ts';

// A PostgreSQL world several `dcc-sim serve` processes share (test/gateway/shared-postgres.test.ts,
// test/resilience/crash-shared-postgres.test.ts): seeded with DCC-controlled meters to hand over
// and commissioned meters to read, each request signed by its registered supplier.

export const SHARED_REFERENCE_TIME = new Date('2026-11-01T00:00:00Z');

export interface SharedJob {
  kind: 'handover' | 'read';
  originator: Eui;
  target: Eui;
  /** unsigned, with any RequestID (sign() sets the counter) */
  unsigned: string;
}

export interface SharedWorld {
  url: string;
  handovers: SharedJob[];
  reads: SharedJob[];
  /** DUIS signed as the job's originator, its RequestID's counter `counter` */
  sign(job: SharedJob, counter: bigint): { xml: string; requestId: string };
  /** a connection for the test's own reads of the world */
  db: PgDatabase;
  /** the EUI (in the request log's form) the ACB sends commands as */
  acb: Eui;
  close(): void;
}

/** Seeds a world of `premises` premises (half of them waiting for a supplier handover) in a new database. */
export function sharedPostgresWorld(premises: number, seed: string, receiverUrl: string): SharedWorld {
  const url = freshPostgresDatabase();
  const world = World.open(url, { create: true });
  seedDemoWorld(world, { premises, seed, referenceTime: SHARED_REFERENCE_TIME, awaitingHandoverShare: 0.5 });
  for (const p of world.store.listParties()) world.store.setResponseUrl(p.eui, receiverUrl);
  const handovers: SharedJob[] = [];
  const reads: SharedJob[] = [];
  const holder = (id: number | undefined) => (id === undefined ? null : world.certificate(id).subjectEui);
  for (const d of world.store.listDevices({ limit: 100_000 }).devices) {
    if (d.type !== 'ESME' || !d.mpxn) continue;
    const supplier = world.store.getSupplyPoint(d.mpxn)?.supplierEui as Eui | null;
    const cells = world.store.getDeviceSecurity(d.eui)!.cells;
    if (!supplier) continue;
    if (d.status === 'InstalledNotCommissioned' && holder(cells.supplierDS) === DCC.accessControlBroker) {
      handovers.push({ kind: 'handover', originator: supplier, target: d.eui, unsigned: exampleRequest(world, 'handover', { device: d.eui, role: 'Supplier' }) });
    } else if (d.status === 'Commissioned' && holder(cells.supplierDS) === supplier) {
      reads.push({ kind: 'read', originator: supplier, target: d.eui, unsigned: exampleRequest(world, 'read-import-registers', { device: d.eui }) });
    }
  }
  const signers = new Map<Eui, ReturnType<typeof xmlSignerOf>>();
  for (const j of [...handovers, ...reads]) if (!signers.has(j.originator)) signers.set(j.originator, xmlSignerOf(world, j.originator));
  const acb = DCC.accessControlBroker as Eui;
  world.close();
  const db = connectPostgres(url);
  return {
    url,
    handovers,
    reads,
    acb,
    db,
    sign(job, counter) {
      const m = /<sr:RequestID>([^<]*:)\d+<\/sr:RequestID>/.exec(job.unsigned);
      if (!m) throw new Error('no RequestID in the request');
      const requestId = `${m[1]}${counter}`;
      const unsigned = job.unsigned.replace(m[0], `<sr:RequestID>${requestId}</sr:RequestID>`);
      return { xml: signDuis(unsigned, signers.get(job.originator)!), requestId };
    },
    close() {
      db.close();
    },
  };
}

export interface Posted {
  code: string;
  reason: string | null;
  xml: string;
}

/** POSTs DUIS to a server; null when the server went away before answering. */
export async function postDuis(baseUrl: string, endpoint: 'serviceS' | 'serviceT' | 'serviceD', xml: string): Promise<Posted | null> {
  try {
    const res = await fetch(`${baseUrl}/api/v1/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: xml, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    return { code: res.headers.get('x-dcc-sim-response-code') ?? '', reason: res.headers.get('x-dcc-sim-reason'), xml: text };
  } catch (err) {
    if (err instanceof Error && /^HTTP /.test(err.message)) throw err;
    return null;
  }
}

/** The counters of the commands each DCC party sent to devices, from the request log (originator → counters). */
export function dccCommandCounters(db: PgDatabase, acb: Eui): bigint[] {
  const rows = db.query('SELECT gbcs_command FROM requests WHERE gbcs_command IS NOT NULL') as { gbcs_command: Buffer }[];
  return rows.map((r) => decodeGbcsMessage(r.gbcs_command).apdu).filter((a) => a.originator === acb).map((a) => a.counter);
}

/** Polls `check` until it is true (every 100 ms, at most `ms`); returns its last answer. */
export async function eventually(check: () => boolean, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
