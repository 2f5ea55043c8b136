// The PostgreSQL store runs the stores' SQLite SQL through a translator (db/postgres/dialect.ts) and
// maps PostgreSQL's result types to better-sqlite3's. What a user sees must not depend on the store:
// the same statements, and the stores' own queries, over the same demo world in a real SQLite file
// and a real PostgreSQL database give the same rows, the same values of the same JavaScript types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ComplianceStore, FaultStore, GatewayStore, openWorldDb, ScheduleStore, WorldStore, type OutboxEntry, type RequestLogEntry, type SqliteDatabase,
} from '../../db/index.ts';
import { World } from '../../src/world/world.ts';
import { RemotePartyRole } from '../../pki/index.ts';
import { demoWorldFile, REFERENCE_TIME } from '../helpers/gateway.ts';
import { dropPostgresDatabase, freshPostgresDatabase } from '../helpers/postgres.ts';
import { emptyWorldDb, type EmptyWorldDb } from '../helpers/stores.ts';

const AT = REFERENCE_TIME.toISOString();

let sqlite: World;
let postgres: World;
beforeAll(() => {
  sqlite = World.open(demoWorldFile(150, 'sqlite'));
  postgres = World.open(demoWorldFile(150, 'postgres'));
});
afterAll(() => {
  sqlite?.close();
  postgres?.close();
});

/** What `read` answers in each world (or the error it throws), for one equality assertion. */
function both<T>(read: (w: World) => T): { sqlite: T | string; postgres: T | string } {
  const answer = (w: World) => {
    try {
      return read(w);
    } catch (e) {
      return `refused: ${(e as Error).message}`;
    }
  };
  return { sqlite: answer(sqlite), postgres: answer(postgres) };
}

function expectSame<T>(read: (w: World) => T): T {
  const r = both(read);
  expect(r.postgres).toEqual(r.sqlite);
  expect(typeof r.sqlite === 'string' && r.sqlite.startsWith('refused:'), String(r.sqlite)).toBe(false);
  return r.sqlite as T;
}

const rows = (sql: string, ...args: unknown[]) => (w: World) => w.store.db.prepare(sql).all(...args);

