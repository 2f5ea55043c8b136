import 'reflect-metadata';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { World } from '../../src/world/world.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { dropPostgresDatabase, postgresSeededWorld } from '../helpers/postgres.ts';
import { defaultStore } from '../helpers/stores.ts';

// Seeded demo worlds for the compliance and scenario suites: one template per suite, copied for each
// test that changes it (a copy is a file copy, seeding is not).

export interface WorldTemplate {
  file: string;
  copy(): string;
  cleanup(): void;
}

export function seedTemplate(o: { premises: number; seed: string; at: Date }): WorldTemplate {
  // DCC_SIM_TEST_STORE=postgres: each copy is a PostgreSQL database made from a seeded template.
  if (defaultStore() === 'postgres') {
    const copies: string[] = [];
    const copy = () => {
      copies.push(postgresSeededWorld(o));
      return copies.at(-1)!;
    };
    return { file: copy(), copy, cleanup: () => copies.splice(0).forEach(dropPostgresDatabase) };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-compliance-'));
  const file = path.join(dir, 'template.db');
  const w = World.open(file, { create: true });
  try {
    seedDemoWorld(w, { premises: o.premises, seed: o.seed, referenceTime: o.at });
    w.store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    w.close();
  }
  let n = 0;
  return {
    file,
    copy() {
      const c = path.join(dir, `world-${++n}.db`);
      copyFileSync(file, c);
      return c;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
