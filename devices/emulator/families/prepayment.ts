/**
 * Prepayment (DUIS 2.1-2.5): the prepayment configuration (ECS08/ECS08a, GCS05; future-datable, one 8F66 per
 * setting when held ones take effect), top-ups by UTRN (CS01a ESME token gateway, CS01b GSME Consumer Top Up),
 * debt updates (ECS07 charges, GCS04 Change Debt) and emergency credit (ECS09, GCS06).
 *
 * Where GBCS as we read it is silent: a refused UTRN is answered with DLMS action result 1 on the ESME (as the RTDS
 * CS01a ERROR response) and with the ZCL result type on the GSME (1 invalid, 2 duplicate, 4 maximum balance, 6 too
 * large); UTRN counters must rise strictly (no out-of-order cache); until 2.1 sets them, the emergency credit and
 * the thresholds (low credit, maximum credit, maximum meter balance, debt cap) are the factory's of the meter's fuel
 * (FACTORY_EMERGENCY_CREDIT, FACTORY_THRESHOLDS), which its reads report and it applies alike; a refused top-up is
 * logged in the security log and alerts no one: for its value (0x8F5B, 0x8F47), a duplicate (0x8F51), one whose
 * digits are not a UTRN's (0x8F63 not authentic), one whose MAC does not verify with this meter's key (0x8F64 not
 * for this device; see takeUtrn); a top-up ends emergency credit in use and first recovers the payment-based debt's
 * share.
 * An ESME's balance drains with consumption between commands (credit.ts); a top-up that leaves credit arms a
 * switch the meter opened for lack of it.
 *
 * State: the meter's money in the application state's 'prepayment' section, with the field names the tariffs
 * family (1.5/1.6) uses; this family's own settings, debts, UTRN log and top-up counters in 'prepaymentConfig'.
 * Amounts are in the meter's currency unit, a thousandth of a penny: the RTDS GSME answers a 1250p UTRN with a
 * top-up value of 1250000, and the RTDS prepayment thresholds (2.1) are of that scale on both fuels.
 *
 * The objects these use cases act on are carried out on this family's own COSEM and ZCL tables (in `before`),
 * not the shared ones: the same objects are read or adjusted by other families (meter balance and emergency
 * credit by 1.5, charges by 4.13), which read this state through the sections rather than through behaviours
 * that would have to be claimed twice.
 *
 * What the GSME's 4.13 reports of its settings (its Prepayment cluster configuration attributes) is read from where
 * the meter keeps each (this family's settings and debts, the payment mode's cut-off value), else the factory's; the
 * ESME's 4.13 reads its thresholds, emergency credit settings and payment-based debt share the same way
 * (THRESHOLD_OBJECTS, CREDIT_REGISTERS, DEBT_SHARE).
 *
 * What the reads report of the money (the ESME's credit registers, the GSME's Prepayment cluster credit and debt
 * attributes, 4.3's prepayment values, the console's meter panel) is computed from those sections when read
 * (`creditFigures`), never stored beside them: a top-up, emergency credit, a debt update, 1.5 and the credit's
 * catch-up (credit.ts) change the sections only, and a read at the same instant reports what they left. The logs of
 * past instants (the prepayment daily read log and snapshots) report the money then, from the history of those
 * figures the meter keeps as they change (`creditFiguresAt`).
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { CANCELLATION_DATE_TIME } from '../../gbcs/cs02b.ts';
import { DataAccessResult, dlms, encodeAccessResponse, encodeDataNotification, invokeIdFor, obis, type AccessRequest, type DlmsData } from '../../gbcs/dlms.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import { ZclCluster, ZclStatus, ZclType, dateOfZigbeeTime, encodeDefaultResponse, encodeGbz, encodeGbzAlert, zigbeeTime, type GbzPayload, type ZclValue } from '../../gbcs/gbz.ts';
import { decodeUtrn, utrnMac, utrnPence } from '../../gbcs/utrn.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import { noteEveryCommand, type CommandContext, type DueContext } from '../app-use-case.ts';
import { factsOf } from '../certificate-cache.ts';
import type { DeviceType } from '../cells.ts';
import { cosemTable, runAccess, storeAttribute, storedAttribute, type CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import { defaultResponse, responseComponent, runGbz, zclTable, ZclFrame, type ZclAttribute, type ZclCommand } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';
import { appendEvent } from './event-logs.ts';
import { changeSupply, type SupplySection } from './supply.ts';
import { storeAsActive } from './tariffs.ts';
import { raiseEmergencyCreditActivated } from '../credit-alerts.ts';

/** What the tariffs family's PrepaymentSection holds (same names; unified when the branches meet). */
export interface PrepaymentSection {
  /** the meter balance */
  balance: number;
  /** emergency credit the customer may still use (0 when none is activated) */
  emergencyCredit: number;
  accumulatedDebt: number;
  paymentMode: 'credit' | 'prepayment';
  /** the credit at which the supply is disabled, as 1.6 set it (tariffs.ts) */
  disablementThreshold?: number;
}

export interface DebtRecovery {
  /** ESME: the charge's rate per period; GSME: the debt recovery amount per period */
  rate: number;
  periodSeconds: number;
}

export interface TopUpRecord {
  utrn: string;
  /** the supplier whose top-up key made it */
  originator: string;
  /** the top-up counter it was taken at (decimal) */
  counter: string;
  /** the UTRN's value */
  amount: number;
  at: string;
  /** what it recovered against the payment-based debt, and the debt it left (the debt repayment logs) */
  debtRecovered: number;
  paymentDebtLeft: number;
}

export interface PrepaymentConfigSection {
  /** the last top-up counter taken per originator (decimal): a UTRN at or below it is a replay */
  lastTopUpCounter: Record<string, string>;
  /** the top-ups taken, newest last (the last TOP_UP_LOG_SIZE): the top-up and debt repayment logs read them (`topUpsOf`) */
  topUps: TopUpRecord[];
  emergencyCredit: EmergencyCreditSettings;
  /** what 2.1 set (absent: the factory's; the ones in force are `thresholdsOf`'s) */
  thresholds: Partial<PrepaymentThresholds>;
  /** GSME: the friendly-credit (non-disablement) calendar 2.1 published, 'cluster/command:payload hex' (the ESME's is in its stored objects) */
  nonDisablementCalendar?: string[];
  debts: {
    timeDebt1: number;
    timeDebt2: number;
    paymentDebt: number;
    /** hundredths of a percent of each top-up recovered against the payment-based debt */
    recoveryPerPayment: number;
    recovery1?: DebtRecovery;
    recovery2?: DebtRecovery;
  };
}

/** The thresholds 2.1 sets, in force (`thresholdsOf`): what the meter applies and its 4.13 reports. */
export interface PrepaymentThresholds {
  /** the combined credit below which the meter alerts low credit (0x810D, credit-alerts.ts) */
  lowCredit: number;
  /** the most the meter balance may reach: a top-up that would take it above is refused (0x8F47) */
  maxMeterBalance: number;
  /** the most one top-up may be worth: a UTRN above it is refused (0x8F5B) */
  maxCredit: number;
  /** ESME: the debt recovery rate cap (per the period 2.1 sets); GSME: the overall debt cap. Nothing recovers
   * time-based debt yet (credit.ts), so nothing applies it. */
  debtRecoveryRateCap: number;
}

