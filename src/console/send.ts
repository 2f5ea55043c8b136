import { dashedEui, parseEui, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { buildRequest, parseDuisResponse, serviceOfBody, signDuis, type BuildRequestInput, type Endpoint, type StepRecord } from '../../service-requests/index.ts';
import { signPreCommand, xmlSignerOf } from '../client.ts';
import { isFailureCode, type Dcc } from '../dcc/index.ts';
import { DCC, issueOrganisationCertificateFor, META, World, WorldError } from '../world/index.ts';

// The console's "build and send" form: a 6.21 or 6.15.1 built for a device of the world as
// `dcc-sim example` builds it, signed as the chosen party with its key from the world, and run
// through dcc.handle() exactly as a DUIS request posted over HTTP is — both legs for 6.15.1.

// The form replaces a device's certificates: by a handover (the DCC signs) or by the holder's own
// credentials update (critical: both legs). The registry says which variants those are.
const HANDOVER = serviceOfBody('RequestHandoverOfDCCControlledDevice')!;
const UPDATE = serviceOfBody('UpdateSecurityCredentialsKRP')!;
/** The service request variants the console's form sends. */
export const CONSOLE_SERVICES = [HANDOVER.variant, UPDATE.variant] as const;
export type ConsoleService = string;
export type ConsoleRole = 'Supplier' | 'NetworkOperator';

export interface ConsoleSendInput {
  service: ConsoleService;
  device: string;
  role: ConsoleRole;
  /** the party that signs and sends (default: the registered supplier for 6.21; for 6.15.1 the registered party of the role) */
  sender?: string;
  /** whose certificates go into the request (default: the party registration data expects in the role's cells) */
  certificatesOf?: string;
  /** 6.15.1: issue fresh certificates for that party (default true where the world can issue) */
  freshCertificates?: boolean;
  applyTimeBasedCpvChecks?: boolean;
  /** 6.15.1 only: a future-dated command */
  executionDateTime?: string;
}

export interface ConsoleLeg {
  endpoint: Endpoint;
  commandVariant: number;
  requestId: string;
  requestLogId: number;
  responseCode: string;
  accepted: boolean;
  reason: string | null;
  failedStep: string | null;
  steps: StepRecord[];
  changedCells: string[];
}

export interface ConsoleSendResult {
  service: ConsoleService;
  device: string;
  sender: { eui: string; name: string | null };
  certificatesOf: { eui: string; name: string | null };
  certificates: { slot: string; id: number | null; serial: string; subjectEui: string | null }[];
  legs: ConsoleLeg[];
  accepted: boolean;
  /** the final outcome: false also when the DCC acknowledged and the device then discarded the command */
  succeeded: boolean;
  finalResponseCode: string;
  finalReason: string | null;
  /** the outcome in a sentence */
  summary: string;
}

export class ConsoleInputError extends Error {
  readonly statusCode = 400;
}

function partyName(world: World, eui: string): string | null {
  return world.store.getParty(eui)?.name ?? null;
}

function currentCertificates(world: World, eui: Eui, role: number) {
  return world.currentOrganisationCertificates(eui, role);
}

/** A counter above the last one the DCC accepted from the originator (milliseconds, as the DCC's tool does). */
function freshCounter(dcc: Dcc, originator: Eui): bigint {
  const last = dcc.gateway.lastCounter(originator) ?? 0n;
  const now = BigInt(Date.now());
  return now > last ? now : last + 1n;
}

function euiOf(text: string | undefined, what: string): Eui | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parseEui(text);
  } catch {
    throw new ConsoleInputError(`${what} '${text}' is not an EUI-64 (16 hex digits)`);
  }
}

