/**
 * Installation and the HAN: setting a meter's clock (ECS70 on the ESME's clock object, GCS28 on the GSME; 6.11
 * and 8.1.1), the comms hub's device log (the HAN "whitelist": CCS01 add, CCS02 remove, CCS05/CCS04 and CCS06
 * read, CCS07 back up; catalogue.md §2.4, §4), and the meters' joins (CS03 join, CS04 unjoin, CS07 read the
 * joined devices, GCS59 restore a replaced GPF's; §2.6).
 *
 * State: the meter's 'clock' section (the adjustment window last preset, when it last took the time), the
 * hub's 'chfDeviceLog' section (the log and the historic log, at most 15 entries), a meter's 'han' section
 * (the devices joined to it). Every change of the hub's log raises CS14 (alert 8F12) to the ACB carrying the
 * log as it now is, as NA_CS14 shows; the DCC passes it on to the User whose request caused it.
 */
import { createHash } from 'node:crypto';
import { RemotePartyRole } from '../../../pki/index.ts';
import { factsOf } from '../certificate-cache.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import { dlms, obis, DataAccessResult, encodeDataNotification, invokeIdFor, type DlmsData } from '../../gbcs/dlms.ts';
import {
  HAN_DEVICE_TYPE, HanMessageCode, HanStatus, JoinMethod, encodeDeviceLogResponse, encodeGpfLogRestoreResponse, encodeHanStatus, encodeSetTimeResponse,
  type HanLogEntry,
} from '../../gbcs/han.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import { appUseCase, type CommandContext } from '../app-use-case.ts';
import type { DeviceType } from '../cells.ts';
import type { CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import { dlmsUseCase, type UseCaseFamily } from './kit.ts';

// --- the meter's clock -------------------------------------------------------------------------------

export interface ClockSection {
  /** the adjustment window of the last preset (ECS70 method 5), ISO */
  presetFrom?: string;
  presetTo?: string;
  /** when the meter last took the time (ISO) */
  synchronisedAt?: string;
}

const clockOf = (app: DeviceAppState) => appSection<ClockSection>(app, 'clock', () => ({}));

/** The meter takes the time only while the command is inside the window the DCC gave (DUIS TolerancePeriod). */
function inWindow(now: Date, from: Date, to: Date): boolean {
  return now.getTime() >= from.getTime() && now.getTime() <= to.getTime();
}

const CLOCK = obis('0-0:1.0.0.255');

const clockObject: CosemObject = {
  classId: 8,
  obis: CLOCK,
  name: 'clock',
  get(attribute, ctx) {
    // attribute 2 time, 4 status (0: no flags, the time is good)
    if (attribute === 2) return dlms.octets(encodeDlmsDateTime(ctx.now));
    if (attribute === 4) return dlms.unsigned(0);
    return undefined;
  },
  action(method, parameter, ctx) {
    if (method === 5) {
      // preset_adjusting_time: structure { preset time, validity interval start, end }
      if (parameter.type !== 'structure' || parameter.items.length !== 3) return { result: DataAccessResult.typeUnmatched };
      const [, from, to] = parameter.items;
      if (from?.type !== 'octet-string' || to?.type !== 'octet-string') return { result: DataAccessResult.typeUnmatched };
      try {
        const c = clockOf(ctx.app);
        c.presetFrom = decodeDlmsDateTime(from.value).toISOString();
        c.presetTo = decodeDlmsDateTime(to.value).toISOString();
      } catch {
        return { result: DataAccessResult.typeUnmatched };
      }
      return { result: DataAccessResult.success };
    }
    if (method === 4) {
      // adjust_to_preset_time: only inside the preset window
      const c = ctx.app.clock as ClockSection | undefined;
      if (!c?.presetFrom || !c.presetTo || !inWindow(ctx.now, new Date(c.presetFrom), new Date(c.presetTo))) return { result: DataAccessResult.otherReason };
      c.synchronisedAt = ctx.now.toISOString();
      return { result: DataAccessResult.success };
    }
    return undefined;
  },
};

/** GCS28: the GSME takes the time inside the window; it answers its time and 0 (reliable), or 2 when it did not. */
function gcs28(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'set-time-command') reject(RejectionAlert.integrityCheckFailed, `GCS28 carries a ${ctx.body.kind} payload`);
  const { validityStart, validityEnd } = ctx.body.command;
  const ok = inWindow(ctx.now, validityStart, validityEnd);
  if (ok) clockOf(ctx.app).synchronisedAt = ctx.now.toISOString();
  return encodeSetTimeResponse({ deviceTime: ctx.now, timeStatus: ok ? 0 : 2 });
}

