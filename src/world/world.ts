import { createHash, type KeyObject } from 'node:crypto';
import {
  certificateFingerprint,
  describeCertificate,
  deriveKeyPair,
  deriveScalarKey,
  issueDeviceCertificate,
  privateKeyFromPkcs8,
  privateKeyToPkcs8,
  DCC_PARTIES,
  RemotePartyRole,
  isType2,
  type CaHandle,
  type CertificateFacts,
  type DeviceType,
  type Eui,
  type KeyUsage,
  type ScalarKey,
} from '../../pki/index.ts';
import { InventoryChanges, openWorldDb, WorldStore, type CellColumnName, type CertificateRecord, type DeviceStatus, type OpenOptions } from '../../db/index.ts';
import type { InventoryChange } from '../../service-requests/index.ts';

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

/** The root's contingency key pair and the symmetric key that wraps its public key on the devices (AES-128). */
export interface RootContingencyKey {
  generation: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  symmetricKey: Buffer;
}

export interface DeviceKeys {
  dsKey: ScalarKey;
  kaKey: ScalarKey;
}

/**
 * A device's keys, its DS key derived when first asked for. A class: a getter in an object literal gives each object
 * a hidden class of its own, made in the old generation, and what the getter's closure held (a request's whole
 * context) then outlived young collections (bench/measurements.md, "a getter in an object literal").
 */
class DerivedDeviceKeys implements DeviceKeys {
  private ds: ScalarKey | undefined;

  constructor(
    readonly kaKey: ScalarKey,
    private readonly deriveDs: () => ScalarKey,
  ) {}

  get dsKey(): ScalarKey {
    return (this.ds ??= this.deriveDs());
  }
}

export interface DeviceCredentialRecords {
  dsKey: ScalarKey;
  kaKey: ScalarKey;
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
  // Device keys are derived on a device's first command; a busy fleet reuses them.
  private readonly deviceCache = new Map<string, { keys: DeviceKeys; ds: number; ka: number }>();
  private static readonly DEVICE_CACHE_SIZE = 20_000;
  private static readonly FACTS_CACHE_SIZE = 10_000;
  private secret?: Buffer;
  // every device load needs the wrapped contingency key: derived once per world
  private readonly contingencyKeys = new Map<number, RootContingencyKey>();
  private readonly ders = new Map<number, Buffer>();

  constructor(readonly store: WorldStore) {
    // A rolled-back insert's id is reused by the next one: facts or bytes cached under it would be
    // another certificate's. Rollbacks are rare (a refusal inside a request's transaction).
    store.onRollback(() => {
      this.facts.clear();
      this.ders.clear();
    });
  }

