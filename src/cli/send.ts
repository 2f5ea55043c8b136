import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { World, WorldError } from '../world/index.ts';
import { dbOption, jsonOption, out, withWorld } from './options.ts';

// `send` and `sign-precommand`: act as a party of the world towards a running DCC (the client loads lazily).

export function registerSend(program: Command): void {
  program
    .command('send <request>')
    .description('sign a DUIS request (a template will do) as a party of the world and send it; critical requests go through both legs')
    .addOption(dbOption())
    .option('--as <eui>', 'the sending party (default: the RequestID originator)')
    .option('--url <url>', 'dcc-sim base URL', 'http://127.0.0.1:8079')
    .option('--preserve-counter', 'keep the RequestID counter instead of a fresh one')
    .option('--wait <seconds>', 'wait this long for the asynchronous responses and print them', '5')
    .addOption(jsonOption())
    .action(async (file: string, o: { db: string; as?: string; url: string; preserveCounter?: boolean; wait: string; json?: boolean }) => {
      const { sendRequest } = await import('../client.ts');
      const world = World.open(o.db, { readonly: true });
      let legs;
      try {
        legs = await sendRequest(world, { xml: readFileSync(file, 'utf8'), as: o.as, baseUrl: o.url.replace(/\/$/, ''), preserveCounter: o.preserveCounter });
      } finally {
        world.close();
      }
      const last = legs[legs.length - 1]!;
      const requestId = last.response?.requestId?.text;
      let asyncResponses: unknown[] = [];
      if (last.responseCode === 'I99' && requestId && Number(o.wait) > 0) {
        const deadline = Date.now() + Number(o.wait) * 1000;
        while (Date.now() < deadline) {
          const r = await fetch(`${o.url.replace(/\/$/, '')}/api/responses?requestId=${encodeURIComponent(requestId)}`);
          asyncResponses = (await r.json()) as unknown[];
          if (asyncResponses.length) break;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
      out(o.json, { legs: legs.map(({ response: _r, ...l }) => l), asyncResponses }, () =>
        [
          ...legs.map((l) => `${l.endpoint}: ${l.responseCode}${l.reason ? ` (${l.reason})` : ''}`),
          ...(asyncResponses as { kind: string; responseCode: string; xml: string }[]).map((a) => `asynchronous ${a.kind}: ${a.responseCode}\n${a.xml}`),
          legs.length && !asyncResponses.length ? last.responseXml : '',
        ].filter(Boolean).join('\n'),
      );
      if (!/^I(0|99)$/.test(last.responseCode)) process.exitCode = 2;
    });

  program
    .command('sign-precommand <hex>')
    .description("sign a GBCS pre-command (hex) with its originator's digital-signing key from the world; prints the signed pre-command (hex)")
    .addOption(dbOption())
    .action(async (hex: string, o: { db: string }) => {
      const { signPreCommand } = await import('../client.ts');
      withWorld(o.db, (w) => {
        const clean = hex.replace(/\s+/g, '');
        if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new WorldError('bad-argument', 'the pre-command must be hex');
        process.stdout.write(signPreCommand(w, Buffer.from(clean, 'hex')).toString('hex').toUpperCase() + '\n');
      });
    });
}
