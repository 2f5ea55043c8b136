import { dashedEui, RemotePartyRole, type Eui } from '../../../pki/index.ts';
import { allStrandedDevices, transferNetwork, type StrandedDevice } from '../../compliance/index.ts';
import { GAS_TRANSPORTERS, revokeCertificate } from '../../world/index.ts';
import type { ScenarioDefinition, StepContext } from '../runner.ts';
import { ACB, expectCompliance, expectHolder, store } from './common.ts';

const gt = (key: string): Eui => GAS_TRANSPORTERS.find((g) => g.key === key)!.eui;
const OUTGOING = gt('NGGD');
const INCOMING = gt('CADENT');

function stranded(ctx: StepContext): StrandedDevice[] {
  return ctx.get<StrandedDevice[]>('stranded');
}

export const smkiRecovery: ScenarioDefinition = {
  name: 'smki-recovery',
  title: "The SMKI Recovery Event: National Grid's certificates out of Cadent's GPFs (MP128)",
  summary:
    "Cadent's GPFs still hold National Grid Gas Distribution's network operator certificates after the sale, and National Grid can no longer " +
    "replace them: its certificates are revoked. No DUIS request can reach those cells now; the DCC's SMKI Recovery puts the ACB's certificates " +
    'in them, and the post-commissioning report is clean for them.',
  sources: ['MP128 (considerations: National Grid -> Cadent; stranded devices)', 'SEC Appendix L, SMKI Recovery Procedure', 'GBCS CS02b anyExceptAbnormalRootByRecovery', 'MP128B'],
  steps: [
    {
      id: 'the-sale',
      title: "Registration data: National Grid's supply points are Cadent's",
      narration:
        "The gas registration data provider moves the MPRNs of the sold networks to Cadent. GPFs where the supplier placed National Grid's certificates keep them.",
      run(ctx) {
        const t = transferNetwork(ctx.world, { from: OUTGOING, to: INCOMING, limit: 1 });
        ctx.say(`registration data: ${t.moved} supply point(s) moved from ${t.from.name} to ${t.to.name}`);
        const all = allStrandedDevices(ctx.world, OUTGOING, { registeredTo: INCOMING });
        if (all.length === 0) ctx.fail(`no device at Cadent's supply points holds ${ctx.name(OUTGOING)}'s certificates (has this scenario already run on this world?)`);
        ctx.vars.stranded = all;
        ctx.say(`${all.length} device(s) at Cadent's supply points hold ${ctx.name(OUTGOING)}'s certificates, e.g. ${all.slice(0, 3).map((d) => `${d.type} ${dashedEui(d.eui)}`).join(', ')}`);
        ctx.check(all.every((d) => d.type === 'GPF'), 'they are GPFs');
      },
    },
    {
      id: 'compromise',
      title: "National Grid's network operator certificates are revoked",
      narration:
        "Its keys are compromised (or it has gone): the SMKI revokes its network operator certificates. A 6.15.1 NOByNO must be signed with the key its " +
        "certificate in the GPF's cell names, and the DCC takes no signature of a revoked certificate: the DUIS remedy of MP128A is gone.",
      async run(ctx) {
        const at = await ctx.now();
        const certs = ctx.world.store.searchCertificates({ eui: OUTGOING, role: RemotePartyRole.NetworkOperator, kind: 'organisation' }).filter((c) => c.revokedAt === null);
        for (const c of certs) revokeCertificate(ctx.world, c.id, 'keyCompromise', at);
        ctx.say(`the SMKI revoked ${certs.length} network operator certificate(s) of ${ctx.name(OUTGOING)}`);
        const d = stranded(ctx)[0]!;
        await expectCompliance(ctx, d.eui, 'non-compliant');
        const r = await ctx.updateCredentials({ sender: OUTGOING, device: d.eui, role: 'NetworkOperator', certificatesOf: ACB });
        ctx.check(r.outcome !== 'I0', `${ctx.name(OUTGOING)}'s own 6.15.1 cannot replace them (got ${r.outcome}${r.reason ? `: ${r.reason}` : ''})`);
        expectHolder(ctx, d.eui, ['networkOperatorDS', 'networkOperatorKA'], OUTGOING);
      },
    },
    {
      id: 'recovery',
      title: "The DCC's SMKI Recovery puts the ACB's certificates in their network operator cells",
      narration:
        "The DCC's Recovery party signs a CS02b anyExceptAbnormalRootByRecovery to each GPF with the key in its recovery cell, which every device trusts: " +
        "it may replace any cell but the root. The ACB's certificates go into the network operator cells, which MP128B accepts in a GPF. " +
        'Each command is a row of the request log with who ordered it and why.',
      async run(ctx) {
        const devices = stranded(ctx).map((d) => d.eui);
        const r = await ctx.recover({
          event: 'recovery',
          devices,
          place: [{ cells: 'networkOperator', certificatesOf: ACB }],
          reason: `MP128: ${ctx.name(OUTGOING)}'s certificates revoked, stranded in Cadent's GPFs`,
          requestedBy: 'DCC SMKI recovery (scenario smki-recovery)',
        });
        ctx.check(r.carriedOut === devices.length, `all ${devices.length} GPF(s) carried it out (${r.carriedOut} did)`);
        let ok = 0;
        for (const eui of devices) if (ctx.holder(eui, 'networkOperatorDS') === ACB && ctx.holder(eui, 'networkOperatorKA') === ACB) ok++;
        ctx.check(ok === devices.length, `all ${devices.length} GPF(s) hold the ACB's certificates in their network operator cells (${ok} do)`);
        const logged = ctx.world.store.db.prepare("SELECT count(*) AS n FROM requests WHERE path = 'recovery' AND response_code = 'I0'").get() as { n: number };
        ctx.check(logged.n >= devices.length, `the request log holds the recovery commands (${logged.n})`);
      },
    },
    {
      id: 'report-clean',
      title: 'The post-commissioning report is clean for them',
      narration: "DCC controlled again: compliant for a GPF (MP128B). No device holds National Grid's certificates; Cadent's may be placed by the suppliers (6.21) when it wishes.",
      async run(ctx) {
        await expectCompliance(ctx, stranded(ctx)[0]!.eui, 'compliant', null);
        const states = await Promise.all(stranded(ctx).map((x) => ctx.compliance(x.eui)));
        const compliant = states.filter((c) => c?.state === 'compliant').length;
        ctx.check(compliant === states.length, `the report shows all ${states.length} GPF(s) compliant (${compliant} are)`);
        const left = store(ctx).devicesHoldingCertificatesOf(OUTGOING, { limit: 1 }).total;
        ctx.check(left === 0, `no device holds ${ctx.name(OUTGOING)}'s certificates (${left} do)`);
      },
    },
  ],
};