// --- the comms hub's device log --------------------------------------------------------------------

export interface ChfLogEntry {
  eui: string;
  /** HAN device type integer (HAN_DEVICE_TYPE) */
  type: number;
  installCode: string;
  /** the link key the hub derives from the install code, hashed (what CS14 and CCS07 report) */
  linkKeyHash: string;
  addedAt: string;
}

export interface ChfDeviceLog {
  entries: ChfLogEntry[];
  /** removed devices, newest last, at most HISTORIC_MAX */
  historic: { eui: string; type: number; removedAt: string }[];
  /** seconds joining stays enabled after an add (CCS01 attribute 3) */
  joinTimeout?: number;
}

export const HISTORIC_MAX = 15;

export function chfDeviceLogOf(app: DeviceAppState): ChfDeviceLog {
  return appSection<ChfDeviceLog>(app, 'chfDeviceLog', () => ({ entries: [], historic: [] }));
}

/** dcc-sim's choice: the first 16 octets of SHA-256 over EUI ‖ install code stand for the hashed link key. */
function linkKeyHash(eui: string, installCode: Buffer): string {
  return createHash('sha256').update(Buffer.from(eui, 'hex')).update(installCode).digest().subarray(0, 16).toString('hex');
}

/**
 * A hub's device log as it is when the hub is installed with devices already on its HAN (a seeded world):
 * their install codes are not known, so each stands in as a value derived from the device's EUI.
 */
export function initialChfDeviceLog(members: readonly { eui: string; type: DeviceType }[], at: Date): ChfDeviceLog {
  return {
    entries: members.map(({ eui, type }) => {
      const code = createHash('sha256').update(`install code/${eui}`).digest().subarray(0, 16);
      return { eui, type: HAN_DEVICE_TYPE[type as keyof typeof HAN_DEVICE_TYPE] ?? HAN_DEVICE_TYPE.Type2, installCode: code.toString('hex'), linkKeyHash: linkKeyHash(eui, code), addedAt: at.toISOString() };
    }),
    historic: [],
  };
}

/** The hub's extended PAN id (8 octets): derived from its EUI, as a stable stand-in. */
function extendedPanId(eui: string): Buffer {
  return createHash('sha256').update(`pan/${eui}`).digest().subarray(0, 8);
}

const ZIGBEE_NETWORK = obis('0-0:30.3.0.255');
const SECOND_NETWORK = obis('0-0:30.3.1.255');

/** The PAN backup CCS07 and CS14 carry: { time, extended PAN id, array { EUI, hashed link key } }. */
function panBackup(entries: readonly ChfLogEntry[], ctx: CommandContext): DlmsData {
  return dlms.structure(
    dlms.octets(encodeDlmsDateTime(ctx.now)),
    dlms.octets(extendedPanId(ctx.device.eui)),
    dlms.array(entries.map((e) => dlms.structure(dlms.octets(e.eui), dlms.octets(e.linkKeyHash)))),
  );
}

/** CS14 (message code 0x0018, alert 8F12) to the ACB: the hub's device log changed. */
function raiseLogChanged(ctx: CommandContext, log: ChfDeviceLog): void {
  // The alert counter the dispatcher gives it: the next one (one alert per command here).
  const counter = ctx.device.alertCounter + 1n;
  const payload = encodeDataNotification({
    invokeId: invokeIdFor(counter),
    body: dlms.structure(dlms.longUnsigned(0x8f12), dlms.octets(encodeDlmsDateTime(ctx.now)), panBackup(log.entries, ctx)),
  });
  ctx.raise({ messageCode: 0x0018, payload, critical: false, toRole: RemotePartyRole.AccessControlBroker });
}

