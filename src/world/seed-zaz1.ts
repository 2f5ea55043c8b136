import {
  certificateFromPem,
  createRootCa,
  deriveKeyPair,
  issueDeviceCa,
  describeCertificate,
  readDccBoxedKeystore,
  verifyIssuedBy,
  type CertificateFacts,
  type KeystoreEntry,
} from '../../pki/index.ts';
import type { CellColumnName, UserRole } from '../../db/index.ts';
import { initialChfDeviceLog } from '../../devices/index.ts';
import { DCC } from './catalogue.ts';
import { makeMpanCore, makeMprn } from './mpxn.ts';
import { META, secretForSeed, World, WorldError } from './world.ts';

// A world on the DCC's public ZAZ1 test identities (@smartdcc/dccboxed-keystore), so requests
// signed by DCC Boxed tooling and built from the RTDS DUIS templates work against dcc-sim.
//
// The ZA root certificate and key are not published. Devices hold the Z1 issuing CA in their
// root cell instead (a pinned anchor): a device's CPV then checks that a new organisation
// certificate is signed by Z1, which is what the root check amounts to for ZAZ1 certificates.
// Z1 itself is not in the keystore either; it is taken from --issuing-ca (a PEM or DER file, or
// any DUIS template, whose CertificationPathCertificates carry it), and accepted only if its key
// verifies the keystore's Z1-issued certificates. Device certificates come from a dcc-sim device
// CA, since the RTDS device keys are not published.

export interface Zaz1SeedOptions {
  keystoreJson: string;
  issuingCa: Buffer;
  referenceTime: Date;
}

const PARTIES: Record<string, { name: string; userRoles: UserRole[]; isDcc?: boolean }> = {
  [DCC.recovery]: { name: 'DCC (SMKI Recovery) ZAZ1', userRoles: [], isDcc: true },
  [DCC.accessControlBroker]: { name: 'DCC (Access Control Broker) ZAZ1', userRoles: [], isDcc: true },
  [DCC.transitionalCoS]: { name: 'DCC (Transitional Change of Supplier) ZAZ1', userRoles: [], isDcc: true },
  [DCC.wanProvider]: { name: 'DCC (WAN Provider) ZAZ1', userRoles: [], isDcc: true },
  // RTDS sends the export supplier's services (6.20.2) and the Other Users' 9.1 (its ECS50/GCS36 vectors name this EUI
  // as the requester) from the same supplier EUI.
  '90B3D51F30010000': { name: 'GITTESTSUPPLIER', userRoles: ['IS', 'GS', 'ES', 'OU'] },
  '90B3D51F30030000': { name: 'GITTESTSUPPLIER2', userRoles: ['IS', 'GS'] },
  '90B3D51F30020000': { name: 'ZAZ1 Network Operator', userRoles: ['ED', 'GT'] },
  '90B3D51F30010008': { name: 'ZAZ1 Load Controller', userRoles: ['OU'] },
  '90B3D51F30010009': { name: 'ZAZ1 MDR', userRoles: ['OU'] },
  '00DB123456780004': { name: 'ZAZ1 Other User', userRoles: ['OU'] },
};

export const ZAZ1_SUPPLIER = '90B3D51F30010000';
export const ZAZ1_NETWORK_OPERATOR = '90B3D51F30020000';
/** The DSP XML-signing certificate the DCC's signing tool 1.0.6 knows (duis.md §4.2). */
export const ZAZ1_DSP_XML_SIGNING_SERIAL = '167048897159233642262001557408276884033';
/** The ESME …A0's MPAN as the RTDS templates name it (6.23's ImportMPxN, 6.20.x). */
export const ZAZ1_MPAN = '1312345678333';
export const ZAZ1_MPRN = makeMprn('12345678');
/** The second RTDS ESME (…A6, the load controller's and APC vectors' device) and its MPAN. */
export const ZAZ1_ESME_A6 = '00DB1234567890A6';
export const ZAZ1_MPAN_A6 = makeMpanCore('13', '1234567866');

/** Finds the issuing CA in PEM, DER, or a DUIS document carrying CertificationPathCertificates. */
export function readIssuingCa(content: Buffer): Buffer {
  const text = content.toString('utf8');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return certificateFromPem(text);
  const m = /CertificationPathCertificates>\s*<(?:\w+:)?Certificate>([A-Za-z0-9+/=\s]+)</.exec(text);
  if (m) return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (content[0] === 0x30) return content;
  throw new WorldError('bad-issuing-ca', 'the --issuing-ca file holds no certificate (PEM, DER, or a DUIS template with CertificationPathCertificates)');
}

