import { dashedEui, type Eui } from '../../../pki/index.ts';
import { ComplianceStore } from '../../../db/index.ts';
import { WINDOW_DAYS } from '../../compliance/index.ts';
import { DCC } from '../../world/index.ts';
import type { StepContext } from '../runner.ts';

// What the training scenarios share: finding a device in the world that fits the story, the SMI
// commissioning, and the checks of a device's post-commissioning state.

export const ACB = DCC.accessControlBroker;
export const DAY_MS = 86_400_000;

export interface PickedDevice {
  eui: Eui;
  mpxn: string;
  status: string;
  commissionedAt: string | null;
  networkOperator: Eui;
  supplier: Eui;
}

export function store(ctx: StepContext): ComplianceStore {
  return new ComplianceStore(ctx.world.store.db);
}

export function pick(ctx: StepContext, q: Parameters<ComplianceStore['findDevicesByCells']>[0]): PickedDevice | undefined {
  const d = store(ctx).findDevicesByCells({ limit: 1, ...q })[0];
  if (!d || !d.mpxn || !d.networkOperatorEui || !d.supplierEui) return undefined;
  return { eui: d.eui, mpxn: d.mpxn, status: d.status, commissionedAt: d.commissionedAt, networkOperator: d.networkOperatorEui, supplier: d.supplierEui };
}

/** The first UTC date still inside the 7-day window at the simulated time. */
export async function windowStartDate(ctx: StepContext): Promise<string> {
  const now = await ctx.now();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - WINDOW_DAYS)).toISOString().slice(0, 10);
}

/** SRV 8.1.1 Commission Device as the Smart Metering Inventory records it (8.1.1 itself is not emulated). */
export async function commission(ctx: StepContext, eui: Eui): Promise<Date> {
  const at = await ctx.now();
  store(ctx).markCommissioned(eui, at.toISOString());
  ctx.say(`the Smart Metering Inventory records ${dashedEui(eui)} as Commissioned at ${at.toISOString()} (the effect of SRV 8.1.1)`);
  return at;
}

/** Checks and narrates a device's post-commissioning state. */
export async function expectCompliance(ctx: StepContext, eui: Eui, state: 'compliant' | 'pending' | 'non-compliant', reason?: string | null): Promise<void> {
  const c = await ctx.compliance(eui);
  if (!c) {
    ctx.check(false, `${dashedEui(eui)} is in the post-commissioning report`);
    return;
  }
  ctx.say(
    `post-commissioning report: ${dashedEui(eui)} is ${c.state}${c.reason ? ` (${c.reason}: ${c.reasonText})` : ''}, ` +
      `day ${c.daysSinceCommissioning} since commissioning, due by ${c.dueBy}; its network operator cells hold ${c.dsHolderName ?? c.dsHolderEui ?? 'nothing'}`,
  );
  ctx.check(c.state === state, `the report classifies ${dashedEui(eui)} as ${state}${reason !== undefined ? ` (${reason ?? 'no reason'})` : ''}`);
  if (reason !== undefined) ctx.check(c.reason === reason, `the reason given is ${reason ?? 'none'} (got ${c.reason ?? 'none'})`);
}

export function expectHolder(ctx: StepContext, eui: Eui, cells: ('networkOperatorDS' | 'networkOperatorKA' | 'supplierDS' | 'supplierKA')[], holder: Eui): void {
  for (const cell of cells) {
    const h = ctx.holder(eui, cell);
    ctx.check(h === holder, `${dashedEui(eui)}'s ${cell} cell holds ${ctx.name(holder)}'s certificate${h === holder ? '' : ` (it holds ${ctx.name(h)}'s)`}`);
  }
}
