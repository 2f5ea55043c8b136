import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { certificateToPem, dashedEui, parseEui, roleName } from '../../pki/index.ts';
import { DEVICE_TYPES, METERED_TYPES } from '../../devices/index.ts';
import type { DeviceComplianceState, DeviceStatus, Party, RequestLogRecord } from '../../db/index.ts';
import { isFailureCode, type PeerRequestEvent, type RequestEvent } from '../dcc/index.ts';
import { DCC } from '../world/index.ts';
import { META } from '../world/index.ts';
import { consoleDeviceView, consoleMeterView, POST_COMMISSIONING_DAYS, REASON_TEXT } from '../console/index.ts';
import { requestDetail, timelineCsvHeader, timelineCsvRow } from '../console/index.ts';
import { CONSOLE_SERVICES, ConsoleInputError, libraryEntries, libraryExample, librarySend, librarySign, sendFromConsole } from '../console/index.ts';
import { BAD_REQUEST, NOT_FOUND, ref as shared, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// The JSON API behind the web console, under /api/console, with the live request timeline as
// server-sent events. (The console's own files and /docs: src/console/static.ts.)

const EUI = (description: string) => Type.String({ description: `${description}; an EUI-64, dashes optional` });
const WHOLE = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description: `${description}; a whole number` });

const STATUSES: readonly DeviceStatus[] = [
  'Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Decommissioned', 'Withdrawn', 'Suspended', 'Recovery', 'Recovered',
];
const COMPLIANCE: readonly DeviceComplianceState[] = ['compliant', 'pending', 'non-compliant', 'not-applicable'];

class BadRequest extends Error {
  readonly statusCode = 400;
}