export function seedZaz1World(world: World, o: Zaz1SeedOptions) {
  const store = world.store;
  let entries: KeystoreEntry[];
  try {
    entries = readDccBoxedKeystore(o.keystoreJson);
  } catch (err) {
    throw new WorldError('bad-keystore', `keystore: ${(err as Error).message}`);
  }
  if (entries.length === 0) throw new WorldError('bad-keystore', 'keystore holds no certificates');

  let z1: CertificateFacts;
  try {
    z1 = describeCertificate(o.issuingCa);
  } catch (err) {
    throw new WorldError('bad-issuing-ca', `--issuing-ca: ${(err as Error).message}`);
  }
  const issuedByZ1 = entries
    .map((e) => describeCertificate(e.certificate))
    .filter((f) => f.aki !== null && f.aki === z1.ski);
  if (z1.kind !== 'issuing-ca' || issuedByZ1.length === 0 || !issuedByZ1.every((f) => verifyIssuedBy(f, z1))) {
    throw new WorldError(
      'bad-issuing-ca',
      `--issuing-ca ${z1.subjectDn} (SKI ${z1.ski}) is not the CA that issued the keystore's ZAZ1 organisation certificates`,
    );
  }

  const secret = secretForSeed('zaz1');
  let certificates = 0;
  store.transaction(() => {
    store.setMeta(META.profile, 'zaz1');
    store.setMeta(META.seed, 'zaz1');
    store.setMeta(META.secret, secret.toString('hex'));
    store.setMeta(META.referenceTime, o.referenceTime.toISOString());

    const z1Id = world.registerCertificate(z1.der, { label: 'ZAZ1 issuing CA Z1 (pinned anchor)' });
    certificates++;
    store.setMeta(META.rootCertificateId, String(z1Id));
    store.setMeta(META.issuingCaId, String(z1Id));
    store.setMeta(META.trustAnchorIds, JSON.stringify([z1Id]));
    // Device certificates: the RTDS device keys are not published, so a dcc-sim device CA issues them.
    const root = createRootCa({
      commonName: 'SA',
      keyPair: deriveKeyPair(secret, 'ca/root'),
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2049-12-31T23:59:59Z'),
    });
    world.registerCertificate(root.certificate, { label: 'dcc-sim root CA (device certificates)', privateKey: root.privateKey });
    const dca = issueDeviceCa(root, {
      commonName: 'SD1',
      keyPair: deriveKeyPair(secret, 'ca/device'),
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2049-12-31T23:59:59Z'),
    });
    store.setMeta(META.deviceCaId, String(world.registerCertificate(dca.certificate, { label: 'dcc-sim device CA', privateKey: dca.privateKey })));
    certificates += 2;

    for (const [eui, p] of Object.entries(PARTIES)) {
      store.insertParty({
        eui,
        name: p.name,
        userRoles: p.userRoles,
        dccUser: !p.isDcc,
        smkiSubscriber: true,
        ueptCompleted: !p.isDcc,
        isDcc: p.isDcc ?? false,
        responseUrl: null,
      });
    }
    const ids = new Map<string, number>(); // keystore name -> certificate id
    for (const e of entries) {
      if (!store.getParty(e.eui)) {
        throw new WorldError('bad-keystore', `keystore entry ${e.name} belongs to ${e.eui}, which is not a ZAZ1 party`);
      }
      ids.set(e.name, world.registerCertificate(e.certificate, { label: e.name, privateKey: e.privateKey }));
      certificates++;
    }
    const dsp = entries.find((e) => e.serialDecimal === ZAZ1_DSP_XML_SIGNING_SERIAL);
    if (!dsp) throw new WorldError('bad-keystore', `keystore lacks the DSP XML-signing certificate ${ZAZ1_DSP_XML_SIGNING_SERIAL}`);
    store.setMeta(META.dccXmlSigningCertificateId, String(ids.get(dsp.name)));

    const need = (name: string) => {
      const id = ids.get(name);
      if (id === undefined) throw new WorldError('bad-keystore', `keystore lacks ${name}, which the RTDS devices hold`);
      return id;
    };

    // Registration data: the ZAZ1 supplier and network operator for the RTDS devices' supply points.
    store.insertSupplyPoint({ mpxn: ZAZ1_MPAN, fuel: 'E', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: 123456789012, postcode: 'ZA1 1ZZ', address: '1 RTDS Way' });
    store.insertSupplyPoint({ mpxn: ZAZ1_MPAN_A6, fuel: 'E', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: 123456789013, postcode: 'ZA1 1ZZ', address: '2 RTDS Way' });
    store.insertSupplyPoint({ mpxn: ZAZ1_MPRN, fuel: 'G', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: 123456789012, postcode: 'ZA1 1ZZ', address: '1 RTDS Way' });

    const common: Partial<Record<CellColumnName, number>> = {
      root: z1Id,
      recovery: need('Z1-recovery-ds'),
      acbKA: need('Z1-accessControlBroker-ka'),
      transitionalCoSDS: need('Z1-transitionalCoS-ds'),
    };
    const supplier = { supplierDS: need('Z1-supplier-ds'), supplierKA: need('Z1-supplier-ka'), supplierTopUpKA: need('Z1-supplierPP-ka') };
    const acbAsSupplier = { supplierDS: need('Z1-accessControlBroker-ds'), supplierKA: need('Z1-accessControlBroker-ka'), supplierTopUpKA: need('Z1-accessControlBroker-ka') };
    const acbAsNo = { networkOperatorDS: need('Z1-accessControlBroker-ds'), networkOperatorKA: need('Z1-accessControlBroker-ka') };
    const no = { networkOperatorDS: need('Z1-networkOperator-ds'), networkOperatorKA: need('Z1-networkOperator-ka') };
    // RTDS ESMEs hold the ZAZ1 load controller in their load controller cells (CS02f and CS02g vectors).
    const lc = { loadControllerDS: need('Z1-loadController-ds'), loadControllerKA: need('Z1-loadController-ka') };
    const commissionedAt = new Date(o.referenceTime.getTime() - 30 * 86_400_000).toISOString();
    const device = (eui: string, type: 'ESME' | 'GSME' | 'GPF' | 'CHF' | 'PPMID' | 'HCALCS', mpxn: string | null, cells: Partial<Record<CellColumnName, number>>) => {
      store.insertDevice({ eui, type, status: 'Commissioned', mpxn, commsHubEui: type === 'CHF' ? null : '00DB1234567890A2', manufacturer: 'RTDS', model: `RTDS ${type}`, firmware: '0001', commissionedAt });
      store.insertDeviceSecurity({ deviceEui: eui, cells, seqNumbers: {}, topUpSeqNumber: 0n, alertCounter: 0n });
    };
    // As the RTDS vectors show them: the ESME under the ZAZ1 supplier and NO; the GPF "DCC controlled".
    device('00DB1234567890A2', 'CHF', null, { root: z1Id, recovery: common.recovery!, acbDS: need('Z1-accessControlBroker-ds'), acbKA: common.acbKA!, wanProviderDS: need('Z1-wanProvider-ds') });
    device('00DB1234567890A0', 'ESME', ZAZ1_MPAN, { ...common, ...supplier, ...no, ...lc });
    device('00DB1234567890A1', 'GSME', ZAZ1_MPRN, { ...common, ...supplier });
    device('00DB1234567890A3', 'GPF', ZAZ1_MPRN, { ...common, ...acbAsSupplier, ...acbAsNo });
    device(ZAZ1_ESME_A6, 'ESME', ZAZ1_MPAN_A6, { ...common, ...supplier, ...no, ...lc });
    // The HAN devices RTDS addresses (catalogue.md §0.2): A4 a PPMID, A5 an HCALCS, at the ESME's premises, the supplier's.
    const han = { root: z1Id, recovery: common.recovery!, acbDS: need('Z1-accessControlBroker-ds'), acbKA: common.acbKA!, supplierDS: supplier.supplierDS, supplierKA: supplier.supplierKA };
    device('00DB1234567890A4', 'PPMID', ZAZ1_MPAN, han);
    device('00DB1234567890A5', 'HCALCS', ZAZ1_MPAN, han);
    // The hub's device log holds the devices the inventory has behind it (what CCS05/CCS07 read, CCS02 removes).
    const members = [['00DB1234567890A0', 'ESME'], ['00DB1234567890A1', 'GSME'], ['00DB1234567890A3', 'GPF'], ['00DB1234567890A4', 'PPMID'], ['00DB1234567890A5', 'HCALCS']] as const;
    store.putDeviceAppState('00DB1234567890A2', JSON.stringify({ chfDeviceLog: initialChfDeviceLog(members.map(([eui, type]) => ({ eui, type })), new Date(commissionedAt)) }));
  });
  // The RTDS comms hub was installed by the ZAZ1 supplier: it answers for it (8.14.x) as for a pre-notified hub.
  // Its GPF is A3, the other half of the hub (RTDS: CHF A2, GPF A3).
  world.inventory.update('00DB1234567890A2', { addedBy: ZAZ1_SUPPLIER, associatedGpfEui: '00DB1234567890A3' });
  store.setMeta(META.createdAt, new Date().toISOString());
  return { parties: Object.keys(PARTIES).length, devices: 7, certificates };
}
