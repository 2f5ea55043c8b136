import { randomUUID } from 'node:crypto';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { deviceCompliance, type DeviceComplianceView } from '../compliance/index.ts';
import { World, WorldError } from '../world/index.ts';
import type { CellChange, DuisDriver, ScenarioClock, SentRequest } from './driver.ts';

// Scenarios for training: scripted, narrated walk-throughs over a world and a running DCC. A
// scenario is data (its steps' titles and narration) with a small action per step; each step says
// what happened, shows the requests it sent and the cells they changed, and checks its own expected
// outcome, so a scenario doubles as an end-to-end test. A run goes one step at a time (`next`), which
// is what the console steps through; the command line runs all steps.

export interface ScenarioStep {
  id: string;
  title: string;
  /** why: the rule or the situation the step shows (static; shown before the step runs) */
  narration: string;
  run(ctx: StepContext): Promise<void> | void;
}

export interface ScenarioDefinition {
  name: string;
  title: string;
  summary: string;
  /** the documents the scenario follows */
  sources: readonly string[];
  steps: readonly ScenarioStep[];
}

export interface ScenarioHost {
  world: World;
  driver: DuisDriver;
  clock: ScenarioClock;
}

export interface Assertion {
  ok: boolean;
  message: string;
}

/** A request as a step result shows it (the signed XML of the first leg included). */
export type RequestSummary = Omit<SentRequest, 'cellsChanged'>;

export interface StepResult {
  scenario: string;
  runId: string;
  index: number;
  id: string;
  title: string;
  narration: string;
  /** what happened, in order */
  happened: string[];
  requests: RequestSummary[];
  /** requests sent but not listed (a step that remedies a whole fleet) */
  requestsOmitted: number;
  cellsChanged: CellChange[];
  cellsChangedOmitted: number;
  assertions: Assertion[];
  ok: boolean;
  /** an unexpected failure of the step itself */
  error: string | null;
  simulatedTime: string;
  durationMs: number;
}

export type RunStatus = 'ready' | 'running' | 'passed' | 'failed';

export interface RunSummary {
  runId: string;
  scenario: string;
  title: string;
  summary: string;
  status: RunStatus;
  /** index of the next step to run */
  position: number;
  steps: { index: number; id: string; title: string; narration: string; ok: boolean | null }[];
  results: StepResult[];
}

const MAX_LISTED_REQUESTS = 20;
const MAX_LISTED_CELL_CHANGES = 100;

export class StepContext {
  readonly happened: string[] = [];
  readonly requests: RequestSummary[] = [];
  requestsOmitted = 0;
  readonly cellsChanged: CellChange[] = [];
  cellsChangedOmitted = 0;
  readonly assertions: Assertion[] = [];

  constructor(
    private readonly host: ScenarioHost,
    readonly vars: Record<string, unknown>,
  ) {}

  get world(): World {
    return this.host.world;
  }

  get driver(): DuisDriver {
    return this.host.driver;
  }

  get clock(): ScenarioClock {
    return this.host.clock;
  }

  /** A value an earlier step chose; a scenario error if it is missing. */
  get<T>(name: string): T {
    if (!(name in this.vars)) throw new WorldError('scenario', `no '${name}' was chosen by an earlier step`);
    return this.vars[name] as T;
  }

  say(line: string): void {
    this.happened.push(line);
  }

  /** Records an expected outcome; the step fails if any is not met. */
  check(ok: boolean, message: string): boolean {
    this.assertions.push({ ok, message });
    return ok;
  }

  /** Stops the step: the world does not offer what the scenario needs. */
  fail(message: string): never {
    throw new WorldError('scenario', message);
  }

  name(eui: Eui | null | undefined): string {
    if (!eui) return '(none)';
    return this.world.store.getParty(eui)?.name ?? dashedEui(eui);
  }

