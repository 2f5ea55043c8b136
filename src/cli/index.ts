// Loaded first, before any module that may use decorators' metadata, as the command line always has.
import 'reflect-metadata';
import { Command } from 'commander';
import { registerSeed } from './seed.ts';
import { registerDevices } from './devices.ts';
import { registerCerts } from './certs.ts';
import { registerParties } from './parties.ts';
import { registerKeystore } from './keystore.ts';
import { registerServe } from './serve.ts';
import { registerSend } from './send.ts';
import { registerExample } from './example.ts';
import { registerClock } from './clock.ts';
import { registerReport } from './report.ts';
import { registerScenario } from './scenario.ts';
import { registerInfo } from './info.ts';
import { registerInbox } from './inbox.ts';
import { registerRecovery } from './recovery.ts';
import { endQuietlyOnClosedPipe } from './output.ts';
import { registerSandbox } from './sandbox.ts';

// The dcc-sim command line. Every command takes --json for machine-readable output; errors go to
// stderr with a non-zero exit and leave the world file as it was. The door of src/cli/.

/** Adds one group of commands to the program. */
export type CommandGroup = (program: Command) => void;

/** The command groups, in the order `dcc-sim --help` lists them. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  registerSeed,
  registerDevices,
  registerCerts,
  registerParties,
  registerKeystore,
  registerServe, // serve, demo
  registerSend, // send, sign-precommand
  registerInbox,
  registerExample,
  registerClock,
  registerReport,
  registerScenario,
  registerRecovery,
  registerInfo,
  registerSandbox,
];

export function buildProgram(groups: readonly CommandGroup[] = COMMAND_GROUPS): Command {
  const program = new Command('dcc-sim')
    .description('Simulator of the GB smart-metering DCC Data System and the devices behind it')
    .showHelpAfterError();
  for (const register of groups) register(program);
  return program;
}

/** Runs the command line on `argv` (node's, as process.argv); a failure is one line on stderr and exit code 1. */
export async function runCommandLine(argv: readonly string[]): Promise<void> {
  endQuietlyOnClosedPipe();
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const e = err as Error & { code?: string };
    // The two start-up failures people meet first get a hint.
    const hint = e.code === 'EADDRINUSE' ? ' (another process listens there: stop it, or give --port PORT)' : '';
    process.stderr.write(`dcc-sim: ${e.message}${hint}\n`);
    if (process.env.DCC_SIM_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
}
