/**
 * Auxiliary loads on the ESME (DUIS 7.5-7.15): the five auxiliary load control switches (ALCS/HCALCS) and
 * auxiliary proportional controllers (APC) driven through the auxiliary script table 0-0:10.0.103.255, the boost
 * button and the switches it boosts, the randomised offset limit, and the reads of their data (ECS47, ECS47a,
 * ECS62, ECS38, ECS61a/c/e). Script ids and objects as service-requests/services/auxiliary-commands.ts describes.
 *
 * State in the application state's 'auxiliaryLoads' section: timed overrides per switch, each controller's
 * commanded level and period, boost membership. Like prepayment.ts, these use cases run on this family's own
 * COSEM table (in `before`): the switch schedule and special days (0-0:12.0.2.255, 0-0:11.0.3.255) are 6.14's
 * to set, and whatever a command stored is read back as stored.
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { DataAccessResult, dlms, encodeAccessResponse, encodeDataNotification, invokeIdFor, obis, type DlmsData } from '../../gbcs/dlms.ts';
import { decodeDlmsDateTime, encodeDlmsDateTime } from '../../gbcs/dlms-time.ts';
import { factsOf } from '../certificate-cache.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import { onEveryCommand, type CommandContext } from '../app-use-case.ts';
import { cosemTable, runAccess, storedAttribute, type CosemObject } from '../cosem.ts';
import { RejectionAlert, reject } from '../security.ts';
import { dlmsUseCase, type UseCaseFamily } from './kit.ts';

export interface AuxiliaryLoadsSection {
  /** per switch ('1'-'5'): a timed override of its schedule (ECS47); no `until`: until reset */
  overrides: Record<string, { on: boolean; from: string; until?: string }>;
  /** per controller ('1'-'5'): the commanded level (0-100) over a period (ECS47a) */
  controllers: Record<string, { level: number; input: boolean; from: string; to: string }>;
  /** the switches the boost button boosts, 1-5 */
  boost: boolean[];
  /** per controller ('1'-'5'): the load controller's limit on its level (0-100) over a period (ECS47e) */
  limits?: Record<string, { level: number; input: boolean; from: string; to: string }>;
}

export function auxiliaryLoadsOf(app: DeviceAppState): AuxiliaryLoadsSection {
  return appSection<AuxiliaryLoadsSection>(app, 'auxiliaryLoads', () => ({ overrides: {}, controllers: {}, boost: [false, false, false, false, false] }));
}

const FIVE = [1, 2, 3, 4, 5];

const during = (p: { from: string; to: string }, now: Date) => now >= new Date(p.from) && now < new Date(p.to);

/**
 * A controller's commanded level now, if a command set one for now, held at or below the load controller's limit
 * on the same measure (output, or input from the controlled load) while that limit's period lasts.
 */
function levelAt(s: AuxiliaryLoadsSection | undefined, n: number, now: Date): { level: number; input: boolean } | undefined {
  const c = s?.controllers[n];
  if (!c || !during(c, now)) return undefined;
  const l = s?.limits?.[n];
  if (l && l.input === c.input && during(l, now) && l.level < c.level) return { level: l.level, input: c.input };
  return c;
}

/** A switch is on while an override says so, else while its controller is commanded to 100; otherwise off (no schedule is modelled). */
export function switchOn(app: DeviceAppState, n: number, now: Date): boolean {
  const s = app.auxiliaryLoads as AuxiliaryLoadsSection | undefined;
  const o = s?.overrides[n];
  if (o && (!o.until || now < new Date(o.until))) return o.on;
  return levelAt(s, n, now)?.level === 100;
}

const SCRIPT_TABLE = obis('0-0:10.0.103.255');
const ALCS_OPERATION: Record<number, 'activate' | 'deactivate' | 'reset'> = { 0x11: 'activate', 0x12: 'deactivate', 0x20: 'reset' };
const periodObject = (n: number, f: 1 | 2) => obis(`0-0:94.44.${116 + n}.${f}`);

