/**
 * The alerts a prepayment meter sends its supplier as its credit drains (issue 17), raised at the instants
 * credit.ts finds the balance crossing each threshold, as GBCS generic non-critical alerts (message code 0x1001,
 * MAC'd to the supplier's KA key) in the meter's own form (catalogue.md §2.7): an ESME's a DLMS data-notification
 * {alert code, date-time}, a GSME's a GBZ alert header with no components (as RTDS NA_GNCA-ZigBee's 0x810E),
 * which the DCC hears through the GPF. The codes are GBCS's for both fuels (its alert table names no fuel):
 *
 * - 0x810D combined credit below the low credit threshold (the one in force: 2.1's, else the factory's its 4.13 reports);
 * - 0x8119 emergency credit has become available (the balance reaches the emergency credit threshold, none in use);
 * - 0x81AA emergency credit exhausted (in use, and used up);
 * - 0x8F0F credit below the disablement threshold: the meter opens its load switch or closes its valve;
 * - 0x81AB emergency credit activated (2.5, or from the PPMID): `emergencyCreditActivatedAlert`.
 *
 * The 0x81xx alerts are the supplier's to switch off (6.22: the ESME's WAN alert bits, the GSME's event
 * configuration): a disabled one is not sent (alert-behaviour.ts). 0x8F0F is not configurable. Codes and names: GBCS alert code table as gbcs-parser
 * names them; non-critical framing: not among RTDS's signed alert codes.
 */
import type { PrepaymentTerms } from '../meter/index.ts';
import { balanceCrossing, type MeterModel } from '../meter/index.ts';
import { dlms, encodeDataNotification, invokeIdFor } from '../gbcs/dlms.ts';
import { encodeDlmsDateTime } from '../gbcs/dlms-time.ts';
import { encodeGbzAlert, zigbeeTime } from '../gbcs/gbz.ts';
import type { CommandContext, RaisedAlert } from './app-use-case.ts';
import { factsOf } from './certificate-cache.ts';
import { alertEnabled } from './families/alert-behaviour.ts';
import { emergencyCreditOf, thresholdsOf } from './families/prepayment.ts';
import type { SupplySection } from './families/supply.ts';
import { GENERIC_NON_CRITICAL_ALERT } from './alerts-on-demand.ts';

export const CreditAlert = {
  lowCredit: 0x810d,
  emergencyCreditAvailable: 0x8119,
  emergencyCreditExhausted: 0x81aa,
  belowDisablementThreshold: 0x8f0f,
  emergencyCreditActivated: 0x81ab,
} as const;

const SUPPLIER_ROLE = 2;

/**
 * Raises, through `ctx.raise`, the alerts of the thresholds the balance crosses between `terms.from` and
 * `ctx.now` (before the meter opens its switch at `floor`, the disablement threshold less any emergency credit
 * in use). `meter` is the model as it stood before this catch-up.
 */
export function raiseCreditAlerts(ctx: CommandContext, meter: MeterModel, terms: PrepaymentTerms, floor: number): void {
  const supplierKa = ctx.device.cells.supplierKA;
  const supplier = supplierKa ? factsOf(supplierKa)?.subjectEui : undefined;
  if (!supplier) return;
  const ec = emergencyCreditOf(ctx.app, ctx.device.type);
  const ecInUse = ec.active ? ec.limit : 0;
  const connected = ((ctx.app.supply as SupplySection | undefined)?.state ?? 'connected') === 'connected';
  const disconnectAt = connected ? balanceCrossing(meter, terms, floor, ctx.now) : undefined;
  const until = disconnectAt ?? ctx.now;
  const found: { code: number; at: Date }[] = [];
  /** The instant the balance falls to `threshold`, if it was above it at the start. */
  const crossing = (code: number, threshold: number) => {
    if (terms.balance <= threshold) return;
    const at = balanceCrossing(meter, terms, threshold, until);
    if (at) found.push({ code, at });
  };
  // "combined credit": the balance plus the emergency credit in use; the threshold in force (2.1's, else the factory's)
  crossing(CreditAlert.lowCredit, thresholdsOf(ctx.app, ctx.device.type).lowCredit - ecInUse);
  if (!ec.active) crossing(CreditAlert.emergencyCreditAvailable, ec.threshold);
  if (disconnectAt) {
    if (ec.active) found.push({ code: CreditAlert.emergencyCreditExhausted, at: disconnectAt });
    found.push({ code: CreditAlert.belowDisablementThreshold, at: disconnectAt });
  }
  found.sort((a, b) => a.at.getTime() - b.at.getTime());
  let n = 0;
  for (const { code, at } of found) {
    const alert = supplierAlert(ctx, code, at, n + 1);
    if (!alert) continue;
    n += 1;
    ctx.raise(alert);
  }
}

/**
 * Alert `code` at `at` to the supplier, framed as the meter frames its generic alerts, or undefined when the
 * supplier turned it off (6.22) or the meter names no supplier. `nth`: its place among the alerts this catch-up
 * or command raises (a DLMS alert's invoke id follows the device's alert counter).
 */
function supplierAlert(ctx: Pick<CommandContext, 'app' | 'device'>, code: number, at: Date, nth: number): RaisedAlert | undefined {
  const supplierKa = ctx.device.cells.supplierKA;
  const to = supplierKa ? factsOf(supplierKa)?.subjectEui : undefined;
  if (!to || !alertEnabled(ctx, code)) return undefined;
  const payload = ctx.device.type === 'GSME'
    ? encodeGbzAlert({ componentCount: 0, alertCode: code, time: zigbeeTime(at), rest: Buffer.alloc(0) })
    : encodeDataNotification({
      invokeId: invokeIdFor(ctx.device.alertCounter + BigInt(nth)),
      body: dlms.structure(dlms.longUnsigned(code), dlms.octets(encodeDlmsDateTime(at))),
    });
  return { messageCode: GENERIC_NON_CRITICAL_ALERT, critical: false, to, toRole: SUPPLIER_ROLE, payload };
}

/**
 * 0x81AB as the meter activates emergency credit (prepayment.ts), raised through the command's context. Its
 * invoke id assumes it is the command's first alert (a catch-up alert in the same command shares the number).
 */
export function raiseEmergencyCreditActivated(ctx: CommandContext): void {
  const alert = supplierAlert(ctx, CreditAlert.emergencyCreditActivated, ctx.now, 1);
  if (alert) ctx.raise(alert);
}
