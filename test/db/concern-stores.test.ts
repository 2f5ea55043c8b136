// The world store's concern stores (db/*-store.ts, db/smki-repository.ts) used on their own, and the
// facade's transaction spanning them; in a SQLite world and in a PostgreSQL one alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DeviceSecurityStore, GatewayStore, InventoryStore, openWorldDb, PartyStore, RegistrationStore, SmkiRepository, WorldDbError, WorldStore,
} from '../../db/index.ts';
import type { NewCertificate, Party } from '../../db/index.ts';
import { emptyWorldDb, forEachStore, type EmptyWorldDb } from '../helpers/stores.ts';

const SUPPLIER = '90B3D51F30010000';
const NETWORK_OPERATOR = '90B3D51F30020000';
const ESME = '00DB123456780001';


const party = (eui: string, name: string, extra: Partial<Party> = {}): Party => ({
  eui, name, dccUser: true, smkiSubscriber: true, ueptCompleted: true, isDcc: false, responseUrl: null, userRoles: [], ...extra,
});

const certificate = (serialHex: string, serialDecimal: string): NewCertificate => ({
  fingerprint: serialHex.toLowerCase().padStart(64, '0'), serialHex, serialDecimal, kind: 'organisation', subjectEui: NETWORK_OPERATOR,
  role: 3, keyUsage: 'DS', ski: '0102030405060708', aki: null, subjectDn: 'OU=03', issuerDn: 'CN=Z1,OU=07',
  notBefore: '2024-01-01T00:00:00.000Z', notAfter: '2034-01-01T00:00:00.000Z', label: null, der: Buffer.from(serialHex, 'hex'),
});

/** Whatever f throws, as { code, message } of a WorldDbError. */
function worldDbError(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WorldDbError);
    return { code: (e as WorldDbError).code, message: (e as WorldDbError).message };
  }
  throw new Error('nothing was thrown');
}

