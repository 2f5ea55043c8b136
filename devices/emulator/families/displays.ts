/**
 * What the consumer sees and the supplier's details (DUIS 3.1-3.5, 9.1): the message on the display, the
 * supplier's name and telephone number, the privacy PIN, the change-of-tenancy restriction, the CIN, and the
 * clearing of event logs. An ESME takes them as DLMS sets and actions, stored by the COSEM engine as any set
 * is; a GSME (a GPF for the tenancy restriction) as ZCL messaging, device management and events commands.
 * Either way the meter keeps them in named sections of its application state, which the console shows.
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { obis, type DlmsData } from '../../gbcs/dlms.ts';
import { ZclCluster, type GbzComponent } from '../../gbcs/gbz.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import type { CommandContext } from '../app-use-case.ts';
import { responseComponent, type ZclCommand } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';

// ------------------------------------------------------------------------------------------------ state

/** What the meter shows and holds for the consumer. */
export interface ConsumerFacts {
  message?: { text: string; since: string };
  supplier?: { name: string; telephone: string; since: string };
  privacyPin?: { disabled: boolean; since: string };
  /** data from before this instant is withheld from the new tenant */
  tenancyRestrictedBefore?: string;
  cin?: { value: string; since: string };
}

export function consumerFacts(app: DeviceAppState): ConsumerFacts {
  return appSection<ConsumerFacts>(app, 'consumer', () => ({}));
}

/** Event logs by name ('esme', 'alcs', 'general' for a GSME): entries other families record. */
export interface EventLogsSection {
  logs: Record<string, { code: number; at: string }[]>;
  /** when each log was last cleared */
  cleared: Record<string, string>;
}

export function eventLogs(app: DeviceAppState): EventLogsSection {
  return appSection<EventLogsSection>(app, 'eventLogs', () => ({ logs: {}, cleared: {} }));
}

export function recordEvent(app: DeviceAppState, log: string, code: number, at: Date): void {
  (eventLogs(app).logs[log] ??= []).push({ code, at: at.toISOString() });
}

export function clearLog(app: DeviceAppState, log: string, at: Date): void {
  const s = eventLogs(app);
  s.logs[log] = [];
  s.cleared[log] = at.toISOString();
}

// ------------------------------------------------------------------------------------------------ ESME

// The OBIS codes as RTDS's ESME vectors address them (service-requests/services/display-commands.ts sends them).
const OBJECTS = {
  supplierMessage: obis('0-2:96.13.1.255'),
  tenancyRestriction: obis('0-0:94.44.3.2'),
  privacyPin: obis('0-0:94.44.3.1'),
  supplierTelephone: obis('0-0:96.13.0.255'),
  supplierName: obis('0-0:96.13.1.255'),
  cin: obis('0-3:96.13.1.255'),
  esmeEventLog: obis('0-0:99.98.0.255'),
  alcsEventLog: obis('0-17:99.98.2.255'),
} as const;

const text = (d: DlmsData | undefined): string | undefined => (d && d.type === 'octet-string' ? d.value.toString('latin1') : undefined);

