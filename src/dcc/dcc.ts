import { EventEmitter } from 'node:events';
import { DCC_PARTIES, dashedEui, describeCertificate, privateKeyFromPkcs8, type Eui } from '../../pki/index.ts';
import { ADVISORY_LOCKS, GatewayStore, postgresOf, ScheduleStore, type Fault, type OutboxEntry, type PgDatabase, type ScheduleRecord } from '../../db/index.ts';
import {
  buildDeviceAlert,
  buildResponse,
  Codes,
  heldRequestOf,
  nextOccurrence,
  scheduledRead,
  serviceByVariant,
  GatewayRejection,
  serviceOfMessageCode,
  signResponse,
  unreadService,
  validateRequest,
  type DccCapability,
  type Endpoint,
  type HandlerState,
  type InventoryEntry,
  type Prevalidation,
  type ResponseContent,
  type StateNeeds,
  type StepRecord,
  type ValidatedRequest,
  type ValidateOptions,
  type RequestBody,
} from '../../service-requests/index.ts';
import { alertCodeOf, alertEnabled, catchUpBetweenCommands, decodeApdu, decodeGbcsMessage, encodeApdu, executeDueCommands, processCommand, raiseAlertOnDemand, wrapWithAcbMac, type DeviceOutcome, type DeviceSecurityState } from '../../devices/index.ts';
import { META, World, SimulatedClock, WorldError } from '../world/index.ts';
import { loadCommandInputs, loadDevice, saveDevice, saveOwnCertificate, type LoadedDevice } from './device-state.ts';
import { WorldPorts } from './world-ports.ts';
import { carryOutRecovery, type RecoveryOrder, type RecoveryResult } from './recovery.ts';
import { Conflict, StatementReplayer, substituteIds, type Speculation } from './speculation.ts';
import { PEER_EVENTS, tellPeers } from './peer-events.ts';
import type { KeyObject } from 'node:crypto';

// The DCC: takes a DUIS request from the gateway, runs the validation pipeline, does what the
// service means (issue a pre-command, command a device, read the inventory), and answers with
// signed DUIS. Each accepted request is one transaction: counter, device state, the
// asynchronous responses in the outbox and the request log commit together or not at all.
// In a PostgreSQL world several processes serve at once: there the validation's reads (the
// originator's last counter, the pre-command) share the request's SERIALIZABLE transaction, so
// two processes taking the same request cannot both accept it; a transaction PostgreSQL runs
// again starts from scratch, and events go out only once it has committed.

export interface DccOptions {
  networkOperatorCheck: boolean;
  maxRequestBytes: number;
  xsd?: (xml: string) => string[];
}

export interface DccAnswer {
  responseCode: string;
  reason?: string;
  xml: string;
  requestLogId: number;
}

export interface RequestEvent {
  id: number;
  receivedAt: string;
  endpoint: Endpoint;
  requestId: string | null;
  serviceVariant: string | null;
  /** the synchronous answer (the acknowledgement, or the refusal) */
  responseCode: string;
  reason: string | null;
  /** the final outcome: the device's asynchronous answer when there is one, else the synchronous one */
  finalResponseCode: string;
  finalReason: string | null;
  /** the GBCS alert code of a device that discarded the command (hex) */
  deviceAlertCode: string | null;
  /** asynchronous responses and alerts this request queued, by kind and code */
  queued: { kind: string; code: string }[];
  steps: StepRecord[];
  deviceEui: string | null;
  changedCells: string[];
}

/** What the device made of a delivered command: the request's final outcome. */
interface DeviceVerdict {
  changedCells: string[];
  finalResponseCode: string | null;
  finalReason: string | null;
  deviceAlertCode: string | null;
  /** the device's GBCS response, when it answered at once */
  response?: Buffer;
}

/** What a device made of a command delivered to it locally (Dcc.deliverLocally). */
export interface LocalDelivery {
  /** the request that obtained the command, and its row of the request log */
  requestId: string;
  requestLogId: number;
  device: Eui;
  accepted: boolean;
  /** accepted: its GBCS response, for the User's 8.13 */
  response?: Buffer;
  changedCells?: string[];
  /** discarded: why, and the alert code */
  reason?: string;
  alertCode?: string;
}

/** A final outcome is a failure when its DUIS response code is an error (E...). */
export function isFailureCode(code: string): boolean {
  return code.startsWith('E');
}

export { GBCS_VERSION } from '../../service-requests/index.ts';

/** How much of a refused request's body the request log keeps (bytes). */
export const REFUSED_BODY_KEPT = 16 * 1024;

export class Dcc extends EventEmitter {
  readonly gateway: GatewayStore;
  /** DCC schedules (5.x) */
  readonly schedules: ScheduleStore;
  readonly clock: SimulatedClock;
  readonly ports: WorldPorts;
  /** the pipeline options; the prevalidation pool hands the cloneable ones to its workers */
  readonly validateOptions: ValidateOptions;
  private signer?: { privateKey: KeyObject; issuerName: string; serialDecimal: string };
  /** the PostgreSQL world, shared with other processes; undefined for SQLite (one process) */
  private readonly pg: PgDatabase | undefined;