describe('statements in SQLite\'s dialect give the same rows on PostgreSQL', () => {
  it('camelCase column aliases keep their case, and may be ordered by', () => {
    const r = expectSame(rows('SELECT eui AS partyEui, dcc_user AS dccUser FROM parties ORDER BY partyEui LIMIT 3'));
    expect(Object.keys(r[0] as object)).toEqual(['partyEui', 'dccUser']);
  });

  it('IS and IS NOT compare values as well as NULL', () => {
    const cadent = expectSame(rows("SELECT eui FROM parties WHERE name LIKE 'cadent%'")) as { eui: string }[];
    expect(cadent).toHaveLength(1);
    const eui = cadent[0]!.eui;
    const notCadent = expectSame(rows('SELECT count(*) AS n FROM supply_points WHERE network_operator_eui IS NOT ?', eui));
    const isCadent = expectSame(rows('SELECT count(*) AS n FROM supply_points WHERE network_operator_eui IS ?', eui));
    const all = expectSame(rows('SELECT count(*) AS n FROM supply_points'));
    expect((notCadent[0] as { n: number }).n + (isCadent[0] as { n: number }).n).toBe((all[0] as { n: number }).n);
    expect(expectSame(rows('SELECT count(*) AS n FROM supply_points WHERE supplier_eui IS ?', null))).toEqual([{ n: expect.any(Number) }]);
  });

  it('a subquery in FROM or JOIN may go unnamed', () => {
    expectSame(rows('SELECT count(*) AS n FROM (SELECT type FROM devices GROUP BY type)'));
    expectSame(rows(`SELECT d.type, t.n FROM devices d JOIN (SELECT type, count(*) AS n FROM devices GROUP BY type) t ON t.type = d.type
                     WHERE d.eui IN (SELECT min(eui) FROM (SELECT eui, type FROM devices) GROUP BY type) ORDER BY d.type`));
  });

  it('LIKE ignores case; parentheses and keywords inside string literals are left alone', () => {
    expectSame(rows("SELECT name FROM parties WHERE name LIKE '%GAS%' ORDER BY name"));
    expectSame(rows("SELECT '(FROM (SELECT x) IS NOT y' AS text, 'it''s' AS quoted"));
  });

  it('blob literals, bytea and integers beyond 32 bits come back as Buffers and numbers', () => {
    const r = expectSame(rows("SELECT x'' AS empty, x'0A1B' AS two, length(x'0A1BFF') AS n, 4294967296 * 3 AS big, 7 / 2 AS half, 7.0 / 2 AS ratio"));
    expect(r).toEqual([{ empty: Buffer.alloc(0), two: Buffer.from([0x0a, 0x1b]), n: 3, big: 12884901888, half: 3, ratio: 3.5 }]);
    const der = expectSame(rows('SELECT der FROM certificates ORDER BY id LIMIT 1')) as { der: Buffer }[];
    expect(Buffer.isBuffer(der[0]!.der)).toBe(true);
  });

  it('comparisons are 1 and 0, parameters are typed by their context, `? IS NULL` too', () => {
    expectSame(rows('SELECT eui, dcc_user = 1 AS user, response_url IS NULL AS no_url FROM parties ORDER BY eui'));
    expectSame(rows('SELECT eui FROM parties WHERE (? IS NULL OR eui = ?) ORDER BY eui', null, null));
    expectSame(rows('SELECT count(*) AS n FROM devices WHERE (@type IS NULL OR type = @type)', { type: 'GPF' }));
  });

  it('SQLite\'s date functions: julianday differences, date with a modifier', () => {
    expectSame(
      rows(`SELECT eui, CAST(julianday(substr(?, 1, 10)) - julianday(substr(commissioned_at, 1, 10)) AS INTEGER) AS days,
                   date(substr(commissioned_at, 1, 10), '+7 days') AS due_by
              FROM devices WHERE commissioned_at IS NOT NULL ORDER BY eui LIMIT 20`, AT),
    );
    const times = expectSame(
      rows(`SELECT julianday('2026-11-01T00:00:00+01:00') AS offset, julianday('2026-11-01T00:00:00.500Z') AS millis, julianday('2026-11-01') AS day,
                   date('2026-11-01T00:30:00+01:00', '+7 days') AS week_later`),
    );
    expect(times).toEqual([{ offset: 2461345.4583333335, millis: 2461345.5000057872, day: 2461345.5, week_later: '2026-11-07' }]);
  });

  it('NULLs sort as SQLite sorts them when the order says NULLS FIRST or LAST', () => {
    expectSame(rows('SELECT mpxn FROM devices ORDER BY mpxn NULLS FIRST, eui LIMIT 5'));
    expectSame(rows('SELECT mpxn FROM devices ORDER BY mpxn DESC NULLS LAST, eui LIMIT 5'));
  });

  it('a negative LIMIT is none and a negative OFFSET is 0, as SQLite takes them', () => {
    const all = expectSame(rows('SELECT eui FROM devices ORDER BY eui LIMIT ?', -1));
    expect(all.length).toBe(expectSame((w) => w.store.countDevices()));
    expectSame(rows('SELECT eui FROM devices ORDER BY eui LIMIT @limit OFFSET @offset', { limit: 3, offset: -5 }));
  });

  it('pluck, raw and iterate', () => {
    expectSame((w) => w.store.db.prepare('SELECT eui FROM devices ORDER BY eui LIMIT 3').pluck().all());
    expectSame((w) => w.store.db.prepare('SELECT eui, type FROM devices ORDER BY eui LIMIT 3').raw().all());
    expectSame((w) => [...w.store.db.prepare('SELECT eui FROM devices ORDER BY eui').iterate()].length);
    expectSame((w) => w.store.db.prepare('SELECT count(*) AS n FROM devices').safeIntegers().get());
  });
});

