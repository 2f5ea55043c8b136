import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, openReadonly, runCliAsync, scratchDir } from '../helpers/world-cli.ts';

// A 10,000-premise demo seed finishes, in one process, within a generous limit, and the world
// it leaves is complete (every device has its cells). The time is printed for the record.

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

describe('a 10,000-premise world', () => {
  it('seeds completely', { timeout: 180_000 }, async () => {
    const file = join(scratch.dir, 'large.db');
    const r = expectOk(await runCliAsync(['seed', '--db', file, '--premises', '10000', '--seed', 'scale', '--at', '2026-11-01T00:00:00Z', '--json'], { timeoutMs: 170_000 }));
    const summary = JSON.parse(r.stdout) as { premises: number; devices: number; certificates: number; wrongNetworkOperator: number };
    const mb = statSync(file).size / 1e6;
    console.info(`[world] seed --premises 10000: ${(r.ms / 1000).toFixed(1)} s wall (process start included), ${summary.devices} devices, ${mb.toFixed(1)} MB`);
    expect(summary.premises).toBe(10_000);
    const db = openReadonly(file);
    try {
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(n('SELECT count(*) AS n FROM devices')).toBe(summary.devices);
      // a hub in service at every premises (one premises' hub was replaced: the old one is withdrawn), and the one
      // each supplier pre-notified and has not installed yet
      expect(n("SELECT count(*) AS n FROM devices WHERE type = 'CHF' AND status NOT IN ('Pending', 'Withdrawn')")).toBe(10_000);
      expect(n("SELECT count(*) AS n FROM devices WHERE type = 'CHF' AND status = 'Withdrawn'")).toBe(1);
      expect(n("SELECT count(*) AS n FROM devices WHERE type = 'CHF' AND status = 'Pending' AND added_by IS NOT NULL")).toBe(5);
      expect(n('SELECT count(*) AS n FROM device_security')).toBe(summary.devices);
      expect(n('SELECT count(*) AS n FROM device_security WHERE root IS NULL OR recovery IS NULL OR acb_ka IS NULL')).toBe(0);
      expect(n('SELECT count(*) AS n FROM certificates')).toBe(summary.certificates);
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    expect(summary.devices).toBeGreaterThan(30_000);
    expect(r.ms).toBeLessThan(150_000);
  });
});
