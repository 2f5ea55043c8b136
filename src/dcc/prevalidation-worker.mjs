// Entry of a prevalidation worker thread. A worker does not inherit the TypeScript loader its
// parent registered (bin/dcc-sim.mjs's register(), vitest's transform), so it registers tsx itself
// before loading the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./prevalidation-worker.ts');
