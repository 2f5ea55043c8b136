import { dashedEui, RemotePartyRole, type Eui } from '../pki/index.ts';
import {
  CANCELLATION_DATE_TIME,
  CELL_IDS,
  CredentialsReplacementMode,
  cs02bMessageCode,
  CS02A_MESSAGE_CODE,
  decodeApdu,
  encodeApdu,
  encodeCs02aCommand,
  encodeCs02bCommand,
  signApdu,
  verifyApduSignature,
  wrapWithAcbMac,
  type Cs02bCommand,
  type Cs02bReplacement,
} from '../devices/index.ts';
import type { ServiceBody } from './duis/index.ts';
import { Codes0615 } from './codes.ts';
import { GatewayRejection, type ValidatedRequest } from './pipeline.ts';
import type { GatewayPorts } from './ports.ts';

// One function per service: what the DCC makes of an accepted request. The DUIS -> GBCS mapping
// is gbcs-cs02b.md §6; the DCC's own commands (6.21, 6.24.1) originate from the ACB.

type CredentialsBody = Extract<ServiceBody, { kind: 'UpdateSecurityCredentialsKRP' | 'RequestHandoverOfDCCControlledDevice' }>;

/** DUIS uses 3000-12-31 to cancel a future-dated command; GBCS uses 9999-12-31T23:59:59Z. */
function gbcsExecutionTime(d: Date | undefined): Date | undefined {
  if (!d) return undefined;
  return d.getUTCFullYear() >= 3000 ? CANCELLATION_DATE_TIME : d;
}

function cs02bFromRequest(v: ValidatedRequest, counter: bigint): Cs02bCommand {
  const body = v.request.body as CredentialsBody;
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
  return {
    mode: supplier ? CredentialsReplacementMode.supplierBySupplier : CredentialsReplacementMode.networkOperatorByNetworkOperator,
    applyTimeBasedCpvChecks: body.applyTimeBasedCpvChecks,
    authorisingCell: { role, keyUsage: 'DS', cellUsage: 0 },
    authorisingSeqNumber: counter,
    newFloorSeqNumber: body.floorSeqNumber ?? (v.request.body.kind === 'RequestHandoverOfDCCControlledDevice' ? 0n : undefined),
    newTopUpFloorSeqNumber: supplier ? (body.topUpFloorSeqNumber ?? (v.request.body.kind === 'RequestHandoverOfDCCControlledDevice' ? 0n : undefined)) : undefined,
    replacements,
    certificationPath: body.certificationPath,
    executionDateTime: gbcsExecutionTime(body.executionDateTime),
  };
}

/** 6.15.1 CV 4: the pre-command the user must sign with its GBCS digital-signing key. */
export function buildPreCommand(v: ValidatedRequest): Buffer {
  const cmd = cs02bFromRequest(v, v.request.requestId.counter);
  return encodeApdu({
    cra: 'command',
    counter: v.request.requestId.counter,
    originator: v.request.requestId.originator,
    target: v.request.requestId.target,
    messageCode: cs02bMessageCode(cmd.mode),
    payload: encodeCs02bCommand(cmd),
  });
}

/**
 * 6.15.1 CV 5: the signed pre-command must be exactly the pre-command issued for this RequestID,
 * signed by the originator's GBCS digital-signing key; the DCC then adds the ACB MAC.
 */
