/**
 * What the four Communications Hub Status Update variants (8.14.1 to 8.14.4) share: the XSD's
 * vocabularies, their response codes, the optional user reference fields, and the DCC's checks on
 * the hub. A hub's responsible supplier (the party that pre-notified it: a hub has no MPxN) reports
 * its installation, with or without SM WAN, or returns it to the DCC, faulty or not.
 *
 * What the DCC does with each (the shell commits it with the request):
 * - install success, SM WAN (8.14.1): the hub reached the SM WAN, so the DCC commissions it
 *   (Commissioned, dated), records its SM WAN as Connected and links the meters at the MPxN to it;
 *   its Gas Proxy Function, part of the same comms hub (paired with it by 12.2's AssociatedGPFDeviceID or
 *   the seed), is commissioned with it whichever MPxN the install names (dated: its 7-day
 *   post-commissioning clock starts). No other DUIS request commissions a GPF (8.1.1 sets a meter's
 *   clock; 8.4 commissions only a hub);
 * - install, no SM WAN (8.14.2): installed where there is no SM WAN yet: InstalledNotCommissioned,
 *   SM WAN NoSMWAN, meters linked, its GPF InstalledNotCommissioned too; an 8.14.1 once coverage
 *   arrives commissions both;
 * - fault return (8.14.3) and no-fault return (8.14.4): the hub goes back to the DCC: Withdrawn.
 */
