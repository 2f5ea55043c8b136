import { createHash } from 'node:crypto';
import { dashedEui, type Eui } from '../../../pki/index.ts';
import { hasNetworkOperatorCertificates } from '../../compliance/index.ts';
import { distributorIdOf, makeMpanCore, makeMprn } from '../../world/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { expectCompliance, expectHolder, expectStatus, newDeviceEuis, pick, sendExpecting, ACB } from './common.ts';

// A new dual-fuel premises installed and commissioned over DUIS alone: every change to the inventory and to
// the devices is the effect of a real request (12.2, 8.4, 8.14.1, 8.11, 6.21, 8.7.1, 8.7.2, 8.9, 8.1.1) through the
// scenario driver, and the post-commissioning report counts the ESME from its real 8.1.1 and the GPF from
// the 8.14.1 that commissioned it with its hub.

interface Site {
  supplier: Eui;
  gasSupplier: Eui;
  networkOperator: Eui;
  gasNetworkOperator: Eui;
  mpan: string;
  mprn: string;
  hub: Eui;
  esme: Eui;
  gsme: Eui;
  gpf: Eui;
  ppmid: Eui;
  /** the In-Home Display: a Type 2 device, known to the DCC only by the inventory, the hub's log and the meters' joins */
  ihd: Eui;
}

const send = sendExpecting;

const DCC_TARGET: Eui = '90B3D51F30000002';