export interface EmergencyCreditSettings {
  /** what 2.5 gives (the ESME's preset credit amount) */
  limit: number;
  /** the balance at or below which 2.5 gives it (credit available threshold) */
  threshold: number;
  active: boolean;
  activatedAt?: string;
}

const TOP_UP_LOG_SIZE = 10;
/** Thousandths of a penny per penny. */
export const CURRENCY_UNITS_PER_PENNY = 1000;

/**
 * The emergency credit a meter holds until 2.1 sets it, per fuel: what its reads report (ESME 4.13, GSME 1.6) and
 * what 2.5 gives. As the RTDS meters answer: the ESME's 4.13 (ECS26a) £25, offered at £1 or less; the GSME's 1.6
 * (GCS02/03) and 4.13 (GCS21b) £10, offered at £2 or less.
 */
const FACTORY_EMERGENCY_CREDIT = {
  ESME: { limit: 2500 * CURRENCY_UNITS_PER_PENNY, threshold: 100 * CURRENCY_UNITS_PER_PENNY },
  GSME: { limit: 1000 * CURRENCY_UNITS_PER_PENNY, threshold: 200 * CURRENCY_UNITS_PER_PENNY },
} as const;

/**
 * The thresholds a meter holds until 2.1 sets them, per fuel: what its 4.13 reports and what it applies. As the RTDS
 * meters answer 4.13: the ESME (ECS26a) low credit at £5, at most £50 a top-up and £100 of balance, a debt recovery
 * cap of 10,000 (a week); the GSME (GCS21b) low credit at £5, at most £50 a top-up and £100 of credit, an overall debt
 * cap of £1,000.
 */
const FACTORY_THRESHOLDS = {
  ESME: { lowCredit: 500 * CURRENCY_UNITS_PER_PENNY, maxMeterBalance: 10_000 * CURRENCY_UNITS_PER_PENNY, maxCredit: 5000 * CURRENCY_UNITS_PER_PENNY, debtRecoveryRateCap: 10_000 },
  GSME: { lowCredit: 500 * CURRENCY_UNITS_PER_PENNY, maxMeterBalance: 10_000 * CURRENCY_UNITS_PER_PENNY, maxCredit: 5000 * CURRENCY_UNITS_PER_PENNY, debtRecoveryRateCap: 1000 * CURRENCY_UNITS_PER_PENNY },
} as const satisfies Record<string, PrepaymentThresholds>;

/**
 * The share of each top-up a meter recovers against its payment-based debt until 2.3 sets it (hundredths of a
 * percent), per fuel: what its 4.13 reports and what it recovers. As the RTDS meters answer 4.13: the ESME's
 * (ECS26a) 50%, the GSME's (GCS21b) 10%.
 */
const FACTORY_RECOVERY_PER_PAYMENT = { ESME: 5000, GSME: 1000 } as const;

/** The fuel whose factory settings a meter of this type has. */
const fuelOf = (type: DeviceType): 'ESME' | 'GSME' => (type === 'GSME' ? 'GSME' : 'ESME');

const factoryEmergencyCredit = (type: DeviceType): EmergencyCreditSettings => ({ ...FACTORY_EMERGENCY_CREDIT[fuelOf(type)], active: false });

export function prepaymentOf(app: DeviceAppState): PrepaymentSection {
  return appSection<PrepaymentSection>(app, 'prepayment', () => ({ balance: 0, emergencyCredit: 0, accumulatedDebt: 0, paymentMode: 'credit' }));
}

/** The meter's money as it holds it, read without making the section (undefined: nothing has touched it yet). */
const prepaymentIfAny = (app: DeviceAppState): PrepaymentSection | undefined => app.prepayment as PrepaymentSection | undefined;

/** The section as the meter holds it, read without making it (undefined: nothing set it yet, the factory's apply). */
export const prepaymentConfigIfAny = (app: DeviceAppState): PrepaymentConfigSection | undefined => app.prepaymentConfig as PrepaymentConfigSection | undefined;

/** The section, made with the factory settings of the meter's type (`type`) when the meter has none yet. */
export function prepaymentConfigOf(app: DeviceAppState, type: DeviceType): PrepaymentConfigSection {
  return appSection<PrepaymentConfigSection>(app, 'prepaymentConfig', () => ({
    lastTopUpCounter: {},
    topUps: [],
    emergencyCredit: factoryEmergencyCredit(type),
    thresholds: {},
    debts: { timeDebt1: 0, timeDebt2: 0, paymentDebt: 0, recoveryPerPayment: FACTORY_RECOVERY_PER_PAYMENT[fuelOf(type)] },
  }));
}

/** The meter's emergency credit (read without making the section): what 2.1 set, else its fuel's factory settings. */
export function emergencyCreditOf(app: DeviceAppState, type: DeviceType): EmergencyCreditSettings {
  return prepaymentConfigIfAny(app)?.emergencyCredit ?? factoryEmergencyCredit(type);
}

/**
 * The share of each top-up the meter recovers against its payment-based debt (hundredths of a percent; read without
 * making the section): what 2.3 set, else its fuel's factory share. What a top-up recovers and what its 4.13 reports.
 */
export function recoveryPerPaymentOf(app: DeviceAppState, type: DeviceType): number {
  return prepaymentConfigIfAny(app)?.debts.recoveryPerPayment ?? FACTORY_RECOVERY_PER_PAYMENT[fuelOf(type)];
}

/**
 * The meter's thresholds in force (read without making the section): each what 2.1 set, else its fuel's factory
 * value. What the meter applies (a top-up's limits, the low credit alert) and what its 4.13 reports.
 */
export function thresholdsOf(app: DeviceAppState, type: DeviceType): PrepaymentThresholds {
  const set = prepaymentConfigIfAny(app)?.thresholds;
  const factory = FACTORY_THRESHOLDS[fuelOf(type)];
  return {
    lowCredit: set?.lowCredit ?? factory.lowCredit,
    maxMeterBalance: set?.maxMeterBalance ?? factory.maxMeterBalance,
    maxCredit: set?.maxCredit ?? factory.maxCredit,
    debtRecoveryRateCap: set?.debtRecoveryRateCap ?? factory.debtRecoveryRateCap,
  };
}

/**
 * The top-ups the meter took, oldest first (its last TOP_UP_LOG_SIZE), read without making the section: each fuel's
 * top-up log (4.4.5: ESME ECS20d, GSME GCS15e).
 */
export function topUpsOf(app: DeviceAppState): readonly TopUpRecord[] {
  return prepaymentConfigIfAny(app)?.topUps ?? [];
}

/**
 * What each top-up recovered against the payment-based debt, oldest first, with the debt it left: each fuel's debt
 * repayment log (4.4.4: ESME ECS20a, GSME GCS15d). (The time-based debts are not recovered over time yet: credit.ts.)
 */
