import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseEui } from '../../pki/index.ts';
import {
  isComplianceState,
  isNonComplianceReason,
  postCommissioningReport,
  writeCsv,
  type ReportOptions,
} from '../compliance/index.ts';
import { BAD_REQUEST, ref, reply as answer } from './schemas.ts';
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

// Strings as the handlers have always taken them: an empty parameter is no parameter, and a bad
// one is answered with the sentences above.
const FILTERS = {
  at: Type.Optional(Type.String({ description: 'the report time (ISO 8601); default the simulated clock' })),
  type: Type.Optional(Type.String({ description: 'ESME or GPF' })),
  networkOperator: Type.Optional(Type.String({ description: 'registered network operator; an EUI-64, dashes optional' })),
  supplier: Type.Optional(Type.String({ description: 'registered supplier; an EUI-64, dashes optional' })),
  state: Type.Optional(Type.String({ description: 'for the page of devices (and the CSV): compliant, pending or non-compliant' })),
  reason: Type.Optional(Type.String({ description: 'for the page of devices (and the CSV): a non-compliance reason, e.g. other-network-operator, acb-in-esme, gno-not-dcc-user, revoked-certificate, wrong-role, empty-cell, no-registration' })),
};
const CSV = answer('One row per device, as an attachment.', { type: 'string' }, 'text/csv');

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
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

  app.get('/api/reports/post-commissioning', {
    schema: {
      tags: ['Reports'],
      summary: 'The post-commissioning report',
      description:
        "For every commissioned ESME and GPF: are its network operator cells what registration data says (the registered operator's certificates; the ACB's in a GPF, MP128B), within 7 days of commissioning. Totals by type, reason, network operator and supplier, and a page of classified devices (`limit=0`: totals only). `format=csv`: every classified device as CSV.",
      querystring: Type.Object({
        ...FILTERS,
        limit: Type.Optional(Type.String({ description: 'devices in the page, 0 for none; a whole number, default 100, at most 10000' })),
        offset: Type.Optional(Type.String({ description: 'devices skipped before the page; a whole number, default 0' })),
        format: Type.Optional(Type.String({ description: 'json (the default) or csv' })),
      }),
      response: { 200: { description: 'The report.', content: { 'application/json': { schema: ref('PostCommissioningReport') }, 'text/csv': { schema: { type: 'string' } } } }, 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    const q = req.query;
    if (q.format === 'csv') return csv(q, reply);
    if (q.format !== undefined && q.format !== 'json') throw new BadRequest(`format must be json or csv, got '${q.format}'`);
    const o = options(q, now);
    const limit = countParam(q, 'limit', 100, 10_000);
    return postCommissioningReport(world, {
      ...o,
      devices: limit > 0 ? { state: o.state, reason: o.reason, limit, offset: countParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER) } : undefined,
    });
  });

  app.get('/api/reports/post-commissioning.csv', {
    schema: { tags: ['Reports'], summary: 'Every classified device as CSV', querystring: Type.Object(FILTERS), response: { 200: CSV, 400: BAD_REQUEST } },
  }, async (req, reply) => csv(req.query, reply));
}
