// Entry of the command line (bin/dcc-sim.mjs loads this file); the commands are in src/cli/.
import { runCommandLine } from './cli/index.ts';

await runCommandLine(process.argv);
