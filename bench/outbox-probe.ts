// `node --import tsx bench/outbox-probe.ts [N]`: the outbox queue's reads (due rows, next due time, a party's untried
// count) timed with N undelivered rows kept for a party without a Receive Response Service URL (default 50,000)
// and one row of a party with a URL, in a small demo world: what each run of the queue costs the serving thread.
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { World } from '../src/world/world.ts';
import { seedDemoWorld } from '../src/world/seed-demo.ts';
import { GatewayStore } from '../db/index.ts';
const file = path.join(mkdtempSync(path.join(tmpdir(), 'ob-')), 'w.db');
const world = World.open(file, { create: true });
seedDemoWorld(world, { premises: 200, seed: 'x', referenceTime: new Date() });
const parties = world.store.listParties();
const withUrl = parties[0]!.eui, without = parties[1]!.eui;
world.store.setResponseUrl(withUrl, 'http://127.0.0.1:9/r');
world.store.setResponseUrl(without, null);
const g = new GatewayStore(world.store.db);
const n = Number(process.argv[2] ?? 50000);
world.store.transaction(() => { for (let i = 0; i < n; i++) g.enqueue({ partyEui: without, requestId: null, responseId: null, kind: 'response', responseCode: 'I0', createdAt: '2026-01-01T00:00:00Z', body: '<x/>', nextAttemptAt: '2026-01-01T00:00:00Z' }); });
g.enqueue({ partyEui: withUrl, requestId: null, responseId: null, kind: 'response', responseCode: 'I0', createdAt: '2026-01-01T00:00:00Z', body: '<x/>', nextAttemptAt: '2026-01-02T00:00:00Z' });
const now = new Date().toISOString();
for (const [name, f] of [['dueOutbox', () => g.dueOutbox(now, 64)], ['nextOutboxDue', () => g.nextOutboxDue()], ['untried(withUrl)', () => g.untriedOutboxCount(withUrl)]] as const) {
  f(); const t = performance.now(); for (let i = 0; i < 50; i++) f(); console.log(name, ((performance.now() - t) / 50).toFixed(3), 'ms', JSON.stringify(f()).slice(0, 80));
}
