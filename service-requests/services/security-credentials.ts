/**
 * What 6.15.1 (Update Security Credentials, KRP) and 6.21 (Request Handover of DCC Controlled
 * Device) share: the body fields (XSD UpdateSecurityCredentialsKRP / RequestHandoverOfDCCControlledDevice),
 * the CS02b command they become (gbcs-cs02b.md §6), the checks of the replacement certificates and
 * the network operator check of SECMP0063 and MP128.
 */
import type { Element } from '@xmldom/xmldom';
import {
  checkProfile, dashedEui, DCC_EUI, describeCertificate, RemotePartyRole, roleName, validatePath,
  type CertificateFacts, type DeviceType, type KeyUsage,
} from '../../pki/index.ts';
import {
  CANCELLATION_DATE_TIME, CELL_IDS, CredentialsReplacementMode, type Cs02bCommand, type Cs02bReplacement,
} from '../../devices/index.ts';
import { bodyKit, REMOTE_PARTY_ROLE_NAMES, type BodyReadContext, type RemotePartyRoleName } from '../duis/index.ts';
import type { Step, StepContext } from '../pipeline/step.ts';
import type { DeviceInfo, GatewayPorts, SupplyPointInfo } from '../ports.ts';
import type { BodyField, ReplacementCertificate, ValidatedRequest } from '../service.ts';

const { Sequence, checkAttributes, readDateTime, readTokenEnum, readFloor, readBoolean, el, textEl, writeBase64, writeRole, writeFloor, writeExecution } = bodyKit;

/** Fields shared by 6.15.1 and 6.21 (XSD UpdateSecurityCredentialsKRP / RequestHandoverOfDCCControlledDevice). */
export interface SecurityCredentialsFields {
  executionDateTime?: Date;
  remotePartyRole: RemotePartyRoleName;
  /** 0..9223372036854775807 */
  floorSeqNumber?: bigint;
  topUpFloorSeqNumber?: bigint;
  /** DER certificates */
  digitalSigning?: Buffer;
  keyAgreement?: Buffer;
  keyAgreementTopUp?: Buffer;
  /** 1..3 DER certificates */
  certificationPath: Buffer[];
  applyTimeBasedCpvChecks: boolean;
}

export type SecurityCredentialsBody =
  | ({ kind: 'UpdateSecurityCredentialsKRP' } & SecurityCredentialsFields)
  | ({ kind: 'RequestHandoverOfDCCControlledDevice' } & SecurityCredentialsFields & { digitalSigning: Buffer })
  /** 6.23: the gaining supplier's certificates, placed by the DCC's Transitional CoS party */
  | ({ kind: 'UpdateSecurityCredentialsCoS' } & SecurityCredentialsFields & { remotePartyRole: 'Supplier'; digitalSigning: Buffer; importMpxn: string });

/** The response codes a credentials service refuses its certificates with. */
export interface CredentialsCodes {
  certificateInvalid: string;
  roleOrUsage: string;
  certificationPath: string;
  /** absent for a service that places no network operator certificates */
  networkOperator?: string;
  revoked?: string;
  outOfDate?: string;
}