describe('the stores answer the same from either world', () => {
  const scope = { at: AT, windowDays: 7 };

  it('inventory: listing, search (every compliance filter, both cursors, the count cap), premises', () => {
    expectSame((w) => w.store.listDevices({ limit: 1000 }));
    expectSame((w) => w.store.listDevices({ eui: '00db5a0e', type: 'ESME', status: 'Commissioned' }));
    for (const compliance of ['compliant', 'pending', 'non-compliant', 'not-applicable'] as const) {
      expectSame((w) => w.store.searchDevices({ at: AT, compliance, limit: 500 }));
    }
    const first = expectSame((w) => w.store.searchDevices({ at: AT, limit: 20, countCap: 50 }));
    expect(first).toMatchObject({ total: 50, totalCapped: true, hasMore: true });
    const next = expectSame((w) => w.store.searchDevices({ at: AT, limit: 20, after: first.devices[19]!.eui }));
    expectSame((w) => w.store.searchDevices({ at: AT, limit: 20, before: next.devices[0]!.eui }));
    expectSame((w) => w.store.searchDevices({ at: AT, type: 'GPF', status: 'Commissioned', mpxnPrefix: '1', euiPrefix: '00-db' }));
    const esme = expectSame((w) => w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 1 })).devices[0]!;
    const sp = expectSame((w) => w.store.getSupplyPoint(esme.mpxn!))!;
    expectSame((w) => w.store.searchDevices({ at: AT, supplierEui: sp.supplierEui!, networkOperatorEui: sp.networkOperatorEui, supplierCellHolder: sp.supplierEui! }));
    expectSame((w) => w.store.devicesAtUprn(sp.uprn!));
    expectSame((w) => w.store.devicesAtPostcode(sp.postcode!.toLowerCase(), sp.address!.slice(0, 4).toLowerCase()));
    expectSame((w) => [w.store.countDevices(), w.store.devicesInPrepayment(), w.store.devicesWithCommandsDue(AT), w.store.getDeviceSecurity(esme.eui)]);
  });

  it('the post-commissioning report: counts, devices page by page and streamed, by state and reason', () => {
    const compliance = (w: World) => new ComplianceStore(w.store.db);
    const counts = expectSame((w) => compliance(w).postCommissioningCounts(scope));
    expect(counts.length).toBeGreaterThan(10);
    expectSame((w) => compliance(w).postCommissioningCounts({ ...scope, type: 'GPF', networkOperatorEui: counts[0]!.networkOperatorEui! }));
    expectSame((w) => compliance(w).postCommissioningDevices({ ...scope, limit: 40, offset: 20 }));
    expectSame((w) => compliance(w).postCommissioningDevices({ ...scope, state: 'non-compliant', reason: 'other-network-operator' }));
    expectSame((w) => [...compliance(w).iteratePostCommissioningDevices({ ...scope, state: 'compliant' })]);
    // streamed inside a transaction too, and left half read: the connection goes on as before
    expectSame((w) =>
      w.store.transaction(() => {
        const first: string[] = [];
        for (const d of compliance(w).iteratePostCommissioningDevices(scope)) if (first.push(d.eui) === 3) break;
        return [first, w.store.countDevices()];
      }),
    );
  });

  it('network operator changes: devices holding a party\'s certificates, supply points by prefix, devices by cells', () => {
    const compliance = (w: World) => new ComplianceStore(w.store.db);
    const operators = expectSame((w) => w.store.searchCertificates({ role: RemotePartyRole.NetworkOperator, keyUsage: 'DS' }).map((c) => c.subjectEui!));
    for (const eui of new Set(operators)) {
      expectSame((w) => compliance(w).devicesHoldingCertificatesOf(eui, { notRegisteredTo: eui }));
      expectSame((w) => compliance(w).devicesHoldingCertificatesOf(eui, { registeredTo: eui, mpxnPrefix: '1', limit: 5 }));
      expectSame((w) => compliance(w).countSupplyPoints(eui, '1'));
    }
    expectSame((w) => compliance(w).findDevicesByCells({ type: 'GPF', registeredNetworkOperatorIsDccUser: false, commissionedOnOrAfter: '2025-01-01', limit: 50 }));
  });

  it('the gateway\'s request log and outbox, after the same writes in both', () => {
    const gateway = (w: World) => new GatewayStore(w.store.db);
    const supplier = expectSame((w) => w.store.listParties().find((p) => p.userRoles.includes('IS'))!.eui);
    const request = (n: number): RequestLogEntry => ({
      receivedAt: `2026-11-01T00:00:0${n}.000Z`, path: 'serviceS', requestId: `${supplier}:00DB5A0E00000001:${n}`, originatorEui: supplier,
      targetEui: '00DB5A0E00000001', counter: String(n), serviceReference: '4.1', serviceVariant: '4.1.1', commandVariant: 2,
      responseCode: n % 2 ? 'I99' : 'E4', reason: n % 2 ? null : 'refused', failedStep: n % 2 ? null : 'registration',
      requestXml: Buffer.from(`<xml n="${n}"/>`), responseXml: null, steps: [{ step: 'parse', ok: true }], changedCells: null,
    });
    const response = (n: number): OutboxEntry => ({
      partyEui: supplier, requestId: `${supplier}:00DB5A0E00000001:${n}`, responseId: null, kind: 'response', responseCode: 'I0',
      createdAt: AT, body: `<r n="${n}"/>`, nextAttemptAt: AT,
    });
    expectSame((w) =>
      w.store.transaction(() => {
        const g = gateway(w);
        const ids = [1, 2, 3, 4].map((n) => [g.logRequest(request(n)), g.enqueue(response(n))] as const);
        g.setFinalOutcome(ids[0]![0], 'E21', 'discarded', '8F30');
        g.setLocalResponse(ids[0]![0], Buffer.from('0102', 'hex'));
        g.markDelivered(ids[0]![1], AT);
        g.markFailed(ids[1]![1], 'receiver said 500', '2026-11-01T01:00:00.000Z');
        g.pruneRequestXml(0, ids[1]![0]);
        g.pruneDeliveredBodies(0, ids[1]![1]);
        g.setLastCounter(supplier, 2n ** 64n - 1n);
        return ids.length;
      }),
    );
    expectSame((w) => {
      const g = gateway(w);
      return {
        failures: g.listRequests({ outcome: 'failure' }),
        successes: g.listRequests({ outcome: 'success', originatorEui: supplier, limit: 2 }),
        local: g.localResponses({ targetEui: '00DB5A0E00000001' }),
        due: g.dueOutbox(AT, 10, { exceptIds: new Set([1]), exceptParties: new Set(['90B3D51F30000001']) }).map((o) => o.body),
        inbox: g.inbox(supplier, { kind: 'response', limit: 3 }),
        counts: [g.inboxCounts(), g.undeliverableCounts(), g.pendingOutboxCount(), g.untriedOutboxCount(supplier), g.nextOutboxDue()],
        counter: g.lastCounter(supplier),
      };
    });
  });

  it('schedules and faults', () => {
    expectSame((w) => {
      const schedules = new ScheduleStore(w.store.db);
      const faults = new FaultStore(w.store.db);
      const id = schedules.nextId();
      schedules.add({ id, originatorEui: '90B3D51F30000001', deviceEui: '00DB5A0E00000001', serviceVariant: '4.1.1', details: '{}', nextRunAt: AT, createdAt: AT });
      faults.put('00DB5A0E00000001', 'slow-wan', '3', AT);
      faults.put('00DB5A0E00000001', 'device-offline', null, AT);
      return { id, next: schedules.nextId(), due: schedules.due(AT), faults: faults.all(), any: faults.any(), cleared: faults.clear('00DB5A0E00000001', 'slow-wan') };
    });
  });
});

