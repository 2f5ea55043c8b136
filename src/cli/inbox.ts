import { Option, type Command } from 'commander';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { deliveryStatus, GatewayStore, inboxEntry } from '../../db/index.ts';
import { WorldError } from '../world/index.ts';
import { countArgument, dbOption, jsonOption, out, withWorld } from './options.ts';
import { table } from './output.ts';

// `inbox --as EUI`: a party's mailbox, every asynchronous response and alert queued for it,
// delivered or not, read straight from the world file (a running server may have it open).

export function registerInbox(program: Command): void {
  program
    .command('inbox')
    .description("a party's asynchronous responses and alerts, newest first, delivered or not (whether or not it has a Receive Response Service URL)")
    .requiredOption('--as <eui>', 'the party')
    .addOption(dbOption())
    .option('--limit <n>', 'how many, newest first', '20')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(['response', 'device-alert', 'dcc-alert']))
    .option('--code <code>', 'only this response or alert code (e.g. E21)')
    .option('--request-id <id>', 'only responses to this DUIS RequestID')
    .addOption(new Option('--xml', 'print the signed DUIS documents'))
    .addOption(jsonOption())
    .action((o: { as: string; db: string; limit: string; kind?: string; code?: string; requestId?: string; xml?: boolean; json?: boolean }) =>
      withWorld(o.db, (w) => {
        let eui: string;
        try {
          eui = parseEui(o.as);
        } catch {
          throw new WorldError('bad-argument', `--as '${o.as}' is not an EUI-64 (16 hex digits, dashes allowed)`);
        }
        const party = w.store.getParty(eui);
        if (!party) throw new WorldError('unknown-party', `no party ${dashedEui(eui)} in the world (dcc-sim parties list)`);
        const limit = countArgument('--limit', o.limit);
        const { entries, total } = new GatewayStore(w.store.db).inbox(eui, { kind: o.kind, responseCode: o.code, requestId: o.requestId, limit });
        const view = entries.map((r) => ({
          ...inboxEntry(r, party.responseUrl !== null),
          ...(o.xml ? { xml: r.body === '' ? null : r.body } : {}),
        }));
        out(o.json, { party: dashedEui(eui), name: party.name, responseUrl: party.responseUrl, total, entries: view }, () => {
          const head = `${party.name} (${dashedEui(eui)}): ${total} in the mailbox, showing ${entries.length}; Receive Response Service ${party.responseUrl ?? 'not set (responses are kept here only)'}`;
          if (o.xml) return [head, ...entries.map((r) => `\n# ${r.id} ${r.kind} ${r.responseCode} ${r.requestId ?? '-'}\n${r.body === '' ? '(XML dropped by retention after delivery)' : r.body}`)].join('\n');
          const rows = entries.map((r) => [
            String(r.id),
            r.createdAt.replace(/\.\d+Z$/, 'Z'),
            r.kind,
            r.responseCode,
            r.requestId ?? '-',
            deliveryStatus(r, party.responseUrl !== null),
            String(r.attempts),
            r.deliveredAt?.replace(/\.\d+Z$/, 'Z') ?? '-',
            (r.lastError ?? '').slice(0, 60),
          ]);
          return [head, table([['ID', 'CREATED', 'KIND', 'CODE', 'REQUEST ID', 'STATUS', 'TRIES', 'DELIVERED', 'LAST ERROR'], ...rows])].join('\n');
        });
      }),
    );
}
