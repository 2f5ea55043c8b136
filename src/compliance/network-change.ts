import { dashedEui, parseEui, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { ComplianceStore, type HeldCertificateDevice, type Party } from '../../db/index.ts';
import { serviceOfBody } from '../../service-requests/index.ts';
import { SimulatedClock, DCC, World, WorldError } from '../world/index.ts';

// A change of network operator (MP128A): registration data moves supply points to another network
// operator (the National Grid -> Cadent case), while the devices still hold the outgoing operator's
// certificates, so only the outgoing operator can reach them. Here: the registration change, the
// devices left behind, the remedy each needs, and the rule that a party may not cease to be a DCC
// User while devices still hold its certificates.

const request = (element: RemedyStep['request']) => ({ request: element, service: serviceOfBody(element)!.variant });
const UPDATE_BY_HOLDER = request('UpdateSecurityCredentialsKRP');
const HANDOVER_BY_SUPPLIER = request('RequestHandoverOfDCCControlledDevice');

export interface PartySummary {
  eui: Eui;
  name: string;
  roles: string[];
  dccUser: boolean;
  smkiSubscriber: boolean;
}

export interface StrandedDevice extends HeldCertificateDevice {
  /** the remedy, in the order its requests go */
  remedy: RemedyStep[];
}

/** One DUIS request of a remedy, described (the scenario driver builds, signs and sends it). */
export interface RemedyStep {
  /** the DUIS request, by its body element: the holder's own credentials update, or a supplier's handover */
  request: 'UpdateSecurityCredentialsKRP' | 'RequestHandoverOfDCCControlledDevice';
  /** its service request variant, as reports and the console show it */
  service: string;
  /** who sends it */
  sender: Eui;
  senderRole: 'outgoing network operator' | 'supplier';
  /** whose certificates go into the network operator cells */
  certificatesOf: Eui;
  why: string;
}

export interface StrandedList {
  total: number;
  devices: StrandedDevice[];
  /** of the listed devices, those with no DUIS remedy (the holder is no DCC User any more): a site visit or an SMKI recovery */
  unreachable: number;
}

export interface TransferResult {
  from: PartySummary;
  to: PartySummary;
  mpxnPrefix: string | null;
  /** supply points whose registration moved now */
  moved: number;
  /** devices at supply points now registered to `to` whose network operator cells hold `from`'s certificates */
  stranded: StrandedList;
}

export interface CeaseRefusal {
  party: PartySummary;
  devicesHoldingCertificates: number;
  sample: HeldCertificateDevice[];
}

export class CeaseRefused extends WorldError {
  constructor(readonly refusal: CeaseRefusal) {
    super(
      'devices-hold-certificates',
      `${refusal.party.name} (${dashedEui(refusal.party.eui)}) may not cease to be a DCC User: ${refusal.devicesHoldingCertificates} device(s) still hold its ` +
        `certificates in their network operator cells. MP128A: it must first replace them (6.15.1 NOByNO) with the ACB's certificates on GPFs, ` +
        `or the registered network operator's on ESMEs.`,
    );
    this.name = 'CeaseRefused';
  }
}

export interface CeaseResult {
  party: PartySummary;
  revokedCertificates: { id: number; serial: string; kind: string; role: number | null; keyUsage: string }[];
  at: string;
}

export function partySummary(p: Party): PartySummary {
  return { eui: p.eui, name: p.name, roles: [...p.userRoles], dccUser: p.dccUser, smkiSubscriber: p.smkiSubscriber };
}

function networkParty(world: World, eui: Eui, what: string): Party {
  const p = world.store.getParty(eui);
  if (!p) throw new WorldError('unknown-party', `${what}: no party with EUI ${dashedEui(eui)}`);
  if (p.isDcc) throw new WorldError('bad-argument', `${what}: ${p.name} is the DCC, not a network operator`);
  if (!p.userRoles.includes('ED') && !p.userRoles.includes('GT')) {
    throw new WorldError('bad-argument', `${what}: ${p.name} (${dashedEui(eui)}) is not a network party (roles ${p.userRoles.join('/') || 'none'}; ED or GT needed)`);
  }
  return p;
}

function checkPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix === '') return undefined;
  const p = prefix.replace(/\s+/g, '');
  if (!/^[0-9]{1,13}$/.test(p)) throw new WorldError('bad-argument', `MPxN prefix '${prefix}' must be 1 to 13 digits`);
  return p;
}

