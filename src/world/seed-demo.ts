import {
  createRootCa,
  deriveKeyPair,
  issueDeviceCa,
  issueIssuingCa,
  issueOrganisationCertificate,
  RemotePartyRole,
  type CaHandle,
  type KeyUsage,
} from '../../pki/index.ts';
import type { CellColumnName, DeviceRecord, DeviceStatus, DeviceType, UserRole } from '../../db/index.ts';
import { DCC, DNOS, dnoEui, GAS_TRANSPORTERS, SUPPLIERS, type GasTransporterEntry } from './catalogue.ts';
import { makeMpanCore, makeMprn } from './mpxn.ts';
import { SeededRandom } from './random.ts';
import { META, secretForSeed, World } from './world.ts';

export interface DemoSeedOptions {
  premises: number;
  seed: string;
  /** the "now" the fleet is laid out against (commissioning dates, the 7-day window) */
  referenceTime: Date;
  /** share of premises whose devices are installed but still DCC controlled (default about 1%) */
  awaitingHandoverShare?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  parties: number;
  premises: number;
  devices: number;
  certificates: number;
  wrongNetworkOperator: number;
}

const DAY = 86_400_000;
const CA_NOT_BEFORE = new Date('2020-01-01T00:00:00Z');
const CA_NOT_AFTER = new Date('2049-12-31T23:59:59Z');
const ORG_NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const ORG_NOT_AFTER = new Date('2033-12-31T23:59:59Z');

/** Certificate ids a party holds, by what they are for. */
interface PartyCerts {
  ds?: number;
  ka?: number;
  topUpKa?: number;
  xmlSign?: number;
}

type Cells = Partial<Record<CellColumnName, number>>;

/**
 * Builds the demo world on the simulator's own SMKI: a root, an issuing CA and a device CA,
 * the DCC's roles, the 14 DNOs, the gas transporters and five suppliers with real key pairs and
 * certificates, and a fleet of premises whose cells look like a real fleet's — including the
 * ~10% of ESMEs holding another network operator's certificate (SECMP0063) and GPFs holding the
 * ACB certificate in the network-operator cells (MP128B).
 */