forEachStore((store) => {
  const opened: EmptyWorldDb[] = [];
  const fresh = () => {
    const w = emptyWorldDb(store);
    opened.push(w);
    return w.db;
  };
  afterEach(() => {
    for (const w of opened.splice(0)) w.close();
  });

  describe('concern stores on their own', () => {
    it('parties: flags, roles in order, and an unknown EUI refused by name', () => {
      const parties = new PartyStore(fresh());
      parties.insertParty(party(SUPPLIER, 'Supplier A', { userRoles: ['IS', 'ES'], deviceSubscriber: true }));
      expect(parties.getParty(SUPPLIER)).toMatchObject({ userRoles: ['ES', 'IS'], deviceSubscriber: true, dccUser: true });
      parties.setPartyFlags(SUPPLIER, { dccUser: false });
      expect(parties.getParty(SUPPLIER)).toMatchObject({ dccUser: false, deviceSubscriber: true });
      expect(worldDbError(() => parties.setPartyFlags(NETWORK_OPERATOR, {}))).toEqual({ code: 'unknown-party', message: `no party with EUI ${NETWORK_OPERATOR}` });
      expect(worldDbError(() => parties.setResponseUrl(NETWORK_OPERATOR, null)).code).toBe('unknown-party');
    });

    it('SMKI repository: a certificate is stored once, found by either serial form, revoked once', () => {
      const smki = new SmkiRepository(fresh());
      const id = smki.putCertificate(certificate('0A1B', '2587'));
      expect(smki.putCertificate(certificate('0A1B', '2587'))).toBe(id);
      expect(smki.searchCertificates({ serial: '0x0a:1b' }).map((c) => c.id)).toEqual([id]);
      expect(smki.searchCertificates({ serial: '002587' }).map((c) => c.id)).toEqual([id]);
      expect(smki.revokeCertificate(id, '2026-11-23T12:00:00Z', 'keyCompromise')).toBe(true);
      expect(smki.revokeCertificate(id, '2026-11-24T12:00:00Z', 'superseded')).toBe(false);
      expect(smki.getCertificate(id)).toMatchObject({ revokedAt: '2026-11-23T12:00:00Z', revocationReason: 'keyCompromise' });
    });

    it('SMKI repository: lookups by fingerprint and serial follow every change (a revocation in raw SQL, an insert rolled back)', () => {
      const db = fresh();
      const smki = new SmkiRepository(db);
      const mine = certificate('0A1C', '2588');
      const id = smki.putCertificate(mine);
      expect(smki.getCertificateByFingerprint(mine.fingerprint)?.revokedAt).toBeNull();
      expect(smki.certificatesBySerial('2588').map((c) => c.revokedAt)).toEqual([null]);
      // as the compliance store revokes a ceased user's certificates: not through the repository
      db.prepare('UPDATE certificates SET revoked_at = ? WHERE id = ?').run('2026-12-02T00:00:00Z', id);
      expect(smki.getCertificateByFingerprint(mine.fingerprint)?.revokedAt).toBe('2026-12-02T00:00:00Z');
      expect(smki.certificatesBySerial('2588').map((c) => c.revokedAt)).toEqual(['2026-12-02T00:00:00Z']);
      // known absent, then inserted in a transaction that rolls back: seen inside it, absent again after
      const other = certificate('0A1D', '2589');
      expect(smki.getCertificateByFingerprint(other.fingerprint)).toBeUndefined();
      expect(smki.certificatesBySerial('2589')).toEqual([]);
      const facade = new WorldStore(db);
      expect(() =>
        facade.transaction(() => {
          smki.putCertificate(other);
          expect(smki.getCertificateByFingerprint(other.fingerprint)?.serialDecimal).toBe('2589');
          expect(smki.certificatesBySerial('2589')).toHaveLength(1);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(smki.getCertificateByFingerprint(other.fingerprint)).toBeUndefined();
      expect(smki.certificatesBySerial('2589')).toEqual([]);
    });

    it('registration data and inventory: a device found through its supply point', () => {
      const db = fresh();
      new PartyStore(db).insertParty(party(SUPPLIER, 'Supplier A'));
      new PartyStore(db).insertParty(party(NETWORK_OPERATOR, 'Network Operator B'));
      const registration = new RegistrationStore(db);
      const inventory = new InventoryStore(db);
      registration.insertSupplyPoint({
        mpxn: '1200000000001', fuel: 'E', networkOperatorEui: NETWORK_OPERATOR, supplierEui: SUPPLIER, uprn: 42, postcode: 'AB1 2CD', address: '1 High Street',
      });
      inventory.insertDevice({
        eui: ESME, type: 'ESME', status: 'Commissioned', mpxn: '1200000000001', commsHubEui: null, manufacturer: 'M', model: 'X', firmware: '1',
        commissionedAt: '2026-11-01T00:00:00Z',
      });
      expect(inventory.listDevices({ supplierEui: SUPPLIER })).toMatchObject({ total: 1, devices: [{ eui: ESME }] });
      expect(inventory.devicesAtPostcode('ab1  2cd').map((d) => d.eui)).toEqual([ESME]);
      // no network operator certificate in its cells: the search classifies it (within the 7-day window)
      const page = inventory.searchDevices({ mpxnPrefix: '12000', at: '2026-11-05T00:00:00Z' });
      expect(page.devices).toMatchObject([{ eui: ESME, supplierEui: SUPPLIER, networkOperatorEui: NETWORK_OPERATOR, compliance: 'pending' }]);
    });

    it("outbox: the next due time is the earliest undelivered row of a party with a URL, none when nothing is left", () => {
      const db = fresh();
      const parties = new PartyStore(db);
      parties.insertParty(party(SUPPLIER, 'Supplier A', { responseUrl: 'http://127.0.0.1:9/receive' }));
      parties.insertParty(party(NETWORK_OPERATOR, 'Network Operator B')); // no URL: its rows wait for one, due or not
      const gateway = new GatewayStore(db);
      expect(gateway.nextOutboxDue()).toBeNull();
      const row = (partyEui: string, nextAttemptAt: string) =>
        gateway.enqueue({ partyEui, requestId: null, responseId: null, kind: 'response', responseCode: 'I0', createdAt: '2026-12-03T00:00:00.000Z', body: '<x/>', nextAttemptAt });
      const kept = row(NETWORK_OPERATOR, '2026-12-03T00:00:01.000Z');
      expect(gateway.nextOutboxDue()).toBeNull();
      const later = row(SUPPLIER, '2026-12-03T00:00:09.000Z');
      const earlier = row(SUPPLIER, '2026-12-03T00:00:05.000Z');
      expect(gateway.nextOutboxDue()).toBe('2026-12-03T00:00:05.000Z');
      // due rows in queueing order, the URL-less party's kept row not among them; those not yet due neither
      const due = (at: string) => gateway.dueOutbox(at, 10).map((r) => [r.id, r.responseUrl]);
      expect(due('2026-12-03T00:00:10.000Z')).toEqual([[later, 'http://127.0.0.1:9/receive'], [earlier, 'http://127.0.0.1:9/receive']]);
      expect(due('2026-12-03T00:00:06.000Z')).toEqual([[earlier, 'http://127.0.0.1:9/receive']]);
      expect(gateway.dueOutbox('2026-12-03T00:00:10.000Z', 10, { exceptIds: new Set([later]) }).map((r) => r.id)).toEqual([earlier]);
      gateway.markDelivered(earlier, '2026-12-03T00:00:06.000Z');
      expect(gateway.nextOutboxDue()).toBe('2026-12-03T00:00:09.000Z');
      gateway.markDelivered(later, '2026-12-03T00:00:10.000Z');
      expect(gateway.nextOutboxDue()).toBeNull();
      // the party given a URL: its kept row is due again
      parties.setResponseUrl(NETWORK_OPERATOR, 'http://127.0.0.1:9/other');
      expect(gateway.nextOutboxDue()).toBe('2026-12-03T00:00:01.000Z');
      expect(due('2026-12-03T00:00:10.000Z')).toEqual([[kept, 'http://127.0.0.1:9/other']]);
    });

    it('device security state: counters survive as bigints; cells of an unknown device are refused by name', () => {
      const db = fresh();
      new InventoryStore(db).insertDevice({
        eui: ESME, type: 'ESME', status: 'Commissioned', mpxn: null, commsHubEui: null, manufacturer: 'M', model: 'X', firmware: '1', commissionedAt: null,
      });
      const security = new DeviceSecurityStore(db);
      const big = 2n ** 63n + 5n;
      security.insertDeviceSecurity({ deviceEui: ESME, cells: {}, seqNumbers: { 2: big }, topUpSeqNumber: 1n, alertCounter: 0n });
      expect(security.getDeviceSecurity(ESME)).toEqual({ deviceEui: ESME, cells: {}, seqNumbers: { 2: big }, topUpSeqNumber: 1n, alertCounter: 0n });
      expect(worldDbError(() => security.updateDeviceSecurity({ deviceEui: '00DB123456780002', cells: {}, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n }))).toEqual({
        code: 'unknown-device',
        message: 'no trust-anchor cells stored for device 00DB123456780002',
      });
    });
  });

  describe('the WorldStore facade', () => {
    it('one transaction spans every concern store: a failure undoes all of it and tells the rollback listeners', () => {
      const store = new WorldStore(fresh());
      let rollbacks = 0;
      store.onRollback(() => rollbacks++);
      expect(() =>
        store.transaction(() => {
          store.parties.insertParty(party(SUPPLIER, 'Supplier A'));
          store.smki.putCertificate(certificate('0A1B', '2587'));
          store.setMeta('clock', 'x');
          throw new Error('refused');
        }),
      ).toThrow('refused');
      expect(rollbacks).toBe(1);
      expect(store.getParty(SUPPLIER)).toBeUndefined();
      expect(store.searchCertificates({})).toEqual([]);
      expect(store.getMeta('clock')).toBeUndefined();
    });

    it("a rider's writes go in with the next transaction, wait for another if that one rolls back, and are told once committed", () => {
      const store = new WorldStore(fresh());
      let work = 0;
      let committed = 0;
      store.ride({ work: () => (work++, store.setMeta('rider', `run ${work}`)), committed: () => committed++ });
      expect(store.getMeta('rider')).toBeUndefined(); // no transaction of its own
      expect(() =>
        store.transaction(() => {
          store.setMeta('request', 'refused');
          throw new Error('refused');
        }),
      ).toThrow('refused');
      // its work comes at the end of a transaction, so one refused before it did none of it
      expect([store.getMeta('rider'), store.getMeta('request'), work, committed]).toEqual([undefined, undefined, 0, 0]);
      // nested transactions carry nothing: the rider goes with the outermost, and at its end
      store.transaction(() => {
        store.transaction(() => store.setMeta('request', 'acted on'));
        expect(store.getMeta('rider')).toBeUndefined();
      });
      expect([store.getMeta('rider'), store.getMeta('request'), committed]).toEqual(['run 1', 'acted on', 1]);
      store.transaction(() => store.setMeta('later', 'x'));
      expect([work, committed]).toEqual([1, 1]); // gone once committed

      // a rider whose writes fail (a full disk) fails the transaction it rode, and rides the next
      let failing = true;
      store.ride({
        work: () => {
          store.setMeta('second rider', 'written');
          if (failing) throw new Error('disk full');
        },
        committed: () => committed++,
      });
      expect(() => store.transaction(() => store.setMeta('request', 'third'))).toThrow('disk full');
      expect([store.getMeta('second rider'), store.getMeta('request'), committed]).toEqual([undefined, 'acted on', 1]);
      failing = false;
      store.transaction(() => store.setMeta('request', 'fourth'));
      expect([store.getMeta('second rider'), store.getMeta('request'), committed]).toEqual(['written', 'fourth', 2]);
    });
  });
});

describe('SMKI repository on a SQLite world file', () => {
  it("sees a certificate revoked by another connection (a CLI beside a served world) from the next task on", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dcc-sim-smki-'));
    const file = path.join(dir, 'world.db');
    const served = openWorldDb(file, { create: true });
    const cli = openWorldDb(file);
    try {
      const smki = new SmkiRepository(served);
      const c = certificate('0A1E', '2590');
      const id = smki.putCertificate(c);
      expect(smki.getCertificateByFingerprint(c.fingerprint)?.revokedAt).toBeNull();
      expect(smki.certificatesBySerial('2590')[0]?.revokedAt).toBeNull();
      expect(smki.getCertificateByFingerprint(c.fingerprint)).toBe(smki.getCertificateByFingerprint(c.fingerprint)); // kept, not read again
      expect(new SmkiRepository(cli).revokeCertificate(id, '2026-12-02T00:00:00Z', 'keyCompromise')).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(smki.getCertificateByFingerprint(c.fingerprint)?.revokedAt).toBe('2026-12-02T00:00:00Z');
      expect(smki.certificatesBySerial('2590')[0]?.revokedAt).toBe('2026-12-02T00:00:00Z');
    } finally {
      cli.close();
      served.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
