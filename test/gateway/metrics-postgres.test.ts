import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Eui } from '../../pki/index.ts';
import { connectPostgres, type PgDatabase } from '../../db/postgres/index.ts';
import { World } from '../../src/world/world.ts';
import type { MetricsSnapshot } from '../../src/dcc/metrics.ts';
import { REFERENCE_TIME } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { dropPostgresDatabase, postgresSeededWorld } from '../helpers/postgres.ts';
import { eventually, postDuis } from '../helpers/shared-postgres.ts';
import { spawnServer, type ChildServer } from '../resilience/kit.ts';

// GET /api/metrics on a PostgreSQL world counts the transactions PostgreSQL made the server run
// again: another connection (as another server on the world would) holds a row the server's
// request writes, in a SERIALIZABLE transaction, until the request waits for it; its commit makes
// the request's transaction a serialization failure, which the server runs again.

let url: string;
let world: World;
let server: ChildServer;
let holder: PgDatabase;
let watcher: PgDatabase;
let device: { eui: Eui; supplier: Eui };
let counter = 90_000n;

beforeAll(async () => {
  url = postgresSeededWorld({ premises: 30, seed: 'metrics-postgres', at: REFERENCE_TIME });
  world = World.open(url);
  device = pickDevice(world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null) as { eui: Eui; supplier: Eui };
  holder = connectPostgres(url);
  watcher = connectPostgres(url);
  server = await spawnServer(url);
}, 120_000);

afterAll(async () => {
  await server?.kill('SIGTERM');
  holder?.close();
  watcher?.close();
  world?.close();
  if (url) dropPostgresDatabase(url);
});

async function metrics(): Promise<MetricsSnapshot> {
  return (await (await fetch(`${server.url}/api/metrics`)).json()) as MetricsSnapshot;
}

const read = () => postDuis(server.url, 'serviceS', signAs(world, device.supplier, retrieveXml(device.supplier, device.eui, ++counter)));

describe('GET /api/metrics on a PostgreSQL world', () => {
  it('counts the transactions a serialization failure made the server run again', async () => {
    expect((await read())!.code, 'the originator has a counter row').toBe('I99');
    const before = await metrics();
    expect(before.store).toEqual({ kind: 'postgres', transactionRetries: 0, retriesBySqlState: { '40001': 0, '40P01': 0 } });

    holder.command('BEGIN ISOLATION LEVEL SERIALIZABLE');
    holder.query('UPDATE originator_counters SET last_counter = last_counter WHERE originator_eui = $1', [device.supplier]);
    const answer = read();
    const waiting = () =>
      (watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")[0] as { n: number }).n > 0;
    expect(await eventually(waiting, 15_000), "the server's request waits for the held row").toBe(true);
    holder.command('COMMIT');
    expect((await answer)!.code, 'run again, the request is acted on').toBe('I99');

    const after = await metrics();
    expect(after.store).toEqual({ kind: 'postgres', transactionRetries: 1, retriesBySqlState: { '40001': 1, '40P01': 0 } });
    const text = await (await fetch(`${server.url}/api/metrics?format=prometheus`)).text();
    expect(text).toContain('dcc_sim_store_transaction_retries_total{sqlstate="40001"} 1\n');
    expect(text).toContain('dcc_sim_store_transaction_retries_total{sqlstate="40P01"} 0\n');
  }, 60_000);
});
