/**
 * Tariffs and balances (DUIS section 1) on the meters: the ESME's passive tariff objects (activity calendar,
 * special days, block thresholds, currency, standing charge and price matrices, payment mode) and the GSME's
 * Calendar, Price and Prepayment cluster commands (catalogue.md §3).
 *
 * A command's passive values become active at its activation time (§2.8): at once ("NOW", ZCL 0), later (the
 * device holds the command and, at its time, activates it and raises one 8F66 per activated object), or never
 * (a cancellation: the held command of the same message code is dropped). Active values are what the meter
 * charges with: the 'tariff' section of the application state (`activeTariffOf`), and the active COSEM
 * attributes and Price cluster attributes, so a later read returns them. Meter balance and payment mode live in
 * the 'prepayment' section (`PrepaymentSection`, shared with the prepayment family).
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { CANCELLATION_DATE_TIME } from '../../gbcs/cs02b.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import { dlms, encodeDataNotification, invokeIdFor, obis, type AccessRequest, type DlmsData } from '../../gbcs/dlms.ts';
import { ZclCluster, ZclType, dateOfZigbeeTime, encodeGbz, encodeGbzAlert, zigbeeTime, type GbzComponent, type GbzPayload } from '../../gbcs/gbz.ts';
import type { GbcsMessage } from '../../gbcs/message.ts';
import { appSection, cloneAppState, type DeviceAppState } from '../app-state.ts';
import type { CommandContext, DueContext } from '../app-use-case.ts';
import { storeAttribute } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import { defaultResponse, responseComponent, storeZclAttribute } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';
import { emergencyCreditOf, friendlyCreditOf } from './prepayment.ts';

// ---------------------------------------------------------------- the state other families read

/** A date pattern as the meter holds it: absent fields are wildcards. */
export interface DatePattern {
  year?: number;
  month?: number;
  /** 1-31, or 'last' / 'secondLast' day of the month */
  day?: number | 'last' | 'secondLast';
  /** 1 Monday .. 7 Sunday */
  dayOfWeek?: number;
}

/** What a switch selects: a TOU register / price (tier), or a block-price set (its block counters). */
export type TariffAction = { tou: number } | { block: number };

/** One element's active tariff. Fields a command did not set keep their previous values. */
export interface ElementTariff {
  activatedAt: string;
  currency?: 'GBP' | 'EUR';
  /** per day, in currency units × 10^scale */
  standingCharge?: { value: number; scale: number };
  /** prices are currency units × 10^priceScale per kWh */
  priceScale?: number;
  /** TOU prices: touPrices[0] is TOU1's */
  touPrices?: number[];
  /** block prices: blockPrices[set - 1][block - 1] (ESME: 8 TOU threshold sets; GSME: one) */
  blockPrices?: number[][];
  /** block thresholds (Wh): blockThresholds[set - 1] */
  blockThresholds?: number[][];
  dayProfiles?: { dayId: number; switches: { start: string; action: TariffAction }[] }[];
  weekProfiles?: { weekId: number; days: number[] }[];
  seasons?: { name?: string; start: DatePattern; weekId: number }[];
  specialDays?: { date: DatePattern; dayId: number }[];
}

export interface TariffSection {
  primary?: ElementTariff;
  /** a twin-element ESME's secondary element */
  secondary?: ElementTariff;
  /** when the block counters last restarted (ECS05) */
  blockCountersResetAt?: string;
}

/** A meter's credit state (ESME and GSME). Amounts are in the device's own units, as commands give them. */
export interface PrepaymentSection {
  balance: number;
  emergencyCredit: number;
  accumulatedDebt: number;
  paymentMode: 'credit' | 'prepayment';
  suspendDebtDisabled?: boolean;
  suspendDebtEmergency?: boolean;
  disablementThreshold?: number;
}

/** The active tariff of a device, if a tariff was ever activated on it (read only). */
export function activeTariffOf(app: DeviceAppState | undefined): TariffSection | undefined {
  return app?.tariff as TariffSection | undefined;
}

