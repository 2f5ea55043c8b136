import { X509Certificate } from 'node:crypto';
import { dashedEui, type Eui } from '../../../pki/index.ts';
import { decodeGbcsMessage, emergencyCreditOf, makeUtrn, thresholdsOf, type DlmsData } from '../../../devices/index.ts';
import { GatewayStore } from '../../../db/index.ts';
import { SERVICES, parseDuisResponse, type ServiceBody } from '../../../service-requests/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { DAY_MS } from './common.ts';

// A prepayment customer's week, over DUIS alone: the supplier moves the meter to prepayment (1.6) with an
// opening top-up (2.2, a UTRN the supplier made with its top-up key for this meter); the credit drains with
// what the household uses and the standing charge as the simulated clock moves on (read with 4.18); the
// customer takes emergency credit (2.5); when that is gone the meter opens its switch and alerts the supplier
// (0x81AA, 0x8F0F; confirmed with 7.4); a top-up
// arms it again and the supplier reconnects the supply (7.1). The meter's balance and switch are the emulated
// ESME's own (devices/emulator/credit.ts); its emergency credit and thresholds are the factory's (2.1 never set
// them), and the amounts and narration follow from them. Runs again in the same world: each run tops the meter up afresh.

interface Customer {
  esme: Eui;
  mpan: string;
  supplier: Eui;
}

/** Money on the meter: its currency unit is a thousandth of a penny. */
const UNITS_PER_POUND = 100_000;
const pounds = (units: number) => `£${(units / UNITS_PER_POUND).toFixed(2)}`;
/** A setting in the narration, in pounds as it is set (£25, £1). */
const setting = (units: number) => `£${units / UNITS_PER_POUND}`;

type AppState = Parameters<typeof emergencyCreditOf>[0];
/**
 * The prepayment settings of an ESME 2.1 never configured, its fuel's factory ones (devices/emulator/families/
 * prepayment.ts): the emergency credit 2.5 gives once the balance is at most its threshold, the low credit level,
 * the most a top-up and the balance may be. The story's meter holds them, and the narration states them.
 */
const EMERGENCY_CREDIT = emergencyCreditOf({}, 'ESME');
const THRESHOLDS = thresholdsOf({}, 'ESME');
/** The opening top-up, in pounds: above the low credit threshold, so the credit drains past it. */
const OPENING_TOP_UP = 10;
/** The top-up that reconnects, in pounds: pays back the emergency credit used and leaves the opening top-up's worth. */
const RECONNECTING_TOP_UP = EMERGENCY_CREDIT.limit / UNITS_PER_POUND + OPENING_TOP_UP;
const MAX_DAYS = 60;

/** Whether the meter holds the factory settings the story tells of (2.1 never set others). */
function hasFactorySettings(app: AppState): boolean {
  const ec = emergencyCreditOf(app, 'ESME');
  const t = thresholdsOf(app, 'ESME');
  return ec.limit === EMERGENCY_CREDIT.limit && ec.threshold === EMERGENCY_CREDIT.threshold && t.lowCredit === THRESHOLDS.lowCredit &&
    t.maxCredit === THRESHOLDS.maxCredit && t.maxMeterBalance === THRESHOLDS.maxMeterBalance;
}

const appStateOf = (ctx: StepContext, eui: Eui): AppState => JSON.parse(ctx.world.store.getDeviceAppState(eui) ?? '{}') as AppState;

/** One request; critical services go as CV 4 with their signed second leg. */
async function send(ctx: StepContext, c: Customer, body: ServiceBody, quiet = false, expect = 'I0') {
  // critical services (the registry's module says) go as CV 4 and their signed leg
  const module = SERVICES.find((m) => m.body.element === body.kind)!;
  const r = ctx.record(await ctx.driver.send({ sender: c.supplier, target: c.esme, commandVariant: module.critical ? 4 : 1, body }), quiet);
  ctx.check(r.finalResponseCode === expect, `${r.service} ${r.description.replace(/^\S+ /, '')}: ${expect} (got ${r.finalResponseCode}${r.finalReason ? `: ${r.finalReason}` : ''})`);
  return r;
}

