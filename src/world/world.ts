import { createHash, type KeyObject } from 'node:crypto';
import {
  describeCertificate,
  deriveKeyPair,
  issueDeviceCertificate,
  privateKeyFromPkcs8,
  privateKeyToPkcs8,
  type CaHandle,
  type CertificateFacts,
  type Eui,
} from '../../pki/index.ts';
import { openSqlite, WorldStore, type CertificateRecord, type OpenOptions } from '../../db/index.ts';

/** Meta keys of a world file. */
export const META = {
  profile: 'profile', // 'demo' | 'zaz1'
  seed: 'seed',
  secret: 'secret', // hex; device key pairs are derived from it
  createdAt: 'created_at',
  referenceTime: 'reference_time', // the time the seed was laid out against
  rootCertificateId: 'root_certificate_id', // what the devices' root cells hold
  issuingCaId: 'issuing_ca_id',
  deviceCaId: 'device_ca_id',
  dccXmlSigningCertificateId: 'dcc_xml_signing_certificate_id',
  trustAnchorIds: 'trust_anchor_ids', // JSON array: anchors for DCC-side path validation
} as const;

export class WorldError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorldError';
  }
}

export interface DeviceCredentialRecords {
  dsKey: KeyObject;
  kaKey: KeyObject;
  dsCertificate: CertificateRecord;
  kaCertificate: CertificateRecord;
}

/**
 * A world: the store plus what needs the PKI (certificate registration with parsed facts,
 * lazily issued device credentials). Facts are cached by certificate id: organisation
 * certificates are shared by whole fleets and parsed once.
 */
export class World {
  private readonly facts = new Map<number, CertificateFacts>();
  private readonly cas = new Map<string, CaHandle>();
  // Device key pairs are derived, and certificates read, on a device's first command; a busy
  // fleet reuses them (derivation and key import cost about a millisecond each).
  private readonly deviceCache = new Map<string, DeviceCredentialRecords>();
  private static readonly DEVICE_CACHE_SIZE = 20_000;
  private static readonly FACTS_CACHE_SIZE = 10_000;

  constructor(readonly store: WorldStore) {}

  static open(file: string, options: OpenOptions = {}): World {
    return new World(new WorldStore(openSqlite(file, options)));
  }

  close(): void {
    this.store.db.close();
  }

  meta(key: string): string {
    const value = this.store.getMeta(key);
    if (value === undefined) throw new WorldError('world-incomplete', `world has no '${key}' (was it seeded?)`);
    return value;
  }

  /** Stores a certificate in the SMKI repository (once) with its parsed facts; returns its id. */
  registerCertificate(der: Uint8Array, options: { label?: string; privateKey?: KeyObject } = {}): number {
    if (!options.privateKey) {
      // Cells are rewritten with certificates the repository mostly knows: find those without parsing.
      const known = this.store.getCertificateByFingerprint(createHash('sha256').update(der).digest('hex'));
      if (known) return known.id;
    }
    const f = describeCertificate(der);
    const id = this.store.putCertificate(recordOf(f, options.label ?? null));
    if (options.privateKey) this.store.putPrivateKey(id, privateKeyToPkcs8(options.privateKey));
    this.rememberFacts(id, f);
    return id;
  }

  certificate(id: number): CertificateRecord {
    const c = this.store.getCertificate(id);
    if (!c) throw new WorldError('unknown-certificate', `no certificate with id ${id}`);
    return c;
  }

  certificateFacts(id: number): CertificateFacts {
    let f = this.facts.get(id);
    if (!f) {
      f = describeCertificate(this.certificate(id).der);
      this.rememberFacts(id, f);
    }
    return f;
  }

  /** Bounded: a large fleet's device certificates must not grow the heap for ever (organisation ones stay hot). */
  private rememberFacts(id: number, f: CertificateFacts): void {
    if (this.facts.size >= World.FACTS_CACHE_SIZE) this.facts.delete(this.facts.keys().next().value!);
    this.facts.set(id, f);
  }

