/**
 * The gas meter's reads (DUIS section 4 on a GSME or GPF, and 14.1's network-data sampling): the metering
 * cluster's registers, snapshots and sampled data, and the prepayment cluster's snapshots and logs, all from the
 * meter model (devices/meter/), so that reads advance with the clock and stop while the valve is closed.
 *
 * The GPF answers its reads from its mirror of the GSME's data (catalogue.md §1.15), which the GSME refreshes over
 * the HAN: here the GSME's own meter model and application state (valve closures, credit, top-ups, tariff), as the
 * GSME stands at the read's instant. Which GSME is the inventory's to say (the one in the GPF's comms hub's HAN), so
 * the reads declare it (`reads: mirroredGsme`) and the caller loads it; the GPF never writes it. A GPF with no paired
 * GSME answers from a gas meter model keyed by its own EUI, as every GPF did before: coherent over time, though no
 * meter's figures.
 *
 * Sensitive parts (catalogue.md §2.3) are encrypted to the requester's KA key: the registers, snapshots, logs and
 * sampled data; the prices, the meter balance and the top-up log travel in clear, as in RTDS.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { RemotePartyRole } from '../../../pki/index.ts';
import { factsOf } from '../certificate-cache.ts';
import { ZclCluster, ZclStatus, ZclType, zigbeeTime, type GbzComponent } from '../../gbcs/gbz.ts';
import { encryptSensitive } from '../../gbcs/sensitive.ts';
import { encodeGbz } from '../../gbcs/gbz.ts';
import { meterModel, type MeterModel } from '../../meter/model.ts';
import { dailyConsumptionLog, gasEnergyKWh, profileRows, registerAt } from '../../meter/reads.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import { appUseCase, type CommandContext } from '../app-use-case.ts';
import type { DeviceType } from '../cells.ts';
import { RejectionAlert, reject } from '../security.ts';
import type { UseCase } from '../use-case.ts';
import { defaultResponse, responseComponent, runGbz, type ZclAttribute, type ZclCommand } from '../zcl-engine.ts';
import { zclBehaviours } from './index.ts';
import type { UseCaseFamily } from './kit.ts';
import { clampInt32, creditAttribute, creditFiguresAt, paymentDebtRecoveriesOf, topUpsOf } from './prepayment.ts';
import type { SupplySection } from './supply.ts';

// ---------------------------------------------------------------------------------------------- the meter

/** Where every gas register of the simulated fleet starts from zero (the meter model's epoch). */
export const GAS_FLEET_EPOCH = new Date(Date.UTC(2015, 0, 1));

/** The gas meter behind a GSME (or mirrored by a GPF: the GSME's): its premises from the EUI, no gas while the valve was closed. */
export function gasMeterOf(ctx: { readonly device: { readonly eui: string }; readonly app: DeviceAppState }): MeterModel {
  const supply = ctx.app.supply as SupplySection | undefined;
  const supplyOff = (supply?.off ?? []).map((o) => (o.to ? { from: new Date(o.from), to: new Date(o.to) } : { from: new Date(o.from) }));
  return meterModel({ eui: ctx.device.eui, fuel: 'gas', epoch: GAS_FLEET_EPOCH, supplyOff });
}

/** The gas volume register, dm³ (reported with divisor 1000 and unit m³). */
export function gasVolumeAt(ctx: Parameters<typeof gasMeterOf>[0], at: Date): number {
  return at.getTime() <= GAS_FLEET_EPOCH.getTime() ? 0 : registerAt(gasMeterOf(ctx), 'gasVolume', at);
}

/**
 * A single-rate gas tariff until the tariff family publishes one: everything is in tier 1 and block 1. The unit
 * price (GBP × 10^-5, the Price cluster's trailing digit 5 as RTDS shows) bills BillToDateDelivered.
 */
export const GAS_UNIT_PRICE = 6_500; // 6.5 p/kWh

