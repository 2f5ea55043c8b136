// The DUIS service matrix: every service request variant with the facts the DCC applies to it
// (critical, on demand, future-dated response pattern, DCC scheduled, non-device, eligible user
// roles). Written from ../shared/reference/duis-service-matrix.csv; a service module takes its
// facts from here, so the two cannot disagree. Data, not logic: one row per variant.
import type { UserRole } from '../../pki/index.ts';

/** Where the outcome of a future-dated request comes from: the device (8F66/8F67 alert), the DCC, both, or none. */
export type FutureDatedResponse = 'Device' | 'DSP' | 'DSP & Device' | 'No';

export interface ServiceFacts {
  variant: string;
  reference: string;
  name: string;
  critical: boolean;
  onDemand: boolean;
  futureDatedResponse: FutureDatedResponse;
  dccScheduled: boolean;
  nonDevice: boolean;
  userRoles: readonly UserRole[];
}

type Row = [variant: string, reference: string, name: string, critical: 0 | 1, onDemand: 0 | 1, futureDated: FutureDatedResponse, dccScheduled: 0 | 1, nonDevice: 0 | 1, roles: string];

// prettier-ignore
const ROWS: readonly Row[] = [
  ['1.1.1', '1.1', 'Update Import Tariff (Primary Element)', 1, 1, 'Device', 0, 0, 'IS GS'],
  ['1.1.2', '1.1', 'Update Import Tariff (Secondary Element)', 1, 1, 'Device', 0, 0, 'IS'],
  ['1.2.1', '1.2', 'Update Price (Primary Element)', 1, 1, 'Device', 0, 0, 'IS GS'],
  ['1.2.2', '1.2', 'Update Price (Secondary Element)', 1, 1, 'Device', 0, 0, 'IS'],
  ['1.5', '1.5', 'Update Meter Balance', 1, 1, 'No', 0, 0, 'IS GS'],
  ['1.6', '1.6', 'Update Payment Mode', 1, 1, 'Device', 0, 0, 'IS GS'],
  ['1.7', '1.7', 'Reset Tariff Block Counter Matrix', 1, 1, 'No', 0, 0, 'IS'],
  ['2.1', '2.1', 'Update Prepay Configuration', 1, 1, 'Device', 0, 0, 'IS GS'],
  ['2.2', '2.2', 'Top Up Device', 0, 1, 'No', 0, 0, 'IS GS'],
  ['2.3', '2.3', 'Update Debt', 1, 1, 'No', 0, 0, 'IS GS'],
  ['2.5', '2.5', 'Activate Emergency Credit', 1, 1, 'No', 0, 0, 'IS GS'],
  ['3.1', '3.1', 'Display Message', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['3.2', '3.2', 'Restrict Access For Change Of Tenancy', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['3.3', '3.3', 'Clear Event Log', 0, 1, 'No', 0, 0, 'IS GS'],
  ['3.4', '3.4', 'Update Supplier Name', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['3.5', '3.5', 'Disable Privacy PIN', 0, 1, 'No', 0, 0, 'IS GS'],
  ['4.1.1', '4.1', 'Read Instantaneous Import Registers', 0, 1, 'DSP', 0, 0, 'IS GS ED GT'],
  ['4.1.2', '4.1', 'Read Instantaneous Import TOU Matrices', 0, 1, 'DSP', 0, 0, 'IS GS ED GT'],
  ['4.1.3', '4.1', 'Read Instantaneous Import TOU With Blocks Matrices', 0, 1, 'DSP', 0, 0, 'IS ED'],
  ['4.1.4', '4.1', 'Read Instantaneous Import Block Counters', 0, 1, 'DSP', 0, 0, 'GS'],
  ['4.2', '4.2', 'Read Instantaneous Export Registers', 0, 1, 'DSP', 0, 0, 'ES ED'],
  ['4.3', '4.3', 'Read Instantaneous Prepay Values', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['4.4.2', '4.4', 'Retrieve Change Of Mode / Tariff Triggered Billing Data Log', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['4.4.3', '4.4', 'Retrieve Billing Calendar Triggered Billing Data Log', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['4.4.4', '4.4', 'Retrieve Billing Data Log (Payment Based Debt Payments)', 0, 1, 'DSP', 0, 0, 'GS IS'],
  ['4.4.5', '4.4', 'Retrieve Billing Data Log (Prepayment Credits)', 0, 1, 'DSP', 0, 0, 'GS IS'],
  ['4.6.1', '4.6', 'Retrieve Import Daily Read Log', 0, 1, 'DSP', 1, 0, 'IS GS'],
  ['4.6.2', '4.6', 'Retrieve Export Daily Read Log', 0, 1, 'DSP', 1, 0, 'ES'],
  ['4.8.1', '4.8', 'Read Active Import Profile Data', 0, 1, 'DSP', 1, 0, 'IS GS ED GT OU'],
  ['4.8.2', '4.8', 'Read Reactive Import Profile Data', 0, 1, 'DSP', 1, 0, 'IS ED OU'],
  ['4.8.3', '4.8', 'Read Export Profile Data', 0, 1, 'DSP', 1, 0, 'ES ED OU'],
  ['4.10', '4.10', 'Read Network Data', 0, 1, 'DSP', 1, 0, 'IS GS ED GT'],
  ['4.11.1', '4.11', 'Read Tariff (Primary Element)', 0, 1, 'No', 0, 0, 'IS GS OU'],
  ['4.11.2', '4.11', 'Read Tariff (Secondary Element)', 0, 1, 'No', 0, 0, 'IS OU'],
  ['4.12.1', '4.12', 'Read Maximum Demand Import Registers', 0, 1, 'DSP', 1, 0, 'IS ED'],
  ['4.12.2', '4.12', 'Read Maximum Demand Export Registers', 0, 1, 'DSP', 1, 0, 'ES ED'],
  ['4.13', '4.13', 'Read Prepayment Configuration', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['4.14', '4.14', 'Read Prepayment Daily Read Log', 0, 1, 'DSP', 1, 0, 'IS GS'],
  ['4.15', '4.15', 'Read Load Limit Data', 0, 1, 'DSP', 1, 0, 'IS ED'],
  ['4.16', '4.16', 'Read Active Power Import', 0, 1, 'No', 1, 0, 'IS ED'],
  ['4.17', '4.17', 'Retrieve Daily Consumption Log', 0, 1, 'DSP', 1, 0, 'IS GS ED GT OU'],
  ['4.18', '4.18', 'Read Meter Balance', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['5.1', '5.1', 'Create Schedule', 0, 0, 'No', 0, 1, 'IS ES GS ED GT OU'],
  ['5.2', '5.2', 'Read Schedule', 0, 0, 'No', 0, 1, 'IS ES GS ED GT OU'],
  ['5.3', '5.3', 'Delete Schedule', 0, 0, 'No', 0, 1, 'IS ES GS ED GT OU'],
  ['6.2.1', '6.2', 'Read Device Configuration (Voltage)', 0, 1, 'No', 0, 0, 'IS RSA ED'],
  ['6.2.2', '6.2', 'Read Device Configuration (Randomisation)', 0, 1, 'No', 0, 0, 'IS RSA ED'],
  ['6.2.3', '6.2', 'Read Device Configuration (Billing Calendar)', 0, 1, 'No', 0, 0, 'IS RSA GS'],
  ['6.2.4', '6.2', 'Read Device Configuration (Identity Exc MPxN)', 0, 1, 'No', 0, 0, 'IS ES GS RSA ED GT OU'],
  ['6.2.5', '6.2', 'Read Device Configuration (Instantaneous Power Thresholds)', 0, 1, 'No', 0, 0, 'IS RSA'],
  ['6.2.7', '6.2', 'Read Device Configuration (MPxN)', 0, 1, 'No', 0, 0, 'IS ES GS RSA ED GT OU'],
  ['6.2.8', '6.2', 'Read Device Configuration (Gas)', 0, 1, 'No', 0, 0, 'GS RSA GT'],
  ['6.2.9', '6.2', 'Read Device Configuration (Payment Mode)', 0, 1, 'No', 0, 0, 'IS GS RSA'],
  ['6.2.10', '6.2', 'Read Device Configuration (Event and Alert Behaviours)', 0, 1, 'No', 0, 0, 'IS GS ED'],
  ['6.4.1', '6.4', 'Update Device Configuration (Load Limiting General Settings)', 1, 1, 'Device', 0, 0, 'IS'],
  ['6.4.2', '6.4', 'Update Device Configuration (Load Limiting Counter Reset)', 0, 1, 'DSP', 0, 0, 'IS'],
  ['6.5', '6.5', 'Update Device Configuration (Voltage)', 0, 1, 'DSP', 0, 0, 'ED'],
  ['6.6', '6.6', 'Update Device Configuration (Gas Conversion)', 1, 1, 'No', 0, 0, 'GS'],
  ['6.7', '6.7', 'Update Device Configuration (Gas Flow)', 1, 1, 'No', 0, 0, 'GS'],
  ['6.8', '6.8', 'Update Device Configuration (Billing Calendar)', 1, 1, 'No', 0, 0, 'IS GS'],
  ['6.11', '6.11', 'Synchronise Clock', 1, 1, 'No', 0, 0, 'IS GS'],
  ['6.12', '6.12', 'Update Device Configuration (Instantaneous Power Threshold)', 0, 1, 'DSP', 0, 0, 'IS'],
  ['6.13', '6.13', 'Read Event Or Security Log', 0, 1, 'No', 0, 0, 'IS GS ED GT RSA'],
  ['6.14.1', '6.14', 'Update Device Configuration (Auxiliary Load Control Description)', 1, 1, 'No', 0, 0, 'IS'],
  ['6.14.2', '6.14', 'Update Device Configuration (Auxiliary Load Control Scheduler)', 1, 1, 'Device', 0, 0, 'IS'],
  ['6.14.3', '6.14', 'Update Device Configuration (Auxiliary Controller Scheduler)', 1, 1, 'Device', 0, 0, 'IS'],
  ['6.15.1', '6.15', 'Update Security Credentials (KRP)', 1, 1, 'Device', 0, 0, 'IS GS ED GT'],
  ['6.15.2', '6.15', 'Update Security Credentials (Device)', 1, 1, 'No', 0, 0, 'IS GS'],
  ['6.17', '6.17', 'Issue Security Credentials', 1, 1, 'No', 0, 0, 'IS GS'],
  ['6.18.1', '6.18', 'Set Maximum Demand Configurable Time Period', 0, 1, 'DSP', 0, 0, 'ED'],
  ['6.18.2', '6.18', 'Reset Maximum Demand Registers', 0, 1, 'DSP', 0, 0, 'ED'],
  ['6.20.1', '6.20', 'Set Device Configuration (Import MPxN)', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['6.20.2', '6.20', 'Set Device Configuration (Export MPAN)', 0, 1, 'DSP', 0, 0, 'ES'],
  ['6.21', '6.21', 'Request Handover Of DCC Controlled Device', 0, 1, 'DSP', 0, 0, 'IS GS'],
  ['6.22', '6.22', 'Configure Alert Behaviour', 0, 1, 'No', 0, 0, 'IS GS ED'],
  ['6.23', '6.23', 'Update Security Credentials (CoS)', 0, 1, 'DSP & Device', 0, 0, 'IS GS'],
  ['6.24.1', '6.24', 'Retrieve Device Security Credentials (KRP)', 0, 1, 'No', 0, 0, 'IS GS ED GT'],
  ['6.24.2', '6.24', 'Retrieve Device Security Credentials (Device)', 1, 1, 'No', 0, 0, 'IS GS'],
  ['6.25', '6.25', 'Set Electricity Supply Tamper State', 1, 1, 'No', 0, 0, 'IS'],
  ['6.26', '6.26', 'Update Device Configuration (daily resetting of Tariff Block Counter Matrix)', 1, 1, 'No', 0, 0, 'IS'],
  ['6.27', '6.27', 'Update Device Configuration (RMS Voltage Counter Reset)', 0, 1, 'DSP', 0, 0, 'ED'],
  ['6.28', '6.28', 'Set CHF Sub GHz Configuration', 0, 1, 'No', 0, 0, 'IS GS'],
  ['6.29', '6.29', 'Request CHF Sub GHz Channel Scan', 0, 1, 'No', 0, 0, 'IS GS'],
  ['6.30', '6.30', 'Read CHF Sub GHz Configuration', 0, 1, 'No', 0, 0, 'IS GS RSA'],
  ['6.31', '6.31', 'Read CHF Sub GHz Channel', 0, 1, 'No', 0, 0, 'IS GS RSA'],
  ['6.32', '6.32', 'Read CHF Sub GHz Channel Log', 0, 1, 'No', 0, 0, 'IS GS RSA'],
  ['7.1', '7.1', 'Enable Supply', 1, 1, 'No', 0, 0, 'IS'],
  ['7.2', '7.2', 'Disable Supply', 1, 1, 'No', 0, 0, 'IS GS'],
  ['7.3', '7.3', 'Arm Supply', 1, 1, 'No', 0, 0, 'IS GS'],
  ['7.4', '7.4', 'Read Supply Status', 0, 1, 'No', 0, 0, 'IS ES GS RSA ED GT'],
  ['7.5', '7.5', 'Activate Auxiliary Load', 1, 1, 'No', 0, 0, 'IS'],
  ['7.6', '7.6', 'Deactivate Auxiliary Load', 1, 1, 'No', 0, 0, 'IS'],
  ['7.7', '7.7', 'Read Auxiliary Load Switch Data', 0, 1, 'DSP', 0, 0, 'IS ED OU'],
  ['7.8', '7.8', 'Reset Auxiliary Load', 1, 1, 'No', 0, 0, 'IS'],
  ['7.9', '7.9', 'Add Auxiliary Load To Boost Button', 0, 1, 'DSP', 0, 0, 'IS'],
  ['7.10', '7.10', 'Remove Auxiliary Load From Boost Button', 0, 1, 'DSP', 0, 0, 'IS'],
  ['7.11', '7.11', 'Read Boost Button Details', 0, 1, 'DSP', 0, 0, 'IS OU'],
  ['7.12', '7.12', 'Set Randomised Offset Limit', 1, 1, 'No', 0, 0, 'IS'],
  ['7.13', '7.13', 'Set Auxiliary Controller State', 1, 1, 'No', 0, 0, 'IS'],
  ['7.14', '7.14', 'Read Auxiliary Controller Configuration Data', 0, 1, 'DSP', 0, 0, 'IS ED OU'],
  ['7.15', '7.15', 'Read Auxiliary Controller Operational Data', 0, 1, 'DSP', 0, 0, 'IS ED OU'],
  ['7.16', '7.16', 'Limit APC Level', 1, 1, 'No', 0, 0, ''],
  ['8.1.1', '8.1', 'Commission Device', 1, 1, 'No', 0, 0, 'IS GS'],
  ['8.2', '8.2', 'Read Inventory (Current and Future Suppliers may use this Service Request)', 0, 0, 'No', 0, 1, 'IS ES GS RSA ED GT OU'],
  ['8.3', '8.3', 'Decommission Device', 0, 0, 'No', 0, 1, 'IS GS'],
  ['8.4', '8.4', 'Update Inventory', 0, 0, 'No', 0, 1, 'IS ES GS RSA ED GT OU'],
  ['8.5', '8.5', 'Service Opt Out', 0, 0, 'DSP', 0, 0, ''],
  ['8.6', '8.6', 'Service Opt In', 0, 0, 'No', 0, 1, ''],
  ['8.7.1', '8.7', 'Join Service (Critical)', 1, 1, 'No', 0, 0, 'IS GS'],
  ['8.7.2', '8.7', 'Join Service (Non-Critical)', 0, 1, 'No', 0, 0, 'IS GS OU'],
  ['8.8.1', '8.8', 'Unjoin Service (Critical)', 1, 1, 'No', 0, 0, 'IS GS'],
  ['8.8.2', '8.8', 'Unjoin Service (Non-Critical)', 0, 1, 'No', 0, 0, 'IS GS OU'],
  ['8.9', '8.9', 'Read Device Log', 0, 1, 'DSP', 0, 0, 'IS GS OU'],
  ['8.11', '8.11', 'Update HAN Device Log', 0, 1, 'DSP', 0, 0, 'IS GS OU'],
  ['8.12.1', '8.12', 'Restore HAN Device Log', 0, 1, 'No', 0, 0, 'IS GS'],
  ['8.12.2', '8.12', 'Restore Gas Proxy Function Device Log', 0, 1, 'No', 0, 0, 'IS GS'],
  ['8.13', '8.13', 'Return Local Command Response', 0, 0, 'No', 0, 1, 'IS GS'],
  ['8.14.1', '8.14', 'Communications Hub Status Update- Install Success', 0, 0, 'No', 0, 1, 'IS GS'],
  ['8.14.2', '8.14', 'Communications Hub Status Update - Install No SM WAN', 0, 0, 'No', 0, 1, 'IS GS'],
  ['8.14.3', '8.14', 'Communications Hub Status Update. – Fault Return', 0, 0, 'No', 0, 1, 'IS GS'],
  ['8.14.4', '8.14', 'Communications Hub Status Update – No Fault Return', 0, 0, 'No', 0, 1, 'IS GS'],
  ['9.1', '9.1', 'Request Customer Identification Number', 0, 1, 'No', 0, 0, 'OU'],
  ['11.1', '11.1', 'Update Firmware', 0, 0, 'No', 0, 1, 'IS GS'],
  ['11.2', '11.2', 'Read Firmware Version', 0, 1, 'DSP', 0, 0, 'IS ES GS RSA ED GT OU'],
  ['11.3', '11.3', 'Activate Firmware', 1, 1, 'Device', 0, 0, 'IS GS'],
  ['11.4', '11.4', 'Update PPMID Firmware', 0, 0, 'No', 0, 1, 'IS GS'],
  ['12.1', '12.1', 'Request WAN Matrix', 0, 0, 'No', 0, 1, 'IS ES GS RSA ED GT OU'],
  ['12.2', '12.2', 'Device Pre-notification', 0, 0, 'No', 0, 1, 'IS ES GS RSA ED GT OU'],
  ['14.1', '14.1', 'Record Network Data (GAS)', 0, 1, 'No', 1, 0, 'GT'],
];

export const SERVICE_MATRIX: ReadonlyMap<string, ServiceFacts> = new Map(
  ROWS.map(([variant, reference, name, critical, onDemand, futureDatedResponse, dccScheduled, nonDevice, roles]) => [
    variant,
    { variant, reference, name, critical: critical === 1, onDemand: onDemand === 1, futureDatedResponse, dccScheduled: dccScheduled === 1, nonDevice: nonDevice === 1, userRoles: (roles === '' ? [] : roles.split(' ')) as UserRole[] },
  ]),
);

/** The matrix row of a service request variant; throws for a variant DUIS does not define. */
export function serviceFacts(variant: string): ServiceFacts {
  const f = SERVICE_MATRIX.get(variant);
  if (!f) throw new RangeError(`${variant} is not a DUIS service request variant`);
  return f;
}

/** Critical service request variants: they travel as pre-commands to be signed by the User. */
export const CRITICAL_SERVICE_REFERENCE_VARIANTS: readonly string[] = [...SERVICE_MATRIX.values()].filter((f) => f.critical).map((f) => f.variant);