/** The DLMS values of the device's answer to a request, from the response the DCC queued for the supplier. */
function deviceData(ctx: StepContext, requestId: string): DlmsData[] {
  const r = new GatewayStore(ctx.world.store.db).responsesFor(requestId).find((x) => x.kind === 'response' && x.responseCode === 'I0');
  if (!r) return [];
  const body = parseDuisResponse(r.body).body;
  const c = body.kind === 'ResponseMessage' ? body.content : undefined;
  const payload = c && 'gbcsPayload' in c ? c.gbcsPayload : undefined;
  if (!payload) return [];
  const m = decodeGbcsMessage(payload);
  return m.body.kind === 'dlms-response' ? m.body.response.data : [];
}

/** 4.18 Read Meter Balance, as the meter answers it. */
async function balance(ctx: StepContext, c: Customer, quiet = false): Promise<number> {
  const r = await send(ctx, c, { kind: 'ReadMeterBalance' }, quiet);
  const d = deviceData(ctx, r.requestId)[0];
  if (d?.type !== 'double-long') return ctx.fail(`the meter answered 4.18 without a balance (${d?.type ?? 'nothing'})`);
  return d.value;
}

/** 7.4 Read Supply Status: the load switch's control state (0 disconnected, 1 connected, 2 armed). */
async function supply(ctx: StepContext, c: Customer, quiet = false): Promise<'disconnected' | 'connected' | 'armed'> {
  const r = await send(ctx, c, { kind: 'ReadSupplyStatus' }, quiet);
  const state = deviceData(ctx, r.requestId).find((d) => d.type === 'enum');
  const v = state?.type === 'enum' ? state.value : -1;
  return v === 0 ? 'disconnected' : v === 1 ? 'connected' : v === 2 ? 'armed' : ctx.fail(`the meter answered 7.4 without a control state`);
}

/** A UTRN for `value` pounds, made as the supplier's systems make it: its top-up key and the meter's KA certificate. */
function utrn(ctx: StepContext, c: Customer, value: number): string {
  const security = ctx.world.store.getDeviceSecurity(c.esme);
  const cell = security?.cells.supplierTopUpKA;
  const key = cell === undefined ? undefined : ctx.world.privateKeyOf(cell);
  if (!security || !key) return ctx.fail(`no top-up key of ${ctx.name(c.supplier)} for ${dashedEui(c.esme)}`);
  const ka = new X509Certificate(ctx.world.deviceCertificates(c.esme).kaCertificate.der).publicKey;
  // the next top-up counter above the last the meter took
  const counter = ((security.topUpSeqNumber >> 32n) + 1n) << 32n;
  return makeUtrn(key, ka, { supplier: c.supplier, device: c.esme, counter, value, valueClass: 'pounds' });
}

async function topUp(ctx: StepContext, c: Customer, value: number): Promise<void> {
  const before = await balance(ctx, c);
  await send(ctx, c, { kind: 'TopUpDevice', utrn: utrn(ctx, c, value) });
  const after = await balance(ctx, c);
  ctx.say(`£${value} top-up: the balance goes from ${pounds(before)} to ${pounds(after)}`);
  // The simulated clock follows real time, so the meter goes on using credit in the moments between the two
  // reads: the difference is the top-up less that, which is a fraction of a penny, never a whole penny.
  const credited = after - before;
  ctx.check(credited <= value * 100_000 && credited > value * 100_000 - 1_000, `the meter credits £${value}, less what it used between the reads (got ${pounds(credited)})`);
}

const HOUR_MS = DAY_MS / 24;

/** From now: whether the meter has since sent its supplier alert `code` (a DUIS DeviceAlertMessage in the supplier's mailbox). */
function alertsFromNow(ctx: StepContext, c: Customer): (code: string) => boolean {
  const mailbox = new GatewayStore(ctx.world.store.db);
  const since = mailbox.inbox(c.supplier, { limit: 1 }).entries[0]?.id ?? 0;
  return (code) => mailbox.inbox(c.supplier, { kind: 'device-alert', responseCode: code, limit: 20 }).entries.some((e) => {
    const body = e.id > since ? parseDuisResponse(e.body).body : undefined;
    return body?.kind === 'DeviceAlertMessage' && decodeGbcsMessage(body.gbcsPayload).apdu.originator === c.esme;
  });
}

/** Moves the clock an hour at a time until `done` says so (at most MAX_DAYS); how long it took, in words. */
async function hoursUntil(ctx: StepContext, done: () => Promise<boolean>): Promise<string> {
  for (let hour = 1; hour <= MAX_DAYS * 24; hour++) {
    await ctx.clock.advance(HOUR_MS);
    if (await done()) return `${Math.floor(hour / 24)} day(s) ${hour % 24} hour(s)`;
  }
  return ctx.fail(`still not so after ${MAX_DAYS} days`);
}

