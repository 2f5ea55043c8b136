import { dashedEui, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { buildRequest } from '../../service-requests/index.ts';
import { DCC } from './catalogue.ts';
import { issueOrganisationCertificateFor } from './smki.ts';
import { META, World, WorldError } from './world.ts';

// Ready-to-send DUIS requests for a device of the world (unsigned; `dcc-sim send` signs them):
// what a newcomer or a trainee starts from.

export type ExampleKind = 'handover' | 'update-credentials' | 'read-credentials' | 'read-inventory';

function currentCertificates(world: World, eui: Eui, role: number) {
  const certs = world.store.searchCertificates({ eui, role, kind: 'organisation' }).filter((c) => c.revokedAt === null);
  const ds = certs.filter((c) => c.keyUsage === 'DS').at(-1);
  const kas = certs.filter((c) => c.keyUsage === 'KA');
  return { ds, ka: kas.at(0), kaTopUp: kas.at(1) };
}

export function exampleRequest(world: World, kind: ExampleKind, o: { device: Eui; role?: 'Supplier' | 'NetworkOperator' }): string {
  const device = world.store.getDevice(o.device);
  if (!device) throw new WorldError('unknown-device', `no device with EUI ${dashedEui(o.device)}`);
  const sp = device.mpxn ? world.store.getSupplyPoint(device.mpxn) : undefined;
  if (!sp && kind !== 'read-inventory') throw new WorldError('no-registration', `${device.type} ${dashedEui(device.eui)} has no MPxN; pick a meter or a GPF`);
  const supplier = sp?.supplierEui ?? undefined;
  const path = [world.certificate(Number(world.meta(META.issuingCaId))).der];
  const role = o.role ?? 'Supplier';
  const counter = 1n;
  switch (kind) {
    case 'handover': {
      if (!supplier) throw new WorldError('no-registration', 'no supplier is registered for this device');
      let holder: Eui = role === 'Supplier' ? supplier : sp!.networkOperatorEui;
      let roleCode: number = role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
      let certs = currentCertificates(world, holder, roleCode);
      if (role === 'NetworkOperator' && device.type === 'GPF' && (!certs.ds || !world.store.getParty(holder)?.dccUser)) {
        // MP128B: with no certificate of a GNO that is a DCC User, the ACB's stays in the GPF.
        holder = DCC.accessControlBroker;
        roleCode = RemotePartyRole.AccessControlBroker;
        certs = currentCertificates(world, holder, roleCode);
      }
      if (!certs.ds) throw new WorldError('no-certificate', `${dashedEui(holder)} has no ${role} digital-signing certificate`);
      return buildRequest({
        requestId: { originator: supplier, target: device.eui, counter },
        commandVariant: 1,
        body: {
          kind: 'RequestHandoverOfDCCControlledDevice',
          remotePartyRole: role,
          floorSeqNumber: 0n,
          ...(role === 'Supplier' ? { topUpFloorSeqNumber: 0n } : {}),
          digitalSigning: certs.ds.der,
          keyAgreement: certs.ka?.der,
          keyAgreementTopUp: role === 'Supplier' ? certs.kaTopUp?.der : undefined,
          certificationPath: path,
          applyTimeBasedCpvChecks: true,
        },
      });
    }
    case 'update-credentials': {
      // The known remote party replaces its own credentials with freshly issued ones.
      const sender = role === 'Supplier' ? supplier! : sp!.networkOperatorEui;
      const roleCode = role === 'Supplier' ? RemotePartyRole.Supplier : RemotePartyRole.NetworkOperator;
      const issue = (usage: 'DS' | 'KA') => world.certificate(issueOrganisationCertificateFor(world, { eui: sender, role: roleCode, usage })).der;
      return buildRequest({
        requestId: { originator: sender, target: device.eui, counter },
        commandVariant: 4,
        body: {
          kind: 'UpdateSecurityCredentialsKRP',
          remotePartyRole: role,
          floorSeqNumber: 0n,
          digitalSigning: issue('DS'),
          keyAgreement: issue('KA'),
          ...(role === 'Supplier' ? { keyAgreementTopUp: issue('KA'), topUpFloorSeqNumber: 0n } : {}),
          certificationPath: path,
          applyTimeBasedCpvChecks: true,
        },
      });
    }
    case 'read-credentials':
      return buildRequest({
        requestId: { originator: supplier!, target: device.eui, counter },
        commandVariant: 1,
        body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: device.type === 'GSME' ? ['Supplier'] : ['Supplier', 'NetworkOperator'] },
      });
    case 'read-inventory':
      return buildRequest({
        requestId: { originator: supplier ?? DCC.accessControlBroker, target: DCC.accessControlBroker, counter },
        commandVariant: 8,
        body: { kind: 'ReadInventory', by: { deviceId: device.eui } },
      });
  }
}