  constructor(
    readonly world: World,
    readonly options: DccOptions,
  ) {
    super();
    this.gateway = new GatewayStore(world.store.db);
    this.schedules = new ScheduleStore(world.store.db);
    this.clock = new SimulatedClock(world.store);
    this.ports = new WorldPorts(world, this.gateway, this.clock);
    this.pg = postgresOf(world.store.db);
    // Another process may change a device's keys: a cached key is used only while its generation stands.
    if (this.pg) world.checkDeviceKeyGenerations = true;
    // Requests' SERIALIZABLE transactions read small tables (originator counters) a sequential scan would
    // lock whole, making every two requests of two servers a serialization failure: index scans lock rows.
    this.pg?.preferIndexScans();
    this.validateOptions = {
      networkOperatorCheck: options.networkOperatorCheck,
      maxRequestBytes: options.maxRequestBytes,
      xsd: options.xsd,
      acceptOrganisationXmlSigners: world.store.getMeta(META.profile) === 'zaz1',
    };
  }

  /** The DCC's XML-signing identity: DUIS responses and alerts are signed with it. */
  private responseSigner() {
    if (!this.signer) {
      const id = Number(this.world.meta(META.dccXmlSigningCertificateId));
      const cert = this.world.certificate(id);
      const pkcs8 = this.world.store.getPrivateKey(id);
      if (!pkcs8) throw new Error('the world holds no key for the DCC XML-signing certificate');
      this.signer = { privateKey: privateKeyFromPkcs8(pkcs8), issuerName: cert.issuerDn, serialDecimal: cert.serialDecimal };
    }
    return this.signer;
  }

  /** milliseconds spent signing DUIS since the current request began (the stage profile) */
  private signingMs = 0;

  sign(xml: string): string {
    const t = performance.now();
    // Our own documents have a known canonical form: signed without re-parsing (bench/pipeline.ts).
    const signed = signResponse(xml, this.responseSigner());
    this.signingMs += performance.now() - t;
    return signed;
  }

  /**
   * A signed DUIS response. The references and the code come apart, not as one `{ ...refs, responseCode }`: on
   * Node 20 a spread's copy that gains a property gets hidden classes of its own in the old generation, and young
   * collections then keep all it holds (bench/measurements.md, "spreads").
   */
  private respond(refs: ResponseRefs, responseCode: string, content?: ResponseContent): string {
    return this.sign(
      buildResponse({
        requestId: refs.requestId,
        responseId: refs.responseId,
        responseCode,
        responseDateTime: this.clock.now(),
        serviceReference: refs.serviceReference ?? '0',
        serviceReferenceVariant: refs.serviceReferenceVariant ?? '0',
        content,
      }),
    );
  }

  /**
   * Handles one DUIS request posted to /api/v1/<endpoint>. Never throws for bad input. `pre`: its
   * parse and signature checks already done off the main thread (src/dcc/prevalidation-pool.ts).
   */
  handle(endpoint: Endpoint, body: Buffer, pre?: Prevalidation): DccAnswer {
    if (!this.pg) return this.handleOnce(endpoint, body, pre);
    return this.world.store.transaction(() => {
      // another process may have moved the clock
      this.clock.reload();
      return this.handleOnce(endpoint, body, pre);
    });
  }

  /** Whether other processes may serve this world too (PostgreSQL): they hear its events, and it theirs as `peer-<event>`. */
  get shared(): boolean {
    return this.pg !== undefined;
  }

  /**
   * Events of a transaction go out once it has committed: one PostgreSQL runs again would
   * otherwise be told twice, and one rolled back told of at all. The world's other servers are
   * told then too (peer-events.ts).
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const pg = this.pg;
    const tell = pg && typeof event === 'string' && PEER_EVENTS.has(event) ? () => tellPeers(pg, event, args[0]) : undefined;
    if (pg?.inTransaction) {
      pg.afterCommit(() => {
        tell?.();
        void super.emit(event, ...args);
      });
      return this.listenerCount(event) > 0;
    }
    tell?.();
    return super.emit(event, ...args);
  }

  private handleOnce(endpoint: Endpoint, body: Buffer, pre?: Prevalidation): DccAnswer {
    const receivedAt = this.clock.now().toISOString();
    this.signingMs = 0;
    let v: ValidatedRequest;
    try {
      v = validateRequest(body, endpoint, this.ports, this.validateOptions, pre);
    } catch (err) {
      if (err instanceof GatewayRejection) return this.reject(endpoint, body, receivedAt, err, err.trace);
      throw err;
    }
    try {
      return this.accept(endpoint, body, receivedAt, v);
    } catch (err) {
      if (err instanceof GatewayRejection) return this.reject(endpoint, body, receivedAt, err, v.trace);
      throw err;
    }
  }

  /** requests a pipeline worker ran whole: committed as it ran them, or re-run in-thread (a conflict, by reason) */
  readonly speculations = { committed: 0, conflicts: 0, conflictReasons: new Map<string, number>() };
  private replayer?: StatementReplayer;

  /**
   * Commits a request a pipeline worker ran whole (speculation.ts): its statements replayed in one
   * transaction, then the events it emitted emitted here. Undefined when anything it read has
   * changed since (a conflict): nothing is written, and the caller runs the request in-thread.
   */
  commitSpeculation(s: Speculation): DccAnswer | undefined {
    this.replayer ??= new StatementReplayer(this.world.store.db);
    let ids: Map<number, number>;
    try {
      ids = this.world.store.transaction(() => this.replayer!.replay(s.ops));
    } catch (err) {
      // Anything else that fails the replay (a constraint, say) is a conflict too: the in-thread run decides.
      const reason = err instanceof Conflict ? err.message : `replay failed: ${(err as Error).message}`;
      this.speculations.conflicts++;
      this.speculations.conflictReasons.set(reason, (this.speculations.conflictReasons.get(reason) ?? 0) + 1);
      return undefined;
    }
    this.speculations.committed++;
    for (const eui of s.forgotKeys) this.world.forgetDeviceKeys(eui);
    for (const [name, data] of s.events) this.emit(name, substituteIds(data, ids));
    return substituteIds(s.answer, ids);
  }