import { DCC_EUI, dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { InventoryEntry } from '../ports.ts';
import type { ExampleContext, HandlerState, InventoryChange, ServiceOutcome, ValidatedRequest } from '../service.ts';
import { notResponsibleReason } from './responsible-supplier.ts';

const {
  Sequence, readBoolean, readDateTime, readEui, readString, readStringEnum, textEl, writeBoolean, writeDateTime, writeEnum, writeEui, writeString,
} = bodyKit;
type Element = ConstructorParameters<typeof Sequence>[0];

export const CHF_INSTALL_TYPES = ['New CHF Install', 'Replacement CHF Install', 'CHF Install - no SM WAN'] as const;
export const CHF_LOCATIONS = ['Outside Premises', 'Indoors on external wall', 'Deep indoors', 'Basement or Cellar'] as const;
export const PREMISE_TYPES = ['Detached / Semi Detached', 'Terraced', 'Low Rise Apartment (MDU <= 5 floors)', 'High Rise Apartment (MDU > 5 floors)'] as const;
export const CHF_FAULT_RETURN_TYPES = ['Fault identified prior to installation', 'Fault identified post installation'] as const;
export const CHF_CONNECTION_METHODS = ['Hot-shoe', 'Cradle', 'ESME'] as const;
export const CHF_FAULT_REASONS = [
  'Damaged case', 'Damaged Connector', 'Illegal interference or missing seals', 'Environmental conditions exceeded', 'SM WAN Fault',
  'SMHAN Interface Fault', 'LED Fault', 'Aerial fault', 'Manufacturing defect',
] as const;
export const CHF_NO_FAULT_RETURN_TYPES = [
  'No Fault Return (general)', 'No Fault Return (non-dom opt out)', 'No Fault Return (dual supplier HAN variant replacement)',
  'No Fault Return (SM WAN variant replacement requested by DCC)', 'Lost or Stolen Hub',
] as const;

/** dcc-sim's assignment of the E0814xx codes the 5.4 XSD defines, shared by 8.14.1 to 8.14.4 (the normative table was not available). */
export const Codes0814 = {
  notCommsHub: 'E081401', // the DeviceID is not a comms hub in the smart metering inventory
  hubStatus: 'E081402', // the hub's status does not allow the update (e.g. installing a Commissioned hub, returning a Withdrawn one)
  mpxn: 'E081405', // the MPxN is not in registration data, or the sender is not its registered supplier
  inconsistent: 'E081406', // a value that contradicts the variant or the hub (install type, fault return type)
} as const;

/** A hub may be reported installed until it is commissioned (8.14.2 then 8.14.1 when the SM WAN arrives). */
const INSTALLABLE = ['Pending', 'Whitelisted', 'InstalledNotCommissioned'];
/**
 * The hub's GPF follows the hub from these statuses. The hub's GPF is the one the inventory pairs with it;
 * for a hub pre-notified without AssociatedGPFDeviceID, the GPF at the MPxN the install names (a gas or
 * dual-fuel premises names its MPRN), as before pairing was recorded.
 */
const GPF_FOLLOWS_HUB = ['Pending', 'Whitelisted', 'InstalledNotCommissioned'];
/** A hub that never left the factory state, for a fault found before installation. */
const NOT_INSTALLED = ['Pending', 'Whitelisted'];
const RETURNABLE = ['Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Suspended', 'Recovered'];

/** The optional user reference fields, in the order the XSD has them after DeviceID and the type. */
export interface UserReference {
  dateTime?: Date;
  userRefId?: string;
}

/** Reads an optional xs:dateTime (InstallDateTime, UserRefDateTime) and UserRefID. */
export function readUserReference(s: InstanceType<typeof Sequence>, path: string, dateTimeEl: 'InstallDateTime' | 'UserRefDateTime'): UserReference {
  const out: UserReference = {};
  const dt = s.optional(dateTimeEl);
  if (dt) out.dateTime = readDateTime(dt, `${path}/sr:${dateTimeEl}`);
  const ref = s.optional('UserRefID');
  if (ref) out.userRefId = readString(ref, `${path}/sr:UserRefID`, 0, 25);
  return out;
}

export function writeUserReference(r: UserReference, dateTimeEl: 'InstallDateTime' | 'UserRefDateTime'): string {
  return (r.dateTime !== undefined ? textEl(dateTimeEl, writeDateTime(r.dateTime, `body.${dateTimeEl}`)) : '') +
    (r.userRefId !== undefined ? textEl('UserRefID', writeString(r.userRefId, 'body.userRefId', 0, 25)) : '');
}

/** The optional free text closing every variant's body (at most 200 characters). */
export function readAdditionalInformation(s: InstanceType<typeof Sequence>, path: string): string | undefined {
  const e: Element | undefined = s.optional('AdditionalInformation');
  return e ? readString(e, `${path}/sr:AdditionalInformation`, 0, 200) : undefined;
}

export function writeAdditionalInformation(text: string | undefined): string {
  return text === undefined ? '' : textEl('AdditionalInformation', writeString(text, 'body.additionalInformation', 0, 200));
}

type Fail = (code: string, reason: string) => never;

/** The hub the request names: a comms hub in the inventory whose responsible supplier sent it. */
function hubOf(v: ValidatedRequest, state: HandlerState, eui: Eui, fail: Fail): InventoryEntry {
  const hub = state.inventoryDevices!.get(eui) ?? fail(Codes0814.notCommsHub, `device ${dashedEui(eui)} is not in the smart metering inventory`);
  if (hub.type !== 'CHF') fail(Codes0814.notCommsHub, `${hub.type} ${dashedEui(eui)} is not a comms hub`);
  const notResponsible = notResponsibleReason(hub, v.sender);
  if (notResponsible) fail(Codes.notAuthorisedForDevice, notResponsible);
  return hub;
}

/** The fields 8.14.1 and 8.14.2 share (XSD): the hub, how and where it was installed, and for which MPxN. */
export interface InstallFields {
  deviceId: Eui;
  installType: (typeof CHF_INSTALL_TYPES)[number];
  reference: UserReference;
  mpxn: string;
  gisData?: string;
  aerialInstall: boolean;
  location: (typeof CHF_LOCATIONS)[number];
}

/** Reads the shared install fields, up to and including CHFLocation. */
export function readInstallFields(s: InstanceType<typeof Sequence>, path: string): InstallFields {
  const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
  const installType = readStringEnum(s.required('CHFInstallType'), `${path}/sr:CHFInstallType`, CHF_INSTALL_TYPES, 'CHFInstallType') as InstallFields['installType'];
  const reference = readUserReference(s, path, 'InstallDateTime');
  const mpxn = readString(s.required('MPxN'), `${path}/sr:MPxN`, 1, 13);
  const gis = s.optional('GISData');
  const gisData = gis ? readString(gis, `${path}/sr:GISData`, 0, 25) : undefined;
  const aerialInstall = readBoolean(s.required('AerialInstall'), `${path}/sr:AerialInstall`);
  const location = readStringEnum(s.required('CHFLocation'), `${path}/sr:CHFLocation`, CHF_LOCATIONS, 'CHFLocation') as InstallFields['location'];
  return { deviceId, installType, reference, mpxn, aerialInstall, location, ...(gisData !== undefined ? { gisData } : {}) };
}

export function writeInstallFields(b: InstallFields): string {
  return (
    textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) +
    textEl('CHFInstallType', writeEnum(b.installType, 'body.installType', CHF_INSTALL_TYPES)) +
    writeUserReference(b.reference, 'InstallDateTime') +
    textEl('MPxN', writeString(b.mpxn, 'body.mpxn', 1, 13)) +
    (b.gisData !== undefined ? textEl('GISData', writeString(b.gisData, 'body.gisData', 0, 25)) : '') +
    textEl('AerialInstall', writeBoolean(b.aerialInstall, 'body.aerialInstall')) +
    textEl('CHFLocation', writeEnum(b.location, 'body.location', CHF_LOCATIONS))
  );
}