export function seedDemoWorld(world: World, o: DemoSeedOptions): SeedSummary {
  const store = world.store;
  const rnd = new SeededRandom(o.seed);
  const secret = secretForSeed(o.seed);
  const key = (label: string) => deriveKeyPair(secret, label);
  const now = new Date(Math.floor(o.referenceTime.getTime() / 1000) * 1000);

  let certificates = 0;
  const register = (der: Buffer, label: string, privateKey?: import('node:crypto').KeyObject) => {
    certificates++;
    return world.registerCertificate(der, { label, privateKey });
  };

  const partyCerts = new Map<string, PartyCerts>();
  let parties = 0;
  // A seed writes into a scratch file that is renamed only when complete (the CLI does so), so it
  // needs no crash durability while it runs: bulk-load settings, restored at the end.
  const db = store.db;
  db.pragma('journal_mode = MEMORY');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  // Secondary indexes of the fleet tables are dropped for the load and rebuilt once at the end
  // (one sort instead of millions of B-tree inserts).
  const fleetIndexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
         AND tbl_name IN ('devices', 'device_security', 'supply_points')`,
    )
    .all() as { name: string; sql: string }[];
  for (const ix of fleetIndexes) db.exec(`DROP INDEX ${ix.name}`);

  store.transaction(() => {
    store.setMeta(META.profile, 'demo');
    store.setMeta(META.seed, o.seed);
    store.setMeta(META.secret, secret.toString('hex'));
    store.setMeta(META.referenceTime, now.toISOString());

    // --- the simulator's SMKI -----------------------------------------------------------
    const rootKeys = key('ca/root');
    const root = createRootCa({ commonName: 'SA', keyPair: rootKeys, notBefore: CA_NOT_BEFORE, notAfter: CA_NOT_AFTER });
    const rootId = register(root.certificate, 'dcc-sim root CA', root.privateKey);
    const oca = issueIssuingCa(root, { commonName: 'S1', keyPair: key('ca/issuing'), notBefore: CA_NOT_BEFORE, notAfter: CA_NOT_AFTER });
    const ocaId = register(oca.certificate, 'dcc-sim organisation CA', oca.privateKey);
    const dca = issueDeviceCa(root, { commonName: 'SD1', keyPair: key('ca/device'), notBefore: CA_NOT_BEFORE, notAfter: CA_NOT_AFTER });
    const dcaId = register(dca.certificate, 'dcc-sim device CA', dca.privateKey);
    store.setMeta(META.rootCertificateId, String(rootId));
    store.setMeta(META.issuingCaId, String(ocaId));
    store.setMeta(META.deviceCaId, String(dcaId));
    store.setMeta(META.trustAnchorIds, JSON.stringify([rootId]));

    const orgCert = (eui: string, name: string, role: number, usage: KeyUsage, label: string, ca: CaHandle = oca) => {
      const kp = key(`party/${eui}/${role}/${label}`);
      const der = issueOrganisationCertificate(ca, {
        eui,
        role,
        keyUsage: usage,
        publicKey: kp.publicKey,
        notBefore: ORG_NOT_BEFORE,
        notAfter: ORG_NOT_AFTER,
      });
      return register(der, `${name} ${label}`, kp.privateKey);
    };

    const addParty = (
      eui: string,
      name: string,
      userRoles: UserRole[],
      flags: { dccUser: boolean; smkiSubscriber: boolean; isDcc?: boolean },
    ) => {
      store.insertParty({
        eui,
        name,
        userRoles,
        dccUser: flags.dccUser,
        smkiSubscriber: flags.smkiSubscriber,
        ueptCompleted: flags.dccUser,
        isDcc: flags.isDcc ?? false,
        responseUrl: null,
      });
      parties++;
    };

    // --- the DCC ------------------------------------------------------------------------
    addParty(DCC.accessControlBroker, 'DCC (Access Control Broker)', [], { dccUser: false, smkiSubscriber: true, isDcc: true });
    const acbName = 'DCC ACB';
    partyCerts.set(DCC.accessControlBroker, {
      ds: orgCert(DCC.accessControlBroker, acbName, RemotePartyRole.AccessControlBroker, 'DS', 'ACB DS'),
      ka: orgCert(DCC.accessControlBroker, acbName, RemotePartyRole.AccessControlBroker, 'KA', 'ACB KA'),
      xmlSign: orgCert(DCC.accessControlBroker, 'DCC', RemotePartyRole.DspXmlSign, 'DS', 'DSP XML signing'),
    });
    store.setMeta(META.dccXmlSigningCertificateId, String(partyCerts.get(DCC.accessControlBroker)!.xmlSign));
    addParty(DCC.recovery, 'DCC (SMKI Recovery)', [], { dccUser: false, smkiSubscriber: true, isDcc: true });
    partyCerts.set(DCC.recovery, { ds: orgCert(DCC.recovery, 'DCC', RemotePartyRole.Recovery, 'DS', 'Recovery DS') });
    addParty(DCC.transitionalCoS, 'DCC (Transitional Change of Supplier)', [], { dccUser: false, smkiSubscriber: true, isDcc: true });
    partyCerts.set(DCC.transitionalCoS, {
      ds: orgCert(DCC.transitionalCoS, 'DCC', RemotePartyRole.TransitionalCoS, 'DS', 'Transitional CoS DS'),
    });
    addParty(DCC.wanProvider, 'DCC (WAN Provider)', [], { dccUser: false, smkiSubscriber: true, isDcc: true });
    partyCerts.set(DCC.wanProvider, { ds: orgCert(DCC.wanProvider, 'DCC', RemotePartyRole.WanProvider, 'DS', 'WAN Provider DS') });

    // --- network operators --------------------------------------------------------------
    for (const d of DNOS) {
      const eui = dnoEui(d.distributorId);
      addParty(eui, d.name, ['ED'], { dccUser: true, smkiSubscriber: true });
      partyCerts.set(eui, {
        ds: orgCert(eui, d.name, RemotePartyRole.NetworkOperator, 'DS', 'NO DS'),
        ka: orgCert(eui, d.name, RemotePartyRole.NetworkOperator, 'KA', 'NO KA'),
        xmlSign: orgCert(eui, d.name, RemotePartyRole.XmlSign, 'DS', 'XML signing'),
      });
      store.insertDistributor({ distributorId: d.distributorId, area: d.area, marketId: d.marketId, partyEui: eui });
    }
    for (const g of GAS_TRANSPORTERS) {
      addParty(g.eui, g.name, ['GT'], { dccUser: g.dccUser, smkiSubscriber: g.smkiSubscriber });
      const certs: PartyCerts = {};
      if (g.smkiSubscriber) {
        certs.ds = orgCert(g.eui, g.name, RemotePartyRole.NetworkOperator, 'DS', 'NO DS');
        certs.ka = orgCert(g.eui, g.name, RemotePartyRole.NetworkOperator, 'KA', 'NO KA');
      }
      if (g.dccUser) certs.xmlSign = orgCert(g.eui, g.name, RemotePartyRole.XmlSign, 'DS', 'XML signing');
      partyCerts.set(g.eui, certs);
    }

    // --- suppliers ----------------------------------------------------------------------
    for (const s of SUPPLIERS) {
      addParty(s.eui, s.name, [...s.userRoles], { dccUser: true, smkiSubscriber: true });
      partyCerts.set(s.eui, {
        ds: orgCert(s.eui, s.name, RemotePartyRole.Supplier, 'DS', 'supplier DS'),
        ka: orgCert(s.eui, s.name, RemotePartyRole.Supplier, 'KA', 'supplier KA'),
        topUpKa: orgCert(s.eui, s.name, RemotePartyRole.Supplier, 'KA', 'supplier prepayment top-up KA'),
        xmlSign: orgCert(s.eui, s.name, RemotePartyRole.XmlSign, 'DS', 'XML signing'),
      });
    }
  });

  // --- the fleet, in batches of one transaction each ------------------------------------
  const rootId = Number(store.getMeta(META.rootCertificateId));
  const acb = partyCerts.get(DCC.accessControlBroker)!;
  const common: Cells = {
    root: rootId,
    recovery: partyCerts.get(DCC.recovery)!.ds!,
    transitionalCoSDS: partyCerts.get(DCC.transitionalCoS)!.ds!,
    acbKA: acb.ka!,
  };
  const dccControlledSupplierCells: Cells = { supplierDS: acb.ds!, supplierKA: acb.ka!, supplierTopUpKA: acb.ka! };
  const dccControlledNoCells: Cells = { networkOperatorDS: acb.ds!, networkOperatorKA: acb.ka! };
  const supplierCells = (eui: string): Cells => {
    const c = partyCerts.get(eui)!;
    return { supplierDS: c.ds!, supplierKA: c.ka!, supplierTopUpKA: c.topUpKa! };
  };
  const noCells = (eui: string): Cells => {
    const c = partyCerts.get(eui)!;
    return { networkOperatorDS: c.ds!, networkOperatorKA: c.ka! };
  };
  const gasBy = new Map(GAS_TRANSPORTERS.map((g) => [g.key, g]));
  const independents = GAS_TRANSPORTERS.filter((g) => g.independentShare);
  const gasSuppliers = SUPPLIERS.filter((s) => s.userRoles.includes('GS'));

  let wrongNetworkOperator = 0;
  let devices = 0;
  const BATCH = 5_000;
  for (let start = 0; start < o.premises; start += BATCH) {
    const end = Math.min(o.premises, start + BATCH);
    store.transaction(() => {
      for (let i = start; i < end; i++) {
        const dno = rnd.weighted(DNOS, (d) => d.weight);
        const fuelRoll = rnd.next();
        const hasElectricity = fuelRoll < 0.95;
        const hasGas = fuelRoll < 0.6 || fuelRoll >= 0.95;
        const supplier = rnd.weighted(hasElectricity ? SUPPLIERS : gasSuppliers, (s) => s.weight);
        const gasSupplier = supplier.userRoles.includes('GS') && !rnd.chance(0.1) ? supplier : rnd.weighted(gasSuppliers, (s) => s.weight);
        const uprn = 100_000_000_000 + i;
        const postcode = `${rnd.pick(dno.postcodeAreas)}${1 + rnd.int(20)} ${rnd.int(10)}${'ABDEFGHJLNPQRSTUWXYZ'[rnd.int(20)]}${'ABDEFGHJLNPQRSTUWXYZ'[rnd.int(20)]}`;
        const address = `${1 + rnd.int(200)} ${rnd.pick(STREETS)}`;

        // Lifecycle: most commissioned long ago, some in the last 7 days (pending), a few awaiting commissioning.
        const lifeRoll = rnd.next();
        // About 1% (one premises in 97, at fixed places so small worlds have some) await handover.
        const awaiting = o.awaitingHandoverShare === undefined ? i % 97 === 3 : rnd.next() < o.awaitingHandoverShare;
        const status: DeviceStatus = awaiting ? 'InstalledNotCommissioned' : 'Commissioned';
        const recent = lifeRoll < 0.02;
        const ageDays = recent ? rnd.next() * 7 : 7 + rnd.next() * 1100;
        const commissionedAt = status === 'Commissioned' ? new Date(now.getTime() - Math.floor(ageDays * DAY)).toISOString() : null;
        const dccControlled = status !== 'Commissioned';

        const base = i * 4;
        const chfEui = deviceEui(0x0c, base);
        const insertDevice = (d: Omit<DeviceRecord, 'manufacturer' | 'model' | 'firmware'>, cells: Cells) => {
          const model = MODELS[d.type];
          store.insertDevice({ ...d, manufacturer: model.manufacturer, model: model.model, firmware: model.firmware });
          store.insertDeviceSecurity({ deviceEui: d.eui, cells, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n });
          devices++;
        };

        insertDevice(
          { eui: chfEui, type: 'CHF', status, mpxn: null, commsHubEui: null, commissionedAt },
          { root: rootId, recovery: common.recovery!, acbDS: acb.ds!, acbKA: acb.ka!, wanProviderDS: partyCerts.get(DCC.wanProvider)!.ds! },
        );

        if (hasElectricity) {
          const mpan = makeMpanCore(dno.distributorId, String(1_000_000_000 + i).slice(-10));
          const registeredNo = dnoEui(dno.distributorId);
          store.insertSupplyPoint({ mpxn: mpan, fuel: 'E', networkOperatorEui: registeredNo, supplierEui: supplier.eui, uprn, postcode, address });
          let no: Cells;
          if (dccControlled) no = dccControlledNoCells;
          else if (recent && rnd.chance(0.5)) no = dccControlledNoCells; // still within the 7 days
          else if (rnd.chance(0.1)) {
            // SECMP0063: the installer placed another network operator's certificates.
            const other = rnd.pick(DNOS.filter((d) => d.distributorId !== dno.distributorId));
            no = noCells(dnoEui(other.distributorId));
            wrongNetworkOperator++;
          } else no = noCells(registeredNo);
          insertDevice(
            { eui: deviceEui(0x0e, base + 1), type: 'ESME', status, mpxn: mpan, commsHubEui: chfEui, commissionedAt },
            { ...common, ...(dccControlled ? dccControlledSupplierCells : supplierCells(supplier.eui)), ...no },
          );
        }

        if (hasGas) {
          const leading = String(10_000_000 + i).slice(-8);
          const mprn = makeMprn(leading);
          const regional = gasBy.get(dno.gasNetwork)!;
          const gt: GasTransporterEntry = rnd.chance(0.04) ? rnd.pick(independents) : regional;
          store.insertSupplyPoint({ mpxn: mprn, fuel: 'G', networkOperatorEui: gt.eui, supplierEui: gasSupplier.eui, uprn, postcode, address });
          let no: Cells = dccControlledNoCells; // MP128B: the ACB certificate may stay in a GPF's NO cells
          if (!dccControlled) {
            if (gt.key === 'CADENT' && rnd.chance(0.12)) {
              // Installed while National Grid ran the network: its certificates are still there.
              no = noCells(gasBy.get('NGGD')!.eui);
              wrongNetworkOperator++;
            } else if (gt.dccUser && gt.smkiSubscriber && rnd.chance(0.4)) no = noCells(gt.eui);
            else if (rnd.chance(0.02)) {
              const other = gasBy.get(gt.key === 'NGN' ? 'CADENT' : 'NGN')!;
              no = noCells(other.eui);
              wrongNetworkOperator++;
            }
          }
          const gpfEui = deviceEui(0x0f, base + 2);
          insertDevice(
            { eui: gpfEui, type: 'GPF', status, mpxn: mprn, commsHubEui: chfEui, commissionedAt },
            { ...common, ...(dccControlled ? dccControlledSupplierCells : supplierCells(gasSupplier.eui)), ...no },
          );
          insertDevice(
            { eui: deviceEui(0x0a, base + 3), type: 'GSME', status, mpxn: mprn, commsHubEui: chfEui, commissionedAt },
            { ...common, ...(dccControlled ? dccControlledSupplierCells : supplierCells(gasSupplier.eui)) },
          );
        }
      }
    });
    o.onProgress?.(end, o.premises);
  }
  for (const ix of fleetIndexes) db.exec(ix.sql);
  store.setMeta(META.createdAt, new Date().toISOString());
  db.pragma('cache_size = -2000');
  db.pragma('synchronous = NORMAL');
  db.pragma('journal_mode = WAL');
  return { parties, premises: o.premises, devices, certificates, wrongNetworkOperator };
}

/** Device EUIs: a fixed manufacturer-style prefix, a type nibble, then a running number. */
function deviceEui(typeByte: number, n: number): string {
  return `00DB5A${typeByte.toString(16).toUpperCase().padStart(2, '0')}${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

const MODELS: Record<DeviceType, { manufacturer: string; model: string; firmware: string }> = {
  ESME: { manufacturer: 'dcc-sim Meters', model: 'E2-SIM', firmware: '00010004' },
  GSME: { manufacturer: 'dcc-sim Meters', model: 'G2-SIM', firmware: '00010002' },
  GPF: { manufacturer: 'dcc-sim Comms', model: 'CH-SIM GPF', firmware: '00020001' },
  CHF: { manufacturer: 'dcc-sim Comms', model: 'CH-SIM', firmware: '00020001' },
};

const STREETS = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Mill Road',
  'Victoria Road',
  'Park Avenue',
  'Green Lane',
  'Manor Way',
  'Queens Road',
  'The Crescent',
] as const;