  /** Records a request in the step's result; `quiet` leaves it out of the narration (a fleet step says a summary instead). */
  record(sent: SentRequest, quiet = false): SentRequest {
    const { cellsChanged, ...summary } = sent;
    if (this.requests.length < MAX_LISTED_REQUESTS) this.requests.push(summary);
    else this.requestsOmitted++;
    for (const c of cellsChanged) {
      if (this.cellsChanged.length < MAX_LISTED_CELL_CHANGES) this.cellsChanged.push(c);
      else this.cellsChangedOmitted++;
    }
    if (quiet) return sent;
    const legs = sent.legs.map((l) => `${l.endpoint} CV${l.commandVariant} ${l.responseCode}`).join(', ');
    const asyncText = sent.asyncResponses.length ? `; device answer ${sent.asyncResponses.map((a) => a.responseCode).join(', ')}` : '';
    const finalText = `; final outcome ${sent.finalResponseCode} ${sent.succeeded ? 'success' : 'failure'}`;
    const cells = cellsChanged.length ? `; cells changed: ${cellsChanged.map((c) => `${c.cell} ${c.before?.name ?? '(empty)'} -> ${c.after?.name ?? '(empty)'}`).join(', ')}` : '';
    this.say(`${sent.senderName} sent ${sent.description} to ${dashedEui(sent.target)}: ${legs}${asyncText}${finalText}${sent.reason ? ` (${sent.reason})` : ''}${sent.deviceDetail ? ` [${sent.deviceDetail}]` : ''}${cells}`);
    return sent;
  }

  async handover(o: Parameters<DuisDriver['handover']>[0], quiet = false): Promise<SentRequest> {
    return this.record(await this.driver.handover(o), quiet);
  }

  async updateCredentials(o: Parameters<DuisDriver['updateCredentials']>[0], quiet = false): Promise<SentRequest> {
    return this.record(await this.driver.updateCredentials(o), quiet);
  }

  async readCredentials(o: Parameters<DuisDriver['readCredentials']>[0]): Promise<SentRequest> {
    return this.record(await this.driver.readCredentials(o));
  }

  /** The DCC's SMKI Recovery Event on devices; says what it did and records the cells it changed. */
  async recover(order: Parameters<DuisDriver['recover']>[0]): Promise<Awaited<ReturnType<DuisDriver['recover']>>['result']> {
    const { result, cellsChanged } = await this.driver.recover(order);
    for (const c of cellsChanged) {
      if (this.cellsChanged.length < MAX_LISTED_CELL_CHANGES) this.cellsChanged.push(c);
      else this.cellsChangedOmitted++;
    }
    this.say(`the DCC's recovery (${result.mode}, ordered by ${order.requestedBy}: ${order.reason}) reached ${order.devices.length} device(s): ${result.carriedOut} carried out, ${result.failed} not; request log #${result.devices.map((d) => d.requestLogId).slice(0, 3).join(', #')}${result.devices.length > 3 ? ', ...' : ''}`);
    return result;
  }

  now(): Promise<Date> {
    return this.clock.now();
  }

  /** The post-commissioning classification of a device at the simulated time. */
  async compliance(eui: Eui): Promise<DeviceComplianceView | undefined> {
    return deviceCompliance(this.world, eui, await this.clock.now());
  }

  /** Cell holder EUI of one cell of a device. */
  holder(eui: Eui, cell: 'networkOperatorDS' | 'networkOperatorKA' | 'supplierDS' | 'supplierKA'): string | null {
    const id = this.world.store.getDeviceSecurity(eui)?.cells[cell];
    return id === undefined ? null : this.world.certificate(id).subjectEui;
  }
}

export class ScenarioRun {
  readonly runId = randomUUID();
  readonly results: StepResult[] = [];
  private readonly vars: Record<string, unknown> = {};
  private busy = false;
  private failed = false;

  constructor(
    readonly scenario: ScenarioDefinition,
    private readonly host: ScenarioHost,
  ) {}

