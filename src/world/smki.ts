import { generateKeyPair, issueDeviceCertificate, issueOrganisationCertificate, rawPublicKey, roleName, dashedEui, type Eui, type KeyUsage } from '../../pki/index.ts';
import type { CertificateRecord } from '../../db/index.ts';
import { META, World, WorldError } from './world.ts';
import { SimulatedClock } from './clock.ts';

// The world's SMKI as a service: new organisation certificates from its issuing CA (with fresh
// keys the world keeps, so the simulator can act for the party), and revocation.

export function issueOrganisationCertificateFor(
  world: World,
  o: { eui: Eui; role: number; usage: KeyUsage; notBefore?: Date; notAfter?: Date; label?: string },
): number {
  if (world.store.getMeta(META.profile) === 'zaz1') {
    throw new WorldError('cannot-issue', 'a ZAZ1 world cannot mint certificates: the Z1 CA key is not published');
  }
  const party = world.store.getParty(o.eui);
  if (!party) throw new WorldError('unknown-party', `no party with EUI ${dashedEui(o.eui)}`);
  const oca = world.caHandle(META.issuingCaId);
  const keys = generateKeyPair();
  // Dated from the start of the world's simulated day, so a new certificate is valid "now" in the world.
  const today = new SimulatedClock(world.store).now().getTime();
  const notBefore = o.notBefore ?? new Date(Math.floor(today / 86_400_000) * 86_400_000);
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const der = issueOrganisationCertificate(oca, { eui: o.eui, role: o.role, keyUsage: o.usage, publicKey: keys.publicKey, notBefore, notAfter });
  return world.registerCertificate(der, {
    label: o.label ?? `${party.name} ${roleName(o.role)} ${o.usage} (issued ${notBefore.toISOString().slice(0, 10)})`,
    privateKey: keys.privateKey,
  });
}

/**
 * A certificate for the key pair a device generated on its supplier's 6.17 (CS02c), the newest (DS before KA), from the
 * world's device CA: what the SMKI answers the supplier's device CSR, and, as that route does, the device's current
 * certificate of that usage from then on. The one already issued when there is one; undefined when it generated none.
 */
export function certifyGeneratedKey(world: World, eui: Eui): CertificateRecord | undefined {
  const generations = world.store.deviceKeyGenerations(eui);
  const usage = generations.DS ? 'DS' : generations.KA ? 'KA' : undefined;
  if (!usage) return undefined;
  const key = world.deviceKey(eui, usage, generations[usage]!);
  const known = world.store
    .searchCertificates({ eui, kind: 'device', keyUsage: usage })
    .find((c) => c.revokedAt === null && rawPublicKey(world.certificateFacts(c.id).publicKey).equals(key.point));
  if (known) return known;
  world.deviceCertificates(eui); // the device's credentials row, for the new one to take its place in
  const today = new SimulatedClock(world.store).now().getTime();
  const der = issueDeviceCertificate(world.caHandle(META.deviceCaId), { deviceEui: eui, keyUsage: usage, publicKey: key.point, notBefore: new Date(Math.floor(today / 86_400_000) * 86_400_000) });
  const id = world.registerCertificate(der, { label: `device ${eui} ${usage} (key pair ${generations[usage]}, generated on 6.17)` });
  world.store.setDeviceCredentialId(eui, usage, id);
  return world.certificate(id);
}

export function revokeCertificate(world: World, id: number, reason: string, at: Date): void {
  if (!world.store.revokeCertificate(id, at.toISOString(), reason)) {
    const c = world.store.getCertificate(id);
    throw new WorldError(c ? 'already-revoked' : 'unknown-certificate', c ? `certificate #${id} is already revoked` : `no certificate #${id}`);
  }
}