/** The prepayment section, created (credit mode, nothing owed) on first use. */
export function prepaymentOf(app: DeviceAppState): PrepaymentSection {
  return appSection<PrepaymentSection>(app, 'prepayment', () => ({ balance: 0, emergencyCredit: 0, accumulatedDebt: 0, paymentMode: 'credit' }));
}

function tariffOf(app: DeviceAppState): TariffSection {
  return appSection<TariffSection>(app, 'tariff', () => ({}));
}

function matches(p: DatePattern, d: Date): boolean {
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const day = p.day === 'last' ? last : p.day === 'secondLast' ? last - 1 : p.day;
  return (p.year === undefined || p.year === d.getUTCFullYear()) && (p.month === undefined || p.month === d.getUTCMonth() + 1)
    && (day === undefined || day === d.getUTCDate()) && (p.dayOfWeek === undefined || p.dayOfWeek === ((d.getUTCDay() + 6) % 7) + 1);
}

/** The start of a season in the year of `d` (wildcard year: every year). */
function seasonStart(p: DatePattern, year: number): number {
  const day = typeof p.day === 'number' ? p.day : 1;
  return Date.UTC(p.year ?? year, (p.month ?? 1) - 1, day);
}

/**
 * The tariff action in force at `at` on an element: the special day's profile, else the day profile the
 * current season's week profile gives that weekday; within the day, the last switch at or before the time.
 */
export function tariffActionAt(t: ElementTariff, at: Date): TariffAction | undefined {
  let dayId = t.specialDays?.find((s) => matches(s.date, at))?.dayId;
  if (dayId === undefined) {
    const time = at.getTime();
    const started = (t.seasons ?? [])
      .flatMap((s) => [seasonStart(s.start, at.getUTCFullYear()), seasonStart(s.start, at.getUTCFullYear() - 1)].map((from) => ({ from, s })))
      .filter((x) => x.from <= time)
      .sort((a, b) => b.from - a.from)[0];
    const week = started && t.weekProfiles?.find((w) => w.weekId === started.s.weekId);
    dayId = week?.days[(at.getUTCDay() + 6) % 7];
  }
  const profile = t.dayProfiles?.find((d) => d.dayId === dayId);
  const hhmmss = at.toISOString().slice(11, 19);
  return profile?.switches.filter((s) => s.start <= hhmmss).at(-1)?.action ?? profile?.switches.at(-1)?.action;
}

// ---------------------------------------------------------------- activation times

type Activation = { kind: 'now' } | { kind: 'at'; at: Date } | { kind: 'never' };

/** The COSEM attributes that hold activation times (class → attribute). */
const ACTIVATION_ATTRIBUTE: Readonly<Record<number, number>> = { 20: 10, 113: 7, 9000: 6, 111: 13 };

function isActivationSpec(request: AccessRequest, i: number): boolean {
  const s = request.specs[i]!;
  const d = request.data[i];
  return s.kind === 'set' && ACTIVATION_ATTRIBUTE[s.classId] === s.id && d?.type === 'octet-string' && d.value.length === 12;
}

function dlmsActivation(request: AccessRequest): Activation {
  const i = request.specs.findIndex((_s, n) => isActivationSpec(request, n));
  if (i < 0) return { kind: 'now' };
  const v = (request.data[i] as { value: Buffer }).value;
  if (v.readUInt16BE(0) === 0xffff) return { kind: 'never' };
  if (v.subarray(0, 9).every((b) => b === 0)) return { kind: 'now' };
  return { kind: 'at', at: decodeDlmsDateTime(v, 'activation time') };
}

/** The ZCL start or implementation time of a component, and where it is in its payload (catalogue.md §3.2). */
function startTimeOffset(c: GbzComponent): number | undefined {
  if (c.clusterId === ZclCluster.calendar && (c.commandId === 0x00 || c.commandId === 0x04)) return 12;
  if (c.clusterId === ZclCluster.price && c.commandId === 0x04) return 12;
  if (c.clusterId === ZclCluster.price && (c.commandId === 0x05 || c.commandId === 0x06)) return 8;
  if (c.clusterId === ZclCluster.prepayment && c.commandId === 0x06) return 8;
  return undefined;
}

