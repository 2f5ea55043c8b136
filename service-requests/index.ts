// The DUIS side of the DCC: parsing and signing DUIS XML, the validation pipeline, and one
// builder per service turning an accepted request into what the DCC does with it.
export * from './duis/index.ts';
export { validateRequest, prevalidateRequest, GatewayRejection, DCC_ACB } from './pipeline.ts';
export type { Endpoint, StepRecord, ValidatedRequest, ReplacementCertificate, ValidateOptions, Prevalidation, PrevalidateOptions } from './pipeline.ts';
export { buildPreCommand, completeSignedPreCommand, buildHandoverCommand, buildReadCredentialsCommand } from './services.ts';
export { Codes, Codes0615, Codes0621, Codes0802 } from './codes.ts';
export type {
  GatewayPorts,
  GatewayOptions,
  PartyInfo,
  DeviceInfo,
  SupplyPointInfo,
  RepositoryCertificate,
  InventoryEntry,
  DccCredentials,
  UserRole,
} from './ports.ts';
