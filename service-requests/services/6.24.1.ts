/**
 * 6.24.1 Retrieve Device Security Credentials (KRP): a read of the requested roles' cells, sent by the
 * DCC from the ACB and authenticated by MAC only (as in RTDS). A request naming the LoadController role
 * becomes a CS02f (0x011B), the GBCS 4 use case that reports the load controller's cells, as the RTDS
 * CS02fMAC template's does; any other a CS02a (0x0008), as the CS02aMAC template's.
 * The DCC itself may send it (RTDS's CS02fMAC template comes from the ACB's EUI, signed with the DCC's
 * XML-signing certificate): it reads any device's credentials, as the holder of every ACB cell.
 */
import { RemotePartyRole } from '../../pki/index.ts';
import { CELL_IDS, CS02A_MESSAGE_CODE, CS02F_MESSAGE_CODE, encodeApdu, encodeCs02aCommand, encodeCs02fCommand, wrapWithAcbMac } from '../../devices/index.ts';
import { bodyKit, REMOTE_PARTY_ROLE_NAMES, serviceFacts, type RemotePartyRoleName } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { ServiceModule } from '../service.ts';

const { Sequence, checkAttributes, readTokenEnum, textEl, writeRole } = bodyKit;

interface Body {
  kind: 'RetrieveDeviceSecurityCredentialsKRP';
  roles: RemotePartyRoleName[];
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

export const retrieveDeviceSecurityCredentialsKrp: ServiceModule<Body> = {
  ...serviceFacts('6.24.1'),
  displayName: 'Retrieve Device Security Credentials (KRP)',
  body: {
    element: 'RetrieveDeviceSecurityCredentialsKRP',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const roles: RemotePartyRoleName[] = s.repeated('RemotePartyRole', 1, 7)
        .map((el, i) => readTokenEnum(el, `${path}/sr:RemotePartyRole[${i + 1}]`, REMOTE_PARTY_ROLE_NAMES));
      s.end();
      return { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles };
    },
    write(body) {
      if (!Array.isArray(body.roles) || body.roles.length < 1 || body.roles.length > 7) throw new RangeError('body.roles: 1..7 remote party roles are required');
      return body.roles.map((r, i) => textEl('RemotePartyRole', writeRole(r, `body.roles[${i}]`))).join('');
    },
  },
  commandVariants: [1, 2, 3],
  endpoints: { 1: 'serviceS' },
  messageCodes: [CS02A_MESSAGE_CODE, CS02F_MESSAGE_CODE],
  dccMayOriginate: true,
  device: {
    statuses: ['Commissioned', 'InstalledNotCommissioned'],
    suits: () => true,
    // A comms hub has no MPxN: its credentials may be read without registration data.
    withoutRegistration: (device) => device.type === 'CHF',
    authorise(_body, r) {
      if (r.sender.isDcc) return; // the DCC's own request: it holds the ACB cells of every device
      if (!r.isSupplier && !r.isNetworkOperator) r.fail(Codes.notAuthorisedForDevice, `${r.sender.name} is neither the registered supplier nor the network operator for ${r.who}`);
    },
  },
  example: {
    name: 'read-credentials',
    build: (ctx) => ({
      originator: ctx.supplyPoint!.supplierEui!,
      target: ctx.eui,
      commandVariant: 1,
      body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ctx.device!.type === 'GSME' ? ['Supplier'] : ['Supplier', 'NetworkOperator'] },
    }),
  },
  describe: (b) => [{ label: 'RemotePartyRoles', value: b.roles.join(', ') }],
  needs: () => ({ acbCounter: true, deviceKeyAgreement: true }),
  handle(v, state, dcc) {
    const acbCounter = state.acbCounter!;
    const cs02f = v.request.body.roles.includes('LoadController');
    const command = { authorisingCell: CELL_IDS.acbKA, roles: v.request.body.roles.map((r) => ROLE_BY_NAME[r]!) };
    const apdu = encodeApdu({
      cra: 'command',
      counter: acbCounter,
      originator: dcc.acbEui,
      target: v.request.requestId.target,
      messageCode: cs02f ? CS02F_MESSAGE_CODE : CS02A_MESSAGE_CODE,
      payload: cs02f ? encodeCs02fCommand(command) : encodeCs02aCommand(command),
    });
    return {
      step: { name: 'command', detail: `DCC (ACB) ${cs02f ? 'CS02f' : 'CS02a'} command, counter ${acbCounter}, MAC'd` },
      answer: { responseCode: Codes.acknowledged },
      command: wrapWithAcbMac(apdu, dcc.acbKaKey, state.deviceKeyAgreement!),
      advanceCounter: true,
    };
  },
};
