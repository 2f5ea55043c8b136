import { dashedEui, DCC_EUI, type Eui } from '../../../pki/index.ts';
import { hasNetworkOperatorCertificates } from '../../compliance/index.ts';
import { makeMprn } from '../../world/index.ts';
import type { ScenarioDefinition } from '../runner.ts';
import { ACB, DAY_MS, expectCompliance, expectHolder, expectStatus, newDeviceEuis, sendExpecting, type PickedDevice } from './common.ts';

export const gpfHandover: ScenarioDefinition = {
  name: 'gpf-handover',
  title: 'A DCC-controlled GPF handed over',
  summary:
    'A gas proxy function commissioned with its comms hub by the hub\'s install report (8.14.1), its supplier cells then its gas supplier\'s (6.21). Its network operator ' +
    "cells get the GNO's certificates only if the GNO is a DCC User with certificates (MP128); otherwise the ACB's certificate stays, and " +
    'the post-commissioning report counts that as compliant (MP128B), unlike an ESME.',
  sources: ['MP128 requirements 1-3', 'MP128B: ACB certificate may stay in the GNO slot of a GPF', 'SECMP0063: the check on 6.21 to a GPF', 'DUIS 12.2, 8.4, 8.14.1 (the DCC commissions the hub and its GPF), 6.21, 6.24.1'],
  steps: [
    {
      id: 'installed',
      title: "A comms hub installed: the DCC commissions it and its GPF (8.14.1), the ACB's certificates in the GPF's network operator cells",
      narration:
        "GPFs are made with the ACB's certificates in the GNO slot (MP128). The GPF is part of the comms hub: when the gas supplier reports " +
        'the hub installed with SM WAN (8.14.1), the DCC records the hub and its GPF Commissioned, and the GPF\'s 7 days start. The gas ' +
        "supplier then takes the GPF's supplier cells over (6.21). Registration data for the MPRN names the gas supplier and the gas transporter (GNO).",
      async run(ctx) {
        // a gas supplier and GNO pair from registration data, a GNO that is a DCC User with certificates first
        const pairs = ctx.world.store.listDevices({ type: 'GSME', limit: 200 }).devices
          .map((d) => (d.mpxn ? ctx.world.store.getSupplyPoint(d.mpxn) : undefined))
          .filter((sp): sp is NonNullable<typeof sp> => !!sp?.supplierEui && !!sp.networkOperatorEui);
        const userGno = (eui: string) => !!ctx.world.store.getParty(eui)?.dccUser && hasNetworkOperatorCertificates(ctx.world, eui as Eui);
        const sp = pairs.find((x) => userGno(x.networkOperatorEui)) ?? pairs[0];
        if (!sp) return ctx.fail('this world has no registered gas supply point to take a gas supplier and a GNO from');
        const supplier = sp.supplierEui as Eui;
        const networkOperator = sp.networkOperatorEui as Eui;
        // Registration data of a new MPRN reaches the DCC from the gas registration service, not by DUIS.
        const mprn = makeMprn(String(Date.now()).slice(-8));
        ctx.world.store.insertSupplyPoint({ mpxn: mprn, fuel: 'G', networkOperatorEui: networkOperator, supplierEui: supplier, uprn: null, postcode: 'ZZ9 9ZZ', address: '2 New Build Lane' });
        const [hub, gpf] = newDeviceEuis(ctx, 2, 'gpf-handover') as [Eui, Eui];
        for (const [eui, deviceType] of [[hub, 'CHF'], [gpf, 'GPF']] as const) {
          await sendExpecting(ctx, supplier, DCC_EUI, 8, { kind: 'DevicePrenotification', deviceId: eui, manufacturer: 'dcc-sim', model: `${deviceType}-NEW`, deviceType, firmwareVersion: '00020001' }, 'I0');
        }
        await sendExpecting(ctx, supplier, DCC_EUI, 8, { kind: 'UpdateInventory', deviceId: gpf, update: { kind: 'mpxn', which: 'ImportMPxN', value: mprn } }, 'I0');
        await sendExpecting(ctx, supplier, DCC_EUI, 8, {
          kind: 'CHFInstallSuccessSMWAN', deviceId: hub, installType: 'New CHF Install', reference: {}, mpxn: mprn, aerialInstall: false, location: 'Indoors on external wall',
        }, 'I0');
        expectStatus(ctx, hub, 'comms hub', 'Commissioned');
        expectStatus(ctx, gpf, 'GPF', 'Commissioned');
        const row = ctx.world.store.getDevice(gpf);
        const d: PickedDevice = { eui: gpf, mpxn: mprn, status: row?.status ?? 'missing', commissionedAt: row?.commissionedAt ?? null, networkOperator, supplier };
        ctx.vars.gpf = d;
        const gno = ctx.world.store.getParty(networkOperator);
        ctx.say(
          `GPF ${dashedEui(gpf)} of comms hub ${dashedEui(hub)} at MPRN ${mprn}, commissioned ${d.commissionedAt}: gas supplier ${ctx.name(supplier)}, GNO ${ctx.name(networkOperator)} ` +
            `(${gno?.dccUser ? 'a DCC User' : 'not a DCC User'}, ${gno?.smkiSubscriber ? 'an SMKI Subscriber' : 'not an SMKI Subscriber'})`,
        );
        const r = await ctx.handover({ supplier, device: gpf, role: 'Supplier', certificatesOf: supplier });
        ctx.check(r.responseCode === 'I99' && r.finalResponseCode === 'I0', `the GPF takes ${ctx.name(supplier)}'s certificates in its supplier cells (I99, then I0; got ${r.responseCode}, ${r.finalResponseCode})`);
        expectHolder(ctx, gpf, ['networkOperatorDS', 'networkOperatorKA'], ACB);
      },
    },
    {
      id: 'supplier-reads-cells',
      title: 'The gas supplier reads who the GPF trusts (6.24.1)',
      narration:
        'Retrieve Device Security Credentials asks the GPF itself which certificates its cells hold: its supplier cells its gas supplier\'s, ' +
        "its network operator cells still the ACB's. Already compliant: a GPF may keep the ACB's certificate in its GNO slot (MP128B).",
      async run(ctx) {
        const d = ctx.get<PickedDevice>('gpf');
        const r = await ctx.readCredentials({ sender: d.supplier, device: d.eui, roles: ['Supplier', 'NetworkOperator'] });
        ctx.check(r.responseCode === 'I99' && r.outcome === 'I0', `the GPF answers (I99, I0; got ${r.responseCode}, ${r.outcome})`);
        expectHolder(ctx, d.eui, ['supplierDS', 'supplierKA'], d.supplier);
        await expectCompliance(ctx, d.eui, 'compliant', null);
      },
    },
    {
      id: 'network-operator-cells',
      title: "The GNO's certificates, or the ACB's stays",
      narration:
        "MP128B: the supplier places the GNO's certificate only where an unrevoked certificate of a GNO that is a DCC User is in the " +
        "SMKI repository; otherwise it leaves the ACB's. The DCC's check accepts either in a GPF, and refuses another GNO's.",
      async run(ctx) {
        const d = ctx.get<PickedDevice>('gpf');
        const gno = ctx.world.store.getParty(d.networkOperator);
        if (gno?.dccUser && hasNetworkOperatorCertificates(ctx.world, d.networkOperator)) {
          const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'NetworkOperator', certificatesOf: d.networkOperator });
          ctx.check(r.responseCode === 'I99' && r.outcome === 'I0', `the GNO's certificates are placed (I99, I0; got ${r.responseCode}, ${r.outcome})`);
          expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], d.networkOperator);
        } else {
          ctx.say(`${ctx.name(d.networkOperator)} is not a DCC User with certificates in the SMKI repository: the ACB's certificates stay in the GNO slot`);
          expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], ACB);
        }
      },
    },
    {
      id: 'eight-days-later',
      title: 'Eight days later the GPF is compliant either way',
      narration:
        "The 7-day rule counts an ESME still holding the ACB's certificate as non-compliant; a GPF may keep it (MP128B), so the DCC's post-commissioning report shows it compliant.",
      async run(ctx) {
        const d = ctx.get<PickedDevice>('gpf');
        const t = await ctx.clock.advance(8 * DAY_MS);
        ctx.say(`the simulated clock moves on 8 days to ${t.toISOString()}`);
        await expectCompliance(ctx, d.eui, 'compliant', null);
      },
    },
  ],
};
