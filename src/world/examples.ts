import { dashedEui, type Eui } from '../../pki/index.ts';
import { buildRequest, exampleNames, indentXml, serviceByExample, serviceByVariant, type ExampleContext } from '../../service-requests/index.ts';
import { issueOrganisationCertificateFor } from './smki.ts';
import { META, World, WorldError } from './world.ts';

// Ready-to-send DUIS requests for a device of the world (unsigned; `dcc-sim send` signs them):
// what a newcomer or a trainee starts from.

/** `dcc-sim example <name>`: the example builders of the registered services. */
export type ExampleKind = string;

/** The names `dcc-sim example` takes. */
export function exampleKinds(): string[] {
  return exampleNames();
}

/** `kind`: an example's name, or a service reference variant (as in the RequestID's ServiceReferenceVariant) whose module has an example. */
export function exampleRequest(world: World, kind: ExampleKind, o: { device: Eui; role?: 'Supplier' | 'NetworkOperator'; pretty?: boolean }): string {
  const service = serviceByExample(kind) ?? serviceByVariant(kind);
  if (!service?.example) throw new WorldError('bad-argument', `no example '${kind}': choose a service variant or one of ${exampleNames().join(', ')}`);
  const device = world.store.getDevice(o.device);
  if (service.example.newDevice) {
    if (device) throw new WorldError('bad-argument', `${device.type} ${dashedEui(device.eui)} is already in the inventory; '${kind}' is for a new device`);
  } else if (!device) throw new WorldError('unknown-device', `no device with EUI ${dashedEui(o.device)}`);
  const sp = device?.mpxn ? world.store.getSupplyPoint(device.mpxn) : undefined;
  if (device && !sp && service.device) throw new WorldError('no-registration', `${device.type} ${dashedEui(device.eui)} has no MPxN; pick a meter or a GPF`);
  const ctx: ExampleContext = {
    eui: o.device,
    ...(device ? { device } : {}),
    ...(sp ? { supplyPoint: sp } : {}),
    certificationPath: [world.certificate(Number(world.meta(META.issuingCaId))).der],
    currentCertificates(eui, role) {
      const c = world.currentOrganisationCertificates(eui, role);
      return { ds: c.ds?.der, ka: c.ka?.der, kaTopUp: c.kaTopUp?.der };
    },
    issueCertificate: (eui, role, usage) => world.certificate(issueOrganisationCertificateFor(world, { eui, role, usage })).der,
    mayHoldGpfNetworkOperatorCells: (eui) => world.mayHoldGpfNetworkOperatorCells(eui),
    partyWithRole: (role) => world.store.listParties().find((p) => p.dccUser && !p.isDcc && p.userRoles.includes(role))?.eui,
    fail(code, reason): never {
      throw new WorldError(code, reason);
    },
  };
  const r = service.example.build(ctx, { role: o.role });
  const xml = buildRequest({ requestId: { originator: r.originator, target: r.target, counter: 1n }, commandVariant: r.commandVariant, body: r.body });
  return o.pretty ? indentXml(xml) : xml;
}
