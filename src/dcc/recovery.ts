import type { KeyObject } from 'node:crypto';
import { dashedEui, DCC_PARTIES, describeCertificate, RemotePartyRole, roleName, type Eui } from '../../pki/index.ts';
import {
  CELL_IDS, CredentialsReplacementMode, cs02bMessageCode, decodeGbcsMessage, encodeApdu, encodeCs02bCommand, hasCell, modeName, processCommand,
  signApdu, statusName, wrapWithAcbMac, type CellName, type Cs02bCommand, type Cs02bReplacement, type DeviceType, type RemotePartySeqNumberChange,
} from '../../devices/index.ts';
import type { GatewayStore } from '../../db/index.ts';
import { META, World, WorldError, type SimulatedClock } from '../world/index.ts';
import { loadDevice, saveDevice } from './device-state.ts';
import type { WorldPorts } from './world-ports.ts';

// Credentials commands the DCC originates on its own, with no DUIS request behind them (SEC Appendix
// L, the SMKI Recovery Procedure; GBCS CS02b):
// - 'recovery': the SMKI Recovery Event. The DCC's Recovery party signs a CS02b
//   anyExceptAbnormalRootByRecovery (mode 8, 0x0108) with the key in the device's recovery cell; no
//   ACB MAC (the command is a bare signed APDU, as RTDS's). It may replace any cell but the root: how a
//   device whose holder can no longer act (a compromised or departed party's certificates, an ACB
//   cell 8.5 gave away) is brought back under control.
// - 'wan-provider': the WAN provider replaces its own certificate in a comms hub (mode 5
//   wanProviderByWanProvider, 0x0105): signed by its DS key and ACB-MAC'd, as RTDS's WPByWP.
// - 'transitional-cos': the DCC's Transitional CoS party replaces its own certificate in the meters
//   (mode 6 transCoSByTransCoS, 0x0106): signed and ACB-MAC'd, no floor, as RTDS's TransCoSByTransCoS.
// - 'contingency': the SMKI PMA's contingency event (mode 9 anyByContingency, 0x0109), for when the root
//   itself is lost: signed with the root's contingency key (World.rootContingencyKey), carrying in clear
//   the symmetric key under which each device holds that key's public half wrapped; no ACB MAC. It replaces
//   the root (with the world's root certificate, first, so the cells after it chain to it) and any of the
//   cells the recovery may. A device acts on its contingency key once: after that the DCC has none for it.
// Each device is one transaction and one row of the request log (path 'recovery'): who ordered it
// and why, the GBCS command, what the device did; a refusal is logged too and changes nothing.

export const CREDENTIALS_EVENTS = ['recovery', 'wan-provider', 'transitional-cos', 'contingency'] as const;
export type CredentialsEvent = (typeof CREDENTIALS_EVENTS)[number];
export const CELL_GROUPS = ['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider'] as const;
export type CellGroup = (typeof CELL_GROUPS)[number];

export interface RecoveryOrder {
  event: CredentialsEvent;
  devices: Eui[];
  /** which cells get whose current certificates */
  place: { cells: CellGroup; certificatesOf: Eui }[];
  /** the audit trail: why, and who ordered it */
  reason: string;
  requestedBy: string;
  /** GBCS [1]; default as RTDS's commands have it: the recovery disapplies time-based checks, the WAN provider's update applies them */
  applyTimeBasedCpvChecks?: boolean;
}

export interface RecoveryDeviceResult {
  device: Eui;
  requestLogId: number;
  /** originator:device:counter, as a DUIS RequestID would name the command; null when refused before one was made */
  requestId: string | null;
  /** I0: the device carried it out (each cell's status below); E21: it discarded the command; else refused by the DCC */
  outcome: string;
  reason: string | null;
  changedCells: string[];
  replacements: { cell: string; status: number; statusName: string }[];
}

export interface RecoveryResult {
  event: CredentialsEvent;
  mode: string;
  messageCode: string;
  requestedBy: string;
  reason: string;
  devices: RecoveryDeviceResult[];
  /** devices whose every replacement succeeded */
  carriedOut: number;
  failed: number;
}

