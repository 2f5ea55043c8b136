import { createHash } from 'node:crypto';
import { dashedEui, DCC_EUI, type Eui } from '../../../pki/index.ts';
import { ComplianceStore, GatewayStore } from '../../../db/index.ts';
import { parseDuisResponse, type ServiceBody } from '../../../service-requests/index.ts';
import { WINDOW_DAYS } from '../../compliance/index.ts';
import { DCC } from '../../world/index.ts';
import type { StepContext } from '../runner.ts';

// What the training scenarios share: finding a device in the world that fits the story, commissioning
// it over DUIS (8.1.1), and the checks of a device's post-commissioning state.

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

/**
 * SRV 8.1.1 Commission Device, sent by the device's registered supplier (critical: both legs). The meter checks
 * the supplier's signature against its supplier cell, so the supplier takes its cells over (6.21) first. The DCC
 * records the meter Commissioned when it answers that it took the time; that time starts the 7-day clock.
 */
export async function commission(ctx: StepContext, supplier: Eui, eui: Eui): Promise<Date | undefined> {
  const sent = await ctx.now();
  const r = ctx.record(await ctx.driver.send({
    sender: supplier,
    target: eui,
    commandVariant: 4,
    body: { kind: 'CommissionDeviceSynchroniseClock', currentDateTime: sent, tolerancePeriod: 300 },
  }));
  const answered = await ctx.now();
  ctx.check(r.finalResponseCode === 'I0', `the meter takes the time: 8.1.1 carried out (I0; got ${r.finalResponseCode}${r.finalReason ? `: ${r.finalReason}` : ''})`);
  const d = ctx.world.store.getDevice(eui);
  ctx.check(d?.status === 'Commissioned', `the Smart Metering Inventory records ${dashedEui(eui)} Commissioned (it is ${d?.status ?? 'missing'})`);
  if (d?.commissionedAt) ctx.say(`the Smart Metering Inventory records ${dashedEui(eui)} as Commissioned at ${d.commissionedAt}`);
  const at = d?.commissionedAt ? Date.parse(d.commissionedAt) : NaN;
  ctx.check(at >= sent.getTime() && at <= answered.getTime(), 'its date of commissioning is the moment of this 8.1.1');
  return d?.commissionedAt ? new Date(d.commissionedAt) : undefined;
}

/** 8.2 Read Inventory of one device, as the DCC answers the sender: its status and date of commissioning. */
export async function readInventory(ctx: StepContext, sender: Eui, eui: Eui): Promise<{ status: string | null; dateCommissioned: string | null }> {
  const r = ctx.record(await ctx.driver.send({ sender, target: DCC_EUI, commandVariant: 8, body: { kind: 'ReadInventory', by: { deviceId: eui } } }));
  ctx.check(r.finalResponseCode === 'I0', `the DCC answers 8.2 Read Inventory (I0; got ${r.finalResponseCode})`);
  // the DCC's answer is in its request log with the request
  const xml = new GatewayStore(ctx.world.store.db).listRequests({ requestId: r.requestId, limit: 1 })[0]?.responseXml;
  const body = xml ? parseDuisResponse(xml).body : undefined;
  const content = body?.kind === 'ResponseMessage' ? body.content : undefined;
  const d = content && 'dspInventory' in content ? content.dspInventory.find((x) => x.deviceId === eui) : undefined;
  const out = { status: d?.deviceStatus ?? null, dateCommissioned: d?.dateCommissioned ?? null };
  ctx.say(`the DCC's inventory answer: ${dashedEui(eui)} ${out.status ?? '(not listed)'}${out.dateCommissioned ? `, commissioned ${out.dateCommissioned}` : ''}`);
  return out;
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

/** New EUIs for devices a scenario pre-notifies: derived from the time it runs, none already in the inventory. */
export function newDeviceEuis(ctx: StepContext, n: number, salt: string): Eui[] {
  const out: Eui[] = [];
  for (let i = 0; out.length < n; i++) {
    const eui = `00DB${createHash('sha256').update(`${salt}/${Date.now()}/${i}`).digest('hex').slice(0, 12)}`.toUpperCase();
    if (!ctx.world.store.getDevice(eui) && !out.includes(eui)) out.push(eui);
  }
  return out;
}

/** Sends one signed DUIS request (both legs if critical) and checks its final outcome. */
export async function sendExpecting(ctx: StepContext, sender: Eui, target: Eui, commandVariant: number, body: ServiceBody, expect: string) {
  const r = ctx.record(await ctx.driver.send({ sender, target, commandVariant, body }));
  ctx.check(r.finalResponseCode === expect, `${r.description} to ${dashedEui(target)}: ${expect} (got ${r.finalResponseCode}${r.finalReason ? `: ${r.finalReason}` : ''})`);
  return r;
}

export function expectStatus(ctx: StepContext, eui: Eui, what: string, want: string): void {
  const s = ctx.world.store.getDevice(eui)?.status;
  ctx.check(s === want, `the inventory has the ${what} ${dashedEui(eui)} ${want} (it is ${s ?? 'missing'})`);
}
