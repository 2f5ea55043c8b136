import {
  createRootCa,
  deriveKeyPair,
  issueDeviceCa,
  issueIssuingCa,
  issueOrganisationCertificate,
  RemotePartyRole,
  type CaHandle,
  type Eui,
  type KeyUsage,
} from '../../pki/index.ts';
import { HAN_DEVICE_TYPE, initialChfDeviceLog } from '../../devices/index.ts';
import { FleetLoader, startBulkLoad, type CellColumnName, type DeviceModel, type DeviceStatus, type DeviceType, type FleetPremises, type UserRole } from '../../db/index.ts';
import { DCC, DNOS, dnoEui, GAS_TRANSPORTERS, LOAD_CONTROLLER, OTHER_USER, SUPPLIERS, type DnoEntry, type GasTransporterEntry, type SupplierEntry } from './catalogue.ts';
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
 * ACB certificate in the network-operator cells (MP128B). What a test world has besides, so that every
 * service has someone to send it and something to reach: two Other Users (one a load controller, named
 * in some ESMEs' cells), export MPANs with their Export Supplier, and hubs and PPMIDs pre-notified; and what
 * later work in the field leaves: a PPMID installed and joined in one premises of every 1,000, one premises'
 * comms hub and GPF replaced, one ESME holding a key pair it generated on 6.17.
 */
export function seedDemoWorld(world: World, o: DemoSeedOptions): SeedSummary {
  // A seed writes into a scratch file that is renamed only when complete (the CLI does so), so it
  // needs no crash durability while it runs: bulk-load settings, restored at the end.
  const bulkLoad = startBulkLoad(world.store.db);
  try {
    return layOutDemoWorld(world, o);
  } finally {
    bulkLoad.end();
  }
}

function layOutDemoWorld(world: World, o: DemoSeedOptions): SeedSummary {
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

    // --- Other Users ----------------------------------------------------------------------
    addParty(OTHER_USER.eui, OTHER_USER.name, ['OU'], { dccUser: true, smkiSubscriber: true });
    partyCerts.set(OTHER_USER.eui, {
      ds: orgCert(OTHER_USER.eui, OTHER_USER.name, RemotePartyRole.Other, 'DS', 'other user DS'),
      ka: orgCert(OTHER_USER.eui, OTHER_USER.name, RemotePartyRole.Other, 'KA', 'other user KA'),
      xmlSign: orgCert(OTHER_USER.eui, OTHER_USER.name, RemotePartyRole.XmlSign, 'DS', 'XML signing'),
    });
    addParty(LOAD_CONTROLLER.eui, LOAD_CONTROLLER.name, ['OU'], { dccUser: true, smkiSubscriber: true });
    partyCerts.set(LOAD_CONTROLLER.eui, {
      ds: orgCert(LOAD_CONTROLLER.eui, LOAD_CONTROLLER.name, RemotePartyRole.LoadController, 'DS', 'load controller DS'),
      ka: orgCert(LOAD_CONTROLLER.eui, LOAD_CONTROLLER.name, RemotePartyRole.LoadController, 'KA', 'load controller KA'),
      xmlSign: orgCert(LOAD_CONTROLLER.eui, LOAD_CONTROLLER.name, RemotePartyRole.XmlSign, 'DS', 'XML signing'),
    });
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
  // A null holder is the ACB: DCC controlled devices, and network operator cells not yet replaced.
  const supplierCells = (eui: string | null): Cells => {
    if (eui === null) return { supplierDS: acb.ds!, supplierKA: acb.ka!, supplierTopUpKA: acb.ka! };
    const c = partyCerts.get(eui)!;
    return { supplierDS: c.ds!, supplierKA: c.ka!, supplierTopUpKA: c.topUpKa! };
  };
  const noCells = (eui: string | null): Cells => {
    if (eui === null) return { networkOperatorDS: acb.ds!, networkOperatorKA: acb.ka! };
    const c = partyCerts.get(eui)!;
    return { networkOperatorDS: c.ds!, networkOperatorKA: c.ka! };
  };
  const gasBy = new Map(GAS_TRANSPORTERS.map((g) => [g.key, g]));
  const independents = GAS_TRANSPORTERS.filter((g) => g.independentShare);
  const gasSuppliers = SUPPLIERS.filter((s) => s.userRoles.includes('GS'));
  const otherDnos = new Map(DNOS.map((d) => [d, DNOS.filter((o) => o.distributorId !== d.distributorId)]));
  const dnoWeight = (d: DnoEntry) => d.weight;
  const supplierWeight = (s: SupplierEntry) => s.weight;

  let wrongNetworkOperator = 0;
  let devices = 0;
  const loader = new FleetLoader(store.db, MODELS);
  // A fleet holds few distinct combinations of cells: each is staged once and shared.
  const cellSetIds = new Map<string, number>();
  const lc = partyCerts.get(LOAD_CONTROLLER.eui)!;
  const loadControllerCells: Cells = { loadControllerDS: lc.ds!, loadControllerKA: lc.ka! };
  const cellSet = (type: 'ESME' | 'GPF' | 'GSME', supplier: string | null, networkOperator: string | null, loadControlled = false): number => {
    const k = `${type} ${supplier} ${networkOperator} ${loadControlled}`;
    let id = cellSetIds.get(k);
    if (id === undefined) {
      id = loader.cellSet({ ...common, ...supplierCells(supplier), ...(type === 'GSME' ? {} : noCells(networkOperator)), ...(loadControlled ? loadControllerCells : {}) });
      cellSetIds.set(k, id);
    }
    return id;
  };
  const chfCells = store.transaction(() =>
    loader.cellSet({ root: rootId, recovery: common.recovery!, acbDS: acb.ds!, acbKA: acb.ka!, wanProviderDS: partyCerts.get(DCC.wanProvider)!.ds! }),
  );

  // --- what later work in the field leaves, laid down as the services that do it leave it ------------
  const appState = (eui: string, state: object) => store.putDeviceAppState(eui, JSON.stringify(state));
  const security = (eui: string, cells: Cells) => store.insertDeviceSecurity({ deviceEui: eui, cells, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n });
  /**
   * A PPMID installed with the meters (as install-dual-fuel does it: 12.2, 8.4 with the MPRN, 8.11, 6.21, 8.7.1, 8.7.2):
   * Commissioned under the premises' hub, in the hub's device log, its supplier cells the gas supplier's, joined
   * to the ESME and the GSME and they to it (the GSME to its GPF too), as CS03A2/CS03C leave the devices' HAN state.
   */
  const installPpmid = (p: FleetPremises) => {
    const ppmid = deviceEui(0x0b, Number.parseInt(p.chfEui.slice(8), 16));
    world.applyInventoryChange({ kind: 'add', device: { eui: ppmid as Eui, type: 'PPMID', status: 'Pending', ...MODELS.PPMID, addedBy: p.gasSupplierEui! as Eui } });
    world.inventory.update(ppmid, { status: 'Commissioned', mpxn: p.mprn, commsHubEui: p.chfEui, commissionedAt: p.commissionedAt });
    const supplier = supplierCells(p.gasSupplierEui);
    store.updateDeviceSecurity({ deviceEui: ppmid, cells: { ...world.factoryCells('PPMID'), supplierDS: supplier.supplierDS!, supplierKA: supplier.supplierKA! }, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n });
    const members = [{ eui: p.esmeEui!, type: 'ESME' as const }, { eui: p.gsmeEui!, type: 'GSME' as const }, { eui: ppmid, type: 'PPMID' as const }];
    appState(p.chfEui, { chfDeviceLog: initialChfDeviceLog(members, new Date(p.commissionedAt!)) });
    appState(p.esmeEui!, { han: { joined: [{ eui: ppmid, type: HAN_DEVICE_TYPE.PPMID }] } });
    appState(p.gsmeEui!, { han: { joined: [{ eui: p.gpfEui!, type: HAN_DEVICE_TYPE.GPF }, { eui: ppmid, type: HAN_DEVICE_TYPE.PPMID }] } });
    appState(ppmid, { han: { joined: [{ eui: p.esmeEui!, type: HAN_DEVICE_TYPE.ESME }, { eui: p.gsmeEui!, type: HAN_DEVICE_TYPE.GSME }] } });
    devices++;
  };
  /**
   * A comms hub and its GPF replaced two days ago (12.2 of the new pair, 8.14.1 'Replacement CHF Install', 8.14.4 of the
   * old one): the old pair Withdrawn, still holding the device logs the DCC restores from (the hub's from CS14, the
   * GPF's from GCS62); the new pair Commissioned and serving the meters, with empty logs until 8.12.1 and 8.12.2.
   */
  const replaceCommsHub = (p: FleetPremises) => {
    const at = new Date(now.getTime() - 2 * DAY).toISOString();
    const hub = deviceEui(0x0c, 0xe0000000);
    const gpf = deviceEui(0x0f, 0xe0000000);
    appState(p.chfEui, { chfDeviceLog: initialChfDeviceLog([{ eui: p.esmeEui!, type: 'ESME' }, { eui: p.gsmeEui!, type: 'GSME' }], new Date(p.commissionedAt!)) });
    appState(p.gpfEui!, { han: { joined: [{ eui: p.gsmeEui!, type: HAN_DEVICE_TYPE.GSME }] } });
    world.inventory.update(p.chfEui, { status: 'Withdrawn' });
    world.inventory.update(p.gpfEui!, { status: 'Withdrawn' });
    world.inventory.add({ eui: gpf, type: 'GPF', status: 'Commissioned', ...MODELS.GPF, addedBy: p.gasSupplierEui });
    world.inventory.add({ eui: hub, type: 'CHF', status: 'Commissioned', ...MODELS.CHF, associatedGpfEui: gpf, addedBy: p.gasSupplierEui });
    world.inventory.update(gpf, { mpxn: p.mprn, commsHubEui: hub, commissionedAt: at });
    world.inventory.update(hub, { commissionedAt: at, smWan: 'Connected' });
    for (const meter of [p.esmeEui!, p.gsmeEui!]) world.inventory.update(meter, { commsHubEui: hub });
    security(hub, world.factoryCells('CHF'));
    security(gpf, { ...common, ...supplierCells(p.gasSupplierEui), ...noCells(null) });
    devices += 2;
  };
  /**
   * An ESME that generated a new digital-signing key pair on its supplier's 6.17 (CS02c) and holds no certificate for
   * it yet: its certificates in the SMKI repository are still those of the key it was made with.
   */
  const leaveKeyPending = (p: FleetPremises) => {
    const esme = p.esmeEui! as Eui;
    world.deviceCertificates(esme); // its DS and KA certificates, issued now so that they certify the old keys
    certificates += 2;
    const s = store.getDeviceSecurity(esme)!;
    store.updateDeviceSecurity({ ...s, keyGenerations: { DS: 1 } });
    world.forgetDeviceKeys(esme);
  };

  // Export MPANs (a premises that generates): one premises in 100, its Export Supplier one of the suppliers in
  // the ES role, taken in turn; no random draw, so the rest of the world is laid out as before.
  const exportSuppliers = SUPPLIERS.filter((s) => s.userRoles.includes('ES'));
  // A few premises left as later work in the field leaves them (no random draw, so the rest of the world is laid
  // out as before): in every 1,000 premises the first plain dual-fuel one has a PPMID installed and joined; one
  // premises in the world has had its comms hub replaced; one ESME has generated a key pair (6.17) still to certify.
  let wantHanSite = false;
  let wantReplacedHub = true;
  let wantPendingKey = true;
  const BATCH = 5_000;
  for (let start = 0; start < o.premises; start += BATCH) {
    const end = Math.min(o.premises, start + BATCH);
    const exports: { esme: string; mpan: string; supplier: string; premises: FleetPremises }[] = [];
    const hanSites: FleetPremises[] = [];
    const replacedHubs: FleetPremises[] = [];
    const pendingKeys: FleetPremises[] = [];
    store.transaction(() => {
      for (let i = start; i < end; i++) {
        const dno = rnd.weighted(DNOS, dnoWeight);
        const fuelRoll = rnd.next();
        const hasElectricity = fuelRoll < 0.95;
        const hasGas = fuelRoll < 0.6 || fuelRoll >= 0.95;
        const supplier = rnd.weighted(hasElectricity ? SUPPLIERS : gasSuppliers, supplierWeight);
        const gasSupplier = supplier.userRoles.includes('GS') && !rnd.chance(0.1) ? supplier : rnd.weighted(gasSuppliers, supplierWeight);
        const uprn = 100_000_000_000 + i;
        const postcode = `${rnd.pick(dno.postcodeAreas)}${1 + rnd.int(20)} ${rnd.int(10)}${POSTCODE_LETTERS[rnd.int(20)]}${POSTCODE_LETTERS[rnd.int(20)]}`;
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
        const premises: FleetPremises = {
          status,
          commissionedAt,
          uprn,
          postcode,
          address,
          chfEui,
          chfCells,
          mpan: null,
          electricityNetworkOperatorEui: null,
          electricitySupplierEui: null,
          esmeEui: null,
          esmeCells: null,
          mprn: null,
          gasTransporterEui: null,
          gasSupplierEui: null,
          gpfEui: null,
          gpfCells: null,
          gsmeEui: null,
          gsmeCells: null,
        };
        devices++;
        let esmeHealthy = false; // its network operator cells hold the registered network operator's

        if (hasElectricity) {
          const registeredNo = dnoEui(dno.distributorId);
          let no: string | null; // the holder of the ESME's network operator cells
          if (dccControlled) no = null;
          else if (recent && rnd.chance(0.5)) no = null; // still within the 7 days
          else if (rnd.chance(0.1)) {
            // SECMP0063: the installer placed another network operator's certificates.
            no = dnoEui(rnd.pick(otherDnos.get(dno)!).distributorId);
            wrongNetworkOperator++;
          } else no = registeredNo;
          esmeHealthy = no === registeredNo;
          premises.mpan = makeMpanCore(dno.distributorId, String(1_000_000_000 + i).slice(-10));
          premises.electricityNetworkOperatorEui = registeredNo;
          premises.electricitySupplierEui = supplier.eui;
          premises.esmeEui = deviceEui(0x0e, base + 1);
          // One commissioned ESME in 50 has a load controller (its cells placed by the supplier): a few in any world.
          premises.esmeCells = cellSet('ESME', dccControlled ? null : supplier.eui, no, !dccControlled && i % 50 === 1);
          devices++;
          if (!dccControlled && i % 100 === 2) {
            const mpan = makeMpanCore(dno.distributorId, String(2_000_000_000 + i).slice(-10));
            exports.push({ esme: premises.esmeEui, mpan, supplier: exportSuppliers[(i / 100 | 0) % exportSuppliers.length]!.eui, premises });
          }
        }

        if (hasGas) {
          const regional = gasBy.get(dno.gasNetwork)!;
          const gt: GasTransporterEntry = rnd.chance(0.04) ? rnd.pick(independents) : regional;
          let no: string | null = null; // MP128B: the ACB certificate may stay in a GPF's NO cells
          if (!dccControlled) {
            if (gt.key === 'CADENT' && rnd.chance(0.12)) {
              // Installed while National Grid ran the network: its certificates are still there.
              no = gasBy.get('NGGD')!.eui;
              wrongNetworkOperator++;
            } else if (gt.dccUser && gt.smkiSubscriber && rnd.chance(0.4)) no = gt.eui;
            else if (rnd.chance(0.02)) {
              no = gasBy.get(gt.key === 'NGN' ? 'CADENT' : 'NGN')!.eui;
              wrongNetworkOperator++;
            }
          }
          const cellsSupplier = dccControlled ? null : gasSupplier.eui;
          premises.mprn = makeMprn(String(10_000_000 + i).slice(-8));
          premises.gasTransporterEui = gt.eui;
          premises.gasSupplierEui = gasSupplier.eui;
          premises.gpfEui = deviceEui(0x0f, base + 2);
          premises.gpfCells = cellSet('GPF', cellsSupplier, no);
          premises.gsmeEui = deviceEui(0x0a, base + 3);
          premises.gsmeCells = cellSet('GSME', cellsSupplier, null);
          devices += 2;
        }
        loader.add(premises);
        // plain: commissioned a while ago (cells holding the registered supplier's), no load controller or export MPAN
        if (i % 1000 === 0) wantHanSite = true;
        const plain = !dccControlled && !recent && i % 50 !== 1 && i % 100 !== 2;
        if (plain && hasElectricity) {
          const dual = hasGas;
          if (dual && wantHanSite) {
            hanSites.push(premises);
            wantHanSite = false;
          } else if (dual && wantReplacedHub) {
            replacedHubs.push(premises);
            wantReplacedHub = false;
          } else if (esmeHealthy && wantPendingKey && !dual) {
            pendingKeys.push(premises);
            wantPendingKey = false;
          }
        }
      }
      loader.flush();
      for (const p of hanSites) installPpmid(p);
      for (const p of replacedHubs) replaceCommsHub(p);
      for (const p of pendingKeys) leaveKeyPending(p);
      for (const x of exports) {
        const p = x.premises;
        store.insertSupplyPoint({ mpxn: x.mpan, fuel: 'E', networkOperatorEui: p.electricityNetworkOperatorEui!, supplierEui: x.supplier, uprn: p.uprn, postcode: p.postcode, address: p.address });
        world.inventory.update(x.esme, { exportMpan: x.mpan });
      }
    });
    o.onProgress?.(end, o.premises);
  }
  loader.close();
  // Comms hubs a supplier pre-notified (12.2) and has not installed yet, one per supplier: what its installs
  // and returns (8.14.x) report on; and a PPMID each, for a hub's device log to take (8.11). A handful in any
  // world, after the fleet's running numbers.
  store.transaction(() => {
    SUPPLIERS.forEach((s, k) => {
      world.applyInventoryChange({ kind: 'add', device: { eui: deviceEui(0x0c, 0xf0000000 + k) as Eui, type: 'CHF', status: 'Pending', ...MODELS.CHF, addedBy: s.eui as Eui } });
      world.applyInventoryChange({ kind: 'add', device: { eui: deviceEui(0x0b, 0xf0000000 + k) as Eui, type: 'PPMID', status: 'Pending', ...MODELS.PPMID, addedBy: s.eui as Eui } });
      devices += 2;
    });
  });
  store.setMeta(META.createdAt, new Date().toISOString());
  return { parties, premises: o.premises, devices, certificates, wrongNetworkOperator };
}

/** Device EUIs: a fixed manufacturer-style prefix, a type nibble, then a running number. */
function deviceEui(typeByte: number, n: number): string {
  return `00DB5A${typeByte.toString(16).toUpperCase().padStart(2, '0')}${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

const MODELS: Record<DeviceType, DeviceModel> = {
  ESME: { manufacturer: 'dcc-sim Meters', model: 'E2-SIM', firmware: '00010004' },
  GSME: { manufacturer: 'dcc-sim Meters', model: 'G2-SIM', firmware: '00010002' },
  GPF: { manufacturer: 'dcc-sim Comms', model: 'CH-SIM GPF', firmware: '00020001' },
  CHF: { manufacturer: 'dcc-sim Comms', model: 'CH-SIM', firmware: '00020001' },
  // Not seeded in the demo fleet; pre-notified (12.2) when a scenario needs one.
  PPMID: { manufacturer: 'dcc-sim HAN', model: 'P-SIM', firmware: '00010001' },
  HCALCS: { manufacturer: 'dcc-sim HAN', model: 'H-SIM', firmware: '00010001' },
  IHD: { manufacturer: 'dcc-sim HAN', model: 'IHD-SIM', firmware: '' },
  CAD: { manufacturer: 'dcc-sim HAN', model: 'CAD-SIM', firmware: '' },
};

const POSTCODE_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

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