/** Whether a party has unrevoked network operator DS and KA certificates in the SMKI repository. */
export function hasNetworkOperatorCertificates(world: World, eui: Eui): boolean {
  const c = world.currentOrganisationCertificates(eui, RemotePartyRole.NetworkOperator);
  return c.ds !== undefined && c.ka !== undefined;
}

/**
 * The remedy for a device whose network operator cells hold `holder`'s certificates while
 * registration names `registered`:
 * - GPF: the holder replaces them by the ACB's (6.15.1 NOByNO, MP128A), then, if the registered GNO
 *   is a DCC User with certificates, the supplier places them with 6.21 (the cells are DCC
 *   controlled again); otherwise the ACB stays (MP128B).
 * - ESME: the ACB cannot sit in an ESME's network operator cells, so the holder replaces its
 *   certificates by the registered operator's (6.15.1 NOByNO).
 * An empty remedy means none by DUIS: the holder is no DCC User any more (MP128's stranded devices).
 */
export function remedyFor(world: World, device: HeldCertificateDevice, holder: Party): RemedyStep[] {
  const registered = device.registeredNetworkOperatorEui;
  if (!registered || !holder.dccUser) return [];
  const reg = world.store.getParty(registered);
  const regName = reg?.name ?? dashedEui(registered);
  const regUsable = !!reg?.dccUser && hasNetworkOperatorCertificates(world, registered);
  if (device.type === 'GPF') {
    const steps: RemedyStep[] = [
      {
        ...UPDATE_BY_HOLDER,
        sender: holder.eui,
        senderRole: 'outgoing network operator',
        certificatesOf: DCC.accessControlBroker,
        why: `${holder.name} replaces its certificates by the ACB's (MP128A), so the cells are DCC controlled again`,
      },
    ];
    if (regUsable && device.supplierEui) {
      steps.push({
        ...HANDOVER_BY_SUPPLIER,
        sender: device.supplierEui,
        senderRole: 'supplier',
        certificatesOf: registered,
        why: `the supplier places ${regName}'s certificates (a GNO that is a DCC User) by handing the cells over (6.21)`,
      });
    }
    return steps;
  }
  if (device.type === 'ESME' && regUsable) {
    return [
      {
        ...UPDATE_BY_HOLDER,
        sender: holder.eui,
        senderRole: 'outgoing network operator',
        certificatesOf: registered,
        why: `an ESME cannot hold the ACB's certificate there: ${holder.name} replaces its certificates by ${regName}'s`,
      },
    ];
  }
  return [];
}

/** Every stranded device (strandedDevices, page after page). */
export function allStrandedDevices(world: World, holderEui: Eui, o: { registeredTo?: Eui; mpxnPrefix?: string } = {}): StrandedDevice[] {
  const devices: StrandedDevice[] = [];
  for (let offset = 0; ; ) {
    const page = strandedDevices(world, holderEui, { ...o, limit: 1000, offset });
    devices.push(...page.devices);
    offset += page.devices.length;
    if (page.devices.length === 0 || offset >= page.total) break;
  }
  return devices;
}

/**
 * Devices whose network operator cells hold `holder`'s certificates at supply points registered to
 * someone else (or to `registeredTo`), with the remedy for each.
 */
export function strandedDevices(
  world: World,
  holderEui: Eui,
  o: { registeredTo?: Eui; mpxnPrefix?: string; limit?: number; offset?: number } = {},
): StrandedList {
  const holder = world.store.getParty(holderEui);
  if (!holder) throw new WorldError('unknown-party', `no party with EUI ${dashedEui(holderEui)}`);
  const store = new ComplianceStore(world.store.db);
  const r = store.devicesHoldingCertificatesOf(holderEui, {
    ...(o.registeredTo ? { registeredTo: o.registeredTo } : { notRegisteredTo: holderEui }),
    mpxnPrefix: checkPrefix(o.mpxnPrefix),
    limit: o.limit ?? 100,
    offset: o.offset ?? 0,
  });
  const devices = r.devices.map((d) => ({ ...d, remedy: remedyFor(world, d, holder) }));
  return { total: r.total, devices, unreachable: devices.filter((d) => d.remedy.length === 0).length };
}

