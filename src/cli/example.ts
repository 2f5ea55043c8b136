import { Option, type Command } from 'commander';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { loadExamples, type ExampleKind } from '../world/index.ts';
import { dbOption, withWorld } from './options.ts';

// `example KIND`: a ready-to-send DUIS request for a device.

export function registerExample(program: Command): void {
  program
    .command('example')
    .argument('<service>', 'a service reference variant (e.g. 6.21) or example name; `list` lists them')
    .description('print a ready-to-send DUIS request for a device, indented: <service> is a service reference variant (e.g. 7.4) or an example name such as handover (6.21), update-credentials (6.15.1), read-supply (7.4), pre-notify (12.2, for a device not yet in the inventory); `dcc-sim example list` names them all')
    .addOption(dbOption())
    .option('--device <eui>', 'the device the request is for (default: a device of the world the service suits)')
    .addOption(new Option('--role <role>', 'send as the supplier or the network operator, for services either may send (default: the service\'s usual sender)').choices(['Supplier', 'NetworkOperator']))
    .option('--compact', 'print the XML on one line, as it is signed')
    .action(async (kind: string, o: { db: string; device?: string; role?: 'Supplier' | 'NetworkOperator'; compact?: boolean }) => {
      const { exampleRequest, exampleKinds } = await loadExamples();
      if (kind === 'list') {
        process.stdout.write(exampleKinds().join('\n') + '\n');
        return;
      }
      const { suitableDevice } = await loadExamples();
      withWorld(o.db, (w) => {
        const role = o.role ? { role: o.role } : {};
        const xml = w.store.transaction(() => {
          // no --device: a device of the world the service suits (said on stderr, so stdout stays the request)
          const pick = o.device ? { device: parseEui(o.device), ...role } : suitableDevice(w, kind as ExampleKind, role);
          if (!o.device) process.stderr.write(`for ${w.store.getDevice(pick.device)?.type ?? 'new device'} ${dashedEui(pick.device)}, a device the service suits (choose one with --device)\n`);
          return exampleRequest(w, kind as ExampleKind, { ...pick, pretty: !o.compact });
        });
        process.stdout.write(xml + '\n');
      });
    });
}
