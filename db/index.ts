// The world store: one SQLite file holds the SMKI repository, registration data, the inventory
// and every device's trust-anchor cells. One store per concern; WorldStore is their facade.
export { openSqlite, WorldDbError } from './world-db.ts';
export { openWorldDb, postgresOf } from './open-world.ts';
export { isPostgresUrl, PgStoreError, postgresWorldExists, dropPostgresWorld } from './postgres/index.ts';
export type { PgDatabase, PgNotification } from './postgres/index.ts';
export { PgListener } from './postgres/index.ts';
export type { SqliteDatabase, OpenOptions } from './world-db.ts';
export { WorldStore, type Rider } from './store.ts';
export { MetaStore } from './meta-store.ts';
export { PartyStore, USER_ROLES } from './party-store.ts';
export type { Party, PartyFlags, UserRole } from './party-store.ts';
export { noCertificateCache, SmkiRepository } from './smki-repository.ts';
export type { CertificateRecord, NewCertificate, CertificateQuery } from './smki-repository.ts';
export { RegistrationStore } from './registration-store.ts';
export type { Distributor, SupplyPoint } from './registration-store.ts';
export { InventoryStore, INVENTORY_STATUSES } from './inventory-store.ts';
export type {
  DeviceType,
  DeviceStatus,
  DeviceRecord,
  DeviceFilter,
  DeviceSearch,
  DeviceSearchPage,
  DeviceSearchRow,
  DeviceComplianceState,
} from './inventory-store.ts';
export { DeviceSecurityStore, CELL_NAMES, CELL_COLUMN } from './device-security-store.ts';
export type { DeviceSecurityRecord, KeyGenerations, PendingCommandRecord, CellColumnName } from './device-security-store.ts';
export { FleetLoader, startBulkLoad } from './fleet-loader.ts';
export type { DeviceModel, FleetPremises } from './fleet-loader.ts';
export { GatewayStore, deliveryStatus, inboxEntry } from './gateway-store.ts';
export { ScheduleStore } from './schedule-store.ts';
export type { ScheduleRecord } from './schedule-store.ts';
export { InventoryChanges } from './inventory-changes.ts';
export type { InventoryDetails, AddedDevice } from './inventory-changes.ts';
export type {
  RequestLogEntry,
  RequestLogRecord,
  RequestLogFilter,
  PreCommandRecord,
  LocalResponseRecord,
  OutboxEntry,
  OutboxRecord,
  UndeliverableReason,
  InboxFilter,
  InboxCounts,
} from './gateway-store.ts';
export { ComplianceStore, NON_COMPLIANCE_REASONS } from './compliance-store.ts';
export type {
  ComplianceState,
  NonComplianceReason,
  ComplianceScope,
  ComplianceCountRow,
  DeviceComplianceRow,
  DeviceListQuery,
  HeldCertificateDevice,
  CeaseResult,
} from './compliance-store.ts';
export { isStorageFault, storageFaultReason } from './storage-fault.ts';
export { FaultStore, FAULT_KINDS } from './fault-store.ts';
export type { Fault, FaultKind } from './fault-store.ts';
export { startCheckpointer } from './checkpointer.ts';
export type { Checkpointer, CheckpointerOptions, WriteGate } from './checkpointer.ts';
export { ADVISORY_LOCKS, connectPostgres, copyWorld, createDatabase, databaseOf, databaseUrl, dropDatabase } from './postgres/index.ts';
