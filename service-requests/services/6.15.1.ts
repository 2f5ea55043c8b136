/**
 * 6.15.1 Update Security Credentials (KRP): a supplier or network operator replaces its own
 * certificates in a device's cells, or the supplier places a load controller's in an ESME's load
 * controller cells (RemotePartyRole LoadController: GBCS CS02g LoadControllerBySupplier, message code
 * 0x0126; the supplier may name itself, as RTDS does). Critical: the request (CV 4) obtains a CS02b or
 * CS02g pre-command, which the User signs and returns as a SignedPreCommand (CV 5); the DCC then adds
 * the ACB MAC.
 */
import { RemotePartyRole, USER_ROLES, type UserRole } from '../../pki/index.ts';
import { CredentialsReplacementMode, CS02G_BY_SUPPLIER_MESSAGE_CODE, credentialsMessageCode, cs02bMessageCode, encodeApdu, encodeCs02bCommand } from '../../devices/index.ts';
import { serviceFacts } from '../duis/index.ts';
import { Codes, Codes0615 } from '../codes.ts';
import { GBCS_VERSION, type ServiceModule } from '../service.ts';
import { credentialsSteps, cs02bFromRequest, describeCredentials, readCredentials, suitsRemotePartyRole, writeCredentials, type SecurityCredentialsBody } from './security-credentials.ts';
import { completeSignedByOriginator, signedPreCommandOf } from './signed-pre-command.ts';

type Body = Extract<SecurityCredentialsBody, { kind: 'UpdateSecurityCredentialsKRP' }>;

const NETWORK_ROLES: readonly UserRole[] = USER_ROLES.filter((r) => r === 'ED' || r === 'GT');
const MESSAGE_CODES = [
  cs02bMessageCode(CredentialsReplacementMode.supplierBySupplier),
  cs02bMessageCode(CredentialsReplacementMode.networkOperatorByNetworkOperator),
  CS02G_BY_SUPPLIER_MESSAGE_CODE,
];

export const updateSecurityCredentialsKrp: ServiceModule<Body> = {
  ...serviceFacts('6.15.1'),
  displayName: 'Update Security Credentials (KRP)',
  body: {
    element: 'UpdateSecurityCredentialsKRP',
    read: (item, path, ctx) => ({ kind: 'UpdateSecurityCredentialsKRP', ...readCredentials(item, path, false, ctx) }),
    write: (b) => writeCredentials(b, false),
  },
  // Critical: the Service Request itself may only ask for a pre-command (CV 4); CVs 5-7 carry a SignedPreCommand.
  commandVariants: [4],
  endpoints: { 4: 'serviceT' },
  messageCodes: MESSAGE_CODES,
  device: {
    statuses: ['Commissioned'],
    suits: (body, type) => suitsRemotePartyRole(body.remotePartyRole, type),
    authorise(body, r) {
      // A known remote party replaces its own credentials: suppliers their cells, network operators theirs.
      // MP128A: a network party whose certificates a device still holds may replace them (by the ACB's)
      // even after registration moved the supply point to another operator.
      if (body.remotePartyRole === 'NetworkOperator') {
        if (!r.isNetworkOperator && r.holdsNetworkOperatorCell() && r.sender.userRoles.some((x) => NETWORK_ROLES.includes(x))) return;
        return r.needNetworkOperator();
      }
      return r.needSupplier();
    },
  },
  describe: describeCredentials,
  steps: credentialsSteps(Codes0615),
  example: {
    name: 'update-credentials',
    build(ctx, o) {
      // The known remote party replaces its own credentials with freshly issued ones.
      const role = o.role ?? 'Supplier';
      const sp = ctx.supplyPoint!;
      const sender = role === 'Supplier' ? sp.supplierEui! : sp.networkOperatorEui;
      const roleCode = role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
      const issue = (usage: 'DS' | 'KA') => ctx.issueCertificate(sender, roleCode, usage);
      return {
        originator: sender,
        target: ctx.eui,
        commandVariant: 4,
        body: {
          kind: 'UpdateSecurityCredentialsKRP',
          remotePartyRole: role,
          floorSeqNumber: 0n,
          digitalSigning: issue('DS'),
          keyAgreement: issue('KA'),
          ...(role === 'Supplier' ? { keyAgreementTopUp: issue('KA'), topUpFloorSeqNumber: 0n } : {}),
          certificationPath: ctx.certificationPath,
          applyTimeBasedCpvChecks: true,
        },
      };
    },
  },
  handle(v) {
    // The pre-command the user must sign with its GBCS digital-signing key.
    const cmd = cs02bFromRequest(v, v.request.requestId.counter);
    const preCommand = encodeApdu({
      cra: 'command',
      counter: v.request.requestId.counter,
      originator: v.request.requestId.originator,
      target: v.request.requestId.target,
      messageCode: credentialsMessageCode(cmd.mode),
      payload: encodeCs02bCommand(cmd),
    });
    return {
      step: { name: 'pre-command', detail: `issued ${preCommand.length}-byte pre-command for signing` },
      answer: { responseCode: Codes.success, content: { preCommand: { gbcsVersion: GBCS_VERSION, gbcsPayload: preCommand } } },
      advanceCounter: true,
      preCommand: { issue: preCommand },
    };
  },
};

/**
 * 6.15.1 CV 5: the signed pre-command must be exactly the pre-command issued for this RequestID,
 * signed by the originator's GBCS digital-signing key; the DCC then adds the ACB MAC.
 */
export const updateSecurityCredentialsKrpSigned = signedPreCommandOf(updateSecurityCredentialsKrp, {
  refusalCode: Codes0615.preCommand,
  suits: (type) => (type === 'CHF' ? `a CS02b pre-command cannot target a CHF` : true),
  signerRoles: [RemotePartyRole.Supplier, RemotePartyRole.NetworkOperator],
  complete: (v, state, dcc) =>
    completeSignedByOriginator(v, state, dcc, Codes0615.preCommand, (issued) => (issued.messageCode === MESSAGE_CODES[1] ? RemotePartyRole.NetworkOperator : RemotePartyRole.Supplier)),
});
