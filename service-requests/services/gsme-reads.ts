/**
 * The GBCS of the section 4 reads on a gas meter (GSME) or its gas proxy (GPF): one GBZ command per variant
 * (catalogue.md §3.2), each matching its RTDS SUCCESS COMMAND vector apart from the times it carries. The ESME
 * reads' modules (service-requests/services/4.*.ts) call `gsmeReadCommand` for a GSME or GPF target, so one
 * module serves both fuels; 4.1.4, which only a gas meter answers, has its own module (4.1.4.ts).
 *
 * The GPF holds a mirror of its GSME's data (catalogue.md §1.15): the instantaneous reads, the prepayment
 * daily log, the meter balance and the daily consumption log may go to either; the logs and profiles of the
 * meter itself go to the GSME only.
 */
import type { DeviceType } from '../../pki/index.ts';
import { ZIGBEE_EPOCH_MS, ZclCluster, encodeGbz, encodeReadAttributes, type GbzComponent } from '../../devices/index.ts';
import type { CommandTime, GbcsCommand } from './device-command.ts';

/** ZigBee times are uint32 seconds since 2000; FFFFFFFF means "never", so later dates read as FFFFFFFE (as RTDS). */
export function zclTime(d: Date): number {
  const seconds = Math.floor((d.getTime() - ZIGBEE_EPOCH_MS) / 1000);
  if (seconds <= 0) return 0;
  return Math.min(seconds, 0xfffffffe);
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** A ZCL Read Attributes component (profile-wide, client to server). */
export function readAttributesComponent(clusterId: number, ids: readonly number[]): GbzComponent {
  return { control: 0, clusterId, frameControl: 0x00, sequence: 0, commandId: 0x00, payload: encodeReadAttributes(ids) };
}

/** A cluster-specific client-to-server command component. */
export function clusterCommand(clusterId: number, commandId: number, payload: Buffer, fromDateTime?: Date): GbzComponent {
  const c: GbzComponent = { control: 0, clusterId, frameControl: 0x01, sequence: 0, commandId, payload };
  if (fromDateTime) {
    // GBCS's "from date-time" extended header (control bit 0x10): UTC seconds, big-endian as in GBZ headers
    const h = Buffer.alloc(4);
    h.writeUInt32BE(zclTime(fromDateTime));
    c.control = 0x10;
    c.fromDateTime = h;
  }
  return c;
}

export const GSME_ATTRIBUTES = {
  currentSummationDelivered: 0x0000,
  /** CurrentTier1..4SummationDelivered: 0x0100, 0x0102, 0x0104, 0x0106 */
  tierSummation: (tier: number) => 0x0100 + 2 * (tier - 1),
  unitOfMeasure: 0x0300,
  multiplier: 0x0301,
  divisor: 0x0302,
  /** CurrentNoTierBlock1..4SummationDelivered: 0x0700..0x0703 */
  blockSummation: (block: number) => 0x0700 + (block - 1),
  billToDateDelivered: 0x0a00,
} as const;

const A = GSME_ATTRIBUTES;
const REGISTER_SCALE = [A.divisor, A.multiplier, A.unitOfMeasure];

/** Snapshot causes (ZCL metering and prepayment Get Snapshot). */
export const SnapshotCause = {
  general: 0x00000001,
  billingPeriodEnd: 0x00000002,
  /** change of tariff (0x0008), of mode (0x2000) or of debt (0x4000): the CoM/tariff triggered billing data log */
  changeOfModeOrTariff: 0x00006008,
} as const;

/** Sampled data sample ids (Get Sampled Data, Start Sampling). */
export const SampleId = { profile: 0, dailyConsumption: 1, networkData: 2 } as const;

/** Get Snapshot (metering 0x06) or Get Prepay Snapshot (prepayment 0x07), one component per snapshot offset. */
function snapshots(clusterId: number, start: Date, end: Date, offsets: number, cause: number): GbzComponent[] {
  const commandId = clusterId === ZclCluster.metering ? 0x06 : 0x07;
  return Array.from({ length: offsets }, (_, offset) => clusterCommand(clusterId, commandId, Buffer.concat([le32(zclTime(start)), le32(zclTime(end)), Buffer.from([offset]), le32(cause)])));
}

/** Get Sampled Data (metering 0x08): sample id, earliest sample time, sample type 0 (consumption), number of samples. */
function sampledData(sampleId: number, start: Date, count: number): GbzComponent {
  return clusterCommand(ZclCluster.metering, 0x08, Buffer.concat([le16(sampleId), le32(zclTime(start)), Buffer.from([0x00]), le16(Math.max(1, Math.min(0xffff, count)))]));
}

/** Network data is sampled every 6 minutes (the interval 14.1 starts sampling with). */
export const NETWORK_SAMPLE_SECONDS = 360;
export const NETWORK_MAX_SAMPLES = 41;

/** The tariff and prepayment configuration reads of 4.11.1 and 4.13: fixed attribute lists and calendar gets. */
function calendarGets(issuerCalendarId: number, specialDayCalendarType: number): GbzComponent[] {
  const id = le32(issuerCalendarId);
  const provider = le32(0);
  return [
    // Get Day Profiles / Get Week Profiles: provider, issuer calendar id, start id 1, all (0)
    clusterCommand(ZclCluster.calendar, 0x01, Buffer.concat([provider, id, Buffer.from([0x01, 0x00])])),
    clusterCommand(ZclCluster.calendar, 0x02, Buffer.concat([provider, id, Buffer.from([0x01, 0x00])])),
    // Get Seasons: provider, issuer calendar id
    clusterCommand(ZclCluster.calendar, 0x03, Buffer.concat([provider, id])),
    // Get Special Days: start time now, all events, calendar type, provider, issuer calendar id
    clusterCommand(ZclCluster.calendar, 0x04, Buffer.concat([le32(0), Buffer.from([0x00, specialDayCalendarType]), provider, id])),
  ];
}

const PRICE_TARIFF_ATTRIBUTES = [0x0203, 0x0202, 0x0100, 0x0101, 0x0102, 0x0615, 0x0400, 0x0401, 0x0402, 0x0403, 0x0410, 0x0420, 0x0430, 0x0440, 0x0616, 0x0617, 0x0301];
const PREPAYMENT_CONFIGURATION_ATTRIBUTES = [0x0239, 0x0006, 0x0216, 0x0226, 0x0040, 0x0010, 0x0011, 0x0031, 0x0021, 0x0022, 0x0217, 0x0227];
const PREPAY_VALUES_PRICE = [0x0617, 0x0616];
const PREPAY_VALUES_PREPAYMENT = [0x0005, 0x0002, 0x0001, 0x0231, 0x0211, 0x0221];

/**
 * The read-log period of a body, whatever the module calls its fields: `{ start, end }` itself, or the first
 * dates it holds in order (ReadLogPeriod's StartDateTime then EndDateTime), never the ExecutionDateTime of a
 * future-dated request.
 */
export function logPeriodOf(body: unknown): { start: Date; end: Date } | undefined {
  const dates: Date[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (dates.length >= 2 || depth > 3 || v === null || typeof v !== 'object') return;
    if (v instanceof Date) {
      dates.push(v);
      return;
    }
    if (Buffer.isBuffer(v) || Array.isArray(v)) return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!/execution/i.test(k)) walk(x, depth + 1);
  };
  const o = body as { start?: unknown; end?: unknown } | null;
  if (o && o.start instanceof Date && o.end instanceof Date) return { start: o.start, end: o.end };
  walk(body, 0);
  return dates.length >= 2 ? { start: dates[0]!, end: dates[1]! } : undefined;
}

