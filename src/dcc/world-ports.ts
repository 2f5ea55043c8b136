import { describeCertificate, privateKeyFromPkcs8, type CertificateFacts, type Eui, type KeyUsage } from '../../pki/index.ts';
import type { GatewayStore } from '../../db/index.ts';
import type {
  DccCredentials,
  DeviceInfo,
  GatewayPorts,
  InventoryEntry,
  InventoryQuery,
  PartyInfo,
  RepositoryCertificate,
  SupplyPointInfo,
} from '../../service-requests/index.ts';
import type { KeyObject } from 'node:crypto';
import { keyAgreement, type KeyAgreement } from '../../devices/index.ts';
import { META, World, WorldError, DCC, type SimulatedClock } from '../world/index.ts';

/**
 * The repository's certificates with a serial number, their facts parsed once per certificate id (ids
 * of committed certificates never change): the signer lookup of every request, here and on a pipeline
 * worker.
 */
export function repositoryCertificatesBySerial(world: World, serialDecimal: string): RepositoryCertificate[] {
  return world.store.certificateIdsBySerial(serialDecimal).map((c) => ({ facts: world.certificateFacts(c.id), revoked: c.revoked }));
}

/** The ACB's current DS and KA keys (the newest certificate of each usage whose key the world holds). */
export function dccCredentialsOf(world: World): DccCredentials {
  const pick = (usage: KeyUsage): { key: KeyObject; facts: CertificateFacts } => {
    const certs = world.store.searchCertificates({ eui: DCC.accessControlBroker, role: 4, keyUsage: usage, kind: 'organisation' }).reverse();
    for (const c of certs) {
      const pkcs8 = world.store.getPrivateKey(c.id);
      if (pkcs8) return { key: privateKeyFromPkcs8(pkcs8), facts: describeCertificate(c.der) };
    }
    throw new WorldError('world-incomplete', `the world holds no ACB ${usage} key`);
  };
  const ds = pick('DS');
  const ka = pick('KA');
  return { acbDsKey: ds.key, acbDsCertificate: ds.facts, acbKaKey: ka.key };
}

/**
 * The ECDH agreements a command from `originator` to device `target` needs, computed ahead (on a prevalidation
 * worker): the ACB's KA key with the device's (the command's MAC), and the device's KA key with the key in its KA
 * cell that `originator` holds (the response's MAC, an encrypted read). A cell that changes before the request is
 * carried out only makes an agreement unused: each is kept under its pair's public points.
 */
export function keyAgreementsFor(world: World, acbKaKey: KeyObject, originator: Eui, target: Eui): KeyAgreement[] {
  const security = world.store.getDeviceSecurity(target);
  if (!security) return [];
  const deviceKa = world.deviceKeys(target).kaKey;
  const out = [keyAgreement(acbKaKey, deviceKa.point)];
  for (const cell of ['supplierKA', 'networkOperatorKA'] as const) {
    const id = security.cells[cell];
    if (id === undefined) continue;
    const facts = world.certificateFacts(id);
    if (facts.subjectEui === originator) out.push(keyAgreement(deviceKa, facts.publicKey));
  }
  return out;
}

/** GatewayPorts over a world file. Parsed certificates and the DCC's keys are cached. */
export class WorldPorts implements GatewayPorts {
  private dcc?: DccCredentials;
  private anchors?: Buffer[];

  constructor(
    private readonly world: World,
    private readonly gateway: GatewayStore,
    private readonly clock: SimulatedClock,
  ) {}

  now(): Date {
    return this.clock.now();
  }

  party(eui: Eui): PartyInfo | undefined {
    const p = this.world.store.getParty(eui);
    return p ? { eui: p.eui, name: p.name, userRoles: p.userRoles, dccUser: p.dccUser, isDcc: p.isDcc } : undefined;
  }

  certificatesBySerial(serialDecimal: string): RepositoryCertificate[] {
    return repositoryCertificatesBySerial(this.world, serialDecimal);
  }

  isRevoked(facts: CertificateFacts): boolean {
    const known = this.world.store.getCertificateByFingerprint(facts.fingerprint);
    if (known) return known.revokedAt !== null;
    // A certificate the repository has not seen (e.g. brought in a request) is revoked if a
    // repository entry with the same issuer and serial is.
    return this.world.store
      .certificatesBySerial(facts.serialDecimal)
      .some((c) => c.issuerDn === facts.issuerDn && c.revokedAt !== null);
  }

  organisationCertificates(eui: Eui, role: number, usage: KeyUsage): RepositoryCertificate[] {
    return this.world.store
      .searchCertificates({ eui, role, keyUsage: usage, kind: 'organisation' })
      .map((c) => ({ facts: this.world.certificateFacts(c.id), revoked: c.revokedAt !== null }));
  }

  lastCounter(originator: Eui): bigint | undefined {
    return this.gateway.lastCounter(originator);
  }

