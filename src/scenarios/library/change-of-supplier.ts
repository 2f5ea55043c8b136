import { dashedEui, RemotePartyRole, type Eui } from '../../../pki/index.ts';
import { META } from '../../world/index.ts';
import type { ScenarioDefinition } from '../runner.ts';
import { expectHolder } from './common.ts';

interface Switch {
  esme: Eui;
  mpan: string;
  losing: Eui;
  gaining: Eui;
}

export const changeOfSupplier: ScenarioDefinition = {
  name: 'change-of-supplier',
  title: 'Change of supplier: the Transitional CoS party swaps the supplier cells',
  summary:
    "A customer switches supplier. Registration data names the gaining supplier from the switch date; the losing supplier's " +
    "certificates are still in the meter. The gaining supplier sends 6.23 Update Security Credentials (CoS), and the DCC's " +
    "Transitional CoS party — whose certificate every meter holds — signs the CS02b that puts the gaining supplier's certificates in.",
  sources: ['DUIS 6.23 Update Security Credentials (CoS)', 'GBCS CS02b SupplierByTransCoS (RTDS 6.23)'],
  steps: [
    {
      id: 'supplied',
      title: 'A commissioned ESME holds its supplier\'s certificates',
      narration: 'The meter trusts its supplier through the supplier cells; the Transitional CoS cell holds the DCC\'s TransCoS certificate.',
      run(ctx) {
        const w = ctx.world;
        const suppliers = w.store.listParties().filter((p) => p.dccUser && p.userRoles.includes('IS') && w.currentOrganisationCertificates(p.eui, RemotePartyRole.Supplier).ds);
        for (const d of w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 500 }).devices) {
          const sp = d.mpxn ? w.store.getSupplyPoint(d.mpxn) : undefined;
          if (!sp?.supplierEui || ctx.holder(d.eui, 'supplierDS') !== sp.supplierEui) continue;
          const gaining = suppliers.find((p) => p.eui !== sp.supplierEui);
          if (!gaining) break;
          ctx.vars.switch = { esme: d.eui, mpan: sp.mpxn, losing: sp.supplierEui, gaining: gaining.eui } satisfies Switch;
          ctx.say(`ESME ${dashedEui(d.eui)} at MPAN ${sp.mpxn}, supplied by ${ctx.name(sp.supplierEui)}; ${ctx.name(gaining.eui)} wins the customer`);
          expectHolder(ctx, d.eui, ['supplierDS', 'supplierKA'], sp.supplierEui);
          return;
        }
        ctx.fail('this world has no commissioned ESME whose supplier cells hold its registered supplier, or no second supplier');
      },
    },
    {
      id: 'registration',
      title: 'Registration data names the gaining supplier',
      narration: 'From the switch date the DCC\'s registration data names the gaining supplier for the MPAN; the meter still trusts the losing one.',
      run(ctx) {
        const s = ctx.get<Switch>('switch');
        ctx.world.store.setSupplier(s.mpan, s.gaining);
        ctx.say(`MPAN ${s.mpan}: registered supplier ${ctx.name(s.losing)} -> ${ctx.name(s.gaining)}`);
        ctx.check(ctx.holder(s.esme, 'supplierDS') === s.losing, `the meter's supplier cells still hold ${ctx.name(s.losing)}'s certificates`);
      },
    },
    {
      id: 'losing-supplier-refused',
      title: 'The losing supplier can no longer reach the meter',
      narration: 'The DCC checks registration data: the losing supplier is no longer registered for the MPAN, so its requests are refused (E4).',
      async run(ctx) {
        const s = ctx.get<Switch>('switch');
        const r = await ctx.readCredentials({ sender: s.losing, device: s.esme, roles: ['Supplier'] });
        ctx.check(r.responseCode === 'E4', `the DCC refuses ${ctx.name(s.losing)} with E4 (got ${r.responseCode})`);
      },
    },
    {
      id: 'cos',
      title: 'The gaining supplier sends 6.23; the Transitional CoS party swaps the cells',
      narration:
        "The DCC signs a CS02b SupplierByTransCoS as the Transitional CoS party (the ACB adds the MAC); the meter checks it against its TransCoS cell and replaces the supplier cells.",
      async run(ctx) {
        const s = ctx.get<Switch>('switch');
        const c = ctx.world.currentOrganisationCertificates(s.gaining, RemotePartyRole.Supplier);
        const r = ctx.record(await ctx.driver.send({
          sender: s.gaining,
          target: s.esme,
          commandVariant: 1,
          body: {
            kind: 'UpdateSecurityCredentialsCoS', remotePartyRole: 'Supplier', floorSeqNumber: 0n, topUpFloorSeqNumber: 0n,
            digitalSigning: c.ds!.der, ...(c.ka ? { keyAgreement: c.ka.der } : {}), ...(c.kaTopUp ? { keyAgreementTopUp: c.kaTopUp.der } : {}),
            certificationPath: [ctx.world.certificate(Number(ctx.world.meta(META.issuingCaId))).der], applyTimeBasedCpvChecks: true, importMpxn: s.mpan,
          },
        }));
        ctx.check(r.responseCode === 'I99' && r.outcome === 'I0', `acknowledged and carried out by the meter (I99, I0; got ${r.responseCode}, ${r.outcome})`);
        expectHolder(ctx, s.esme, ['supplierDS', 'supplierKA'], s.gaining);
      },
    },
    {
      id: 'gaining-supplier-acts',
      title: 'The gaining supplier now reaches the meter',
      narration: 'Registered and in the cells: the gaining supplier\'s requests go through.',
      async run(ctx) {
        const s = ctx.get<Switch>('switch');
        const r = await ctx.readCredentials({ sender: s.gaining, device: s.esme, roles: ['Supplier'] });
        ctx.check(r.responseCode === 'I99' && r.outcome === 'I0', `${ctx.name(s.gaining)} reads the meter's supplier cells (I99, I0; got ${r.responseCode}, ${r.outcome})`);
      },
    },
  ],
};