function monthStart(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

// ---------------------------------------------------------------------------------------------- attributes

const M = ZclCluster.metering;
const u48 = (value: number) => ({ type: ZclType.uint48, value });

const zclAttributes: ZclAttribute[] = [
  { clusterId: M, id: 0x0000, name: 'current summation delivered', get: (ctx) => u48(gasVolumeAt(ctx, ctx.now)) },
  ...[1, 2, 3, 4].map((tier): ZclAttribute => ({
    clusterId: M, id: 0x0100 + 2 * (tier - 1), name: `current tier ${tier} summation delivered`,
    get: (ctx) => u48(tier === 1 ? gasVolumeAt(ctx, ctx.now) : 0),
  })),
  { clusterId: M, id: 0x0300, name: 'unit of measure', get: () => ({ type: ZclType.enum8, value: 0x01 }) }, // m³
  { clusterId: M, id: 0x0301, name: 'multiplier', get: () => ({ type: ZclType.uint24, value: 1 }) },
  { clusterId: M, id: 0x0302, name: 'divisor', get: () => ({ type: ZclType.uint24, value: 1000 }) }, // dm³ → m³
  ...[1, 2, 3, 4].map((block): ZclAttribute => ({
    clusterId: M, id: 0x0700 + (block - 1), name: `current no-tier block ${block} summation delivered`,
    get: (ctx) => u48(block === 1 ? gasVolumeAt(ctx, ctx.now) : 0),
  })),
  {
    clusterId: M, id: 0x0a00, name: 'bill to date delivered',
    get: (ctx) => {
      const since = monthStart(ctx.now);
      const kwh = gasEnergyKWh(gasVolumeAt(ctx, ctx.now) - gasVolumeAt(ctx, since));
      return { type: ZclType.uint32, value: Math.min(0xffffffff, Math.round(kwh * GAS_UNIT_PRICE)) };
    },
  },
];

// ---------------------------------------------------------------------------------------------- snapshots

/** Billing events other families record (tariff or payment-mode changes), snapshotted with their cause. */
export interface BillingEventsSection {
  events: { at: string; cause: number }[];
}

export function recordBillingEvent(app: DeviceAppState, cause: number, at: Date): void {
  appSection<BillingEventsSection>(app, 'billingEvents', () => ({ events: [] })).events.push({ at: at.toISOString(), cause });
}

const CAUSE_GENERAL = 0x00000001;
const CAUSE_BILLING_PERIOD = 0x00000002;
const DAY = 86_400_000;

interface Snapshot {
  id: number;
  at: Date;
  cause: number;
}

/** The snapshots the meter holds in [from, to] for the requested cause bits, most recent first. */
function snapshotsIn(ctx: CommandContext, from: Date, to: Date, causes: number): Snapshot[] {
  const epoch = GAS_FLEET_EPOCH.getTime();
  const lo = Math.max(from.getTime(), epoch + 1);
  const hi = Math.min(to.getTime(), ctx.now.getTime());
  const out: Snapshot[] = [];
  if (hi < lo) return out;
  if (causes & CAUSE_GENERAL) {
    // the daily snapshot, at each UTC midnight
    for (let t = Math.floor(hi / DAY) * DAY; t >= lo && out.length < 256; t -= DAY) out.push({ id: (t - epoch) / DAY, at: new Date(t), cause: CAUSE_GENERAL });
  }
  if (causes & CAUSE_BILLING_PERIOD) {
    // the billing calendar's default period: the month, snapshotted at 00:00 on the 1st
    for (let m = monthStart(new Date(hi)); m.getTime() >= lo && out.length < 512; m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() - 1, 1))) {
      const months = (m.getUTCFullYear() - GAS_FLEET_EPOCH.getUTCFullYear()) * 12 + m.getUTCMonth() - GAS_FLEET_EPOCH.getUTCMonth();
      out.push({ id: months, at: m, cause: CAUSE_BILLING_PERIOD });
    }
  }
  const recorded = (ctx.app.billingEvents as BillingEventsSection | undefined)?.events ?? [];
  recorded.forEach((e, i) => {
    const t = Date.parse(e.at);
    if ((e.cause & causes) !== 0 && t >= lo && t <= hi) out.push({ id: 0x10000 + i, at: new Date(t), cause: e.cause & causes });
  });
  return out.sort((a, b) => b.at.getTime() - a.at.getTime());
}