/** Reads the shared fields; a handover names its certificates directly, a KRP update through a choice. */
export function readCredentials(item: Element, path: string, handover: boolean, ctx: BodyReadContext): SecurityCredentialsFields {
  checkAttributes(item, path);
  const s = new Sequence(item, path);
  const out: Partial<SecurityCredentialsFields> = {};
  const exec = s.optional('ExecutionDateTime');
  if (exec) out.executionDateTime = readDateTime(exec, `${path}/sr:ExecutionDateTime`);
  out.remotePartyRole = readTokenEnum(s.required('RemotePartyRole'), `${path}/sr:RemotePartyRole`, REMOTE_PARTY_ROLE_NAMES);
  const floor = s.optional('RemotePartyFloorSeqNumber');
  if (floor) out.floorSeqNumber = readFloor(floor, `${path}/sr:RemotePartyFloorSeqNumber`);
  const topUp = s.optional('RemotePartyPrepaymentTopUpFloorSeqNumber');
  if (topUp) out.topUpFloorSeqNumber = readFloor(topUp, `${path}/sr:RemotePartyPrepaymentTopUpFloorSeqNumber`);
  const rc = s.required('ReplacementCertificates');
  let holder = rc;
  let holderPath = `${path}/sr:ReplacementCertificates`;
  checkAttributes(rc, holderPath);
  if (!handover) {
    // ReplacementCertificatesKRP: a choice whose only option is SupplierOrNetworkOperatorCertificates.
    const choice = new Sequence(rc, holderPath);
    holder = choice.required('SupplierOrNetworkOperatorCertificates');
    choice.end();
    holderPath = `${holderPath}/sr:SupplierOrNetworkOperatorCertificates`;
    checkAttributes(holder, holderPath);
  }
  const c = new Sequence(holder, holderPath);
  const ds = handover ? c.required('DigitalSigningCertificate') : c.optional('DigitalSigningCertificate');
  if (ds) out.digitalSigning = ctx.certificate(ds, `${holderPath}/sr:DigitalSigningCertificate`);
  const ka = c.optional('KeyAgreementCertificate');
  if (ka) out.keyAgreement = ctx.certificate(ka, `${holderPath}/sr:KeyAgreementCertificate`);
  const kaTopUp = c.optional('KeyAgreementTopUpCertificate');
  if (kaTopUp) out.keyAgreementTopUp = ctx.certificate(kaTopUp, `${holderPath}/sr:KeyAgreementTopUpCertificate`);
  c.end();
  const cpcPath = `${path}/sr:CertificationPathCertificates`;
  const cpc = s.required('CertificationPathCertificates');
  checkAttributes(cpc, cpcPath);
  const cs = new Sequence(cpc, cpcPath);
  out.certificationPath = cs.repeated('Certificate', 1, 3).map((e, i) => ctx.certificate(e, `${cpcPath}/sr:Certificate[${i + 1}]`));
  cs.end();
  out.applyTimeBasedCpvChecks = readBoolean(s.required('ApplyTimeBasedCPVChecks'), `${path}/sr:ApplyTimeBasedCPVChecks`);
  s.end();
  return out as SecurityCredentialsFields;
}

export function writeCredentials(b: SecurityCredentialsFields, handover: boolean): string {
  let out = writeExecution(b.executionDateTime) + textEl('RemotePartyRole', writeRole(b.remotePartyRole, 'body.remotePartyRole'));
  if (b.floorSeqNumber !== undefined) out += textEl('RemotePartyFloorSeqNumber', writeFloor(b.floorSeqNumber, 'body.floorSeqNumber'));
  if (b.topUpFloorSeqNumber !== undefined) out += textEl('RemotePartyPrepaymentTopUpFloorSeqNumber', writeFloor(b.topUpFloorSeqNumber, 'body.topUpFloorSeqNumber'));
  if (handover && b.digitalSigning === undefined) throw new RangeError('body.digitalSigning: required for RequestHandoverOfDCCControlledDevice');
  let certs = '';
  if (b.digitalSigning !== undefined) certs += textEl('DigitalSigningCertificate', writeBase64(b.digitalSigning, 'body.digitalSigning'));
  if (b.keyAgreement !== undefined) certs += textEl('KeyAgreementCertificate', writeBase64(b.keyAgreement, 'body.keyAgreement'));
  if (b.keyAgreementTopUp !== undefined) certs += textEl('KeyAgreementTopUpCertificate', writeBase64(b.keyAgreementTopUp, 'body.keyAgreementTopUp'));
  out += el('ReplacementCertificates', handover ? certs : el('SupplierOrNetworkOperatorCertificates', certs));
  if (!Array.isArray(b.certificationPath) || b.certificationPath.length < 1 || b.certificationPath.length > 3) {
    throw new RangeError('body.certificationPath: 1..3 certificates are required');
  }
  out += el('CertificationPathCertificates', b.certificationPath.map((c, i) => textEl('Certificate', writeBase64(c, `body.certificationPath[${i}]`))).join(''));
  if (typeof b.applyTimeBasedCpvChecks !== 'boolean') throw new RangeError('body.applyTimeBasedCpvChecks: expected a boolean');
  return out + textEl('ApplyTimeBasedCPVChecks', String(b.applyTimeBasedCpvChecks));
}

