// The world store: one SQLite file holds the SMKI repository, registration data, the inventory
// and every device's trust-anchor cells.
export { openSqlite, WorldDbError } from './world-db.ts';
export type { SqliteDatabase, OpenOptions } from './world-db.ts';
export { WorldStore, CELL_NAMES, CELL_COLUMN, USER_ROLES } from './store.ts';
export type {
  Party,
  PartyFlags,
  UserRole,
  DeviceType,
  DeviceStatus,
  CertificateRecord,
  NewCertificate,
  CertificateQuery,
  Distributor,
  SupplyPoint,
  DeviceRecord,
  DeviceFilter,
  DeviceSearch,
  DeviceSearchPage,
  DeviceSearchRow,
  DeviceComplianceState,
  DeviceSecurityRecord,
  PendingCommandRecord,
  CellColumnName,
} from './store.ts';
export { FleetLoader, startBulkLoad } from './fleet-loader.ts';
export type { DeviceModel, FleetPremises } from './fleet-loader.ts';
export { GatewayStore } from './gateway-store.ts';
export { InventoryChanges } from './inventory-changes.ts';
export type { InventoryDetails, AddedDevice } from './inventory-changes.ts';
export type {
  RequestLogEntry,
  RequestLogRecord,
  RequestLogFilter,
  PreCommandRecord,
  OutboxEntry,
  OutboxRecord,
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