  privateKeyOf(certificateId: number): KeyObject | undefined {
    const pkcs8 = this.store.getPrivateKey(certificateId);
    return pkcs8 ? privateKeyFromPkcs8(pkcs8) : undefined;
  }

  caHandle(metaKey: string): CaHandle {
    const cached = this.cas.get(metaKey);
    if (cached) return cached;
    const handle = this.loadCaHandle(metaKey);
    this.cas.set(metaKey, handle);
    return handle;
  }

  private loadCaHandle(metaKey: string): CaHandle {
    const id = Number(this.meta(metaKey));
    const privateKey = this.privateKeyOf(id);
    if (!privateKey) throw new WorldError('world-incomplete', `the world holds no private key for CA certificate ${id}`);
    const certificate = this.certificate(id).der;
    return { certificate, facts: this.certificateFacts(id), privateKey };
  }

  /**
   * A device's own DS and KA key pairs and certificates. Keys are derived from the world secret
   * and the EUI, so a million-device world need not store them; the certificates are issued by
   * the device CA the first time anyone needs them and kept in the SMKI repository.
   */
  deviceCredentials(eui: Eui): DeviceCredentialRecords {
    const hit = this.deviceCache.get(eui);
    if (hit) {
      // Keep recently used devices at the end (LRU by insertion order).
      this.deviceCache.delete(eui);
      this.deviceCache.set(eui, hit);
      return hit;
    }
    const creds = this.loadDeviceCredentials(eui);
    if (this.deviceCache.size >= World.DEVICE_CACHE_SIZE) this.deviceCache.delete(this.deviceCache.keys().next().value!);
    this.deviceCache.set(eui, creds);
    return creds;
  }

  private loadDeviceCredentials(eui: Eui): DeviceCredentialRecords {
    const secret = Buffer.from(this.meta(META.secret), 'hex');
    const ds = deriveKeyPair(secret, `device/${eui}/DS`);
    const ka = deriveKeyPair(secret, `device/${eui}/KA`);
    let ids = this.store.getDeviceCredentialIds(eui);
    if (!ids) {
      const device = this.store.getDevice(eui);
      if (!device) throw new WorldError('unknown-device', `no device with EUI ${eui}`);
      const dca = this.caHandle(META.deviceCaId);
      const notBefore = device.commissionedAt ? new Date(device.commissionedAt) : dca.facts.notBefore;
      const issue = (usage: 'DS' | 'KA', publicKey: KeyObject) =>
        this.registerCertificate(issueDeviceCertificate(dca, { deviceEui: eui, keyUsage: usage, publicKey, notBefore }), {
          label: `device ${eui} ${usage}`,
        });
      const dsId = issue('DS', ds.publicKey);
      const kaId = issue('KA', ka.publicKey);
      this.store.putDeviceCredentialIds(eui, dsId, kaId);
      ids = { ds: dsId, ka: kaId };
    }
    return { dsKey: ds.privateKey, kaKey: ka.privateKey, dsCertificate: this.certificate(ids.ds), kaCertificate: this.certificate(ids.ka) };
  }
}

export function recordOf(f: CertificateFacts, label: string | null) {
  return {
    fingerprint: f.fingerprint,
    serialHex: f.serialHex,
    serialDecimal: f.serialDecimal,
    kind: f.kind,
    subjectEui: f.subjectEui,
    role: f.role,
    keyUsage: f.keyUsage,
    ski: f.ski,
    aki: f.aki,
    subjectDn: f.subjectDn,
    issuerDn: f.issuerDn,
    notBefore: f.notBefore.toISOString(),
    notAfter: f.notAfter.toISOString(),
    label,
    der: f.der,
  };
}

/** The world secret for a seed: every key of a seeded world is derived from it. */
export function secretForSeed(seed: string): Buffer {
  return createHash('sha256').update(`dcc-sim world secret/${seed}`).digest();
}