/** The console's view of the shared fields. */
export function describeCredentials(b: SecurityCredentialsBody): BodyField[] {
  const fields: BodyField[] = [{ label: 'RemotePartyRole', value: b.remotePartyRole }];
  if (b.executionDateTime) fields.push({ label: 'ExecutionDateTime', value: b.executionDateTime.toISOString() });
  if (b.floorSeqNumber !== undefined) fields.push({ label: 'RemotePartyFloorSeqNumber', value: b.floorSeqNumber.toString() });
  fields.push({ label: 'DigitalSigningCertificate', certificate: b.digitalSigning });
  fields.push({ label: 'KeyAgreementCertificate', certificate: b.keyAgreement });
  fields.push({ label: 'KeyAgreementTopUpCertificate', certificate: b.keyAgreementTopUp });
  b.certificationPath.forEach((c, i) => fields.push({ label: `CertificationPath[${i}]`, certificate: c }));
  fields.push({ label: 'ApplyTimeBasedCPVChecks', value: String(b.applyTimeBasedCpvChecks) });
  return fields;
}

/** Which cells a RemotePartyRole names on this device type: true, or why it has none. */
export function suitsRemotePartyRole(remoteRole: string, type: DeviceType): true | string {
  if (remoteRole === 'Supplier') {
    return type === 'CHF' ? `a comms hub function has no supplier trust-anchor cells` : true;
  }
  if (remoteRole === 'NetworkOperator') {
    return type === 'ESME' || type === 'GPF' ? true : `a ${type} has no network operator trust-anchor cells (only ESME and GPF do)`;
  }
  if (remoteRole === 'LoadController') {
    return type === 'ESME' ? true : `a ${type} has no load controller trust-anchor cells (only an ESME does)`;
  }
  return `RemotePartyRole ${remoteRole} is not supported by dcc-sim for this service (Supplier, NetworkOperator and LoadController are)`;
}

/** DUIS uses 3000-12-31 to cancel a future-dated command; GBCS uses 9999-12-31T23:59:59Z. */
function gbcsExecutionTime(d: Date | undefined): Date | undefined {
  if (!d) return undefined;
  return d.getUTCFullYear() >= 3000 ? CANCELLATION_DATE_TIME : d;
}

/** The CS02b command a credentials request becomes; a handover starts the new holder's floors at 0. */
export function cs02bFromRequest(v: ValidatedRequest<SecurityCredentialsBody>, counter: bigint): Cs02bCommand {
  const body = v.request.body;
  const handover = body.kind === 'RequestHandoverOfDCCControlledDevice';
  const supplier = body.remotePartyRole === 'Supplier';
  const role = supplier ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
  const replacements: Cs02bReplacement[] = [];
  for (const r of v.replacements ?? []) {
    const target =
      r.slot === 'DS'
        ? supplier ? CELL_IDS.supplierDS : CELL_IDS.networkOperatorDS
        : r.slot === 'KA'
          ? supplier ? CELL_IDS.supplierKA : CELL_IDS.networkOperatorKA
          : CELL_IDS.supplierTopUpKA;
    replacements.push({ certificate: r.facts.der, target });
  }
  if (body.remotePartyRole === 'LoadController') {
    // CS02g LoadControllerBySupplier (RTDS): authorised by the supplier DS cell; the new load controller's
    // floor travels in [6], as the gaining party's does in a CoS; no [4].
    return {
      mode: CredentialsReplacementMode.loadControllerBySupplier,
      applyTimeBasedCpvChecks: body.applyTimeBasedCpvChecks,
      authorisingCell: { role: RemotePartyRole.Supplier, keyUsage: 'DS', cellUsage: 0 },
      authorisingSeqNumber: counter,
      otherSeqNumberChanges: [{ role: RemotePartyRole.LoadController, floorSeqNumber: body.floorSeqNumber ?? 0n }],
      replacements: (v.replacements ?? []).map((r) => ({ certificate: r.facts.der, target: r.slot === 'DS' ? CELL_IDS.loadControllerDS : CELL_IDS.loadControllerKA })),
      certificationPath: body.certificationPath,
      executionDateTime: gbcsExecutionTime(body.executionDateTime),
    };
  }
  return {
    mode: supplier ? CredentialsReplacementMode.supplierBySupplier : CredentialsReplacementMode.networkOperatorByNetworkOperator,
    applyTimeBasedCpvChecks: body.applyTimeBasedCpvChecks,
    authorisingCell: { role, keyUsage: 'DS', cellUsage: 0 },
    authorisingSeqNumber: counter,
    newFloorSeqNumber: body.floorSeqNumber ?? (handover ? 0n : undefined),
    newTopUpFloorSeqNumber: supplier ? (body.topUpFloorSeqNumber ?? (handover ? 0n : undefined)) : undefined,
    replacements,
    certificationPath: body.certificationPath,
    executionDateTime: gbcsExecutionTime(body.executionDateTime),
  };
}

