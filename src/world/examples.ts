import { dashedEui, type Eui } from '../../pki/index.ts';
import { GatewayStore } from '../../db/index.ts';
import { buildRequest, exampleNames, indentXml, serviceByExample, serviceByVariant, type ExampleContext } from '../../service-requests/index.ts';
import { DCC } from './catalogue.ts';
import { certifyGeneratedKey, issueOrganisationCertificateFor } from './smki.ts';
import { META, World, WorldError } from './world.ts';

// Ready-to-send DUIS requests for a device of the world (unsigned; `dcc-sim send` signs them):
// what a newcomer or a trainee starts from.

/** `dcc-sim example <name>`: the example builders of the registered services. */
export type ExampleKind = string;

/** The names `dcc-sim example` takes. */
export function exampleKinds(): string[] {
  return exampleNames();
}

function serviceOf(kind: ExampleKind) {
  const service = serviceByExample(kind) ?? serviceByVariant(kind);
  if (!service?.example) throw new WorldError('bad-argument', `no example '${kind}': choose a service variant or one of ${exampleNames().join(', ')}`);
  return service as typeof service & { example: NonNullable<typeof service.example> };
}

/** `kind`: an example's name, or a service reference variant (as in the RequestID's ServiceReferenceVariant) whose module has an example. */
export function exampleRequest(world: World, kind: ExampleKind, o: { device: Eui; role?: 'Supplier' | 'NetworkOperator'; pretty?: boolean }): string {
  const service = serviceOf(kind);
  const r = buildExample(world, service, o);
  const xml = buildRequest({ requestId: { originator: r.originator, target: r.target, counter: 1n }, commandVariant: r.commandVariant, body: r.body });
  return o.pretty ? indentXml(xml) : xml;
}

function buildExample(world: World, service: ReturnType<typeof serviceOf>, o: { device: Eui; role?: 'Supplier' | 'NetworkOperator' }) {
  const kind = service.example.name;
  const device = world.store.getDevice(o.device);
  if (service.example.newDevice) {
    if (device) throw new WorldError('bad-argument', `${device.type} ${dashedEui(device.eui)} is already in the inventory; '${kind}' is for a new device`);
  } else if (!device) throw new WorldError('unknown-device', `no device with EUI ${dashedEui(o.device)}`);
  const sp = device?.mpxn ? world.store.getSupplyPoint(device.mpxn) : undefined;
  const details = device ? world.inventory.detailsOf(device.eui) : undefined;
  const exportMpan = device?.type === 'ESME' ? details?.exportMpan : undefined;
  const exportSp = exportMpan ? world.store.getSupplyPoint(exportMpan) : undefined;
  if (device && !sp && service.device && !service.device.withoutRegistration?.(device)) throw new WorldError('no-registration', `${device.type} ${dashedEui(device.eui)} has no MPxN; pick a meter or a GPF`);
  const ctx: ExampleContext = {
    eui: o.device,
    ...(device ? { device } : {}),
    ...(sp ? { supplyPoint: sp } : {}),
    ...(exportSp ? { exportSupplyPoint: { mpxn: exportSp.mpxn, supplierEui: exportSp.supplierEui as Eui | null } } : {}),
    certificationPath: [world.certificate(Number(world.meta(META.issuingCaId))).der],
    currentCertificates(eui, role) {
      const c = world.currentOrganisationCertificates(eui, role);
      return { ds: c.ds?.der, ka: c.ka?.der, kaTopUp: c.kaTopUp?.der };
    },
    issueCertificate: (eui, role, usage) => world.certificate(issueOrganisationCertificateFor(world, { eui, role, usage })).der,
    mayHoldGpfNetworkOperatorCells: (eui) => world.mayHoldGpfNetworkOperatorCells(eui),
    sameHub: (type) => {
      const hub = device?.commsHubEui;
      return hub ? (world.store.listDevices({ type, limit: 100_000 }).devices.find((d) => d.commsHubEui === hub && d.eui !== device.eui)?.eui as Eui | undefined) : undefined;
    },
    ...(device && !device.mpxn && details?.addedBy ? { preNotifiedBy: details.addedBy as Eui } : {}),
    preNotifiedHanDevice: () =>
      world.store.listDevices({ status: 'Pending', limit: 100 }).devices.find((d) => d.type !== 'CHF' && !d.commsHubEui && !d.mpxn)?.eui as Eui | undefined,
    supplyPointOf: (supplier) => world.store.supplyPointOfSupplier(supplier),
    loadController: () => {
      const cell = world.store.getDeviceSecurity(o.device)?.cells.loadControllerDS;
      return cell === undefined ? undefined : (world.certificate(cell).subjectEui as Eui | null) ?? undefined;
    },
    replaced: () => replacements(world).get(o.device),
    generatedKeyCertificate: () => certifyGeneratedKey(world, o.device)?.der,
    locallyDeliveredResponse: () => new GatewayStore(world.store.db).localResponses({ targetEui: o.device, limit: 1 })[0],
    partyWithRole: (role) => world.store.listParties().find((p) => p.dccUser && !p.isDcc && p.userRoles.includes(role))?.eui,
    fail(code, reason): never {
      throw new WorldError(code, reason);
    },
  };
  return service.example.build(ctx, { role: o.role });
}