/** A wrong order: nothing was done (the CLI says it, the API answers 400). */
export class RecoveryOrderError extends WorldError {
  constructor(message: string) {
    super('bad-recovery-order', message);
  }
}

const GROUP_CELLS: Record<CellGroup, { role: number; cells: CellName[] }> = {
  recovery: { role: RemotePartyRole.Recovery, cells: ['recovery'] },
  supplier: { role: RemotePartyRole.Supplier, cells: ['supplierDS', 'supplierKA', 'supplierTopUpKA'] },
  networkOperator: { role: RemotePartyRole.NetworkOperator, cells: ['networkOperatorDS', 'networkOperatorKA'] },
  acb: { role: RemotePartyRole.AccessControlBroker, cells: ['acbDS', 'acbKA'] },
  transitionalCoS: { role: RemotePartyRole.TransitionalCoS, cells: ['transitionalCoSDS'] },
  wanProvider: { role: RemotePartyRole.WanProvider, cells: ['wanProviderDS'] },
};

interface EventRule {
  mode: number;
  signerCell: CellName;
  signerParty: Eui;
  counterName: string;
  groups: readonly CellGroup[];
  mac: boolean;
  deviceTypes?: readonly DeviceType[];
  /** GBCS [1] when the order does not say (RTDS's) */
  applyTimeBasedCpvChecks: boolean;
  /** [4]: the authorising role's own floor set to 0 when its cell is replaced (RTDS's recovery and WPByWP; not TransCoSByTransCoS) */
  ownFloor: boolean;
  /** roles whose cells are replaced but whose floor the command leaves (RTDS's contingency response sets none for the recovery) */
  floorless?: readonly number[];
}

/** The originator of RTDS's contingency command (its responses answer this EUI); no party of the world holds it. */
export const CONTINGENCY_ORIGINATOR: Eui = '70B3D51F300017FF';

const EVENTS: Record<CredentialsEvent, EventRule> = {
  recovery: {
    mode: CredentialsReplacementMode.anyExceptAbnormalRootByRecovery,
    signerCell: 'recovery',
    signerParty: DCC_PARTIES.recovery,
    counterName: 'Recovery',
    groups: ['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider'],
    mac: false,
    applyTimeBasedCpvChecks: false,
    ownFloor: true,
  },
  'wan-provider': {
    mode: CredentialsReplacementMode.wanProviderByWanProvider,
    signerCell: 'wanProviderDS',
    signerParty: DCC_PARTIES.wanProvider,
    counterName: 'WanProvider',
    groups: ['wanProvider'],
    mac: true,
    deviceTypes: ['CHF'],
    applyTimeBasedCpvChecks: true,
    ownFloor: true,
  },
  contingency: {
    mode: CredentialsReplacementMode.anyByContingency,
    signerCell: 'root',
    signerParty: CONTINGENCY_ORIGINATOR,
    counterName: 'Contingency',
    groups: ['recovery', 'supplier', 'networkOperator', 'acb', 'transitionalCoS', 'wanProvider'],
    mac: false,
    applyTimeBasedCpvChecks: false,
    ownFloor: true,
    floorless: [RemotePartyRole.Recovery],
  },
  'transitional-cos': {
    mode: CredentialsReplacementMode.transCoSByTransCoS,
    signerCell: 'transitionalCoSDS',
    signerParty: DCC_PARTIES.transitionalCoS,
    counterName: 'TransCoS',
    groups: ['transitionalCoS'],
    mac: true,
    applyTimeBasedCpvChecks: false,
    ownFloor: false,
  },
};

const DCC_EUIS: readonly string[] = Object.values(DCC_PARTIES);

/** The certificate of one of the DCC's parties it would place: the newest of the role and usage for which the world holds the key. */
function dccPartyCertificate(world: World, eui: Eui, role: number, usage: 'DS' | 'KA'): Buffer | undefined {
  const certs = world.store.searchCertificates({ eui, role, keyUsage: usage, kind: 'organisation' }).filter((c) => c.revokedAt === null).reverse();
  return certs.find((c) => world.store.getPrivateKey(c.id) !== undefined)?.der;
}