/** Runs an auxiliary script: an ALCS override (switch << 8 | operation) or a controller's level (0x1n/0x2n << 8 | level). */
function runScript(id: number, ctx: CommandContext): boolean {
  const hi = id >> 8;
  const lo = id & 0xff;
  const s = auxiliaryLoadsOf(ctx.app);
  const op = ALCS_OPERATION[lo];
  if (hi >= 1 && hi <= 5 && op) {
    if (op === 'reset') {
      delete s.overrides[hi];
      return true;
    }
    // the duration (minutes) the same command set just before; 0: until reset
    const d = storedAttribute(ctx.app, 1, periodObject(hi, op === 'activate' ? 1 : 2), 2);
    const minutes = d?.type === 'long-unsigned' ? d.value : 0;
    s.overrides[hi] = { on: op === 'activate', from: ctx.now.toISOString(), ...(minutes > 0 ? { until: new Date(ctx.now.getTime() + minutes * 60_000).toISOString() } : {}) };
    return true;
  }
  const n = hi & 0x0f;
  const kind = hi & 0xf0;
  if ((kind === 0x10 || kind === 0x20) && n >= 1 && n <= 5 && lo <= 100) {
    const from = storedAttribute(ctx.app, 1, periodObject(n, 1), 2);
    const to = storedAttribute(ctx.app, 1, periodObject(n, 2), 2);
    if (from?.type !== 'octet-string' || to?.type !== 'octet-string') return false;
    try {
      s.controllers[n] = { level: lo, input: kind === 0x20, from: decodeDlmsDateTime(from.value).toISOString(), to: decodeDlmsDateTime(to.value).toISOString() };
    } catch {
      return false;
    }
    return true;
  }
  return false;
}

const APC_LIMIT_TABLE = obis('0-0:10.0.107.255');

/** Runs an APC limit script (ECS47e): (0x1n output, 0x2n input) << 8 | level, between 0-0:94.44.(116 + n).3 and .4. */
function runLimitScript(id: number, ctx: CommandContext): boolean {
  const hi = id >> 8;
  const level = id & 0xff;
  const n = hi & 0x0f;
  const kind = hi & 0xf0;
  if ((kind !== 0x10 && kind !== 0x20) || n < 1 || n > 5 || level > 100) return false;
  const from = storedAttribute(ctx.app, 1, obis(`0-0:94.44.${116 + n}.3`), 2);
  const to = storedAttribute(ctx.app, 1, obis(`0-0:94.44.${116 + n}.4`), 2);
  if (from?.type !== 'octet-string' || to?.type !== 'octet-string') return false;
  const s = auxiliaryLoadsOf(ctx.app);
  try {
    (s.limits ??= {})[n] = { level, input: kind === 0x20, from: decodeDlmsDateTime(from.value).toISOString(), to: decodeDlmsDateTime(to.value).toISOString() };
  } catch {
    return false;
  }
  raiseLimitProcessed(ctx, hi, from.value, to.value, level);
  return true;
}

/**
 * ECS101 (message code 0x0121, alert 8F86 Limit APC Level processed, critical): the ESME tells its supplier what the
 * load controller set, as the RTDS vectors show it: the script's controller byte, the period and the level.
 */
function raiseLimitProcessed(ctx: CommandContext, controller: number, from: Buffer, to: Buffer, level: number): void {
  const supplierDs = ctx.device.cells.supplierDS;
  const supplier = supplierDs ? factsOf(supplierDs)?.subjectEui : undefined;
  if (!supplier) return;
  // the alert counter the dispatcher gives it: the next one (one alert per command here)
  const payload = encodeDataNotification({
    invokeId: invokeIdFor(ctx.device.alertCounter + 1n),
    body: dlms.structure(dlms.longUnsigned(0x8f86), dlms.octets(encodeDlmsDateTime(ctx.now)), dlms.unsigned(controller), dlms.octets(from), dlms.octets(to), dlms.unsigned(level)),
  });
  ctx.raise({ messageCode: 0x0121, payload, critical: true, to: supplier, toRole: RemotePartyRole.Supplier });
}

