import type { Command } from 'commander';
import { META } from '../world/index.ts';
import { dbOption, jsonOption, out, withWorld } from './options.ts';

// `info`: what a world file holds.

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('what a world file holds')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action((o: { db: string; json?: boolean }) =>
      withWorld(o.db, (w) => {
        const info = {
          profile: w.store.getMeta(META.profile),
          seed: w.store.getMeta(META.seed),
          referenceTime: w.store.getMeta(META.referenceTime),
          parties: w.store.listParties().length,
          devices: w.store.countDevices(),
        };
        out(o.json, info, () => Object.entries(info).map(([k, v]) => `${k}: ${v}`).join('\n'));
      }),
    );
}
