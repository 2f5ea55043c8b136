/**
 * What a DUIS service module is: everything about one service request variant in one place — its
 * facts (from the DUIS service matrix), its body element, where each CommandVariant is served, which
 * devices it reaches, its own pipeline checks, the state its handler needs and the handler itself.
 * The registry (registry.ts) lists the modules; everything that switches on a service asks it.
 */
import type { KeyObject } from 'node:crypto';
import type { CertificateFacts, DeviceType, Eui, KeyUsage, UserRole } from '../pki/index.ts';
import type { BodyCodec, DuisEnvelope, InventoryQuery, RequestBody, ResponseContent, ServiceFacts } from './duis/index.ts';
import type { Step } from './pipeline/step.ts';
import type { CommandTime, GbcsCommand } from './services/device-command.ts';
import type {
  DeviceInfo, InventoryEntry, PartyInfo, RepositoryCertificate, SupplyPointInfo,
} from './ports.ts';

export type Endpoint = 'serviceS' | 'serviceT' | 'serviceD';

/** The GBCS version dcc-sim's emulated devices speak (DUIS 5.4 goes with GBCS 4.x): pre-commands name it. */
export const GBCS_VERSION = '4.2';

/** One record of the request log's pipeline trace. */
export interface StepRecord {
  step: string;
  ok: boolean;
  detail: string;
  /** time spent in this step, milliseconds (the console's timeline and the bench's stage profile) */
  ms?: number;
}

export interface ReplacementCertificate {
  slot: 'DS' | 'KA' | 'KA-TopUp';
  facts: CertificateFacts;
}

/** A request the pipeline accepted, with what its checks established. */
export interface ValidatedRequest<B extends RequestBody = RequestBody> {
  request: DuisEnvelope<B>;
  service: ServiceModule;
  signer: CertificateFacts;
  sender: PartyInfo;
  device?: DeviceInfo;
  supplyPoint?: SupplyPointInfo;
  /** 6.15.1 / 6.21: the parsed, checked replacement certificates */
  replacements?: ReplacementCertificate[];
  certificationPath?: CertificateFacts[];
  trace: StepRecord[];
}

/** The registration facts a device service authorises its sender against (the 'registration' step). */
export interface RegistrationCheck {
  sender: PartyInfo;
  device: DeviceInfo;
  /** the registration data of the device's MPxN; absent when it has none */
  supplyPoint: SupplyPointInfo | undefined;
  /** the sender is the registered supplier of that MPxN in the fuel's supplier role */
  isSupplier: boolean;
  /** the sender is the registered network operator of that MPxN in the fuel's network role */
  isNetworkOperator: boolean;
  /** whether the device's network operator DS cell holds the sender's certificate (MP128A), looked up when asked */
  holdsNetworkOperatorCell(): boolean;
  /** 'MPAN 1234567890123' or 'MPRN 1234567': the supply point, for reasons */
  who: string;
  /** refuses with E4 unless the sender is the registered supplier */
  needSupplier(): void;
  /** refuses with E4 unless the sender is the registered network operator */
  needNetworkOperator(): void;
  fail(code: string, reason: string): never;
}

/** How a device service reaches its target. */
export interface DeviceTargeting<B extends RequestBody> {
  /** inventory statuses at which the service reaches the device */
  statuses: readonly string[];
  /** true, or why this device type cannot take the request (E11) */
  suits(body: B, type: DeviceType): true | string;
  /** may the device be commanded without registration data (MPxN)? */
  withoutRegistration?(device: DeviceInfo): boolean;
  /** the sender's authority over the device (E4 when it has none) */
  authorise(body: B, r: RegistrationCheck): void;
}

/**
 * The state a handler declares it needs; the shell loads exactly this (inside the request's
 * transaction) and hands it over as HandlerState.
 */
