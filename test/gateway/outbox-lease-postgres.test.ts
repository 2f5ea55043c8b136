import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayStore } from '../../db/index.ts';
import { World } from '../../src/world/world.ts';
import { dropPostgresDatabase } from '../helpers/postgres.ts';
import { eventually, postDuis, sharedPostgresWorld, type SharedWorld } from '../helpers/shared-postgres.ts';
import { Receiver, sleep, spawnServer, type ChildServer } from '../resilience/kit.ts';

// On a PostgreSQL world a server claims the responses it delivers for --outbox-lease ms. A delivery
// that outlasts the lease (a slow receiver) keeps its row: the server renews the lease while the
// attempt is in flight, so another server asking for due rows does not send it again meanwhile.
// A server that dies renews nothing, and the others take its rows once the lease has run out.
// "The other server" is a GatewayStore on a connection of its own, asking for due rows every 50 ms.

const LEASE_MS = 1500;
/** the receiver's answer time: over two leases, under the 5 s an attempt may take */
const SLOW_MS = 4000;

const receiver = new Receiver();
let w: SharedWorld;
let server: ChildServer;
let otherWorld: World;
let other: GatewayStore;
let counter = 8_000_000n;

beforeAll(async () => {
  await receiver.start();
  w = sharedPostgresWorld(20, 'outbox-lease', receiver.url);
  server = await spawnServer(w.url, { extra: ['--outbox-lease', String(LEASE_MS)] });
  otherWorld = World.open(w.url);
  other = new GatewayStore(otherWorld.store.db);
  other.outboxLeaseMs = LEASE_MS;
}, 120_000);

afterAll(async () => {
  await server?.kill('SIGKILL');
  await receiver.stop();
  otherWorld?.close();
  w?.close();
  if (w) dropPostgresDatabase(w.url);
});

interface OutboxRow {
  id: number;
  claimed_by: string | null;
  claimed_until: string | null;
  delivered_at: string | null;
}

/** Sends a read through the server; the outbox row of its response, once the receiver has the delivery attempt. */
async function slowDelivery(): Promise<() => OutboxRow> {
  const job = w.reads.shift()!;
  const { xml, requestId } = w.sign(job, ++counter);
  const attempts = receiver.attempts;
  expect((await postDuis(server.url, 'serviceS', xml))!.code).toBe('I99');
  const row = () => w.db.query("SELECT id, claimed_by, claimed_until, delivered_at FROM outbox WHERE request_id = $1 AND kind = 'response'", [requestId])[0] as OutboxRow;
  expect(await eventually(() => receiver.attempts > attempts, 10_000), 'the server is posting the response').toBe(true);
  expect(row().claimed_by, 'claimed by the server').toMatch(new RegExp(`:${server.child.pid}:`));
  return row;
}

/** The other server asks for due rows: the ids it was given. */
const otherClaims = () => other.claimDueOutbox(new Date().toISOString(), 50).map((r) => r.id);

describe('outbox leases on a PostgreSQL world', () => {
  it('a delivery that outlasts its lease stays the posting server\'s: renewed, not claimed by another, sent once', async () => {
    receiver.delayMs = SLOW_MS;
    const row = await slowDelivery();
    const { id, claimed_until: first } = row();
    const started = Date.now();
    const taken: number[] = [];
    let until = first!;
    while (row().delivered_at === null && Date.now() - started < 15_000) {
      taken.push(...otherClaims());
      until = row().claimed_until ?? until;
      await sleep(50);
    }
    expect(row().delivered_at, 'delivered').not.toBeNull();
    expect(Date.now() - started, 'the attempt outlasted the lease').toBeGreaterThan(LEASE_MS);
    expect(taken.filter((t) => t === id), 'claimed by the other server while the first was posting').toEqual([]);
    expect(Date.parse(until), 'the lease was renewed').toBeGreaterThan(Date.parse(first!));
    expect(row().claimed_by).toMatch(new RegExp(`:${server.child.pid}:`));
    expect(receiver.accepted.filter((d) => d.id === String(id)).length, 'sent once').toBe(1);
  }, 60_000);

  it('a server that dies mid-delivery stops renewing: another takes the row once the lease has run out, not before', async () => {
    receiver.delayMs = 10_000;
    const row = await slowDelivery();
    const { id } = row();
    // past a lease, still held
    await sleep(LEASE_MS + 200);
    expect(otherClaims()).not.toContain(id);
    await server.kill('SIGKILL');
    const killed = Date.now();
    const leaseAtDeath = Date.parse(row().claimed_until!);
    expect(leaseAtDeath, 'the lease outlives the server a while').toBeGreaterThan(killed);
    let takenAt = 0;
    while (Date.now() - killed < LEASE_MS + 5_000) {
      if (otherClaims().includes(id)) {
        takenAt = Date.now();
        break;
      }
      await sleep(50);
    }
    expect(takenAt, 'taken over').toBeGreaterThan(0);
    expect(takenAt, 'not before the lease ran out').toBeGreaterThanOrEqual(leaseAtDeath);
    expect(takenAt - killed, 'within a lease of the death').toBeLessThanOrEqual(LEASE_MS + 1000);
    expect(row().claimed_by).toBe(other.instance);
    expect(row().delivered_at).toBeNull();
  }, 60_000);
});