/**
 * Comms hubs and GPFs that replaced another at their premises, each with the one it replaced: a withdrawn GPF and the
 * GPF now registered at its MPRN, and the hubs they were paired with (12.2's AssociatedGPFDeviceID). Withdrawn devices
 * are few, so this is cheap in any world.
 */
function replacements(world: World): Map<string, Eui> {
  const found = new Map<string, Eui>();
  const withdrawn = world.store.listDevices({ type: 'GPF', status: 'Withdrawn', limit: 100_000 }).devices;
  // the hub each GPF is paired with, read once and only if a GPF names no hub of its own
  let hubByGpf: Map<string, string> | undefined;
  const hubOf = (gpf: string) => {
    if (!hubByGpf) {
      hubByGpf = new Map();
      for (const h of world.store.listDevices({ type: 'CHF', limit: 100_000 }).devices) {
        const paired = world.inventory.detailsOf(h.eui)?.associatedGpfEui;
        if (paired && !hubByGpf.has(paired)) hubByGpf.set(paired, h.eui);
      }
    }
    return hubByGpf.get(gpf);
  };
  for (const old of withdrawn) {
    if (!old.mpxn) continue;
    const now = world.store.listDevices({ type: 'GPF', mpxn: old.mpxn, limit: 100 }).devices.find((d) => d.status !== 'Withdrawn' && d.eui !== old.eui);
    if (!now) continue;
    found.set(now.eui, old.eui as Eui);
    const oldHub = old.commsHubEui ?? hubOf(old.eui);
    const newHub = now.commsHubEui ?? hubOf(now.eui);
    if (oldHub && newHub && oldHub !== newHub) found.set(newHub, oldHub as Eui);
  }
  return found;
}

/** Thrown to roll back a trial build (an example may issue certificates), carrying what it found. */
class TrialDone {
  /** null: the device fits; else why not */
  constructor(readonly unfit: string | null) {}
}

/** The order device types are tried in: the meters first, as a user would pick. */
const TYPE_ORDER = ['ESME', 'GSME', 'GPF', 'CHF', 'HCALCS', 'PPMID', 'IHD'];

type Role = 'Supplier' | 'NetworkOperator';

/**
 * A device of the world the service's example suits, and the role to send it as, so that a user need
 * not know which device type a service reaches or which party may send it: a device the service reaches
 * at its status and type, preferring a commissioned one whose supplier and network operator cells hold
 * the registered parties (a DCC-controlled or moved-on device would refuse the command; 6.21 wants a
 * DCC-controlled one); sent as the supplier, or as the network operator when the supplier holds no
 * user role the service takes. For a new device (12.x), an EUI not in the inventory.
 */
