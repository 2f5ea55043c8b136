// Training sandboxes: private copies of the served world, each with its own clock, served under
// /sandboxes/{id}/. The door of src/sandboxes/.
export { Sandboxes, MAX_SANDBOXES } from './sandboxes.ts';
export type { SandboxInfo, ServedWorld, ServeSandbox } from './sandboxes.ts';
