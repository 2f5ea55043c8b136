import { dashedEui, RemotePartyRole, type Eui } from '../../../pki/index.ts';
import { DNOS, dnoEui } from '../../world/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { ACB, commission, expectCompliance, expectHolder, pick, store, windowStartDate, type PickedDevice } from './common.ts';

/** Another DNO than the registered one, with certificates: the installer's wrong pick. */
function neighbourDno(ctx: StepContext, registered: Eui): Eui {
  const others = DNOS.map((d) => dnoEui(d.distributorId)).filter((e) => e !== registered);
  const i = Math.max(0, DNOS.findIndex((d) => dnoEui(d.distributorId) === registered));
  for (let k = 0; k < others.length; k++) {
    const cand = others[(i + k) % others.length]!;
    const has = ctx.world.store.searchCertificates({ eui: cand, role: RemotePartyRole.NetworkOperator, kind: 'organisation', limit: 5 }).some((c) => c.revokedAt === null);
    if (has) return cand;
  }
  return ctx.fail('no other DNO in this world has network operator certificates');
}

export const misissuedCertificate: ScenarioDefinition = {
  name: 'misissued-certificate',
  title: 'A misissued network operator certificate caught by the Network Operator check',
  summary:
    "An installer picks the wrong DNO's certificates for a new ESME. The DCC's Network Operator check (SECMP0063) compares them " +
    'with registration data and refuses the handover, so the meter never holds them; the right ones go through. An ESME that got ' +
    'a wrong certificate before the check shows why it matters: its own DNO cannot reach it.',
  sources: ['SECMP0063: ~10% of ESMEs get another network operator certificate; the DCC check on 6.15.1 (ESME) and 6.21 (ESME, GPF)', 'IEDP 5.3'],
  steps: [
    {
      id: 'new-esme',
      title: "A commissioned ESME still holds the ACB's certificate in its network operator cells",
      narration:
        'Within the first 7 days after commissioning the supplier places the network operator certificates; until then the ' +
        "network operator cells hold the ACB's certificate and the device is pending in the post-commissioning report.",
      async run(ctx) {
        const since = await windowStartDate(ctx);
        let d = pick(ctx, { type: 'ESME', status: 'Commissioned', networkOperatorCellHolder: ACB, commissionedOnOrAfter: since });
        if (!d) {
          d = pick(ctx, { type: 'ESME', status: 'InstalledNotCommissioned', networkOperatorCellHolder: ACB });
          if (!d) return ctx.fail('this world has no ESME whose network operator cells hold the ACB certificate; seed a larger world');
          // its supplier takes over its cells, then commissions it: both over DUIS
          const h = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'Supplier', certificatesOf: d.supplier });
          ctx.check(h.finalResponseCode === 'I0', `the supplier takes over the ESME's supplier cells (6.21, I0; got ${h.finalResponseCode})`);
          await commission(ctx, d.supplier, d.eui);
        }
        ctx.vars.esme = d;
        ctx.say(`ESME ${dashedEui(d.eui)} at MPAN ${d.mpxn}: registration data names ${ctx.name(d.networkOperator)} as its network operator`);
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], ACB);
        await expectCompliance(ctx, d.eui, 'pending', 'acb-in-esme');
      },
    },
    {
      id: 'wrong-dno',
      title: "The supplier sends another DNO's certificates (6.21): refused",
      narration:
        "The installer picked a neighbouring DNO's certificates. The DCC checks that the network operator certificate in the " +
        'request belongs to the network operator registration data names for the MPAN (SECMP0063) and rejects the request: ' +
        'nothing is sent to the meter.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        const wrong = neighbourDno(ctx, d.networkOperator);
        ctx.vars.wrongDno = wrong;
        const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'NetworkOperator', certificatesOf: wrong });
        ctx.check(r.responseCode === 'E062105', `the DCC rejects it with the network operator check's code E062105 (got ${r.responseCode})`);
        ctx.check(/registration data names/.test(r.reason ?? ''), `the reason names the registered network operator (${r.reason ?? 'none'})`);
        ctx.check(r.cellsChanged.length === 0 && r.asyncResponses.length === 0, 'no command reached the meter: no cell changed');
        expectHolder(ctx, d.eui, ['networkOperatorDS'], ACB);
      },
    },
    {
      id: 'right-dno',
      title: "The supplier sends the registered DNO's certificates (6.21): accepted",
      narration: 'With the certificates of the network operator in registration data the check passes and the DCC hands the cells over.',
      async run(ctx) {
        const d = ctx.get<PickedDevice>('esme');
        const r = await ctx.handover({ supplier: d.supplier, device: d.eui, role: 'NetworkOperator', certificatesOf: d.networkOperator });
        ctx.check(r.responseCode === 'I99' && r.outcome === 'I0', `accepted and carried out (I99 then I0; got ${r.responseCode}, ${r.outcome})`);
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], d.networkOperator);
        await expectCompliance(ctx, d.eui, 'compliant', null);
      },
    },
    {
      id: 'why-it-matters',
      title: 'Why it matters: a meter that got the wrong certificate before the check',
      narration:
        "Once a network operator certificate is on a meter only its holder can replace it: 6.15.1 NOByNO must be signed with the key of the certificate in the network operator cell. " +
        'An ESME that got another DNO\'s certificate is non-compliant, and its own DNO cannot reach it: the DCC accepts the DNO\'s request, the meter discards it.',
      async run(ctx) {
        const [bad] = store(ctx).findDevicesByCells({ type: 'ESME', status: 'Commissioned', limit: 200 }).filter((x) => {
          const holder = ctx.holder(x.eui, 'networkOperatorDS');
          return holder !== null && holder !== ACB && holder !== x.networkOperatorEui;
        });
        if (!bad || !bad.networkOperatorEui) {
          ctx.say('this world has no ESME holding another DNO\'s certificate among the first 200 commissioned ESMEs; nothing more to show');
          return;
        }
        ctx.say(`ESME ${dashedEui(bad.eui)} is registered to ${ctx.name(bad.networkOperatorEui)} but holds ${ctx.name(ctx.holder(bad.eui, 'networkOperatorDS'))}'s certificate`);
        await expectCompliance(ctx, bad.eui, 'non-compliant', 'other-network-operator');
        const r = await ctx.updateCredentials({ sender: bad.networkOperatorEui, device: bad.eui, role: 'NetworkOperator', certificatesOf: bad.networkOperatorEui });
        ctx.check(r.legs[0]?.responseCode === 'I0', `the DCC issues the pre-command: the DNO is registered and sends its own certificates (got ${r.legs[0]?.responseCode})`);
        ctx.check(r.outcome === 'E21', `the meter discards the command: the registered DNO does not hold its network operator cell (no response, E21; got ${r.outcome})`);
        ctx.check(r.cellsChanged.length === 0, 'the cells are unchanged');
      },
    },
  ],
};