export function paymentDebtRecoveriesOf(app: DeviceAppState): { at: string; amount: number; outstanding: number }[] {
  return topUpsOf(app).filter((t) => t.debtRecovered > 0).map((t) => ({ at: t.at, amount: t.debtRecovered, outstanding: t.paymentDebtLeft }));
}

// ---------------------------------------------------------------- the money the reads report

/** A meter's money as its reads report it, in its currency unit (a thousandth of a penny). */
export interface CreditFigures {
  /** the meter balance (credit remaining) */
  balance: number;
  /** emergency credit remaining */
  emergencyCredit: number;
  accumulatedDebt: number;
  paymentDebt: number;
  timeDebt1: number;
  timeDebt2: number;
}

/** The money of a meter never given credit or debt: none. */
const NO_CREDIT: Readonly<CreditFigures> = Object.freeze({ balance: 0, emergencyCredit: 0, accumulatedDebt: 0, paymentDebt: 0, timeDebt1: 0, timeDebt2: 0 });

const METER_BALANCE = obis('0-0:19.10.0.255');

/**
 * The meter's money as every read reports it: the sections' figures as the last command or catch-up left them (a
 * meter balance a DLMS command set with no section, else nothing). A meter never given credit or debt has none
 * (NO_CREDIT): a real meter always holds its balance registers and attributes, so its reads answer zeros, not an error.
 */
export function creditFigures(app: DeviceAppState): CreditFigures {
  const p = app.prepayment as Partial<PrepaymentSection> | undefined;
  const d = (app.prepaymentConfig as Partial<PrepaymentConfigSection> | undefined)?.debts;
  const stored = p?.balance === undefined ? storedAttribute(app, 112, METER_BALANCE, 2) : undefined;
  if (!p && !d && stored?.type !== 'double-long') return NO_CREDIT;
  return {
    balance: p?.balance ?? (stored?.type === 'double-long' ? stored.value : 0),
    emergencyCredit: p?.emergencyCredit ?? 0,
    accumulatedDebt: p?.accumulatedDebt ?? 0,
    paymentDebt: d?.paymentDebt ?? 0,
    timeDebt1: d?.timeDebt1 ?? 0,
    timeDebt2: d?.timeDebt2 ?? 0,
  };
}

/** The emergency credit object's settings as 4.13 reads them: preset credit amount (9), credit available threshold (10). */
const EMERGENCY_CREDIT_SETTINGS: Readonly<Record<number, 'limit' | 'threshold'>> = { 9: 'limit', 10: 'threshold' };

/**
 * The ESME's credit registers (class 112 current_credit_amount, attribute 2), as 4.18 reads the meter balance; and
 * the emergency credit's settings, as 2.5 gives it.
 */
const CREDIT_REGISTERS: CosemObject[] = ([
  [METER_BALANCE, 'meter balance', 'balance'],
  [obis('0-0:19.10.1.255'), 'emergency credit balance', 'emergencyCredit'],
  [obis('0-0:19.10.2.255'), 'accumulated debt', 'accumulatedDebt'],
] as const).map(([o, name, figure]): CosemObject => ({
  classId: 112,
  obis: o,
  name,
  get(attribute, ctx) {
    if (attribute === 2) return dlms.dl(clampInt32(creditFigures(ctx.app)[figure]));
    const setting = figure === 'emergencyCredit' ? EMERGENCY_CREDIT_SETTINGS[attribute] : undefined;
    return setting && dlms.dl(emergencyCreditOf(ctx.app, ctx.device.type)[setting]);
  },
}));

/** The GSME's Prepayment cluster credit and debt attributes: id, name, the figure each carries, its type. */
const CREDIT_ATTRIBUTE_FIGURES = [
  [0x0001, 'credit remaining', 'balance', ZclType.int32],
  [0x0002, 'emergency credit remaining', 'emergencyCredit', ZclType.int32],
  [0x0005, 'accumulated debt', 'accumulatedDebt', ZclType.int32],
  [0x0211, 'debt amount 1 (time-based)', 'timeDebt1', ZclType.uint32],
  [0x0221, 'debt amount 2 (time-based)', 'timeDebt2', ZclType.uint32],
  [0x0231, 'debt amount 3 (payment-based)', 'paymentDebt', ZclType.uint32],
] as const;

/**
 * A Prepayment cluster credit or debt attribute's value for the figures (credit signed, debt amounts unsigned): as
 * 4.18 and 4.3 read it now, and the prepay snapshots of a past instant (gsme-reads.ts).
 */
export function creditAttribute(f: CreditFigures, id: number): ZclValue | undefined {
  const a = CREDIT_ATTRIBUTE_FIGURES.find(([i]) => i === id);
  if (!a) return undefined;
  const [, , figure, type] = a;
  return zclFigure(type, f[figure]);
}

/** A figure as a ZCL attribute of its type carries it: an int32 held to its range, an unsigned one to its range and 0. */
function zclFigure(type: number, v: number): ZclValue {
  if (type === ZclType.int32) return { type, value: clampInt32(v) };
  const max = type === ZclType.enum8 ? 0xff : type === ZclType.uint16 ? 0xffff : 0xffffffff;
  return { type, value: Math.max(0, Math.min(max, Math.round(v))) };
}

/** The GSME's Prepayment cluster credit and debt attributes (4.18, 4.3), from the GPF's mirror too. */
const CREDIT_ATTRIBUTES: ZclAttribute[] = CREDIT_ATTRIBUTE_FIGURES.map(([id, name]): ZclAttribute => ({
  clusterId: ZclCluster.prepayment,
  id,
  name,
  get: (ctx) => creditAttribute(creditFigures(ctx.app), id),
}));

// ---------------------------------------------------------------- the money in the past

/**
 * How far back the meter keeps its money's history: its billing-period snapshots reach back twelve months (RTDS
 * GCS15c asks offsets 0-11), its prepayment daily read log 31 days (GCS16b, 0-30). Before that it reports the
 * oldest figures it kept.
 */
const CREDIT_HISTORY_MS = 400 * 86_400_000;

/**
 * The meter's money over time, for its logs of past instants (the prepayment daily read log and snapshots, the
 * billing-calendar logs), which a real meter captures as the instants pass: each change, with the figures it left
 * until the next. A change is a command's, noted at its instant (a top-up, emergency credit, debts, 1.5), or, in
 * prepayment mode, the balance drained to a midnight (credit.ts). A meter whose money never changed keeps none.
 */
export interface CreditHistorySection {
  /** the figures before the first change kept */
  before: CreditFigures;
  /** oldest first */
  changes: { at: string; figures: CreditFigures }[];
}

const sameCredit = (a: CreditFigures, b: CreditFigures) => (Object.keys(NO_CREDIT) as (keyof CreditFigures)[]).every((k) => a[k] === b[k]);

/**
 * Notes that the meter's money, `until` up to `at`, became `figures` then. A change at or before the last one noted
 * replaces those from its instant on (two commands at one instant; the clock set back).
 */
