/**
 * A prepayment meter's credit between commands (ESME and GSME alike): in prepayment mode the meter balance drains
 * by what the meter model consumed at the tariff's price and by the standing charge (devices/meter/prepayment.ts),
 * into emergency credit once that is in use; when the credit available (balance, plus the emergency credit limit
 * while it is in use) reaches the disablement threshold the meter opens its load switch, or closes its valve, at
 * that instant, and nothing accrues after it (the supply section's off interval). A top-up that leaves credit arms
 * the switch or valve again (prepayment.ts); the supplier's 7.1 or the customer closes it. A gas meter prices the
 * energy of its volume (calorific value 39.5 MJ/m³, correction 1.02264: meter model's gasEnergyKWh).
 *
 * The device has no clock of its own in the emulator: what happened since its last command is caught up when the
 * next command reaches it (app-use-case.ts `onEveryCommand`), at the instants it happened. Every section read
 * (4.18, the prepay values, 7.4) then reflects it: the reads report the section's figures themselves
 * (prepayment.ts `creditFigures`), so a command that changes them after the catch-up shows at once too; and each
 * midnight the balance drained past is kept with the money the meter had then, for its logs (prepayment.ts `recordCredit`).
 *
 * Prices: each half hour's import at the price of the register the active primary tariff selects for it (its
 * TOU register's price, or for a block set the price of the block that set's counter is in, split exactly at a
 * threshold: the same register the TOU reads count it in), plus the tariff's standing charge; prices and charge
 * are pounds × 10^scale, turned into the device's currency unit (a thousandth of a penny). A tariff with no
 * switching table charges its first TOU price; an ESME never given a tariff 30p/kWh, a GSME 6.5p/kWh (the price
 * its bill to date uses), both 50p a day. A GSME's block thresholds (Price cluster, × threshold multiplier ÷
 * divisor) are taken as kWh, the unit GBCS gas tariffs are in [inference], and counted against the volume's energy. The balance
 * drains from the first command after the switch to prepayment (1.6); each command starts new terms, so a tariff
 * set now prices from the command that set it; a future-dated one from its activation instant, the meter caught up
 * to that instant first at the old prices (app-use-case.ts). [Not yet: the secondary element of a twin ESME,
 * time-based debt recovery, the non-disablement calendar.] The alerts a
 * prepayment meter raises as its balance crosses its thresholds are credit-alerts.ts's.
 */
import {
  balancesAt, balanceCrossing, gasEnergyKWh, profileRows, registerAt, type BlockPrices, type MeterModel, type PrepaymentTerms, type Quantity, type RegisterPrices,
} from '../meter/index.ts';
import { ZclCluster } from '../gbcs/gbz.ts';
import { onEveryCommand, type CommandContext } from './app-use-case.ts';
import { raiseCreditAlerts } from './credit-alerts.ts';
import { ESME_EPOCH, meterOf } from './families/esme-reads.ts';
import { GAS_FLEET_EPOCH, GAS_UNIT_PRICE, gasMeterOf } from './families/gsme-reads.ts';
import { CURRENCY_UNITS_PER_PENNY, creditFigures, prepaymentConfigIfAny, recordCredit } from './families/prepayment.ts';
import { changeSupply, type SupplySection } from './families/supply.ts';
import { storedZclAttribute } from './zcl-engine.ts';
import { activeTariffOf, tariffActionAt, type ElementTariff, type PrepaymentSection } from './families/tariffs.ts';

/** The prepayment section with the instant its balance is known at. */
export type CreditSection = PrepaymentSection & {
  /** ISO: the balance is as of this instant */
  creditAsOf?: string;
  /** the meter opened its switch for lack of credit (and a top-up arms it) */
  disabledForCredit?: boolean;
};

export const DEFAULT_PRICE_PER_KWH = 30 * CURRENCY_UNITS_PER_PENNY;
export const DEFAULT_STANDING_CHARGE_PER_DAY = 50 * CURRENCY_UNITS_PER_PENNY;
/** GAS_UNIT_PRICE is pounds × 10^-5 per kWh */
const DEFAULT_GAS_PRICE_PER_KWH = GAS_UNIT_PRICE * 1e-5 * 100 * CURRENCY_UNITS_PER_PENNY;