function gbzActivation(gbz: GbzPayload): Activation {
  for (const c of gbz.components) {
    const at = startTimeOffset(c);
    if (at === undefined || c.payload.length < at + 4) continue;
    const t = c.payload.readUInt32LE(at);
    if (t === 0) return { kind: 'now' };
    // 0xFFFFFFFF (and 0xFFFFFFFE, which RTDS uses for most publishes) is "never": a cancellation.
    if (t >= 0xfffffffe) return { kind: 'never' };
    return { kind: 'at', at: dateOfZigbeeTime(t) };
  }
  return { kind: 'now' };
}

/**
 * Reads the command as the device will when it acts, on a scratch copy of the state: a payload the meter
 * cannot read is discarded now (0x8F1E), not when a held command falls due.
 */
function readable<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    return reject(RejectionAlert.integrityCheckFailed, `${what}: ${(e as Error).message}`);
  }
}

/** Holds, cancels or lets the command act now; true when it acts now. */
function actsNow(ctx: CommandContext, a: Activation): boolean {
  if (a.kind === 'never') {
    ctx.defer(CANCELLATION_DATE_TIME);
    return false;
  }
  return !(a.kind === 'at' && ctx.defer(a.at));
}

// ---------------------------------------------------------------- ESME: activation of passive objects

const b = (o: string) => Buffer.from(o, 'hex');
/**
 * The active object of a passive one whose OBIS differs (special days 0-1:11 → 0-0:11, schedule 0-1:12 → 0-0:12,
 * thresholds 16.1 → 16.0, payment mode 0-1:19 → 0-0:19).
 */
function activeObis(classId: number, o: string): string {
  const x = b(o);
  if (classId === 10 || classId === 11 || classId === 111) x[1] = 0;
  if (classId === 21) x[3] = 0;
  return x.toString('hex').toUpperCase();
}
/** passive attribute → active attribute, per class */
const ACTIVE_ATTRIBUTE: Readonly<Record<number, Readonly<Record<number, number>>>> = {
  20: { 7: 3, 8: 4, 9: 5 }, 10: { 2: 2 }, 11: { 2: 2 }, 21: { 2: 2 }, 113: { 6: 5 }, 9000: { 4: 2 }, 111: { 2: 2, 11: 11 },
};

/** Stores a passive value where the meter holds it once active, for the reads to return it (nothing if it has no active counterpart). */
export function storeAsActive(app: DeviceAppState, classId: number, o: string, id: number, d: DlmsData): void {
  const active = ACTIVE_ATTRIBUTE[classId]?.[id];
  if (active !== undefined) storeAttribute(app, classId, activeObis(classId, o), active, d);
}

const PRIMARY_CALENDAR = obis('0-0:13.0.0.255');
const SECONDARY_CALENDAR = obis('0-0:13.0.1.255');
const STANDING_CHARGE = obis('0-0:19.20.4.255');
const PRIMARY_PRICES = obis('0-0:19.20.0.255');
const SECONDARY_PRICES = obis('0-0:19.20.5.255');
const CURRENCY = obis('0-0:94.44.2.0');
const DISABLEMENT_THRESHOLD = obis('0-0:94.44.128.22');
const PAYMENT_MODE = obis('0-1:19.0.0.255');
const BALANCES = { balance: obis('0-0:19.10.0.255'), emergencyCredit: obis('0-0:19.10.1.255'), accumulatedDebt: obis('0-0:19.10.2.255') } as const;

const octets = (d: DlmsData | undefined): Buffer => (d?.type === 'octet-string' ? d.value : Buffer.alloc(0));
const num = (d: DlmsData | undefined): number => (d && 'value' in d && typeof d.value === 'number' ? d.value : 0);
const items = (d: DlmsData | undefined): DlmsData[] => (d?.type === 'array' || d?.type === 'structure' ? d.items : []);