type Gas = 'GSME' | 'GPF';
const BOTH: readonly Gas[] = ['GSME', 'GPF'];
const GSME_ONLY: readonly Gas[] = ['GSME'];
const GPF_ONLY: readonly Gas[] = ['GPF'];

interface GasRead {
  types: readonly Gas[];
  command(body: unknown, type: Gas, at: CommandTime): GbcsCommand | undefined;
}

/** The GBZ payload; each component's ZCL sequence number is its index (as in every RTDS multi-component command). */
export const gbz = (components: GbzComponent[]) => encodeGbz({ components: components.map((c, i) => ({ ...c, sequence: i & 0xff })) });
const fixed = (useCase: string, messageCode: number, components: GbzComponent[]) => () => ({ useCase, messageCode, payload: gbz(components) });

function periodRead(useCase: string, messageCode: number, make: (start: Date, end: Date) => GbzComponent[]) {
  return (body: unknown): GbcsCommand | undefined => {
    const p = logPeriodOf(body);
    return p ? { useCase, messageCode, payload: gbz(make(p.start, p.end)) } : undefined;
  };
}

const SECONDS = (start: Date, end: Date) => Math.max(0, Math.floor((end.getTime() - start.getTime()) / 1000));

/** Section 4 variants on gas devices, by service reference variant. */
const GAS_READS: Readonly<Record<string, GasRead>> = {
  '4.1.1': { types: BOTH, command: fixed('GCS13a', 0x0074, [readAttributesComponent(ZclCluster.metering, [...REGISTER_SCALE, A.currentSummationDelivered])]) },
  '4.1.2': { types: BOTH, command: fixed('GCS13c', 0x00b6, [readAttributesComponent(ZclCluster.metering, [...REGISTER_SCALE, ...[1, 2, 3, 4].map(A.tierSummation)])]) },
  '4.1.4': { types: BOTH, command: fixed('GCS13b', 0x00b8, [readAttributesComponent(ZclCluster.metering, [...[1, 2, 3, 4].map(A.blockSummation), ...REGISTER_SCALE])]) },
  '4.3': {
    types: BOTH,
    command: fixed('GCS14', 0x0075, [readAttributesComponent(ZclCluster.price, PREPAY_VALUES_PRICE), readAttributesComponent(ZclCluster.prepayment, PREPAY_VALUES_PREPAYMENT)]),
  },
  '4.4.2': {
    types: GSME_ONLY,
    // the prepayment snapshots first, then the metering ones, twelve offsets each (RTDS)
    command: periodRead('GCS15b', 0x00c3, (s, e) => [
      ...snapshots(ZclCluster.prepayment, s, e, 12, SnapshotCause.changeOfModeOrTariff),
      ...snapshots(ZclCluster.metering, s, e, 12, SnapshotCause.changeOfModeOrTariff),
    ]),
  },
  '4.4.3': {
    types: GSME_ONLY,
    command: periodRead('GCS15c', 0x0076, (s, e) => [
      ...snapshots(ZclCluster.metering, s, e, 12, SnapshotCause.billingPeriodEnd),
      ...snapshots(ZclCluster.prepayment, s, e, 12, SnapshotCause.billingPeriodEnd),
    ]),
  },
  '4.4.4': {
    types: GSME_ONLY,
    // Get Debt Repayment Log: latest end time, up to 10 debts, debt type 2 (payment-based debt)
    command: periodRead('GCS15d', 0x00c4, (s, e) => [clusterCommand(ZclCluster.prepayment, 0x0a, Buffer.concat([le32(zclTime(e)), Buffer.from([0x0a, 0x02])]), s)]),
  },
  '4.4.5': {
    types: GSME_ONLY,
    // Get Top Up Log: latest end time, the last 5 top-ups
    command: periodRead('GCS15e', 0x00c5, (s, e) => [clusterCommand(ZclCluster.prepayment, 0x08, Buffer.concat([le32(zclTime(e)), Buffer.from([0x05])]), s)]),
  },
  '4.6.1': { types: GSME_ONLY, command: periodRead('GCS16a', 0x0077, (s, e) => snapshots(ZclCluster.metering, s, e, 31, SnapshotCause.general)) },
  '4.8.1': {
    types: GSME_ONLY,
    // one half-hour sample per half hour from the start to the end, both included
    command: periodRead('GCS17', 0x0078, (s, e) => [sampledData(SampleId.profile, s, Math.floor(SECONDS(s, e) / 1800) + 1)]),
  },
  '4.10': {
    types: GSME_ONLY,
    command: periodRead('GCS18', 0x0079, (s, e) => [sampledData(SampleId.networkData, s, Math.floor(SECONDS(s, e) / NETWORK_SAMPLE_SECONDS) + 1)]),
  },
  '4.11.1': {
    types: GSME_ONLY,
    command: fixed('GCS21f', 0x009f, [
      readAttributesComponent(ZclCluster.price, PRICE_TARIFF_ATTRIBUTES),
      ...calendarGets(0xffffffff, 0x00),
      // Get Current Price, no options
      clusterCommand(ZclCluster.price, 0x00, Buffer.from([0x00])),
    ]),
  },
  '4.13': {
    types: GSME_ONLY,
    // the friendly-credit calendar (issuer calendar id FFFFFFFE, special days of calendar type 3)
    command: fixed('GCS21b', 0x00b5, [
      readAttributesComponent(ZclCluster.prepayment, PREPAYMENT_CONFIGURATION_ATTRIBUTES),
      readAttributesComponent(ZclCluster.price, [0x0617]),
      ...calendarGets(0xfffffffe, 0x03),
    ]),
  },
  '4.14': { types: BOTH, command: periodRead('GCS16b', 0x0096, (s, e) => snapshots(ZclCluster.prepayment, s, e, 31, SnapshotCause.general)) },
  '4.17': {
    types: GPF_ONLY,
    command: periodRead('GCS61', 0x00a0, (s, e) => [sampledData(SampleId.dailyConsumption, s, Math.floor(SECONDS(s, e) / 86_400) + 1)]),
  },
  '4.18': {
    types: BOTH,
    command: (_b, type) => {
      const components = [readAttributesComponent(ZclCluster.metering, [A.billToDateDelivered]), readAttributesComponent(ZclCluster.prepayment, [0x0001])];
      // the GPF answers from its mirror with GCS60a, the GSME itself with GCS60
      return type === 'GPF' ? { useCase: 'GCS60a', messageCode: 0x012a, payload: gbz(components) } : { useCase: 'GCS60', messageCode: 0x008d, payload: gbz(components) };
    },
  },
};

