import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { dashedEui, parseEui, type Eui } from '../../pki/index.ts';
import { FAULT_KINDS, type Fault, type FaultKind } from '../../db/index.ts';
import { BAD_REQUEST, NOT_FOUND, reply as answer } from './schemas.ts';
import type { ApiContext } from './index.ts';

// Fault injection (issue 18): make a device, a comms hub or a party's receiver misbehave on purpose, see
// what a DUIS User sees, and clear it.
//   GET    /api/faults                 every fault set
//   PUT    /api/faults/:eui            set one (kind, detail) on a device, comms hub or party
//   DELETE /api/faults/:eui[?kind=]    clear one kind, or all of the target's
//   POST   /api/devices/:eui/alerts    the device raises an alert now (power outage, tamper, any code)

const EUI_PARAM = Type.Object({ eui: Type.String({ description: 'a device, comms hub or party; an EUI-64, dashes optional' }) });
const FAULT = Type.Object({
  targetEui: Type.String(), kind: Type.String({ enum: [...FAULT_KINDS] }),
  detail: Type.Union([Type.String(), Type.Null()], { description: 'device-refuses: the GBCS alert code; slow-wan, receiver-delays: seconds' }),
  createdAt: Type.String({ format: 'date-time' }),
});
const schema = (s: unknown) => s as Record<string, unknown>;

/** What each kind applies to, and its detail: the reason a wrong one is refused. */
const APPLIES: Record<FaultKind, { to: 'device' | 'hub' | 'device-or-hub' | 'party'; detail?: RegExp; what?: string }> = {
  'device-offline': { to: 'device' },
  'device-refuses': { to: 'device', detail: /^[0-9A-Fa-f]{4}$/, what: 'a GBCS alert code such as 8F30' },
  'slow-wan': { to: 'device-or-hub', detail: /^\d{1,4}$/, what: 'a delay in seconds (0-9999)' },
  'hub-down': { to: 'hub' },
  'receiver-drops': { to: 'party' },
  'receiver-delays': { to: 'party', detail: /^\d{1,3}$/, what: 'a delay in seconds (0-999)' },
};

export async function register(app: FastifyInstance, { world, dcc }: ApiContext): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const store = world.store;
  const view = (f: Fault) => ({ ...f, targetEui: dashedEui(f.targetEui) });
  const euiOf = (text: string): Eui | undefined => {
    try {
      return parseEui(text);
    } catch {
      return undefined;
    }
  };

  r.get('/api/faults', {
    schema: { tags: ['Faults'], summary: 'The faults injected now', response: { 200: answer('Every fault set, oldest first.', schema(Type.Array(FAULT))) } },
  }, async () => store.faults.all().map(view));

  r.put('/api/faults/:eui', {
    schema: {
      tags: ['Faults'],
      summary: 'Inject a fault on a device, a comms hub or a party',
      description: 'device-offline: commands get E21 (no response), nothing changes on the device. device-refuses: the device discards every command with the given alert code (E21 with the alert). slow-wan: answers reach the party\'s receiver that many seconds later. hub-down: commands to any device behind the comms hub get E20. receiver-drops / receiver-delays: delivery to the party\'s Receive Response Service fails / waits (retried with back-off). Cleared with DELETE.',
      params: EUI_PARAM,
      body: Type.Object({ kind: Type.String({ enum: [...FAULT_KINDS] }), detail: Type.Optional(Type.String()) }),
      response: { 200: answer("The target's faults.", schema(Type.Array(FAULT))), 400: BAD_REQUEST, 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const eui = euiOf(req.params.eui);
    if (!eui) return reply.code(400).send({ error: `'${req.params.eui}' is not an EUI-64` });
    const kind = req.body.kind as FaultKind;
    const rule = APPLIES[kind];
    const device = store.getDevice(eui);
    const party = store.getParty(eui);
    if (!device && !party) return reply.code(404).send({ error: `no device or party ${dashedEui(eui)} in the world` });
    const ok = rule.to === 'party' ? !!party
      : rule.to === 'hub' ? device?.type === 'CHF'
        : rule.to === 'device' ? !!device && device.type !== 'CHF'
          : !!device;
    if (!ok) {
      const target = device ? `${device.type} ${dashedEui(eui)}` : `party ${party!.name}`;
      const wants = { party: 'a party', hub: 'a comms hub', device: 'a meter or HAN device (not a comms hub)', 'device-or-hub': 'a device or comms hub' }[rule.to];
      return reply.code(400).send({ error: `${kind} applies to ${wants}, not ${target}` });
    }
    const detail = req.body.detail ?? null;
    if (rule.detail && (detail === null || !rule.detail.test(detail))) return reply.code(400).send({ error: `${kind} needs detail: ${rule.what}` });
    if (!rule.detail && detail !== null) return reply.code(400).send({ error: `${kind} takes no detail` });
    store.faults.put(eui, kind, detail ? detail.toUpperCase() : null, dcc.clock.now().toISOString());
    return store.faults.of(eui).map(view);
  });

  r.delete('/api/faults/:eui', {
    schema: {
      tags: ['Faults'],
      summary: "Clear a target's faults (one kind, or all)",
      params: EUI_PARAM,
      querystring: Type.Object({ kind: Type.Optional(Type.String({ enum: [...FAULT_KINDS] })) }),
      response: { 200: answer('How many were cleared.', schema(Type.Object({ cleared: Type.Integer() }))), 400: BAD_REQUEST },
    },
  }, async (req, reply) => {
    const eui = euiOf(req.params.eui);
    if (!eui) return reply.code(400).send({ error: `'${req.params.eui}' is not an EUI-64` });
    return { cleared: store.faults.clear(eui, req.query.kind as FaultKind | undefined) };
  });

  r.post('/api/devices/:eui/alerts', {
    schema: {
      tags: ['Faults'],
      summary: 'The device raises an alert now',
      description: "A meter's alert goes to its supplier, a comms hub's to the DCC (passed to no User): framed as the RTDS generic alerts (critical codes signed, others MAC'd) and queued as a DUIS DeviceAlertMessage. A non-critical code the device's alert behaviour (6.22) disables is not sent (400).",
      params: EUI_PARAM,
      body: Type.Object({ alertCode: Type.String({ pattern: '^[0-9A-Fa-f]{4}$', description: 'the GBCS alert code, e.g. 8F30 (critical) or 810E' }) }),
      response: { 200: answer('The alert and its recipient.', schema(Type.Object({ alertCode: Type.String(), to: Type.String() }))), 400: BAD_REQUEST, 404: NOT_FOUND },
    },
  }, async (req, reply) => {
    const eui = euiOf(req.params.eui);
    if (!eui) return reply.code(400).send({ error: `'${req.params.eui}' is not an EUI-64` });
    if (!store.getDevice(eui)) return reply.code(404).send({ error: `no device ${dashedEui(eui)} in the world` });
    try {
      const r = dcc.raiseAlert(eui, parseInt(req.body.alertCode, 16));
      return { alertCode: r.alertCode, to: dashedEui(r.to) };
    } catch (err) {
      if ((err as Error).name === 'WorldError') return reply.code(400).send({ error: (err as Error).message });
      throw err;
    }
  });
}