export const installDualFuel: ScenarioDefinition = {
  name: 'install-dual-fuel',
  title: 'Install a dual-fuel premises and commission its ESME and GPF, over DUIS alone',
  summary:
    'A comms hub with its GPF, an ESME, a GSME, a PPMID and an IHD are pre-notified and the meters given their supply points; the hub is ' +
    'installed and the DCC commissions it and its GPF; the hub takes the meters, the PPMID and the IHD into its device log, the suppliers ' +
    'take over their devices, the GSME joins its GPF, the ESME is commissioned, the network operators\' certificates are placed, the PPMID ' +
    'joins the ESME and the IHD joins both meters. Each step is a DUIS request, and the post-commissioning report counts the ESME and the GPF compliant.',
  sources: [
    'DUIS 12.2, 8.4, 8.14.1, 8.11, 6.21, 8.7.1, 8.7.2, 8.9, 8.1.1', 'GBCS CCS01 and CS14 (the hub device log), CS03B, CS03C and CS03A2 (joins), CS07 (the meter\'s joined devices), ECS70 (set the clock), CS02b (handover)',
    'SECMP0063 (the registered network operator\'s certificates), MP128B (the ACB may stay in a GPF\'s GNO slot)',
  ],
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
        const [hub, esme, gsme, gpf, ppmid, ihd] = newDeviceEuis(ctx, 6, 'install') as [Eui, Eui, Eui, Eui, Eui, Eui];
        const site: Site = { supplier: e.supplier, gasSupplier: g.supplier, networkOperator: e.networkOperator, gasNetworkOperator: g.networkOperator, mpan, mprn, hub, esme, gsme, gpf, ppmid, ihd };
        ctx.vars.site = site;
        ctx.say(
          `MPAN ${mpan}: ${ctx.name(e.supplier)}, network operator ${ctx.name(e.networkOperator)}; MPRN ${mprn}: ${ctx.name(g.supplier)}, gas transporter ${ctx.name(g.networkOperator)}. ` +
            `The devices to install: comms hub ${dashedEui(hub)} with its GPF ${dashedEui(gpf)}, ESME ${dashedEui(esme)}, GSME ${dashedEui(gsme)}, PPMID ${dashedEui(ppmid)}, IHD ${dashedEui(ihd)}`,
        );
      },
    },
    {
      id: 'pre-notify',
      title: 'The suppliers pre-notify the devices (12.2) and give them their supply points (8.4)',
      narration:
        'Each device enters the smart metering inventory Pending, holding the factory cells (the Access Control Broker in its supplier ' +
        "and network operator cells). The gas supplier pre-notifies the Gas Proxy Function, then the comms hub naming it (AssociatedGPFDeviceID): " +
        'the two are one hub. The IHD is a Type 2 device: no certificates and no firmware, and no commands from the DCC. Update Inventory names ' +
        "each meter's MPxN (a PPMID's is the MPRN in dcc-sim); the comms hub and the IHD need none.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        const pre = (sender: Eui, eui: Eui, deviceType: 'CHF' | 'ESME' | 'GSME' | 'GPF' | 'PPMID' | 'IHD', extra: { associatedGpf?: Eui } = {}) => send(ctx, sender, DCC_TARGET, 8, {
          kind: 'DevicePrenotification', deviceId: eui, manufacturer: 'dcc-sim', model: `${deviceType}-NEW`, deviceType,
          ...(deviceType === 'IHD' ? {} : { firmwareVersion: '00010001' }), ...extra,
        }, 'I0');
        await pre(s.gasSupplier, s.gpf, 'GPF');
        await pre(s.gasSupplier, s.hub, 'CHF', { associatedGpf: s.gpf });
        await pre(s.supplier, s.esme, 'ESME');
        await pre(s.gasSupplier, s.gsme, 'GSME');
        await pre(s.gasSupplier, s.ppmid, 'PPMID');
        await pre(s.supplier, s.ihd, 'IHD');
        ctx.check(ctx.world.inventory.detailsOf(s.hub)?.associatedGpfEui === s.gpf, `the inventory pairs comms hub ${dashedEui(s.hub)} with its GPF ${dashedEui(s.gpf)}`);
        for (const [sender, eui, value] of [[s.supplier, s.esme, s.mpan], [s.gasSupplier, s.gsme, s.mprn], [s.gasSupplier, s.gpf, s.mprn], [s.gasSupplier, s.ppmid, s.mprn]] as const) {
          await send(ctx, sender, DCC_TARGET, 8, { kind: 'UpdateInventory', deviceId: eui, update: { kind: 'mpxn', which: 'ImportMPxN', value } }, 'I0');
        }
        for (const eui of [s.hub, s.gpf, s.esme, s.gsme, s.ppmid, s.ihd]) expectStatus(ctx, eui, 'device', 'Pending');
      },
    },
    {
      id: 'hub-installed',
      title: 'The installer fits the comms hub; the DCC commissions it and its GPF (8.14.1)',
      narration:
        'The hub reaches the SM WAN and the gas supplier reports it installed at the MPRN. The GPF is part of the comms hub (paired at 12.2): the DCC ' +
        'records the Communications Hub Function and the Gas Proxy Function Commissioned, and the GPF\'s 7 days for its network ' +
        'operator certificates start now. No other DUIS request commissions a GPF.',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        const sent = await ctx.now();
        await send(ctx, s.gasSupplier, DCC_TARGET, 8, {
          kind: 'CHFInstallSuccessSMWAN', deviceId: s.hub, installType: 'New CHF Install', reference: {}, mpxn: s.mprn, aerialInstall: false, location: 'Outside Premises',
        }, 'I0');
        expectStatus(ctx, s.hub, 'comms hub', 'Commissioned');
        expectStatus(ctx, s.gpf, 'GPF', 'Commissioned');
        const at = Date.parse(ctx.world.store.getDevice(s.gpf)?.commissionedAt ?? '');
        ctx.check(at >= sent.getTime() && at <= (await ctx.now()).getTime(), "the GPF's date of commissioning is the moment of this 8.14.1");
        await expectCompliance(ctx, s.gpf, 'compliant', null);
      },
    },
    {
      id: 'device-log',
      title: "The hub takes the meters, the PPMID and the IHD into its device log (8.11) and reports it (CS14)",
      narration:
        "Update HAN Device Log gives the hub each device's install code. The DCC's Access Control Broker sends it for the supplier " +
        '(CCS01); the hub answers, raises CS14 with its new log, and the DCC records each device Whitelisted under the hub. The IHD goes ' +
        'in as HAN device type 6, "Type 2". The GPF needs no entry: it is part of the hub.',
      async run(ctx) {
        const s = ctx.get<Site>('site');
        for (const [sender, eui, code] of [[s.supplier, s.esme, 'E1'], [s.gasSupplier, s.gsme, 'G1'], [s.gasSupplier, s.ppmid, 'P1'], [s.supplier, s.ihd, 'I1']] as const) {
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
      title: 'The meters are fitted, and the suppliers take over their meters and the GPF (8.4, 6.21)',
      narration:
        'The installer reports each meter installed (InstalledNotCommissioned). Its supplier cells still hold the Access Control ' +
        "Broker's certificates, so the supplier asks the DCC to hand them over (6.21) before it commands the meter itself; the gas " +
        "supplier takes the GPF's supplier cells over the same way.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        for (const [sender, eui] of [[s.supplier, s.esme], [s.gasSupplier, s.gsme]] as const) {
          await send(ctx, sender, DCC_TARGET, 8, { kind: 'UpdateInventory', deviceId: eui, update: { kind: 'status', commsHub: false, status: 'InstalledNotCommissioned' } }, 'I0');
        }
        for (const [sender, eui] of [[s.supplier, s.esme], [s.gasSupplier, s.gsme], [s.gasSupplier, s.gpf]] as const) {
          const r = await ctx.handover({ supplier: sender, device: eui, role: 'Supplier', certificatesOf: sender });
          ctx.check(r.responseCode === 'I99' && r.finalResponseCode === 'I0', `${dashedEui(eui)} takes ${ctx.name(sender)}'s certificates (I99, then I0; got ${r.responseCode}, ${r.finalResponseCode})`);
          expectHolder(ctx, eui, ['supplierDS', 'supplierKA'], sender);
        }
      },
    },
    {
      id: 'join',
      title: 'The GSME joins its GPF (8.7.2)',
      narration:
        'The DCC checks that the GPF is known and part of the GSME\'s hub; the GSME joins it by method B (CS03B) and ' +
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
    {
      id: 'network-operator-cells',
      title: "The network operators' certificates: the DNO's in the ESME, the GNO's in the GPF where MP128B allows (6.21)",
      narration:
        "The ESME's and the GPF's network operator cells still hold the Access Control Broker's certificates, and only the holder of a cell " +
        "signs its replacement (GBCS CS02b NOByNO): so the supplier asks the DCC to hand them over (6.21), carrying the registered network " +
        "operator's certificates (SECMP0063). A 6.15.1 is the network operator's own, once its certificates are there. For the GPF, MP128B: " +
        "the GNO's only if it is a DCC User with certificates in the SMKI repository; otherwise the ACB's stay.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        const r = await ctx.handover({ supplier: s.supplier, device: s.esme, role: 'NetworkOperator', certificatesOf: s.networkOperator });
        ctx.check(r.responseCode === 'I99' && r.finalResponseCode === 'I0', `the ESME takes ${ctx.name(s.networkOperator)}'s certificates (I99, then I0; got ${r.responseCode}, ${r.finalResponseCode})`);
        expectHolder(ctx, s.esme, ['networkOperatorDS', 'networkOperatorKA'], s.networkOperator);
        const gno = ctx.world.store.getParty(s.gasNetworkOperator);
        if (gno?.dccUser && hasNetworkOperatorCertificates(ctx.world, s.gasNetworkOperator)) {
          const g = await ctx.handover({ supplier: s.gasSupplier, device: s.gpf, role: 'NetworkOperator', certificatesOf: s.gasNetworkOperator });
          ctx.check(g.responseCode === 'I99' && g.finalResponseCode === 'I0', `the GPF takes ${ctx.name(s.gasNetworkOperator)}'s certificates (I99, then I0; got ${g.responseCode}, ${g.finalResponseCode})`);
          expectHolder(ctx, s.gpf, ['networkOperatorDS', 'networkOperatorKA'], s.gasNetworkOperator);
        } else {
          ctx.say(`${ctx.name(s.gasNetworkOperator)} is not a DCC User with certificates in the SMKI repository: the ACB's certificates stay in the GPF's GNO slot`);
          expectHolder(ctx, s.gpf, ['networkOperatorDS', 'networkOperatorKA'], ACB);
        }
      },
    },
    {
      id: 'in-home',
      title: 'The PPMID and the ESME join each other, and the IHD joins the ESME and the GSME (8.7.1, 8.7.2)',
      narration:
        'A PPMID and its meter join each other: the ESME takes the PPMID (CS03C, method C, critical: the supplier signs it, and the DCC ' +
        "adds the PPMID's certificate from the SMKI repository), and the PPMID takes the ESME (CS03A2, sent and signed by the ACB for " +
        'its registered supplier, of the MPRN). The IHD, a Type 2 device, takes no command from the DCC: each meter takes it (CS03B, ' +
        "method B, non-critical, from the meter's supplier) and the meter's log lists it (8.9, CS07).",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        const meter = await send(ctx, s.supplier, s.esme, 4, { kind: 'JoinServiceCritical', otherDeviceId: s.ppmid }, 'I0');
        ctx.check(meter.legs.at(-1)?.responseCode === 'I99', `the ESME's join is acknowledged (I99) before the ESME answers (got ${meter.legs.at(-1)?.responseCode})`);
        const ppmid = await send(ctx, s.gasSupplier, s.ppmid, 1, { kind: 'JoinServiceNonCritical', otherDeviceId: s.esme }, 'I0');
        ctx.check(ppmid.responseCode === 'I99', `the PPMID's join is acknowledged (I99) before the PPMID answers (got ${ppmid.responseCode})`);
        for (const [sender, meter] of [[s.supplier, s.esme], [s.gasSupplier, s.gsme]] as const) {
          await send(ctx, sender, meter, 1, { kind: 'JoinServiceNonCritical', otherDeviceId: s.ihd }, 'I0');
        }
        await send(ctx, s.supplier, s.esme, 1, { kind: 'ReadDeviceLog', readSecurityDetails: false }, 'I0');
        for (const [what, meter] of [['ESME', s.esme], ['GSME', s.gsme]] as const) {
          const joined = (JSON.parse(ctx.world.store.getDeviceAppState(meter) ?? '{}') as { han?: { joined: { eui: string; type: number }[] } }).han?.joined ?? [];
          ctx.check(joined.some((j) => j.eui === s.ihd && j.type === 6), `the ${what} holds the IHD ${dashedEui(s.ihd)} joined, as a Type 2 device (its HAN join state lists ${joined.map((j) => dashedEui(j.eui)).join(', ') || 'nothing'})`);
        }
      },
    },
    {
      id: 'report',
      title: 'The post-commissioning report counts the ESME and the GPF compliant',
      narration:
        "Each commissioned device holds its network operator's certificates (or, for a GPF, the ACB's as MP128B allows) within its 7 days: " +
        "the DCC's post-commissioning report counts both compliant.",
      async run(ctx) {
        const s = ctx.get<Site>('site');
        await expectCompliance(ctx, s.esme, 'compliant', null);
        await expectCompliance(ctx, s.gpf, 'compliant', null);
      },
    },
  ],
};
