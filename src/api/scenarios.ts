import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { describeScenarios, findScenario, ScenarioRun, serverHost } from '../scenarios/index.ts';
import { WorldError } from '../world/index.ts';
import { CONFLICT, NOT_FOUND, ref, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// The training scenarios, one step at a time (what the console steps through):
//   GET    /api/scenarios                      the scenarios, their steps and narration
//   POST   /api/scenarios/:name/runs           start a run on this server's world -> the run (201)
//   GET    /api/scenarios/runs                 the runs held
//   GET    /api/scenarios/runs/:runId          a run: status, position, steps, results so far
//   POST   /api/scenarios/runs/:runId/next     run the next step -> its result: narration, what happened,
//                                              the requests sent (response codes, signed XML), cells changed,
//                                              the checks and whether they held
//   POST   /api/scenarios/runs/:runId/finish   run the remaining steps -> the run
//   DELETE /api/scenarios/runs/:runId          forget a run
// A run sends real signed DUIS through this server's own routes and changes this world.

const MAX_RUNS = 50;

const RUN = Type.Object({ runId: Type.String({ description: 'as the run was started with' }) });

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const runs = new Map<string, ScenarioRun>();
  const host = serverHost(app, ctx.world, ctx.dcc, ctx.admin?.token);

  const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });
  const runOf = (id: string) => runs.get(id);

  app.get('/api/scenarios', {
    schema: { tags: ['Scenarios'], summary: 'The training scenarios, their steps and narration', response: { 200: answer('Every scenario.', { type: 'array', items: ref('Scenario') }) } },
  }, async () => describeScenarios());

  app.post('/api/scenarios/:name/runs', {
    schema: {
      tags: ['Scenarios'],
      summary: "Start a run of a scenario on this server's world",
      description: "A run sends real signed DUIS through this server's own routes and changes this world (and may move its simulated clock).",
      params: Type.Object({ name: Type.String({ description: 'the scenario', examples: ['commission-esme'] }) }),
      response: { 201: answer('The run, ready at step 0.', ref('ScenarioRun')), 404: NOT_FOUND, 429: CONFLICT('Too many runs in progress.') },
    },
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
      runs.delete(old.runId);
    }
    const run = new ScenarioRun(scenario, host);
    runs.set(run.runId, run);
    return reply.code(201).send(run.summary());
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
    return run ? run.summary() : refuse(reply, 404, 'no such scenario run');
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
    return run.runAll();
  });

  app.delete('/api/scenarios/runs/:runId', {
    schema: { tags: ['Scenarios'], summary: 'Forget a run', params: RUN, response: { 204: { description: 'Forgotten.' }, 404: NOT_FOUND, 409: CONFLICT('The run is running a step.') } },
  }, async (req, reply) => {
    const id = req.params.runId;
    const run = runOf(id);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    if (run.isBusy) return refuse(reply, 409, `run ${id} is running a step`);
    runs.delete(id);
    return reply.code(204).send();
  });
}