function dlmsDate(v: Buffer): DatePattern {
  const p: DatePattern = {};
  const y = v.readUInt16BE(0);
  if (y !== 0xffff) p.year = y;
  if (v[2] !== 0xff) p.month = v[2]!;
  if (v[3] === 0xfe) p.day = 'last';
  else if (v[3] === 0xfd) p.day = 'secondLast';
  else if (v[3] !== 0xff) p.day = v[3]!;
  if (v[4] !== 0xff) p.dayOfWeek = v[4]!;
  return p;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Reads one passive set of a tariff command into the element's tariff. */
function applyDlmsTariff(t: ElementTariff, classId: number, o: string, id: number, d: DlmsData): void {
  if (classId === 20 && id === 7) {
    t.seasons = items(d).map((s) => { const [n, start, w] = items(s); return { name: octets(n).toString('latin1'), start: dlmsDate(octets(start)), weekId: octets(w)[0] ?? 0 }; });
  } else if (classId === 20 && id === 8) {
    t.weekProfiles = items(d).map((w) => { const [n, ...days] = items(w); return { weekId: octets(n)[0] ?? 0, days: days.map(num) }; });
  } else if (classId === 20 && id === 9) {
    t.dayProfiles = items(d).map((p) => {
      const [dayId, list] = items(p);
      return {
        dayId: num(dayId),
        switches: items(list).map((s) => {
          const [start, , selector] = items(s);
          const v = octets(start);
          const script = num(selector);
          // tariff scripts: 1-48 TOU, 101-108 block sets, 201-204 secondary TOU
          const action: TariffAction = script > 200 ? { tou: script - 200 } : script > 100 ? { block: script - 100 } : { tou: script };
          return { start: `${two(v[0] ?? 0)}:${two(v[1] ?? 0)}:${two(v[2] ?? 0)}`, action };
        }),
      };
    });
  } else if (classId === 11) {
    t.specialDays = items(d).map((s) => { const [, date, day] = items(s); return { date: dlmsDate(octets(date)), dayId: num(day) }; });
  } else if (classId === 21) {
    const set = b(o)[4]! - 10;
    (t.blockThresholds ??= [])[set - 1] = items(d).map(num);
  } else if (classId === 9000 && o === CURRENCY) {
    t.currency = d.type === 'boolean' && d.value ? 'GBP' : 'EUR';
  } else if (classId === 113 && id === 6) {
    const [scaling, , table] = items(d);
    const scale = num(items(scaling)[1]);
    const entries = items(table).map((e) => { const [i, charge] = items(e); return [octets(i)[0] ?? 0, num(charge)] as const; });
    if (o === STANDING_CHARGE) {
      t.standingCharge = { value: entries[0]?.[1] ?? 0, scale };
      return;
    }
    t.priceScale = scale;
    t.touPrices = entries.filter(([i]) => i >= 1 && i <= 48).sort((x, y) => x[0] - y[0]).map(([, v]) => v);
    const blocks = entries.filter(([i]) => i >= 0xa1);
    if (blocks.length) {
      t.blockPrices = Array.from({ length: 8 }, (_x, s) => [0, 1, 2, 3].map((k) => blocks.find(([i]) => i === 0xa0 + 0x10 * k + s + 1)?.[1] ?? 0));
    }
  }
}

/** Copies the command's passive values to the active objects and the 'tariff'/'prepayment' sections. */
function activateDlms(app: DeviceAppState, request: AccessRequest, now: Date): void {
  const tariff = tariffOf(app);
  request.specs.forEach((s, i) => {
    const d = request.data[i];
    if (s.kind !== 'set' || !d || isActivationSpec(request, i)) return;
    storeAsActive(app, s.classId, s.obis, s.id, d);
    if (s.classId === 111 || s.obis === DISABLEMENT_THRESHOLD) {
      const p = prepaymentOf(app);
      if (s.classId === 111 && s.id === 2) p.paymentMode = num(items(d)[0]) === 2 ? 'prepayment' : 'credit';
      if (s.obis === DISABLEMENT_THRESHOLD && s.id === 4) p.disablementThreshold = num(d);
      return;
    }
    const secondary = s.obis === SECONDARY_CALENDAR || s.obis === SECONDARY_PRICES || (s.classId === 11 && s.obis.endsWith('01FF'));
    const element = secondary ? (tariff.secondary ??= { activatedAt: now.toISOString() }) : (tariff.primary ??= { activatedAt: now.toISOString() });
    element.activatedAt = now.toISOString();
    applyDlmsTariff(element, s.classId, s.obis, s.id, d);
  });
}

/** 8F66 per activated object, in the command's order: {alert code, time, message code ‖ counter ‖ class ‖ OBIS ‖ attribute}. */
function dlmsActivatedAlerts(ctx: DueContext, request: AccessRequest): { messageCode: number; payload: Buffer }[] {
  const out: { messageCode: number; payload: Buffer }[] = [];
  request.specs.forEach((s, i) => {
    if (!isActivationSpec(request, i)) return;
    const details = Buffer.alloc(19);
    details.writeUInt16BE(ctx.message.apdu.messageCode, 0);
    details.writeBigUInt64BE(ctx.pending.counter, 2);
    details.writeUInt16BE(s.classId, 10);
    b(s.obis).copy(details, 12);
    details[18] = s.id;
    // The dispatcher counts the alerts in order from the device's alert counter; the invoke id is made from it.
    const counter = ctx.device.alertCounter + BigInt(out.length + 1);
    const body = dlms.structure(dlms.longUnsigned(0x8f66), dlms.octets(encodeDlmsDateTime(ctx.pending.executeAt)), dlms.octets(details));
    out.push({ messageCode: 0x00cc, payload: encodeDataNotification({ invokeId: invokeIdFor(counter), body }) });
  });
  return out;
}

function requestOf(message: GbcsMessage): AccessRequest {
  if (message.body.kind !== 'dlms-request') throw new Error(`a held ${message.body.kind} is not a DLMS ACCESS request`);
  return message.body.request;
}

/** A future-datable ESME tariff or payment-mode use case: the passive sets are stored by the table; activation follows the activation time. */
function dlmsFutureDated(name: string, messageCode: number) {
  return dlmsUseCase({
    name, messageCodes: [messageCode], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, responseDateTime: true,
    before(ctx) {
      const request = requestOf(ctx.message);
      const activation = readable(`${name} activation time`, () => dlmsActivation(request));
      readable(`${name} tariff objects`, () => activateDlms(cloneAppState(ctx.app), request, ctx.now));
      if (actsNow(ctx, activation)) activateDlms(ctx.app, request, ctx.now);
    },
    executeDue(ctx) {
      const request = requestOf(ctx.message);
      activateDlms(ctx.app, request, ctx.pending.executeAt);
      return dlmsActivatedAlerts(ctx, request);
    },
  });
}

// ---------------------------------------------------------------- GSME

function u32(x: Buffer, at: number): number {
  return x.length >= at + 4 ? x.readUInt32LE(at) : 0;
}

function zclDate(x: Buffer, at: number): DatePattern {
  const p: DatePattern = {};
  if (x[at] !== 0xff) p.year = 1900 + x[at]!;
  if (x[at + 1] !== 0xff) p.month = x[at + 1]!;
  if (x[at + 2] !== 0xff) p.day = x[at + 2]!;
  if (x[at + 3] !== 0xff) p.dayOfWeek = x[at + 3]!;
  return p;
}

/** Reads the Calendar and Price publishes into the gas tariff, and the Price cluster attributes a read returns. */
function activateGbz(app: DeviceAppState, gbz: GbzPayload, now: Date): void {
  const t = (tariffOf(app).primary ??= { activatedAt: now.toISOString() });
  t.activatedAt = now.toISOString();
  const price = (id: number, type: number, value: number) => storeZclAttribute(app, ZclCluster.price, id, { type, value });
  for (const c of gbz.components) {
    const p = c.payload;
    if (c.clusterId === ZclCluster.calendar) {
      if (c.commandId === 0x01) {
        const dayId = p[12]!;
        const n = p[13]!;
        const switches = Array.from({ length: n }, (_x, i) => {
          const at = 17 + 3 * i;
          const minutes = p.readUInt16LE(at);
          const tier = p[at + 2]!;
          return { start: `${two(Math.floor(minutes / 60))}:${two(minutes % 60)}:00`, action: (tier === 0 ? { block: 1 } : { tou: tier }) as TariffAction };
        });
        t.dayProfiles = [...(t.dayProfiles ?? []).filter((d) => d.dayId !== dayId), { dayId, switches }].sort((x, y) => x.dayId - y.dayId);
      } else if (c.commandId === 0x02) {
        const weekId = p[12]!;
        t.weekProfiles = [...(t.weekProfiles ?? []).filter((w) => w.weekId !== weekId), { weekId, days: [...p.subarray(13, 20)] }].sort((x, y) => x.weekId - y.weekId);
      } else if (c.commandId === 0x03) {
        t.seasons = Array.from({ length: Math.floor((p.length - 14) / 5) }, (_x, i) => ({ start: zclDate(p, 14 + 5 * i), weekId: p[18 + 5 * i]! }));
      } else if (c.commandId === 0x04) {
        t.specialDays = Array.from({ length: p[17] ?? 0 }, (_x, i) => ({ date: zclDate(p, 20 + 5 * i), dayId: p[24 + 5 * i]! }));
      } else if (c.commandId === 0x00) {
        // a new calendar replaces the profiles its day/week publishes bring
        t.dayProfiles = [];
        t.weekProfiles = [];
      }
    } else if (c.clusterId === ZclCluster.price) {
      if (c.commandId === 0x04) {
        const labelLength = p[17]!;
        const at = 18 + labelLength;
        const currency = p.readUInt16LE(at + 3);
        const trailing = p[at + 5]! >> 4;
        const standing = u32(p, at + 6);
        t.currency = currency === 978 ? 'EUR' : 'GBP';
        t.priceScale = -trailing;
        t.standingCharge = { value: standing, scale: -trailing };
        price(0x0615, ZclType.enum8, p[at + 2]!); // unit of measure
        price(0x0616, ZclType.uint16, currency);
        price(0x0617, ZclType.bitmap8, p[at + 5]!);
        price(0x0301, ZclType.uint32, standing);
        price(0x0202, ZclType.uint24, p.readUIntLE(at + 11, 3)); // threshold multiplier
        price(0x0203, ZclType.uint24, p.readUIntLE(at + 14, 3)); // threshold divisor
      } else if (c.commandId === 0x05) {
        const block = p[18] === 0x00;
        const entries = Array.from({ length: Math.floor((p.length - 19) / 5) }, (_x, i) => [p[19 + 5 * i]!, u32(p, 20 + 5 * i)] as const);
        if (block) {
          t.blockPrices = [[0, 1, 2, 3].map((k) => entries.find(([id]) => id === k)?.[1] ?? 0)];
          t.blockPrices[0]!.forEach((v, k) => price(0x0400 + k, ZclType.uint32, v)); // no-tier block prices
        } else {
          t.touPrices = [1, 2, 3, 4].map((k) => entries.find(([id]) => id === k)?.[1] ?? 0);
          t.touPrices.forEach((v, k) => price(0x0410 + 0x10 * k, ZclType.uint32, v)); // tier k+1, block 1
        }
      } else if (c.commandId === 0x06) {
        const n = (p[19] ?? 0) & 0x0f;
        const thresholds = Array.from({ length: n }, (_x, i) => p.readUIntLE(20 + 6 * i, 6));
        t.blockThresholds = [thresholds];
        thresholds.forEach((v, i) => price(0x0100 + i, ZclType.uint48, v));
      }
    } else if (c.clusterId === ZclCluster.prepayment && c.commandId === 0x06) {
      const config = p.readUInt16LE(12);
      const s = prepaymentOf(app);
      // payment control configuration bit 1: prepayment enabled
      s.paymentMode = config & 0x0002 ? 'prepayment' : 'credit';
      if (s.paymentMode === 'prepayment') {
        s.suspendDebtDisabled = (config & 0x0400) !== 0;
        s.suspendDebtEmergency = (config & 0x0800) === 0;
        s.disablementThreshold = p.readInt32LE(14);
      }
      storeZclAttribute(app, ZclCluster.prepayment, 0x0000, { type: ZclType.bitmap16, value: config });
    }
  }
}

/** 8F66 (GBZ, 0x00CD) per activated publish: message code ‖ counter ‖ cluster ‖ frame control ‖ command. */
function gbzActivatedAlerts(ctx: DueContext, gbz: GbzPayload): { messageCode: number; payload: Buffer }[] {
  return gbz.components.filter((c) => startTimeOffset(c) !== undefined).map((c) => {
    const rest = Buffer.alloc(15);
    rest[0] = 14;
    rest.writeUInt16BE(ctx.message.apdu.messageCode, 1);
    rest.writeBigUInt64BE(ctx.pending.counter, 3);
    rest.writeUInt16BE(c.clusterId, 11);
    rest[13] = c.frameControl;
    rest[14] = c.commandId;
    return { messageCode: 0x00cd, payload: encodeGbzAlert({ alertCode: 0x8f66, time: zigbeeTime(ctx.pending.executeAt), componentCount: 1, rest }) };
  });
}

function gbzOf(message: GbcsMessage): GbzPayload {
  if (message.body.kind !== 'gbz') throw new Error(`a held ${message.body.kind} is not GBZ`);
  return message.body.gbz;
}

/** The meter answers each publish, as their client, with a Default Response (frame control 00, RTDS). */
const PUBLISH_ACKNOWLEDGED = 0x00;

function acknowledgePublishes(gbz: GbzPayload): Buffer {
  return encodeGbz({ components: gbz.components.map((c) => responseComponent(c, PUBLISH_ACKNOWLEDGED, 0x0b, Buffer.from([c.commandId, 0x00]))) });
}

/** Change Payment Mode Response friendly credit bitmap: bit 0, friendly credit enabled. */
const FRIENDLY_CREDIT_ENABLED = 0x01;

/**
 * Change Payment Mode Response: the friendly credit the meter has and its calendar's id, and the emergency credit
 * limit and threshold it holds (2.1's, else its factory settings: prepayment.ts friendlyCreditOf, emergencyCreditOf).
 */
function changePaymentModeResponse(c: GbzComponent, app: DeviceAppState): Buffer {
  const ec = emergencyCreditOf(app, 'GSME');
  const friendly = friendlyCreditOf(app);
  const payload = Buffer.alloc(13);
  payload[0] = friendly.enabled ? FRIENDLY_CREDIT_ENABLED : 0x00;
  payload.writeUInt32LE(friendly.calendarId, 1);
  payload.writeUInt32LE(ec.limit, 5);
  payload.writeUInt32LE(ec.threshold, 9);
  return encodeGbz({ components: [responseComponent(c, 0x19, 0x02, payload)] });
}

function gbzFutureDated(name: string, messageCode: number, answer: (gbz: GbzPayload, app: DeviceAppState) => Buffer) {
  return gbzUseCase({
    name, messageCodes: [messageCode], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true, responseDateTime: true,
    before(ctx) {
      const gbz = gbzOf(ctx.message);
      readable(`${name} publishes`, () => activateGbz(cloneAppState(ctx.app), gbz, ctx.now));
      if (actsNow(ctx, gbzActivation(gbz))) activateGbz(ctx.app, gbz, ctx.now);
      return answer(gbz, ctx.app);
    },
    executeDue(ctx) {
      const gbz = gbzOf(ctx.message);
      activateGbz(ctx.app, gbz, ctx.pending.executeAt);
      return gbzActivatedAlerts(ctx, gbz);
    },
  });
}

/** Credit Adjustment (GCS40a-d): type 0/3 add to the balance, 1/2 set it. */
function creditAdjustment(name: string, messageCode: number) {
  return gbzUseCase({
    name, messageCodes: [messageCode], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true,
    before(ctx) {
      const gbz = gbzOf(ctx.message);
      const c = gbz.components[0]!;
      if (c.clusterId !== ZclCluster.prepayment || c.commandId !== 0x05 || c.payload.length < 13) reject(RejectionAlert.integrityCheckFailed, `${name} carries no Credit Adjustment`);
      const p = prepaymentOf(ctx.app);
      const type = c.payload[8];
      const value = c.payload.readInt32LE(9);
      // the credit remaining the reads report is the section's (prepayment.ts creditFigures)
      p.balance = type === 0 || type === 3 ? p.balance + value : value;
      return encodeGbz({ components: [defaultResponse(c)] });
    },
  });
}

// ---------------------------------------------------------------- the family

const SUPPLIER = [RemotePartyRole.Supplier];

export const TARIFFS: UseCaseFamily = {
  name: 'tariffs',
  // Until a tariff publishes its own (Publish Price, above): the GSME's price trailing digit (high nibble) 5, the
  // GBP × 10^-5 of its factory price (gsme-reads.ts GAS_UNIT_PRICE), as the RTDS GSME answers 4.13 (GCS21b); its
  // currency GBP, ISO 4217 826, as the RTDS GSME answers 4.3 (GCS14) and 4.11.1 (GCS21f)
  zclDefaults: [
    { clusterId: ZclCluster.price, id: 0x0617, value: { type: ZclType.bitmap8, value: 0x50 } },
    { clusterId: ZclCluster.price, id: 0x0616, value: { type: ZclType.uint16, value: 826 } },
  ],
  useCases: [
    dlmsFutureDated('ECS01a', 0x0019),
    dlmsFutureDated('ECS01b', 0x00a2),
    dlmsFutureDated('ECS01c', 0x00b7),
    dlmsFutureDated('ECS01d', 0x00c7),
    dlmsFutureDated('ECS02', 0x001a),
    dlmsFutureDated('ECS03', 0x001b),
    dlmsUseCase({
      name: 'ECS04a', messageCodes: [0x001c], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true,
      before(ctx) {
        const request = requestOf(ctx.message);
        const p = prepaymentOf(ctx.app);
        p.balance += num(request.data[0]);
      },
    }),
    dlmsUseCase({
      name: 'ECS04b', messageCodes: [0x00b3], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true,
      before(ctx) {
        const request = requestOf(ctx.message);
        const p = prepaymentOf(ctx.app);
        request.specs.forEach((s, i) => {
          const key = (Object.keys(BALANCES) as (keyof typeof BALANCES)[]).find((k) => BALANCES[k] === s.obis);
          if (key && s.kind === 'action' && s.id === 2) p[key] = num(request.data[i]);
        });
      },
    }),
    dlmsUseCase({
      name: 'ECS05', messageCodes: [0x001d], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true,
      before(ctx) {
        tariffOf(ctx.app).blockCountersResetAt = ctx.now.toISOString();
      },
    }),
    gbzFutureDated('GCS01a', 0x006b, acknowledgePublishes),
    gbzFutureDated('GCS01b', 0x00a3, acknowledgePublishes),
    gbzFutureDated('GCS02', 0x006c, (g, app) => changePaymentModeResponse(g.components[0]!, app)),
    gbzFutureDated('GCS03', 0x006d, (g, app) => changePaymentModeResponse(g.components[0]!, app)),
    creditAdjustment('GCS40a', 0x0086),
    creditAdjustment('GCS40b', 0x00b4),
    creditAdjustment('GCS40c', 0x00c0),
    creditAdjustment('GCS40d', 0x00c2),
  ],
};

// The payment mode's passive object, for readers of this file: 0-1:19.0.0.255 becomes 0-0:19.0.0.255 at activation.
export const PAYMENT_MODE_OBJECTS = { passive: PAYMENT_MODE, active: activeObis(111, PAYMENT_MODE) } as const;
export const TARIFF_OBJECTS = { primaryCalendar: PRIMARY_CALENDAR, secondaryCalendar: SECONDARY_CALENDAR, standingCharge: STANDING_CHARGE, primaryPrices: PRIMARY_PRICES, secondaryPrices: SECONDARY_PRICES } as const;