export function recordCredit(app: DeviceAppState, at: Date, until: CreditFigures, figures: CreditFigures): void {
  if (sameCredit(until, figures)) return;
  const h = appSection<CreditHistorySection>(app, 'creditHistory', () => ({ before: { ...until }, changes: [] }));
  const t = at.toISOString();
  while (h.changes.length > 0 && h.changes.at(-1)!.at >= t) h.changes.pop();
  h.changes.push({ at: t, figures: { ...figures } });
  const reach = new Date(at.getTime() - CREDIT_HISTORY_MS).toISOString();
  while (h.changes.length > 1 && h.changes[1]!.at <= reach) h.before = h.changes.shift()!.figures;
}

/**
 * The meter's money at a past instant (up to its last catch-up), as its logs report it: what the last change at or
 * before it left, else what it had before the first change kept; a meter whose money never changed, what it has now.
 */
export function creditFiguresAt(app: DeviceAppState, at: Date): CreditFigures {
  const h = app.creditHistory as CreditHistorySection | undefined;
  if (!h) return creditFigures(app);
  const t = at.toISOString();
  return h.changes.findLast((c) => c.at <= t)?.figures ?? h.before;
}

// What each command does to the meter's money, at its instant: a log's midnights before it show the money without it.
noteEveryCommand((app, now) => {
  const until = creditFigures(app);
  return () => recordCredit(app, now, until, creditFigures(app));
});

// ---------------------------------------------------------------- top-up

type TopUpRefusal = 'invalid' | 'duplicate' | 'maxBalance' | 'tooLarge';

/**
 * GBCS event codes of a refused top-up, which the meter logs in its security log: UTRN exceeds maximum credit
 * threshold; credit would cause the meter balance to exceed the maximum; duplicate UTRN entered; UTRN not
 * authentic; UTRN not for this device.
 */
const TOP_UP_REFUSED = { tooLarge: 0x8f5b, maxBalance: 0x8f47, duplicate: 0x8f51, notAuthentic: 0x8f63, notForThisDevice: 0x8f64 } as const;
type TopUpOutcome = { ok: true; amount: number } | { ok: false; why: TopUpRefusal; reason: string };

/**
 * Takes a UTRN (GBCS 14): it must be well formed, made with the key in the supplier's top-up KA cell for this
 * device, and carry a counter above the last taken from that supplier. Only 10 bits of the counter (>> 32)
 * travel, so the device reads them as the first counter above its floor with those bits: a UTRN whose MAC
 * verifies at or below the floor was taken already (a replay); one that verifies nowhere is not for this meter.
 */
function takeUtrn(ctx: CommandContext, utrn: string): TopUpOutcome {
  // Each refusal is noted in the security log (and alerts no one). What the meter can tell apart [inference, GBCS
  // names the codes, not the checks]: a UTRN whose digits fail their check digit or hold no top-up token is not
  // authentic (0x8F63): it is not what a supplier made; one well formed whose MAC does not verify with this meter's
  // KA key and EUI (which the MAC covers, with the supplier's top-up key) is not for this device (0x8F64). A UTRN
  // forged with a good check digit is refused as the latter: the MAC is the meter's one test of both, and it cannot
  // tell a UTRN made for another meter from one made with another key.
  const refuse = (why: TopUpRefusal, code: number, reason: string): TopUpOutcome => {
    appendEvent(ctx.app, code, ctx.now, 'security');
    return { ok: false, why, reason };
  };
  let f;
  try {
    f = decodeUtrn(utrn);
  } catch (e) {
    return refuse('invalid', TOP_UP_REFUSED.notAuthentic, (e as Error).message);
  }
  const der = ctx.device.cells.supplierTopUpKA;
  const key = der ? factsOf(der) : null;
  const supplier = key?.subjectEui;
  // no supplier top-up key: nothing the meter takes can be authenticated
  if (!key || !supplier) return refuse('invalid', TOP_UP_REFUSED.notAuthentic, 'the supplier top-up KA cell holds no certificate naming its supplier');
  // Read without creating the sections: a refused UTRN leaves the money as it was.
  const seen = prepaymentConfigIfAny(ctx.app);
  const last = BigInt(seen?.lastTopUpCounter[supplier] ?? '0');
  const floor = (ctx.device.topUpSeqNumber > last ? ctx.device.topUpSeqNumber : last) >> 32n;
  const verifies = (hi: bigint) => utrnMac(ctx.creds.kaKey, key.publicKey, supplier, ctx.device.eui, hi << 32n, f.high) === f.mac;
  let hi = (floor & ~0x3ffn) | BigInt(f.counterBits);
  if (hi <= floor) {
    if (verifies(hi)) return refuse('duplicate', TOP_UP_REFUSED.duplicate, `UTRN ${utrn} was taken already (counter ${hi << 32n} ≤ ${floor << 32n})`);
    hi += 0x400n;
  }
  if (!verifies(hi)) return refuse('invalid', TOP_UP_REFUSED.notForThisDevice, `UTRN ${utrn} was not made for ${ctx.device.eui} with ${supplier}'s top-up key`);
  const counter = hi << 32n;
  const amount = utrnPence(f) * CURRENCY_UNITS_PER_PENNY;
  // The limits in force (2.1's, else the factory's): no single top-up above the maximum credit, no balance above the
  // maximum meter balance. The meter refuses it and notes why in its security log, and alerts no one: 0x8F47 as GBCS's
  // alert table has it (security log only), 0x8F5B alike [inference].
  const t = thresholdsOf(ctx.app, ctx.device.type);
  const balance = prepaymentIfAny(ctx.app)?.balance ?? 0;
  if (amount > t.maxCredit) return refuse('tooLarge', TOP_UP_REFUSED.tooLarge, `UTRN ${utrn} is worth ${amount}, above the maximum credit ${t.maxCredit}`);
  if (balance + amount > t.maxMeterBalance) return refuse('maxBalance', TOP_UP_REFUSED.maxBalance, `UTRN ${utrn} would take the balance above the maximum ${t.maxMeterBalance}`);
  const cfg = prepaymentConfigOf(ctx.app, ctx.device.type);
  const p = prepaymentOf(ctx.app);
  // A payment first recovers its share of the payment-based debt; a top-up ends emergency credit in use.
  const d = cfg.debts;
  const recovered = Math.min(d.paymentDebt, Math.floor((amount * d.recoveryPerPayment) / 10_000));
  d.paymentDebt -= recovered;
  p.balance += amount - recovered;
  if (cfg.emergencyCredit.active) {
    cfg.emergencyCredit.active = false;
    delete cfg.emergencyCredit.activatedAt;
    p.emergencyCredit = 0;
  }
  // A meter that opened its switch for lack of credit arms it once the top-up leaves credit (credit.ts).
  const c = p as PrepaymentSection & { disabledForCredit?: boolean; disablementThreshold?: number };
  if (c.disabledForCredit && p.balance > (c.disablementThreshold ?? 0)) {
    c.disabledForCredit = false;
    if ((ctx.app.supply as SupplySection | undefined)?.state === 'disconnected') changeSupply(ctx.app, 'armed', ctx.now);
  }
  cfg.lastTopUpCounter[supplier] = counter.toString();
  cfg.topUps.push({ utrn, originator: supplier, counter: counter.toString(), amount, at: ctx.now.toISOString(), debtRecovered: recovered, paymentDebtLeft: d.paymentDebt });
  if (cfg.topUps.length > TOP_UP_LOG_SIZE) cfg.topUps.splice(0, cfg.topUps.length - TOP_UP_LOG_SIZE);
  ctx.setTopUpSeqNumber(counter);
  return { ok: true, amount };
}

