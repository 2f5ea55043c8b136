// The world store facade: a store per concern over one open world file, and the transaction
// boundary they share. Rows use the domain's words; the SQL stays in the concern stores.
import type { SqliteDatabase } from './world-db.ts';
import type { WriteGate } from './checkpointer.ts';
import { MetaStore } from './meta-store.ts';
import { PartyStore, type Party, type PartyFlags } from './party-store.ts';
import { SmkiRepository, type CertificateQuery, type CertificateRecord, type NewCertificate } from './smki-repository.ts';
import { RegistrationStore, type Distributor, type SupplyPoint } from './registration-store.ts';
import { InventoryStore, type DeviceFilter, type DeviceRecord, type DeviceSearch, type DeviceSearchPage } from './inventory-store.ts';
import { FaultStore } from './fault-store.ts';
import { DeviceSecurityStore, type DeviceSecurityRecord, type KeyGenerations, type PendingCommandRecord } from './device-security-store.ts';

/** Work that rides the next write transaction (WorldStore.ride). */
export interface Rider {
  /** its writes, inside the transaction (run again in a later one if this one rolls back) */
  work(): void;
  /** after the transaction has committed */
  committed(): void;
}

/**
 * The world's queries. One instance per open database; statements are prepared once. The methods
 * below delegate to the concern stores; a caller that needs one concern can take just that store
 * (`store.parties`, or `new PartyStore(db)`).
 */
export class WorldStore {
  readonly meta: MetaStore;
  readonly parties: PartyStore;
  readonly smki: SmkiRepository;
  readonly registration: RegistrationStore;
  readonly inventory: InventoryStore;
  readonly security: DeviceSecurityStore;
  readonly faults: FaultStore;

  constructor(readonly db: SqliteDatabase) {
    this.meta = new MetaStore(db);
    this.parties = new PartyStore(db);
    this.smki = new SmkiRepository(db);
    this.registration = new RegistrationStore(db);
    this.inventory = new InventoryStore(db);
    this.security = new DeviceSecurityStore(db);
    this.faults = new FaultStore(db);
  }

  private readonly rollbackListeners: (() => void)[] = [];

  /**
   * One transaction function, made once and given the work as its argument: better-sqlite3 makes four wrappers
   * and defines five properties on each for every transaction function made, a few per request. Made again if
   * the database's transaction() is replaced (a speculating worker's recorder, src/dcc/speculation.ts).
   * IMMEDIATE: the write lock is taken (waited for) before anything is read. The checkpointer thread holds it
   * while it starts the WAL over (db/checkpointer.ts), and a transaction that had read first would then be
   * refused (SQLITE_BUSY) rather than wait.
   */
  private runner?: { of: unknown; run: (work: () => unknown) => unknown };

  private gate?: WriteGate;
  private riders: Rider[] = [];

  /**
   * Writes that may wait for the next outermost write transaction, whoever opens it (most often a request's),
   * rather than pay a commit of their own: `work` runs at its end, `committed` once it has committed. If that
   * transaction rolls back, the rider waits for the next one. The rider opens none itself: whoever rides
   * makes sure one comes (an empty transaction carries the riders waiting). A rider's failure (a full disk)
   * fails the transaction it rides, as that transaction's own writes would have.
   */
  ride(rider: Rider): void {
    this.riders.push(rider);
  }

  /** Served: the checkpointer thread's write gate, passed by each outermost transaction (db/checkpointer.ts). */
  gateWrites(gate: WriteGate | undefined): void {
    this.gate = gate;
  }

  transaction<T>(fn: () => T): T {
    if (this.runner?.of !== this.db.transaction) this.runner = { of: this.db.transaction, run: this.db.transaction((work: () => unknown) => work())[this.db.readonly ? 'deferred' : 'immediate'] };
    const outermost = !this.db.inTransaction;
    const gate = outermost ? this.gate : undefined;
    const riders = outermost && this.riders.length > 0 ? this.riders.splice(0) : undefined;
    gate?.enter();
    let result: T;
    try {
      result = this.runner.run(
        riders
          ? () => {
            const r = fn();
            for (const rider of riders) rider.work();
            return r;
          }
          : fn,
      ) as T;
    } catch (e) {
      if (riders) this.riders.unshift(...riders);
      // Rows inserted in the transaction are gone and their ids (rowids) will be handed out again:
      // whoever cached something by id must forget it.
      for (const listener of this.rollbackListeners) listener();
      throw e;
    } finally {
      gate?.leave();
    }
    if (riders) for (const rider of riders) rider.committed();
    return result;
  }

  /** Called after any transaction (or nested savepoint) made through transaction() rolls back. */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  // --- world meta ---------------------------------------------------------------------------
  getMeta(key: string): string | undefined {
    return this.meta.getMeta(key);
  }

  setMeta(key: string, value: string): void {
    this.meta.setMeta(key, value);
  }

  // --- parties ------------------------------------------------------------------------------
  insertParty(p: Party): void {
    this.parties.insertParty(p);
  }

  getParty(eui: string): Party | undefined {
    return this.parties.getParty(eui);
  }

  listParties(): Party[] {
    return this.parties.listParties();
  }

  setResponseUrl(eui: string, url: string | null): void {
    this.parties.setResponseUrl(eui, url);
  }

  setDccUser(eui: string, dccUser: boolean): void {
    this.parties.setDccUser(eui, dccUser);
  }

  /** Sets the flags given (others unchanged); throws WorldDbError('unknown-party') for an unknown EUI. */
  setPartyFlags(eui: string, flags: PartyFlags): void {
    this.parties.setPartyFlags(eui, flags);
  }

  // --- SMKI repository ----------------------------------------------------------------------
  /** Stores a certificate once (by fingerprint) and returns its id. */
  putCertificate(c: NewCertificate): number {
    return this.smki.putCertificate(c);
  }