  get position(): number {
    return this.results.length;
  }

  /** No further step will run: all passed, or one failed. */
  get done(): boolean {
    return this.failed || this.position >= this.scenario.steps.length;
  }

  get status(): RunStatus {
    if (this.failed) return 'failed';
    if (this.position >= this.scenario.steps.length) return 'passed';
    return this.position === 0 && !this.busy ? 'ready' : 'running';
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** Runs the next step and returns its result. A failed step ends the run. */
  async next(): Promise<StepResult> {
    if (this.busy) throw new WorldError('scenario-busy', `run ${this.runId} is already running a step`);
    if (this.done) throw new WorldError('scenario-done', `run ${this.runId} of '${this.scenario.name}' has ${this.failed ? 'failed' : 'finished'}; start a new one`);
    this.busy = true;
    const index = this.position;
    const step = this.scenario.steps[index]!;
    const ctx = new StepContext(this.host, this.vars);
    const started = Date.now();
    let error: string | null = null;
    try {
      await step.run(ctx);
    } catch (err) {
      error = (err as Error).message;
    } finally {
      this.busy = false;
    }
    let simulatedTime = '';
    try {
      simulatedTime = (await this.host.clock.now()).toISOString();
    } catch {
      simulatedTime = '';
    }
    const ok = error === null && ctx.assertions.every((a) => a.ok);
    const result: StepResult = {
      scenario: this.scenario.name,
      runId: this.runId,
      index,
      id: step.id,
      title: step.title,
      narration: step.narration,
      happened: ctx.happened,
      requests: ctx.requests,
      requestsOmitted: ctx.requestsOmitted,
      cellsChanged: ctx.cellsChanged,
      cellsChangedOmitted: ctx.cellsChangedOmitted,
      assertions: ctx.assertions,
      ok,
      error,
      simulatedTime,
      durationMs: Date.now() - started,
    };
    this.results.push(result);
    if (!ok) this.failed = true;
    return result;
  }

  /** Runs the remaining steps; stops at the first failed one. */
  async runAll(onStep?: (r: StepResult) => void): Promise<RunSummary> {
    while (!this.done) {
      // (not `onStep?.(await this.next())`: without a callback that would never run the step)
      const result = await this.next();
      onStep?.(result);
    }
    return this.summary();
  }

  summary(): RunSummary {
    return {
      runId: this.runId,
      scenario: this.scenario.name,
      title: this.scenario.title,
      summary: this.scenario.summary,
      status: this.status,
      position: this.position,
      steps: this.scenario.steps.map((s, index) => ({ index, id: s.id, title: s.title, narration: s.narration, ok: this.results[index]?.ok ?? null })),
      results: this.results,
    };
  }
}

/** A step result as text: what a trainee reads in the terminal. */
export function formatStepResult(r: StepResult, total: number): string {
  const lines: string[] = [];
  lines.push(`${r.ok ? 'PASS' : 'FAIL'}  step ${r.index + 1}/${total}  ${r.title}`);
  lines.push(...wrap(r.narration, '      why: '));
  for (const h of r.happened) lines.push(...wrap(h, '      - '));
  if (r.requestsOmitted) lines.push(`      - (${r.requestsOmitted} more request(s) not listed)`);
  for (const a of r.assertions) lines.push(`      ${a.ok ? 'ok  ' : 'NOT '} ${a.message}`);
  if (r.error) lines.push(`      error: ${r.error}`);
  return lines.join('\n');
}

function wrap(text: string, prefix: string, width = 110): string[] {
  const words = text.split(/\s+/);
  const out: string[] = [];
  let line = prefix;
  const indent = ' '.repeat(prefix.length);
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.trim().length > prefix.trim().length) {
      out.push(line.trimEnd());
      line = indent;
    }
    line += (line === prefix || line === indent ? '' : ' ') + w;
  }
  out.push(line.trimEnd());
  return out;
}
