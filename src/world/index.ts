// The world: one SQLite file holding the SMKI, the parties, registration data and the fleet, and
// what is built on it (seeding, views, the world's SMKI service, its simulated clock, examples).
// The door of src/world/: other folders import only this file.
export { World, WorldError, META } from './world.ts';
export type { DeviceKeys, DeviceCredentialRecords, RootContingencyKey } from './world.ts';
export { SimulatedClock, parseDuration, CLOCK_MIN, CLOCK_MAX } from './clock.ts';
export { DCC, DNOS, dnoEui, GAS_TRANSPORTERS, LOAD_CONTROLLER, OTHER_USER, SUPPLIERS } from './catalogue.ts';
export type { DnoEntry, GasTransporterEntry, SupplierEntry } from './catalogue.ts';
export { MpxnError, isMpanCore, parseMpanCore, parseMprn, makeMpanCore, makeMprn, distributorIdOf, mpanCheckDigit, mprnCheckDigits } from './mpxn.ts';
export { seedDemoWorld } from './seed-demo.ts';
export type { DemoSeedOptions, SeedSummary } from './seed-demo.ts';
export { seedZaz1World, readIssuingCa, ZAZ1_SUPPLIER, ZAZ1_NETWORK_OPERATOR, ZAZ1_DSP_XML_SIGNING_SERIAL, ZAZ1_MPAN } from './seed-zaz1.ts';
export type { Zaz1SeedOptions } from './seed-zaz1.ts';
export { summariseCertificate, deviceView } from './views.ts';
export type { CertificateSummary, CellView, DeviceView } from './views.ts';
export { exportKeystore } from './keystore.ts';
export { issueOrganisationCertificateFor, revokeCertificate } from './smki.ts';

// examples.ts builds DUIS with service-requests (~0.8 s of imports): behind a loader, so that what
// imports this door (every CLI command) does not pay for it until it builds an example.
export type { ExampleKind } from './examples.ts';
export const loadExamples = () => import('./examples.ts');