/** The certificates each cell of the order gets (the order's fault when a party has none: nothing is done). */
function certificatesFor(world: World, order: RecoveryOrder): Map<CellName, Buffer> {
  const out = new Map<CellName, Buffer>();
  for (const p of order.place) {
    const g = GROUP_CELLS[p.cells];
    const party = world.store.getParty(p.certificatesOf);
    if (!party) throw new RecoveryOrderError(`${dashedEui(p.certificatesOf)} is not a party of this world`);
    // The ACB's certificates stand in a supplier's or network operator's cells on a DCC controlled device.
    const role = p.certificatesOf === DCC_PARTIES.accessControlBroker && (p.cells === 'supplier' || p.cells === 'networkOperator') ? RemotePartyRole.AccessControlBroker : g.role;
    let ds: Buffer | undefined;
    let ka: Buffer | undefined;
    let kaTopUp: Buffer | undefined;
    if (DCC_EUIS.includes(p.certificatesOf)) {
      ds = dccPartyCertificate(world, p.certificatesOf, role, 'DS');
      ka = dccPartyCertificate(world, p.certificatesOf, role, 'KA');
      kaTopUp = ka;
    } else {
      const c = world.currentOrganisationCertificates(p.certificatesOf, role);
      ds = c.ds?.der;
      ka = c.ka?.der;
      kaTopUp = c.kaTopUp?.der;
    }
    for (const cell of g.cells) {
      const id = CELL_IDS[cell];
      const der = id.cellUsage === 1 ? kaTopUp : id.keyUsage === 'DS' ? ds : ka;
      if (cell === 'acbDS' && !der) continue; // only a comms hub has one
      if (!der) throw new RecoveryOrderError(`${party.name} (${dashedEui(p.certificatesOf)}) has no current ${roleName(role)} ${id.keyUsage}${id.cellUsage === 1 ? ' top-up' : ''} certificate for the ${cell} cell`);
      out.set(cell, der);
    }
  }
  return out;
}

export interface RecoveryContext {
  world: World;
  gateway: GatewayStore;
  clock: SimulatedClock;
  ports: WorldPorts;
}

/** Carries out an order, device by device. Throws RecoveryOrderError for an order that cannot be carried out at all. */
export function carryOutRecovery(ctx: RecoveryContext, order: RecoveryOrder): RecoveryResult {
  const { world } = ctx;
  const rule = EVENTS[order.event];
  if (!rule) throw new RecoveryOrderError(`unknown event '${String(order.event)}' (${CREDENTIALS_EVENTS.join(', ')})`);
  if (typeof order.reason !== 'string' || order.reason.trim() === '') throw new RecoveryOrderError('a reason is required: the request log keeps it as the audit trail');
  if (typeof order.requestedBy !== 'string' || order.requestedBy.trim() === '') throw new RecoveryOrderError('requestedBy is required: who ordered it');
  if (order.devices.length === 0) throw new RecoveryOrderError('no device named');
  if (order.place.length === 0) throw new RecoveryOrderError('nothing to place: name the cells and whose certificates go in them');
  for (const p of order.place) {
    if (!rule.groups.includes(p.cells)) throw new RecoveryOrderError(`the ${order.event} event may replace ${rule.groups.join(', ')} cells, not ${p.cells}`);
  }
  const certificates = certificatesFor(world, order);
  const results = order.devices.map((eui) => world.store.transaction(() => oneDevice(ctx, order, rule, certificates, eui)));
  const carriedOut = results.filter((r) => r.outcome === 'I0' && r.replacements.every((x) => x.status === 0)).length;
  return {
    event: order.event,
    mode: modeName(rule.mode),
    messageCode: `0x${cs02bMessageCode(rule.mode).toString(16).padStart(4, '0').toUpperCase()}`,
    requestedBy: order.requestedBy,
    reason: order.reason,
    devices: results,
    carriedOut,
    failed: results.length - carriedOut,
  };
}