describe('a PostgreSQL database whose locale sorts text otherwise (ICU en-US: "12~" before "1200")', () => {
  let url: string;
  let db: SqliteDatabase;
  afterAll(() => {
    db?.close();
    if (url) dropPostgresDatabase(url);
  });

  it('keeps SQLite\'s byte order: keyset pages and MPxN prefix ranges find the same devices', () => {
    url = freshPostgresDatabase(undefined, { icuLocale: 'en-US' });
    db = openWorldDb(url);
    const sqliteWorld = emptyWorldDb('sqlite');
    try {
      const answers = [sqliteWorld.db, db].map((d) => {
        const store = new WorldStore(d);
        store.insertParty({ eui: '90B3D51F40000012', name: 'DNO', dccUser: true, smkiSubscriber: true, ueptCompleted: true, isDcc: false, responseUrl: null, userRoles: [] });
        ['1200000000001', '1210000000002', '1300000000003'].forEach((mpxn, i) => {
          store.insertSupplyPoint({ mpxn, fuel: 'E', networkOperatorEui: '90B3D51F40000012', supplierEui: null, uprn: i, postcode: null, address: null });
          store.insertDevice({ eui: `00DB5A0E0000000${i}`, type: 'ESME', status: 'Commissioned', mpxn, commsHubEui: null, manufacturer: 'M', model: 'X', firmware: '1', commissionedAt: null });
        });
        store.insertDevice({ eui: '00DB5A0EA0000000', type: 'GSME', status: 'Pending', mpxn: null, commsHubEui: null, manufacturer: 'M', model: 'X', firmware: '1', commissionedAt: null });
        return {
          prefix: store.searchDevices({ mpxnPrefix: '12', at: AT }).devices.map((d) => d.eui),
          page: store.searchDevices({ after: '00DB5A0E00000001', limit: 2, at: AT }).devices.map((d) => d.eui),
          supplyPoints: new ComplianceStore(d).countSupplyPoints('90B3D51F40000012', '12'),
        };
      });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[0]).toEqual({ prefix: ['00DB5A0E00000000', '00DB5A0E00000001'], page: ['00DB5A0E00000002', '00DB5A0EA0000000'], supplyPoints: 2 });
    } finally {
      sqliteWorld.close();
    }
  });
});

