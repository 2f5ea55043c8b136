import { Option, type Command } from 'commander';
import { parseEui } from '../../pki/index.ts';
import { loadExamples, WorldError, type ExampleKind } from '../world/index.ts';
import { dbOption, withWorld } from './options.ts';

// `example KIND`: a ready-to-send DUIS request for a device.

export function registerExample(program: Command): void {
  program
    .command('example')
    .argument('<service>', 'a service reference variant (e.g. 6.21) or example name; `list` lists them')
    .description('print a ready-to-send DUIS request for a device, indented: <service> is a service reference variant (e.g. 7.4) or an example name such as handover (6.21), update-credentials (6.15.1), read-supply (7.4), pre-notify (12.2, for a device not yet in the inventory); `dcc-sim example list` names them all')
    .addOption(dbOption())
    .option('--device <eui>', 'the device the request is for (required unless the service is `list`)')
    .addOption(new Option('--role <role>', 'send as the supplier or the network operator, for services either may send (default: the service\'s usual sender)').choices(['Supplier', 'NetworkOperator']))
    .option('--compact', 'print the XML on one line, as it is signed')
    .action(async (kind: string, o: { db: string; device?: string; role?: 'Supplier' | 'NetworkOperator'; compact?: boolean }) => {
      const { exampleRequest, exampleKinds } = await loadExamples();
      if (kind === 'list') {
        process.stdout.write(exampleKinds().join('\n') + '\n');
        return;
      }
      if (!o.device) throw new WorldError('bad-argument', 'an example needs --device <eui>');
      const device = o.device;
      withWorld(o.db, (w) => {
        const xml = w.store.transaction(() => exampleRequest(w, kind as ExampleKind, { device: parseEui(device), ...(o.role ? { role: o.role } : {}), pretty: !o.compact }));
        process.stdout.write(xml + '\n');
      });
    });
}
