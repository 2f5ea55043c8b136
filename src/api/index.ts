import type { FastifyInstance } from 'fastify';
import type { Dcc } from '../dcc/index.ts';
import type { World } from '../world/index.ts';
import type { ServerOptions } from '../server.ts';
import { register as smki } from './smki.ts';
import { register as consoleRoutes } from './console.ts';
import { register as reports } from './reports.ts';
import { register as networkOperators } from './network-operators.ts';
import { register as scenarios } from './scenarios.ts';

// The JSON API and other feature routes beside the DUIS gateway. Each module registers its own
// routes; this list is the one place that names them.

export interface ApiContext {
  world: World;
  dcc: Dcc;
  options: ServerOptions;
}

export type ApiModule = (app: FastifyInstance, ctx: ApiContext) => Promise<void> | void;

export const API_MODULES: ApiModule[] = [smki, consoleRoutes, reports, networkOperators, scenarios];
