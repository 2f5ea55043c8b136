import { dashedEui } from '../../../pki/index.ts';
import { hasNetworkOperatorCertificates } from '../../compliance/index.ts';
import type { ScenarioDefinition } from '../runner.ts';
import { ACB, commission, DAY_MS, expectCompliance, expectHolder, pick, type PickedDevice } from './common.ts';

export const gpfHandover: ScenarioDefinition = {
  name: 'gpf-handover',
  title: 'A DCC-controlled GPF handed over',
  summary:
    'A gas proxy function is commissioned and handed over to its gas supplier. Its network operator cells get the GNO\'s ' +
    "certificates only if the GNO is a DCC User with certificates (MP128); otherwise the ACB's certificate stays, and the " +
    'post-commissioning report counts that as compliant (MP128B), unlike an ESME.',
  sources: ['MP128 requirements 1-3', 'MP128B: ACB certificate may stay in the GNO slot of a GPF', 'SECMP0063: the check on 6.21 to a GPF'],
  steps: [
    {
      id: 'installed',
      title: "A GPF is installed with the ACB's certificates in every cell",
      narration:
        "GPFs are made with the ACB's certificates in the GNO slot (MP128). Registration data for the MPRN names the gas supplier and the gas transporter (GNO).",
      run(ctx) {
        const q = { type: 'GPF' as const, status: 'InstalledNotCommissioned', networkOperatorCellHolder: ACB, supplierCellHolder: ACB };
        const d = pick(ctx, { ...q, registeredNetworkOperatorIsDccUser: true }) ?? pick(ctx, q);
        if (!d) return ctx.fail('this world has no DCC-controlled GPF awaiting commissioning (InstalledNotCommissioned); seed a larger world');
        ctx.vars.gpf = d;
        const gno = ctx.world.store.getParty(d.networkOperator);
        ctx.say(
          `GPF ${dashedEui(d.eui)} at MPRN ${d.mpxn}: gas supplier ${ctx.name(d.supplier)}, GNO ${ctx.name(d.networkOperator)} ` +
            `(${gno?.dccUser ? 'a DCC User' : 'not a DCC User'}, ${gno?.smkiSubscriber ? 'an SMKI Subscriber' : 'not an SMKI Subscriber'})`,
        );
        expectHolder(ctx, d.eui, ['supplierDS', 'networkOperatorDS', 'networkOperatorKA'], ACB);
      },
    },
    {
      id: 'commission-and-supplier-handover',
      title: 'Commissioned and handed over to the gas supplier (6.21)',
      narration: 'The gas supplier commissions the GPF (SRV 8.1.1) and takes over its supplier cells with 6.21.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('gpf');
        await commission(ctx, d.eui);
        const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'Supplier', certificatesOf: d.supplier });
        ctx.check(r.outcome === 'I0', `the GPF carries out the supplier handover (I0; got ${r.outcome})`);
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
