// The DUIS side of the DCC: parsing and signing DUIS XML, the validation pipeline, and the service
// registry — one module per service request variant, each saying what the DCC makes of it.
export * from './duis/index.ts';
export { parseDuisRequest, buildRequest } from './request.ts';
export type { DuisRequest, BuildRequestInput } from './request.ts';
export { validateRequest, prevalidateRequest, GatewayRejection, refuse, COMMON_STEPS } from './pipeline/index.ts';
export type { Step, StepContext, ValidateOptions, Prevalidation, PrevalidateOptions } from './pipeline/index.ts';
export { SERVICES, serviceFor, serviceOfBody, serviceByVariant, serviceByExample, exampleNames, serviceCatalogue, serviceOfMessageCode, unreadService } from './registry.ts';
export type { ServiceBody, ServiceBodyKind } from './registry.ts';
export { GBCS_VERSION } from './service.ts';
export type {
  Endpoint, StepRecord, ValidatedRequest, ReplacementCertificate, ServiceModule, ServiceOutcome, StateNeeds, HandlerState, DccCapability,
  InventoryChange, NewInventoryDevice, InventoryUpdate, IssuedPreCommand, DeviceTargeting, RegistrationCheck, ExampleContext, ExampleRequest,
  ExampleBuilder, ExamplePreference, BodyField,
} from './service.ts';
export type { SecurityCredentialsFields } from './services/security-credentials.ts';
export { Codes, Codes0615, Codes0621, Codes0624, Codes0802 } from './codes.ts';
export type {
  GatewayPorts,
  GatewayOptions,
  PartyInfo,
  DeviceInfo,
  SupplyPointInfo,
  RepositoryCertificate,
  InventoryEntry,
  DccCredentials,
} from './ports.ts';
export type { UserRole } from '../pki/index.ts';
// DCC schedules (5.x): when a schedule's occurrences fall and the read each one makes (the DCC's runner asks)
export { nextOccurrence, scheduledRead } from './services/dcc-schedules.ts';
export { heldRequestOf } from './services/dsp-held.ts';
export type { ScheduleInfo, ScheduleChange } from './service.ts';
