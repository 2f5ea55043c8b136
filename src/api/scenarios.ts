import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { describeScenarios, findScenario, ScenarioRun, serverHost } from '../scenarios/index.ts';
import { MAX_SANDBOXES } from '../sandboxes/index.ts';
import { WorldError } from '../world/index.ts';
import type { SandboxInfo, ServedWorld } from '../sandboxes/index.ts';
import type { ScenarioHost } from '../scenarios/index.ts';
import { bareBodyIsEmpty, CONFLICT, NOT_FOUND, ref, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// The training scenarios, one step at a time (what the console steps through):
//   GET    /api/scenarios                      the scenarios, their steps and narration
//   POST   /api/scenarios/:name/runs           start a run in a fresh sandbox of the world (or, with
//                                              {"in":"this-world"}, in this world) -> the run (201)
//   GET    /api/scenarios/runs                 the runs held
//   GET    /api/scenarios/runs/:runId          a run: status, position, steps, results so far
//   POST   /api/scenarios/runs/:runId/next     run the next step -> its result: narration, what happened,
//                                              the requests sent (response codes, signed XML), cells changed,
//                                              the checks and whether they held
//   POST   /api/scenarios/runs/:runId/finish   run the remaining steps -> the run
//   DELETE /api/scenarios/runs/:runId          forget a run
// A run sends real signed DUIS through its world's own routes. By default that world is a fresh
// sandbox (src/sandboxes/), so that a scenario never moves the shared clock and can run again;
// runs are one map for the shared world and its sandboxes, so a run is stepped under either URL.

const MAX_RUNS = 50;

/** the sandbox each run was started in, dropped with the run (runs are shared by the shared world's API and its sandboxes') */
const sandboxOf = new WeakMap<ScenarioRun, SandboxInfo>();

const RUN = Type.Object({ runId: Type.String({ description: 'as the run was started with' }) });

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const runs = ctx.scenarioRuns ?? new Map<string, ScenarioRun>();
  const here = serverHost(app, ctx.world, ctx.dcc, ctx.admin?.token);
  const summary = (run: ScenarioRun) => {
    const sandbox = sandboxOf.get(run);
    return { ...run.summary(), sandbox: sandbox ? { id: sandbox.id, name: sandbox.name, baseUrl: sandbox.baseUrl } : null };
  };
  const forget = async (run: ScenarioRun) => {
    runs.delete(run.runId);
    const sandbox = sandboxOf.get(run);
    if (sandbox && ctx.sandboxes?.served(sandbox.id)) await ctx.sandboxes.drop(sandbox.id);
  };

  const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });
  const runOf = (id: string) => runs.get(id);

  app.get('/api/scenarios', {
    schema: { tags: ['Scenarios'], summary: 'The training scenarios, their steps and narration', response: { 200: answer('Every scenario.', { type: 'array', items: ref('Scenario') }) } },
  }, async () => describeScenarios());

  app.post('/api/scenarios/:name/runs', {
    schema: {
      tags: ['Scenarios'],
      summary: 'Start a run of a scenario, in a fresh sandbox of the world by default',
      description:
        "A run sends real signed DUIS and changes its world (and may move its simulated clock). By default that world is a new sandbox copied from the shared world (`sandbox` in the answer: its requests, devices and clock are under its `baseUrl`), dropped when the run is deleted; `in: this-world` runs in the world this URL serves instead.",
      params: Type.Object({ name: Type.String({ description: 'the scenario', examples: ['commission-esme'] }) }),
      body: Type.Object({ in: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('this-world')], { description: 'sandbox (the default): a fresh copy of the shared world; this-world: the world this URL serves' })) }),
      response: { 201: answer('The run, ready at step 0, and the sandbox it runs in (null: this world).', ref('ScenarioRun')), 404: NOT_FOUND, 429: CONFLICT('Too many runs in progress.') },
    },
    preValidation: bareBodyIsEmpty,
  }, async (req, reply) => {
    const { name } = req.params;
    let scenario;
    try {
      scenario = findScenario(name);
    } catch (err) {
      return refuse(reply, 404, (err as Error).message);
    }
    if (runs.size >= MAX_RUNS) {
      // forget the oldest finished run; refuse if every held run is still going
      const old = [...runs.values()].find((r) => r.done);
      if (!old) return refuse(reply, 429, `${MAX_RUNS} scenario runs are in progress; finish or delete one first`);
      await forget(old);
    }
    const sandboxes = ctx.sandboxes;
    if (req.body.in === 'this-world' || !sandboxes) {
      const run = new ScenarioRun(scenario, here);
      runs.set(run.runId, run);
      return reply.code(201).send(summary(run));
    }
    // Room for its sandbox: the oldest finished scenario's goes first.
    if (sandboxes.list().length >= MAX_SANDBOXES) {
      const old = [...runs.values()].find((r) => r.done && sandboxOf.has(r));
      if (old) await forget(old);
    }
    let sandbox: SandboxInfo;
    try {
      sandbox = await sandboxes.create(`scenario: ${scenario.name}`);
    } catch (err) {
      if (err instanceof WorldError) return refuse(reply, 429, `${err.message} (a scenario runs in a sandbox of its own)`);
      throw err;
    }
    // Looked up at each use: a reset serves the sandbox anew, and the run goes on in what it is now.
    let current: { served: ServedWorld; host: ScenarioHost } | undefined;
    const host = () => {
      const served = sandboxes.served(sandbox.id);
      if (!served) throw new WorldError('no-sandbox', `sandbox ${sandbox.id}, where this run was, has been dropped`);
      if (current?.served !== served) current = { served, host: serverHost(served.app, served.world, served.dcc, ctx.admin?.token) };
      return current.host;
    };
    const run = new ScenarioRun(scenario, { get world() { return host().world; }, get driver() { return host().driver; }, get clock() { return host().clock; } });
    sandboxOf.set(run, sandbox);
    runs.set(run.runId, run);
    return reply.code(201).send(summary(run));
  });

  app.get('/api/scenarios/runs', {
    schema: {
      tags: ['Scenarios'],
      summary: 'The runs held',
      response: {
        200: answer('Runs with their status and position.', {
          type: 'array',
          items: { type: 'object', properties: { runId: { type: 'string' }, scenario: { type: 'string' }, status: { type: 'string', enum: ['ready', 'running', 'passed', 'failed'] }, position: { type: 'integer' }, steps: { type: 'integer' } } },
        }),
      },
    },
  }, async () =>
    [...runs.values()].map((r) => ({ runId: r.runId, scenario: r.scenario.name, status: r.status, position: r.position, steps: r.scenario.steps.length })),
  );

  app.get('/api/scenarios/runs/:runId', {
    schema: { tags: ['Scenarios'], summary: 'A run: status, position, steps and results so far', params: RUN, response: { 200: answer('The run.', ref('ScenarioRun')), 404: NOT_FOUND } },
  }, async (req, reply) => {
    const run = runOf(req.params.runId);
    return run ? summary(run) : refuse(reply, 404, 'no such scenario run');
  });

  app.post('/api/scenarios/runs/:runId/next', {
    schema: {
      tags: ['Scenarios'],
      summary: 'Run the next step',
      params: RUN,
      response: {
        200: answer('What the step did: narration, what happened, the requests sent, the cells changed, and its checks.', ref('ScenarioStepResult')),
        404: NOT_FOUND,
        409: CONFLICT('The run is finished, or busy.'),
      },
    },
  }, async (req, reply) => {
    const run = runOf(req.params.runId);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    try {
      return await run.next();
    } catch (err) {
      if (err instanceof WorldError) return refuse(reply, 409, err.message);
      throw err;
    }
  });

  app.post('/api/scenarios/runs/:runId/finish', {
    schema: { tags: ['Scenarios'], summary: 'Run the remaining steps', params: RUN, response: { 200: answer('The run.', ref('ScenarioRun')), 404: NOT_FOUND, 409: CONFLICT('The run is busy.') } },
  }, async (req, reply) => {
    const run = runOf(req.params.runId);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    if (run.isBusy) return refuse(reply, 409, `run ${run.runId} is already running a step`);
    await run.runAll();
    return summary(run);
  });

  app.delete('/api/scenarios/runs/:runId', {
    schema: { tags: ['Scenarios'], summary: 'Forget a run (and drop the sandbox it ran in)', params: RUN, response: { 204: { description: 'Forgotten.' }, 404: NOT_FOUND, 409: CONFLICT('The run is running a step.') } },
  }, async (req, reply) => {
    const id = req.params.runId;
    const run = runOf(id);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    if (run.isBusy) return refuse(reply, 409, `run ${id} is running a step`);
    await forget(run);
    return reply.code(204).send();
  });
}