interface GetSnapshot {
  from: Date;
  to: Date;
  offset: number;
  cause: number;
}

function readGetSnapshot(p: Buffer): GetSnapshot | undefined {
  if (p.length < 13) return undefined;
  return { from: new Date(Date.UTC(2000, 0, 1) + p.readUInt32LE(0) * 1000), to: new Date(Date.UTC(2000, 0, 1) + p.readUInt32LE(4) * 1000), offset: p[8]!, cause: p.readUInt32LE(9) };
}

function le(n: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUIntLE(Math.max(0, Math.min(n, 2 ** (8 * size) - 1)), 0, size);
  return b;
}

/** Publish (Prepay) Snapshot header: id, time, total found, command index 0 of 1, cause, payload type. */
function snapshotHeader(s: Snapshot, found: number, payloadType: number): Buffer {
  return Buffer.concat([le(s.id, 4), le(zigbeeTime(s.at), 4), Buffer.from([Math.min(found, 0xff), 0x00, 0x01]), le(s.cause, 4), Buffer.from([payloadType])]);
}

function publishSnapshot(c: GbzComponent, ctx: CommandContext, payload: (s: Snapshot) => [number, Buffer], commandId: number): GbzComponent[] {
  const q = readGetSnapshot(c.payload);
  if (!q) return [defaultResponse(c, ZclStatus.invalidValue)];
  const found = snapshotsIn(ctx, q.from, q.to, q.cause);
  const s = found[q.offset];
  if (!s) return [defaultResponse(c, ZclStatus.notFound)];
  const [type, body] = payload(s);
  return [responseComponent(c, 0x19, commandId, Buffer.concat([snapshotHeader(s, found.length, type), body]))];
}

/** Block Tier Information Set Delivered (no billing), payload type 6: total, 4 tiers, 1 tier × 4 blocks. */
function meteringSnapshot(ctx: CommandContext, s: Snapshot): [number, Buffer] {
  const total = gasVolumeAt(ctx, s.at);
  const tiers = [total, 0, 0, 0];
  const blocks = [total, 0, 0, 0];
  return [0x06, Buffer.concat([le(total, 6), Buffer.from([tiers.length]), ...tiers.map((v) => le(v, 6)), Buffer.from([0x14]), ...blocks.map((v) => le(v, 6))])];
}

/**
 * Debt/Credit Status, payload type 0: accumulated debt, debt amounts 3 (payment-based), 1 and 2 (time-based),
 * emergency credit and credit remaining, as the meter had them at the snapshot's time (prepayment.ts creditFiguresAt),
 * each as its Prepayment cluster attribute carries it.
 */
function prepaySnapshot(ctx: CommandContext, at: Date): [number, Buffer] {
  const f = creditFiguresAt(ctx.app, at);
  const values = [0x0005, 0x0231, 0x0211, 0x0221, 0x0002, 0x0001].map((id) => creditAttribute(f, id)!.value as number);
  return [0x00, Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeInt32LE(clampInt32(v)); return b; }))];
}

// ---------------------------------------------------------------------------------------------- sampled data

/** Network-data sampling that 14.1 (GCS31 Start Sampling) started: sample id 2. */
export interface NetworkSamplingSection {
  start: string;
  intervalSeconds: number;
  maxSamples: number;
}

const SAMPLE_PROFILE = 0;
const SAMPLE_DAILY = 1;
const SAMPLE_NETWORK = 2;