  /**
   * A request refused before its body could be read (too large for the transport, wrong content
   * type): still answered in signed DUIS and logged, with what was received of it.
   */
  refuse(endpoint: Endpoint, step: string, reason: string, received: Buffer): DccAnswer {
    const receivedAt = this.clock.now().toISOString();
    this.signingMs = 0;
    return this.reject(endpoint, received, receivedAt, new GatewayRejection(Codes.invalidRequest, reason, step), []);
  }

  private reject(endpoint: Endpoint, body: Buffer, receivedAt: string, r: GatewayRejection, trace: readonly StepRecord[]): DccAnswer {
    const req = r.request;
    const known = r.context.serviceReference !== undefined && r.context.serviceReferenceVariant !== undefined;
    const unread = unreadService(endpoint);
    const xml = this.respond({
      requestId: r.context.requestId,
      serviceReference: known ? r.context.serviceReference : unread.serviceReference,
      serviceReferenceVariant: known ? r.context.serviceReferenceVariant : unread.serviceReferenceVariant,
    }, r.responseCode);
    const steps = [...trace, { step: r.step, ok: false, detail: r.reason }];
    const id = this.gateway.logRequest({
      receivedAt,
      path: endpoint,
      requestId: r.context.requestId ?? null,
      originatorEui: req?.requestId.originator ?? null,
      targetEui: req?.requestId.target ?? null,
      counter: req?.requestId.counter.toString() ?? null,
      serviceReference: r.context.serviceReference ?? null,
      serviceVariant: r.context.serviceReferenceVariant ?? null,
      commandVariant: req?.commandVariant ?? null,
      responseCode: r.responseCode,
      reason: r.reason,
      failedStep: r.step,
      // A refused body is kept only in part: junk posted by anyone filled the log (279 KB a row).
      requestXml: body.length > REFUSED_BODY_KEPT ? body.subarray(0, REFUSED_BODY_KEPT) : body,
      responseXml: xml,
      steps,
      changedCells: null,
    });
    this.emitRequest({
      id, receivedAt, endpoint, requestId: r.context.requestId ?? null, serviceVariant: r.context.serviceReferenceVariant ?? null,
      responseCode: r.responseCode, reason: r.reason, finalResponseCode: r.responseCode, finalReason: r.reason, deviceAlertCode: null,
      queued: [], steps, deviceEui: req?.requestId.target ?? null, changedCells: [],
    });
    return { responseCode: r.responseCode, reason: r.reason, xml, requestLogId: id };
  }