/** Nominal link statistics of a device in the log (the emulator has no radio): the RTDS row's shape. */
function activeDevice(e: ChfLogEntry, ctx: CommandContext): DlmsData {
  return dlms.structure(
    dlms.octets(e.eui), dlms.bits(8, Buffer.from([0xc8])), dlms.integer(-35), dlms.integer(-50), dlms.integer(-100),
    dlms.unsigned(2), dlms.unsigned(39), dlms.unsigned(247), dlms.octets(encodeDlmsDateTime(ctx.now)),
    dlms.unsigned(1), dlms.unsigned(0), dlms.unsigned(100), dlms.unsigned(1), dlms.unsigned(1),
  );
}

const zigbeeNetworkControl: CosemObject = {
  classId: 104,
  obis: ZIGBEE_NETWORK,
  name: 'ZigBee network control',
  get(attribute, ctx) {
    // attribute 4: the active devices, one row each
    if (attribute === 4) return dlms.array(chfDeviceLogOf(ctx.app).entries.map((e) => activeDevice(e, ctx)));
    return undefined;
  },
  action(method, parameter, ctx) {
    const log = chfDeviceLogOf(ctx.app);
    if (method === 1) {
      // register device: structure { EUI, device type, install code, 0 }
      const [eui, type, code] = parameter.type === 'structure' ? parameter.items : [];
      if (eui?.type !== 'octet-string' || eui.value.length !== 8 || type?.type !== 'enum' || code?.type !== 'octet-string') return { result: DataAccessResult.typeUnmatched };
      const id = eui.value.toString('hex').toUpperCase();
      const entry: ChfLogEntry = { eui: id, type: type.value, installCode: code.value.toString('hex'), linkKeyHash: linkKeyHash(id, code.value), addedAt: ctx.now.toISOString() };
      log.entries = [...log.entries.filter((e) => e.eui !== id), entry];
      raiseLogChanged(ctx, log);
      return { result: DataAccessResult.success };
    }
    if (method === 2) {
      // unregister device: the EUI
      if (parameter.type !== 'octet-string' || parameter.value.length !== 8) return { result: DataAccessResult.typeUnmatched };
      const id = parameter.value.toString('hex').toUpperCase();
      const gone = log.entries.find((e) => e.eui === id);
      if (!gone) return { result: DataAccessResult.objectUndefined };
      log.entries = log.entries.filter((e) => e.eui !== id);
      log.historic = [...log.historic, { eui: id, type: gone.type, removedAt: ctx.now.toISOString() }].slice(-HISTORIC_MAX);
      raiseLogChanged(ctx, log);
      return { result: DataAccessResult.success };
    }
    if (method === 4) return panBackup(log.entries, ctx);
    if (method === 5) {
      // restore PAN: { extended PAN id, array { EUI, hashed link key } }: the log of the hub this one replaces
      const list = parameter.type === 'structure' ? parameter.items[1] : undefined;
      if (list?.type !== 'array') return { result: DataAccessResult.typeUnmatched };
      const restored: ChfLogEntry[] = [];
      for (const item of list.items) {
        const [eui, key] = item.type === 'structure' ? item.items : [];
        if (eui?.type !== 'octet-string' || eui.value.length !== 8 || key?.type !== 'octet-string') return { result: DataAccessResult.typeUnmatched };
        const id = eui.value.toString('hex').toUpperCase();
        // The restore carries no device type or install code: a device already in this log keeps its own, else Type 2.
        const known = log.entries.find((e) => e.eui === id);
        restored.push({ eui: id, type: known?.type ?? HAN_DEVICE_TYPE.Type2, installCode: known?.installCode ?? '', linkKeyHash: key.value.toString('hex'), addedAt: ctx.now.toISOString() });
      }
      log.entries = restored;
      raiseLogChanged(ctx, log);
      return { result: DataAccessResult.success };
    }
    return undefined;
  },
  set(attribute, value, ctx) {
    if (attribute === 3 && value.type === 'long-unsigned') chfDeviceLogOf(ctx.app).joinTimeout = value.value;
    return undefined; // stored as well
  },
};

