import { dashedEui, type Eui } from '../../../pki/index.ts';
import { CeaseRefused, ceaseDccUser, allStrandedDevices, transferNetwork, type StrandedDevice } from '../../compliance/index.ts';
import { GAS_TRANSPORTERS } from '../../world/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { ACB, expectCompliance, expectHolder, store } from './common.ts';

const gt = (key: string): Eui => GAS_TRANSPORTERS.find((g) => g.key === key)!.eui;
const OUTGOING = gt('NGGD');
/** fleet steps narrate their first few requests and summarise the rest */
const NARRATED = 3;
const INCOMING = gt('CADENT');

function stranded(ctx: StepContext): StrandedDevice[] {
  return ctx.get<StrandedDevice[]>('stranded');
}

export const gasNetworkSale: ScenarioDefinition = {
  name: 'gas-network-sale',
  title: 'The gas network sale: National Grid Gas Distribution to Cadent (MP128A)',
  summary:
    'National Grid sold its gas distribution networks; they are Cadent\'s now, in registration data. GPFs still hold National ' +
    "Grid's certificates, so Cadent cannot reach them. National Grid may not cease to be a DCC User until it has replaced its " +
    "certificates by the ACB's; then the suppliers place Cadent's, and the report is compliant again.",
  sources: ['MP128 (considerations: National Grid -> Cadent)', 'MP128A requirement 4: replace by the ACB before ceasing to be a DCC User', 'MP128B', 'MP128 requirement 5'],
  steps: [
    {
      id: 'the-sale',
      title: "Registration data: National Grid's supply points are Cadent's",
      narration:
        "The gas registration data provider moves the MPRNs of the sold networks to the incoming operator. The devices are not " +
        "touched: GPFs where the supplier placed National Grid's certificates keep them.",
      run(ctx) {
        const t = transferNetwork(ctx.world, { from: OUTGOING, to: INCOMING, limit: 1 });
        ctx.say(`registration data: ${t.moved} supply point(s) moved from ${t.from.name} to ${t.to.name} (in this world most MPRNs were already Cadent's)`);
        const all = allStrandedDevices(ctx.world, OUTGOING, { registeredTo: INCOMING });
        if (all.length === 0) ctx.fail(`no device at Cadent's supply points holds ${t.from.name}'s certificates (has this scenario already run on this world?)`);
        ctx.vars.stranded = all;
        ctx.say(`${all.length} device(s) at Cadent's supply points still hold ${t.from.name}'s certificates, e.g. ${all.slice(0, 3).map((d) => `${d.type} ${dashedEui(d.eui)}`).join(', ')}`);
        ctx.check(all.every((d) => d.type === 'GPF'), 'they are GPFs: only GPFs and ESMEs have network operator cells, and ESMEs are electricity');
      },
    },
    {
      id: 'incoming-cannot-reach',
      title: 'Cadent cannot reach them',
      narration:
        "Cadent is the registered GNO, so the DCC accepts its 6.15.1 NOByNO and issues the pre-command; but the GPF's network operator cell holds National Grid's certificate, " +
        'so the GPF discards a command signed by Cadent.',
      async run(ctx) {
        const d = stranded(ctx)[0]!;
        await expectCompliance(ctx, d.eui, 'non-compliant', 'other-network-operator');
        const r = await ctx.updateCredentials({ sender: INCOMING, device: d.eui, role: 'NetworkOperator', certificatesOf: INCOMING });
        ctx.check(r.legs[0]?.responseCode === 'I0' && r.legs[1]?.responseCode === 'I99', `the DCC accepts both legs (I0, I99; got ${r.legs.map((l) => l.responseCode).join(', ')})`);
        ctx.check(r.outcome === 'E21', `the GPF discards it: no response (E21; got ${r.outcome})`);
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], OUTGOING);
      },
    },
    {
      id: 'cease-refused',
      title: 'National Grid may not cease to be a DCC User yet',
      narration:
        'MP128A requirement 4: a GNO that intends to cease to be a DCC User must first replace its organisation certificates on the devices by the ACB\'s. ' +
        'dcc-sim refuses the cessation while any device holds its certificates.',
      run(ctx) {
        try {
          ceaseDccUser(ctx.world, OUTGOING);
          ctx.check(false, 'the cessation is refused');
        } catch (err) {
          if (!(err instanceof CeaseRefused)) throw err;
          ctx.say(err.message);
          ctx.check(err.refusal.devicesHoldingCertificates >= stranded(ctx).length, `refused: ${err.refusal.devicesHoldingCertificates} device(s) hold its certificates`);
        }
        ctx.check(ctx.world.store.getParty(OUTGOING)?.dccUser === true, 'National Grid Gas Distribution is still a DCC User');
      },
    },
    {
      id: 'outgoing-replaces-with-acb',
      title: "National Grid replaces its certificates by the ACB's (6.15.1 NOByNO)",
      narration:
        "As the holder of the network operator cells National Grid may still send 6.15.1 to these GPFs after registration moved (MP128A), with the ACB's " +
        "certificates; a GPF accepts the ACB's certificate in its GNO slot. The cells are DCC controlled again, and that is compliant for a GPF (MP128B).",
      async run(ctx) {
        let ok = 0;
        for (const [i, d] of stranded(ctx).entries()) {
          const first = d.remedy[0];
          if (!first || first.certificatesOf !== ACB) {
            ctx.check(false, `${dashedEui(d.eui)} has the ACB remedy`);
            continue;
          }
          const r = await ctx.updateCredentials({ sender: first.sender, device: d.eui, role: 'NetworkOperator', certificatesOf: ACB }, i >= NARRATED);
          if (r.outcome === 'I0' && ctx.holder(d.eui, 'networkOperatorDS') === ACB && ctx.holder(d.eui, 'networkOperatorKA') === ACB) ok++;
        }
        if (stranded(ctx).length > NARRATED) ctx.say(`... and the same for ${stranded(ctx).length - NARRATED} more GPF(s)`);
        ctx.check(ok === stranded(ctx).length, `all ${stranded(ctx).length} GPF(s) now hold the ACB's certificates (${ok} did)`);
        await expectCompliance(ctx, stranded(ctx)[0]!.eui, 'compliant', null);
      },
    },
    {
      id: 'cease',
      title: 'Now National Grid ceases to be a DCC User',
      narration:
        'No device holds its certificates any more: it may cease. It stops being an SMKI Subscriber too and its certificates are revoked (its Certificate Revocation Request). ' +
        'A GNO need not be a DCC User nor an SMKI Subscriber (MP128 requirement 5).',
      run(ctx) {
        const r = ceaseDccUser(ctx.world, OUTGOING);
        ctx.say(`${r.party.name} ceased to be a DCC User at ${r.at}; ${r.revokedCertificates.length} certificate(s) revoked`);
        ctx.check(!r.party.dccUser && !r.party.smkiSubscriber, 'it is no longer a DCC User nor an SMKI Subscriber');
        ctx.check(r.revokedCertificates.length > 0, 'its certificates are revoked in the SMKI repository');
      },
    },
    {
      id: 'incoming-by-supplier',
      title: "The suppliers place Cadent's certificates (6.21)",
      narration:
        "Cadent is a DCC User with certificates in the SMKI repository, so the GPFs' gas suppliers hand the DCC-controlled network operator cells over to Cadent with 6.21; " +
        "the Network Operator check confirms Cadent is the registered GNO.",
      async run(ctx) {
        let ok = 0;
        for (const [i, d] of stranded(ctx).entries()) {
          if (!d.supplierEui) continue;
          const r = await ctx.handover({ supplier: d.supplierEui, device: d.eui, role: 'NetworkOperator', certificatesOf: INCOMING }, i >= NARRATED);
          if (r.outcome === 'I0' && ctx.holder(d.eui, 'networkOperatorDS') === INCOMING) ok++;
        }
        if (stranded(ctx).length > NARRATED) ctx.say(`... and the same for ${stranded(ctx).length - NARRATED} more GPF(s)`);
        ctx.check(ok === stranded(ctx).length, `all ${stranded(ctx).length} GPF(s) now hold Cadent's certificates (${ok} do)`);
      },
    },
    {
      id: 'incoming-reaches',
      title: 'Cadent reaches its GPFs, and the report is compliant',
      narration: "Cadent now holds the network operator cells: its own 6.15.1 is carried out. The post-commissioning report shows the GPFs compliant, and no device holds National Grid's certificates.",
      async run(ctx) {
        const d = stranded(ctx)[0]!;
        const r = await ctx.updateCredentials({ sender: INCOMING, device: d.eui, role: 'NetworkOperator', certificatesOf: INCOMING });
        ctx.check(r.outcome === 'I0', `Cadent's 6.15.1 is carried out (I0; got ${r.outcome})`);
        await expectCompliance(ctx, d.eui, 'compliant', null);
        const states = await Promise.all(stranded(ctx).map((x) => ctx.compliance(x.eui)));
        const compliant = states.filter((c) => c?.state === 'compliant').length;
        ctx.check(compliant === states.length, `the report shows all ${states.length} GPF(s) compliant (${compliant} are)`);
        const left = store(ctx).devicesHoldingCertificatesOf(OUTGOING, { limit: 1 }).total;
        ctx.check(left === 0, `no device holds National Grid Gas Distribution's certificates (${left} do)`);
      },
    },
  ],
};