export interface StateNeeds {
  /** the inventory entries matching a query (at most 17) */
  inventory?: InventoryQuery;
  /** inventory rows by EUI */
  inventoryDevices?: readonly Eui[];
  /** registration data of an MPxN (null when unknown) */
  supplyPoint?: string;
  /** the pre-command issued for this RequestID */
  preCommand?: true;
  /** the originator's organisation certificates of these roles and usage */
  organisationCertificates?: { roles: readonly number[]; usage: KeyUsage };
  /** the next ACB originator counter: the DCC originates the command */
  acbCounter?: true;
  /** the next originator counter of another of the DCC's parties that originates the command */
  dccCounter?: 'TransCoS';
  /**
   * The DCC party whose certificate this cell of the target device holds, with its key: the DCC
   * signs as the party the device trusts (e.g. the Transitional CoS party for 6.23).
   */
  signerForCell?: 'transitionalCoSDS';
  /** the target device's key-agreement public key, for the ACB MAC */
  deviceKeyAgreement?: true;
  /** DCC schedules (5.x): by DSPScheduleID or by device; `newId` also asks for the ID a new schedule gets */
  schedules?: { id?: number; deviceEui?: Eui; newId?: true };
  /** another device's key-agreement certificate from the SMKI repository (8.7: a method C join carries it) */
  deviceCertificateOf?: Eui;
  /**
   * What the DCC holds of another device's state, by application-state section (8.12.1: the old comms hub's
   * device log, which the DCC has from the hub's CS14 alerts)
   */
  deviceStateOf?: { eui: Eui; section: string };
  /** the comms hub a GPF already belongs to (12.2: a GPF is the other half of one hub) */
  commsHubOfGpf?: Eui;
}

export interface IssuedPreCommand {
  targetEui: Eui;
  serviceVariant: string;
  payload: Buffer;
  consumed: boolean;
}

export interface HandlerState {
  inventory?: InventoryEntry[];
  /** by EUI; absent from the map when not in the inventory */
  inventoryDevices?: ReadonlyMap<Eui, InventoryEntry>;
  supplyPoint?: SupplyPointInfo | null;
  preCommand?: IssuedPreCommand;
  organisationCertificates?: ReadonlyMap<number, RepositoryCertificate[]>;
  acbCounter?: bigint;
  dccCounter?: bigint;
  /** null when the cell is empty or the world holds no key for its certificate */
  cellSigner?: { eui: Eui; key: KeyObject } | null;
  deviceKeyAgreement?: Uint8Array;
  /** the schedules asked for, and the ID a new one would get */
  schedules?: { found: ScheduleInfo[]; newId?: number };
  /** DER; absent when that device is not in the inventory */
  deviceCertificate?: Buffer;
  /** the section asked for by deviceStateOf; undefined when the device has none */
  deviceState?: unknown;
  /** the hub asked for by commsHubOfGpf; null when no hub has that GPF */
  commsHubOfGpf?: Eui | null;
}

/** A DCC schedule as the DCC keeps it (5.1 makes it, 5.2 reads it, 5.3 deletes it). */
export interface ScheduleInfo {
  id: number;
  originatorEui: Eui;
  deviceEui: Eui;
  serviceVariant: string;
  /** the CreateSchedule body, as its module keeps it (JSON) */
  details: string;
  nextRunAt: string;
}

/** A change to the DCC's schedules, committed with the request. */
export type ScheduleChange = { kind: 'add'; schedule: ScheduleInfo } | { kind: 'delete'; id: number };

/** The DCC's own GBCS credentials, lent to handlers of commands the DCC originates or MACs. */
export interface DccCapability {
  acbEui: Eui;
  acbDsKey: KeyObject;
  acbKaKey: KeyObject;
  now: Date;
}

/** A change to the smart metering inventory, committed with the request. */
export type InventoryChange =
  | { kind: 'add'; device: NewInventoryDevice }
  | { kind: 'update'; eui: Eui; set: InventoryUpdate }
  | { kind: 'delete'; eui: Eui };

export interface NewInventoryDevice {
  eui: Eui;
  type: DeviceType;
  status: string;
  manufacturer: string;
  model: string;
  firmware: string;
  smetsChtsVersion?: string;
  esmeVariant?: string;
  /** a GSME's GPF, or a comms hub's own GPF (the other half of the hub) */
  associatedGpf?: Eui;
  /** the party that pre-notified it: it manages the device until an MPxN names a supplier */
  addedBy: Eui;
}

export interface InventoryUpdate {
  status?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  smetsChtsVersion?: string;
  esmeVariant?: string;
  mpxn?: string;
  secondaryImportMpan?: string;
  exportMpan?: string;
  commissionedAt?: string | null;
  /** the comms hub a meter is served by (8.14.1/8.14.2 link the meters at the hub's MPxN) */
  commsHubEui?: Eui | null;
  /** a comms hub's SM WAN state (8.14.1 Connected, 8.14.2 NoSMWAN) */
  smWan?: 'Connected' | 'NoSMWAN';
}