export const prepayment: ScenarioDefinition = {
  name: 'prepayment',
  title: 'Prepayment: top up, run low, emergency credit, disconnected at zero, top up and reconnect',
  summary:
    `A customer on prepayment tops up £${OPENING_TOP_UP} with a UTRN; the credit drains with consumption and the standing charge as the days pass; ` +
    `at ${setting(EMERGENCY_CREDIT.threshold)} or less the customer takes the meter's ${setting(EMERGENCY_CREDIT.limit)} of emergency credit; ` +
    `when that is used the meter disables the supply; a £${RECONNECTING_TOP_UP} top-up arms it and the supplier reconnects it.`,
  sources: [
    'DUIS 1.6 Update Payment Mode (ECS02)', 'DUIS 2.2 Top Up Device (CS01a), GBCS UTRN', 'DUIS 2.5 Activate Emergency Credit (ECS09)',
    'DUIS 4.18 Read Meter Balance (ECS82)', 'DUIS 7.4 Read Supply Status (ECS45)', 'DUIS 7.1 Enable Supply (ECS42)',
  ],
  steps: [
    {
      id: 'customer',
      title: 'A customer moves to prepayment with an opening top-up',
      narration:
        `The supplier sends the customer's first UTRN, for £${OPENING_TOP_UP} (2.2), and switches the ESME to prepayment (1.6). A UTRN is made for one meter with the ` +
        "supplier's top-up key; the meter checks it against its supplier top-up cell and takes each counter once. The meter has its factory " +
        `prepayment settings (2.1 never set others): a top-up may be at most ${setting(THRESHOLDS.maxCredit)} and the balance at most ` +
        `${setting(THRESHOLDS.maxMeterBalance)}, low credit is alerted at ${setting(THRESHOLDS.lowCredit)}, and ${setting(EMERGENCY_CREDIT.limit)} ` +
        `of emergency credit is offered at ${setting(EMERGENCY_CREDIT.threshold)} or less.`,
      async run(ctx) {
        const w = ctx.world;
        for (const d of w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 500 }).devices) {
          const sp = d.mpxn ? w.store.getSupplyPoint(d.mpxn) : undefined;
          const cell = w.store.getDeviceSecurity(d.eui)?.cells.supplierTopUpKA;
          if (!sp?.supplierEui || ctx.holder(d.eui, 'supplierDS') !== sp.supplierEui || cell === undefined || !w.privateKeyOf(cell)) continue;
          if (w.certificate(cell).subjectEui !== sp.supplierEui) continue;
          if (!hasFactorySettings(appStateOf(ctx, d.eui))) continue;
          const c: Customer = { esme: d.eui, mpan: sp.mpxn, supplier: sp.supplierEui };
          ctx.vars.customer = c;
          ctx.say(`ESME ${dashedEui(c.esme)} at MPAN ${c.mpan}, supplied by ${ctx.name(c.supplier)}`);
          if ((await supply(ctx, c)) !== 'connected') await send(ctx, c, { kind: 'EnableSupply' });
          await topUp(ctx, c, OPENING_TOP_UP);
          await send(ctx, c, { kind: 'UpdatePaymentMode', mode: { kind: 'prepayment', suspendDebtDisabled: false, suspendDebtEmergency: false, disablementThreshold: 0 } });
          ctx.check((await supply(ctx, c)) === 'connected', 'the supply is on');
          return;
        }
        ctx.fail('this world has no commissioned ESME whose supplier cells and top-up cell hold its registered supplier and whose prepayment settings are the factory\'s');
      },
    },
    {
      id: 'runs-low',
      title: 'The credit drains as the days pass',
      narration:
        'Each day the household uses electricity at the price of the meter\'s tariff and pays the standing charge out of the balance. ' +
        `The supplier reads the balance (4.18) every hour until it is ${setting(EMERGENCY_CREDIT.threshold)} or less. On the way the meter alerts the ` +
        `supplier that credit is low (0x810D, at ${setting(THRESHOLDS.lowCredit)}) and that emergency credit is available (0x8119, at ` +
        `${setting(EMERGENCY_CREDIT.threshold)}).`,
      async run(ctx) {
        const c = ctx.get<Customer>('customer');
        const alerted = alertsFromNow(ctx, c);
        const start = await balance(ctx, c);
        let last = start;
        let fell = true;
        const days = await hoursUntil(ctx, async () => {
          const b = await balance(ctx, c, true);
          fell &&= b < last;
          last = b;
          return b <= EMERGENCY_CREDIT.threshold;
        });
        ctx.say(`after ${days} the balance is ${pounds(last)} (from ${pounds(start)})`);
        ctx.check(fell, 'the balance fell every hour');
        ctx.check(last <= EMERGENCY_CREDIT.threshold && last > 0, `the balance is ${setting(EMERGENCY_CREDIT.threshold)} or less, and the supply still on (${pounds(last)})`);
        ctx.check(alerted('810D'), `the meter alerted low credit (810D) at ${setting(THRESHOLDS.lowCredit)}`);
        ctx.check(alerted('8119'), `and that emergency credit is available (8119) at ${setting(EMERGENCY_CREDIT.threshold)}`);
        ctx.check((await supply(ctx, c)) === 'connected', 'the supply is still on');
      },
    },
    {
      id: 'emergency-credit',
      title: 'The customer takes emergency credit (2.5)',
      narration:
        `At ${setting(EMERGENCY_CREDIT.threshold)} or less (its emergency credit threshold) the meter offers ${setting(EMERGENCY_CREDIT.limit)} of ` +
        'emergency credit; Activate Emergency Credit (ECS09) takes it.',
      async run(ctx) {
        const c = ctx.get<Customer>('customer');
        await send(ctx, c, { kind: 'ActivateEmergencyCredit' });
        const ec = (appStateOf(ctx, c.esme) as { prepayment?: { emergencyCredit?: number } }).prepayment?.emergencyCredit ?? 0;
        ctx.say(`the meter holds ${pounds(ec)} of emergency credit`);
        ctx.check(ec === EMERGENCY_CREDIT.limit, `the ${setting(EMERGENCY_CREDIT.limit)} of emergency credit is in use`);
      },
    },
    {
      id: 'disconnected',
      title: 'At zero the meter disables the supply and alerts the supplier',
      narration:
        `The balance goes below zero into the ${setting(EMERGENCY_CREDIT.limit)} of emergency credit. When that is used too (a balance of ` +
        `-${setting(EMERGENCY_CREDIT.limit)}), the meter opens its load switch and tells the supplier ` +
        'at once: emergency credit exhausted (0x81AA) and credit below the disablement threshold (0x8F0F), DUIS DeviceAlertMessages; ' +
        'the supplier confirms it by reading the supply status (7.4).',
      async run(ctx) {
        const c = ctx.get<Customer>('customer');
        const alerted = alertsFromNow(ctx, c);
        const days = await hoursUntil(ctx, async () => alerted('8F0F'));
        ctx.say(`${days} later the meter alerts ${ctx.name(c.supplier)}: credit below the disablement threshold (8F0F)`);
        ctx.check(alerted('81AA'), 'and that the emergency credit is exhausted (81AA)');
        ctx.check((await supply(ctx, c)) === 'disconnected', 'the supply status (7.4) says disconnected');
        const b = await balance(ctx, c);
        ctx.say(`the supply is off; the balance is ${pounds(b)}`);
        ctx.check(b <= -EMERGENCY_CREDIT.limit, `the ${setting(EMERGENCY_CREDIT.limit)} of emergency credit is spent (balance ${pounds(b)})`);
      },
    },
    {
      id: 'reconnected',
      title: 'A top-up arms the supply and the supplier reconnects it (2.2, 7.1)',
      narration:
        `A £${RECONNECTING_TOP_UP} top-up (within the ${setting(THRESHOLDS.maxCredit)} a top-up may be) pays back the ` +
        `${setting(EMERGENCY_CREDIT.limit)} of emergency credit used and leaves £${OPENING_TOP_UP} of credit, so the meter arms its switch; ` +
        'Enable Supply (ECS42, critical) closes it.',
      async run(ctx) {
        const c = ctx.get<Customer>('customer');
        await topUp(ctx, c, RECONNECTING_TOP_UP);
        const b = await balance(ctx, c);
        ctx.check(b > 0, `the balance is in credit again (${pounds(b)})`);
        ctx.check((await supply(ctx, c)) === 'armed', 'the meter has armed the supply');
        await send(ctx, c, { kind: 'EnableSupply' });
        ctx.check((await supply(ctx, c)) === 'connected', 'the supply is on again');
      },
    },
  ],
};
