/**
 * The common shape of a DUIS device service: the DCC turns the request body into one GBCS command for the
 * target's device type and sends it. Non-critical (CV 1): the command travels at once, the RequestID's
 * originator and counter in its grouping header, with the ACB MAC; the device's response comes back as the
 * asynchronous I0. Critical (CV 4 then 5): the DCC issues the command as a pre-command for the User to sign,
 * then checks the signed leg and sends it with the ACB MAC. A service module is then only its body, how
 * its body becomes GBCS, and who may send it.
 */
import { RemotePartyRole, dashedEui, type DeviceType, type Eui } from '../../pki/index.ts';
import { encodeApdu, signApdu, wrapWithAcbMac } from '../../devices/index.ts';
import { bodyKit, serviceFacts, type BodyCodec, type RequestBody, type ResponseContent } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { BodyField, ExampleContext, ExamplePreference, ExampleRequest, HandlerState, RegistrationCheck, ServiceModule, ServiceOutcome, StateNeeds, ValidatedRequest } from '../service.ts';
import type { Step } from '../pipeline/step.ts';
import type { DeviceInfo } from '../ports.ts';
import { issueDevicePreCommand } from './device-credentials.ts';
import { heldDetails } from './dsp-held.ts';
import { completeSignedByOriginator, signedPreCommandOf, type SignedPreCommandBody } from './signed-pre-command.ts';

const { Sequence, checkAttributes, readDateTime, writeExecution } = bodyKit;

/** The GBCS command a body becomes on a device type. */
export interface GbcsCommand {
  /** the GBCS use case, e.g. 'ECS45' (logs and the console) */
  useCase: string;
  messageCode: number;
  payload: Buffer;
  /**
   * ‡ use cases (catalogue.md §2.2): the DCC's ACB originates the command with its own counter and names the
   * User in other-information as the supplementary remote party, with its RequestID counter.
   */
  viaAcb?: boolean;
  /** with viaAcb: the KA certificate of a User whose key is not on the device (URP), carried after its EUI and counter */
  urpCertificate?: Buffer;
  /** an ACB-originated command the ACB also signs (RTDS: a PPMID's joins and unjoins, CS03A2/CS04AC non-critical) */
  acbSigned?: boolean;
}

export interface CommandTime {
  counter: bigint;
  now: Date;
  /** what `needs` loaded (empty when only the target's device type is being judged) */
  state: HandlerState;
  /**
   * The User the command is for and its device, as DLMS protection parameters name them (the User even when the
   * ACB sends the command, as RTDS shows); absent when only the device type is asked.
   */
  originator?: Eui;
  target?: Eui;
  /** the target ESME's variant, when the inventory has it (C…: polyphase) */
  esmeVariant?: string;
  /** in whose registered role the sender commands (unknown when the pipeline only asks whether a device type suits) */
  sender?: 'supplier' | 'networkOperator';
}

/**
 * 'anyUser': any User of the service's user roles, registered for the device or not (e.g. an Other User asking 9.1);
 * 'loadController': likewise, and a critical command is signed in the load controller's role (7.16)
 */
export type Sender = 'supplier' | 'networkOperator' | 'supplierOrNetworkOperator' | 'anyUser' | 'loadController';