/** What a handler decides; the shell carries it out in one transaction. */
export interface ServiceOutcome {
  /** the request log's record of what the DCC did (e.g. 'command', 'inventory', 'pre-command') */
  step: { name: string; detail: string };
  /** the synchronous answer: I0 with content when the DCC answers, I99 when a device command follows */
  answer: { responseCode: string; content?: ResponseContent };
  /** a GBCS command (signed or MAC'd as it must travel) for the target device */
  command?: Buffer;
  /** the RequestID counter becomes the originator's last (every request but a signed pre-command's leg) */
  advanceCounter: boolean;
  preCommand?: { issue: Buffer } | { consume: true };
  inventory?: readonly InventoryChange[];
  /** inventory changes that follow from what the device did with the command (the cells it changed); committed with it */
  afterDevice?(changedCells: readonly string[]): readonly InventoryChange[];
  schedules?: readonly ScheduleChange[];
  /**
   * Inventory changes that follow from the device carrying the command out (8.1.1: Commissioned once the
   * device has set its clock): made in the request's transaction when the device's response arrives and
   * `succeeded` accepts it; never when the device discards the command or holds it for later.
   */
  onDeviceResponse?: { inventory: readonly InventoryChange[]; succeeded(response: Buffer): boolean; detail: string };
  /**
   * What the DCC puts into devices' memory other than by a command: 11.1 distributes a firmware image over
   * the WAN and HAN (GBCS CS05, which RTDS does not show), and the device finds it there when told to
   * activate it. `update` gets the device's application-state section (undefined when absent).
   */
  deviceTransfers?: readonly { eui: Eui; section: string; update(current: unknown): unknown }[];
}

/** What an example builder may know of the world: a device, its registration, the parties' certificates. */
export interface ExampleContext {
  /** the EUI asked for; `device` is its inventory row, absent for a device not (yet) in the inventory */
  eui: Eui;
  device?: { eui: Eui; type: DeviceType; status: string; mpxn: string | null };
  /** the device's registration data; absent when it has no MPxN */
  supplyPoint?: { mpxn: string; supplierEui: Eui | null; networkOperatorEui: Eui };
  /** an ESME's export MPAN and its registered supplier (the Export Supplier); absent when it has none */
  exportSupplyPoint?: { mpxn: string; supplierEui: Eui | null };
  /** the CA certificates a replacement certificate's path needs */
  certificationPath: Buffer[];
  /** a party's current (newest, unrevoked) organisation certificates of a role */
  currentCertificates(eui: Eui, role: number): { ds?: Buffer; ka?: Buffer; kaTopUp?: Buffer };
  /** a freshly issued organisation certificate of the party (its new credentials) */
  issueCertificate(eui: Eui, role: number, usage: KeyUsage): Buffer;
  /** MP128B: whether this gas network operator's certificates may go into a GPF's network operator cells */
  mayHoldGpfNetworkOperatorCells(eui: Eui): boolean;
  /** a DCC User holding this user role, for services any such User may send */
  partyWithRole(role: UserRole): Eui | undefined;
  /** a device of this type served by the same comms hub (8.7/8.8: the device to join or unjoin) */
  sameHub(type: DeviceType): Eui | undefined;
  /** the party that pre-notified the device (12.2), when it has no MPxN: it answers for it (8.14.x) */
  preNotifiedBy?: Eui;
  /** an MPxN the supplier is registered for: a premises it may install a comms hub at (8.14.1, 8.14.2) */
  supplyPointOf?(supplier: Eui): string | undefined;
  /** a HAN device pre-notified (12.2) and in no hub's device log yet: one a hub's log may take (8.11) */
  preNotifiedHanDevice?(): Eui | undefined;
  /** the party whose certificate the device's load controller DS cell holds: the only one it takes 7.16 from */
  loadController?(): Eui | undefined;
  /** the comms hub or GPF this one replaced at its premises, withdrawn, whose device log the DCC still holds (8.12.x) */
  replaced?(): Eui | undefined;
  /**
   * A device certificate for a key pair the device generated on 6.17 (CS02c), issued by the world's device CA as the
   * SMKI issues one on the supplier's device CSR; undefined when the device has generated none (6.15.2 places it)
   */
  generatedKeyCertificate?(): Buffer | undefined;
  /** the device's newest response to a command delivered to it locally (CV 2, 3), with the request that obtained it (8.13) */
  locallyDeliveredResponse?(): { requestId: string; response: Buffer } | undefined;
  /** why no example can be made for this device */
  fail(code: string, reason: string): never;
}