export interface InstallReport {
  deviceId: Eui;
  installType: (typeof CHF_INSTALL_TYPES)[number];
  mpxn: string;
}

/** 8.14.1 and 8.14.2 declare the hub, the MPxN's registration data and the meters there. */
export function installNeeds(b: InstallReport) {
  return { inventoryDevices: [b.deviceId], supplyPoint: b.mpxn, inventory: { mpxn: b.mpxn } };
}

/** 8.14.1 (SM WAN Connected) and 8.14.2 (NoSMWAN): the hub installed at the MPxN's premises. */
export function installed(v: ValidatedRequest, state: HandlerState, now: Date, b: InstallReport, smWan: 'Connected' | 'NoSMWAN'): ServiceOutcome {
  const fail: Fail = (code, reason) => refuse(v, code, 'inventory', reason);
  const hub = hubOf(v, state, b.deviceId, fail);
  const what = `comms hub ${dashedEui(b.deviceId)}`;
  const noWanType = b.installType === 'CHF Install - no SM WAN';
  if (noWanType !== (smWan === 'NoSMWAN')) {
    fail(Codes0814.inconsistent, smWan === 'NoSMWAN'
      ? `CHFInstallType '${b.installType}' reports an SM WAN: an install without one is 'CHF Install - no SM WAN'`
      : `CHFInstallType '${b.installType}' is an install without SM WAN, reported by CHFInstallSuccessNoSMWAN`);
  }
  if (!INSTALLABLE.includes(hub.status)) fail(Codes0814.hubStatus, `${what} is ${hub.status}; only a ${INSTALLABLE.join(', ')} hub is reported installed`);
  const sp = state.supplyPoint ?? fail(Codes0814.mpxn, `MPxN ${b.mpxn} is not in registration data`);
  if (sp.supplierEui !== v.sender.eui) {
    fail(Codes0814.mpxn, `${v.sender.name} is not the registered supplier for ${b.mpxn} (${sp.supplierEui ? dashedEui(sp.supplierEui) : 'none'} is)`);
  }
  const meters = (state.inventory ?? []).filter((d) => d.type !== 'CHF');
  const status = smWan === 'Connected' ? 'Commissioned' : 'InstalledNotCommissioned';
  const commissioned = status === 'Commissioned' ? { commissionedAt: now.toISOString() } : {};
  const paired = hub.associatedGpf ? state.inventoryDevices!.get(hub.associatedGpf) : undefined;
  const gpfs = (paired ? [paired] : meters.filter((d) => d.type === 'GPF')).filter((d) => GPF_FOLLOWS_HUB.includes(d.status));
  const changes: InventoryChange[] = [
    { kind: 'update', eui: b.deviceId, set: { status, smWan, ...commissioned } },
    ...meters.map((m): InventoryChange => ({ kind: 'update', eui: m.eui, set: { commsHubEui: b.deviceId, ...(gpfs.some((g) => g.eui === m.eui) ? { status, ...commissioned } : {}) } })),
    // The paired GPF when the MPxN named is not its own (an MPAN): it follows its hub all the same.
    ...gpfs.filter((g) => !meters.some((m) => m.eui === g.eui)).map((g): InventoryChange => ({ kind: 'update', eui: g.eui, set: { commsHubEui: b.deviceId, status, ...commissioned } })),
  ];
  const linked = meters.length ? `; serves ${meters.map((m) => `${m.type} ${dashedEui(m.eui)}`).join(', ')}` : '';
  const gpfText = gpfs.map((g) => `; its GPF ${dashedEui(g.eui)}: ${g.status} -> ${status}`).join('');
  return {
    step: { name: 'inventory', detail: `${what} installed at ${b.mpxn} (${b.installType}): ${hub.status} -> ${status}, SM WAN ${smWan}${gpfText}${linked}` },
    answer: { responseCode: Codes.success },
    advanceCounter: true,
    inventory: changes,
  };
}

