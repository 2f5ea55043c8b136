import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayStore, openSqlite } from '../../db/index.ts';
import { MIGRATIONS } from '../../db/migrations.ts';

// A world file from before final outcomes were logged upgrades in place: a request whose command the
// device discarded reads as the failure it was (E21 with the device's reason), others keep their answer.

describe('migration 8: the final outcome beside the acknowledgement', () => {
  it('backfills a device refusal logged before it, and leaves the other rows as their synchronous answer', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-mig8-'));
    const file = path.join(dir, 'old.db');
    try {
      const old = new Database(file);
      for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version).filter((m) => m.version < 8)) old.exec(m.sql);
      old.pragma('user_version = 7');
      const insert = old.prepare(
        `INSERT INTO requests (received_at, path, request_id, response_code, reason, failed_step, request_xml, steps)
         VALUES ('2026-11-01T00:00:00.000Z', 'serviceS', ?, ?, ?, ?, x'', ?)`,
      );
      const refusal = 'device discarded the command: originator 90B3D51F30000002 is not 90B3D51F42000001 (alert 8F30)';
      insert.run('a', 'I99', null, null, JSON.stringify([{ step: 'parse', ok: true, detail: 'ok' }, { step: 'device', ok: false, detail: refusal, ms: 1 }]));
      insert.run('b', 'I99', null, null, JSON.stringify([{ step: 'device', ok: true, detail: 'device changed supplierDS', ms: 1 }]));
      insert.run('c', 'E4', 'not the registered supplier', 'registration', JSON.stringify([{ step: 'registration', ok: false, detail: 'not the registered supplier' }]));
      old.close();

      const db = openSqlite(file);
      try {
        const byId = new Map(new GatewayStore(db).listRequests().map((r) => [r.requestId, r]));
        expect(byId.get('a')).toMatchObject({ responseCode: 'I99', finalResponseCode: 'E21', finalReason: refusal });
        // rows before the migration did not record what the device answered: their answer stays final
        expect(byId.get('b')).toMatchObject({ responseCode: 'I99', finalResponseCode: 'I99', finalReason: null });
        expect(byId.get('c')).toMatchObject({ responseCode: 'E4', finalResponseCode: 'E4', finalReason: 'not the registered supplier' });
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
