/**
 * Device event and security logs (DUIS 6.13 reads them; 3.3 clears them): one log per device in the
 * application state's 'eventLog' section, appended to by the commands and events that GBCS has a device log,
 * and read back by time range as the DLMS profile-generic buffers of the ESME and comms hub (ECS35a-g) and
 * the ZCL Events cluster of the GSME (CS10a/b).
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { DataAccessResult, dlms, obis, type DlmsData, type TypeDescription } from '../../gbcs/dlms.ts';
import { ZclStatus, dateOfZigbeeTime, zigbeeTime, type GbzComponent } from '../../gbcs/gbz.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import type { CommandContext } from '../app-use-case.ts';
import type { CosemObject } from '../cosem.ts';
import { defaultResponse, responseComponent, ZclFrame, type ZclCommand } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';

/** The logs GBCS devices keep (DUIS LogToRead): event, security, power event (ESME) and auxiliary load control switch event (ESME). */
export type DeviceLog = 'event' | 'security' | 'power' | 'alcs';

export interface LogEntry {
  log: DeviceLog;
  /** GBCS event or alert code */
  code: number;
  /** ISO time the device recorded it */
  at: string;
  /** event data, hex (ESME event log and GSME logs carry some) */
  data?: string;
}

export interface EventLogSection {
  entries: LogEntry[];
}

/** Logs hold at most this many entries each: the oldest go first (GBCS sizes device logs; 100 is dcc-sim's). */
export const LOG_CAPACITY = 100;

export function eventLogOf(app: DeviceAppState): EventLogSection {
  return appSection<EventLogSection>(app, 'eventLog', () => ({ entries: [] }));
}

/** Records `code` in the device's `log` (the event log unless said) at `now`. For every family: the use case that makes a device log an event calls this. */
export function appendEvent(app: DeviceAppState, code: number, now: Date, log: DeviceLog = 'event', data?: Buffer): void {
  const s = eventLogOf(app);
  s.entries.push({ log, code, at: now.toISOString(), ...(data && data.length ? { data: data.toString('hex') } : {}) });
  const ofLog = s.entries.filter((e) => e.log === log);
  if (ofLog.length > LOG_CAPACITY) s.entries.splice(s.entries.indexOf(ofLog[0]!), 1);
}

/** Empties one log, or all of them (DUIS 3.3 Clear Event Log). */
export function clearEventLog(app: DeviceAppState, log?: DeviceLog): void {
  const s = eventLogOf(app);
  s.entries = log ? s.entries.filter((e) => e.log !== log) : [];
}

function entriesBetween(app: DeviceAppState, log: DeviceLog, from: Date, to: Date): LogEntry[] {
  const entries = (app.eventLog as EventLogSection | undefined)?.entries ?? [];
  return entries.filter((e) => e.log === log && Date.parse(e.at) >= from.getTime() && Date.parse(e.at) <= to.getTime());
}

// ---------------------------------------------------------------- DLMS (ESME, comms hub)

const SECONDS_2000 = Date.UTC(2000, 0, 1);
const dlu2000 = (iso: string) => dlms.dlu(Math.floor((Date.parse(iso) - SECONDS_2000) / 1000));

/** The profile-generic buffers and the row each holds (catalogue.md §3: as the RTDS ECS35 responses carry them). */
const PROFILES: readonly { obis: string; log: DeviceLog; name: string; row: (e: LogEntry, i: number) => DlmsData[]; columns: TypeDescription[] }[] = [
  {
    obis: obis('0-0:99.98.0.255'), log: 'event', name: 'event log',
    row: (e) => [dlu2000(e.at), dlms.longUnsigned(e.code), dlms.octets(e.data ?? '')],
    columns: [{ type: 'double-long-unsigned' }, { type: 'long-unsigned' }, { type: 'octet-string' }],
  },
  {
    obis: obis('0-0:99.98.1.255'), log: 'security', name: 'security log',
    row: (e) => [dlu2000(e.at), dlms.longUnsigned(e.code)],
    columns: [{ type: 'double-long-unsigned' }, { type: 'long-unsigned' }],
  },
  {
    // the third column counts power events (RTDS numbers them 1, 2, 3, …)
    obis: obis('0-0:99.98.4.255'), log: 'power', name: 'power event log',
    row: (e, i) => [dlu2000(e.at), dlms.longUnsigned(e.code), dlms.dlu(i + 1)],
    columns: [{ type: 'double-long-unsigned' }, { type: 'long-unsigned' }, { type: 'double-long-unsigned' }],
  },
  {
    // switch state (enum) and the time it is due to change back (0: none), as data the event carries
    obis: obis('0-17:99.98.2.255'), log: 'alcs', name: 'auxiliary load control switch event log',
    row: (e) => {
      const d = Buffer.from(e.data ?? '', 'hex');
      return [dlu2000(e.at), dlms.longUnsigned(e.code), dlms.enum(d[0] ?? 0), dlms.dlu(d.length >= 5 ? d.readUInt32BE(1) : 0)];
    },
    columns: [{ type: 'double-long-unsigned' }, { type: 'long-unsigned' }, { type: 'enum' }, { type: 'double-long-unsigned' }],
  },
];