/** DLMS action result of a refused top-up or emergency credit: as the RTDS ERROR responses of CS01a and ECS09. */
const REFUSED = DataAccessResult.hardwareFault;

/** ZCL Consumer Top Up Response result types. */
const TOP_UP_RESULT: Record<TopUpRefusal | 'accepted', number> = { accepted: 0x00, invalid: 0x01, duplicate: 0x02, maxBalance: 0x04, tooLarge: 0x06 };

// ---------------------------------------------------------------- emergency credit

/**
 * Activates emergency credit if the balance is at or below its threshold and none is in use, and tells the
 * supplier (0x81AB, unless 6.22 turned it off); else why not.
 */
function activateEmergencyCredit(ctx: CommandContext): string | undefined {
  const { app, now } = ctx;
  // Checked before the sections are made: a refusal leaves the state as it was.
  const seen = emergencyCreditOf(app, ctx.device.type);
  const balance = prepaymentIfAny(app)?.balance ?? 0;
  if (seen.active) return 'emergency credit is in use already';
  if (balance > seen.threshold) return `the balance ${balance} is above the emergency credit threshold ${seen.threshold}`;
  const p = prepaymentOf(app);
  const ec = prepaymentConfigOf(app, ctx.device.type).emergencyCredit;
  ec.active = true;
  ec.activatedAt = now.toISOString();
  p.emergencyCredit = ec.limit;
  raiseEmergencyCreditActivated(ctx);
  return undefined;
}

// ---------------------------------------------------------------- ESME objects

const TOKEN_GATEWAY = obis('0-0:19.40.0.255');
const EMERGENCY_CREDIT = obis('0-0:19.10.1.255');
const PAYMENT_DEBT_CHARGE = obis('0-0:19.20.3.255');
const CHARGES = { [obis('0-0:19.20.1.255')]: 'timeDebt1', [obis('0-0:19.20.2.255')]: 'timeDebt2', [PAYMENT_DEBT_CHARGE]: 'paymentDebt' } as const;

function charge(o: string, name: string): CosemObject {
  const debt = CHARGES[o]!;
  return {
    classId: 113,
    obis: o,
    name,
    set(attribute, value, ctx) {
      // 13 proportion: the payment-based debt's share of each payment, kept with the debts (where 4.13 reads it); the
      // rest (unit charge, period) is stored as sent.
      if (attribute === 13 && debt === 'paymentDebt' && value.type === 'long-unsigned') {
        prepaymentConfigOf(ctx.app, ctx.device.type).debts.recoveryPerPayment = value.value;
        return { result: DataAccessResult.success };
      }
      if (attribute === 8 && value.type === 'double-long-unsigned' && debt !== 'paymentDebt') {
        const d = prepaymentConfigOf(ctx.app, ctx.device.type).debts;
        const key = debt === 'timeDebt1' ? 'recovery1' : 'recovery2';
        d[key] = { rate: d[key]?.rate ?? 0, periodSeconds: value.value };
      }
      return undefined;
    },
    get(attribute, ctx) {
      // 12 total_amount_remaining
      return attribute === 12 ? dlms.dl(prepaymentConfigOf(ctx.app, ctx.device.type).debts[debt]) : undefined;
    },
    action(method, parameter, ctx) {
      const d = prepaymentConfigOf(ctx.app, ctx.device.type).debts;
      if (method === 2) {
        // activate_passive_unit_charge: the passive unit charge (attribute 6) becomes the active one (5)
        const passive = storedAttribute(ctx.app, 113, o, 6);
        if (!passive) return { result: DataAccessResult.otherReason };
        storeAttribute(ctx.app, 113, o, 5, passive);
        const rate = rateOf(passive);
        if (rate !== undefined && debt !== 'paymentDebt') {
          const key = debt === 'timeDebt1' ? 'recovery1' : 'recovery2';
          d[key] = { rate, periodSeconds: d[key]?.periodSeconds ?? 86_400 };
        }
        return { result: DataAccessResult.success };
      }
      if (method === 4 && parameter.type === 'double-long') {
        // update_total_amount_remaining: the debt grows (or shrinks) by the amount
        d[debt] += parameter.value;
        return { result: DataAccessResult.success };
      }
      return { result: DataAccessResult.otherReason };
    },
  };
}

/** The rate of a unit charge {scaling, commodity, [{index, charge per unit}]}. */
function rateOf(unitCharge: DlmsData): number | undefined {
  if (unitCharge.type !== 'structure') return undefined;
  const table = unitCharge.items[2];
  const first = table?.type === 'array' ? table.items[0] : undefined;
  const rate = first?.type === 'structure' ? first.items[1] : undefined;
  return rate && 'value' in rate && typeof rate.value === 'number' ? rate.value : undefined;
}

const ESME_OBJECTS = cosemTable([
  {
    classId: 115,
    obis: TOKEN_GATEWAY,
    name: 'token gateway',
    action(method, parameter, ctx) {
      if (method !== 1 || parameter.type !== 'octet-string') return { result: DataAccessResult.otherReason };
      const out = takeUtrn(ctx, parameter.value.toString('latin1'));
      return { result: out.ok ? DataAccessResult.success : REFUSED };
    },
  },
  {
    classId: 112,
    obis: EMERGENCY_CREDIT,
    name: 'emergency credit',
    action(method, _parameter, ctx) {
      // 3 invoke_credit
      if (method !== 3) return { result: DataAccessResult.otherReason };
      return { result: activateEmergencyCredit(ctx) === undefined ? DataAccessResult.success : REFUSED };
    },
  },
  charge(obis('0-0:19.20.1.255'), 'time-based debt 1'),
  charge(obis('0-0:19.20.2.255'), 'time-based debt 2'),
  charge(PAYMENT_DEBT_CHARGE, 'payment-based debt'),
]);

