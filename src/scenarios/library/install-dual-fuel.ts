import { createHash } from 'node:crypto';
import { dashedEui, type Eui } from '../../../pki/index.ts';
import type { ServiceBody } from '../../../service-requests/index.ts';
import { distributorIdOf, makeMpanCore, makeMprn } from '../../world/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { expectCompliance, pick } from './common.ts';

// A new dual-fuel premises installed and commissioned over DUIS alone: every change to the inventory and to
// the devices is the effect of a real request (12.2, 8.4, 8.14.1, 8.11, 6.21, 8.7.2, 8.1.1) through the
// scenario driver, and the post-commissioning report counts the ESME from its real 8.1.1.

interface Site {
  supplier: Eui;
  gasSupplier: Eui;
  mpan: string;
  mprn: string;
  hub: Eui;
  esme: Eui;
  gsme: Eui;
  gpf: Eui;
}

/** New EUIs for the site's devices: derived from the time the scenario runs, none already in the inventory. */
function newEuis(ctx: StepContext, n: number): Eui[] {
  const out: Eui[] = [];
  for (let i = 0; out.length < n; i++) {
    const eui = `00DB${createHash('sha256').update(`install/${Date.now()}/${i}`).digest('hex').slice(0, 12)}`.toUpperCase();
    if (!ctx.world.store.getDevice(eui) && !out.includes(eui)) out.push(eui);
  }
  return out;
}

async function send(ctx: StepContext, sender: Eui, target: Eui, commandVariant: number, body: ServiceBody, expect: string) {
  const r = ctx.record(await ctx.driver.send({ sender, target, commandVariant, body }));
  ctx.check(r.finalResponseCode === expect, `${r.description} to ${dashedEui(target)}: ${expect} (got ${r.finalResponseCode}${r.finalReason ? `: ${r.finalReason}` : ''})`);
  return r;
}

const status = (ctx: StepContext, eui: Eui) => ctx.world.store.getDevice(eui)?.status;

function expectStatus(ctx: StepContext, eui: Eui, what: string, want: string): void {
  const s = status(ctx, eui);
  ctx.check(s === want, `the inventory has the ${what} ${dashedEui(eui)} ${want} (it is ${s ?? 'missing'})`);
}

const DCC_TARGET: Eui = '90B3D51F30000002';