/** The fuel a prepayment meter meters: its model, the register its consumption counts in, and where that starts. */
interface Fuel { meter: MeterModel; q: Quantity; epoch: Date; defaultPrice: number }

function fuelOf(ctx: CommandContext): Fuel {
  return ctx.device.type === 'GSME'
    ? { meter: gasMeterOf(ctx), q: 'gasVolume', epoch: GAS_FLEET_EPOCH, defaultPrice: DEFAULT_GAS_PRICE_PER_KWH }
    : { meter: meterOf(ctx), q: 'activeImport', epoch: ESME_EPOCH, defaultPrice: DEFAULT_PRICE_PER_KWH };
}

/** A tariff's money is pounds × 10^scale; the balance is in thousandths of a penny. */
const CURRENCY_UNITS_PER_POUND = 100 * CURRENCY_UNITS_PER_PENNY;
const HALF_HOUR = 1_800_000;
const DAY = 86_400_000;
/** The registers credit is priced by: TOU registers 1-48, then block sets 1-8 as 49-56. */
const TOU_REGISTERS = 48;
const BLOCK_SETS = 8;

/** The register (1-56) a half hour counts in under the tariff, by its start: a TOU register, or a block set. */
function registerOfSlot(t: ElementTariff, slotStart: number): number {
  const a = tariffActionAt(t, new Date(slotStart));
  if (a && 'block' in a && a.block >= 1 && a.block <= BLOCK_SETS) return TOU_REGISTERS + a.block;
  return a && 'tou' in a && a.tou >= 1 && a.tou <= TOU_REGISTERS ? a.tou : 1;
}

/** Import counted in each register over [a, b): whole half hours from the profile, the two part half hours from the register. */
function usedPerRegister(m: MeterModel, q: Quantity, registerOf: (slotStart: number) => number, a: number, b: number): number[] {
  const used = new Array<number>(TOU_REGISTERS + BLOCK_SETS).fill(0);
  if (!(b > a)) return used;
  const amount = (x: number, y: number) => registerAt(m, q, new Date(y)) - registerAt(m, q, new Date(x));
  const first = Math.ceil(a / HALF_HOUR) * HALF_HOUR;
  const last = Math.floor(b / HALF_HOUR) * HALF_HOUR;
  if (last < first) {
    used[registerOf(last) - 1]! += amount(a, b);
    return used;
  }
  if (first > a) used[registerOf(first - HALF_HOUR) - 1]! += amount(a, first);
  for (const r of profileRows(m, q, new Date(first), new Date(last))) used[registerOf(r.start.getTime()) - 1]! += r.value;
  if (b > last) used[registerOf(last) - 1]! += amount(last, b);
  return used;
}

/**
 * A block set's thresholds in the units consumption counts in: an ESME's are Wh already; a GSME's are kWh after
 * the Price cluster's threshold multiplier and divisor, turned into the volume (dm³) whose energy that is.
 */
function thresholdsOf(ctx: CommandContext, fuel: Fuel, raw: readonly number[]): number[] {
  if (fuel.q !== 'gasVolume') return [...raw];
  const factor = (id: number) => { const v = storedZclAttribute(ctx.app, ZclCluster.price, id)?.value; return typeof v === 'number' && v > 0 ? v : 1; };
  const kWh = factor(0x0202) / factor(0x0203);
  return raw.map((v) => (v * kWh) / gasEnergyKWh(1));
}