function onEsmeObjects(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'dlms-request') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not a DLMS ACCESS request`);
  return encodeAccessResponse(runAccess(ctx.body.request, ctx, ESME_OBJECTS));
}

// ---------------------------------------------------------------- GSME commands

/** ZCL debt recovery frequency → seconds (0 hourly, 1 daily). */
const FREQUENCY_SECONDS: Record<number, number> = { 0: 3600, 1: 86_400 };
const frequencyOf = (seconds: number): number => Number(Object.entries(FREQUENCY_SECONDS).find(([, s]) => s === seconds)?.[0] ?? 1);
const GAS_DEBTS = ['timeDebt1', 'timeDebt2', 'paymentDebt'] as const;

const GSME_COMMANDS: ZclCommand[] = [
  {
    clusterId: ZclCluster.prepayment,
    commandId: 0x04,
    name: 'Consumer Top Up',
    run(c, ctx) {
      // originating device(1) ‖ UTRN octet string (length ‖ digits)
      const p = c.payload;
      const utrn = p.length >= 2 && p.length >= 2 + p[1]! ? p.subarray(2, 2 + p[1]!).toString('latin1') : '';
      const out = takeUtrn(ctx, utrn);
      // Consumer Top Up Response: result ‖ top-up value ‖ source ‖ credit remaining (FFFFFFFF when refused, as RTDS)
      const r = Buffer.alloc(10, 0xff);
      r[0] = out.ok ? TOP_UP_RESULT.accepted : TOP_UP_RESULT[out.why];
      r[5] = 0x00;
      if (out.ok) {
        r.writeInt32LE(clampInt32(out.amount), 1);
        r.writeInt32LE(clampInt32(prepaymentOf(ctx.app).balance), 6);
      }
      return [responseComponent(c, ZclFrame.clusterResponseWithDefault, 0x03, r)];
    },
  },
  {
    clusterId: ZclCluster.prepayment,
    commandId: 0x02,
    name: 'Change Debt',
    run(c, ctx) {
      // issuer event(4) ‖ label (octet string) ‖ amount(4) ‖ method(1) ‖ amount type(1) ‖ start(4) ‖ collection time(2) ‖ frequency(1) ‖ recovery amount(4) ‖ percentage(2)
      const p = c.payload;
      const o = 4 + 1 + (p[4] ?? 0);
      if (p.length < o + 18) return [defaultResponse(c, ZclStatus.invalidValue)];
      const amount = p.readInt32LE(o);
      const type = p[o + 5]!;
      const debt = GAS_DEBTS[type >> 1];
      if (!debt) return [defaultResponse(c, ZclStatus.invalidValue)];
      const d = prepaymentConfigOf(ctx.app, ctx.device.type).debts;
      // even amount types set a debt, odd ones add to it
      d[debt] = type & 1 ? d[debt] + amount : amount;
      const periodSeconds = FREQUENCY_SECONDS[p[o + 12]!] ?? 86_400;
      const rate = p.readUInt32LE(o + 13);
      if (debt === 'timeDebt1') d.recovery1 = { rate, periodSeconds };
      if (debt === 'timeDebt2') d.recovery2 = { rate, periodSeconds };
      if (debt === 'paymentDebt') d.recoveryPerPayment = p.readUInt16LE(o + 17);
      return [defaultResponse(c)];
    },
  },
  {
    clusterId: ZclCluster.prepayment,
    commandId: 0x00,
    name: 'Select Available Emergency Credit',
    run(c, ctx) {
      return [defaultResponse(c, activateEmergencyCredit(ctx) === undefined ? ZclStatus.success : ZclStatus.failure)];
    },
  },
];

const GSME_TABLE = zclTable([], GSME_COMMANDS);

function onGsmeCommands(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'gbz') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not GBZ`);
  return encodeGbz(runGbz(ctx.body.gbz, ctx, GSME_TABLE));
}

/** A figure rounded and held to a signed 32-bit integer, as DLMS double-long and ZCL int32 carry it. */
export function clampInt32(n: number): number {
  return Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(n)));
}


// ---------------------------------------------------------------- 2.1 prepayment configuration

const ALERT_FUTURE_DATED_SUCCESS = 0x8f66;
/** future-dated execution alerts: DLMS (ESME) and GBZ (GSME) */
const DLMS_FUTURE_DATED_ALERT = 0x00cc;
const GBZ_FUTURE_DATED_ALERT = 0x00cd;

const SETTING = {
  maxMeterBalance: obis('0-0:94.44.2.20'),
  maxCredit: obis('0-0:94.44.2.10'),
  debtRecoveryRateCap: obis('0-0:94.44.128.12'),
  debtRecoveryRateCapPeriod: obis('0-0:94.44.128.13'),
  lowCredit: obis('0-0:94.44.128.9'),
  emergencyCreditLimit: obis('0-0:94.44.128.2'),
  emergencyCreditThreshold: obis('0-0:94.44.128.3'),
};

const ACCOUNT = obis('0-0:19.0.0.255');

/**
 * The settings the meter keeps in its prepayment settings, where what applies them and 4.13 read them: the thresholds
 * (`thresholdsOf`: THRESHOLD_OBJECTS) and the emergency credit (`emergencyCreditOf`: CREDIT_REGISTERS).
 */
const KEPT_AS: Readonly<Record<string, (cfg: PrepaymentConfigSection, n: number) => void>> = {
  [SETTING.maxMeterBalance]: (cfg, n) => { cfg.thresholds.maxMeterBalance = n; },
  [SETTING.maxCredit]: (cfg, n) => { cfg.thresholds.maxCredit = n; },
  [SETTING.debtRecoveryRateCap]: (cfg, n) => { cfg.thresholds.debtRecoveryRateCap = n; },
  [SETTING.lowCredit]: (cfg, n) => { cfg.thresholds.lowCredit = n; },
  [SETTING.emergencyCreditLimit]: (cfg, n) => { cfg.emergencyCredit.limit = n; },
  [SETTING.emergencyCreditThreshold]: (cfg, n) => { cfg.emergencyCredit.threshold = n; },
};

/** The debt recovery cap's period the meter holds in force in its account object (class 111 attribute 19), where 4.13 reads it. */
const CAP_PERIOD_HELD_IN = [111, ACCOUNT, 19] as const;

/** When a command's settings take effect: a class-9000 activation time (attribute 6), or a ZCL start time. */
type When = Date | 'now' | 'never';

function dlmsWhen(octets: Buffer): When {
  if (octets.subarray(0, 9).every((b) => b === 0)) return 'now';
  if (octets.subarray(0, 9).every((b) => b === 0xff)) return 'never';
  return decodeDlmsDateTime(octets);
}

function zclWhen(seconds: number): When {
  if (seconds === 0) return 'now';
  if (seconds >= 0xfffffffe) return 'never';
  return dateOfZigbeeTime(seconds);
}

/** Holds the command if it is future-dated or cancels (true), or lets it run now (false). */
function held(ctx: CommandContext, when: When): boolean {
  if (when === 'now') return false;
  return ctx.defer(when === 'never' ? CANCELLATION_DATE_TIME : when);
}

/**
 * ECS08/08a: takes the thresholds and emergency credit into the prepayment settings (KEPT_AS), where 4.13 reads them
 * back; stores the rest as set and as the meter holds it in force (the calendar's active objects, the debt recovery
 * cap period's active value and its account attribute) for 4.13 to read back.
 */
function applyElecConfig(app: DeviceAppState, req: AccessRequest): void {
  const cfg = prepaymentConfigOf(app, 'ESME');
  cfg.thresholds ??= {};
  req.specs.forEach((spec, i) => {
    if (spec.kind !== 'set') return;
    const v = req.data[i]!;
    const kept = spec.classId === 9000 && spec.id !== 6 ? KEPT_AS[spec.obis] : undefined;
    if (kept) {
      if ('value' in v && typeof v.value === 'number') kept(cfg, v.value);
      return;
    }
    storeAttribute(app, spec.classId, spec.obis, spec.id, v);
    storeAsActive(app, spec.classId, spec.obis, spec.id, v);
    if (spec.classId === 9000 && spec.id !== 6 && spec.obis === SETTING.debtRecoveryRateCapPeriod) storeAttribute(app, ...CAP_PERIOD_HELD_IN, v);
  });
}

