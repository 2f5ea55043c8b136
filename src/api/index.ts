import type { FastifyInstance } from 'fastify';
import type { Dcc } from '../dcc/index.ts';
import type { PipelineMetrics } from '../dcc/index.ts';
import type { OutboxDelivery } from '../dcc/index.ts';
import type { PrevalidationPool } from '../dcc/index.ts';
import type { World } from '../world/index.ts';
import type { ServerOptions } from '../server.ts';
import type { AdminAccess, BrowserGuard } from '../security.ts';
import type { Sandboxes } from '../sandboxes/index.ts';
import type { ScenarioRun } from '../scenarios/index.ts';
import { register as core } from './core.ts';
import { register as smki } from './smki.ts';
import { register as consoleRoutes } from './console.ts';
import { register as reports } from './reports.ts';
import { register as networkOperators } from './network-operators.ts';
import { register as scenarios } from './scenarios.ts';
import { register as parties } from './parties.ts';
import { register as faults } from './faults.ts';
import { register as recovery } from './recovery.ts';
import { register as localDelivery } from './local-delivery.ts';
import { register as sandboxes } from './sandboxes.ts';

export { gatewayPlugin, type GatewayOptions } from './gateway.ts';
export { SHARED_SCHEMAS } from './schemas.ts';

// The JSON API beside the DUIS gateway, as one Fastify plugin: each module registers its own
// routes, each with its schema; this list is the one place that names them.

export interface ApiContext {
  world: World;
  dcc: Dcc;
  options: ServerOptions;
  outbox: OutboxDelivery;
  metrics: PipelineMetrics;
  /** the prevalidation workers once started (after listen), else undefined */
  prevalidation: () => PrevalidationPool | undefined;
  /** the admin guard, when the listener needs one */
  admin?: AdminAccess;
  /** Host, Origin and JSON-body checks against cross-site requests and DNS rebinding (src/security.ts) */
  browser?: BrowserGuard;
  /** the training sandboxes of the shared world (src/sandboxes/), where scenarios run by default */
  sandboxes?: Sandboxes;
  /** set when this API serves a sandbox rather than the shared world */
  sandbox?: { id: string };
  /** scenario runs, one map for the shared world and every sandbox: a run started here is stepped under its sandbox's URL */
  scenarioRuns?: Map<string, ScenarioRun>;
}

export type ApiModule = (app: FastifyInstance, ctx: ApiContext) => Promise<void> | void;

export const API_MODULES: ApiModule[] = [core, smki, consoleRoutes, reports, networkOperators, scenarios, parties, faults, recovery, localDelivery, sandboxes];

export async function apiPlugin(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // Inside this plugin only: the DUIS gateway, registered beside it, stays outside the guard.
  if (ctx.browser) app.addHook('onRequest', ctx.browser.hook);
  if (ctx.admin) app.addHook('onRequest', ctx.admin.hook);
  // The response schemas document the answers; they are written with JSON.stringify as before,
  // so nothing a schema leaves out is dropped or coerced on the way out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Validation errors keep the API's shape ({ error }, by the server's error handler) and say
  // which values an enum allows, as the handlers' own sentences do.
  app.setSchemaErrorFormatter((errors, dataVar) =>
    new Error(errors.map((e) => `${dataVar}${e.instancePath} ${e.keyword === 'enum' ? `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` : e.keyword === 'pattern' && e.params.pattern === '^[0-9]{1,15}$' ? 'must be a whole number' : e.message}`).join(', ')),
  );
  for (const register of API_MODULES) await register(app, ctx);
}