function termsOf(ctx: CommandContext, fuel: Fuel, from: Date, balance: number): PrepaymentTerms {
  const tariff = activeTariffOf(ctx.app);
  const t = tariff?.primary;
  const money = (v: number, scale: number | undefined) => Math.max(0, v * 10 ** (scale ?? 0) * CURRENCY_UNITS_PER_POUND);
  const standing = t?.standingCharge ? money(t.standingCharge.value, t.standingCharge.scale) : DEFAULT_STANDING_CHARGE_PER_DAY;
  const flat = t?.touPrices?.[0] !== undefined ? money(t.touPrices[0], t.priceScale) : fuel.defaultPrice;
  if (!t?.dayProfiles?.length) return { from, balance, price: flat, standingChargePerDay: standing };
  const registerOf = (slotStart: number) => registerOfSlot(t, slotStart);
  // each block set's counter: what it counted since the tariff took effect or the counters were last reset (1.7)
  const since = Math.max(Date.parse(t.activatedAt), Date.parse(tariff?.blockCountersResetAt ?? '') || 0, fuel.epoch.getTime());
  const counted = usedPerRegister(fuel.meter, fuel.q, registerOf, since, from.getTime());
  const price: RegisterPrices = {
    registerOf,
    perRegister: [
      ...Array.from({ length: TOU_REGISTERS }, (_, i) => (t.touPrices ? money(t.touPrices[i] ?? 0, t.priceScale) : fuel.defaultPrice)),
      ...Array.from({ length: BLOCK_SETS }, (_, k): BlockPrices => ({
        counter: counted[TOU_REGISTERS + k]!,
        thresholds: thresholdsOf(ctx, fuel, t.blockThresholds?.[k] ?? []),
        prices: (t.blockPrices?.[k] ?? [0]).map((v) => money(v, t.priceScale)),
      })),
    ],
  };
  return { from, balance, price, standingChargePerDay: standing };
}

/** Brings a prepayment meter's balance to `ctx.now` (see the header). */
export function settleCredit(ctx: CommandContext): void {
  if (ctx.device.type !== 'ESME' && ctx.device.type !== 'GSME') return;
  const p = ctx.app.prepayment as CreditSection | undefined;
  // A credit-mode meter's balance stands still (and nothing is written: a refused command changes nothing).
  if (!p || p.paymentMode !== 'prepayment') return;
  const now = ctx.now;
  const asOf = p.creditAsOf ? new Date(p.creditAsOf) : undefined;
  if (!asOf) {
    // the first command since the switch to prepayment: the balance drains from here
    p.creditAsOf = now.toISOString();
    return;
  }
  if (now <= asOf) return;
  const cfg = prepaymentConfigIfAny(ctx.app);
  const ec = cfg?.emergencyCredit;
  const ecLimit = ec?.active ? ec.limit : 0;
  const floor = (p.disablementThreshold ?? 0) - ecLimit;
  const fuel = fuelOf(ctx);
  const terms = termsOf(ctx, fuel, asOf, p.balance);
  const supply = ctx.app.supply as SupplySection | undefined;
  raiseCreditAlerts(ctx, fuel.meter, terms, floor);
  if ((supply?.state ?? 'connected') === 'connected') {
    const at = balanceCrossing(fuel.meter, terms, floor, now);
    if (at) {
      changeSupply(ctx.app, 'disconnected', at);
      p.disabledForCredit = true;
    }
  }
  // after any disconnection: the model counts nothing while the switch is open
  const midnights: Date[] = [];
  for (let t = (Math.floor(asOf.getTime() / DAY) + 1) * DAY; t <= now.getTime(); t += DAY) midnights.push(new Date(t));
  const balances = balancesAt(fuelOf(ctx).meter, terms, [...midnights, now]).map((b) => Math.round(b));
  const drainedTo = (balance: number) => ({ balance, emergencyCredit: ec?.active ? Math.max(0, ec.limit + Math.min(0, balance)) : p.emergencyCredit });
  // each midnight passed with the money it had then, as the meter's prepayment daily read log captures it
  let until = creditFigures(ctx.app);
  midnights.forEach((m, i) => {
    const figures = { ...until, ...drainedTo(balances[i]!) };
    recordCredit(ctx.app, m, until, figures);
    until = figures;
  });
  Object.assign(p, drainedTo(balances.at(-1)!));
  p.creditAsOf = now.toISOString();
}

onEveryCommand(settleCredit);