/**
 * The pipeline steps of a credentials service: its replacement certificates, then (for network
 * operator certificates on an ESME, or on a GPF under MP128) the network operator check.
 */
export function credentialsSteps(codes: CredentialsCodes): Step[] {
  return [
    {
      name: 'certificates',
      run(ctx: StepContext): string {
        const body = ctx.request.body as SecurityCredentialsBody;
        const { replacements, path } = checkReplacements(body, ctx.device!, ctx.ports, codes, (code, reason) => ctx.reject(code, reason));
        ctx.replacements = replacements;
        ctx.certificationPath = path;
        return replacements.map((r) => `${r.slot} ${r.facts.serialHex} of ${dashedEui(r.facts.subjectEui ?? '')}`).join(', ');
      },
    },
    {
      name: 'network-operator',
      run(ctx: StepContext): string | null {
        const body = ctx.request.body as SecurityCredentialsBody;
        const device = ctx.device!;
        if (!ctx.options.networkOperatorCheck || body.remotePartyRole !== 'NetworkOperator' || codes.networkOperator === undefined) return null;
        const applies = device.type === 'ESME' || (device.type === 'GPF' && body.kind === 'RequestHandoverOfDCCControlledDevice');
        const gpfRule = device.type === 'GPF'; // MP128 applies to every NO certificate placed on a GPF
        if (!applies && !gpfRule) return null;
        checkNetworkOperator(ctx.replacements!, device, ctx.supplyPoint, ctx.ports, (reason) => ctx.reject(codes.networkOperator!, reason));
        return `certificates belong to the registered network operator${device.type === 'GPF' ? ' (or the ACB, MP128)' : ''}`;
      },
    },
  ];
}

const ROLE_CODE: Record<string, number> = {
  Supplier: RemotePartyRole.Supplier,
  NetworkOperator: RemotePartyRole.NetworkOperator,
  LoadController: RemotePartyRole.LoadController,
  ACB: RemotePartyRole.AccessControlBroker,
};

// The certificates a 6.21 / 6.15.1 carries are the same few organisation certificates over and
// over, and their profile check and path validation were ~8% of a handover (bench/pipeline.ts).
// Both are pure functions of the certificates, so they are cached; describeCertificate returns
// one facts object per distinct DER (pki's parse cache), which keys the profile cache.
const profileProblems = new WeakMap<CertificateFacts, ReturnType<typeof checkProfile>>();
function organisationProfileProblems(facts: CertificateFacts): ReturnType<typeof checkProfile> {
  let problems = profileProblems.get(facts);
  if (problems === undefined) {
    problems = checkProfile(facts, { kind: 'organisation' });
    profileProblems.set(facts, problems);
  }
  return problems;
}

