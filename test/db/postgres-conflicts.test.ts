// Two servers on one PostgreSQL world run their requests as SERIALIZABLE transactions side by side.
// Requests of different DCC Users must not fail each other (each failure is a request's work done
// twice, bench/measurements.md), while two takes of the same originator's counter must still conflict,
// so that no counter is accepted twice. Two DCCs, each on a connection of its own as two `serve`
// processes are, interleave the counter check and advance of a request as Dcc.handle does them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOf, type PgDatabase } from '../../db/index.ts';
import { Dcc } from '../../src/dcc/dcc.ts';
import { World } from '../../src/world/world.ts';
import { REFERENCE_TIME } from '../helpers/gateway.ts';
import { dropPostgresDatabase, postgresSeededWorld } from '../helpers/postgres.ts';

interface Server {
  world: World;
  dcc: Dcc;
  pg: PgDatabase;
}

let url: string;
let a: Server;
let b: Server;
const SUPPLIERS = ['90B3D51F30010000', '90B3D51F30020000', '90B3D51F30030000', '90B3D51F30040000'];
const [X, Y] = SUPPLIERS as [string, string];

function server(): Server {
  const world = World.open(url);
  const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  return { world, dcc, pg: postgresOf(world.store.db)! };
}

beforeAll(() => {
  url = postgresSeededWorld({ premises: 5, seed: 'postgres-conflicts', at: REFERENCE_TIME });
  a = server();
  b = server();
  a.world.store.transaction(() => {
    for (const s of SUPPLIERS) a.dcc.gateway.setLastCounter(s, 100n);
  });
});

afterAll(() => {
  a?.world.close();
  b?.world.close();
  if (url) dropPostgresDatabase(url);
});

/**
 * Server `first` checks `mine`'s counter; meanwhile `second` checks and advances `theirs` and commits;
 * then `first` advances `mine`. The counters `first` read, one per attempt of its transaction.
 */
function interleave(first: Server, mine: string, second: Server, theirs: string): bigint[] {
  const seen: bigint[] = [];
  let once = false;
  first.world.store.transaction(() => {
    const last = first.dcc.gateway.lastCounter(mine)!;
    seen.push(last);
    if (!once) {
      once = true;
      second.world.store.transaction(() => {
        second.dcc.gateway.setLastCounter(theirs, second.dcc.gateway.lastCounter(theirs)! + 1n);
      });
    }
    first.dcc.gateway.setLastCounter(mine, last + 1n);
  });
  return seen;
}

describe('request transactions of two servers on one PostgreSQL world', () => {
  it('requests of different DCC Users overlap without either being run again', () => {
    const before = a.pg.retries + b.pg.retries;
    expect(interleave(a, X, b, Y)).toEqual([100n]);
    expect(interleave(b, Y, a, X)).toEqual([101n]);
    expect(a.pg.retries + b.pg.retries - before, 'transactions run again').toBe(0);
    expect([a.dcc.gateway.lastCounter(X), a.dcc.gateway.lastCounter(Y)]).toEqual([102n, 102n]);
  });

  it("two takes of one DCC User's counter still conflict: the later is run again and sees the counter taken", () => {
    const [Z] = SUPPLIERS.slice(2) as [string];
    const before = a.pg.retries;
    expect(interleave(a, Z, b, Z), 'the second attempt reads the other server\'s counter').toEqual([100n, 101n]);
    expect(a.pg.retries - before).toBe(1);
    expect(b.dcc.gateway.lastCounter(Z)).toBe(102n);
  });
});