  getCertificate(id: number): CertificateRecord | undefined {
    return this.smki.getCertificate(id);
  }

  getCertificateByFingerprint(fingerprint: string): CertificateRecord | undefined {
    return this.smki.getCertificateByFingerprint(fingerprint);
  }

  certificatesBySerial(serialDecimal: string): CertificateRecord[] {
    return this.smki.certificatesBySerial(serialDecimal);
  }

  certificateIdsBySerial(serialDecimal: string): { id: number; revoked: boolean }[] {
    return this.smki.certificateIdsBySerial(serialDecimal);
  }

  searchCertificates(q: CertificateQuery): CertificateRecord[] {
    return this.smki.searchCertificates(q);
  }

  revokeCertificate(id: number, at: string, reason: string): boolean {
    return this.smki.revokeCertificate(id, at, reason);
  }

  putPrivateKey(certificateId: number, pkcs8: Buffer): void {
    this.smki.putPrivateKey(certificateId, pkcs8);
  }

  getPrivateKey(certificateId: number): Buffer | undefined {
    return this.smki.getPrivateKey(certificateId);
  }

  getDeviceCredentialIds(eui: string): { ds: number; ka: number } | undefined {
    return this.smki.getDeviceCredentialIds(eui);
  }

  putDeviceCredentialIds(eui: string, ds: number, ka: number): void {
    this.smki.putDeviceCredentialIds(eui, ds, ka);
  }

  /** Makes `certificateId` the device's current certificate of that usage (after it generated a new key pair). */
  setDeviceCredentialId(eui: string, usage: 'DS' | 'KA', certificateId: number): void {
    this.smki.setDeviceCredentialId(eui, usage, certificateId);
  }

  // --- registration data --------------------------------------------------------------------
  insertDistributor(d: Distributor): void {
    this.registration.insertDistributor(d);
  }

  getDistributor(id: string): Distributor | undefined {
    return this.registration.getDistributor(id);
  }

  listDistributors(): Distributor[] {
    return this.registration.listDistributors();
  }

  insertSupplyPoint(s: SupplyPoint): void {
    this.registration.insertSupplyPoint(s);
  }

  getSupplyPoint(mpxn: string): SupplyPoint | undefined {
    return this.registration.getSupplyPoint(mpxn);
  }

  supplyPointOfSupplier(supplierEui: string): string | undefined {
    return this.registration.supplyPointOfSupplier(supplierEui);
  }

  setNetworkOperator(mpxn: string, networkOperatorEui: string): void {
    this.registration.setNetworkOperator(mpxn, networkOperatorEui);
  }

  setSupplier(mpxn: string, supplierEui: string): void {
    this.registration.setSupplier(mpxn, supplierEui);
  }

  // --- inventory ----------------------------------------------------------------------------
  insertDevice(d: DeviceRecord): void {
    this.inventory.insertDevice(d);
  }

  getDevice(eui: string): DeviceRecord | undefined {
    return this.inventory.getDevice(eui);
  }

  listDevices(f: DeviceFilter = {}): { total: number; devices: DeviceRecord[] } {
    return this.inventory.listDevices(f);
  }

  searchDevices(f: DeviceSearch): DeviceSearchPage {
    return this.inventory.searchDevices(f);
  }

  devicesAtSupplyPoint(mpxn: string): DeviceRecord[] {
    return this.inventory.devicesAtSupplyPoint(mpxn);
  }

  /** Devices at the supply points of a property (UPRN): the comms hub is found through its meters. */
  devicesAtUprn(uprn: number): DeviceRecord[] {
    return this.inventory.devicesAtUprn(uprn);
  }

  devicesAtPostcode(postcode: string, address?: string): DeviceRecord[] {
    return this.inventory.devicesAtPostcode(postcode, address);
  }

  countDevices(): number {
    return this.inventory.countDevices();
  }

  // --- device security state ----------------------------------------------------------------
  insertDeviceSecurity(s: DeviceSecurityRecord): void {
    this.security.insertDeviceSecurity(s);
  }

  updateDeviceSecurity(s: DeviceSecurityRecord): void {
    this.security.updateDeviceSecurity(s);
  }

  /** Only the sequence numbers and counters (cells, key generations and contingency key as stored). */
  updateDeviceCounters(s: Pick<DeviceSecurityRecord, 'deviceEui' | 'seqNumbers' | 'topUpSeqNumber' | 'alertCounter'>): void {
    this.security.updateDeviceCounters(s);
  }

  /** Key pairs the device generated on command, per usage (CS02c); {} when none. */
  deviceKeyGenerations(eui: string): KeyGenerations {
    return this.security.keyGenerations(eui);
  }

  getDeviceSecurity(eui: string): DeviceSecurityRecord | undefined {
    return this.security.getDeviceSecurity(eui);
  }

  pendingCommands(eui: string): PendingCommandRecord[] {
    return this.security.pendingCommands(eui);
  }

  /** Replaces the device's held future-dated commands with the given set. */
  replacePendingCommands(eui: string, pending: Omit<PendingCommandRecord, 'deviceEui'>[]): void {
    this.security.replacePendingCommands(eui, pending);
  }

  devicesWithCommandsDue(at: string): string[] {
    return this.security.devicesWithCommandsDue(at);
  }

  devicesInPrepayment(): string[] {
    return this.security.devicesInPrepayment();
  }

  /** A device's application state (JSON text), undefined when no command has changed it. */
  getDeviceAppState(eui: string): string | undefined {
    return this.security.getDeviceAppState(eui);
  }

  putDeviceAppState(eui: string, json: string): void {
    this.security.putDeviceAppState(eui, json);
  }
}