/**
 * ECS102 (message code 0x0122, alert 8F87 Limit APC Level ended, critical): once a limit's period is over the ESME
 * tells its supplier, with the controller byte and the level (as the RTDS vectors). The emulated meter notices
 * when the next command reaches it (app-use-case.ts `onEveryCommand`); the alert carries the time the limit ended.
 * [Not yet: a limit cancelled by a new one.]
 */
export function raiseLimitsEnded(ctx: CommandContext): void {
  if (ctx.device.type !== 'ESME') return;
  const limits = (ctx.app.auxiliaryLoads as AuxiliaryLoadsSection | undefined)?.limits;
  if (!limits) return;
  const supplierDs = ctx.device.cells.supplierDS;
  const supplier = supplierDs ? factsOf(supplierDs)?.subjectEui : undefined;
  let k = 0n;
  for (const [n, l] of Object.entries(limits)) {
    if (ctx.now < new Date(l.to)) continue;
    delete limits[n];
    if (!supplier) continue;
    k += 1n;
    const payload = encodeDataNotification({
      invokeId: invokeIdFor(ctx.device.alertCounter + k),
      body: dlms.structure(dlms.longUnsigned(0x8f87), dlms.octets(encodeDlmsDateTime(new Date(l.to))), dlms.unsigned((l.input ? 0x20 : 0x10) | Number(n)), dlms.unsigned(l.level)),
    });
    ctx.raise({ messageCode: 0x0122, payload, critical: true, to: supplier, toRole: RemotePartyRole.Supplier });
  }
}

onEveryCommand(raiseLimitsEnded);

const textOf = (v: string): DlmsData => ({ type: 'utf8-string', value: Buffer.from(v, 'utf8') });

const objects: CosemObject[] = [
  {
    classId: 9,
    obis: SCRIPT_TABLE,
    name: 'auxiliary script table',
    action(method, parameter, ctx) {
      if (method !== 1 || parameter.type !== 'long-unsigned') return { result: DataAccessResult.otherReason };
      return { result: runScript(parameter.value, ctx) ? DataAccessResult.success : DataAccessResult.otherReason };
    },
  },
  {
    classId: 9,
    obis: APC_LIMIT_TABLE,
    name: 'APC limit script table',
    action(method, parameter, ctx) {
      if (method !== 1 || parameter.type !== 'long-unsigned') return { result: DataAccessResult.otherReason };
      return { result: runLimitScript(parameter.value, ctx) ? DataAccessResult.success : DataAccessResult.otherReason };
    },
  },
  ...FIVE.map((n): CosemObject => ({
    classId: 1,
    obis: obis(`0-0:94.44.6.${n}`),
    name: `boost membership of switch ${n}`,
    set(attribute, value, ctx) {
      if (attribute !== 2 || value.type !== 'boolean') return { result: DataAccessResult.typeUnmatched };
      auxiliaryLoadsOf(ctx.app).boost[n - 1] = value.value;
      return { result: DataAccessResult.success };
    },
    get: (attribute, ctx) => (attribute === 2 ? dlms.boolean((ctx.app.auxiliaryLoads as AuxiliaryLoadsSection | undefined)?.boost[n - 1] ?? false) : undefined),
  })),
  {
    classId: 1,
    obis: obis('0-0:94.44.7.255'),
    name: 'boost button enabled',
    get: (attribute) => (attribute === 2 ? dlms.boolean(true) : undefined),
  },
  {
    classId: 7,
    obis: obis('0-0:99.98.20.255'),
    name: 'boost button log',
    // Boost presses are the consumer's, at the meter; none happen in the simulation, so the log is empty.
    get: (attribute) => (attribute === 2
      ? { type: 'compact-array', description: { type: 'structure', elements: [{ type: 'double-long-unsigned' }, { type: 'double-long-unsigned' }] }, items: [] }
      : undefined),
  },
  ...FIVE.flatMap((n): CosemObject[] => [
    {
      classId: 1,
      obis: obis(`0-0:94.44.0.${10 + n}`),
      name: `auxiliary controller ${n} description`,
      get: (attribute, ctx) => (attribute === 2 ? storedAttribute(ctx.app, 1, obis(`0-0:94.44.0.${10 + n}`), 2) ?? dlms.visible(`ALCS_${n}`) : undefined),
    },
    {
      classId: 1,
      obis: obis(`0-0:94.44.0.${20 + n}`),
      name: `auxiliary controller ${n} identity`,
      // a switch inside the meter has no EUI of its own (an HCALCS would)
      get: (attribute, ctx) => (attribute === 2 ? storedAttribute(ctx.app, 1, obis(`0-0:94.44.0.${20 + n}`), 2) ?? dlms.octets(Buffer.alloc(8)) : undefined),
    },
    {
      classId: 1,
      obis: obis(`0-0:94.44.0.${30 + n}`),
      name: `auxiliary controller ${n} operational data`,
      get(attribute, ctx) {
        if (attribute !== 2) return undefined;
        const l = levelAt(ctx.app.auxiliaryLoads as AuxiliaryLoadsSection | undefined, n, ctx.now);
        const out = switchOn(ctx.app, n, ctx.now) && !l ? 100 : l?.level ?? 0;
        return textOf(JSON.stringify({ outputState: l?.input ? 0 : out, inputState: l?.input ? l.level : 0 }));
      },
    },
    {
      classId: 70,
      obis: obis(`0-${n}:96.3.10.255`),
      name: `auxiliary load switch ${n}`,
      get: (attribute, ctx) => (attribute === 2 ? dlms.boolean(switchOn(ctx.app, n, ctx.now)) : undefined),
    },
  ]),
  {
    classId: 11,
    obis: obis('0-0:11.0.3.255'),
    name: 'auxiliary special days',
    get: (attribute, ctx) => (attribute === 2 ? storedAttribute(ctx.app, 11, obis('0-0:11.0.3.255'), 2) ?? dlms.array([]) : undefined),
  },
  {
    classId: 10,
    obis: obis('0-0:12.0.2.255'),
    name: 'auxiliary schedule',
    get: (attribute, ctx) => (attribute === 2 ? storedAttribute(ctx.app, 10, obis('0-0:12.0.2.255'), 2) ?? dlms.array([]) : undefined),
  },
];