const allSucceeded = (req: AccessRequest) => encodeAccessResponse({ invokeId: req.invokeId, data: req.specs.map(() => dlms.null()), results: req.specs.map((s) => ({ kind: s.kind, result: DataAccessResult.success })) });

function onElecConfig(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'dlms-request') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not a DLMS ACCESS request`);
  const req = ctx.body.request;
  const i = req.specs.findIndex((s) => s.kind === 'set' && s.classId === 9000 && s.id === 6);
  const at = req.data[i];
  const when = at?.type === 'octet-string' && at.value.length === 12 ? dlmsWhen(at.value) : 'now';
  // Held or cancelling: the normal set response now, the settings at their time.
  if (!held(ctx, when)) applyElecConfig(ctx.app, req);
  return allSucceeded(req);
}

/** At their time: the settings, and one 8F66 per activated object (catalogue.md §2.8). */
function dueElecConfig(ctx: DueContext): { messageCode: number; payload: Buffer }[] {
  if (ctx.message.body.kind !== 'dlms-request') return [];
  const req = ctx.message.body.request;
  applyElecConfig(ctx.app, req);
  const time = encodeDlmsDateTime(ctx.pending.executeAt);
  return req.specs.filter((s) => s.kind === 'set' && s.classId === 9000 && s.id === 6).map((s, i) => {
    const detail = Buffer.alloc(19);
    detail.writeUInt16BE(ctx.message.apdu.messageCode, 0);
    detail.writeBigUInt64BE(ctx.pending.counter, 2);
    detail.writeUInt16BE(s.classId, 10);
    Buffer.from(s.obis, 'hex').copy(detail, 12);
    detail[18] = s.id;
    const body = dlms.structure(dlms.longUnsigned(ALERT_FUTURE_DATED_SUCCESS), dlms.octets(time), dlms.octets(detail));
    return { messageCode: DLMS_FUTURE_DATED_ALERT, payload: encodeDataNotification({ invokeId: invokeIdFor(ctx.device.alertCounter + BigInt(i + 1)), body }) };
  });
}

/** GCS05's commands that set something the 8F66 alerts name (the day, week and season publishes ride with the calendar). */
const GAS_ACTIVATED = new Set(['0705/03', '0705/0c', '0705/09', '0705/0b', '0707/00', '0707/04']);
const gasKey = (cluster: number, command: number) => `${cluster.toString(16).padStart(4, '0')}/${command.toString(16).padStart(2, '0')}`;

/** GCS05: the emergency credit, debt cap, low credit and maximum credit settings, and the friendly-credit calendar. */
function applyGasConfig(app: DeviceAppState, gbz: GbzPayload): void {
  const cfg = prepaymentConfigOf(app, 'GSME');
  cfg.thresholds ??= {};
  const calendar: string[] = [];
  for (const c of gbz.components) {
    const p = c.payload;
    if (c.clusterId === ZclCluster.calendar) calendar.push(`${gasKey(c.clusterId, c.commandId)}:${p.toString('hex')}`);
    if (c.clusterId !== ZclCluster.prepayment) continue;
    if (c.commandId === 0x03 && p.length >= 16) {
      cfg.emergencyCredit.limit = p.readUInt32LE(8);
      cfg.emergencyCredit.threshold = p.readUInt32LE(12);
    } else if (c.commandId === 0x0c && p.length >= 16) cfg.thresholds.debtRecoveryRateCap = p.readUInt32LE(12);
    else if (c.commandId === 0x09 && p.length >= 4) cfg.thresholds.lowCredit = p.readUInt32LE(0);
    else if (c.commandId === 0x0b && p.length >= 20) {
      cfg.thresholds.maxMeterBalance = p.readUInt32LE(12);
      cfg.thresholds.maxCredit = p.readUInt32LE(16);
    }
  }
  cfg.nonDisablementCalendar = calendar;
}

function onGasConfig(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'gbz') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not GBZ`);
  const gbz = ctx.body.gbz;
  const setup = gbz.components.find((c) => c.clusterId === ZclCluster.prepayment && c.commandId === 0x03);
  const when = setup && setup.payload.length >= 8 ? zclWhen(setup.payload.readUInt32LE(4)) : 'now';
  if (!held(ctx, when)) applyGasConfig(ctx.app, gbz);
  // A Default Response per component; the calendar publishes came server to client, so theirs go client to server.
  return encodeGbz({
    components: gbz.components.map((c) => responseComponent(c, c.clusterId === ZclCluster.calendar ? 0x00 : ZclFrame.profileResponse, 0x0b, encodeDefaultResponse(c.commandId, ZclStatus.success))),
  });
}

function dueGasConfig(ctx: DueContext): { messageCode: number; payload: Buffer }[] {
  if (ctx.message.body.kind !== 'gbz') return [];
  const gbz = ctx.message.body.gbz;
  applyGasConfig(ctx.app, gbz);
  return gbz.components.filter((c) => GAS_ACTIVATED.has(gasKey(c.clusterId, c.commandId))).map((c) => {
    const rest = Buffer.alloc(15);
    rest[0] = 14;
    rest.writeUInt16BE(ctx.message.apdu.messageCode, 1);
    rest.writeBigUInt64BE(ctx.pending.counter, 3);
    rest.writeUInt16BE(c.clusterId, 11);
    rest[13] = 0x01; // the command's frame control as a client command, as RTDS reports even the publishes
    rest[14] = c.commandId;
    return { messageCode: GBZ_FUTURE_DATED_ALERT, payload: encodeGbzAlert({ alertCode: ALERT_FUTURE_DATED_SUCCESS, time: zigbeeTime(ctx.pending.executeAt), componentCount: 1, rest }) };
  });
}

// ---------------------------------------------------------------- the GSME's settings, as 4.13 reads them

/**
 * The GSME's prepayment settings before any command set them: as the RTDS GSME answers 4.13 (GCS21b). Its emergency
 * credit is FACTORY_EMERGENCY_CREDIT's, its thresholds FACTORY_THRESHOLDS', its payment-based debt share
 * FACTORY_RECOVERY_PER_PAYMENT's.
 */
const GAS_FACTORY = {
  cutOff: -5000 * CURRENCY_UNITS_PER_PENNY,
  recovery1: { rate: 500 * CURRENCY_UNITS_PER_PENNY, periodSeconds: 86_400 },
  recovery2: { rate: 200 * CURRENCY_UNITS_PER_PENNY, periodSeconds: 86_400 },
  /** the issuer calendar id of its friendly credit calendar, as its 1.6 answers (GCS02/03) */
  friendlyCreditCalendarId: 2,
} as const;

/** ZCL calendar type of a friendly credit (non-disablement) calendar. */
const FRIENDLY_CREDIT_CALENDAR = 0x03;