  static open(file: string, options: OpenOptions = {}): World {
    return new World(new WorldStore(openWorldDb(file, options)));
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
  registerCertificate(der: Uint8Array, options: { label?: string; privateKey?: KeyObject; freshlyIssued?: boolean } = {}): number {
    return this.registerCertificateFacts(der, options).id;
  }

  /**
   * registerCertificate, answering with the record too. `freshlyIssued`: the caller has just signed it
   * (new serial), so the repository cannot know it and the fingerprint lookup is skipped.
   */
  private registerCertificateFacts(der: Uint8Array, options: { label?: string; privateKey?: KeyObject; freshlyIssued?: boolean }): CertificateRecord {
    if (!options.privateKey && !options.freshlyIssued) {
      // Cells are rewritten with certificates the repository mostly knows: find those without parsing.
      const known = this.store.getCertificateByFingerprint(certificateFingerprint(der));
      if (known) return known;
    }
    const f = describeCertificate(der);
    const record = recordOf(f, options.label ?? null);
    let id: number;
    try {
      id = this.store.putCertificate(record);
    } catch (e) {
      // Issuance is deterministic: a certificate issued before (e.g. outside a transaction that then
      // failed) can come back byte for byte. The repository's copy stands.
      const known = options.freshlyIssued && (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? this.store.getCertificateByFingerprint(f.fingerprint) : undefined;
      if (!known) throw e;
      return known;
    }
    if (options.privateKey) this.store.putPrivateKey(id, privateKeyToPkcs8(options.privateKey));
    this.rememberFacts(id, f);
    return { ...record, id, der: Buffer.from(f.der), revokedAt: null, revocationReason: null };
  }

  certificate(id: number): CertificateRecord {
    const c = this.store.getCertificate(id);
    if (!c) throw new WorldError('unknown-certificate', `no certificate with id ${id}`);
    return c;
  }

  /**
   * A certificate's DER. Devices' cells are read on every command and mostly hold organisation
   * certificates that whole fleets share, so the bytes are kept (a DER never changes; bounded).
   */
  certificateDer(id: number): Buffer {
    let der = this.ders.get(id);
    if (!der) {
      der = this.certificate(id).der;
      if (this.ders.size >= World.FACTS_CACHE_SIZE) this.ders.delete(this.ders.keys().next().value!);
      this.ders.set(id, der);
    }
    return der;
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
   * A device's own DS and KA private keys, derived from the world secret, the EUI and the key's generation
   * (how many pairs of that usage the device generated on a CS02c command), so a million-device world need
   * not store them. Cheap (bench/keys.ts) and kept for busy devices.
   */
  deviceKeys(eui: Eui): DeviceKeys {
    let hit = this.deviceCache.get(eui);
    // A reader beside the writer (a pipeline worker) cannot be told of every key change: it checks.
    if (hit && this.checkDeviceKeyGenerations) {
      const gen = this.store.deviceKeyGenerations(eui);
      if (hit.ds !== (gen.DS ?? 0) || hit.ka !== (gen.KA ?? 0)) hit = undefined;
    }
    if (hit) {
      // Keep recently used devices at the end (LRU by insertion order).
      this.deviceCache.delete(eui);
      this.deviceCache.set(eui, hit);
      return hit.keys;
    }
    const gen = this.store.deviceKeyGenerations(eui);
    // A read needs only the KA key (the MAC, the encrypted answer): the DS key is derived when first asked for
    // (a signature, a certificate), which a never-commanded meter's read never does (bench/measurements.md).
    const keys = new DerivedDeviceKeys(this.deviceKey(eui, 'KA', gen.KA ?? 0), () => this.deviceKey(eui, 'DS', gen.DS ?? 0));
    if (this.deviceCache.size >= World.DEVICE_CACHE_SIZE) this.deviceCache.delete(this.deviceCache.keys().next().value!);
    this.deviceCache.set(eui, { keys, ds: gen.DS ?? 0, ka: gen.KA ?? 0 });
    return keys;
  }

  /**
   * The key of one generation: 0 is the pair the device was made with (the label worlds have always used), n the
   * n-th pair it generated on command. Deterministic, so a seeded world replays the same keys.
   */
  deviceKey(eui: Eui, usage: 'DS' | 'KA', generation: number): ScalarKey {
    this.secret ??= Buffer.from(this.meta(META.secret), 'hex');
    return deriveScalarKey(this.secret, generation === 0 ? `device/${eui}/${usage}` : `device/${eui}/${usage}/${generation}`);
  }

  /** Set on a pipeline worker's world: a cached device key is used only while the device's key generation is unchanged. */
  checkDeviceKeyGenerations = false;

  /**
   * The root's contingency key of a generation (CS02b anyByContingency): the SMKI PMA's key pair, and the
   * symmetric key under which every device the world makes holds its public key wrapped. Derived from the world
   * secret, as the parties' keys of a seeded world and the devices' keys are, so every world has them without a
   * new table; the symmetric key leaves the world only inside a contingency command. Generation 1 is the one
   * devices are made with.
   */
  rootContingencyKey(generation = 1): RootContingencyKey {
    if (!Number.isInteger(generation) || generation < 1) throw new WorldError('bad-argument', `contingency key generation ${generation} is not 1 or more`);
    const hit = this.contingencyKeys.get(generation);
    if (hit) return hit;
    this.secret ??= Buffer.from(this.meta(META.secret), 'hex');
    const label = `smki/root-contingency/${generation}`;
    const { privateKey, publicKey } = deriveKeyPair(this.secret, label);
    const symmetricKey = createHash('sha256').update(this.secret).update(`${label}/symmetric-key`).digest().subarray(0, 16);
    const key = { generation, privateKey, publicKey, symmetricKey };
    this.contingencyKeys.set(generation, key);
    return key;
  }

  /** After a device's key generations changed: its next deviceKeys() reads them again. */
  forgetDeviceKeys(eui: Eui): void {
    this.deviceCache.delete(eui);
  }

  /**
   * The device's DS and KA certificates in the SMKI repository, issued by the device CA the first
   * time anyone looks at them (the CLI, the device-CSR check, tests): every certificate a user
   * can see is real, and one nobody looks at costs nothing.
   */
  deviceCertificates(eui: Eui): { dsCertificate: CertificateRecord; kaCertificate: CertificateRecord } {
    const ids = this.store.getDeviceCredentialIds(eui);
    if (ids) return { dsCertificate: this.certificate(ids.ds), kaCertificate: this.certificate(ids.ka) };
    const device = this.store.getDevice(eui);
    if (!device) throw new WorldError('unknown-device', `no device with EUI ${eui}`);
    const keys = this.deviceKeys(eui);
    const dca = this.caHandle(META.deviceCaId);
    const notBefore = device.commissionedAt ? new Date(device.commissionedAt) : dca.facts.notBefore;
    const issue = (usage: 'DS' | 'KA', key: ScalarKey) =>
      this.registerCertificateFacts(issueDeviceCertificate(dca, { deviceEui: eui, keyUsage: usage, publicKey: key.point, notBefore }), {
        label: `device ${eui} ${usage}`,
        freshlyIssued: true,
      });
    return this.store.transaction(() => {
      const dsCertificate = issue('DS', keys.dsKey);
      const kaCertificate = issue('KA', keys.kaKey);
      this.store.putDeviceCredentialIds(eui, dsCertificate.id, kaCertificate.id);
      return { dsCertificate, kaCertificate };
    });
  }

  /** A device's keys and certificates together (certificates issued if they were not yet). */
  deviceCredentials(eui: Eui): DeviceCredentialRecords {
    const { dsKey, kaKey } = this.deviceKeys(eui);
    return { dsKey, kaKey, ...this.deviceCertificates(eui) };
  }

  private inventoryChanges?: InventoryChanges;

  /** The inventory fields only DUIS sets (12.2, 8.4). */
  get inventory(): InventoryChanges {
    this.inventoryChanges ??= new InventoryChanges(this.store.db);
    return this.inventoryChanges;
  }

  /**
   * A party's current organisation certificates of a role: of its unrevoked ones, the newest DS, and
   * the KAs in issue order — the first is its KA, the second (suppliers) its prepayment top-up KA.
   * The one rule for "the certificates a party would place now" (examples, scenarios, the console).
   */
  currentOrganisationCertificates(eui: Eui, role: number): { ds?: CertificateRecord; ka?: CertificateRecord; kaTopUp?: CertificateRecord } {
    const certs = this.store.searchCertificates({ eui, role, kind: 'organisation' }).filter((c) => c.revokedAt === null);
    const kas = certs.filter((c) => c.keyUsage === 'KA');
    return { ds: certs.filter((c) => c.keyUsage === 'DS').at(-1), ka: kas.at(0), kaTopUp: kas.at(1) };
  }

  /**
   * MP128B: whether a gas network operator's certificates may be placed in a GPF's network operator
   * cells — only while it is a DCC User with a current network operator digital-signing certificate;
   * otherwise the ACB's stay there. The one rule for examples, the console's form and its cell view.
   */
  mayHoldGpfNetworkOperatorCells(eui: Eui | null): boolean {
    if (!eui) return false;
    return this.store.getParty(eui)?.dccUser === true && this.currentOrganisationCertificates(eui, RemotePartyRole.NetworkOperator).ds !== undefined;
  }

  /** The newest repository certificate of one of the DCC's parties in a role and usage. */
  private dccCertificate(eui: Eui, role: number, usage: KeyUsage): number | undefined {
    return this.store.searchCertificates({ eui, role, keyUsage: usage, kind: 'organisation' }).at(-1)?.id;
  }

  /**
   * The cells a device leaves the factory with: the root, the DCC's recovery, transitional CoS and
   * (for a comms hub) WAN provider certificates, and the ACB's certificates in the cells whose
   * holders take over at installation (DCC controlled), as a seeded fleet's devices hold them.
   */
  factoryCells(type: DeviceType): Partial<Record<CellColumnName, number>> {
    const acbDS = this.dccCertificate(DCC_PARTIES.accessControlBroker, RemotePartyRole.AccessControlBroker, 'DS');
    const acbKA = this.dccCertificate(DCC_PARTIES.accessControlBroker, RemotePartyRole.AccessControlBroker, 'KA');
    const root = Number(this.meta(META.rootCertificateId));
    const recovery = this.dccCertificate(DCC_PARTIES.recovery, RemotePartyRole.Recovery, 'DS');
    if (type === 'CHF') {
      return { root, recovery, acbDS, acbKA, wanProviderDS: this.dccCertificate(DCC_PARTIES.wanProvider, RemotePartyRole.WanProvider, 'DS') };
    }
    if (type === 'PPMID' || type === 'HCALCS') {
      // DCC controlled until the supplier takes over, like a meter; and the ACB's own cells (it sends CS08).
      const cells: Partial<Record<CellColumnName, number>> = { root, recovery, acbDS, acbKA, supplierDS: acbDS, supplierKA: acbKA };
      for (const k of Object.keys(cells) as CellColumnName[]) if (cells[k] === undefined) delete cells[k];
      return cells;
    }
    const cells: Partial<Record<CellColumnName, number>> = {
      root, recovery, acbKA, transitionalCoSDS: this.dccCertificate(DCC_PARTIES.transitionalCoS, RemotePartyRole.TransitionalCoS, 'DS'),
      supplierDS: acbDS, supplierKA: acbKA, supplierTopUpKA: acbKA,
    };
    if (type !== 'GSME') Object.assign(cells, { networkOperatorDS: acbDS, networkOperatorKA: acbKA });
    for (const k of Object.keys(cells) as CellColumnName[]) if (cells[k] === undefined) delete cells[k];
    return cells;
  }

  /** Carries out an inventory change a service decided (inside the request's transaction). */
  applyInventoryChange(change: InventoryChange): void {
    switch (change.kind) {
      case 'add': {
        const d = change.device;
        this.inventory.add({
          eui: d.eui, type: d.type, status: d.status, manufacturer: d.manufacturer, model: d.model, firmware: d.firmware,
          smetsChtsVersion: d.smetsChtsVersion ?? null, esmeVariant: d.esmeVariant ?? null, associatedGpfEui: d.associatedGpf ?? null, addedBy: d.addedBy,
        });
        // A Type 2 device holds no certificates and takes no GBCS: nothing of it to keep beyond the inventory.
        if (!isType2(d.type)) this.store.insertDeviceSecurity({ deviceEui: d.eui, cells: this.factoryCells(d.type), seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n });
        return;
      }
      case 'update':
        if (!this.inventory.update(change.eui, { ...change.set, status: change.set.status as DeviceStatus | undefined })) {
          throw new WorldError('unknown-device', `device ${change.eui} is not in the inventory`);
        }
        return;
      case 'delete':
        if (!this.inventory.delete(change.eui)) throw new WorldError('unknown-device', `device ${change.eui} is not in the inventory`);
        return;
    }
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
