import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseEui } from '../../pki/index.ts';
import {
  isComplianceState,
  isNonComplianceReason,
  postCommissioningReport,
  writeCsv,
  type ReportOptions,
} from '../compliance/index.ts';
import type { ApiContext } from './index.ts';

// GET /api/reports/post-commissioning: the DCC's post-commissioning report on network operator
// certificates (totals per type, reason, network operator and supplier, and a page of classified
// devices); ?format=csv or /api/reports/post-commissioning.csv: every classified device as CSV.

class BadRequest extends Error {
  readonly statusCode = 400;
}

type Query = Record<string, string | undefined>;

function euiParam(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  try {
    return parseEui(v);
  } catch {
    throw new BadRequest(`${name} '${v}' is not an EUI-64 (16 hex digits, dashes allowed)`);
  }
}

function countParam(q: Query, name: string, fallback: number, max: number): number {
  const v = q[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new BadRequest(`${name} must be a whole number, got '${v}'`);
  return Math.min(max, Number(v));
}

function options(q: Query, clockNow: () => Date): Omit<ReportOptions, 'devices'> & { state?: ReturnType<typeof stateParam>; reason?: ReturnType<typeof reasonParam> } {
  let at: Date;
  if (q.at) {
    at = new Date(q.at);
    if (Number.isNaN(at.getTime())) throw new BadRequest(`at '${q.at}' is not a date-time (ISO 8601)`);
  } else at = clockNow();
  const type = q.type === undefined || q.type === '' ? undefined : q.type;
  if (type !== undefined && type !== 'ESME' && type !== 'GPF') throw new BadRequest(`type must be ESME or GPF, got '${type}'`);
  return {
    at,
    type: type as 'ESME' | 'GPF' | undefined,
    networkOperatorEui: euiParam(q, 'networkOperator'),
    supplierEui: euiParam(q, 'supplier'),
    state: stateParam(q),
    reason: reasonParam(q),
  };
}

function stateParam(q: Query) {
  const v = q.state;
  if (v === undefined || v === '') return undefined;
  if (!isComplianceState(v)) throw new BadRequest(`state must be compliant, pending or non-compliant, got '${v}'`);
  return v;
}

function reasonParam(q: Query) {
  const v = q.reason;
  if (v === undefined || v === '') return undefined;
  if (!isNonComplianceReason(v)) throw new BadRequest(`reason '${v}' is not one the report gives`);
  return v;
}

export function register(app: FastifyInstance, ctx: ApiContext): void {
  const { world, dcc } = ctx;
  const now = () => {
    dcc.clock.reload(); // the CLI may have moved the clock in the world file
    return dcc.clock.now();
  };

  const csv = (q: Query, reply: FastifyReply) => {
    const o = options(q, now);
    const chunks: string[] = [];
    writeCsv(world, o, (c) => chunks.push(c));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="post-commissioning-${o.at!.toISOString().slice(0, 10)}.csv"`)
      .send(chunks.join(''));
  };

  app.get('/api/reports/post-commissioning', async (req, reply) => {
    const q = req.query as Query;
    if (q.format === 'csv') return csv(q, reply);
    if (q.format !== undefined && q.format !== 'json') throw new BadRequest(`format must be json or csv, got '${q.format}'`);
    const o = options(q, now);
    const limit = countParam(q, 'limit', 100, 10_000);
    return postCommissioningReport(world, {
      ...o,
      devices: limit > 0 ? { state: o.state, reason: o.reason, limit, offset: countParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER) } : undefined,
    });
  });

  app.get('/api/reports/post-commissioning.csv', async (req, reply) => csv(req.query as Query, reply));
}