  device(eui: Eui): DeviceInfo | undefined {
    // the record and its details in one read
    const found = this.world.inventory.deviceWithDetails(eui);
    if (!found) return undefined;
    const d = found.device;
    // An ESME's variant decides some of its commands (a polyphase meter's network data read).
    const details = d.type === 'ESME' ? found.details : undefined;
    return {
      eui: d.eui, type: d.type, status: d.status, mpxn: d.mpxn, commsHubEui: d.commsHubEui,
      ...(details?.esmeVariant ? { esmeVariant: details.esmeVariant } : {}),
      ...(details?.exportMpan ? { exportMpan: details.exportMpan } : {}),
    };
  }

  supplyPoint(mpxn: string): SupplyPointInfo | undefined {
    const s = this.world.store.getSupplyPoint(mpxn);
    return s ? { mpxn: s.mpxn, fuel: s.fuel, networkOperatorEui: s.networkOperatorEui, supplierEui: s.supplierEui } : undefined;
  }

  private deviceCa?: { intermediates: Buffer[]; anchors: Buffer[] };

  trustAnchors(): Buffer[] {
    if (!this.anchors) {
      const ids = JSON.parse(this.world.meta(META.trustAnchorIds)) as number[];
      this.anchors = ids.map((id) => this.world.certificate(id).der);
    }
    return this.anchors;
  }

  deviceCaPath(): { intermediates: Buffer[]; anchors: Buffer[] } {
    if (!this.deviceCa) {
      const dca = this.world.certificate(Number(this.world.meta(META.deviceCaId)));
      const facts = describeCertificate(dca.der);
      // The device CA's issuer: the root whose key identifier its AKI names.
      const roots = facts.aki ? this.world.store.searchCertificates({ ski: facts.aki, kind: 'root' }) : [];
      this.deviceCa = { intermediates: [dca.der], anchors: roots.map((r) => r.der) };
    }
    return this.deviceCa;
  }

  preCommand(requestId: string) {
    const p = this.gateway.getPreCommand(requestId);
    return p ? { targetEui: p.targetEui, serviceVariant: p.serviceVariant, payload: p.payload, consumed: p.consumedAt !== null } : undefined;
  }

  dccCredentials(): DccCredentials {
    this.dcc ??= dccCredentialsOf(this.world);
    return this.dcc;
  }

  deviceKeyAgreementKey(eui: Eui): Uint8Array {
    // The key the device's KA certificate certifies (World.deviceCertificates issues it from this key).
    return this.world.deviceKeys(eui).kaKey.point;
  }

  inventoryEntry(eui: Eui): InventoryEntry | undefined {
    return this.inventory({ deviceId: eui })[0];
  }

  inventory(q: InventoryQuery): InventoryEntry[] {
    const store = this.world.store;
    let devices;
    if ('deviceId' in q) {
      const d = store.getDevice(q.deviceId);
      devices = d ? [d] : [];
    } else if ('mpxn' in q) {
      devices = store.devicesAtSupplyPoint(q.mpxn);
    } else if ('uprn' in q) {
      devices = store.devicesAtUprn(Number(q.uprn));
    } else {
      devices = store.devicesAtPostcode(q.postCode, q.addressIdentifier);
    }
    return devices.slice(0, 17).map((d) => {
      const sp = d.mpxn ? store.getSupplyPoint(d.mpxn) : undefined;
      const details = this.world.inventory.detailsOf(d.eui);
      return {
        ...(details?.smetsChtsVersion ? { smetsChtsVersion: details.smetsChtsVersion } : {}),
        ...(details?.esmeVariant ? { esmeVariant: details.esmeVariant } : {}),
        ...(details?.secondaryImportMpan ? { secondaryImportMpan: details.secondaryImportMpan } : {}),
        ...(details?.exportMpan ? { exportMpan: details.exportMpan } : {}),
        ...(details?.associatedGpfEui ? { associatedGpf: details.associatedGpfEui } : {}),
        ...(details?.addedBy ? { addedBy: details.addedBy } : {}),
        eui: d.eui,
        type: d.type,
        status: d.status,
        manufacturer: d.manufacturer,
        model: d.model,
        firmware: d.firmware,
        commissionedAt: d.commissionedAt,
        mpxn: d.mpxn,
        supplierEui: sp?.supplierEui ?? null,
        uprn: sp?.uprn ?? null,
        postcode: sp?.postcode ?? null,
        address: sp?.address ?? null,
      };
    });
  }

  cellHolder(deviceEui: Eui, cell: 'networkOperatorDS' | 'supplierDS'): Eui | undefined {
    const s = this.world.store.getDeviceSecurity(deviceEui);
    const id = s?.cells[cell];
    return id === undefined ? undefined : (this.world.certificate(id).subjectEui ?? undefined);
  }
}
