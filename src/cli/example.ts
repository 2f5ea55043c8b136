import { Option, type Command } from 'commander';
import { parseEui } from '../../pki/index.ts';
import { loadExamples, WorldError, type ExampleKind } from '../world/index.ts';
import { dbOption, withWorld } from './options.ts';

// `example KIND`: a ready-to-send DUIS request for a device.

export function registerExample(program: Command): void {
  program
    .command('example <kind>')
    .description('print a ready-to-send DUIS request for a device: handover (6.21), update-credentials (6.15.1, issues fresh certificates), read-credentials (6.24.1), read-inventory (8.2), update-inventory (8.4), pre-notify (12.2, for a device not yet in the inventory), change-of-supplier (6.23, as the registered supplier)')
    .addOption(dbOption())
    .requiredOption('--device <eui>')
    .addOption(new Option('--role <role>', 'RemotePartyRole').choices(['Supplier', 'NetworkOperator']).default('Supplier'))
    .action(async (kind: string, o: { db: string; device: string; role: 'Supplier' | 'NetworkOperator' }) => {
      const { exampleRequest, exampleKinds } = await loadExamples();
      withWorld(o.db, (w) => {
        // The registry's example builders (the description above names them for --help without loading it).
        const kinds = exampleKinds();
        if (!kinds.includes(kind)) throw new WorldError('bad-argument', `unknown example '${kind}': one of ${kinds.join(', ')}`);
        const xml = w.store.transaction(() => exampleRequest(w, kind as ExampleKind, { device: parseEui(o.device), role: o.role }));
        process.stdout.write(xml + '\n');
      });
    });
}
