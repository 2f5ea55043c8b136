// Who is who in a demo world: the DCC's roles, the GB distribution network operators under their
// real distributor IDs, the gas transporters, and a handful of (fictional) suppliers.
import { DCC_PARTIES, type UserRole } from '../../pki/index.ts';

/** The DCC's EUIs are those of the public ZAZ1 test environment, so DUIS tooling finds them where it expects. */
export const DCC = DCC_PARTIES;

export interface DnoEntry {
  distributorId: string;
  area: string;
  marketId: string;
  name: string;
  /** relative number of supply points, roughly in proportion to the real networks */
  weight: number;
  /** where gas in this area is mostly transported: index into GAS_TRANSPORTERS */
  gasNetwork: string;
  postcodeAreas: readonly string[];
}

export const DNOS: readonly DnoEntry[] = [
  { distributorId: '10', area: 'Eastern', marketId: 'EELC', name: 'Eastern Power Networks (UK Power Networks)', weight: 36, gasNetwork: 'CADENT', postcodeAreas: ['CB', 'IP', 'NR', 'CO'] },
  { distributorId: '11', area: 'East Midlands', marketId: 'EMEB', name: 'National Grid Electricity Distribution (East Midlands)', weight: 26, gasNetwork: 'CADENT', postcodeAreas: ['NG', 'LE', 'DE'] },
  { distributorId: '12', area: 'London', marketId: 'LOND', name: 'London Power Networks (UK Power Networks)', weight: 23, gasNetwork: 'SGN', postcodeAreas: ['SE', 'SW', 'N', 'E'] },
  { distributorId: '13', area: 'Merseyside and North Wales', marketId: 'MANW', name: 'SP Manweb (SP Energy Networks)', weight: 15, gasNetwork: 'CADENT', postcodeAreas: ['L', 'CH', 'LL'] },
  { distributorId: '14', area: 'West Midlands', marketId: 'MIDE', name: 'National Grid Electricity Distribution (West Midlands)', weight: 25, gasNetwork: 'CADENT', postcodeAreas: ['B', 'CV', 'WV'] },
  { distributorId: '15', area: 'North East', marketId: 'NEEB', name: 'Northern Powergrid (Northeast)', weight: 16, gasNetwork: 'NGN', postcodeAreas: ['NE', 'SR', 'DH'] },
  { distributorId: '16', area: 'North West', marketId: 'NORW', name: 'Electricity North West', weight: 24, gasNetwork: 'CADENT', postcodeAreas: ['M', 'PR', 'BL'] },
  { distributorId: '17', area: 'North Scotland', marketId: 'HYDE', name: 'Scottish Hydro Electric Power Distribution (SSEN)', weight: 8, gasNetwork: 'SGN', postcodeAreas: ['AB', 'IV', 'PH'] },
  { distributorId: '18', area: 'South Scotland', marketId: 'SPOW', name: 'SP Distribution (SP Energy Networks)', weight: 20, gasNetwork: 'SGN', postcodeAreas: ['G', 'EH', 'KA'] },
  { distributorId: '19', area: 'South East', marketId: 'SEEB', name: 'South Eastern Power Networks (UK Power Networks)', weight: 23, gasNetwork: 'SGN', postcodeAreas: ['BN', 'TN', 'CT'] },
  { distributorId: '20', area: 'Southern', marketId: 'SOUT', name: 'Southern Electric Power Distribution (SSEN)', weight: 30, gasNetwork: 'SGN', postcodeAreas: ['SO', 'RG', 'OX'] },
  { distributorId: '21', area: 'South Wales', marketId: 'SWAE', name: 'National Grid Electricity Distribution (South Wales)', weight: 11, gasNetwork: 'WWU', postcodeAreas: ['CF', 'SA', 'NP'] },
  { distributorId: '22', area: 'South West', marketId: 'SWEB', name: 'National Grid Electricity Distribution (South West)', weight: 16, gasNetwork: 'WWU', postcodeAreas: ['EX', 'PL', 'TR'] },
  { distributorId: '23', area: 'Yorkshire', marketId: 'YELG', name: 'Northern Powergrid (Yorkshire)', weight: 23, gasNetwork: 'NGN', postcodeAreas: ['LS', 'S', 'HU'] },
];

export const dnoEui = (distributorId: string): string => `90B3D51F400000${distributorId}`;

export interface GasTransporterEntry {
  key: string;
  eui: string;
  name: string;
  /** MP128 requirement 5: a gas network may be a DCC User or not, and an SMKI Subscriber or not. */
  dccUser: boolean;
  smkiSubscriber: boolean;
  /** iGTs operate anywhere; they take this share of gas supply points in every area */
  independentShare?: number;
}

export const GAS_TRANSPORTERS: readonly GasTransporterEntry[] = [
  { key: 'CADENT', eui: '90B3D51F41000001', name: 'Cadent Gas', dccUser: true, smkiSubscriber: true },
  { key: 'NGN', eui: '90B3D51F41000002', name: 'Northern Gas Networks', dccUser: true, smkiSubscriber: true },
  { key: 'SGN', eui: '90B3D51F41000003', name: 'SGN', dccUser: false, smkiSubscriber: false },
  { key: 'WWU', eui: '90B3D51F41000004', name: 'Wales & West Utilities', dccUser: false, smkiSubscriber: false },
  // The outgoing operator of the Cadent networks: its certificates are still on devices (MP128).
  { key: 'NGGD', eui: '90B3D51F41000005', name: 'National Grid Gas Distribution', dccUser: true, smkiSubscriber: true },
  { key: 'ESP', eui: '90B3D51F41000006', name: 'ES Pipelines', dccUser: false, smkiSubscriber: false, independentShare: 0.02 },
  { key: 'GTC', eui: '90B3D51F41000007', name: 'Independent Pipelines (GTC)', dccUser: true, smkiSubscriber: true, independentShare: 0.02 },
];

export interface SupplierEntry {
  eui: string;
  name: string;
  userRoles: readonly UserRole[];
  weight: number;
}

export const SUPPLIERS: readonly SupplierEntry[] = [
  { eui: '90B3D51F42000001', name: 'Amberfield Energy', userRoles: ['IS', 'GS', 'ES'], weight: 30 },
  { eui: '90B3D51F42000002', name: 'Bramble Power & Gas', userRoles: ['IS', 'GS'], weight: 25 },
  { eui: '90B3D51F42000003', name: 'Cobalt Home Energy', userRoles: ['IS', 'GS'], weight: 20 },
  { eui: '90B3D51F42000004', name: 'Dovecote Supply', userRoles: ['IS', 'GS', 'ES'], weight: 15 },
  { eui: '90B3D51F42000005', name: 'Eastwind Electricity', userRoles: ['IS', 'ES'], weight: 10 },
];

/**
 * DCC Users in the Other User role (as a real test world has them): one that asks for the customer's
 * identification number (9.1), and a load controller, whose certificates some ESMEs' load controller
 * cells hold so that it may limit their APCs (7.16).
 */
export const OTHER_USER = { eui: '90B3D51F43000001', name: 'Foxglove Energy Services' } as const;
export const LOAD_CONTROLLER = { eui: '90B3D51F43000008', name: 'Gridwise Load Control' } as const;
