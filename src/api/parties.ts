import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { inboxEntry, type Party } from '../../db/index.ts';
import { BAD_REQUEST, NOT_FOUND, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// A mailbox per party: every asynchronous response and alert the DCC queued for a party, kept and
// readable whether or not it has a Receive Response Service URL, and the URL itself.
//   GET /api/parties                      parties with their URL and mailbox counts
//   GET /api/parties/:eui/inbox           one party's mailbox, newest first, paged
//   PUT /api/parties/:eui/response-url    set or clear its Receive Response Service URL

const EUI_PARAM = Type.Object({ eui: Type.String({ description: 'the party; an EUI-64, dashes optional' }) });
const WHOLE = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description: `${description}; a whole number` });

const PARTY_MAILBOX = {
  type: 'object',
  properties: {
    eui: { type: 'string' },
    name: { type: 'string' },
    userRoles: { type: 'array', items: { type: 'string' } },
    isDcc: { type: 'boolean' },
    responseUrl: { type: 'string', nullable: true, description: 'its Receive Response Service; null: responses are kept in its mailbox only' },
    inbox: { type: 'object', properties: { total: { type: 'integer' }, undelivered: { type: 'integer' } } },
  },
};

const INBOX_ENTRY = {
  type: 'object',
  properties: {
    deliveryId: { type: 'integer', description: 'the outbox row id, sent as X-DCC-Sim-Delivery-Id' },
    requestId: { type: 'string', nullable: true, description: 'the DUIS RequestID it answers (alerts may have none)' },
    responseId: { type: 'string', nullable: true },
    kind: { type: 'string', description: 'response, device-alert or dcc-alert' },
    responseCode: { type: 'string', description: 'the response code, or the alert code of an alert' },
    createdAt: { type: 'string', format: 'date-time' },
    deliveredAt: { type: 'string', format: 'date-time', nullable: true },
    status: { type: 'string', enum: ['delivered', 'pending', 'no-url', 'receiver-failing'], description: 'delivered; pending (not tried yet); no-url (kept until the party has a URL); receiver-failing (the last attempt failed, retried with back-off)' },
    attempts: { type: 'integer', description: 'delivery attempts made' },
    lastError: { type: 'string', nullable: true, description: 'why the last attempt failed' },
    requestLogId: { type: 'integer', nullable: true, description: 'the request log entry of the request it answers (GET /api/console/requests/{id} decodes both)' },
    xml: { type: 'string', nullable: true, description: 'with ?xml: the signed DUIS document (null once retention has dropped a delivered one)' },
  },
};