/** A ready-to-send (unsigned) request: newcomers and trainees start from one. */
export interface ExampleRequest<B extends RequestBody> {
  originator: Eui;
  target: Eui;
  commandVariant: number;
  body: B;
}

export type ExamplePreference = 'hanDevice' | 'replacement' | 'generatedKey' | 'localResponse';

export interface ExampleBuilder<B extends RequestBody> {
  /** the CLI's word for it: `dcc-sim example <name>` */
  name: string;
  /** the example is for a device not yet in the inventory (12.2) */
  newDevice?: boolean;
  /** the example is for a device the DCC controls, the ACB's certificate in its supplier DS cell (6.21 hands it over) */
  dccControlled?: boolean;
  /** the inventory status the example's device has (8.6 opts a Withdrawn meter back in) */
  deviceStatus?: string;
  /** the example is for a comms hub pre-notified by a supplier and not yet commissioned (8.14.x) */
  preNotifiedHub?: boolean;
  /** the example is for a device that names a load controller in its cells (7.16) */
  loadControlled?: boolean;
  /**
   * what the example's device must have for it to be carried out, so that a device with it is picked: a PPMID or an
   * HCALCS on its comms hub (8.7.1, 8.8.1), a hub or GPF it replaced (8.12.x), a key pair generated by 6.17 (6.15.2),
   * an answer to a command delivered to it locally (8.13)
   */
  prefers?: ExamplePreference;
  build(ctx: ExampleContext, options: { role?: 'Supplier' | 'NetworkOperator' }): ExampleRequest<B>;
}

/** A field of a request body as the console shows it: text, a certificate, or GBCS to annotate. */
export type BodyField =
  | { label: string; value: string }
  | { label: string; certificate: Buffer | undefined }
  | { label: string; gbcs: Buffer; title: string };

/** A service request variant, whole. */
export interface ServiceModule<B extends RequestBody = RequestBody> extends ServiceFacts {
  /** what the console, the scenarios and the CLI call it */
  displayName: string;
  body: BodyCodec<B>;
  example?: ExampleBuilder<B>;
  /** the body's fields for the console's request view */
  describe?(body: B): BodyField[];
  /** the CommandVariants DUIS defines for it (a request with another is refused when parsed, E12) */
  commandVariants: readonly number[];
  /** the CommandVariants dcc-sim serves and the endpoint each belongs on */
  endpoints: Readonly<Partial<Record<number, Endpoint>>>;
  /**
   * The leg that completes a critical service: its RequestID is the pre-command's, matched to the
   * pre-command issued for it (refused with `refusalCode` when there is none or it was used).
   */
  completesPreCommand?: { refusalCode: string };
  /**
   * The DCC itself (its ACB EUI, signing with its DSP XML-signing certificate) may send it, as RTDS's
   * DCC-originated templates do; it is not a DCC User and holds no user role.
   */
  dccMayOriginate?: boolean;
  /**
   * The user roles dcc-sim accepts for a service whose DUIS matrix row lists none (8.5, 8.6): its own
   * documented choice; `userRoles` stays the matrix's.
   */
  assumedUserRoles?: readonly UserRole[];
  /** device services: how the target is reached; absent for non-device services (answered by the DCC) */
  device?: DeviceTargeting<B>;
  /** the service's own checks, run after the common ones in this order */
  steps?: readonly Step[];
  /** GBCS message codes of the commands it sends (to name the service of a future-dated command's alert) */
  messageCodes?: readonly number[];
  needs?(v: ValidatedRequest<B>): StateNeeds;
  handle(v: ValidatedRequest<B>, state: HandlerState, dcc: DccCapability): ServiceOutcome;
  /**
   * Device services made with deviceCommandService: the GBCS command a body becomes on a device type. The DCC
   * runs it for the reads it sends on a schedule (5.1) or holds until their time (DSP future-dated).
   */
  gbcs?: { command(body: B, type: DeviceType, at: CommandTime): GbcsCommand | string };
  /**
   * The asynchronous answer's content when the device responds, given the response and the command sent
   * (default: the response as GBCSPayload); e.g. 9.1 adds the CIN it set (CINMessage).
   */
  deviceResponseContent?(response: Buffer, command: Buffer): ResponseContent;
}
