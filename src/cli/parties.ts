import type { Command } from 'commander';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { WorldError } from '../world/index.ts';
import { dbOption, jsonOption, out, withWorld } from './options.ts';
import { table } from './output.ts';

// `parties ...`: DCC Users, network parties and the DCC: their flags, response URLs, and ceasing to be a DCC User.

function flagArgument(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (/^(true|yes|on|1)$/i.test(text)) return true;
  if (/^(false|no|off|0)$/i.test(text)) return false;
  throw new WorldError('bad-argument', `${name} takes true or false, got '${text}'`);
}

export function registerParties(program: Command): void {
  const parties = program.command('parties').description('DCC Users, network parties and the DCC');
  parties
    .command('list')
    .description('every party of the world: DCC Users, network parties and the DCC, with their roles and Receive Response Service URLs')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action((o: { db: string; json?: boolean }) =>
      withWorld(o.db, (w) => {
        const list = w.store.listParties();
        out(o.json, list, () =>
          table([
            ['EUI', 'NAME', 'ROLES', 'DCC USER', 'SMKI', 'UEPT', 'DEVICE CSR', 'RESPONSE URL'],
            ...list.map((p) => [
              dashedEui(p.eui),
              p.name,
              p.isDcc ? 'DCC' : p.userRoles.join(','),
              p.dccUser ? 'yes' : 'no',
              p.smkiSubscriber ? 'yes' : 'no',
              p.ueptCompleted ? 'yes' : 'no',
              p.deviceSubscriber ? 'yes' : 'no',
              p.responseUrl ?? '-',
            ]),
          ]),
        );
      }),
    );

  parties
    .command('set')
    .argument('<eui>', 'the party: an EUI-64, dashes optional')
    .description('set a party\'s flags: UEPT completed, Authorised Subscriber for Device Certificates (MP074), SMKI subscriber, DCC User')
    .addOption(dbOption())
    .option('--uept <bool>', 'has completed User Entry Process Tests (true|false)')
    .option('--device-subscriber <bool>', 'is an Authorised Subscriber for Device Certificates: may send device CSRs over the gateway (true|false)')
    .option('--smki-subscriber <bool>', 'is an SMKI subscriber (true|false)')
    .option('--dcc-user <bool>', 'is a DCC User (true|false)')
    .addOption(jsonOption())
    .action((euiText: string, o: { db: string; uept?: string; deviceSubscriber?: string; smkiSubscriber?: string; dccUser?: string; json?: boolean }) =>
      withWorld(o.db, (w) => {
        const eui = parseEui(euiText);
        const flags = {
          ueptCompleted: flagArgument('--uept', o.uept),
          deviceSubscriber: flagArgument('--device-subscriber', o.deviceSubscriber),
          smkiSubscriber: flagArgument('--smki-subscriber', o.smkiSubscriber),
          dccUser: flagArgument('--dcc-user', o.dccUser),
        };
        if (Object.values(flags).every((v) => v === undefined)) {
          throw new WorldError('bad-argument', 'give at least one of --uept, --device-subscriber, --smki-subscriber, --dcc-user');
        }
        w.store.setPartyFlags(eui, flags);
        const p = w.store.getParty(eui)!;
        const view = { eui: p.eui, name: p.name, dccUser: p.dccUser, smkiSubscriber: p.smkiSubscriber, ueptCompleted: p.ueptCompleted, deviceSubscriber: p.deviceSubscriber ?? false };
        out(o.json, view, () =>
          `${p.name} (${dashedEui(p.eui)}): DCC User ${p.dccUser ? 'yes' : 'no'}, SMKI subscriber ${p.smkiSubscriber ? 'yes' : 'no'}, UEPT ${p.ueptCompleted ? 'completed' : 'not completed'}, device CSRs ${p.deviceSubscriber ? 'authorised' : 'not authorised'}`,
        );
      }),
    );
  parties
    .command('set-response-url')
    .argument('<eui>', 'the party: an EUI-64, dashes optional')
    .argument('<url>', 'where the DCC posts its asynchronous responses and alerts (http or https)')
    .description("the party's Receive Response Service address for asynchronous DUIS responses")
    .addOption(dbOption())
    .action((euiText: string, url: string, o: { db: string }) =>
      withWorld(o.db, (w) => {
        const eui = parseEui(euiText);
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new WorldError('bad-argument', `'${url}' is not an absolute URL (e.g. http://127.0.0.1:1880/duis)`);
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          throw new WorldError('bad-argument', `response URL must be http or https, got ${parsed.protocol}`);
        }
        w.store.setResponseUrl(eui, parsed.toString());
        process.stdout.write(`response URL of ${dashedEui(eui)} set to ${parsed.toString()}\n`);
      }),
    );

  parties
    .command('cease-dcc-user')
    .argument('<eui>', 'the party: an EUI-64, dashes optional')
    .description('a network party ceases to be a DCC User (MP128A): refused while devices hold its certificates; then its certificates are revoked')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (euiText: string, o: { db: string; json?: boolean }) => {
      const c = await import('../compliance/index.ts');
      withWorld(o.db, (w) => {
        let r;
        try {
          r = c.ceaseDccUser(w, parseEui(euiText));
        } catch (err) {
          if (err instanceof c.CeaseRefused) {
            const name = (e: string | null) => (e ? (w.store.getParty(e)?.name ?? dashedEui(e)) : '-');
            const sample = err.refusal.sample.map((d) => `  ${d.type} ${dashedEui(d.eui)} MPxN ${d.mpxn ?? '-'} registered to ${name(d.registeredNetworkOperatorEui)} (${d.cells.join('+')})`);
            throw new WorldError(err.code, `${err.message}\n${sample.join('\n')}${err.refusal.devicesHoldingCertificates > sample.length ? `\n  ... and ${err.refusal.devicesHoldingCertificates - sample.length} more` : ''}`);
          }
          throw err;
        }
        out(o.json, r, () => `${r.party.name} (${dashedEui(r.party.eui)}) is no longer a DCC User nor an SMKI Subscriber (${r.at}); revoked ${r.revokedCertificates.length} certificate(s): ${r.revokedCertificates.map((x) => x.serial).join(', ')}`);
      });
    });
}