/**
 * Registration data: the supply points of `from` (all, or those whose MPxN starts with the prefix)
 * are now `to`'s. Then the devices still holding `from`'s certificates at `to`'s supply points.
 */
export function transferNetwork(world: World, o: { from: Eui; to: Eui; mpxnPrefix?: string; limit?: number }): TransferResult {
  const from = networkParty(world, o.from, '--from');
  const to = networkParty(world, o.to, '--to');
  if (from.eui === to.eui) throw new WorldError('bad-argument', 'the outgoing and the incoming network operator are the same party');
  const fuel = (p: Party) => (p.userRoles.includes('GT') ? 'a gas' : 'an electricity');
  if (fuel(from) !== fuel(to)) {
    throw new WorldError('bad-argument', `${from.name} is ${fuel(from)} network party and ${to.name} ${fuel(to)} one: supply points cannot move between them`);
  }
  const prefix = checkPrefix(o.mpxnPrefix);
  const store = new ComplianceStore(world.store.db);
  const moved = world.store.transaction(() => store.moveSupplyPoints(from.eui, to.eui, prefix));
  return {
    from: partySummary(world.store.getParty(from.eui)!),
    to: partySummary(world.store.getParty(to.eui)!),
    mpxnPrefix: prefix ?? null,
    moved,
    stranded: strandedDevices(world, from.eui, { registeredTo: to.eui, mpxnPrefix: prefix, limit: o.limit }),
  };
}

/**
 * MP128A: a network party ceases to be a DCC User only when no device holds its certificates any
 * more; it then stops being an SMKI Subscriber too and its certificates are revoked (its Certificate
 * Revocation Request). Throws CeaseRefused listing the devices otherwise.
 */
export function ceaseDccUser(world: World, eui: Eui, at?: Date): CeaseResult {
  const party = networkParty(world, eui, 'cease-dcc-user');
  if (!party.dccUser) throw new WorldError('not-dcc-user', `${party.name} (${dashedEui(eui)}) is not a DCC User`);
  const when = (at ?? new SimulatedClock(world.store).now()).toISOString();
  const store = new ComplianceStore(world.store.db);
  return world.store.transaction(() => {
    const held = store.devicesHoldingCertificatesOf(eui, { limit: 10 });
    if (held.total > 0) throw new CeaseRefused({ party: partySummary(party), devicesHoldingCertificates: held.total, sample: held.devices });
    const { revokedCertificateIds } = store.ceaseDccUser(eui, when, 'cessationOfOperation');
    return {
      party: partySummary(world.store.getParty(eui)!),
      revokedCertificates: revokedCertificateIds.map((id) => {
        const c = world.certificate(id);
        return { id, serial: c.serialHex, kind: c.kind, role: c.role, keyUsage: c.keyUsage };
      }),
      at: when,
    };
  });
}

/**
 * The devices a recovery order names: EUIs as given, and with `holding`, every device whose network
 * operator cells hold that party's certificates where registration names another operator (or
 * `registeredTo`): the stranded devices a DUIS remedy may no longer reach.
 */
export function devicesToRecover(world: World, o: { devices?: readonly string[]; holding?: string; registeredTo?: string }): Eui[] {
  const eui = (text: string, what: string): Eui => {
    try {
      return parseEui(text);
    } catch {
      throw new WorldError('bad-argument', `${what} '${text}' is not an EUI-64 (16 hex digits, dashes allowed)`);
    }
  };
  const out = (o.devices ?? []).map((d, i) => eui(d, `devices[${i}]`));
  if (o.holding === undefined) {
    if (o.registeredTo !== undefined) throw new WorldError('bad-argument', 'registeredTo goes with holding');
    return out;
  }
  const holder = eui(o.holding, 'holding');
  const registeredTo = o.registeredTo === undefined ? undefined : eui(o.registeredTo, 'registeredTo');
  for (let offset = 0; ; ) {
    const page = strandedDevices(world, holder, { registeredTo, limit: 1000, offset });
    out.push(...page.devices.map((d) => d.eui));
    offset += page.devices.length;
    if (page.devices.length === 0 || offset >= page.total || out.length > 10_000) break;
  }
  return [...new Set(out)];
}