// Successful path validations, per trust-anchor list (WorldPorts keeps one array for the world's
// life) and leaf + intermediates. Time enters validatePath only as each chain certificate's
// validity at `at`, so a success found at any time (or with no time check) holds at `at` exactly
// when `at` lies within every chain certificate's validity; that window is kept with the entry.
// Failures are not cached: they are rare and their reasons name the time checked.
interface PathSuccess { from: number; until: number }
const PATH_CACHE_LIMIT = 1024;
const pathSuccesses = new WeakMap<readonly Uint8Array[], Map<string, PathSuccess>>();
function cachedValidatePath(leaf: CertificateFacts, intermediates: Buffer[], anchors: Buffer[], at: Date | null): ReturnType<typeof validatePath> {
  let byChain = pathSuccesses.get(anchors);
  if (byChain === undefined) {
    byChain = new Map();
    pathSuccesses.set(anchors, byChain);
  }
  const key = [leaf.der, ...intermediates].map((d) => d.toString('base64')).join('|');
  const hit = byChain.get(key);
  const t = at?.getTime();
  if (hit !== undefined && (t === undefined || (t >= hit.from && t <= hit.until))) return { ok: true };
  const pv = validatePath(leaf.der, intermediates, anchors, { at });
  if (pv.ok && pv.chain !== undefined) {
    if (byChain.size >= PATH_CACHE_LIMIT) byChain.clear();
    byChain.set(key, {
      from: Math.max(...pv.chain.map((c) => c.notBefore.getTime())),
      until: Math.min(...pv.chain.map((c) => c.notAfter.getTime())),
    });
  }
  return pv;
}

export function checkReplacements(
  body: SecurityCredentialsBody,
  device: DeviceInfo,
  ports: GatewayPorts,
  codes: CredentialsCodes,
  fail: (code: string, reason: string) => never,
): { replacements: ReplacementCertificate[]; path: CertificateFacts[] } {
  const roleCode = ROLE_CODE[body.remotePartyRole]!;
  const path: CertificateFacts[] = body.certificationPath.map((der, i) => {
    try {
      return describeCertificate(der);
    } catch (err) {
      return fail(codes.certificateInvalid, `CertificationPathCertificates #${i + 1} is not a certificate: ${(err as Error).message}`);
    }
  });
  const slots: [ReplacementCertificate['slot'], Buffer | undefined, KeyUsage][] = [
    ['DS', body.digitalSigning, 'DS'],
    ['KA', body.keyAgreement, 'KA'],
    ['KA-TopUp', body.keyAgreementTopUp, 'KA'],
  ];
  const out: ReplacementCertificate[] = [];
  const now = ports.now();
  for (const [slot, der, usage] of slots) {
    if (!der) continue;
    const name = slot === 'DS' ? 'DigitalSigningCertificate' : slot === 'KA' ? 'KeyAgreementCertificate' : 'KeyAgreementTopUpCertificate';
    if (slot === 'KA-TopUp' && body.remotePartyRole !== 'Supplier') {
      fail(codes.roleOrUsage, `${name} is only for the Supplier's prepayment top-up cell, not ${body.remotePartyRole}`);
    }
    let facts: CertificateFacts;
    try {
      facts = describeCertificate(der);
    } catch (err) {
      return fail(codes.certificateInvalid, `${name} is not a certificate: ${(err as Error).message}`);
    }
    // MP128: a GPF's network-operator cells may hold the ACB's certificates.
    const acbInGpf = device.type === 'GPF' && body.remotePartyRole === 'NetworkOperator' && facts.role === RemotePartyRole.AccessControlBroker;
    // The supplier may appoint itself load controller: RTDS's CS02g places the supplier's own certificates.
    const supplierAsLoadController = body.remotePartyRole === 'LoadController' && facts.role === RemotePartyRole.Supplier && facts.subjectEui === (device.mpxn ? ports.supplyPoint(device.mpxn)?.supplierEui : undefined);
    const expectedRole = acbInGpf ? RemotePartyRole.AccessControlBroker : supplierAsLoadController ? RemotePartyRole.Supplier : roleCode;
    if (facts.kind !== 'organisation') fail(codes.certificateInvalid, `${name} is a ${facts.kind} certificate, not an organisation certificate`);
    // The slot's key usage is judged below with its own code (roleOrUsage); passed to checkProfile
    // it surfaced as a profile problem (certificateInvalid) and the usage check was unreachable.
    const problems = organisationProfileProblems(facts);
    if (problems.length) fail(codes.certificateInvalid, `${name} does not fit the SMKI organisation profile: ${problems.map((p) => p.message).join('; ')}`);
    if (facts.role !== expectedRole) {
      fail(codes.roleOrUsage, `${name} has role ${facts.role === null ? 'none' : roleName(facts.role)} (OU ${facts.role?.toString(16).padStart(2, '0').toUpperCase()}); RemotePartyRole is ${body.remotePartyRole}`);
    }
    if (facts.keyUsage !== usage) fail(codes.roleOrUsage, `${name} has key usage ${facts.keyUsage}; the slot needs ${usage === 'DS' ? 'digitalSignature' : 'keyAgreement'}`);
    const at = body.applyTimeBasedCpvChecks ? now : null;
    const pv = cachedValidatePath(facts, body.certificationPath, ports.trustAnchors(), at);
    if (!pv.ok) {
      const outOfDate = pv.code === 'expired' || pv.code === 'not-yet-valid' || /valid/i.test(pv.code ?? '');
      const code = outOfDate && codes.outOfDate !== undefined ? codes.outOfDate : codes.certificationPath;
      fail(code, `${name} ${facts.serialHex}: ${pv.reason ?? 'certification path validation failed'}`);
    }
    if (ports.isRevoked(facts)) fail(codes.revoked ?? codes.certificationPath, `${name} ${facts.serialHex} is revoked`);
    out.push({ slot, facts });
  }
  if (!out.some((r) => r.slot === 'DS') && body.kind === 'RequestHandoverOfDCCControlledDevice') {
    fail(codes.certificateInvalid, 'a handover needs a DigitalSigningCertificate');
  }
  if (out.length === 0) fail(codes.certificateInvalid, 'no replacement certificate given');
  const holders = new Set(out.map((r) => r.facts.subjectEui));
  if (holders.size > 1) fail(codes.roleOrUsage, `replacement certificates belong to different parties: ${[...holders].map((e) => dashedEui(e ?? '')).join(', ')}`);
  return { replacements: out, path };
}