export const installDualFuel: ScenarioDefinition = {
  name: 'install-dual-fuel',
  title: 'Install a dual-fuel premises and commission its ESME, over DUIS alone',
  summary:
    'A comms hub, an ESME, a GSME and its GPF are pre-notified, given their supply points, installed; the hub takes them into its ' +
    'device log, the GSME joins its GPF, the supplier takes over its meters and commissions the ESME. Each step is a DUIS request, ' +
    'and the post-commissioning report counts the ESME from its 8.1.1.',
  sources: ['DUIS 12.2, 8.4, 8.14.1, 8.11, 6.21, 8.7.2, 8.9, 8.1.1', 'GBCS CCS01 and CS14 (the hub device log), CS03B (join), ECS70 (set the clock)'],
  steps: [
    {
      id: 'registration',
      title: 'Registration data names a new premises',
      narration:
        "The electricity and gas registration services register a new MPAN and MPRN, naming each fuel's supplier and network " +
        'operator. Registration data reaches the DCC from them, not by DUIS.',
      run(ctx) {
        const e = pick(ctx, { type: 'ESME' });
        const gasMprn = ctx.world.store.listDevices({ type: 'GSME', limit: 1 }).devices[0]?.mpxn;
        const gsp = gasMprn ? ctx.world.store.getSupplyPoint(gasMprn) : undefined;
        if (!e || !gsp?.supplierEui) return ctx.fail('this world has no registered ESME and GSME to take the suppliers and network operators from');
        const g = { supplier: gsp.supplierEui as Eui, networkOperator: gsp.networkOperatorEui as Eui };
        const tail = String(Date.now()).slice(-10);
        const mpan = makeMpanCore(distributorIdOf(e.mpxn), tail);
        const mprn = makeMprn(tail.slice(-8));
        for (const [mpxn, fuel, from] of [[mpan, 'E', e], [mprn, 'G', g]] as const) {
          ctx.world.store.insertSupplyPoint({ mpxn, fuel, networkOperatorEui: from.networkOperator, supplierEui: from.supplier, uprn: null, postcode: 'ZZ9 9ZZ', address: '1 New Build Lane' });
        }
        const [hub, esme, gsme, gpf] = newEuis(ctx, 4) as [Eui, Eui, Eui, Eui];
        const site: Site = { supplier: e.supplier, gasSupplier: g.supplier, mpan, mprn, hub, esme, gsme, gpf };
        ctx.vars.site = site;
        ctx.say(`MPAN ${mpan}: ${ctx.name(e.supplier)}; MPRN ${mprn}: ${ctx.name(g.supplier)}. The devices to install: hub ${dashedEui(hub)}, ESME ${dashedEui(esme)}, GSME ${dashedEui(gsme)}, GPF ${dashedEui(gpf)}`);
      },
    },
    {
      id: 'pre-notify',
      title: 'The suppliers pre-notify the devices (12.2) and give them their supply points (8.4)',
      narration:
        'Each device enters the smart metering inventory Pending, holding the factory cells (the Access Control Broker in its supplier ' +
        'cells). Update Inventory names each meter\'s MPxN; the comms hub needs none.',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        const pre = (sender: Eui, eui: Eui, deviceType: 'CHF' | 'ESME' | 'GSME' | 'GPF') => send(ctx, sender, DCC_TARGET, 8, {
          kind: 'DevicePrenotification', deviceId: eui, manufacturer: 'dcc-sim', model: `${deviceType}-NEW`, deviceType, firmwareVersion: '00010001',
        }, 'I0');
        await pre(s.supplier, s.hub, 'CHF');
        await pre(s.supplier, s.esme, 'ESME');
        await pre(s.gasSupplier, s.gpf, 'GPF');
        await pre(s.gasSupplier, s.gsme, 'GSME');
        for (const [sender, eui, value] of [[s.supplier, s.esme, s.mpan], [s.gasSupplier, s.gsme, s.mprn], [s.gasSupplier, s.gpf, s.mprn]] as const) {
          await send(ctx, sender, DCC_TARGET, 8, { kind: 'UpdateInventory', deviceId: eui, update: { kind: 'mpxn', which: 'ImportMPxN', value } }, 'I0');
        }
        for (const eui of [s.hub, s.esme, s.gsme, s.gpf]) expectStatus(ctx, eui, 'device', 'Pending');
      },
    },
    {
      id: 'hub-installed',
      title: 'The installer fits the comms hub (8.14.1)',
      narration: 'The hub reaches the SM WAN: the DCC records it Commissioned and serving the meters at the MPAN.',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        await send(ctx, s.supplier, DCC_TARGET, 8, {
          kind: 'CHFInstallSuccessSMWAN', deviceId: s.hub, installType: 'New CHF Install', reference: {}, mpxn: s.mpan, aerialInstall: false, location: 'Outside Premises',
        }, 'I0');
        expectStatus(ctx, s.hub, 'comms hub', 'Commissioned');
      },
    },
    {
      id: 'device-log',
      title: "The hub takes the meters into its device log (8.11) and reports it (CS14)",
      narration:
        "Update HAN Device Log gives the hub each device's install code. The DCC's Access Control Broker sends it for the supplier " +
        '(CCS01); the hub answers, raises CS14 with its new log, and the DCC records each device Whitelisted under the hub.',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        for (const [sender, eui, code] of [[s.supplier, s.esme, 'E1'], [s.gasSupplier, s.gsme, 'G1'], [s.gasSupplier, s.gpf, 'P1']] as const) {
          const r = await send(ctx, sender, s.hub, 1, {
            kind: 'UpdateHANDeviceLog', deviceId: eui, requestType: 'Add', add: { joinTimePeriod: 600, installCode: createHash('sha256').update(`${eui}/${code}`).digest().subarray(0, 16) },
          }, 'I0');
          ctx.check(r.asyncResponses.some((a) => a.kind === 'device-alert' && a.responseCode === '8F12'), `the hub's CS14 (8F12) reached ${ctx.name(sender)}`);
          expectStatus(ctx, eui, 'device', 'Whitelisted');
        }
        await send(ctx, s.supplier, s.hub, 1, { kind: 'ReadDeviceLog', readSecurityDetails: false }, 'I0');
      },
    },
    {
      id: 'meters-installed',
      title: 'The meters are fitted, and their suppliers take them over (8.4, 6.21)',
      narration:
        'The installer reports each meter installed (InstalledNotCommissioned). Its supplier cells still hold the Access Control ' +
        "Broker's certificates, so the supplier asks the DCC to hand them over (6.21) before it commands the meter itself.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        for (const [sender, eui] of [[s.supplier, s.esme], [s.gasSupplier, s.gsme]] as const) {
          await send(ctx, sender, DCC_TARGET, 8, { kind: 'UpdateInventory', deviceId: eui, update: { kind: 'status', commsHub: false, status: 'InstalledNotCommissioned' } }, 'I0');
          const r = await ctx.handover({ supplier: sender, device: eui, role: 'Supplier', certificatesOf: sender });
          ctx.check(r.finalResponseCode === 'I0', `the meter ${dashedEui(eui)} takes ${ctx.name(sender)}'s certificates (I0; got ${r.finalResponseCode})`);
        }
      },
    },
    {
      id: 'join',
      title: 'The GSME joins its GPF (8.7.2)',
      narration:
        'The DCC checks that the GPF is known and in the device log of the GSME\'s hub; the GSME joins it by method B (CS03B) and ' +
        'lists it when its device log is read (CS07).',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        await send(ctx, s.gasSupplier, s.gsme, 1, { kind: 'JoinServiceNonCritical', otherDeviceId: s.gpf }, 'I0');
        const log = await send(ctx, s.gasSupplier, s.gsme, 1, { kind: 'ReadDeviceLog', readSecurityDetails: false }, 'I0');
        ctx.check(log.succeeded, 'the GSME answers its device log');
      },
    },
    {
      id: 'commission',
      title: 'The supplier commissions the ESME (8.1.1)',
      narration:
        'Commission Device sets the ESME\'s clock (ECS70). The DCC records it Commissioned when the ESME answers that it took the time, ' +
        "and the post-commissioning report starts counting: the network operator's certificates are due within 7 days.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        expectStatus(ctx, s.esme, 'ESME', 'InstalledNotCommissioned');
        ctx.check((await ctx.compliance(s.esme)) === undefined, 'the post-commissioning report does not count the ESME before its 8.1.1');
        await send(ctx, s.supplier, s.esme, 4, { kind: 'CommissionDeviceSynchroniseClock', currentDateTime: await ctx.now(), tolerancePeriod: 300 }, 'I0');
        expectStatus(ctx, s.esme, 'ESME', 'Commissioned');
        await expectCompliance(ctx, s.esme, 'pending', 'acb-in-esme');
        const again = ctx.record(await ctx.driver.send({ sender: s.supplier, target: s.esme, commandVariant: 4, body: { kind: 'CommissionDeviceSynchroniseClock', currentDateTime: await ctx.now(), tolerancePeriod: 300 } }));
        ctx.check(again.responseCode === 'E5', `a second 8.1.1 is refused E5 (got ${again.responseCode})`);
      },
    },
  ],
};
