import type { Command } from 'commander';
import { parseDuration, SimulatedClock, WorldError } from '../world/index.ts';
import { dbOption, withWorld } from './options.ts';

// `clock show|set|advance`: the world's simulated time.

export function registerClock(program: Command): void {
  const clock = program.command('clock').description("the world's simulated time (certificate validity, future-dated commands, the 7-day rule)");
  clock
    .command('show')
    .description("the world's simulated time now")
    .addOption(dbOption())
    .action((o: { db: string }) => {
      withWorld(o.db, (w) => process.stdout.write(new SimulatedClock(w.store).now().toISOString() + '\n'));
    });
  clock
    .command('set')
    .argument('<time>', 'the new simulated time (ISO 8601)')
    .description('set the simulated time (ISO 8601), or "real" to follow real time again')
    .addOption(dbOption())
    .action((time: string, o: { db: string }) =>
      withWorld(o.db, (w) => {
        const c = new SimulatedClock(w.store);
        if (time === 'real') c.reset();
        else {
          const t = new Date(time);
          if (Number.isNaN(t.getTime())) throw new WorldError('bad-argument', `'${time}' is not a date-time (ISO 8601) or "real"`);
          c.set(t);
        }
        process.stdout.write(c.now().toISOString() + '\n');
      }),
    );
  clock
    .command('advance')
    .argument('<duration>', 'how far: 90s, 15m, 2h, 7d')
    .description('move the simulated time forward, e.g. 7d, 36h, 90m, 30s')
    .addOption(dbOption())
    .action((duration: string, o: { db: string }) => {
      withWorld(o.db, (w) => process.stdout.write(new SimulatedClock(w.store).advance(parseDuration(duration)).toISOString() + '\n'));
    });
}