/**
 * The GBCS command of a section 4 read for a GSME or GPF, or undefined when the variant has no use case for
 * this device type (the module answers E11) or the body lacks what the command needs (a read-log period).
 */
export function gsmeReadCommand(variant: string, body: unknown, type: DeviceType, at: CommandTime): GbcsCommand | undefined {
  const read = GAS_READS[variant];
  if (!read || (type !== 'GSME' && type !== 'GPF') || !read.types.includes(type)) return undefined;
  const c = read.command(body, type, at);
  // A read that names the requester's KA certificate (KAPublicSecurityCredentials: 4.14, 4.17) is sent by the ACB
  // with that certificate in other-information, as RTDS's GCS16b URP and GCS61 vectors (‡)
  const urp = (body as { kaCertificate?: unknown } | null)?.kaCertificate;
  return c && Buffer.isBuffer(urp) ? { ...c, viaAcb: true, urpCertificate: urp } : c;
}

/** Why a gas device cannot take the variant (for the module's E11 text), or undefined when it can. */
export function gsmeReadRefusal(variant: string, type: DeviceType): string | undefined {
  const read = GAS_READS[variant];
  if (!read) return `${variant} has no gas use case`;
  if (type !== 'GSME' && type !== 'GPF') return undefined;
  return read.types.includes(type) ? undefined : `${variant} is read from a ${read.types.join(' or a ')}, not a ${type}`;
}
