import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { World } from '../src/world/world.ts';
import { seedDemoWorld } from '../src/world/seed-demo.ts';

// Seeds a world in this process and reports wall time and peak RSS as JSON on stdout: the
// bench runs it as a child so the peak is the seed's alone.

const [file, premisesText, share] = process.argv.slice(2);
if (!file || !premisesText) throw new Error('usage: seed-probe FILE PREMISES [AWAITING_HANDOVER_SHARE]');
for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
const started = performance.now();
const world = World.open(file, { create: true });
const summary = seedDemoWorld(world, {
  premises: Number(premisesText),
  seed: 'bench',
  referenceTime: new Date(),
  awaitingHandoverShare: share === undefined ? undefined : Number(share),
});
world.store.db.pragma('wal_checkpoint(TRUNCATE)');
world.close();
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, ...summary }) + '\n');