describe('text holding U+0000, which PostgreSQL\'s text cannot', () => {
  it('keeps what follows it, and the same text finds the row again', () => {
    const stored = [emptyWorldDb('sqlite'), emptyWorldDb('postgres')].map((w) => {
      try {
        const store = new WorldStore(w.db);
        store.setMeta('key\0', 'before\0after');
        return store.getMeta('key\0');
      } finally {
        w.close();
      }
    });
    expect(stored).toEqual(['before\0after', 'before\uFFFDafter']);
  });
});

describe('refusals read the same', () => {
  let worlds: EmptyWorldDb[] = [];
  afterAll(() => worlds.forEach((w) => w.close()));

  it('a constraint a statement breaks carries SQLite\'s code in both', () => {
    worlds = [emptyWorldDb('sqlite'), emptyWorldDb('postgres')];
    const codes = worlds.map(({ db }: { db: SqliteDatabase }) => {
      const insert = db.prepare("INSERT INTO world_meta (key, value) VALUES ('k', ?)");
      insert.run('v');
      const refused = (f: () => unknown) => {
        try {
          f();
          return 'accepted';
        } catch (e) {
          return (e as { code: string }).code;
        }
      };
      return [refused(() => insert.run('again')), refused(() => insert.run(null)), refused(() => db.prepare('INSERT INTO parties (eui, name) VALUES (?, ?)').run('lower', 'x'))];
    });
    expect(codes[1]).toEqual(codes[0]);
    expect(codes[0]).toEqual(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_CONSTRAINT_CHECK']);
  });
});
