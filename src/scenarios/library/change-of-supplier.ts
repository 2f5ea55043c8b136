import { dashedEui, RemotePartyRole, type Eui } from '../../../pki/index.ts';
import { META } from '../../world/index.ts';
import type { SentRequest } from '../driver.ts';
import type { ScenarioDefinition } from '../runner.ts';
import { expectHolder } from './common.ts';

/** A command the losing supplier obtained for local delivery (DUIS CV 2) before the switch, not yet delivered. */
interface HeldLocally {
  request: SentRequest;
  command: Buffer;
}

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
    "Transitional CoS party — whose certificate every meter holds — signs the CS02b that puts the gaining supplier's certificates in. " +
    "The DCC refuses the losing supplier (E4); a command the losing supplier obtained for local delivery before the switch still reaches " +
    'the meter by hand, and the meter refuses it: its signer is no longer in the supplier cells.',
  sources: [
    'DUIS 6.23 Update Security Credentials (CoS)', 'GBCS CS02b SupplierByTransCoS (RTDS 6.23)',
    'DUIS command variant 2 (for local delivery), 4.1.1; GBCS: a device checks the originator against its cells on receipt',
  ],
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
      id: 'local-command',
      title: 'Before the switch, the losing supplier obtains a command for local delivery (4.1.1, CV 2)',
      narration:
        "Still the registered supplier, the losing supplier asks the DCC for a read of the import registers to be delivered locally " +
        "(command variant 2): the DCC checks the request then, and answers with the GBCS command (ACB MAC) for the supplier's installer " +
        'to give the meter over its HAN at the next visit. Nothing reaches the meter yet.',
      async run(ctx) {
        const s = ctx.get<Switch>('switch');
        const r = ctx.record(await ctx.driver.send({
          sender: s.losing, target: s.esme, commandVariant: 2, body: { kind: 'ReadInstantaneousImportRegisters' },
          description: '4.1.1 Read Instantaneous Import Registers, for local delivery (CV 2)',
        }));
        const command = ctx.driver.localCommandOf(r.requestId);
        ctx.check(r.responseCode === 'I0' && !!command, `the DCC answers I0 with the command for local delivery (got ${r.responseCode}${r.reason ? `: ${r.reason}` : ''})`);
        if (command) ctx.vars.heldLocally = { request: r, command } satisfies HeldLocally;
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
      title: 'The losing supplier can no longer reach the meter through the DCC',
      narration: 'The DCC checks registration data: the losing supplier is no longer registered for the MPAN, so its requests are refused (E4) and never reach the meter.',
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
    {
      id: 'losing-supplier-refused-by-meter',
      title: "The losing supplier's command delivered locally: the meter refuses it",
      narration:
        "The losing supplier's installer gives the meter the command it obtained before the switch. The DCC is not asked again, so its " +
        "registration check cannot stop it; the meter checks the command when it receives it, and its supplier cells now hold the gaining " +
        "supplier's certificates: the originator holds no cell that may send it, so the meter discards it and answers nothing. The request's " +
        "final outcome becomes a failure (E21) with the meter's reason.",
      async run(ctx) {
        const s = ctx.get<Switch>('switch');
        const held = ctx.get<HeldLocally>('heldLocally');
        const { result, cellsChanged } = await ctx.driver.deliverLocally(s.esme, held.command);
        ctx.say(`the installer's hand-held terminal gives ${dashedEui(s.esme)} the command of ${held.request.requestId}: ${result.accepted ? 'the meter took it' : `the meter discarded it: ${result.reason}`}`);
        ctx.check(!result.accepted, 'the meter refuses the command');
        ctx.check(/holds no cell/.test(result.reason ?? ''), `the meter's reason: the losing supplier holds none of its cells (got ${result.reason ?? 'none'})`);
        ctx.check(cellsChanged.length === 0, 'nothing on the meter changed');
        const final = ctx.driver.finalOutcomeOf(held.request.requestId);
        ctx.record({
          ...held.request,
          description: '4.1.1 Read Instantaneous Import Registers (CV 2), delivered locally after the switch',
          finalResponseCode: final?.code ?? held.request.finalResponseCode,
          finalReason: final?.reason ?? null,
          deviceAlertCode: final?.alertCode ?? null,
          succeeded: !(final?.code ?? 'I0').startsWith('E'),
          asyncResponses: [],
          cellsChanged,
        });
        ctx.check(final?.code === 'E21' && (final.reason ?? '').includes(result.reason ?? '\u0000'), `the request's final outcome is a failure with the meter's reason (E21; got ${final?.code ?? 'none'})`);
        expectHolder(ctx, s.esme, ['supplierDS', 'supplierKA'], s.gaining);
      },
    },
  ],
};