/** 8.14.3 and 8.14.4: the hub goes back to the DCC and leaves service (Withdrawn). */
export function returned(v: ValidatedRequest, state: HandlerState, eui: Eui, why: string, faultFound?: 'before' | 'after'): ServiceOutcome {
  const fail: Fail = (code, reason) => refuse(v, code, 'inventory', reason);
  const hub = hubOf(v, state, eui, fail);
  const what = `comms hub ${dashedEui(eui)}`;
  if (!RETURNABLE.includes(hub.status)) fail(Codes0814.hubStatus, `${what} is ${hub.status}; it has already left service`);
  if (faultFound === 'before' && !NOT_INSTALLED.includes(hub.status)) {
    fail(Codes0814.inconsistent, `a fault identified prior to installation, but ${what} is ${hub.status}: it was installed`);
  }
  if (faultFound === 'after' && NOT_INSTALLED.includes(hub.status)) {
    fail(Codes0814.inconsistent, `a fault identified post installation, but ${what} is ${hub.status}: it was never installed`);
  }
  return {
    step: { name: 'inventory', detail: `${what} returned (${why}): ${hub.status} -> Withdrawn` },
    answer: { responseCode: Codes.success },
    advanceCounter: true,
    inventory: [{ kind: 'update', eui, set: { status: 'Withdrawn' } }],
  };
}

/**
 * The examples' hub: a comms hub a supplier pre-notified (it answers for it, the hub having no MPxN), sent
 * by that supplier to the DCC; for an install, an MPxN of that supplier's where it replaces the premises' hub.
 */
export function hubExample(ctx: ExampleContext, install: boolean): { originator: Eui; target: Eui; commandVariant: 8; hub: Eui; mpxn?: string } {
  const what = `${ctx.device?.type ?? 'device'} ${dashedEui(ctx.eui)}`;
  if (ctx.device?.type !== 'CHF') ctx.fail('not-a-hub', `${what} is not a comms hub`);
  const supplier = ctx.preNotifiedBy ?? ctx.fail('no-responsible-supplier', `${what} has no responsible supplier: no MPxN, not pre-notified`);
  const mpxn = install ? (ctx.supplyPointOf?.(supplier) ?? ctx.fail('no-registration', `${dashedEui(supplier)} is registered for no MPxN to install ${what} at`)) : undefined;
  return { originator: supplier, target: DCC_EUI, commandVariant: 8, hub: ctx.eui, ...(mpxn ? { mpxn } : {}) };
}
