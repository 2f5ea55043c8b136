import { dashedEui, type Eui } from '../../../pki/index.ts';
import type { ScenarioDefinition } from '../runner.ts';
import { ACB, commission, DAY_MS, expectCompliance, expectHolder, pick, readInventory, type PickedDevice } from './common.ts';

export const commissionEsme: ScenarioDefinition = {
  name: 'commission-esme',
  title: 'Install and commission an ESME and place the network operator certificates',
  summary:
    'An ESME is installed DCC controlled, handed over to its supplier, commissioned over DUIS (8.1.1), left a week too long with the ' +
    "ACB's certificate in its network operator cells, and then given its DNO's certificates: the post-commissioning " +
    'report follows it from pending to non-compliant to compliant.',
  sources: ['SEC Appendix AC (IEDP) 5.3: network operator certificates within 7 days of commissioning', 'SECMP0063: the Network Operator check', 'DUIS 8.2, 6.21, 8.1.1 (ECS70), 6.15.1'],
  steps: [
    {
      id: 'installed',
      title: 'An ESME is installed, still DCC controlled',
      narration:
        "A new ESME holds the Access Control Broker's certificates in its supplier and network operator cells: until the " +
        'supplier hands it over, only the DCC can command it. Registration data names its supplier and its network operator (DNO) by MPAN; ' +
        'the supplier asks the DCC for its inventory record (8.2).',
      async run(ctx) {
        const d = pick(ctx, { type: 'ESME', status: 'InstalledNotCommissioned', networkOperatorCellHolder: ACB, supplierCellHolder: ACB });
        if (!d) return ctx.fail('this world has no DCC-controlled ESME awaiting commissioning (InstalledNotCommissioned); seed a larger world');
        ctx.vars.esme = d;
        ctx.say(`ESME ${dashedEui(d.eui)} at MPAN ${d.mpxn}: registered supplier ${ctx.name(d.supplier)}, network operator ${ctx.name(d.networkOperator)}`);
        expectHolder(ctx, d.eui, ['supplierDS', 'supplierKA', 'networkOperatorDS', 'networkOperatorKA'], ACB);
        const inv = await readInventory(ctx, d.supplier, d.eui);
        ctx.check(inv.status === 'InstalledNotCommissioned' && inv.dateCommissioned === null, `the DCC's inventory says InstalledNotCommissioned, never commissioned (got ${inv.status ?? 'nothing'})`);
      },
    },
    {
      id: 'supplier-handover',
      title: 'The supplier takes over its cells (6.21)',
      narration:
        'With 6.21 Request Handover of DCC Controlled Device the registered supplier asks the DCC, whose ACB certificates the ' +
        "device holds, to put the supplier's own certificates in the supplier cells. It does so first: the meter checks a supplier's " +
        'critical command, such as 8.1.1, against its supplier cells.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'Supplier', certificatesOf: d.supplier });
        ctx.check(r.responseCode === 'I99', `the DCC acknowledges the request (I99; got ${r.responseCode})`);
        ctx.check(r.outcome === 'I0', `the ESME carries out the handover (asynchronous I0; got ${r.outcome})`);
        expectHolder(ctx, d.eui, ['supplierDS', 'supplierKA'], d.supplier);
        ctx.check((await ctx.compliance(d.eui)) === undefined, 'not commissioned yet: the post-commissioning report does not count it');
      },
    },
    {
      id: 'commission',
      title: 'The supplier commissions it (8.1.1)',
      narration:
        "SRV 8.1.1 Commission Device sets the ESME's clock (ECS70, critical: the DCC returns the pre-command, the supplier signs it). " +
        'When the ESME answers that it took the time the DCC records it Commissioned in the Smart Metering Inventory. From then the ' +
        "supplier has 7 days to put the network operator's certificates in it; until then the post-commissioning report shows it pending.",
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        const at = await commission(ctx, d.supplier, d.eui);
        const inv = await readInventory(ctx, d.supplier, d.eui);
        ctx.check(inv.status === 'Commissioned', `the DCC's inventory answer says Commissioned (got ${inv.status ?? 'nothing'})`);
        // the report counts from the day of the 8.1.1, not from anything the scenario wrote
        const c = await ctx.compliance(d.eui);
        ctx.check(!!at && c?.commissionedAt === at.toISOString(), `the report counts the ESME from its 8.1.1 at ${at?.toISOString() ?? '?'} (it has ${c?.commissionedAt ?? 'nothing'})`);
        await expectCompliance(ctx, d.eui, 'pending', 'acb-in-esme');
      },
    },
    {
      id: 'eight-days-later',
      title: "Eight days later the ACB's certificate is still in the network operator cells",
      narration:
        "IEDP 5.3: the network operator's certificates are due within 7 days of commissioning. An ESME may not keep the ACB's " +
        'certificate in its network operator cells (only a GPF may, MP128B), so on day 8 the report counts it against the supplier.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        await expectCompliance(ctx, d.eui, 'pending', 'acb-in-esme');
        const t = await ctx.clock.advance(8 * DAY_MS);
        ctx.say(`the simulated clock moves on 8 days to ${t.toISOString()}`);
        await expectCompliance(ctx, d.eui, 'non-compliant', 'acb-in-esme');
      },
    },
    {
      id: 'network-operator-handover',
      title: "The supplier places the DNO's certificates (6.21)",
      narration:
        "The supplier hands the network operator cells over to the DNO registration data names for the MPAN. The DCC's " +
        "Network Operator check (SECMP0063) compares the certificates' EUI with that registration before anything reaches the meter.",
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'NetworkOperator', certificatesOf: d.networkOperator });
        ctx.check(r.responseCode === 'I99', `the DCC accepts it: the certificates are the registered DNO's (I99; got ${r.responseCode})`);
        ctx.check(r.outcome === 'I0', `the ESME carries it out (I0; got ${r.outcome})`);
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], d.networkOperator);
      },
    },
    {
      id: 'report',
      title: 'The report shows it compliant, and the DNO can reach its meter',
      narration:
        'Late, but now right: the report shows the ESME compliant. Only the holder of the network operator cell can replace it ' +
        '(6.15.1 NOByNO is signed by that holder), and that is now the registered DNO.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        await expectCompliance(ctx, d.eui, 'compliant', null);
        const r = await ctx.updateCredentials({ sender: d.networkOperator as Eui, device: d.eui, role: 'NetworkOperator', certificatesOf: d.networkOperator });
        ctx.check(r.outcome === 'I0', `the DNO's own 6.15.1 reaches the meter and is carried out (I0; got ${r.outcome})`);
      },
    },
  ],
};