/**
 * The GSME's friendly credit, as its 1.6 Change Payment Mode Response reports it: the issuer calendar id of the friendly
 * credit calendar it holds, the one the last 2.1 published (its Publish Calendar, calendar type 3), else the factory's;
 * enabled while it holds one (a meter always does: the factory's until 2.1 publishes its own).
 */
export function friendlyCreditOf(app: DeviceAppState): { enabled: boolean; calendarId: number } {
  const publish = prepaymentConfigIfAny(app)?.nonDisablementCalendar?.find((e) => e.startsWith(`${gasKey(ZclCluster.calendar, 0x00)}:`));
  // provider id(4) ‖ issuer event id(4) ‖ issuer calendar id(4) ‖ start time(4) ‖ calendar type(1) ‖ …
  const p = publish ? Buffer.from(publish.slice(publish.indexOf(':') + 1), 'hex') : undefined;
  if (p && p.length >= 17 && p[16] === FRIENDLY_CREDIT_CALENDAR) return { enabled: true, calendarId: p.readUInt32LE(8) };
  return { enabled: true, calendarId: GAS_FACTORY.friendlyCreditCalendarId };
}

const recovery1 = (app: DeviceAppState) => prepaymentConfigIfAny(app)?.debts.recovery1 ?? GAS_FACTORY.recovery1;
const recovery2 = (app: DeviceAppState) => prepaymentConfigIfAny(app)?.debts.recovery2 ?? GAS_FACTORY.recovery2;

/**
 * The GSME's Prepayment cluster configuration attributes GCS21b reads: id, name, type, and where the meter keeps each
 * (2.1's settings, 2.3's debt recovery, 1.6's cut-off value), else the factory's.
 */
const GAS_SETTINGS: readonly (readonly [number, string, number, (app: DeviceAppState) => number])[] = [
  [0x0239, 'debt recovery top-up percentage 3', ZclType.uint16, (app) => recoveryPerPaymentOf(app, 'GSME')],
  [0x0006, 'overall debt cap', ZclType.int32, (app) => thresholdsOf(app, 'GSME').debtRecoveryRateCap],
  [0x0216, 'debt recovery frequency 1', ZclType.enum8, (app) => frequencyOf(recovery1(app).periodSeconds)],
  [0x0226, 'debt recovery frequency 2', ZclType.enum8, (app) => frequencyOf(recovery2(app).periodSeconds)],
  [0x0040, 'cut off value', ZclType.int32, (app) => prepaymentIfAny(app)?.disablementThreshold ?? GAS_FACTORY.cutOff],
  [0x0010, 'emergency credit limit', ZclType.uint32, (app) => emergencyCreditOf(app, 'GSME').limit],
  [0x0011, 'emergency credit threshold', ZclType.uint32, (app) => emergencyCreditOf(app, 'GSME').threshold],
  [0x0031, 'low credit warning level', ZclType.uint32, (app) => thresholdsOf(app, 'GSME').lowCredit],
  [0x0021, 'maximum credit limit', ZclType.uint32, (app) => thresholdsOf(app, 'GSME').maxMeterBalance],
  [0x0022, 'maximum credit per top-up', ZclType.uint32, (app) => thresholdsOf(app, 'GSME').maxCredit],
  [0x0217, 'debt recovery amount 1', ZclType.uint32, (app) => recovery1(app).rate],
  [0x0227, 'debt recovery amount 2', ZclType.uint32, (app) => recovery2(app).rate],
];

const SETTING_ATTRIBUTES: ZclAttribute[] = GAS_SETTINGS.map(([id, name, type, value]): ZclAttribute => ({
  clusterId: ZclCluster.prepayment,
  id,
  name,
  get: (ctx) => zclFigure(type, value(ctx.app)),
}));

/**
 * The ESME's thresholds as 4.13 (ECS26a) reads them, where the meter holds them in force: the maximum credit and
 * maximum meter balance settings' active values (class 9000 attribute 2), the account's low credit threshold (class
 * 111 attribute 16) and debt recovery cap (max provision, 18); in the types 2.1 sets them with.
 */
const THRESHOLD_OBJECTS: CosemObject[] = [
  { classId: 9000, obis: SETTING.maxCredit, name: 'maximum credit threshold', get: (a, ctx) => (a === 2 ? dlms.dl(thresholdsOf(ctx.app, ctx.device.type).maxCredit) : undefined) },
  { classId: 9000, obis: SETTING.maxMeterBalance, name: 'maximum meter balance threshold', get: (a, ctx) => (a === 2 ? dlms.dl(thresholdsOf(ctx.app, ctx.device.type).maxMeterBalance) : undefined) },
  {
    classId: 111,
    obis: ACCOUNT,
    name: 'account',
    get(a, ctx) {
      if (a === 16) return dlms.dl(thresholdsOf(ctx.app, ctx.device.type).lowCredit);
      return a === 18 ? dlms.longUnsigned(thresholdsOf(ctx.app, ctx.device.type).debtRecoveryRateCap) : undefined;
    },
  },
];

/** The ESME's payment-based debt charge as 4.13 reads its proportion (attribute 13): the share the meter recovers. */
const DEBT_SHARE: CosemObject = {
  classId: 113,
  obis: PAYMENT_DEBT_CHARGE,
  name: 'payment-based debt',
  get: (a, ctx) => (a === 13 ? dlms.longUnsigned(recoveryPerPaymentOf(ctx.app, ctx.device.type)) : undefined),
};

const SUPPLIER = [RemotePartyRole.Supplier];

export const PREPAYMENT: UseCaseFamily = {
  name: 'prepayment',
  cosem: [...CREDIT_REGISTERS, ...THRESHOLD_OBJECTS, DEBT_SHARE],
  zclAttributes: [...CREDIT_ATTRIBUTES, ...SETTING_ATTRIBUTES],
  useCases: [
    // ECS08 and ECS08a differ only in the attribute of the maximum meter balance: one behaviour serves both.
    dlmsUseCase({ name: 'ECS08', messageCodes: [0x001f], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, responseDateTime: true, before: onElecConfig, executeDue: dueElecConfig }),
    dlmsUseCase({ name: 'ECS08a', messageCodes: [0x00de], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, responseDateTime: true, before: onElecConfig, executeDue: dueElecConfig }),
    gbzUseCase({ name: 'GCS05', messageCodes: [0x006f], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true, responseDateTime: true, before: onGasConfig, executeDue: dueGasConfig }),
    dlmsUseCase({ name: 'CS01a', messageCodes: [0x0007], deviceTypes: ['ESME'], roles: SUPPLIER, critical: false, responseDateTime: true, before: onEsmeObjects }),
    gbzUseCase({ name: 'CS01b', messageCodes: [0x0097], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false, responseDateTime: true, before: onGsmeCommands }),
    dlmsUseCase({ name: 'ECS07', messageCodes: [0x001e], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, before: onEsmeObjects }),
    gbzUseCase({ name: 'GCS04', messageCodes: [0x006e], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true, before: onGsmeCommands }),
    dlmsUseCase({ name: 'ECS09', messageCodes: [0x0020], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true, before: onEsmeObjects }),
    gbzUseCase({ name: 'GCS06', messageCodes: [0x0070], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true, before: onGsmeCommands }),
  ],
};