export function completeSignedPreCommand(v: ValidatedRequest, ports: GatewayPorts): { message: Buffer; signedApdu: Buffer } {
  const body = v.request.body as Extract<ServiceBody, { kind: 'SignedPreCommand' }>;
  const fail = (reason: string): never => {
    throw new GatewayRejection(Codes0615.preCommand, reason, 'pre-command', v.request, {
      requestId: v.request.requestId.text,
      serviceReference: v.request.serviceReference,
      serviceReferenceVariant: v.request.serviceReferenceVariant,
    });
  };
  const issued = ports.preCommand(v.request.requestId.text)!;
  let apdu;
  try {
    apdu = decodeApdu(body.gbcsPayload);
  } catch (err) {
    return fail(`GBCSPayload is not a general-signing APDU: ${(err as Error).message}`);
  }
  if (apdu.form !== 'signed' || !apdu.signature) fail('GBCSPayload carries no signature; sign the pre-command and append 0x40 and r||s');
  const issuedUnsigned = decodeApdu(issued.payload);
  if (!apdu.signedData.equals(issuedUnsigned.signedData)) {
    fail(`the signed GBCS differs from the pre-command issued for ${v.request.requestId.text}; only the signature may be added`);
  }
  const role = issuedUnsigned.messageCode === cs02bMessageCode(CredentialsReplacementMode.supplierBySupplier) ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
  const keys = ports.organisationCertificates(v.request.requestId.originator, role, 'DS').filter((c) => !c.revoked);
  if (keys.length === 0) fail(`${dashedEui(v.request.requestId.originator)} has no unrevoked ${role === RemotePartyRole.Supplier ? 'supplier' : 'network operator'} digital-signing certificate in the SMKI repository`);
  if (!keys.some((k) => verifyApduSignature(apdu, k.facts.publicKey))) {
    fail(`the pre-command signature does not verify with any digital-signing certificate of ${dashedEui(v.request.requestId.originator)}`);
  }
  const dcc = ports.dccCredentials();
  const message = wrapWithAcbMac(apdu.bytes, dcc.acbKaKey, ports.deviceKeyAgreementKey(v.request.requestId.target));
  return { message, signedApdu: apdu.bytes };
}

/** 6.21: the DCC, as the ACB whose certificates a DCC-controlled device holds, signs and MACs the command. */
export function buildHandoverCommand(v: ValidatedRequest, ports: GatewayPorts, acbCounter: bigint): Buffer {
  const dcc = ports.dccCredentials();
  const cmd = cs02bFromRequest(v, acbCounter);
  const unsigned = encodeApdu({
    cra: 'command',
    counter: acbCounter,
    originator: dcc.acbDsCertificate.subjectEui!,
    target: v.request.requestId.target,
    messageCode: cs02bMessageCode(cmd.mode),
    payload: encodeCs02bCommand(cmd),
  });
  const signed = signApdu(unsigned, dcc.acbDsKey);
  return wrapWithAcbMac(signed, dcc.acbKaKey, ports.deviceKeyAgreementKey(v.request.requestId.target));
}

const ROLE_BY_NAME: Record<string, number> = {
  Root: RemotePartyRole.Root,
  Recovery: RemotePartyRole.Recovery,
  Supplier: RemotePartyRole.Supplier,
  NetworkOperator: RemotePartyRole.NetworkOperator,
  ACB: RemotePartyRole.AccessControlBroker,
  TransCoS: RemotePartyRole.TransitionalCoS,
  LoadController: RemotePartyRole.LoadController,
};

/** 6.24.1: CS02a read of the requested roles' cells, from the ACB, authenticated by MAC only (as RTDS). */
export function buildReadCredentialsCommand(v: ValidatedRequest, ports: GatewayPorts, acbCounter: bigint): Buffer {
  const body = v.request.body as Extract<ServiceBody, { kind: 'RetrieveDeviceSecurityCredentialsKRP' }>;
  const dcc = ports.dccCredentials();
  const apdu = encodeApdu({
    cra: 'command',
    counter: acbCounter,
    originator: dcc.acbDsCertificate.subjectEui! as Eui,
    target: v.request.requestId.target,
    messageCode: CS02A_MESSAGE_CODE,
    payload: encodeCs02aCommand({ authorisingCell: CELL_IDS.acbKA, roles: body.roles.map((r) => ROLE_BY_NAME[r]!) }),
  });
  return wrapWithAcbMac(apdu, dcc.acbKaKey, ports.deviceKeyAgreementKey(v.request.requestId.target));
}