export interface DeviceCommandDef<B extends RequestBody> {
  /** the service reference variant, e.g. '7.4' */
  variant: string;
  displayName: string;
  body: BodyCodec<B>;
  /**
   * The GBCS use case for this body on this device type, or why the device type cannot take it (E11).
   * `at.counter` is the grouping header's (DLMS invoke ids are made from it); `at.now` the DCC's clock.
   */
  command(body: NoInfer<B>, type: DeviceType, at: CommandTime): GbcsCommand | string;
  /** the registered party that may send it (E4 otherwise) */
  sender: Sender;
  /** the user roles dcc-sim accepts where the DUIS matrix lists none (the module says why) */
  assumedUserRoles?: ServiceModule<B>['assumedUserRoles'];
  /** CV 2 is served too: the DCC answers with the command for the User to deliver locally */
  localDelivery?: boolean;
  /**
   * Who originates the GBCS command: the User (default; its RequestID counter in the grouping header), or the
   * DCC's Access Control Broker (commands to a comms hub or a PPMID: the ACB's counter, the User's EUI and counter
   * as the supplementary remote party in other-information, as the RTDS CCS, CS08 and PPMID join vectors show).
   * A command may also say so itself (GbcsCommand.viaAcb).
   */
  originator?: 'user' | 'acb' | ((type: DeviceType) => 'user' | 'acb');
  /**
   * The device types the DCC itself may send it to, its ACB's EUI the RequestID originator (RTDS's CS08 and GCS59
   * templates): only where the ACB originates the command anyway. It then acts for no User, so other-information
   * names no supplementary remote party (length 2, as the DCC's own GCS59 and CS02a/f vectors show).
   */
  dccOriginates?: readonly DeviceType[];
  /** state the command needs beyond the target (e.g. 8.11: the inventory row of the device to add, for its type) */
  needs?(body: NoInfer<B>): StateNeeds;
  /**
   * What the device's successful response changes in the inventory (8.1.1: Commissioned). A critical
   * service's is decided on its signed leg, which carries no body: `body` is then undefined.
   */
  afterResponse?(device: DeviceInfo, body: NoInfer<B> | undefined, now: Date, state: HandlerState): ServiceOutcome['onDeviceResponse'];
  /** the message codes of its use cases that the device may answer later (future-dated): their 8F66/8F67 alerts name this service */
  messageCodes?: readonly number[];
  /** the service's own checks, after the common ones (pipeline steps) */
  steps?: readonly Step[];
  /** devices the sender may command without registration data (a comms hub has no MPxN) */
  withoutRegistration?(device: DeviceInfo): boolean;
  /** inventory statuses at which the device takes it (default: Commissioned, InstalledNotCommissioned) */
  statuses?: readonly string[];
  /** the example's body (dcc-sim example, the console's request library); the example's CLI name */
  example?: { name: string; prefers?: ExamplePreference; body(ctx: ExampleContext): NoInfer<B> };
  describe?(body: NoInfer<B>): BodyField[];
  /** the asynchronous answer's content from the device's response and the command (default: GBCSPayload) */
  deviceResponseContent?(response: Buffer, command: Buffer): ResponseContent;
}

const DEVICE_STATUSES = ['Commissioned', 'InstalledNotCommissioned'];
const PROBE: CommandTime = { counter: 0n, now: new Date(0), state: {} };

function authorise(def: DeviceCommandDef<any>) {
  const sender = def.sender;
  return (_body: unknown, r: RegistrationCheck) => {
    if (r.sender.isDcc) {
      // the user-role step let the DCC through because the service has dccOriginates: check the device type
      if (def.dccOriginates?.includes(r.device.type) && byAcb(def, r.device.type)) return;
      r.fail(Codes.notAuthorisedForDevice, `the DCC sends ${def.variant} itself only to a ${(def.dccOriginates ?? []).join(' or ') || 'no device'}, not to ${r.device.type} ${dashedEui(r.device.eui)}`);
    }
    if (sender === 'anyUser' || sender === 'loadController') return;
    if (sender === 'supplier') r.needSupplier();
    else if (sender === 'networkOperator') r.needNetworkOperator();
    else if (!r.isSupplier && !r.isNetworkOperator) r.fail(Codes.notAuthorisedForDevice, `${r.sender.name} is neither the registered supplier nor the network operator for ${r.who}`);
  };
}

/**
 * A load controller's service (7.16) is open to Other Users (dcc-sim's assumed role), but only one that is a load
 * controller may send it: one with a live Load Controller digital-signing certificate in the SMKI repository. A User
 * that is an Other User for other ends (RTDS's supplier EUI sends 9.1) is refused before a pre-command is issued.
 */
const loadControllerStep: Step = {
  name: 'load-controller',
  run(ctx) {
    const eui = ctx.request.requestId.originator;
    const live = ctx.ports.organisationCertificates(eui, RemotePartyRole.LoadController, 'DS').filter((c) => !c.revoked);
    if (live.length === 0) ctx.reject(Codes.roleNotAllowed, `${ctx.service.variant} is a load controller's: ${ctx.sender.name} (${dashedEui(eui)}) holds no Load Controller (role 8) digital-signing certificate`);
    return `${ctx.sender.name} is a load controller`;
  },
};

/**
 * Sent by the Export Supplier (its registration is the export MPAN's): the ESME holds no cell of its, so the ACB
 * originates the command for it, as for 6.20.2 and 4.6.2 always.
 */
function byExportSupplier(v: ValidatedRequest<RequestBody>): boolean {
  const roles = v.service.userRoles;
  const sp = v.supplyPoint;
  return roles.includes('ES') && !roles.includes('IS') && !!sp && !v.sender.isDcc
    && v.sender.eui !== sp.supplierEui && v.sender.eui !== sp.networkOperatorEui;
}

