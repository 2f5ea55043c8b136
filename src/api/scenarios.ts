import type { FastifyInstance, FastifyReply } from 'fastify';
import { describeScenarios, findScenario, ScenarioRun, serverHost } from '../scenarios/index.ts';
import { WorldError } from '../world/index.ts';
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

export function register(app: FastifyInstance, ctx: ApiContext): void {
  const runs = new Map<string, ScenarioRun>();
  const host = serverHost(app, ctx.world, ctx.dcc);

  const refuse = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });
  const runOf = (id: string) => runs.get(id);

  app.get('/api/scenarios', async () => describeScenarios());

  app.post('/api/scenarios/:name/runs', async (req, reply) => {
    const { name } = req.params as { name: string };
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

  app.get('/api/scenarios/runs', async () =>
    [...runs.values()].map((r) => ({ runId: r.runId, scenario: r.scenario.name, status: r.status, position: r.position, steps: r.scenario.steps.length })),
  );

  app.get('/api/scenarios/runs/:runId', async (req, reply) => {
    const run = runOf((req.params as { runId: string }).runId);
    return run ? run.summary() : refuse(reply, 404, 'no such scenario run');
  });

  app.post('/api/scenarios/runs/:runId/next', async (req, reply) => {
    const run = runOf((req.params as { runId: string }).runId);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    try {
      return await run.next();
    } catch (err) {
      if (err instanceof WorldError) return refuse(reply, 409, err.message);
      throw err;
    }
  });

  app.post('/api/scenarios/runs/:runId/finish', async (req, reply) => {
    const run = runOf((req.params as { runId: string }).runId);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    if (run.isBusy) return refuse(reply, 409, `run ${run.runId} is already running a step`);
    return run.runAll();
  });

  app.delete('/api/scenarios/runs/:runId', async (req, reply) => {
    const id = (req.params as { runId: string }).runId;
    const run = runOf(id);
    if (!run) return refuse(reply, 404, 'no such scenario run');
    if (run.isBusy) return refuse(reply, 409, `run ${id} is running a step`);
    runs.delete(id);
    return reply.code(204).send();
  });
}