export function register(scope: FastifyInstance, ctx: ApiContext): void {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { world, dcc, outbox } = ctx;

  const partyOf = (text: string): { party?: Party; error?: string } => {
    let e: string;
    try {
      e = parseEui(text);
    } catch {
      return { error: `party '${text.slice(0, 100)}' is not an EUI-64 (16 hex digits, dashes allowed)` };
    }
    return { party: world.store.getParty(e) };
  };

  // The request a response answers, for the console's request inspector: the leg that reached the
  // device (a 6.15.1's first leg, CV 4, only returns the pre-command).
  const requestLogId = (requestId: string | null): number | null => {
    if (!requestId) return null;
    const legs = dcc.gateway.listRequests({ requestId, limit: 5 });
    return (legs.find((l) => l.commandVariant !== 4 && l.failedStep === null) ?? legs[0])?.id ?? null;
  };

  app.get('/api/parties', {
    schema: {
      tags: ['Mailboxes'],
      summary: 'Parties with their Receive Response Service URL and mailbox counts',
      response: { 200: answer('Every party, in EUI order.', { type: 'array', items: PARTY_MAILBOX }) },
    },
  }, async () => {
    const counts = new Map(dcc.gateway.inboxCounts().map((c) => [c.partyEui, c]));
    return world.store.listParties().map((p) => ({
      eui: dashedEui(p.eui),
      name: p.name,
      userRoles: p.userRoles,
      isDcc: p.isDcc,
      responseUrl: p.responseUrl,
      inbox: { total: counts.get(p.eui)?.total ?? 0, undelivered: counts.get(p.eui)?.undelivered ?? 0 },
    }));
  });

  app.get('/api/parties/:eui/inbox', {
    schema: {
      tags: ['Mailboxes'],
      summary: "A party's mailbox: its asynchronous responses and alerts, newest first",
      description:
        'Everything the DCC queued for the party, delivered or not, whether or not it has a Receive Response Service URL. Pages: pass `nextBefore` as `before` for the next (older) page. `total` counts the entries matching the filters.',
      params: EUI_PARAM,
      querystring: Type.Object({
        kind: Type.Optional(Type.String({ description: 'response, device-alert or dcc-alert' })),
        code: Type.Optional(Type.String({ description: 'a response or alert code, e.g. I0, E21' })),
        requestId: Type.Optional(Type.String({ description: 'the DUIS RequestID' })),
        before: Type.Optional(WHOLE('only entries with a smaller deliveryId (the next page)')),
        limit: Type.Optional(WHOLE('entries per page, default 50, at most 500')),
        xml: Type.Optional(Type.String({ description: 'any value: include each entry\'s signed DUIS XML' })),
      }),
      response: {
        200: answer('One page of the mailbox.', {
          type: 'object',
          properties: {
            party: PARTY_MAILBOX,
            total: { type: 'integer' },
            entries: { type: 'array', items: INBOX_ENTRY },
            nextBefore: { type: 'integer', nullable: true, description: 'the `before` of the next page; null on the last' },
          },
        }),
        400: BAD_REQUEST,
        404: NOT_FOUND,
      },
    },
  }, async (req, reply) => {
    const { party, error } = partyOf(req.params.eui);
    if (error) return reply.code(400).send({ error });
    if (!party) return reply.code(404).send({ error: `no party ${req.params.eui}` });
    const q = req.query;
    const limit = Math.max(1, Math.min(500, q.limit ? Number(q.limit) : 50));
    const { entries, total } = dcc.gateway.inbox(party.eui, {
      kind: q.kind || undefined,
      responseCode: q.code || undefined,
      requestId: q.requestId || undefined,
      beforeId: q.before ? Number(q.before) : undefined,
      limit: limit + 1,
    });
    const page = entries.slice(0, limit);
    const counts = dcc.gateway.inboxCounts().find((c) => c.partyEui === party.eui);
    const hasUrl = party.responseUrl !== null;
    return {
      party: {
        eui: dashedEui(party.eui),
        name: party.name,
        userRoles: party.userRoles,
        isDcc: party.isDcc,
        responseUrl: party.responseUrl,
        inbox: { total: counts?.total ?? 0, undelivered: counts?.undelivered ?? 0 },
      },
      total,
      entries: page.map((r) => ({
        ...inboxEntry(r, hasUrl),
        requestLogId: requestLogId(r.requestId),
        ...(q.xml !== undefined ? { xml: r.body === '' ? null : r.body } : {}),
      })),
      nextBefore: entries.length > limit ? page.at(-1)!.id : null,
    };
  });

  app.put('/api/parties/:eui/response-url', {
    schema: {
      tags: ['Mailboxes'],
      summary: "Set or clear a party's Receive Response Service URL",
      description: 'With a URL, the responses waiting in its mailbox are delivered at once; `null` keeps new ones in the mailbox only. The same as `dcc-sim parties set-response-url`.',
      params: EUI_PARAM,
      body: Type.Object({ url: Type.Union([Type.String({ description: 'an absolute http or https URL', examples: ['http://127.0.0.1:1880/duis'] }), Type.Null()]) }),
      response: { 200: answer('The party, with its URL and mailbox counts.', PARTY_MAILBOX), 400: BAD_REQUEST, 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const { party, error } = partyOf(req.params.eui);
    if (error) return reply.code(400).send({ error });
    if (!party) return reply.code(404).send({ error: `no party ${req.params.eui}` });
    let url: string | null = null;
    if (req.body.url !== null && req.body.url.trim() !== '') {
      let parsed: URL;
      try {
        parsed = new URL(req.body.url.trim());
      } catch {
        return reply.code(400).send({ error: `'${req.body.url.slice(0, 200)}' is not an absolute URL (e.g. http://127.0.0.1:1880/duis)` });
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return reply.code(400).send({ error: `the response URL must be http or https, got ${parsed.protocol}` });
      url = parsed.toString();
    }
    world.store.setResponseUrl(party.eui, url);
    outbox.kick(); // what waited in the mailbox goes now, not at the next poll
    const counts = dcc.gateway.inboxCounts().find((c) => c.partyEui === party.eui);
    return {
      eui: dashedEui(party.eui),
      name: party.name,
      userRoles: party.userRoles,
      isDcc: party.isDcc,
      responseUrl: url,
      inbox: { total: counts?.total ?? 0, undelivered: counts?.undelivered ?? 0 },
    };
  });
}