  private accept(endpoint: Endpoint, body: Buffer, receivedAt: string, v: ValidatedRequest): DccAnswer {
    const req = v.request;
    const rid = req.requestId;
    const refs = { requestId: rid.text, serviceReference: req.serviceReference, serviceReferenceVariant: req.serviceReferenceVariant };
    const steps = [...v.trace];
    let mark = performance.now();
    let signedBefore = this.signingMs;
    // Each step's time, less the DUIS signing it did (reported as its own stage).
    const lap = () => {
      const now = performance.now();
      const ms = now - mark - (this.signingMs - signedBefore);
      mark = now;
      signedBefore = this.signingMs;
      return Math.round(ms * 1000) / 1000;
    };
    let verdict: DeviceVerdict = { changedCells: [], finalResponseCode: null, finalReason: null, deviceAlertCode: null };
    let answerCode: string = Codes.acknowledged;
    this.queued = [];
    this.deliveryDelayMs = 0;
    let xml: string;

    const result = this.world.store.transaction(() => {
      // One shell for every service: load what the handler declared, run it, carry out its outcome.
      const service = v.service;
      const state = this.loadState(v, service.needs?.(v) ?? {});
      const outcome = service.handle(v, state, this.dccCapability());
      steps.push({ step: outcome.step.name, ok: true, detail: outcome.step.detail, ms: lap() });
      if (outcome.preCommand && 'issue' in outcome.preCommand) {
        this.gateway.putPreCommand(rid.text, rid.target, req.serviceReferenceVariant, outcome.preCommand.issue, receivedAt);
      } else if (outcome.preCommand) {
        this.gateway.consumePreCommand(rid.text, receivedAt);
      }
      if (outcome.advanceCounter) this.gateway.setLastCounter(rid.originator, rid.counter);
      for (const change of outcome.inventory ?? []) this.world.applyInventoryChange(change);
      for (const change of outcome.schedules ?? []) {
        if (change.kind === 'add') this.schedules.add({ ...change.schedule, createdAt: receivedAt });
        else this.schedules.remove(change.id);
      }
      for (const t of outcome.deviceTransfers ?? []) {
        const json = this.world.store.getDeviceAppState(t.eui);
        const app = json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);
        app[t.section] = t.update(app[t.section]);
        this.world.store.putDeviceAppState(t.eui, JSON.stringify(app));
      }
      if (outcome.command) verdict = this.deliver(v, outcome.command, steps, rid.originator, lap);
      for (const change of outcome.afterDevice?.(verdict.changedCells) ?? []) this.world.applyInventoryChange(change);
      const after = outcome.onDeviceResponse;
      if (after && verdict.response && after.succeeded(verdict.response)) {
        for (const change of after.inventory) this.world.applyInventoryChange(change);
        steps.push({ step: 'inventory', ok: true, detail: after.detail, ms: lap() });
      }
      answerCode = outcome.answer.responseCode;
      xml = this.respond(refs, answerCode, outcome.answer.content);
      steps.push({ step: 'response-signing', ok: true, detail: 'DUIS responses signed by the DCC', ms: Math.round(this.signingMs * 1000) / 1000 });
      lap();
      const id = this.gateway.logRequest({
        receivedAt,
        path: endpoint,
        requestId: rid.text,
        originatorEui: rid.originator,
        targetEui: rid.target,
        counter: rid.counter.toString(),
        serviceReference: req.serviceReference,
        serviceVariant: req.serviceReferenceVariant,
        commandVariant: req.commandVariant,
        responseCode: answerCode,
        reason: null,
        failedStep: null,
        finalResponseCode: verdict.finalResponseCode,
        finalReason: verdict.finalReason,
        deviceAlertCode: verdict.deviceAlertCode,
        requestXml: body,
        responseXml: xml!,
        steps,
        changedCells: verdict.changedCells,
        gbcsCommand: outcome.command ?? null,
      });
      return { id, xml: xml! };
    });
    // Persistence (request log and commit) is known only now; the event carries it, the log row does not.
    steps.push({ step: 'persistence', ok: true, detail: 'request log written, transaction committed', ms: lap() });
    this.emitRequest({
      id: result.id, receivedAt, endpoint, requestId: rid.text, serviceVariant: req.serviceReferenceVariant, responseCode: answerCode, reason: null,
      finalResponseCode: verdict.finalResponseCode ?? answerCode, finalReason: verdict.finalReason, deviceAlertCode: verdict.deviceAlertCode,
      queued: this.queued, steps, deviceEui: rid.target, changedCells: verdict.changedCells,
    });
    this.queued = [];
    this.emit('outbox');
    return { responseCode: answerCode, xml: result.xml, requestLogId: result.id };
  }

  /** Loads exactly the state a handler declared it needs (inside the request's transaction). */
  private loadState(v: ValidatedRequest, needs: StateNeeds): HandlerState {
    const rid = v.request.requestId;
    const state: HandlerState = {};
    if (needs.inventory) state.inventory = this.ports.inventory(needs.inventory);
    if (needs.inventoryDevices) {
      const found = new Map<string, InventoryEntry>();
      for (const eui of needs.inventoryDevices) {
        const e = this.ports.inventoryEntry(eui);
        if (e) found.set(eui, e);
        // A comms hub is a CHF and its GPF: asking for the hub brings its paired GPF too.
        if (e?.type === 'CHF' && e.associatedGpf && !found.has(e.associatedGpf)) {
          const gpf = this.ports.inventoryEntry(e.associatedGpf);
          if (gpf) found.set(gpf.eui, gpf);
        }
      }
      state.inventoryDevices = found;
    }
    if (needs.supplyPoint) state.supplyPoint = this.ports.supplyPoint(needs.supplyPoint) ?? null;
    if (needs.preCommand) state.preCommand = this.ports.preCommand(rid.text);
    if (needs.organisationCertificates) {
      const { roles, usage } = needs.organisationCertificates;
      state.organisationCertificates = new Map(roles.map((role) => [role, this.ports.organisationCertificates(rid.originator, role, usage)]));
    }
    if (needs.acbCounter) state.acbCounter = this.gateway.nextDccCounter('ACB', BigInt(this.clock.now().getTime()));
    if (needs.dccCounter) state.dccCounter = this.gateway.nextDccCounter(needs.dccCounter, BigInt(this.clock.now().getTime()));
    if (needs.signerForCell) {
      const id = this.world.store.getDeviceSecurity(rid.target)?.cells[needs.signerForCell];
      const key = id === undefined ? undefined : this.world.privateKeyOf(id);
      state.cellSigner = id !== undefined && key ? { eui: this.world.certificate(id).subjectEui!, key } : null;
    }
    if (needs.deviceKeyAgreement) state.deviceKeyAgreement = this.ports.deviceKeyAgreementKey(rid.target);
    if (needs.schedules) {
      const { id, deviceEui, newId } = needs.schedules;
      const found = id !== undefined ? [this.schedules.get(id)].filter((x): x is ScheduleRecord => !!x) : deviceEui ? this.schedules.forDevice(deviceEui) : [];
      state.schedules = { found, ...(newId ? { newId: this.schedules.nextId() } : {}) };
    }
    if (needs.deviceStateOf) {
      const json = this.world.store.getDeviceAppState(needs.deviceStateOf.eui);
      state.deviceState = json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>)[needs.deviceStateOf.section];
    }
    if (needs.commsHubOfGpf) state.commsHubOfGpf = this.world.store.inventory.commsHubOfGpf(needs.commsHubOfGpf) ?? null;
    if (needs.deviceCertificateOf && this.world.store.getDevice(needs.deviceCertificateOf)) {
      state.deviceCertificate = this.world.deviceCertificates(needs.deviceCertificateOf).kaCertificate.der;
    }
    return state;
  }

  private dccCapability(): DccCapability {
    const dcc = this.ports.dccCredentials();
    return { acbEui: dcc.acbDsCertificate.subjectEui!, acbDsKey: dcc.acbDsKey, acbKaKey: dcc.acbKaKey, now: this.clock.now() };
  }

  /**
   * Delivers a command to the emulated device and queues the asynchronous DUIS response to the
   * sender. Runs inside the request's transaction.
   */
  private deliver(v: ValidatedRequest, message: Buffer, steps: StepRecord[], replyTo: Eui, lap: () => number): DeviceVerdict {
    const rid = v.request.requestId;
    const device = loadDevice(this.world, rid.target);
    // A device runs what has fallen due before it looks at a new command.
    device.state = this.executeDue(rid.target, device);
    const svc = { serviceReference: v.request.serviceReference, serviceReferenceVariant: v.request.serviceReferenceVariant };
    const refs = { requestId: rid.text, responseId: `${dashedEui(rid.target)}:${dashedEui(rid.originator)}:${rid.counter}`, ...svc };
    const faults = this.faultsOn(rid.target);
    const slow = faults.find((f) => f.kind === 'slow-wan');
    if (slow) this.deliveryDelayMs = Number(slow.detail ?? 0) * 1000;
    const unreachable = faults.find((f) => f.kind === 'hub-down' || f.kind === 'device-offline');
    if (unreachable) {
      // As DUIS answers a command that never reached the device, or got no answer: nothing on the device changes.
      const hubDown = unreachable.kind === 'hub-down';
      const code = hubDown ? Codes.cannotCommunicate : Codes.noResponse;
      const detail = hubDown
        ? `comms hub ${dashedEui(unreachable.targetEui)} is down (injected fault): the command did not reach the device`
        : 'the device does not answer (injected fault: device offline)';
      steps.push({ step: 'device', ok: false, detail, ms: lap() });
      this.queue(replyTo, 'response', code, this.respond(refs, code), refs);
      return { changedCells: [], finalResponseCode: code, finalReason: detail, deviceAlertCode: null };
    }
    const refuses = faults.find((f) => f.kind === 'device-refuses');
    const outcome: DeviceOutcome = refuses
      ? { state: device.state, alerts: [], changedCells: [], rejected: { alertCode: parseInt(refuses.detail ?? '8F1E', 16), reason: `the device refuses every command (injected fault, alert ${refuses.detail ?? '8F1E'})` } }
      : processCommand(device.state, device.credentials, message, this.clock.now(), loadCommandInputs(this.world, device, message));
    if (outcome.rejected) {
      const alertCode = outcome.rejected.alertCode.toString(16).toUpperCase().padStart(4, '0');
      const detail = `device discarded the command: ${outcome.rejected.reason} (alert ${alertCode})`;
      steps.push({ step: 'device', ok: false, detail, ms: lap() });
      // As DUIS has it: an E21 response (no response from the device) carrying the RequestID, and any
      // alerts the device raised (none today: the emulator discards without a GBCS alert).
      this.queueAlerts(outcome, replyTo, refs.requestId, svc);
      this.queue(replyTo, 'response', Codes.noResponse, this.respond(refs, Codes.noResponse), refs);
      return { changedCells: [], finalResponseCode: Codes.noResponse, finalReason: detail, deviceAlertCode: alertCode };
    }
    saveDevice(this.world, outcome.state, device);
    if (outcome.ownCertificate) saveOwnCertificate(this.world, rid.target, outcome.ownCertificate);
    if (outcome.response) {
      const content = v.service.deviceResponseContent?.(outcome.response, message) ?? { gbcsPayload: outcome.response };
      this.queue(replyTo, 'response', Codes.success, this.respond(refs, Codes.success, content), refs);
    }
    this.queueAlerts(outcome, replyTo, refs.requestId, svc);
    steps.push({
      step: 'device',
      ok: true,
      detail: outcome.changedCells.length ? `device changed ${outcome.changedCells.join(', ')}` : outcome.state.pending.length > device.state.pending.length ? 'device holds the future-dated command' : 'device answered',
      ms: lap(),
    });
    // The device's answer is the final outcome; a future-dated command held is answered later by its alert.
    return {
      changedCells: outcome.changedCells, finalResponseCode: outcome.response ? Codes.success : null, finalReason: null, deviceAlertCode: null,
      ...(outcome.response ? { response: outcome.response } : {}),
    };
  }

  /**
   * `svc`: the service whose command the alerts answer. The outcome of a future-dated command (8F66/8F67)
   * is the FutureDatedDeviceAlertMessage naming it; any other device alert is a DeviceAlertMessage. An alert
   * to one of the DCC's own parties (a comms hub's CS14 to the ACB) is passed on to the User whose request
   * raised it.
   */
  private queueAlerts(outcome: DeviceOutcome, replyTo: Eui, requestId: string | null, svc: { serviceReference: string; serviceReferenceVariant: string }): void {
    for (const alert of outcome.alerts) {
      const { apdu } = decodeGbcsMessage(alert);
      const code = alertCodeOf(alert);
      const to = !apdu.target || isDccParty(apdu.target) ? replyTo : apdu.target;
      const responseId = `${dashedEui(apdu.originator)}:${dashedEui(apdu.target)}:${apdu.counter}`;
      const futureDated = code === '8F66' || code === '8F67';
      const xml = futureDated
        ? buildResponse({
          responseId,
          requestId: requestId ?? undefined,
          responseCode: Codes.success,
          responseDateTime: this.clock.now(),
          ...svc,
          content: { futureDatedDeviceAlert: { alertCode: code, gbcsPayload: alert, instructionNumber: 1, totalCommandInstructions: 1 } },
        })
        : buildDeviceAlert({ responseId, responseCode: Codes.success, responseDateTime: this.clock.now(), alertCode: code, gbcsPayload: alert });
      this.queue(to, 'device-alert', code, this.sign(xml), { requestId, responseId: null });
    }
  }

  /** an injected slow WAN on the device under way: its answers are delivered this much later */
  private deliveryDelayMs = 0;

  /** The faults injected on a device and on its comms hub (only those a hub's state causes). */
  private faultsOn(eui: Eui): Fault[] {
    const store = this.world.store;
    if (!store.faults.any()) return [];
    const own = store.faults.of(eui);
    const hub = store.getDevice(eui)?.commsHubEui;
    const viaHub = hub ? store.faults.of(hub).filter((f) => f.kind === 'hub-down' || f.kind === 'slow-wan') : [];
    return [...own, ...viaHub];
  }

  /**
   * A device raises an alert on demand (fault injection): to its registered supplier (the holder of its
   * supplier cells; a comms hub's to the ACB), queued as a DUIS DeviceAlertMessage. Returns the alert's code and party.
   */
  raiseAlert(eui: Eui, alertCode: number): { alertCode: string; to: Eui } {
    this.deliveryDelayMs = 0;
    const result = this.world.store.transaction(() => {
      const device = loadDevice(this.world, eui);
      if (!alertEnabled({ app: device.state.app ?? {}, device: device.state }, alertCode)) {
        throw new WorldError('alert-disabled', `${device.state.type} ${dashedEui(eui)} does not send alert ${alertCode.toString(16).toUpperCase()}: its alert behaviour (6.22) disables it`);
      }
      const security = this.world.store.getDeviceSecurity(eui)!;
      const toCell = device.state.type === 'CHF' ? 'acbKA' : 'supplierKA';
      const kaId = security.cells[toCell];
      if (kaId === undefined) throw new WorldError('no-recipient', `${device.state.type} ${dashedEui(eui)} has no ${toCell} cell holder to send an alert to`);
      const ka = this.world.certificate(kaId);
      const to = ka.subjectEui!;
      const { state, alert } = raiseAlertOnDemand(device.state, device.credentials, { alertCode, now: this.clock.now(), to, recipientKa: describeCertificate(ka.der).publicKey });
      saveDevice(this.world, state, device);
      this.queued = [];
      this.queueAlerts({ state, alerts: [alert], changedCells: [] }, to, null, { serviceReference: '', serviceReferenceVariant: '' });
      return { alertCode: alertCode.toString(16).toUpperCase().padStart(4, '0'), to };
    });
    this.queued = [];
    this.emit('outbox');
    return result;
  }

  /**
   * A command the DCC issued for local delivery (CV 2, 3) is carried to the device over its HAN by the User's
   * installer (a hand-held terminal), not by the DCC. The device checks it as it checks any command, when it
   * receives it: who holds its cells then is what counts. A device that discards it answers nothing, so the
   * User has nothing to return by 8.13: the request's final outcome becomes that (E21, the device's reason and
   * alert). What the device answered is returned for the User to pass back by 8.13 Return Local Command Response.
   */
  deliverLocally(message: Buffer): LocalDelivery {
    this.deliveryDelayMs = 0;
    const result = this.world.store.transaction((): LocalDelivery => {
      const { apdu } = decodeGbcsMessage(message);
      if (apdu.cra !== 'command') throw new WorldError('bad-argument', `a GBCS ${apdu.cra} is not a command to deliver`);
      const requestId = `${dashedEui(apdu.originator)}:${dashedEui(apdu.target)}:${apdu.counter}`;
      const logged = this.gateway.listRequests({ requestId, limit: 1 })[0];
      if (!logged || (logged.commandVariant !== 2 && logged.commandVariant !== 3)) {
        throw new WorldError('bad-argument', `the DCC issued no command for local delivery as ${requestId}`);
      }
      if (!this.world.store.getDevice(apdu.target)) throw new WorldError('unknown-device', `device ${dashedEui(apdu.target)} is not in this world`);
      const device = loadDevice(this.world, apdu.target);
      device.state = this.executeDue(apdu.target, device);
      const outcome = processCommand(device.state, device.credentials, message, this.clock.now(), loadCommandInputs(this.world, device, message));
      const svc = { serviceReference: logged.serviceReference ?? '', serviceReferenceVariant: logged.serviceVariant ?? '' };
      this.queued = [];
      if (outcome.rejected) {
        const alertCode = outcome.rejected.alertCode.toString(16).toUpperCase().padStart(4, '0');
        const reason = `device discarded the locally delivered command: ${outcome.rejected.reason} (alert ${alertCode})`;
        this.gateway.setFinalOutcome(logged.id, Codes.noResponse, reason, alertCode);
        this.queueAlerts(outcome, apdu.originator, requestId, svc);
        return { requestId, requestLogId: logged.id, device: apdu.target, accepted: false, reason, alertCode };
      }
      saveDevice(this.world, outcome.state, device);
      this.queueAlerts(outcome, apdu.originator, requestId, svc);
      // kept for the User's 8.13 (Return Local Command Response): the request library's example returns it
      if (outcome.response) this.gateway.setLocalResponse(logged.id, outcome.response);
      return { requestId, requestLogId: logged.id, device: apdu.target, accepted: true, changedCells: outcome.changedCells, ...(outcome.response ? { response: outcome.response } : {}) };
    });
    this.queued = [];
    this.emit('outbox');
    return result;
  }

  /** what the request under way has queued (kind and code), for its event */
  private queued: { kind: string; code: string }[] = [];

  private queue(party: Eui, kind: string, code: string, body: string, refs: { requestId: string | null; responseId?: string | null }): void {
    this.queued.push({ kind, code });
    const entry: OutboxEntry = {
      partyEui: party,
      requestId: refs.requestId,
      responseId: refs.responseId ?? null,
      kind,
      responseCode: code,
      createdAt: this.clock.now().toISOString(),
      body,
      // slow WAN (an injected fault): the answer reaches the party's receiver that much later
      nextAttemptAt: new Date(Date.now() + this.deliveryDelayMs).toISOString(),
    };
    this.gateway.enqueue(entry);
  }

  /**
   * Whether this process runs the world's timer work (runDueCommands every tick). SQLite: always. A
   * PostgreSQL world's processes elect one by an advisory lock, held until its connection ends; the
   * work would be safe run by all (each device and schedule is read again in its own transaction),
   * but done once is cheaper.
   */
  leadsTimers(): boolean {
    return !this.pg || this.pg.holdAdvisoryLock(ADVISORY_LOCKS.timers);
  }

  /** Executes future-dated commands whose time has come (by the simulated clock); alerts go to the outbox. */
  runDueCommands(): number {
    this.deliveryDelayMs = 0;
    const now = this.clock.now();
    // The DCC's own schedules (5.1) fall due on the same clock.
    let executed = this.runDueSchedules();
    for (const eui of this.world.store.devicesWithCommandsDue(now.toISOString())) {
      executed += this.world.store.transaction(() => {
        const device = loadDevice(this.world, eui);
        const due = device.state.pending.filter((p) => p.executeAt <= now).length;
        this.executeDue(eui, device);
        return due;
      });
    }
    // Prepayment meters act on their own as the clock moves: their credit alerts go out now, not with the next command.
    let alerted = 0;
    for (const eui of this.world.store.devicesInPrepayment()) alerted += this.catchUpDevice(eui);
    // alerts of commands that fell due belong to no request's event
    this.queued = [];
    if (executed || alerted) this.emit('outbox');
    return executed;
  }

  /** A device caught up to the clock (between-commands.ts); its alerts are DeviceAlertMessages to their recipients. */
  private catchUpDevice(eui: Eui): number {
    return this.world.store.transaction(() => {
      const device = loadDevice(this.world, eui);
      const outcome = catchUpBetweenCommands(device.state, device.credentials, this.clock.now());
      if (outcome.state === device.state) return 0;
      saveDevice(this.world, outcome.state, device);
      for (const alert of outcome.alerts) this.queueAlerts({ ...outcome, alerts: [alert] }, decodeGbcsMessage(alert).apdu.target, null, { serviceReference: '', serviceReferenceVariant: '' });
      return outcome.alerts.length;
    });
  }

  /**
   * A credentials command the DCC originates on its own (the SMKI Recovery Event, the WAN provider's
   * own update): recovery.ts. Each device is one transaction and one request-log row (path 'recovery').
   */
  recover(order: RecoveryOrder): RecoveryResult {
    this.runDueCommands();
    const r = carryOutRecovery({ world: this.world, gateway: this.gateway, clock: this.clock, ports: this.ports }, order);
    for (const d of r.devices) if (d.changedCells.length) this.emit('cells', { deviceEui: d.device, changedCells: d.changedCells });
    // not a 'request' event: the gateway's metrics count DUIS requests; the console's timeline shows these rows too
    this.emit('dcc-order', { requestLogIds: r.devices.map((d) => d.requestLogId) });
    return r;
  }

  /**
   * Sends every scheduled read whose occurrence the simulated clock has passed (each missed occurrence once, in
   * order, so a clock moved on by days gets each day's read) and delivers the device's responses to the
   * schedule's User as DSPScheduledMessages. A schedule past its end date is removed.
   */
  runDueSchedules(): number {
    const now = this.clock.now();
    let sent = 0;
    for (const listed of this.schedules.due(now.toISOString())) {
      sent += this.world.store.transaction(() => {
        // Read again inside: another process (or this one's last run) may have sent it since it was listed.
        const schedule = this.schedules.get(listed.id);
        if (!schedule || schedule.nextRunAt > now.toISOString()) return 0;
        let sends = 0;
        const held = heldRequestOf(schedule.details);
        if (held) {
          this.sendHeldRequest(schedule, held, now);
          this.schedules.remove(schedule.id);
          return 1;
        }
        let at: Date | undefined = new Date(schedule.nextRunAt);
        for (let n = 0; at && at <= now && n < 400; n++) {
          this.sendScheduledRead(schedule, at, now);
          sends++;
          at = nextOccurrence(schedule.details, at);
        }
        if (at) this.schedules.setNextRun(schedule.id, at.toISOString());
        else this.schedules.remove(schedule.id);
        return sends;
      });
    }
    if (sent) this.emit('outbox');
    return sent;
  }

  /** A DSP future-dated request whose time has come: sent now, the device's answer to the original RequestID. */
  private sendHeldRequest(schedule: ScheduleRecord, held: { requestId: string; body: RequestBody }, now: Date): void {
    const service = serviceByVariant(schedule.serviceVariant);
    const read = { serviceReference: service?.reference ?? '', serviceReferenceVariant: schedule.serviceVariant, deviceId: schedule.deviceEui, body: held.body };
    this.sendScheduledRead(schedule, now, now, { read, requestId: held.requestId });
  }

  private sendScheduledRead(schedule: ScheduleRecord, at: Date, now: Date, held?: { read: ReturnType<typeof scheduledRead>; requestId: string }): void {
    const user = schedule.originatorEui;
    const read = held?.read ?? scheduledRead(schedule.details, at);
    const service = serviceByVariant(read.serviceReferenceVariant);
    const entry = this.ports.inventoryEntry(read.deviceId);
    const svc = { serviceReference: read.serviceReference, serviceReferenceVariant: read.serviceReferenceVariant };
    const c = entry && service?.gbcs ? service.gbcs.command(read.body as never, entry.type as never, { counter: 0n, now, state: {} }) : 'no such device or read';
    if (!entry || !service?.gbcs || typeof c === 'string' || !service.device?.statuses.includes(entry.status)) return;
    // The DCC's ACB sends the read on the User's behalf (the User as supplementary remote party, catalogue.md
    // §2.2): the DCC has no counter of the User's to spend, and the User's own requests keep their sequence.
    const acb = this.dccCapability();
    const counter = this.gateway.nextDccCounter('ACB', BigInt(now.getTime()));
    const command = service.gbcs.command(read.body as never, entry.type as never, { counter, now, state: {}, originator: user, target: read.deviceId, ...(entry.esmeVariant ? { esmeVariant: entry.esmeVariant } : {}) }) as { messageCode: number; payload: Buffer };
    const extra = Buffer.alloc(16);
    Buffer.from(user, 'hex').copy(extra, 0);
    extra.writeBigUInt64BE(counter, 8);
    const apdu = encodeApdu({ cra: 'command', counter, originator: acb.acbEui, target: read.deviceId, messageCode: command.messageCode, otherInformationExtra: extra, payload: command.payload });
    const message = wrapWithAcbMac(apdu, acb.acbKaKey, this.ports.deviceKeyAgreementKey(read.deviceId));
    const device = loadDevice(this.world, read.deviceId);
    device.state = this.executeDue(read.deviceId, device);
    const outcome = processCommand(device.state, device.credentials, message, now, loadCommandInputs(this.world, device, message));
    const refs = held
      ? { requestId: held.requestId, responseId: `${dashedEui(read.deviceId)}:${dashedEui(user)}:${held.requestId.split(':').pop()}`, ...svc }
      : { requestId: `${dashedEui(user)}:${dashedEui(read.deviceId)}:${counter}`, responseId: `${dashedEui(read.deviceId)}:${dashedEui(user)}:${counter}`, ...svc };
    if (outcome.rejected || !outcome.response) {
      this.queue(user, 'response', Codes.noResponse, this.respond(refs, Codes.noResponse), refs);
      return;
    }
    saveDevice(this.world, outcome.state, device);
    const content = held ? { gbcsPayload: outcome.response } : { dspScheduledMessage: { gbcsPayload: outcome.response, scheduleId: schedule.id } };
    this.queue(user, 'response', Codes.success, this.respond(refs, Codes.success, content), refs);
  }

  /** Executes a loaded device's due future-dated commands, saves it and queues the 8F66/8F67 alerts. */
  private executeDue(eui: string, device: LoadedDevice): DeviceSecurityState {
    const now = this.clock.now();
    const due = device.state.pending.filter((p) => p.executeAt <= now);
    if (due.length === 0) return device.state;
    const outcome = executeDueCommands(device.state, device.credentials, now);
    // The loaded device now stands for the saved state: a command that follows compares against it.
    device.cellIds = saveDevice(this.world, outcome.state, device);
    device.state = outcome.state;
    for (const p of due) {
      const requestId = `${dashedEui(p.originator)}:${dashedEui(eui)}:${p.counter}`;
      // The alert names the service of the request that sent the command (its log row), else the one that sends that message code.
      const logged = this.gateway.listRequests({ requestId, limit: 1 })[0];
      const service = serviceOfMessageCode(decodeApdu(p.command).messageCode);
      const svc = logged?.serviceReference && logged.serviceVariant
        ? { serviceReference: logged.serviceReference, serviceReferenceVariant: logged.serviceVariant }
        : { serviceReference: service?.reference ?? '', serviceReferenceVariant: service?.variant ?? '' };
      // each held command's own alerts (two held by one originator would otherwise each get both's)
      const own = outcome.dueAlerts?.find((d) => d.counter === p.counter && d.originator === p.originator)?.alerts
        ?? outcome.alerts.filter((a) => decodeApdu(a).target === p.originator);
      this.queueAlerts({ ...outcome, alerts: own }, p.originator, requestId, svc);
    }
    if (outcome.changedCells.length) this.emit('cells', { deviceEui: eui, changedCells: outcome.changedCells });
    return outcome.state;
  }

  private emitRequest(e: RequestEvent): void {
    this.emit('request', e);
  }
}

/** What a DUIS response names: the request it answers, its own ID and the service. */
interface ResponseRefs {
  requestId?: string;
  responseId?: string;
  serviceReference?: string;
  serviceReferenceVariant?: string;
}

function isDccParty(eui: Eui): boolean {
  return (Object.values(DCC_PARTIES) as string[]).includes(eui);
}
