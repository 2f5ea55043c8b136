import type { FastifyInstance } from 'fastify';
import { dashedEui, RemotePartyRole, roleName, type Eui } from '../../pki/index.ts';
import { CELL_NAMES, GatewayStore, type CellColumnName } from '../../db/index.ts';
import {
  SERVICES,
  buildRequest,
  parseDuisResponse,
  signDuis,
  type Endpoint,
  type RemotePartyRoleName,
  type ServiceBody,
} from '../../service-requests/index.ts';
import { endpointFor, signPreCommand, xmlSignerOf } from '../client.ts';
import { isFailureCode, type Dcc } from '../dcc/index.ts';
import { DCC, META, World, WorldError } from '../world/index.ts';

// Sends DUIS as the parties of a world would: builds the request, signs it with the party's
// XML-signing key, posts it to a DCC (a real server over HTTP, or the server's own routes by
// injection), does the second leg of a critical request, and reports what came back and which
// trust-anchor cells of the device changed. The training scenarios and the MP128A remedy use it.

export interface PostAnswer {
  status: number;
  code: string;
  reason: string | null;
  xml: string;
}

/** How DUIS reaches the DCC (and, for what the DCC does on its own, its JSON API). */
export interface DuisTransport {
  post(endpoint: Endpoint, xml: string): Promise<PostAnswer>;
  /** a JSON API call (POST /api/recovery); absent: the DCC is reached by DUIS only */
  json?(path: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

export function httpTransport(baseUrl: string, adminToken?: string): DuisTransport {
  const base = baseUrl.replace(/\/$/, '');
  return {
    async json(path, body) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
      return { status: res.status, body: await res.json() };
    },
    async post(endpoint, xml) {
      const res = await fetch(`${base}/api/v1/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: xml,
        signal: AbortSignal.timeout(60_000),
      });
      return { status: res.status, code: res.headers.get('x-dcc-sim-response-code') ?? `HTTP ${res.status}`, reason: res.headers.get('x-dcc-sim-reason'), xml: await res.text() };
    },
  };
}

/** The server's own DUIS routes, without a socket (the scenario API runs inside the server). */
export function injectTransport(app: FastifyInstance, adminToken?: string): DuisTransport {
  return {
    async json(path, body) {
      const auth: Record<string, string> = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
      const res = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json', ...auth }, payload: JSON.stringify(body) });
      return { status: res.statusCode, body: res.json() };
    },
    async post(endpoint, xml) {
      const res = await app.inject({ method: 'POST', url: `/api/v1/${endpoint}`, headers: { 'content-type': 'application/xml' }, payload: xml });
      const header = (n: string) => {
        const v = res.headers[n];
        return v === undefined ? null : String(v);
      };
      return { status: res.statusCode, code: header('x-dcc-sim-response-code') ?? `HTTP ${res.statusCode}`, reason: header('x-dcc-sim-reason'), xml: res.body };
    },
  };
}

/** The simulated clock, wherever the DCC runs. */
export interface ScenarioClock {
  now(): Promise<Date>;
  advance(ms: number): Promise<Date>;
}

/** The clock of a DCC in this process; moving it runs the future-dated commands that fall due. */
export function dccClock(dcc: Dcc): ScenarioClock {
  return {
    async now() {
      return dcc.clock.now();
    },
    async advance(ms) {
      const t = dcc.clock.advance(ms);
      dcc.runDueCommands();
      return t;
    },
  };
}

/** The clock of a DCC served elsewhere (its /api/clock; `adminToken` when that listener asks for one). */
export function httpClock(baseUrl: string, adminToken?: string): ScenarioClock {
  const base = baseUrl.replace(/\/$/, '');
  const auth: Record<string, string> = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
  const call = async (init?: RequestInit) => {
    const res = await fetch(`${base}/api/clock`, { ...init, headers: { ...auth, ...(init?.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(30_000) });
    const body = (await res.json()) as { now?: string; error?: string };
    if (!res.ok || !body.now) throw new WorldError('clock', `the DCC at ${base} did not move its clock: ${body.error ?? res.status}`);
    return new Date(body.now);
  };
  return {
    now: () => call(),
    advance: (ms) => call({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: `${ms}ms` }) }),
  };
}

export interface CellHolder {
  certificateId: number;
  eui: string | null;
  name: string | null;
  role: string | null;
  keyUsage: string;
}

export type CellSnapshot = Partial<Record<CellColumnName, CellHolder>>;

export interface CellChange {
  device: Eui;
  cell: CellColumnName;
  before: CellHolder | null;
  after: CellHolder | null;
}

export interface SentLeg {
  endpoint: Endpoint;
  commandVariant: number;
  responseCode: string;
  reason: string | null;
}

export interface SentRequest {
  service: string;
  description: string;
  sender: Eui;
  senderName: string;
  target: Eui;
  requestId: string;
  legs: SentLeg[];
  /** the synchronous answer to the last leg */
  responseCode: string;
  reason: string | null;
  /** asynchronous responses and alerts queued for the sender (the device's answer) */
  asyncResponses: { kind: string; responseCode: string }[];
  /** the asynchronous response's code when there is one, otherwise the synchronous one */
  outcome: string;
  /** what the device said when it discarded the command (from the DCC's request log) */
  deviceDetail: string | null;
  /** the final outcome as the request log has it (E21 for a command the device discarded), its reason and alert */
  finalResponseCode: string;
  finalReason: string | null;
  deviceAlertCode: string | null;
  /** the final outcome is not an error: a tester's pass/fail */
  succeeded: boolean;
  /** the first leg as sent, signed */
  requestXml: string;
  cellsChanged: CellChange[];
}

/** A party's current (unrevoked) organisation certificates of a role: DS, KA and, for suppliers, the top-up KA. */
export function partyCertificates(world: World, eui: Eui, role: number): { ds: Buffer; ka?: Buffer; topUp?: Buffer } {
  const { ds, ka, kaTopUp } = world.currentOrganisationCertificates(eui, role);
  if (!ds) {
    const name = world.store.getParty(eui)?.name ?? dashedEui(eui);
    throw new WorldError('no-certificate', `${name} has no unrevoked ${roleName(role)} digital-signing certificate in the SMKI repository`);
  }
  return { ds: ds.der, ka: ka?.der, topUp: kaTopUp?.der };
}

/** Who holds each trust-anchor cell of a device. */
export function snapshotCells(world: World, eui: Eui): CellSnapshot {
  const s = world.store.getDeviceSecurity(eui);
  const out: CellSnapshot = {};
  for (const [cell, id] of Object.entries(s?.cells ?? {}) as [CellColumnName, number][]) {
    const c = world.certificate(id);
    out[cell] = {
      certificateId: id,
      eui: c.subjectEui,
      name: c.subjectEui ? (world.store.getParty(c.subjectEui)?.name ?? null) : c.label,
      role: c.role === null ? null : roleName(c.role),
      keyUsage: c.keyUsage,
    };
  }
  return out;
}

export function diffCells(device: Eui, before: CellSnapshot, after: CellSnapshot): CellChange[] {
  const changes: CellChange[] = [];
  for (const cell of CELL_NAMES) {
    const b = before[cell] ?? null;
    const a = after[cell] ?? null;
    if ((b?.certificateId ?? null) !== (a?.certificateId ?? null)) changes.push({ device, cell, before: b, after: a });
  }
  return changes;
}

/** POST /api/han/local-delivery's answer. */
export interface LocalDeliveryAnswer {
  requestId: string;
  requestLogId: number;
  device: string;
  accepted: boolean;
  response?: string;
  changedCells?: string[];
  reason?: string;
  alertCode?: string;
}

/** POST /api/recovery's answer, as the scenarios read it. */
export interface RecoveryAnswer {
  mode: string;
  carriedOut: number;
  failed: number;
  devices: { device: string; requestLogId: number; requestId: string | null; outcome: string; reason: string | null; changedCells: string[] }[];
}

export class DuisDriver {
  private readonly gateway: GatewayStore;
  private readonly counters = new Map<string, bigint>();

  constructor(
    readonly world: World,
    readonly transport: DuisTransport,
  ) {
    this.gateway = new GatewayStore(world.store.db);
  }

  /** RequestID counters: milliseconds, as the DCC's tools use, but always above the last one the DCC accepted. */
  nextCounter(originator: Eui): bigint {
    let next = BigInt(Date.now());
    const accepted = this.gateway.lastCounter(originator);
    if (accepted !== undefined && next <= accepted) next = accepted + 1n;
    const mine = this.counters.get(originator);
    if (mine !== undefined && next <= mine) next = mine + 1n;
    this.counters.set(originator, next);
    return next;
  }

  private certificationPath(): Buffer[] {
    return [this.world.certificate(Number(this.world.meta(META.issuingCaId))).der];
  }

  /** Builds, signs and sends one request (both legs for a critical one) and reports the outcome. */
  async send(o: { sender: Eui; target: Eui; commandVariant: number; body: ServiceBody; description?: string }): Promise<SentRequest> {
    const module = SERVICES.find((m) => m.body.element === o.body.kind)!;
    const svc = { service: module.variant, name: module.displayName };
    const signer = xmlSignerOf(this.world, o.sender);
    const counter = this.nextCounter(o.sender);
    const first = signDuis(buildRequest({ requestId: { originator: o.sender, target: o.target, counter }, commandVariant: o.commandVariant, body: o.body }), signer);
    const requestId = `${dashedEui(o.sender)}:${dashedEui(o.target)}:${counter}`;
    const before = snapshotCells(this.world, o.target);
    const legs: SentLeg[] = [];
    const endpoint = endpointFor(o.commandVariant);
    const a1 = await this.transport.post(endpoint, first);
    legs.push({ endpoint, commandVariant: o.commandVariant, responseCode: a1.code, reason: a1.reason });
    let last = a1;
    if (o.commandVariant === 4 && a1.code === 'I0') {
      const r = parseDuisResponse(a1.xml);
      const body = r.body;
      if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) {
        throw new WorldError('duis', `the DCC answered ${requestId} with I0 but no PreCommand`);
      }
      const signed = signPreCommand(this.world, body.content.preCommand.gbcsPayload);
      const second = signDuis(
        buildRequest({
          requestId,
          commandVariant: 5,
          serviceReference: body.serviceReference,
          serviceReferenceVariant: body.serviceReferenceVariant,
          body: { kind: 'SignedPreCommand', gbcsPayload: signed },
        }),
        signer,
      );
      last = await this.transport.post('serviceS', second);
      legs.push({ endpoint: 'serviceS', commandVariant: 5, responseCode: last.code, reason: last.reason });
    }
    // The device's answer is queued in the same transaction as its new state: it is there now.
    const asyncResponses = this.gateway.responsesFor(requestId).map((r) => ({ kind: r.kind, responseCode: r.responseCode }));
    const logged = this.gateway.listRequests({ requestId, limit: 5 })[0];
    const deviceStep = logged?.steps?.find((s) => (s as { step?: string }).step === 'device') as { ok: boolean; detail: string } | undefined;
    const response = asyncResponses.find((r) => r.kind === 'response');
    return {
      service: svc.service,
      description: o.description ?? `${svc.service} ${svc.name}`,
      sender: o.sender,
      senderName: this.world.store.getParty(o.sender)?.name ?? dashedEui(o.sender),
      target: o.target,
      requestId,
      legs,
      responseCode: last.code,
      reason: last.reason,
      asyncResponses,
      outcome: response?.responseCode ?? last.code,
      deviceDetail: deviceStep && !deviceStep.ok ? deviceStep.detail : null,
      finalResponseCode: logged?.finalResponseCode ?? last.code,
      finalReason: logged ? logged.finalReason : last.reason,
      deviceAlertCode: logged?.deviceAlertCode ?? null,
      succeeded: !isFailureCode(logged?.finalResponseCode ?? last.code),
      requestXml: first,
      cellsChanged: diffCells(o.target, before, snapshotCells(this.world, o.target)),
    };
  }

  private credentials(role: RemotePartyRoleName, certificatesOf: Eui) {
    const acb = certificatesOf === DCC.accessControlBroker;
    const code = acb ? RemotePartyRole.AccessControlBroker : role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
    const c = partyCertificates(this.world, certificatesOf, code);
    const holder = this.world.store.getParty(certificatesOf)?.name ?? dashedEui(certificatesOf);
    return { c, holder };
  }

  /** 6.21 Request Handover of DCC Controlled Device, sent by the registered supplier. */
  handover(o: { supplier: Eui; device: Eui; role: 'Supplier' | 'NetworkOperator'; certificatesOf: Eui }): Promise<SentRequest> {
    const { c, holder } = this.credentials(o.role, o.certificatesOf);
    return this.send({
      sender: o.supplier,
      target: o.device,
      commandVariant: 1,
      description: `6.21 Request Handover of DCC Controlled Device: ${o.role} cells to ${holder}'s certificates`,
      body: {
        kind: 'RequestHandoverOfDCCControlledDevice',
        remotePartyRole: o.role,
        floorSeqNumber: 0n,
        ...(o.role === 'Supplier' ? { topUpFloorSeqNumber: 0n } : {}),
        digitalSigning: c.ds,
        keyAgreement: c.ka,
        keyAgreementTopUp: o.role === 'Supplier' ? c.topUp : undefined,
        certificationPath: this.certificationPath(),
        applyTimeBasedCpvChecks: true,
      },
    });
  }

  /** 6.15.1 Update Security Credentials (KRP): a known remote party replaces the certificates in its cells (both legs). */
  updateCredentials(o: { sender: Eui; device: Eui; role: 'Supplier' | 'NetworkOperator'; certificatesOf: Eui }): Promise<SentRequest> {
    const { c, holder } = this.credentials(o.role, o.certificatesOf);
    return this.send({
      sender: o.sender,
      target: o.device,
      commandVariant: 4,
      description: `6.15.1 Update Security Credentials (KRP), ${o.role === 'Supplier' ? 'SupplierBySupplier' : 'NOByNO'}: ${o.role} cells to ${holder}'s certificates`,
      body: {
        kind: 'UpdateSecurityCredentialsKRP',
        remotePartyRole: o.role,
        floorSeqNumber: 0n,
        digitalSigning: c.ds,
        keyAgreement: c.ka,
        ...(o.role === 'Supplier' ? { keyAgreementTopUp: c.topUp, topUpFloorSeqNumber: 0n } : {}),
        certificationPath: this.certificationPath(),
        applyTimeBasedCpvChecks: true,
      },
    });
  }

  /**
   * The DCC's own SMKI Recovery Event (POST /api/recovery): no DUIS request, the DCC's Recovery key
   * signs a CS02b to each device. The cells that changed, as for a request.
   */
  async recover(order: { event: 'recovery'; devices: Eui[]; place: { cells: string; certificatesOf: Eui }[]; reason: string; requestedBy: string }): Promise<{ result: RecoveryAnswer; cellsChanged: CellChange[] }> {
    if (!this.transport.json) throw new WorldError('no-api', 'this DCC is reached by DUIS only: the recovery needs its JSON API');
    const before = new Map(order.devices.map((d) => [d, snapshotCells(this.world, d)]));
    const res = await this.transport.json('/api/recovery', order);
    const body = res.body as RecoveryAnswer & { error?: string };
    if (res.status !== 200) throw new WorldError('recovery', `the DCC refused the recovery: ${body.error ?? res.status}`);
    return { result: body, cellsChanged: order.devices.flatMap((d) => diffCells(d, before.get(d)!, snapshotCells(this.world, d))) };
  }

  /**
   * The installer's hand-held terminal gives a device a command the DCC issued for local delivery (POST
   * /api/han/local-delivery): not DUIS. What the device made of it, and the cells that changed.
   */
  async deliverLocally(device: Eui, gbcsPayload: Buffer): Promise<{ result: LocalDeliveryAnswer; cellsChanged: CellChange[] }> {
    if (!this.transport.json) throw new WorldError('no-api', 'this DCC is reached by DUIS only: local delivery needs its JSON API');
    const before = snapshotCells(this.world, device);
    const res = await this.transport.json('/api/han/local-delivery', { gbcsPayload: gbcsPayload.toString('base64') });
    const body = res.body as LocalDeliveryAnswer & { error?: string };
    if (res.status !== 200) throw new WorldError('local-delivery', `the command could not be delivered: ${body.error ?? res.status}`);
    return { result: body, cellsChanged: diffCells(device, before, snapshotCells(this.world, device)) };
  }

  /** The GBCS command of the DCC's answer to a request for local delivery (CV 2), from its request log. */
  localCommandOf(requestId: string): Buffer | undefined {
    const xml = this.gateway.listRequests({ requestId, limit: 1 })[0]?.responseXml;
    const body = xml ? parseDuisResponse(xml).body : undefined;
    const content = body?.kind === 'ResponseMessage' ? body.content : undefined;
    return content && 'localCommand' in content ? content.localCommand.gbcsPayload : undefined;
  }

  /** A request's final outcome as the request log has it now (it changes when a locally delivered command is discarded). */
  finalOutcomeOf(requestId: string): { code: string; reason: string | null; alertCode: string | null } | undefined {
    const r = this.gateway.listRequests({ requestId, limit: 1 })[0];
    return r ? { code: r.finalResponseCode, reason: r.finalReason, alertCode: r.deviceAlertCode } : undefined;
  }

  /** 6.24.1 Retrieve Device Security Credentials (KRP). */
  readCredentials(o: { sender: Eui; device: Eui; roles: RemotePartyRoleName[] }): Promise<SentRequest> {
    return this.send({ sender: o.sender, target: o.device, commandVariant: 1, body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: o.roles } });
  }
}