/**
 * SECMP0063: the NO certificates must be those of the network operator registration data names for
 * the device's MPAN / MPRN. MP128 for gas: a GPF's NO cells may hold the ACB certificate, and a GNO's
 * certificate only while that GNO is a DCC User (its certificate being unrevoked is checked above).
 */
function checkNetworkOperator(
  replacements: ReplacementCertificate[],
  device: DeviceInfo,
  sp: SupplyPointInfo | undefined,
  ports: GatewayPorts,
  fail: (reason: string) => never,
): void {
  if (!sp) fail(`${dashedEui(device.eui)} has no MPxN in registration data, so its network operator is unknown`);
  const registered = sp!.networkOperatorEui;
  for (const r of replacements) {
    const eui = r.facts.subjectEui!;
    if (device.type === 'GPF' && r.facts.role === RemotePartyRole.AccessControlBroker) {
      if (eui !== DCC_EUI) fail(`certificate ${r.facts.serialHex} claims the ACB role but belongs to ${dashedEui(eui)}, not the DCC`);
      continue;
    }
    if (eui !== registered) {
      const holder = ports.party(eui)?.name ?? dashedEui(eui);
      const reg = ports.party(registered)?.name ?? dashedEui(registered);
      fail(`the network operator certificate ${r.facts.serialHex} belongs to ${holder} (${dashedEui(eui)}), but registration data names ${reg} (${dashedEui(registered)}) for ${sp!.fuel === 'E' ? 'MPAN' : 'MPRN'} ${sp!.mpxn}`);
    }
    if (device.type === 'GPF') {
      const gno = ports.party(eui);
      if (!gno?.dccUser) fail(`${gno?.name ?? dashedEui(eui)} is not a DCC User: under MP128 only the ACB certificate or a DCC User GNO's certificate may be placed on a GPF`);
    }
  }
}