function dlmsDate(d: DlmsData | undefined): Date | undefined {
  if (!d || d.type !== 'octet-string' || d.value.length !== 12) return undefined;
  const b = d.value;
  const t = Date.UTC(b.readUInt16BE(0), b[2]! - 1, b[3]!, b[5]!, b[6]!, b[7]!);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * The sets and actions of these use cases, noted in the named sections as well as stored by the COSEM engine
 * (each value is only noted when its spec addresses the object RTDS shows).
 */
function noteEsme(ctx: CommandContext): void {
  if (ctx.body.kind !== 'dlms-request') return;
  const { specs, data } = ctx.body.request;
  const since = ctx.now.toISOString();
  const c = consumerFacts(ctx.app);
  const valueOf = (o: string) => {
    const i = specs.findIndex((s) => s.obis === o);
    return i < 0 ? undefined : data[i];
  };
  for (const s of specs) {
    if (s.kind === 'action' && s.classId === 7 && s.id === 1) {
      if (s.obis === OBJECTS.esmeEventLog) clearLog(ctx.app, 'esme', ctx.now);
      if (s.obis === OBJECTS.alcsEventLog) clearLog(ctx.app, 'alcs', ctx.now);
    }
    if (s.kind !== 'set') continue;
    if (s.obis === OBJECTS.supplierMessage) {
      const t = text(valueOf(s.obis));
      if (t !== undefined) c.message = { text: t, since };
    } else if (s.obis === OBJECTS.tenancyRestriction) {
      const d = dlmsDate(valueOf(s.obis));
      if (d) c.tenancyRestrictedBefore = d.toISOString();
    } else if (s.obis === OBJECTS.privacyPin) {
      const t = text(valueOf(s.obis));
      if (t !== undefined) c.privacyPin = { disabled: t.length === 0, since };
    } else if (s.obis === OBJECTS.supplierName) {
      const name = text(valueOf(OBJECTS.supplierName));
      const telephone = text(valueOf(OBJECTS.supplierTelephone));
      if (name !== undefined) c.supplier = { name, telephone: telephone ?? c.supplier?.telephone ?? '', since };
    } else if (s.obis === OBJECTS.cin) {
      const t = text(valueOf(s.obis));
      if (t !== undefined) c.cin = { value: t, since };
    }
  }
}

// ------------------------------------------------------------------------------------------------ GSME / GPF

const EVENTS_CLUSTER = 0x0709;
const le32 = (b: Buffer, at: number) => (b.length >= at + 4 ? b.readUInt32LE(at) : undefined);

/** A ZCL string (length-prefixed) at `at`, and where it ends. */
function zclString(b: Buffer, at: number): { value: string; end: number } | undefined {
  if (at >= b.length) return undefined;
  const n = b[at]!;
  if (at + 1 + n > b.length) return undefined;
  return { value: b.subarray(at + 1, at + 1 + n).toString('latin1'), end: at + 1 + n };
}

/** The acknowledgement RTDS's gas devices give these publishes: a Default Response with frame control 00. */
function acknowledged(c: GbzComponent, status = 0x00): GbzComponent[] {
  return [responseComponent(c, 0x00, 0x0b, Buffer.from([c.commandId, status]))];
}

const FAILURE = 0x01;
const ZIGBEE_EPOCH = Date.UTC(2000, 0, 1);

const zclCommands: ZclCommand[] = [
  {
    clusterId: ZclCluster.messaging, commandId: 0x00, name: 'Display Message',
    run(c, ctx) {
      // message id(4) ‖ control(1) ‖ start time(4) ‖ duration(2) ‖ message
      const m = zclString(c.payload, 11);
      if (!m) return acknowledged(c, FAILURE);
      consumerFacts(ctx.app).message = { text: m.value, since: ctx.now.toISOString() };
      return acknowledged(c);
    },
  },
  {
    clusterId: ZclCluster.deviceManagement, commandId: 0x00, name: 'Publish Change of Tenancy',
    run(c, ctx) {
      // provider(4) ‖ issuer event(4) ‖ tariff type(1) ‖ implementation time(4) ‖ control(4)
      const t = le32(c.payload, 9);
      if (t === undefined) return acknowledged(c, FAILURE);
      consumerFacts(ctx.app).tenancyRestrictedBefore = new Date(t === 0 ? ctx.now.getTime() : ZIGBEE_EPOCH + t * 1000).toISOString();
      return acknowledged(c);
    },
  },
  {
    clusterId: ZclCluster.deviceManagement, commandId: 0x01, name: 'Publish Change of Supplier',
    run(c, ctx) {
      // provider(4) ‖ issuer event(4) ‖ tariff type(1) ‖ proposed provider(4) ‖ implementation time(4) ‖ control(4) ‖ name ‖ contact
      const name = zclString(c.payload, 21);
      const telephone = name && zclString(c.payload, name.end);
      if (!name || !telephone) return acknowledged(c, FAILURE);
      consumerFacts(ctx.app).supplier = { name: name.value, telephone: telephone.value, since: ctx.now.toISOString() };
      return acknowledged(c);
    },
  },
  {
    clusterId: ZclCluster.deviceManagement, commandId: 0x02, name: 'Request New Password Response',
    run(c, ctx) {
      // issuer event(4) ‖ implementation time(4) ‖ duration(2) ‖ password type(1) ‖ password: type 2, empty = PIN off
      const password = zclString(c.payload, 11);
      if (c.payload[10] !== 0x02 || !password) return acknowledged(c, FAILURE);
      consumerFacts(ctx.app).privacyPin = { disabled: password.value.length === 0, since: ctx.now.toISOString() };
      return acknowledged(c);
    },
  },
  {
    clusterId: ZclCluster.deviceManagement, commandId: 0x06, name: 'Update CIN',
    run(c, ctx) {
      // issuer event(4) ‖ implementation time(4) ‖ provider(4) ‖ CIN
      const cin = zclString(c.payload, 12);
      if (!cin) return acknowledged(c, FAILURE);
      consumerFacts(ctx.app).cin = { value: cin.value, since: ctx.now.toISOString() };
      return acknowledged(c);
    },
  },
  {
    clusterId: EVENTS_CLUSTER, commandId: 0x01, name: 'Clear Event Log Request',
    run(c, ctx) {
      // log id 3: the general event log (0: all the logs this device keeps, which is that one)
      const id = c.payload[0];
      const clears = id === 0x03 || id === 0x00;
      if (clears) clearLog(ctx.app, 'general', ctx.now);
      // Clear Event Log Response: the cleared logs, bit 0 all, bit 3 the general event log (08, as RTDS); 00 none
      return [responseComponent(c, 0x09, 0x02, Buffer.from([!clears ? 0x00 : id === 0x00 ? 0x01 : 0x08]))];
    },
  },
];

const SUPPLIER: readonly number[] = [RemotePartyRole.Supplier];
const ACB: readonly number[] = [RemotePartyRole.AccessControlBroker];
const esme = (name: string, messageCode: number, roles = SUPPLIER) => dlmsUseCase({ name, messageCodes: [messageCode], deviceTypes: ['ESME'], roles, critical: false, before: noteEsme });

export const DISPLAYS: UseCaseFamily = {
  name: 'displays',
  zclCommands,
  useCases: [
    esme('ECS10', 0x0021),
    esme('ECS12', 0x0022),
    esme('ECS14', 0x0023),
    esme('ECS15a', 0x0024),
    esme('ECS15c', 0x00c1),
    esme('ECS16', 0x0025),
    // the CIN comes from the DCC itself, through the ACB
    esme('ECS50', 0x0058, ACB),
    gbzUseCase({ name: 'GCS07', messageCodes: [0x0071], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS09', messageCodes: [0x0072], deviceTypes: ['GPF'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS11', messageCodes: [0x0073], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'CS11', messageCodes: [0x0015], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS44', messageCodes: [0x0088], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS36', messageCodes: [0x0083], deviceTypes: ['GSME'], roles: ACB, critical: false }),
  ],
};