/** The range a get-with-selection asks: selector 1, {restricting object, from, to, columns} in seconds since 2000. */
function rangeOf(parameters: DlmsData | undefined): { from: Date; to: Date } | undefined {
  if (parameters?.type !== 'structure') return undefined;
  const [, from, to] = parameters.items;
  if (from?.type !== 'double-long-unsigned' || to?.type !== 'double-long-unsigned') return undefined;
  return { from: new Date(SECONDS_2000 + from.value * 1000), to: new Date(SECONDS_2000 + to.value * 1000) };
}

const cosem: CosemObject[] = PROFILES.map((p) => ({
  classId: 7,
  obis: p.obis,
  name: p.name,
  get(attribute, ctx, spec) {
    if (attribute !== 2) return undefined;
    const range = spec.kind === 'get-with-selection' && spec.selector === 1 ? rangeOf(spec.parameters) : { from: new Date(0), to: new Date(8.64e15) };
    if (!range) return { result: DataAccessResult.otherReason };
    const rows = entriesBetween(ctx.app, p.log, range.from, range.to).map((e, i) => dlms.structure(...p.row(e, i)));
    return { type: 'compact-array', description: { type: 'structure', elements: p.columns }, items: rows };
  },
}));

// ---------------------------------------------------------------- ZCL (GSME)

const EVENTS_CLUSTER = 0x0709;
/** ZCL Events cluster log ids (GBCS): 3 the general event log, 4 the security log. */
const ZCL_LOG: Record<number, DeviceLog> = { 3: 'event', 4: 'security' };
const ZCL_LOG_ID: Partial<Record<DeviceLog, number>> = { event: 3, security: 4 };

const zclCommands: ZclCommand[] = [
  {
    clusterId: EVENTS_CLUSTER,
    commandId: 0x00,
    name: 'Get Event Log',
    run(c: GbzComponent, ctx: CommandContext) {
      // event control/log id(1) ‖ event id(2) ‖ start time(4) ‖ end time(4) ‖ number of events(1) ‖ event offset(2)
      const p = c.payload;
      if (p.length < 14) return [defaultResponse(c, ZclStatus.invalidValue)];
      const log = ZCL_LOG[p[0]! & 0x0f];
      if (!log) return [defaultResponse(c, ZclStatus.invalidValue)];
      const entries = entriesBetween(ctx.app, log, dateOfZigbeeTime(p.readUInt32LE(3)), dateOfZigbeeTime(p.readUInt32LE(7)));
      const wanted = p[11]! === 0 ? entries.length : p[11]!;
      const chosen = entries.slice(p.readUInt16LE(12), p.readUInt16LE(12) + wanted);
      if (chosen.length === 0) return [defaultResponse(c, ZclStatus.notFound)];
      // Publish Event Log: total matching(2) ‖ command index(1) ‖ total commands(1) ‖ log payload control(1) ‖ per event: log id, event id, time, data
      const head = Buffer.alloc(5);
      head.writeUInt16LE(entries.length, 0);
      head[3] = 1;
      const events = chosen.map((e) => {
        const b = Buffer.alloc(7);
        b[0] = ZCL_LOG_ID[e.log]!;
        b.writeUInt16LE(e.code, 1);
        b.writeUInt32LE(zigbeeTime(new Date(e.at)), 3);
        const data = Buffer.from(e.data ?? '', 'hex');
        return Buffer.concat([b, Buffer.from([data.length]), data]);
      });
      return [responseComponent(c, ZclFrame.clusterResponse, 0x01, Buffer.concat([head, ...events]))];
    },
  },
];

const READERS = [RemotePartyRole.Supplier, RemotePartyRole.NetworkOperator];
const ACB = [RemotePartyRole.AccessControlBroker];

export const EVENT_LOGS: UseCaseFamily = {
  name: 'event logs',
  cosem,
  zclCommands,
  useCases: [
    dlmsUseCase({ name: 'ECS35a', messageCodes: [0x0048], deviceTypes: ['ESME'], roles: READERS, critical: false }),
    dlmsUseCase({ name: 'ECS35b', messageCodes: [0x0049], deviceTypes: ['ESME'], roles: READERS, critical: false }),
    dlmsUseCase({ name: 'ECS35c', messageCodes: [0x0093], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'ECS35d', messageCodes: [0x0094], deviceTypes: ['CHF'], roles: ACB, critical: false }),
    dlmsUseCase({ name: 'ECS35e', messageCodes: [0x00b9], deviceTypes: ['ESME'], roles: READERS, critical: false }),
    dlmsUseCase({ name: 'ECS35f', messageCodes: [0x00ba], deviceTypes: ['ESME'], roles: [RemotePartyRole.Supplier], critical: false }),
    dlmsUseCase({ name: 'ECS35g', messageCodes: [0x00fd], deviceTypes: ['ESME'], roles: [RemotePartyRole.NetworkOperator], critical: false }),
    gbzUseCase({ name: 'CS10a', messageCodes: [0x0014], deviceTypes: ['GSME'], roles: READERS, critical: false }),
    gbzUseCase({ name: 'CS10b', messageCodes: [0x00a1], deviceTypes: ['GSME'], roles: READERS, critical: false }),
  ],
};