function eui(text: string, what: string): string {
  try {
    return parseEui(text);
  } catch {
    throw new BadRequest(`${what} '${text}' is not an EUI-64 (16 hex digits, dashes allowed)`);
  }
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new BadRequest(`${what} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export async function register(scope: FastifyInstance, ctx: ApiContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const { world, dcc } = ctx;
  const partyCache = () => new Map(world.store.listParties().map((p) => [p.eui, p]));
  const ref = (parties: Map<string, Party>, e: string | null) => (e ? { eui: dashedEui(e), name: parties.get(e)?.name ?? null } : null);

  // --- the world ---------------------------------------------------------------------------------
  app.get('/api/console/world', {
    schema: { tags: ['World'], summary: 'What the console needs to know about the world', response: { 200: answer('Profile, time, size and the vocabularies of the filters.', shared('WorldInfo')) } },
  }, async () => ({
    profile: world.store.getMeta(META.profile) ?? null,
    seed: world.store.getMeta(META.seed) ?? null,
    now: dcc.clock.now().toISOString(),
    devices: world.store.countDevices(),
    networkOperatorCheck: dcc.options.networkOperatorCheck,
    postCommissioningDays: POST_COMMISSIONING_DAYS,
    accessControlBroker: dashedEui(DCC.accessControlBroker),
    deviceTypes: DEVICE_TYPES,
    statuses: STATUSES,
    complianceStates: COMPLIANCE,
    // what other parts of dcc-sim serve, so the console offers only what is there
    features: {
      scenarios: app.hasRoute({ method: 'GET', url: '/api/scenarios' }),
      postCommissioningReport: app.hasRoute({ method: 'GET', url: '/api/reports/post-commissioning' }),
      postCommissioningCsv: app.hasRoute({ method: 'GET', url: '/api/reports/post-commissioning.csv' }),
    },
  }));

  app.get('/api/console/parties', {
    schema: { tags: ['World'], summary: 'Parties: DCC Users, network parties and the DCC', response: { 200: answer('Every party of the world.', { type: 'array', items: shared('Party') }) } },
  }, async () =>
    world.store.listParties().map((p) => {
      const certs = world.store.searchCertificates({ eui: p.eui }).filter((c) => c.revokedAt === null && (c.kind === 'organisation' || c.kind === 'xml-signing'));
      return {
        eui: dashedEui(p.eui),
        name: p.name,
        userRoles: p.userRoles,
        dccUser: p.dccUser,
        smkiSubscriber: p.smkiSubscriber,
        isDcc: p.isDcc,
        certificateRoles: [...new Set(certs.filter((c) => c.kind === 'organisation' && c.role !== null).map((c) => roleName(c.role!)))],
        canSign: certs.some((c) => c.kind === 'xml-signing') || certs.some((c) => c.kind === 'organisation' && c.keyUsage === 'DS'),
      };
    }),
  );

  // --- devices -----------------------------------------------------------------------------------
  app.get('/api/console/devices', {
    schema: {
      tags: ['Devices'],
      summary: 'Search the inventory',
      description:
        'Filters combine. Pages are keyset-paginated in EUI order: pass the `last` EUI of a page as `after` for the next one, the `first` as `before` for the previous one. EUI and MPxN are prefix searches on their indexes. The total is counted up to 1,000 (`totalCapped` says when there are more).',
      // Strings as the handler has always taken them: an empty filter is no filter, and a bad
      // value is answered with the handler's own sentence (`type must be one of ...`).
      querystring: Type.Object({
        eui: Type.Optional(Type.String({ description: 'EUI prefix, dashes ignored', examples: ['00-DB-5A-0E'] })),
        mpxn: Type.Optional(Type.String({ description: 'MPAN core or MPRN prefix' })),
        supplier: Type.Optional(EUI('registered supplier')),
        networkOperator: Type.Optional(EUI('registered network operator')),
        type: Type.Optional(Type.String({ description: `one of ${DEVICE_TYPES.join(', ')}` })),
        status: Type.Optional(Type.String({ description: `one of ${STATUSES.join(', ')}` })),
        compliance: Type.Optional(Type.String({ description: `one of ${COMPLIANCE.join(', ')}` })),
        dccControlled: Type.Optional(Type.Enum(['true', 'false'], { description: "true: only DCC controlled devices, whose supplier cells still hold the ACB's certificates (awaiting the supplier's 6.21 handover)" })),
        after: Type.Optional(EUI('the page after this EUI')),
        before: Type.Optional(EUI('the page before this EUI')),
        limit: Type.Optional(WHOLE('devices per page, default 25')),
      }),
      response: { 200: answer('One page of devices.', shared('DevicePage')), 400: BAD_REQUEST },
    },
  }, async (req) => {
    const q = req.query;
    const page = world.store.searchDevices({
      euiPrefix: q.eui?.trim() || undefined,
      mpxnPrefix: q.mpxn?.trim() || undefined,
      type: oneOf(q.type, DEVICE_TYPES, 'type'),
      status: oneOf(q.status, STATUSES, 'status'),
      supplierEui: q.supplier ? eui(q.supplier, 'supplier') : undefined,
      networkOperatorEui: q.networkOperator ? eui(q.networkOperator, 'networkOperator') : undefined,
      compliance: oneOf(q.compliance, COMPLIANCE, 'compliance'),
      supplierCellHolder: q.dccControlled === 'true' ? DCC.accessControlBroker : undefined,
      at: dcc.clock.now().toISOString(),
      windowDays: POST_COMMISSIONING_DAYS,
      after: q.after ? eui(q.after, 'after') : undefined,
      before: q.before ? eui(q.before, 'before') : undefined,
      limit: q.limit ? Number(q.limit) || 25 : 25,
    });
    const parties = partyCache();
    return {
      devices: page.devices.map((d) => ({
        eui: dashedEui(d.eui),
        type: d.type,
        status: d.status,
        mpxn: d.mpxn,
        commissionedAt: d.commissionedAt,
        supplier: ref(parties, d.supplierEui),
        networkOperator: ref(parties, d.networkOperatorEui),
        networkOperatorCellHolder: ref(parties, d.networkOperatorCellHolder),
        compliance: d.compliance,
        complianceReason: d.complianceReason,
        complianceReasonText: d.complianceReason ? (REASON_TEXT[d.complianceReason] ?? d.complianceReason) : null,
      })),
      total: page.total,
      totalCapped: page.totalCapped,
      hasMore: page.hasMore,
      hasPrevious: page.hasPrevious,
      first: page.devices[0] ? dashedEui(page.devices[0].eui) : null,
      last: page.devices.at(-1) ? dashedEui(page.devices.at(-1)!.eui) : null,
    };
  });

  app.get('/api/console/devices/:eui', {
    schema: {
      tags: ['Devices'],
      summary: 'A device with its trust-anchor cells as slots',
      description:
        'The cells of the device type, each with the certificate it holds and the party registration data expects there, and the post-commissioning state of its network operator cells.',
      params: Type.Object({ eui: EUI('the device') }),
      response: { 200: answer('The device.', shared('ConsoleDevice')), 400: BAD_REQUEST, 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const e = eui(req.params.eui, 'device');
    const d = world.store.getDevice(e);
    if (!d) return reply.code(404).send({ error: `no device ${dashedEui(e)} in the inventory` });
    return consoleDeviceView(world, d, dcc.clock.now());
  });

  const Nullable = <T extends ReturnType<typeof Type.Object>>(t: T) => Type.Union([t, Type.Null()]);
  const MeterViewSchema = Type.Object({
    eui: Type.String(),
    type: Type.String({ enum: [...METERED_TYPES] }),
    mirrorOf: Type.Union([Type.String(), Type.Null()], { description: "a GPF's: the GSME whose meter it mirrors (the GSME in its comms hub's HAN), whose figures it shows as its reads return them; null otherwise" }),
    fuel: Type.String({ enum: ['electricity', 'gas'] }),
    now: Type.String({ format: 'date-time', description: 'the simulated time the view is computed at' }),
    registers: Type.Array(Type.Object({
      quantity: Type.String(),
      label: Type.String(),
      value: Type.Integer({ description: 'the register as the meter counts it: Wh, varh or dm³ (gas, reported in m³ with divisor 1000)' }),
      unit: Type.String({ enum: ['Wh', 'varh', 'dm3'] }),
    })),
    profile: Type.Object({
      quantity: Type.String(),
      unit: Type.String({ enum: ['Wh', 'dm3'] }),
      day: Type.String({ description: 'the UTC day, YYYY-MM-DD' }),
      slots: Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), value: Type.Integer() }), { description: "today's complete half hours" }),
    }),
    supply: Nullable(Type.Object({ state: Type.String(), since: Type.Union([Type.String(), Type.Null()]) })),
    prepayment: Nullable(Type.Object({
      paymentMode: Type.String({ enum: ['credit', 'prepayment'] }),
      balance: Type.Number(),
      emergencyCredit: Type.Number(),
      accumulatedDebt: Type.Number(),
      paymentDebt: Type.Number(),
      timeDebt1: Type.Number(),
      timeDebt2: Type.Number(),
    }, { description: "in the device's currency units, as its reads give them" })),
    tariff: Nullable(Type.Object({
      activatedAt: Type.String(),
      currency: Type.Union([Type.String(), Type.Null()]),
      standingCharge: Type.Union([Type.Object({ value: Type.Number(), scale: Type.Integer() }), Type.Null()]),
      priceScale: Type.Union([Type.Integer(), Type.Null()]),
      touPrices: Type.Array(Type.Number()),
      dayProfiles: Type.Integer(),
      inForce: Type.Union([Type.String(), Type.Null()]),
    }, { description: "the primary element's active tariff" })),
    message: Nullable(Type.Object({ text: Type.String(), since: Type.String() })),
    supplier: Nullable(Type.Object({ name: Type.String(), telephone: Type.String(), since: Type.String() })),
    firmwareVersion: Type.String(),
    events: Type.Array(Type.Object({ log: Type.String(), code: Type.Integer(), at: Type.String({ format: 'date-time' }) }), { description: 'the last entries of its logs, newest first' }),
  });
  app.get('/api/console/devices/:eui/meter', {
    schema: {
      tags: ['Devices'],
      summary: 'What the emulated meter of an ESME, GSME or GPF holds now',
      description:
        "Registers, today's half-hour profile, supply state, credit, active tariff, displayed message, supplier, firmware version and the last log entries, by the simulated clock: the values a section-4 read at the same time returns. A GPF's registers, profile and credit are its mirror of the paired GSME's (mirrorOf), as its reads return them.",
      params: Type.Object({ eui: EUI('the device') }),
      response: { 200: answer('The meter now.', MeterViewSchema as unknown as Record<string, unknown>), 400: BAD_REQUEST, 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const e = eui(req.params.eui, 'device');
    const d = world.store.getDevice(e);
    if (!d) return reply.code(404).send({ error: `no device ${dashedEui(e)} in the inventory` });
    if (!METERED_TYPES.includes(d.type)) return reply.code(404).send({ error: `${dashedEui(e)} is a ${d.type}: it has no meter` });
    return consoleMeterView(world, { eui: e, type: d.type }, dcc.clock.now());
  });

  // --- certificates --------------------------------------------------------------------------------
  const certificateParams = Type.Object({ id: WHOLE("the SMKI repository's certificate id") });
  const certificate = (req: { params: { id: string } }, reply: FastifyReply) => {
    const id = Number(req.params.id);
    const c = Number.isInteger(id) ? world.store.getCertificate(id) : undefined;
    if (!c) {
      void reply.code(404).send({ error: `no certificate #${req.params.id} in the SMKI repository` });
      return undefined;
    }
    return c;
  };
  app.get('/api/console/certificates/:id', {
    schema: { tags: ['Certificates'], summary: 'A certificate of the SMKI repository', params: certificateParams, response: { 200: answer('Its facts and its PEM.', shared('CertificateDetail')), 404: NOT_FOUND } },
  }, async (req, reply) => {
    const c = certificate(req, reply);
    if (!c) return reply;
    const parties = partyCache();
    return {
      id: c.id,
      kind: c.kind,
      label: c.label,
      subject: ref(parties, c.subjectEui),
      subjectDn: c.subjectDn,
      issuerDn: c.issuerDn,
      role: c.role === null ? null : roleName(c.role),
      roleCode: c.role,
      keyUsage: c.keyUsage,
      serial: c.serialHex,
      serialDecimal: c.serialDecimal,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      validNow: c.notBefore <= dcc.clock.now().toISOString() && dcc.clock.now().toISOString() <= c.notAfter,
      ski: c.ski,
      aki: c.aki,
      fingerprint: c.fingerprint,
      revoked: c.revokedAt !== null,
      revokedAt: c.revokedAt,
      revocationReason: c.revocationReason,
      pem: certificateToPem(c.der),
    };
  });
  app.get('/api/console/certificates/:id/pem', {
    schema: {
      tags: ['Certificates'],
      summary: 'Download a certificate as PEM',
      params: certificateParams,
      response: { 200: answer('The certificate, as an attachment.', { type: 'string' }, 'application/x-pem-file'), 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const c = certificate(req, reply);
    if (!c) return reply;
    const name = `${(c.label ?? `certificate-${c.id}`).replace(/[^A-Za-z0-9._-]+/g, '-')}-${c.serialHex}.pem`;
    return reply.header('content-type', 'application/x-pem-file').header('content-disposition', `attachment; filename="${name}"`).send(certificateToPem(c.der));
  });

  // --- the request timeline ------------------------------------------------------------------------
  const timelineEntry = (r: RequestLogRecord, parties = partyCache()) => {
    const device = r.targetEui ? world.store.getDevice(r.targetEui) : undefined;
    return {
      id: r.id,
      receivedAt: r.receivedAt,
      endpoint: r.path,
      requestId: r.requestId,
      serviceReferenceVariant: r.serviceVariant,
      commandVariant: r.commandVariant,
      responseCode: r.responseCode,
      accepted: r.failedStep === null,
      reason: r.reason,
      failedStep: r.failedStep,
      // the final outcome: `accepted` is only the acknowledgement; a device may still discard the command
      finalResponseCode: r.finalResponseCode,
      finalReason: r.finalReason,
      deviceAlertCode: r.deviceAlertCode,
      succeeded: !isFailureCode(r.finalResponseCode),
      originator: ref(parties, r.originatorEui),
      device: r.targetEui ? { eui: dashedEui(r.targetEui), type: device?.type ?? null } : null,
      steps: r.steps ?? [],
      changedCells: r.changedCells ?? [],
    };
  };

  // The timeline's filters, shared by the page and the export.
  const TIMELINE_FILTERS = {
    requestId: Type.Optional(Type.String({ description: 'the DUIS RequestID (both legs of a 6.15.1 share one)' })),
    device: Type.Optional(EUI('the target device')),
    originator: Type.Optional(EUI('the sender')),
    service: Type.Optional(Type.String({ description: 'a service reference variant' })),
    outcome: Type.Optional(Type.Enum(['success', 'failure'], { description: 'the final outcome' })),
  };
  type TimelineQuery = { requestId?: string; device?: string; originator?: string; service?: string; outcome?: string };
  const timelineFilter = (q: TimelineQuery) => ({
    requestId: q.requestId || undefined,
    targetEui: q.device ? eui(q.device, 'device') : undefined,
    originatorEui: q.originator ? eui(q.originator, 'originator') : undefined,
    serviceVariant: q.service || undefined,
    outcome: q.outcome as 'success' | 'failure' | undefined,
  });

  app.get('/api/console/requests/export', {
    schema: {
      tags: ['Requests'],
      summary: 'Download the timeline: every request the filters match, as CSV or JSON',
      description:
        'The same filters as GET /api/console/requests, without paging: every matching request of the request log, newest first, as an attachment. CSV has one row per request (acknowledgement and final outcome side by side, changed cells space-separated); JSON is an array of timeline entries.',
      querystring: Type.Object({
        ...TIMELINE_FILTERS,
        format: Type.Optional(Type.Enum(['csv', 'json'], { description: 'csv (the default) or json' })),
      }),
      response: {
        200: { description: 'The matching requests, as an attachment.', content: { 'text/csv': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: shared('TimelineEntry') } } } },
        400: BAD_REQUEST,
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const filter = timelineFilter(q);
    const format = q.format ?? 'csv';
    const parties = partyCache();
    // A page at a time from the newest back, so a long log is never held whole in memory.
    function* chunks(): Generator<string> {
      yield format === 'csv' ? timelineCsvHeader() : '[';
      let before: number | undefined;
      let first = true;
      for (;;) {
        const page = dcc.gateway.listRequests({ ...filter, beforeId: before, limit: 500 });
        if (page.length === 0) break;
        let out = '';
        for (const r of page) {
          const e = timelineEntry(r, parties);
          out += format === 'csv' ? timelineCsvRow(e) : `${first ? '' : ','}\n${JSON.stringify(e)}`;
          first = false;
        }
        yield out;
        before = page.at(-1)!.id;
      }
      if (format === 'json') yield '\n]\n';
    }
    const stamp = dcc.clock.now().toISOString().slice(0, 19).replace(/:/g, '');
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="dcc-sim-requests-${stamp}.${format}"`)
      .send(Readable.from(chunks()));
  });

  app.get('/api/console/requests', {
    schema: {
      tags: ['Requests'],
      summary: 'The timeline: recent requests, newest first',
      querystring: Type.Object({
        ...TIMELINE_FILTERS,
        after: Type.Optional(WHOLE('only entries with a greater request log id')),
        before: Type.Optional(WHOLE('only entries with a smaller request log id (paging back)')),
        limit: Type.Optional(WHOLE('how many, default 50, at most 200')),
      }),
      response: { 200: answer('Timeline entries.', { type: 'array', items: shared('TimelineEntry') }), 400: BAD_REQUEST },
    },
  }, async (req) => {
    const q = req.query;
    const parties = partyCache();
    const list = dcc.gateway.listRequests({
      ...timelineFilter(q),
      beforeId: q.before ? Number(q.before) : undefined,
      afterId: q.after ? Number(q.after) : undefined,
      limit: Math.min(200, Number(q.limit) || 50),
    });
    return list.map((r) => timelineEntry(r, parties));
  });

  app.get('/api/console/requests/:id', {
    schema: {
      tags: ['Requests'],
      summary: 'One request taken apart: decoded DUIS and annotated GBCS',
      params: Type.Object({ id: WHOLE('request log id') }),
      response: { 200: answer('The request, its responses and every GBCS message they carry.', shared('RequestDetail')), 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const id = Number(req.params.id);
    const log = Number.isInteger(id) ? dcc.gateway.getRequest(id) : undefined;
    if (!log) return reply.code(404).send({ error: `no request #${req.params.id} in the request log` });
    // the asynchronous responses belong to the leg that reached the device (not to a 6.15.1's first leg)
    const outbox = log.requestId && log.commandVariant !== 4 && log.failedStep === null ? dcc.gateway.responsesFor(log.requestId) : [];
    return requestDetail(world, log, outbox);
  });

  // --- build, sign and send as a party ----------------------------------------------------------------
  app.post('/api/console/send', {
    schema: {
      tags: ['Send'],
      summary: 'Build, sign and send a 6.21 or 6.15.1 as a party',
      description:
        "Builds the request for the device as `dcc-sim example` does, signs it with the sender's XML-signing key from the world and hands it to the DCC exactly as a DUIS request posted to /api/v1/serviceS|T is handled. A 6.15.1 goes through both legs: the pre-command is signed with the sender's GBCS key and sent back as CommandVariant 5. Refusals are answered 200 with `accepted: false`, the response code and the reason; 400 means the form itself could not be turned into a request.",
      // EUIs and the time are plain strings here: send.ts says what is wrong with them in words.
      body: Type.Object({
        service: Type.Enum([...CONSOLE_SERVICES]),
        device: EUI('the device'),
        role: Type.Enum(['Supplier', 'NetworkOperator'], { description: 'RemotePartyRole: whose cells are replaced' }),
        sender: Type.Optional(EUI('who signs and sends; default: the registered supplier for 6.21, the registered party of the role for 6.15.1')),
        certificatesOf: Type.Optional(EUI('whose certificates the request carries; default: the party registration data expects (the ACB for a GPF whose GNO is not a DCC User)')),
        freshCertificates: Type.Optional(Type.Boolean({ default: true, description: '6.15.1: issue new certificates for that party (not in a ZAZ1 world)' })),
        applyTimeBasedCpvChecks: Type.Optional(Type.Boolean({ default: true })),
        executionDateTime: Type.Optional(Type.String({ description: '6.15.1 only: future-dated (ISO 8601)' })),
      }),
      response: { 200: answer('What the DCC answered, leg by leg.', shared('SendResult')), 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    try {
      const result = sendFromConsole(world, dcc, req.body);
      return result;
    } catch (err) {
      if (err instanceof ConsoleInputError || (err as Error).name === 'WorldError') return reply.code(400).send({ error: (err as Error).message });
      throw err;
    }
  });

  // --- the request library -----------------------------------------------------------------------------
  const inputError = (err: unknown, reply: FastifyReply) => {
    if (err instanceof ConsoleInputError || (err as Error).name === 'WorldError') return reply.code(400).send({ error: (err as Error).message });
    throw err;
  };
  const LibraryEntrySchema = Type.Object({
    variant: Type.String(), name: Type.String(), critical: Type.Boolean(), nonDevice: Type.Boolean(), userRoles: Type.Array(Type.String()),
    example: Type.Union([Type.String(), Type.Null()], { description: 'the `dcc-sim example` name, null when the service has none yet' }),
    newDevice: Type.Boolean({ description: 'the example is for a device not yet in the inventory' }),
  });
  app.get('/api/console/library', {
    schema: {
      tags: ['Send'],
      summary: 'The request library: every service dcc-sim carries out, with its example',
      response: { 200: answer('One entry per registered service variant.', Type.Array(LibraryEntrySchema) as unknown as Record<string, unknown>) },
    },
  }, async () => libraryEntries());

  app.post('/api/console/library/example', {
    schema: {
      tags: ['Send'],
      summary: "A service's example request for a device, unsigned, for editing",
      body: Type.Object({
        example: Type.String({ description: 'the example name (GET /api/console/library)' }),
        device: Type.Optional(EUI('the device the request is for; absent: a device of the world the service suits')),
        role: Type.Optional(Type.Enum(['Supplier', 'NetworkOperator'], { description: 'for services either may send' })),
      }),
      response: { 200: answer('The request and the device it is for.', Type.Object({
        xml: Type.String(), device: Type.String(),
        prepared: Type.Optional(Type.String({ description: 'what the library did first for the example to be usable (8.13: a command obtained for local delivery and delivered), in the timeline' })),
      }) as unknown as Record<string, unknown>), 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    try {
      return await libraryExample(world, req.body, ctx.dcc);
    } catch (err) {
      return inputError(err, reply);
    }
  });

  const XmlBody = Type.Object({ xml: Type.String({ maxLength: 1_000_000, description: 'a DUIS sr:Request (unsigned, or signed: any signature is replaced)' }) });
  app.post('/api/console/library/send', {
    schema: {
      tags: ['Send'],
      summary: 'Sign a request as the party its RequestID names and send it',
      description: 'Gives the RequestID a fresh counter, signs with the originator\'s XML-signing key from the world and hands the request to the DCC as /api/v1/serviceS|T|D would; a critical request goes through both legs (the pre-command signed with the originator\'s GBCS key). Refusals are answered 200 with their response code and reason.',
      body: XmlBody,
      response: {
        200: answer('What the DCC answered, leg by leg, and the final outcome.', Type.Object({
          requestId: Type.String(),
          legs: Type.Array(Type.Object({ endpoint: Type.String(), commandVariant: Type.Integer(), requestLogId: Type.Integer(), responseCode: Type.String(), reason: Type.Union([Type.String(), Type.Null()]) })),
          finalResponseCode: Type.String(), finalReason: Type.Union([Type.String(), Type.Null()]), succeeded: Type.Boolean(),
        }) as unknown as Record<string, unknown>),
        400: BAD_REQUEST,
      },
    },
  }, async (req, reply) => {
    try {
      return librarySend(world, dcc, req.body.xml);
    } catch (err) {
      return inputError(err, reply);
    }
  });

  app.post('/api/console/library/sign', {
    schema: {
      tags: ['Send'],
      summary: 'Sign a request as the party its RequestID names, without sending it (for curl or another client)',
      body: XmlBody,
      response: { 200: answer('The signed request and the endpoint it belongs on.', Type.Object({ endpoint: Type.String(), requestId: Type.String(), xml: Type.String() }) as unknown as Record<string, unknown>), 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    try {
      return librarySign(world, dcc, req.body.xml);
    } catch (err) {
      return inputError(err, reply);
    }
  });

  // --- live events (server-sent) --------------------------------------------------------------------
  const streams = new Set<ServerResponse>();
  const broadcast = (event: string, data: unknown, id?: number) => {
    const frame = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of streams) s.write(frame);
  };
  const broadcastRow = (id: number) => {
    if (streams.size === 0) return;
    const log = dcc.gateway.getRequest(id);
    if (log) broadcast('request', timelineEntry(log), id);
  };
  const onRequest = (e: RequestEvent) => broadcastRow(e.id);
  const onCells = (e: { deviceEui: string; changedCells: string[] }) => {
    if (streams.size) broadcast('cells', { device: dashedEui(e.deviceEui), changedCells: e.changedCells });
  };
  const onDccOrder = (e: { requestLogIds: number[] }) => {
    for (const id of e.requestLogIds) broadcastRow(id);
  };
  // What this server did, and (PostgreSQL) what the world's other servers did, heard as they commit:
  // the console shows the world's timeline whichever server it is connected to.
  const onPeerRequest = (e: PeerRequestEvent) => broadcastRow(e.id);
  const subscriptions: [string, Parameters<typeof dcc.on>[1]][] = [
    ['request', onRequest], ['cells', onCells], ['dcc-order', onDccOrder],
    ['peer-request', onPeerRequest], ['peer-cells', onCells], ['peer-dcc-order', onDccOrder],
  ];
  for (const [event, f] of subscriptions) dcc.on(event, f);
  const ticker = setInterval(() => {
    if (streams.size) broadcast('clock', { now: dcc.clock.now().toISOString() });
  }, 5000);
  ticker.unref();

  app.get('/api/console/events', {
    schema: {
      tags: ['Requests'],
      summary: 'Live events (server-sent events)',
      description:
        'A `text/event-stream`. Events: `hello` {now} on connection; `request` (a TimelineEntry, with the log id as the event id) for every service request, accepted or refused (on a PostgreSQL world, those of every server serving it, as each commits); `cells` {device, changedCells} when future-dated commands change a device; `clock` {now} every 5 s. A reconnecting client that sends Last-Event-ID gets the requests it missed.',
      response: { 200: answer('The event stream.', { type: 'string' }, 'text/event-stream') },
    },
  }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ now: dcc.clock.now().toISOString() })}\n\n`);
    // a reconnecting browser says where it got to: replay what it missed
    const last = Number(req.headers['last-event-id']);
    if (Number.isInteger(last) && last > 0) {
      const parties = partyCache();
      for (const r of dcc.gateway.listRequests({ afterId: last, limit: 200 }).reverse()) {
        res.write(`id: ${r.id}\nevent: request\ndata: ${JSON.stringify(timelineEntry(r, parties))}\n\n`);
      }
    }
    streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    const done = () => {
      clearInterval(keepAlive);
      streams.delete(res);
    };
    req.raw.on('close', done);
    res.on('error', done);
  });

  // Open event streams would keep app.close() waiting: end them first.
  app.addHook('preClose', (done) => {
    clearInterval(ticker);
    for (const [event, f] of subscriptions) dcc.off(event, f);
    for (const s of streams) s.end();
    streams.clear();
    done();
  });
}