const TABLE = cosemTable(objects);

function onAuxiliaryObjects(ctx: CommandContext): Buffer {
  if (ctx.body.kind !== 'dlms-request') return reject(RejectionAlert.integrityCheckFailed, `a ${ctx.body.kind} payload is not a DLMS ACCESS request`);
  return encodeAccessResponse(runAccess(ctx.body.request, ctx, TABLE));
}

const SUPPLIER = [RemotePartyRole.Supplier];
const common = { deviceTypes: ['ESME'] as const, roles: SUPPLIER, before: onAuxiliaryObjects };

export const AUXILIARY_LOADS: UseCaseFamily = {
  name: 'auxiliary loads',
  useCases: [
    // 0x0055 carries ECS47 Activate, Deactivate and Reset alike: the script id says which.
    dlmsUseCase({ ...common, name: 'ECS47', messageCodes: [0x0055], critical: true }),
    dlmsUseCase({ ...common, name: 'ECS62', messageCodes: [0x005f], critical: false }),
    dlmsUseCase({ ...common, name: 'ECS61c', messageCodes: [0x005e], critical: false }),
    dlmsUseCase({ ...common, name: 'ECS38', messageCodes: [0x004b], critical: true }),
    dlmsUseCase({ ...common, name: 'ECS47a', messageCodes: [0x011e], critical: true }),
    dlmsUseCase({ ...common, name: 'ECS61a', messageCodes: [0x00bb], critical: false }),
    dlmsUseCase({ ...common, name: 'ECS61e', messageCodes: [0x011d], critical: false }),
    // ‡: the DCC's ACB sends it for the supplier (other-information names the supplier and its counter)
    dlmsUseCase({ ...common, name: 'ECS61d', messageCodes: [0x011c], critical: false, roles: [RemotePartyRole.AccessControlBroker] }),
    // the Load Controller's (remote party role 8: the ESME's load controller cells), not the supplier's
    dlmsUseCase({ ...common, name: 'ECS47e', messageCodes: [0x011f], critical: true, roles: [RemotePartyRole.LoadController] }),
  ],
};