function byAcb(def: DeviceCommandDef<any>, type: DeviceType): boolean {
  return (typeof def.originator === 'function' ? def.originator(type) : def.originator) === 'acb';
}

function commandOf<B extends RequestBody>(def: DeviceCommandDef<B>, v: ValidatedRequest<B>, now: Date, state: HandlerState, origin?: { counter: bigint }): GbcsCommand {
  const rid = v.request.requestId;
  const sp = v.supplyPoint;
  // Where a party is both, the supplier's use case is meant (the network operator's are its own subset).
  const sender = sp && sp.supplierEui !== rid.originator && sp.networkOperatorEui === rid.originator ? 'networkOperator' : 'supplier';
  const c = def.command(v.request.body, v.device!.type, { counter: origin?.counter ?? rid.counter, now, state, originator: rid.originator, target: rid.target, sender, ...(v.device?.esmeVariant ? { esmeVariant: v.device.esmeVariant } : {}) });
  // The pipeline's device step already asked `suits`; a string here is a body the device type cannot take.
  if (typeof c === 'string') throw new Error(`${def.variant}: ${c}`);
  return c;
}

function exampleOf<B extends RequestBody>(def: DeviceCommandDef<B>, commandVariant: number): ServiceModule<B>['example'] {
  if (!def.example) return undefined;
  const { name, body, prefers } = def.example;
  return {
    name,
    ...(prefers ? { prefers } : {}),
    ...(def.sender === 'loadController' ? { loadControlled: true } : {}),
    build(ctx, o): ExampleRequest<B> {
      if (def.sender === 'loadController') {
        // the device takes it only from the load controller its cells name, whatever other Other Users there are
        const originator = ctx.loadController?.() ?? ctx.fail('no-load-controller', `${dashedEui(ctx.eui)} names no load controller in its load controller cells`);
        return { originator, target: ctx.eui, commandVariant, body: body(ctx) };
      }
      // a device commanded without registration data (a comms hub) takes it from any User of the service's roles
      const unregistered = !ctx.supplyPoint && !!ctx.device && !!def.withoutRegistration?.(ctx.device as DeviceInfo);
      if (def.sender === 'anyUser' || unregistered) {
        const role = serviceFacts(def.variant).userRoles[0] ?? def.assumedUserRoles?.[0];
        const originator = (role && ctx.partyWithRole(role)) ?? ctx.fail('no-user', `no DCC User holds a user role that may send ${def.variant}`);
        return { originator, target: ctx.eui, commandVariant, body: body(ctx) };
      }
      const sp = ctx.supplyPoint ?? ctx.fail('no-registration', `${dashedEui(ctx.eui)} has no registration data`);
      // the role asked for (a service either may send), else the service's own sender
      const asNetworkOperator = o.role ? o.role === 'NetworkOperator' : def.sender === 'networkOperator';
      // an export service is the Export Supplier's, where the ESME's export MPAN names one
      const roles = serviceFacts(def.variant).userRoles;
      const exporter = roles.includes('ES') && !roles.includes('IS') ? ctx.exportSupplyPoint?.supplierEui : undefined;
      const originator = asNetworkOperator ? sp.networkOperatorEui : (exporter ?? sp.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`));
      return { originator, target: ctx.eui, commandVariant, body: body(ctx) };
    },
  };
}

/** The service module of a non-critical device service. */
export function deviceCommandService<B extends RequestBody>(def: DeviceCommandDef<B>): ServiceModule<B> {
  if (serviceFacts(def.variant).critical) throw new Error(`${def.variant} is critical: make it with criticalDeviceCommandService`);
  return moduleOf(def)[0];
}

/** The service module of a critical device service and its signed pre-command leg (register both). */
export function criticalDeviceCommandService<B extends RequestBody>(def: DeviceCommandDef<B>): readonly [ServiceModule<B>, ServiceModule<SignedPreCommandBody>] {
  if (!serviceFacts(def.variant).critical) throw new Error(`${def.variant} is not critical: make it with deviceCommandService`);
  const [module, signed] = moduleOf(def);
  return [module, signed!];
}

function moduleOf<B extends RequestBody>(def: DeviceCommandDef<B>): [ServiceModule<B>, ServiceModule<SignedPreCommandBody>?] {
  const facts = serviceFacts(def.variant);
  // a critical command is signed by its User; the DCC signs none of its own through this path
  if (def.dccOriginates && facts.critical) throw new Error(`${def.variant} is critical: the DCC does not originate it`);
  // The probe command (counter 0, time 0, no state) of a request's body for a device type: the pipeline's device
  // step asks it (suits) and `needs` again (viaAcbOf); built once per body, not twice (bench/measurements.md). Kept
  // for the last body only, which is the request being handled: a WeakMap by body had the young generation's
  // collections keep every request's probe command until a full collection.
  let probed: { body: B; type: DeviceType; command: GbcsCommand | string } | undefined;
  const probe = (body: B, type: DeviceType): GbcsCommand | string => {
    if (probed?.body !== body || probed.type !== type) probed = { body, type, command: def.command(body, type, PROBE) };
    return probed.command;
  };
  const suits = (body: B, type: DeviceType): true | string => {
    const c = probe(body, type);
    return typeof c === 'string' ? c : true;
  };
  const steps = [...(def.sender === 'loadController' ? [loadControllerStep] : []), ...(def.steps ?? [])];
  const common = {
    ...facts,
    ...(def.assumedUserRoles ? { assumedUserRoles: def.assumedUserRoles } : {}),
    ...(def.dccOriginates ? { dccMayOriginate: true } : {}),
    displayName: def.displayName,
    body: def.body,
    gbcs: { command: def.command },
    device: {
      statuses: def.statuses ?? DEVICE_STATUSES, suits, authorise: authorise(def),
      ...(def.withoutRegistration ? { withoutRegistration: def.withoutRegistration } : {}),
    },
    ...(def.describe ? { describe: def.describe } : {}),
    ...(steps.length > 0 ? { steps } : {}),
    ...(def.messageCodes ? { messageCodes: def.messageCodes } : {}),
    ...(def.deviceResponseContent ? { deviceResponseContent: def.deviceResponseContent } : {}),
  };
  // Whether the ACB sends it: the command says (asked before the counter is known). Asked by `needs` and again
  // by `handle` for the same request: the probe command is built once per request.
  const viaAcbByRequest = new WeakMap<ValidatedRequest<B>, boolean>();
  const viaAcbOf = (v: ValidatedRequest<B>): boolean => {
    let acb = viaAcbByRequest.get(v);
    if (acb === undefined) {
      const c = byAcb(def, v.device!.type) ? undefined : probe(v.request.body, v.device!.type);
      acb = c === undefined || (typeof c !== 'string' && c.viaAcb === true) || byExportSupplier(v);
      viaAcbByRequest.set(v, acb);
    }
    return acb;
  };
  if (!facts.critical) {
    const dspFutureDated = facts.futureDatedResponse === 'DSP';
    const module: ServiceModule<B> = {
      ...common,
      commandVariants: [1, 2, 3],
      endpoints: def.localDelivery ? { 1: 'serviceS', 2: 'serviceD' } : { 1: 'serviceS' },
      example: exampleOf(def, 1),
      needs: (v) => ({
        ...def.needs?.(v.request.body),
        deviceKeyAgreement: true,
        ...(viaAcbOf(v) ? { acbCounter: true as const } : {}),
        ...(dspFutureDated && executionOf(v.request.body) ? { schedules: { newId: true as const } } : {}),
      }),
      handle(v, state, dcc) {
        const rid = v.request.requestId;
        const execution = dspFutureDated ? executionOf(v.request.body) : undefined;
        if (execution && execution > dcc.now) {
          // DSP future-dated: the DCC holds the request and sends it when its time comes (src/dcc/dcc.ts).
          const id = state.schedules!.newId!;
          return {
            step: { name: 'held', detail: `held by the DCC until ${execution.toISOString()} (DSP future-dated)` },
            answer: { responseCode: Codes.acknowledged },
            advanceCounter: true,
            schedules: [{ kind: 'add', schedule: { id, originatorEui: rid.originator, deviceEui: rid.target, serviceVariant: def.variant, details: heldDetails(rid.text, v.request.body), nextRunAt: execution.toISOString() } }],
          };
        }
        const viaAcb = viaAcbOf(v);
        const origin = viaAcb ? { counter: state.acbCounter!, originator: dcc.acbEui } : { counter: rid.counter, originator: rid.originator };
        const c = commandOf(def, v, dcc.now, state, origin);
        // the DCC's own request: the ACB acts for no User, so no supplementary remote party
        const forUser = viaAcb && !v.sender.isDcc;
        const apdu = encodeApdu({
          cra: 'command', counter: origin.counter, originator: origin.originator, target: rid.target, messageCode: c.messageCode,
          ...(forUser ? { otherInformationExtra: Buffer.concat([supplementaryRemoteParty(rid.originator, rid.counter), c.urpCertificate ?? Buffer.alloc(0)]) } : {}),
          payload: c.payload,
        });
        const command = wrapWithAcbMac(viaAcb && c.acbSigned ? signApdu(apdu, dcc.acbDsKey) : apdu, dcc.acbKaKey, state.deviceKeyAgreement!);
        const after = def.afterResponse?.(v.device!, v.request.body, dcc.now, state);
        const code = `${c.useCase} (0x${c.messageCode.toString(16).padStart(4, '0').toUpperCase()})`;
        if (v.request.commandVariant === 2) {
          // Local delivery: the User carries the command to the device; the DCC sends nothing.
          return {
            step: { name: 'command', detail: `${code} for local delivery to the ${v.device!.type}, counter ${origin.counter}, ACB MAC` },
            answer: { responseCode: Codes.success, content: { localCommand: { gbcsPayload: command } } },
            advanceCounter: true,
          };
        }
        return {
          step: { name: 'command', detail: `${code} to the ${v.device!.type}, ${viaAcb ? `from the ACB, counter ${origin.counter}, ${forUser ? `for ${dashedEui(rid.originator)}` : 'the DCC\'s own request'}` : `counter ${rid.counter}`}, ACB MAC` },
          answer: { responseCode: Codes.acknowledged },
          command,
          advanceCounter: true,
          ...(after ? { onDeviceResponse: after } : {}),
        };
      },
    };
    return [module];
  }
  const module: ServiceModule<B> = {
    ...common,
    // Critical: the Service Request itself may only ask for a pre-command (CV 4).
    commandVariants: [4],
    endpoints: { 4: 'serviceT' },
    example: exampleOf(def, 4),
    ...(def.needs ? { needs: (v: ValidatedRequest<B>) => def.needs!(v.request.body) } : {}),
    handle(v, state, dcc) {
      const c = commandOf(def, v, dcc.now, state);
      return issueDevicePreCommand(v, c.messageCode, c.payload);
    },
  };
  const role = def.sender === 'networkOperator' ? RemotePartyRole.NetworkOperator
    : def.sender === 'loadController' ? RemotePartyRole.LoadController : RemotePartyRole.Supplier;
  const signed = signedPreCommandOf(module, {
    // DUIS gives critical device services no code of their own for a bad signed pre-command: E100, with the reason.
    refusalCode: Codes.invalidRequest,
    // The device type was checked against the body when the pre-command was issued.
    suits: () => true,
    signerRoles: def.sender === 'supplierOrNetworkOperator' ? [RemotePartyRole.Supplier, RemotePartyRole.NetworkOperator] : [role],
    complete: (v, state, dcc) => completeSignedByOriginator(v, state, dcc, Codes.invalidRequest, () => {
      if (def.sender !== 'supplierOrNetworkOperator') return role;
      // Either may send it: the originator signs in the role it holds certificates of (a party is one or the other).
      const holdsSupplier = (state.organisationCertificates?.get(RemotePartyRole.Supplier) ?? []).length > 0;
      return holdsSupplier ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
    }),
    ...(def.afterResponse ? { onDeviceResponse: (v: ValidatedRequest<SignedPreCommandBody>, now: Date) => def.afterResponse!(v.device!, undefined, now, {}) } : {}),
  });
  return [module, signed];
}

/** A body's ExecutionDateTime, if it has one. */
function executionOf(body: RequestBody): Date | undefined {
  const e = (body as { executionDateTime?: unknown }).executionDateTime;
  return e instanceof Date ? e : undefined;
}

/** Other-information after the message code when the ACB originates: the User's EUI and its RequestID counter. */
export function supplementaryRemoteParty(user: Eui, counter: bigint): Buffer {
  const b = Buffer.alloc(16);
  Buffer.from(user, 'hex').copy(b, 0);
  b.writeBigUInt64BE(counter, 8);
  return b;
}

/** A body with no content (e.g. <sr:ReadSupplyStatus/>). */
export function emptyBody<const K extends string>(element: K): BodyCodec<{ kind: K }> {
  return {
    element,
    read(item, path) {
      checkAttributes(item, path);
      new Sequence(item, path).end();
      return { kind: element };
    },
    write: () => '',
  };
}

/** A body whose only content is an optional ExecutionDateTime. */
export function executionOnlyBody<const K extends string>(element: K): BodyCodec<{ kind: K; executionDateTime?: Date }> {
  return {
    element,
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      s.end();
      return exec ? { kind: element, executionDateTime: readDateTime(exec, `${path}/sr:ExecutionDateTime`) } : { kind: element };
    },
    write: (b) => writeExecution(b.executionDateTime),
  };
}
