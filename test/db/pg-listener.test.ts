import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, PgListener, type PgDatabase, type PgNotification } from '../../db/postgres/index.ts';
import { dropPostgresDatabase, freshPostgresDatabase } from '../helpers/postgres.ts';
import { eventually } from '../helpers/shared-postgres.ts';

// What the servers on one PostgreSQL world tell each other rests on: a NOTIFY of its own after a
// commit (PgDatabase.notify), heard on a listening connection read as its socket becomes readable
// (PgListener), which is made again when PostgreSQL drops it.

let url: string;
let db: PgDatabase;

beforeAll(() => {
  url = freshPostgresDatabase();
  db = connectPostgres(url);
});

afterAll(() => {
  db?.close();
  if (url) dropPostgresDatabase(url);
});

describe('PgDatabase.notify and PgListener', () => {
  it('hears what is sent on its channels, in order, with the sending connection', async () => {
    const heard: PgNotification[] = [];
    const listener = new PgListener(url, ['dcc_sim_test'], (n) => heard.push(n));
    try {
      db.notify('dcc_sim_test', ['one', "it's two", '{"e":"three"}']);
      db.notify('another_channel', ['not for us']);
      // heard while this test awaits: read from the event loop, not by a blocking call
      expect(await eventually(() => heard.length === 3, 5000)).toBe(true);
      expect(heard.map((n) => n.payload)).toEqual(['one', "it's two", '{"e":"three"}']);
      expect(new Set(heard.map((n) => n.channel))).toEqual(new Set(['dcc_sim_test']));
      expect(heard[0]!.senderPid).toBe(db.backendPid());
    } finally {
      listener.close();
    }
  });

  it('sends outside any transaction only, and a refused NOTIFY leaves the connection as it was', () => {
    expect(() => db.transaction(() => db.notify('dcc_sim_test', ['x']))()).toThrow(/cannot run inside a transaction/);
    expect(() => db.notify('dcc_sim_test', ['x'.repeat(8000)])).toThrow(/payload string too long/);
    expect(db.inTransaction).toBe(false);
    expect(db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    db.transaction(() => db.query('SELECT 1'))();
  });

  it('listens again once PostgreSQL has dropped its connection, and hears what comes after', async () => {
    const heard: string[] = [];
    const errors: string[] = [];
    let reconnected = 0;
    const listener = new PgListener(url, ['dcc_sim_test'], (n) => heard.push(n.payload), {
      retryMs: 50,
      onError: (err) => errors.push(err.message),
      onReconnect: () => reconnected++,
    });
    try {
      db.notify('dcc_sim_test', ['before']);
      expect(await eventually(() => heard.length === 1, 5000)).toBe(true);
      db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", [`dcc-sim ${process.pid} listener`]);
      expect(await eventually(() => reconnected === 1, 10_000), 'listening again').toBe(true);
      expect(errors.join('\n')).toMatch(/listening connection was lost/);
      db.notify('dcc_sim_test', ['after']);
      expect(await eventually(() => heard.length === 2, 5000)).toBe(true);
      expect(heard).toEqual(['before', 'after']);
    } finally {
      listener.close();
    }
  });
});
