/**
 * An ESME's prepayment credit between commands: in prepayment mode the meter balance drains by what the meter
 * model consumed at the tariff's price and by the standing charge (devices/meter/prepayment.ts), into emergency
 * credit once that is in use; when the credit available (balance, plus the emergency credit limit while it is in
 * use) reaches the disablement threshold the meter opens its load switch at that instant, and nothing accrues
 * after it (the supply section's off interval). A top-up that leaves credit arms the switch again
 * (prepayment.ts); the supplier's 7.1 or the customer closes it.
 *
 * The device has no clock of its own in the emulator: what happened since its last command is caught up when the
 * next command reaches it (app-use-case.ts `onEveryCommand`), at the instants it happened. Every section read
 * (4.18, the prepay values, 7.4) then reflects it.
 *
 * Prices: the active primary tariff's first TOU price and its standing charge, in the device's currency unit
 * (a thousandth of a penny) after the tariff's price scale; a meter never given a tariff charges 30p/kWh and
 * 50p a day. The balance drains from the first command after the switch to prepayment (1.6). [Not yet: TOU and block prices per register, time-based debt recovery, the non-disablement calendar,
 * the low-credit and supply-disabled alerts.]
 */
import { balanceAt, balanceCrossing, type PrepaymentTerms } from '../meter/index.ts';
import { dlms, obis } from '../gbcs/dlms.ts';
import { onEveryCommand, type CommandContext } from './app-use-case.ts';
import type { DeviceAppState } from './app-state.ts';
import { storeAttribute } from './cosem.ts';
import { raiseCreditAlerts } from './credit-alerts.ts';
import { meterOf } from './families/esme-reads.ts';
import { CURRENCY_UNITS_PER_PENNY, type PrepaymentConfigSection } from './families/prepayment.ts';
import { changeSupply, type SupplySection } from './families/supply.ts';
import { activeTariffOf, type PrepaymentSection } from './families/tariffs.ts';

/** The prepayment section with the instant its balance is known at. */
export type CreditSection = PrepaymentSection & {
  /** ISO: the balance is as of this instant */
  creditAsOf?: string;
  /** the meter opened its switch for lack of credit (and a top-up arms it) */
  disabledForCredit?: boolean;
};

export const DEFAULT_PRICE_PER_KWH = 30 * CURRENCY_UNITS_PER_PENNY;
export const DEFAULT_STANDING_CHARGE_PER_DAY = 50 * CURRENCY_UNITS_PER_PENNY;

function termsOf(app: DeviceAppState, from: Date, balance: number): PrepaymentTerms {
  const t = activeTariffOf(app)?.primary;
  const scaled = (v: number, scale: number | undefined) => v * 10 ** (scale ?? 0);
  const price = t?.touPrices?.[0] !== undefined ? scaled(t.touPrices[0], t.priceScale) : DEFAULT_PRICE_PER_KWH;
  const standing = t?.standingCharge ? scaled(t.standingCharge.value, t.standingCharge.scale) : DEFAULT_STANDING_CHARGE_PER_DAY;
  return { from, balance, price: Math.max(0, price), standingChargePerDay: Math.max(0, standing) };
}

const BALANCES = { balance: obis('0-0:19.10.0.255'), emergencyCredit: obis('0-0:19.10.1.255'), accumulatedDebt: obis('0-0:19.10.2.255') } as const;

/** Brings an ESME's balance to `ctx.now` (see the header). */
export function settleCredit(ctx: CommandContext): void {
  if (ctx.device.type !== 'ESME') return;
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
  const cfg = ctx.app.prepaymentConfig as PrepaymentConfigSection | undefined;
  const ec = cfg?.emergencyCredit;
  const ecLimit = ec?.active ? ec.limit : 0;
  const floor = (p.disablementThreshold ?? 0) - ecLimit;
  const terms = termsOf(ctx.app, asOf, p.balance);
  const supply = ctx.app.supply as SupplySection | undefined;
  raiseCreditAlerts(ctx, meterOf(ctx), terms, floor);
  if ((supply?.state ?? 'connected') === 'connected') {
    const at = balanceCrossing(meterOf(ctx), terms, floor, now);
    if (at) {
      changeSupply(ctx.app, 'disconnected', at);
      p.disabledForCredit = true;
    }
  }
  // after any disconnection: the model counts nothing while the switch is open
  p.balance = Math.round(balanceAt(meterOf(ctx), terms, now));
  if (ec?.active) p.emergencyCredit = Math.max(0, ec.limit + Math.min(0, p.balance));
  p.creditAsOf = now.toISOString();
  for (const [k, o] of Object.entries(BALANCES) as [keyof typeof BALANCES, string][]) storeAttribute(ctx.app, 112, o, 2, dlms.dl(p[k]));
}

onEveryCommand(settleCredit);