function oneDevice(ctx: RecoveryContext, order: RecoveryOrder, rule: EventRule, certificates: Map<CellName, Buffer>, eui: Eui): RecoveryDeviceResult {
  const { world, gateway, clock } = ctx;
  const now = clock.now();
  const receivedAt = now.toISOString();
  const steps: { step: string; ok: boolean; detail: string }[] = [
    { step: 'order', ok: true, detail: `${order.event} ordered by ${order.requestedBy}: ${order.reason}` },
  ];
  const audit = (extra: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ event: order.event, requestedBy: order.requestedBy, reason: order.reason, place: order.place, device: eui, ...extra }));
  const refuse = (code: string, step: string, reason: string): RecoveryDeviceResult => {
    steps.push({ step, ok: false, detail: reason });
    const id = gateway.logRequest({
      receivedAt, path: 'recovery', requestId: null, originatorEui: rule.signerParty, targetEui: eui, counter: null,
      serviceReference: null, serviceVariant: null, commandVariant: null, responseCode: code, reason, failedStep: step,
      requestXml: audit({}), responseXml: null, steps, changedCells: null,
    });
    return { device: eui, requestLogId: id, requestId: null, outcome: code, reason, changedCells: [], replacements: [] };
  };

  const device = world.store.getDevice(eui);
  if (!device) return refuse('E19', 'device', `device ${dashedEui(eui)} is not in the smart metering inventory`);
  const type = device.type as DeviceType;
  if (rule.deviceTypes && !rule.deviceTypes.includes(type)) return refuse('E11', 'device', `the ${order.event} event is for a ${rule.deviceTypes.join(' or ')}; ${dashedEui(eui)} is of type ${type}`);
  const replacements: Cs02bReplacement[] = [];
  for (const [cell, der] of certificates) {
    if (!hasCell(type, cell)) {
      if (cell === 'acbDS' || cell === 'supplierTopUpKA') continue;
      return refuse('E11', 'device', `a ${type} has no ${cell} cell`);
    }
    replacements.push({ certificate: der, target: CELL_IDS[cell] });
  }
  const contingency = rule.mode === CredentialsReplacementMode.anyByContingency;
  let key: KeyObject | undefined;
  let originator: Eui;
  let signedBy: string;
  let symmetricKey: Buffer | undefined;
  if (contingency) {
    // The root cell's certificate has no key the DCC may sign with; the root's contingency key is the authority.
    const security = world.store.getDeviceSecurity(eui);
    const generation = security ? (security.contingencyKeyGeneration ?? 1) : 0;
    if (generation === 0) return refuse('E4', 'signer', `${dashedEui(eui)} has spent its root contingency key on an earlier contingency command: the DCC holds no other for it`);
    const k = world.rootContingencyKey(generation);
    key = k.privateKey;
    symmetricKey = k.symmetricKey;
    originator = rule.signerParty;
    signedBy = `the root's contingency key (generation ${generation}), originator ${dashedEui(originator)}, with its symmetric key`;
    replacements.unshift({ certificate: world.certificate(Number(world.meta(META.rootCertificateId))).der, target: CELL_IDS.root });
  } else {
    const signerId = world.store.getDeviceSecurity(eui)?.cells[rule.signerCell];
    key = signerId === undefined ? undefined : world.privateKeyOf(signerId);
    if (signerId === undefined || !key) {
      return refuse('E4', 'signer', `the DCC holds no key for the certificate in ${dashedEui(eui)}'s ${rule.signerCell} cell, so it cannot sign the ${order.event} command`);
    }
    const signer = world.certificate(signerId);
    originator = signer.subjectEui!;
    signedBy = `${dashedEui(originator)} (SKI ${describeCertificate(signer.der).ski})`;
  }

  const counter = gateway.nextDccCounter(rule.counterName, BigInt(now.getTime()));
  const roles = [...new Set(replacements.map((r) => r.target.role))];
  const authRole = CELL_IDS[rule.signerCell].role;
  // The roles whose cells get a new holder start from floor 0, as RTDS's recovery command sets them.
  const floors: RemotePartySeqNumberChange[] = roles.filter((r) => r !== authRole && !rule.floorless?.includes(r)).sort((a, b) => a - b).map((role) => ({
    role, floorSeqNumber: 0n, ...(role === RemotePartyRole.Supplier && replacements.some((r) => r.target.cellUsage === 1) ? { topUpFloorSeqNumber: 0n } : {}),
  }));
  const command: Cs02bCommand = {
    mode: rule.mode,
    ...(symmetricKey ? { plaintextSymmetricKey: symmetricKey } : {}),
    applyTimeBasedCpvChecks: order.applyTimeBasedCpvChecks ?? rule.applyTimeBasedCpvChecks,
    authorisingCell: CELL_IDS[rule.signerCell],
    authorisingSeqNumber: counter,
    ...(roles.includes(authRole) && rule.ownFloor ? { newFloorSeqNumber: 0n } : {}),
    ...(floors.length ? { otherSeqNumberChanges: floors } : {}),
    replacements,
    certificationPath: [world.certificate(Number(world.meta(META.issuingCaId))).der],
  };
  const signed = signApdu(encodeApdu({ cra: 'command', counter, originator, target: eui, messageCode: cs02bMessageCode(rule.mode), payload: encodeCs02bCommand(command) }), key);
  const message = rule.mac ? wrapWithAcbMac(signed, ctx.ports.dccCredentials().acbKaKey, ctx.ports.deviceKeyAgreementKey(eui)) : signed;
  const requestId = `${dashedEui(originator)}:${dashedEui(eui)}:${counter}`;
  steps.push({
    step: 'command', ok: true,
    detail: `CS02b ${modeName(rule.mode)} (0x${cs02bMessageCode(rule.mode).toString(16).padStart(4, '0')}), counter ${counter}, signed by ${signedBy}${rule.mac ? ', ACB MAC' : ', no MAC'}: ${replacements.map((r) => `${roleName(r.target.role)} ${r.target.keyUsage}`).join(', ')}`,
  });

  const loaded = loadDevice(world, eui);
  const outcome = processCommand(loaded.state, loaded.credentials, message, now);
  const log = (code: string, reason: string | null, changedCells: string[], responseHex: string | null) =>
    gateway.logRequest({
      receivedAt, path: 'recovery', requestId, originatorEui: originator, targetEui: eui, counter: counter.toString(),
      serviceReference: null, serviceVariant: null, commandVariant: null, responseCode: code, reason, failedStep: code === 'I0' ? null : 'device',
      finalResponseCode: code, finalReason: reason, deviceAlertCode: outcome.rejected ? outcome.rejected.alertCode.toString(16).toUpperCase() : null,
      requestXml: audit({ gbcsCommand: message.toString('hex') }), responseXml: responseHex, steps, changedCells,
    });
  if (outcome.rejected) {
    const reason = `device discarded the command: ${outcome.rejected.reason} (alert ${outcome.rejected.alertCode.toString(16).toUpperCase()})`;
    steps.push({ step: 'device', ok: false, detail: reason });
    const id = log('E21', reason, [], null);
    return { device: eui, requestLogId: id, requestId, outcome: 'E21', reason, changedCells: [], replacements: [] };
  }
  saveDevice(world, outcome.state, loaded);
  const response = decodeGbcsMessage(outcome.response!);
  const outcomes = response.body.kind === 'cs02b-response' ? (response.body.response.outcome?.replacementOutcomes ?? []) : [];
  const statuses = outcomes.map((o) => ({ cell: `${roleName(o.cell.role)} ${o.cell.keyUsage}${o.cell.cellUsage === 1 ? ' top-up' : ''}`, status: o.status, statusName: statusName(o.status) }));
  const failures = outcome.replacementFailures ?? [];
  const detail = outcome.changedCells.length ? `device changed ${outcome.changedCells.join(', ')}` : 'device changed no cell';
  steps.push({ step: 'device', ok: failures.length === 0, detail: failures.length ? `${detail}; ${failures.map((f) => `${roleName(f.cell.role)} ${f.cell.keyUsage}: status ${f.status} (${f.reason})`).join('; ')}` : detail });
  const reason = failures.length ? failures.map((f) => f.reason).join('; ') : null;
  const id = log('I0', reason, outcome.changedCells, outcome.response!.toString('hex'));
  return { device: eui, requestLogId: id, requestId, outcome: 'I0', reason, changedCells: outcome.changedCells, replacements: statuses };
}