/** The second PAN's backup: dcc-sim's hubs run one HAN, so it is always empty. */
const secondNetwork: CosemObject = {
  classId: 104,
  obis: SECOND_NETWORK,
  name: 'second network control',
  action(method, _p, ctx) {
    if (method === 4) return dlms.structure(dlms.octets(encodeDlmsDateTime(ctx.now)), dlms.octets(Buffer.alloc(8)), dlms.array([]));
    return undefined;
  },
};

// --- the meters' joins ------------------------------------------------------------------------------

export interface HanSection {
  joined: HanLogEntry[];
}

export const hanOf = (app: DeviceAppState) => appSection<HanSection>(app, 'han', () => ({ joined: [] }));

/** How many devices a meter keeps joined (dcc-sim's choice: an IHD, a PPMID, a CAD and one more). */
export const JOIN_CAPACITY = 4;

/** Which device types join which, by which method (GBCS: A for an HCALCS, B for the GSME and its GPF and for a Type 2 device, C for a PPMID). */
const JOINS: Readonly<Partial<Record<DeviceType, readonly { method: number; other: number }[]>>> = {
  ESME: [{ method: JoinMethod.aInitiator, other: HAN_DEVICE_TYPE.HCALCS }, { method: JoinMethod.c, other: HAN_DEVICE_TYPE.PPMID }, { method: JoinMethod.b, other: HAN_DEVICE_TYPE.Type2 }],
  GSME: [{ method: JoinMethod.b, other: HAN_DEVICE_TYPE.GPF }, { method: JoinMethod.c, other: HAN_DEVICE_TYPE.PPMID }, { method: JoinMethod.b, other: HAN_DEVICE_TYPE.Type2 }],
  GPF: [{ method: JoinMethod.b, other: HAN_DEVICE_TYPE.GSME }],
  HCALCS: [{ method: JoinMethod.aResponder, other: HAN_DEVICE_TYPE.ESME }],
  PPMID: [
    { method: JoinMethod.aResponder, other: HAN_DEVICE_TYPE.ESME },
    { method: JoinMethod.c, other: HAN_DEVICE_TYPE.ESME },
    { method: JoinMethod.c, other: HAN_DEVICE_TYPE.GSME },
  ],
};

function join(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'join-command') reject(RejectionAlert.integrityCheckFailed, `a join carries a ${ctx.body.kind} payload`);
  const c = ctx.body.command;
  const allowed = (JOINS[ctx.device.type] ?? []).some((j) => j.method === c.method && j.other === c.otherType);
  if (!allowed) return encodeHanStatus(HanStatus.incompatible);
  if (c.method === JoinMethod.c) {
    const facts = c.certificate ? factsOf(c.certificate) : undefined;
    if (!facts || facts.subjectEui !== c.otherEui) return encodeHanStatus(HanStatus.badCertificate);
  }
  const han = hanOf(ctx.app);
  if (han.joined.some((j) => j.eui === c.otherEui)) return encodeHanStatus(HanStatus.success);
  if (han.joined.length >= JOIN_CAPACITY) return encodeHanStatus(HanStatus.noCapacity);
  han.joined.push({ eui: c.otherEui, type: c.otherType });
  return encodeHanStatus(HanStatus.success);
}

function unjoin(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'unjoin-command') reject(RejectionAlert.integrityCheckFailed, `an unjoin carries a ${ctx.body.kind} payload`);
  const eui = ctx.body.otherEui;
  const han = hanOf(ctx.app);
  if (!han.joined.some((j) => j.eui === eui)) return encodeHanStatus(HanStatus.notJoined);
  han.joined = han.joined.filter((j) => j.eui !== eui);
  return encodeHanStatus(HanStatus.success);
}

function readJoined(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'device-log-command') reject(RejectionAlert.integrityCheckFailed, `CS07 carries a ${ctx.body.kind} payload`);
  const joined = (ctx.app.han as HanSection | undefined)?.joined ?? [];
  return encodeDeviceLogResponse({ status: HanStatus.success, entries: joined });
}

