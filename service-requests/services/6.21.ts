/**
 * 6.21 Request Handover of DCC Controlled Device: the registered supplier (or network operator)
 * takes a device whose cells still hold the ACB's certificates. The DCC, as the ACB those cells
 * name, signs and MACs the CS02b command itself.
 */
import { dashedEui, DCC_EUI, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { cs02bMessageCode, encodeApdu, encodeCs02bCommand, signApdu, wrapWithAcbMac } from '../../devices/index.ts';
import { serviceFacts } from '../duis/index.ts';
import { Codes, Codes0621 } from '../codes.ts';
import type { ServiceModule } from '../service.ts';
import {
  credentialsSteps, cs02bFromRequest, describeCredentials, readCredentials, suitsRemotePartyRole, writeCredentials, type SecurityCredentialsBody,
} from './security-credentials.ts';

type Body = Extract<SecurityCredentialsBody, { kind: 'RequestHandoverOfDCCControlledDevice' }>;

export const requestHandoverOfDccControlledDevice: ServiceModule<Body> = {
  ...serviceFacts('6.21'),
  displayName: 'Request Handover of DCC Controlled Device',
  body: {
    element: 'RequestHandoverOfDCCControlledDevice',
    read(item, path, ctx) {
      const f = readCredentials(item, path, true, ctx);
      return { kind: 'RequestHandoverOfDCCControlledDevice', ...f, digitalSigning: f.digitalSigning! };
    },
    write: (b) => writeCredentials(b, true),
  },
  commandVariants: [1, 2, 3],
  endpoints: { 1: 'serviceS' },
  device: {
    statuses: ['Commissioned', 'InstalledNotCommissioned'],
    suits: (body, type) => suitsRemotePartyRole(body.remotePartyRole, type),
    authorise: (_body, r) => r.needSupplier(),
  },
  describe: describeCredentials,
  steps: credentialsSteps(Codes0621),
  example: {
    name: 'handover',
    dccControlled: true,
    build(ctx, o) {
      const sp = ctx.supplyPoint!;
      const supplier = sp.supplierEui ?? ctx.fail('no-registration', 'no supplier is registered for this device');
      const role = o.role ?? 'Supplier';
      let holder: Eui = role === 'Supplier' ? supplier : sp.networkOperatorEui;
      let certs = ctx.currentCertificates(holder, role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator);
      if (role === 'NetworkOperator' && ctx.device!.type === 'GPF' && !ctx.mayHoldGpfNetworkOperatorCells(holder)) {
        // MP128B: with no certificate of a GNO that is a DCC User, the ACB's stays in the GPF.
        holder = DCC_EUI;
        certs = ctx.currentCertificates(holder, RemotePartyRole.AccessControlBroker);
      }
      const ds = certs.ds ?? ctx.fail('no-certificate', `${dashedEui(holder)} has no ${role} digital-signing certificate`);
      return {
        originator: supplier,
        target: ctx.eui,
        commandVariant: 1,
        body: {
          kind: 'RequestHandoverOfDCCControlledDevice',
          remotePartyRole: role,
          floorSeqNumber: 0n,
          ...(role === 'Supplier' ? { topUpFloorSeqNumber: 0n } : {}),
          digitalSigning: ds,
          keyAgreement: certs.ka,
          keyAgreementTopUp: role === 'Supplier' ? certs.kaTopUp : undefined,
          certificationPath: ctx.certificationPath,
          applyTimeBasedCpvChecks: true,
        },
      };
    },
  },
  needs: () => ({ acbCounter: true, deviceKeyAgreement: true }),
  handle(v, state, dcc) {
    const acbCounter = state.acbCounter!;
    const cmd = cs02bFromRequest(v, acbCounter);
    const unsigned = encodeApdu({
      cra: 'command',
      counter: acbCounter,
      originator: dcc.acbEui,
      target: v.request.requestId.target,
      messageCode: cs02bMessageCode(cmd.mode),
      payload: encodeCs02bCommand(cmd),
    });
    const command = wrapWithAcbMac(signApdu(unsigned, dcc.acbDsKey), dcc.acbKaKey, state.deviceKeyAgreement!);
    return {
      step: { name: 'command', detail: `DCC (ACB) command, counter ${acbCounter}, signed and MAC'd` },
      answer: { responseCode: Codes.acknowledged },
      command,
      advanceCounter: true,
    };
  },
};
