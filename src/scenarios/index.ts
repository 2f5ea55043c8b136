// Training scenarios and the DUIS driver they run on: scripted, narrated walk-throughs that check
// their own outcome, step by step for the console or all at once from the command line; and the
// MP128A remedy carried out as real DUIS. The door of src/scenarios/.
import { WorldError } from '../world/index.ts';
import { SCENARIOS } from './library/index.ts';
import type { ScenarioDefinition } from './runner.ts';

export { SCENARIOS };
export { ScenarioRun, StepContext, formatStepResult } from './runner.ts';
export type { ScenarioDefinition, ScenarioStep, ScenarioHost, StepResult, RunSummary, RunStatus, Assertion, RequestSummary } from './runner.ts';
export {
  DuisDriver,
  httpTransport,
  injectTransport,
  dccClock,
  httpClock,
  partyCertificates,
  snapshotCells,
  diffCells,
} from './driver.ts';
export type { DuisTransport, ScenarioClock, SentRequest, SentLeg, CellChange, CellHolder, CellSnapshot } from './driver.ts';
export { remedyDevice, remedyAll, describeRemedy } from './remedy.ts';
export type { RemedyOutcome, RemedySummary } from './remedy.ts';
export { inProcessHost, remoteHost, serverHost, scratchWorld, copyOfWorld, SCRATCH_PREMISES, SCRATCH_SEED } from './hosts.ts';
export type { ClosableHost } from './hosts.ts';

export function findScenario(name: string): ScenarioDefinition {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new WorldError('unknown-scenario', `no scenario '${name}': one of ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}

/** What a list of scenarios shows: names, titles, summaries and their steps (no actions). */
export function describeScenarios() {
  return SCENARIOS.map((s) => ({
    name: s.name,
    title: s.title,
    summary: s.summary,
    sources: s.sources,
    steps: s.steps.map((st, index) => ({ index, id: st.id, title: st.title, narration: st.narration })),
  }));
}