/** How many entries a GPF's device log holds (dcc-sim's choice; RTDS's GCS62 backup shows six). */
export const GPF_LOG_CAPACITY = 16;

/**
 * GCS59: a replacement GPF takes the device log of the GPF it replaces (the DCC has it from that GPF's GCS62 backups),
 * so the devices it served need not join again. It answers each entry: 0 restored, or 3 when its log is full.
 */
function restoreGpfLog(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'gpf-log-restore-command') reject(RejectionAlert.integrityCheckFailed, `GCS59 carries a ${ctx.body.kind} payload`);
  const han = hanOf(ctx.app);
  const restored: HanLogEntry[] = [];
  const results = ctx.body.entries.map((entry) => {
    if (restored.some((e) => e.eui === entry.eui)) return { entry, status: HanStatus.success };
    if (restored.length >= GPF_LOG_CAPACITY) return { entry, status: HanStatus.noCapacity };
    restored.push(entry);
    return { entry, status: HanStatus.success };
  });
  han.joined = restored;
  return encodeGpfLogRestoreResponse(results);
}

const SUPPLIER = [RemotePartyRole.Supplier];
const ACB = [RemotePartyRole.AccessControlBroker];
/** A PPMID's joins come from the ACB for the supplier (signed by the ACB, RTDS 8.7.2/8.8.2), an HCALCS's from the supplier. */
const SUPPLIER_OR_ACB = [RemotePartyRole.Supplier, RemotePartyRole.AccessControlBroker];
const METERS: DeviceType[] = ['ESME', 'GSME'];
const HAN_DEVICES: DeviceType[] = ['PPMID', 'HCALCS'];

export const HAN: UseCaseFamily = {
  name: 'han',
  cosem: [clockObject, zigbeeNetworkControl, secondNetwork],
  useCases: [
    dlmsUseCase({ name: 'ECS70', messageCodes: [0x0062], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true }),
    appUseCase({ name: 'GCS28', messageCodes: [HanMessageCode.GCS28], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true, run: gcs28 }),
    dlmsUseCase({ name: 'CCS01', messageCodes: [0x0001], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'CCS02', messageCodes: [0x0002], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'CCS03', messageCodes: [0x0003], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'CCS05/CCS04', messageCodes: [0x0004], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'CCS06', messageCodes: [0x010f], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'CCS07', messageCodes: [0x00fe], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    appUseCase({ name: 'CS03A1', messageCodes: [HanMessageCode.CS03A1], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, run: join }),
    appUseCase({ name: 'CS03B', messageCodes: [HanMessageCode.CS03B], deviceTypes: ['ESME', 'GSME', 'GPF'], roles: SUPPLIER, critical: false, run: join }),
    appUseCase({ name: 'CS03A2', messageCodes: [HanMessageCode.CS03A2], deviceTypes: HAN_DEVICES, roles: SUPPLIER_OR_ACB, critical: true, run: join }),
    appUseCase({ name: 'CS03C', messageCodes: [HanMessageCode.CS03C], deviceTypes: [...METERS, 'PPMID'], roles: SUPPLIER_OR_ACB, critical: true, run: join }),
    appUseCase({ name: 'CS04AC', messageCodes: [HanMessageCode.CS04AC], deviceTypes: [...METERS, ...HAN_DEVICES], roles: SUPPLIER_OR_ACB, critical: true, run: unjoin }),
    appUseCase({ name: 'CS04B', messageCodes: [HanMessageCode.CS04B], deviceTypes: ['ESME', 'GSME', 'GPF'], roles: SUPPLIER, critical: false, run: unjoin }),
    appUseCase({ name: 'GCS59', messageCodes: [HanMessageCode.GCS59], deviceTypes: ['GPF'], roles: ACB, critical: false, run: restoreGpfLog }),
    appUseCase({ name: 'CS07', messageCodes: [HanMessageCode.CS07], deviceTypes: ['ESME', 'GSME', 'GPF'], roles: SUPPLIER, critical: false, run: readJoined }),
  ],
};
