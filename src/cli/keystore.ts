import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportKeystore } from '../world/index.ts';
import { dbOption, withWorld } from './options.ts';

// `keystore export`: the parties' certificates and keys as a DCC Boxed keystore.json.

export function registerKeystore(program: Command): void {
  program
    .command('keystore')
    .description('DCC Boxed keystore interchange')
    .command('export')
    .description("write the parties' certificates and private keys as a DCC Boxed keystore.json")
    .addOption(dbOption())
    .requiredOption('--out <file>', 'the keystore.json to write')
    .action((o: { db: string; out: string }) =>
      withWorld(o.db, (w) => {
        const { json, entries } = exportKeystore(w);
        writeFileSync(o.out, json);
        process.stdout.write(`wrote ${entries} keystore entries to ${o.out}\n`);
      }),
    );
}