export function sendFromConsole(world: World, dcc: Dcc, input: ConsoleSendInput): ConsoleSendResult {
  if (!CONSOLE_SERVICES.includes(input.service)) throw new ConsoleInputError(`service must be ${CONSOLE_SERVICES.join(' or ')}, not '${String(input.service)}'`);
  const handover = input.service === HANDOVER.variant;
  if (input.role !== 'Supplier' && input.role !== 'NetworkOperator') throw new ConsoleInputError(`role must be Supplier or NetworkOperator, not '${String(input.role)}'`);
  const deviceEui = euiOf(input.device, 'device');
  if (!deviceEui) throw new ConsoleInputError('device is required');
  const device = world.store.getDevice(deviceEui);
  if (!device) throw new ConsoleInputError(`no device ${dashedEui(deviceEui)} in the inventory`);
  const sp = device.mpxn ? world.store.getSupplyPoint(device.mpxn) : undefined;
  const registered = input.role === 'Supplier' ? (sp?.supplierEui ?? undefined) : sp?.networkOperatorEui;

  const sender = euiOf(input.sender, 'sender') ?? (handover ? (sp?.supplierEui ?? undefined) : registered);
  if (!sender) throw new ConsoleInputError(`${device.type} ${dashedEui(device.eui)} has no registered party to send as; choose a sender`);
  let holder = euiOf(input.certificatesOf, 'certificatesOf') ?? registered;
  if (!holder) throw new ConsoleInputError('no party is registered for that role; choose whose certificates to send');
  if (
    input.certificatesOf === undefined &&
    input.role === 'NetworkOperator' &&
    device.type === 'GPF' &&
    !world.mayHoldGpfNetworkOperatorCells(holder)
  ) {
    // MP128B, as `dcc-sim example handover` does: with no certificate of a GNO that is a DCC User, the ACB's.
    holder = DCC.accessControlBroker;
  }
  const roleCode =
    holder === DCC.accessControlBroker ? RemotePartyRole.AccessControlBroker : input.role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
  const path = [world.certificate(Number(world.meta(META.issuingCaId))).der];
  const applyTime = input.applyTimeBasedCpvChecks ?? true;

  let certs: { ds?: { id: number; der: Buffer }; ka?: { id: number; der: Buffer }; kaTopUp?: { id: number; der: Buffer } };
  const canIssue = world.store.getMeta(META.profile) !== 'zaz1';
  if (!handover && (input.freshCertificates ?? true) && canIssue) {
    const issue = (usage: 'DS' | 'KA') => {
      // valid from the start of the simulated day, so the simulated clock's checks accept it
      const notBefore = new Date(Math.floor(dcc.clock.now().getTime() / 86_400_000) * 86_400_000);
      const id = issueOrganisationCertificateFor(world, { eui: holder!, role: roleCode, usage, notBefore });
      return { id, der: world.certificate(id).der };
    };
    certs = { ds: issue('DS'), ka: issue('KA'), ...(input.role === 'Supplier' ? { kaTopUp: issue('KA') } : {}) };
  } else {
    const c = currentCertificates(world, holder, roleCode);
    certs = { ds: c.ds, ka: c.ka, kaTopUp: input.role === 'Supplier' ? c.kaTopUp : undefined };
  }
  if (!certs.ds) throw new ConsoleInputError(`${partyName(world, holder) ?? dashedEui(holder)} has no unrevoked organisation DS certificate of role ${roleCode} in the SMKI repository`);

  let executionDateTime: Date | undefined;
  if (input.executionDateTime) {
    executionDateTime = new Date(input.executionDateTime);
    if (Number.isNaN(executionDateTime.getTime())) throw new ConsoleInputError(`executionDateTime '${input.executionDateTime}' is not a date-time`);
    if (handover) throw new ConsoleInputError(`executionDateTime applies to ${UPDATE.variant} only`);
  }

  let signer;
  try {
    signer = xmlSignerOf(world, sender);
  } catch (err) {
    if (err instanceof WorldError) throw new ConsoleInputError(err.message);
    throw err;
  }
  const requestId = { originator: sender, target: device.eui, counter: freshCounter(dcc, sender) };
  const fields = {
    remotePartyRole: input.role,
    floorSeqNumber: 0n,
    ...(input.role === 'Supplier' ? { topUpFloorSeqNumber: 0n } : {}),
    digitalSigning: certs.ds.der,
    keyAgreement: certs.ka?.der,
    keyAgreementTopUp: certs.kaTopUp?.der,
    certificationPath: path,
    applyTimeBasedCpvChecks: applyTime,
  };
  const build: BuildRequestInput =
    handover
      ? { requestId, commandVariant: 1, body: { kind: 'RequestHandoverOfDCCControlledDevice', ...fields, digitalSigning: certs.ds.der } }
      : { requestId, commandVariant: 4, body: { kind: 'UpdateSecurityCredentialsKRP', ...fields, ...(executionDateTime ? { executionDateTime } : {}) } };

  const legs: ConsoleLeg[] = [];
  const run = (endpoint: Endpoint, cv: number, xml: string) => {
    const answer = dcc.handle(endpoint, Buffer.from(xml, 'utf8'));
    const log = dcc.gateway.getRequest(answer.requestLogId);
    const leg: ConsoleLeg = {
      endpoint,
      commandVariant: cv,
      requestId: log?.requestId ?? '',
      requestLogId: answer.requestLogId,
      responseCode: answer.responseCode,
      accepted: log ? log.failedStep === null : !answer.reason,
      reason: answer.reason ?? null,
      failedStep: log?.failedStep ?? null,
      steps: (log?.steps ?? []) as StepRecord[],
      changedCells: (log?.changedCells ?? []) as string[],
    };
    legs.push(leg);
    return { answer, leg };
  };
  const first = run(handover ? 'serviceS' : 'serviceT', build.commandVariant, signDuis(buildRequest(build), signer));
  if (!handover && first.leg.accepted) {
    const response = parseDuisResponse(first.answer.xml);
    const body = response.body;
    if (body.kind === 'ResponseMessage' && body.content && 'preCommand' in body.content) {
      const signedPre = signPreCommand(world, body.content.preCommand.gbcsPayload);
      const second = signDuis(
        buildRequest({
          requestId: response.requestId?.text ?? requestId,
          commandVariant: 5,
          serviceReference: body.serviceReference,
          serviceReferenceVariant: body.serviceReferenceVariant,
          body: { kind: 'SignedPreCommand', gbcsPayload: signedPre },
        }),
        signer,
      );
      run('serviceS', 5, second);
    }
  }
  const last = legs[legs.length - 1]!;
  const accepted = legs.every((l) => l.accepted);
  const deviceStep = last.steps.find((s) => s.step === 'device');
  const lastLog = dcc.gateway.getRequest(last.requestLogId);
  const finalResponseCode = lastLog?.finalResponseCode ?? last.responseCode;
  const summary = !accepted
    ? `${input.service} refused with ${last.responseCode} at step '${last.failedStep}': ${last.reason}`
    : deviceStep && !deviceStep.ok
      ? `${input.service} acknowledged (${last.responseCode}), then refused by the device (${finalResponseCode}): ${deviceStep.detail}`
      : `${input.service} accepted (${last.responseCode})${last.changedCells.length ? `; the device changed ${last.changedCells.join(', ')}` : ''}`;
  const slot = (name: string, c?: { id: number }) => {
    if (!c) return [];
    const rec = world.certificate(c.id);
    return [{ slot: name, id: c.id, serial: rec.serialHex, subjectEui: rec.subjectEui ? dashedEui(rec.subjectEui) : null }];
  };
  return {
    service: input.service,
    device: dashedEui(device.eui),
    sender: { eui: dashedEui(sender), name: partyName(world, sender) },
    certificatesOf: { eui: dashedEui(holder), name: partyName(world, holder) },
    certificates: [...slot('DigitalSigningCertificate', certs.ds), ...slot('KeyAgreementCertificate', certs.ka), ...slot('KeyAgreementTopUpCertificate', certs.kaTopUp)],
    legs,
    accepted,
    succeeded: !isFailureCode(finalResponseCode),
    finalResponseCode,
    finalReason: lastLog ? lastLog.finalReason : last.reason,
    summary,
  };
}