/**
 * At most this many samples in one answer: a GBZ component holds 65535 octets (3 a sample), and a meter answers
 * a long period in part (the response says how many it gives).
 */
export const MAX_SAMPLES = 4096;

function samples(ctx: CommandContext, sampleId: number, earliest: Date, asked: number): { start: Date; interval: number; values: number[] } | undefined {
  const m = gasMeterOf(ctx);
  const count = Math.min(asked, MAX_SAMPLES);
  // only the samples asked for are computed: the period ends after `count` intervals, or now
  const until = (seconds: number) => new Date(Math.min(ctx.now.getTime(), Math.max(earliest.getTime(), GAS_FLEET_EPOCH.getTime()) + (count + 1) * seconds * 1000));
  if (sampleId === SAMPLE_PROFILE) {
    const rows = profileRows(m, 'gasVolume', earliest, until(1800)).slice(0, count);
    return rows.length ? { start: rows[0]!.start, interval: 1800, values: rows.map((r) => r.value) } : undefined;
  }
  if (sampleId === SAMPLE_DAILY) {
    const rows = dailyConsumptionLog(m, 'gasVolume', earliest, until(86_400)).slice(0, count);
    return rows.length ? { start: rows[0]!.start, interval: 86_400, values: rows.map((r) => r.value) } : undefined;
  }
  if (sampleId === SAMPLE_NETWORK) {
    const s = ctx.app.networkSampling as NetworkSamplingSection | undefined;
    if (!s) return undefined;
    const step = s.intervalSeconds * 1000;
    const begin = Date.parse(s.start);
    // the samples taken so far (each at the end of its interval), from the first at or after the earliest time asked
    const taken = Math.min(s.maxSamples, Math.floor((ctx.now.getTime() - begin) / step));
    const first = Math.max(0, Math.ceil((earliest.getTime() - begin) / step));
    const values: number[] = [];
    for (let i = first; i < taken && values.length < count; i++) {
      values.push(gasVolumeAt(ctx, new Date(begin + (i + 1) * step)) - gasVolumeAt(ctx, new Date(begin + i * step)));
    }
    return values.length ? { start: new Date(begin + first * step), interval: s.intervalSeconds, values } : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------- logs

/** ZCL debt type of the payment-based debt (debt 3; 0 and 1 are the time-based ones). */
const PAYMENT_BASED_DEBT = 0x02;

/** Its debt repayment log, oldest first (prepayment.ts paymentDebtRecoveriesOf), each with its ZCL debt type. */
function debtRepaymentsOf(app: DeviceAppState): { at: string; amount: number; debtType: number; outstanding: number }[] {
  return paymentDebtRecoveriesOf(app).map((d) => ({ ...d, debtType: PAYMENT_BASED_DEBT }));
}

/** A Get (Top Up | Debt Repayment) Log's window: the from-date-time header to the latest end time. */
function logWindow(c: GbzComponent): { from: number; to: number } {
  const from = c.fromDateTime ? Date.UTC(2000, 0, 1) + c.fromDateTime.readUInt32BE(0) * 1000 : 0;
  return { from, to: Date.UTC(2000, 0, 1) + c.payload.readUInt32LE(0) * 1000 };
}

// ---------------------------------------------------------------------------------------------- commands

const P = ZclCluster.prepayment;

const zclCommands: ZclCommand[] = [
  {
    clusterId: M, commandId: 0x06, name: 'Get Snapshot',
    run: (c, ctx) => publishSnapshot(c, ctx, (s) => meteringSnapshot(ctx, s), 0x06),
  },
  {
    clusterId: P, commandId: 0x07, name: 'Get Prepay Snapshot',
    run: (c, ctx) => publishSnapshot(c, ctx, (s) => prepaySnapshot(ctx, s.at), 0x01),
  },
  {
    clusterId: M, commandId: 0x08, name: 'Get Sampled Data',
    run(c, ctx) {
      // sample id(2) ‖ earliest sample time(4) ‖ sample type(1) ‖ number of samples(2)
      if (c.payload.length < 9) return [defaultResponse(c, ZclStatus.invalidValue)];
      const sampleId = c.payload.readUInt16LE(0);
      const got = samples(ctx, sampleId, new Date(Date.UTC(2000, 0, 1) + c.payload.readUInt32LE(2) * 1000), c.payload.readUInt16LE(7));
      if (!got) return [defaultResponse(c, ZclStatus.notFound)];
      const head = Buffer.concat([le(sampleId, 2), le(zigbeeTime(got.start), 4), Buffer.from([c.payload[6]!]), le(got.interval, 2), le(got.values.length, 2)]);
      // RTDS's network data response has default responses enabled (09), the others not (19)
      return [responseComponent(c, sampleId === SAMPLE_NETWORK ? 0x09 : 0x19, 0x07, Buffer.concat([head, ...got.values.map((v) => le(v, 3))]))];
    },
  },
  {
    clusterId: M, commandId: 0x07, name: 'Start Sampling',
    run(c, ctx) {
      // issuer event id(4) ‖ start sampling time(4, 0 = now) ‖ sample type(1) ‖ interval(2, s) ‖ max samples(2)
      const p = c.payload;
      if (p.length < 13 || p[8] !== 0x00 || p.readUInt16LE(9) === 0) return [responseComponent(c, 0x09, 0x0d, le(0xffff, 2))];
      const startField = p.readUInt32LE(4);
      const start = startField === 0 ? ctx.now : new Date(Date.UTC(2000, 0, 1) + startField * 1000);
      ctx.app.networkSampling = { start: start.toISOString(), intervalSeconds: p.readUInt16LE(9), maxSamples: p.readUInt16LE(11) } satisfies NetworkSamplingSection;
      return [responseComponent(c, 0x09, 0x0d, le(SAMPLE_NETWORK, 2))];
    },
  },
  {
    clusterId: P, commandId: 0x08, name: 'Get Top Up Log',
    run(c, ctx) {
      if (c.payload.length < 5) return [defaultResponse(c, ZclStatus.invalidValue)];
      const { from, to } = logWindow(c);
      const rows = topUpsOf(ctx.app).filter((t) => Date.parse(t.at) >= from && Date.parse(t.at) <= to).slice(-c.payload[4]!).reverse();
      if (!rows.length) return [defaultResponse(c, ZclStatus.notFound)];
      const body = rows.map((t) => {
        const amount = Buffer.alloc(4);
        amount.writeInt32LE(t.amount);
        return Buffer.concat([Buffer.from([t.utrn.length]), Buffer.from(t.utrn, 'latin1'), amount, le(zigbeeTime(new Date(t.at)), 4)]);
      });
      return [responseComponent(c, 0x19, 0x05, Buffer.concat([Buffer.from([0x00, 0x01]), ...body]))];
    },
  },
  {
    clusterId: P, commandId: 0x0a, name: 'Get Debt Repayment Log',
    run(c, ctx) {
      if (c.payload.length < 6) return [defaultResponse(c, ZclStatus.invalidValue)];
      const { from, to } = logWindow(c);
      const type = c.payload[5]!;
      const rows = debtRepaymentsOf(ctx.app).filter((d) => Date.parse(d.at) >= from && Date.parse(d.at) <= to && (type === 0xff || d.debtType === type)).slice(-c.payload[4]!).reverse();
      if (!rows.length) return [defaultResponse(c, ZclStatus.notFound)];
      const body = rows.map((d) => Buffer.concat([le(zigbeeTime(new Date(d.at)), 4), le(d.amount, 4), Buffer.from([d.debtType]), le(d.outstanding, 4)]));
      return [responseComponent(c, 0x19, 0x06, Buffer.concat([Buffer.from([0x00, 0x01]), ...body]))];
    },
  },
];

// ---------------------------------------------------------------------------------------------- use cases

interface GasRead {
  name: string;
  messageCode: number;
  deviceTypes: readonly DeviceType[];
  /** the response carries the grouping-header date-time (the instantaneous reads) */
  dateTime?: boolean;
  /** which response components are sensitive; the frame control an encrypted one carries, when not its own */
  sensitive?(c: GbzComponent): boolean;
  encryptedFrameControl?: number;
  /** default: the supplier */
  roles?: readonly number[];
}

/**
 * Who a sensitive answer is for (catalogue.md §2.3): the originator; or, when the ACB sends the read on a User's
 * behalf (a DCC schedule, a held future-dated read, ‡), the supplementary remote party named in other-information,
 * by the KA cell holding its certificate or by the certificate that follows its EUI and counter (URP), in which case
 * the device encrypts with a counter of its own and names it in the response.
 */
function sensitiveRecipient(ctx: CommandContext): { party: string; ka: KeyObject; counter: bigint } {
  const extra = ctx.apdu.otherInformationExtra;
  // on a User's behalf: the User's EUI and counter follow the message code (a GPF still DCC controlled holds the
  // ACB's certificates in its supplier cells, so the role alone does not tell)
  if (extra && extra.length >= 16) {
    const party = extra.subarray(0, 8).toString('hex').toUpperCase();
    if (extra.length > 16) {
      let ka: KeyObject;
      try {
        ka = new X509Certificate(extra.subarray(16)).publicKey;
      } catch {
        return reject(RejectionAlert.integrityCheckFailed, 'the supplementary remote party\'s KA certificate in other-information does not parse');
      }
      const counter = ctx.nextOriginatorCounter();
      const own = Buffer.alloc(8);
      own.writeBigUInt64BE(counter);
      ctx.setResponseOtherInformation(Buffer.concat([extra.subarray(0, 16), own]));
      return { party, ka, counter };
    }
    for (const cell of ['supplierKA', 'networkOperatorKA'] as const) {
      const der = ctx.device.cells[cell];
      const facts = der ? factsOf(der) : undefined;
      if (facts?.subjectEui === party) return { party, ka: facts.publicKey, counter: ctx.apdu.counter };
    }
    return reject(RejectionAlert.noAuthority, `no KA cell holds the key of ${party}, for whom the ACB asks a sensitive read`);
  }
  const ka = ctx.originatorKa ?? reject(RejectionAlert.noAuthority, 'the originator\'s KA cell is empty: the device cannot encrypt its sensitive response');
  return { party: ctx.apdu.originator, ka, counter: ctx.apdu.counter };
}

/** The response components, with the sensitive ones encrypted for their recipient (one recipient per response). */
function protect(components: GbzComponent[], ctx: CommandContext, read: GasRead): GbzComponent[] {
  if (!read.sensitive) return components;
  let recipient: ReturnType<typeof sensitiveRecipient> | undefined;
  return components.map((c) => {
    if (!read.sensitive!(c)) return c;
    recipient ??= sensitiveRecipient(ctx);
    const ciphered = encryptSensitive(c.payload, ctx.creds.kaKey, recipient.ka, { device: ctx.device.eui, party: recipient.party, counter: recipient.counter });
    return { ...c, control: c.control | 0x02, frameControl: read.encryptedFrameControl ?? c.frameControl, payload: Buffer.alloc(0), encrypted: { extendedHeader: Buffer.alloc(2), ciphered } };
  });
}

/**
 * Where a read's figures come from: the device's own meter and state, or a GPF's mirror of its GSME (see the header).
 * Only the figures: the GPF's own keys, cells and counters still encrypt and answer.
 */
function figuresOf(ctx: CommandContext): CommandContext {
  const gsme = ctx.mirroredGsme;
  return gsme ? { ...ctx, device: gsme.device, app: gsme.app } : ctx;
}

function gasRead(read: GasRead): UseCase {
  return appUseCase({
    name: read.name,
    messageCodes: [read.messageCode],
    deviceTypes: read.deviceTypes,
    // the ACB too: on a User's behalf for the DCC's schedules (5.1), held future-dated reads and the ‡ reads
    roles: read.roles ?? [RemotePartyRole.Supplier, RemotePartyRole.AccessControlBroker],
    critical: false,
    ...(read.dateTime ? { responseDateTime: true } : {}),
    // only a read a GPF answers asks for its GSME: no other read loads anything beyond its device
    ...(read.deviceTypes.includes('GPF') ? { reads: { mirroredGsme: true } } : {}),
    run(ctx) {
      if (ctx.body.kind !== 'gbz') reject(RejectionAlert.integrityCheckFailed, `${read.name} carries a ${ctx.body.kind} payload, not GBZ`);
      return encodeGbz({ components: protect(runGbz(ctx.body.gbz, figuresOf(ctx), zclBehaviours()).components, ctx, read) });
    },
  });
}

const GAS: readonly DeviceType[] = ['GSME', 'GPF'];
const GSME: readonly DeviceType[] = ['GSME'];
const is = (clusterId: number, commandId: number) => (c: GbzComponent) => c.clusterId === clusterId && c.commandId === commandId && (c.frameControl & 0x08) !== 0;
const publishes = (c: GbzComponent) => (c.frameControl & 0x01) === 0x01; // cluster-specific responses (Publish …), not Default Responses
const registers = is(M, 0x01);

export const GSME_READS: UseCaseFamily = {
  name: 'gsme-reads',
  zclAttributes,
  zclCommands,
  useCases: [
    // RTDS's encrypted register reads say "default response disabled" (18)
    gasRead({ name: 'GCS13a', messageCode: 0x0074, deviceTypes: GAS, dateTime: true, sensitive: registers, encryptedFrameControl: 0x18 }),
    gasRead({ name: 'GCS13c', messageCode: 0x00b6, deviceTypes: GAS, dateTime: true, sensitive: registers, encryptedFrameControl: 0x18 }),
    gasRead({ name: 'GCS13b', messageCode: 0x00b8, deviceTypes: GAS, dateTime: true, sensitive: registers, encryptedFrameControl: 0x18 }),
    gasRead({ name: 'GCS14', messageCode: 0x0075, deviceTypes: GAS, dateTime: true, sensitive: is(P, 0x01) }),
    gasRead({ name: 'GCS15b', messageCode: 0x00c3, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS15c', messageCode: 0x0076, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS15d', messageCode: 0x00c4, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS15e', messageCode: 0x00c5, deviceTypes: GSME }),
    gasRead({ name: 'GCS16a', messageCode: 0x0077, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS16b', messageCode: 0x0096, deviceTypes: GAS, sensitive: publishes }),
    gasRead({ name: 'GCS17', messageCode: 0x0078, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS18', messageCode: 0x0079, deviceTypes: GSME, sensitive: publishes }),
    gasRead({ name: 'GCS21f', messageCode: 0x009f, deviceTypes: GSME }),
    gasRead({ name: 'GCS21b', messageCode: 0x00b5, deviceTypes: GSME }),
    gasRead({ name: 'GCS60', messageCode: 0x008d, deviceTypes: GSME }),
    gasRead({ name: 'GCS60a', messageCode: 0x012a, deviceTypes: GAS, dateTime: true }),
    gasRead({ name: 'GCS61', messageCode: 0x00a0, deviceTypes: ['GPF'], sensitive: publishes }),
    // 14.1: the gas transporter's Start Sampling, which a GSME (no network operator cells) takes from the ACB
    gasRead({ name: 'GCS31', messageCode: 0x0080, deviceTypes: GSME, roles: [RemotePartyRole.AccessControlBroker] }),
  ],
};