export function suitableDevice(world: World, kind: ExampleKind, o: { role?: Role } = {}): { device: Eui; role?: Role } {
  const service = serviceOf(kind);
  if (service.example.newDevice) {
    for (let n = 1; ; n++) {
      const eui = `00DB1A${n.toString(16).toUpperCase().padStart(10, '0')}` as Eui;
      if (!world.store.getDevice(eui)) return { device: eui, ...o };
    }
  }
  const { devices } = world.store.listDevices({ limit: 100_000 });
  // an export service suits an ESME whose export MPAN has an Export Supplier registered
  const exportOnly = service.userRoles.includes('ES') && !service.userRoles.includes('IS');
  // what the example's device must have (ExampleBuilder.prefers), worked out once for the whole inventory
  const prefers = service.example.prefers;
  const hubsWithHanDevice = prefers === 'hanDevice'
    ? new Set((['PPMID', 'HCALCS'] as const).flatMap((type) => world.store.listDevices({ type, limit: 100_000 }).devices.map((d) => d.commsHubEui).filter((h) => h !== null)))
    : undefined;
  const replacing = prefers === 'replacement' ? replacements(world) : undefined;
  const answeredLocally = prefers === 'localResponse' ? new Set(new GatewayStore(world.store.db).localResponses({ limit: 1000 }).map((r) => r.targetEui)) : undefined;
  const has = (d: (typeof devices)[number]): boolean => {
    if (hubsWithHanDevice) return (d.type === 'ESME' || d.type === 'GSME') && d.commsHubEui !== null && hubsWithHanDevice.has(d.commsHubEui);
    if (replacing) return replacing.has(d.eui);
    if (prefers === 'generatedKey') return Object.keys(world.store.deviceKeyGenerations(d.eui)).length > 0;
    if (answeredLocally) return answeredLocally.has(d.eui);
    return false;
  };
  const score = (d: (typeof devices)[number]) => {
    let s = d.status === 'Commissioned' ? 8 : 0;
    const sp = d.mpxn ? world.store.getSupplyPoint(d.mpxn) : undefined;
    const cells: Record<string, string | null> = {};
    for (const [cell, id] of Object.entries(world.store.getDeviceSecurity(d.eui)?.cells ?? {})) cells[cell] = world.certificate(id as number).subjectEui;
    if (service.example.dccControlled) return s + (cells.supplierDS === DCC.accessControlBroker ? 16 : 0);
    if (service.example.loadControlled && cells.loadControllerDS) s += 16;
    // a pre-notified hub not yet commissioned: one an install reports, or a return sends back unused
    if (service.example.preNotifiedHub && d.type === 'CHF' && !['Commissioned', 'Withdrawn'].includes(d.status) && world.inventory.detailsOf(d.eui)?.addedBy) s += 16;
    if (exportOnly && d.type === 'ESME' && world.inventory.detailsOf(d.eui)?.exportMpan) s += 16;
    if (prefers && has(d)) s += 16;
    if (sp) {
      if (cells.supplierDS === sp.supplierEui) s += 4;
      else if (cells.supplierDS === undefined) s += 1;
      if (cells.networkOperatorDS === undefined || cells.networkOperatorDS === sp.networkOperatorEui) s += 2;
    }
    return s;
  };
  const byType = new Map<string, { eui: Eui; score: number }[]>();
  for (const d of devices) {
    if (service.device && !service.device.statuses.includes(d.status)) continue;
    if (service.example.deviceStatus && d.status !== service.example.deviceStatus) continue;
    const list = byType.get(d.type) ?? [];
    list.push({ eui: d.eui as Eui, score: score(d) });
    byType.set(d.type, list);
  }
  const types = [...byType.keys()].sort((a, b) => (TYPE_ORDER.indexOf(a) + 1 || 99) - (TYPE_ORDER.indexOf(b) + 1 || 99));
  // the best device of each type, best first: a healthy commissioned meter before a device of a better-liked type in a worse state
  const firsts = types.map((t) => byType.get(t)!.sort((a, b) => b.score - a.score)[0]!).sort((a, b) => b.score - a.score);
  const eligible = new Set<string>([...service.userRoles, ...(service.assumedUserRoles ?? [])]);
  /** why the example's sender may not send the service, or null when it may */
  const senderBarred = (eui: Eui): string | null => {
    const p = world.store.getParty(eui);
    if (p && ((p.isDcc && !!service.dccMayOriginate) || p.userRoles.some((r) => eligible.has(r)))) return null;
    return `${p?.name ?? dashedEui(eui)} (${p?.userRoles.join('/') || 'no user role'}) may not send ${service.variant}, which takes ${[...eligible].join('/')}`;
  };
  const roles: (Role | undefined)[] = o.role ? [o.role] : [undefined, 'NetworkOperator'];
  const reasons: string[] = [];
  for (const c of firsts) {
    for (const role of roles) {
      try {
        world.store.transaction(() => {
          const r = buildExample(world, service, { device: c.eui, ...(role ? { role } : {}) });
          const type = world.store.getDevice(c.eui)!.type;
          const suits = service.device ? service.device.suits(r.body, type) : true;
          throw new TrialDone(senderBarred(r.originator) ?? (suits === true ? null : suits));
        });
      } catch (e) {
        if (e instanceof TrialDone) {
          if (e.unfit === null) return { device: c.eui, ...(role ? { role } : {}) };
          if (!reasons.includes(e.unfit)) reasons.push(e.unfit);
          continue;
        }
        if (e instanceof WorldError) {
          if (!reasons.includes(e.message)) reasons.push(e.message);
          continue;
        }
        throw e;
      }
    }
  }
  throw new WorldError('unknown-device', `no device of the world suits '${kind}'${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
}
