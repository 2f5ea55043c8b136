import { dashedEui } from '../../../pki/index.ts';
import { hasNetworkOperatorCertificates } from '../../compliance/index.ts';
import type { ScenarioDefinition } from '../runner.ts';
import type { ComplianceStore } from '../../../db/index.ts';
import { ACB, DAY_MS, expectCompliance, expectHolder, store, windowStartDate, type PickedDevice } from './common.ts';

export const gpfHandover: ScenarioDefinition = {
  name: 'gpf-handover',
  title: 'A DCC-controlled GPF handed over',
  summary:
    'A gas proxy function commissioned this week with its comms hub, its supplier cells already its gas supplier\'s. Its network operator ' +
    "cells get the GNO's certificates only if the GNO is a DCC User with certificates (MP128); otherwise the ACB's certificate stays, and " +
    'the post-commissioning report counts that as compliant (MP128B), unlike an ESME.',
  sources: ['MP128 requirements 1-3', 'MP128B: ACB certificate may stay in the GNO slot of a GPF', 'SECMP0063: the check on 6.21 to a GPF', 'DUIS 6.24.1, 6.21'],
  steps: [
    {
      id: 'installed',
      title: "A GPF commissioned this week, the ACB's certificates in its network operator cells",
      narration:
        "GPFs are made with the ACB's certificates in the GNO slot (MP128). The DCC commissions a GPF with its comms hub: no DUIS request " +
        "commissions a GPF (8.1.1 sets the clock of an ESME or a GSME). Registration data for the MPRN names the gas supplier and the gas transporter (GNO).",
      async run(ctx) {
        const since = await windowStartDate(ctx);
        const q = { type: 'GPF' as const, status: 'Commissioned', networkOperatorCellHolder: ACB, commissionedOnOrAfter: since, limit: 200 };
        // the gas supplier already holds the supplier cells: it is the one to place the GNO's (6.21)
        const fits = (d: ReturnType<ComplianceStore['findDevicesByCells']>[number]) => d.mpxn && d.supplierEui && d.networkOperatorEui && ctx.holder(d.eui, 'supplierDS') === d.supplierEui;
        const rows = store(ctx).findDevicesByCells({ ...q, registeredNetworkOperatorIsDccUser: true }).filter(fits);
        const row = rows[0] ?? store(ctx).findDevicesByCells(q).find(fits);
        if (!row) return ctx.fail('this world has no GPF commissioned in the last 7 days whose network operator cells hold the ACB certificate; seed a larger world');
        const d: PickedDevice = { eui: row.eui, mpxn: row.mpxn!, status: row.status, commissionedAt: row.commissionedAt, networkOperator: row.networkOperatorEui!, supplier: row.supplierEui! };
        ctx.vars.gpf = d;
        const gno = ctx.world.store.getParty(d.networkOperator);
        ctx.say(
          `GPF ${dashedEui(d.eui)} at MPRN ${d.mpxn}, commissioned ${d.commissionedAt}: gas supplier ${ctx.name(d.supplier)}, GNO ${ctx.name(d.networkOperator)} ` +
            `(${gno?.dccUser ? 'a DCC User' : 'not a DCC User'}, ${gno?.smkiSubscriber ? 'an SMKI Subscriber' : 'not an SMKI Subscriber'})`,
        );
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], ACB);
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
