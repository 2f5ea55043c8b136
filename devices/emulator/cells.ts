/**
 * Trust-anchor cells: their identifiers and which device types have which (gbcs-cs02b.md §2).
 */
import { type CellId, sameCell } from '../gbcs/cell-id.ts';

import { DEVICE_TYPES, TYPE1_DEVICE_TYPES, type DeviceType } from '../../pki/index.ts';
export { DEVICE_TYPES, TYPE1_DEVICE_TYPES, type DeviceType };

export type CellName =
  | 'root'
  | 'recovery'
  | 'supplierDS'
  | 'supplierKA'
  | 'supplierTopUpKA'
  | 'networkOperatorDS'
  | 'networkOperatorKA'
  | 'acbDS'
  | 'acbKA'
  | 'transitionalCoSDS'
  | 'wanProviderDS'
  | 'loadControllerDS'
  | 'loadControllerKA';

export const CELL_IDS: Readonly<Record<CellName, Readonly<CellId>>> = Object.freeze({
  root: { role: 0, keyUsage: 'CA', cellUsage: 0 },
  recovery: { role: 1, keyUsage: 'DS', cellUsage: 0 },
  supplierDS: { role: 2, keyUsage: 'DS', cellUsage: 0 },
  supplierKA: { role: 2, keyUsage: 'KA', cellUsage: 0 },
  supplierTopUpKA: { role: 2, keyUsage: 'KA', cellUsage: 1 },
  networkOperatorDS: { role: 3, keyUsage: 'DS', cellUsage: 0 },
  networkOperatorKA: { role: 3, keyUsage: 'KA', cellUsage: 0 },
  acbDS: { role: 4, keyUsage: 'DS', cellUsage: 0 },
  acbKA: { role: 4, keyUsage: 'KA', cellUsage: 0 },
  transitionalCoSDS: { role: 5, keyUsage: 'DS', cellUsage: 0 },
  wanProviderDS: { role: 6, keyUsage: 'DS', cellUsage: 0 },
  loadControllerDS: { role: 8, keyUsage: 'DS', cellUsage: 0 },
  loadControllerKA: { role: 8, keyUsage: 'KA', cellUsage: 0 },
} satisfies Record<CellName, CellId>);

export const ALL_CELL_NAMES = Object.keys(CELL_IDS) as CellName[];

/**
 * Cells per device type. Verified from RTDS: the ESME's nine cells (no ACB DS, no WAN provider);
 * GSME without network operator cells; ACB KA everywhere; CHF with ACB DS/KA and WAN provider DS.
 * Our choices for the entries gbcs-cs02b.md §2 leaves open ('?' or unseen):
 * - GSME: as the ESME minus the network operator cells; no ACB DS (its CS02a lists ACB KA only) and no
 *   WAN provider (only the CHF talks to the WAN provider).
 * - GPF: as the ESME (the 6.21 vectors show its supplier and NO cells); transitional CoS DS kept because
 *   supplierByTransCoS reaches gas-side devices through the GPF; no ACB DS, no WAN provider.
 * - CHF: root, recovery, ACB DS, ACB KA, WAN provider DS; no supplier, NO or transitional CoS cells, since
 *   the CHF is controlled by the DCC and the WAN provider, not by energy suppliers.
 * - ESME: also the load controller DS and KA cells (role 8), which RTDS shows on the ESMEs the CS02g and
 *   CS02f vectors address (GBCS 4 APC); the other device types do not take load controller commands.
 */
const CELLS_BY_TYPE: Readonly<Record<DeviceType, readonly CellName[]>> = Object.freeze({
  ESME: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS', 'loadControllerDS', 'loadControllerKA'],
  GSME: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'acbKA', 'transitionalCoSDS'],
  GPF: ['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS'],
  CHF: ['root', 'recovery', 'acbDS', 'acbKA', 'wanProviderDS'],
  // The HAN devices RTDS commands: by the supplier (CS03A2Critical, signed) and by the ACB (CS08 MAC'd, CS03A2NonCritical signed).
  PPMID: ['root', 'recovery', 'supplierDS', 'supplierKA', 'acbDS', 'acbKA'],
  HCALCS: ['root', 'recovery', 'supplierDS', 'supplierKA', 'acbDS', 'acbKA'],
  // Type 2 devices hold no SMKI certificates.
  IHD: [],
  CAD: [],
});


export function isDeviceType(t: unknown): t is DeviceType {
  return typeof t === 'string' && (DEVICE_TYPES as readonly string[]).includes(t);
}

export function cellsOf(type: DeviceType): CellName[] {
  const cells = CELLS_BY_TYPE[type];
  if (!cells) throw new TypeError(`unknown device type '${String(type)}' (expected ESME, GSME, GPF or CHF)`);
  return [...cells];
}

export function hasCell(type: DeviceType, name: CellName): boolean {
  return CELLS_BY_TYPE[type].includes(name);
}

export function cellNameOf(id: CellId): CellName | undefined {
  return ALL_CELL_NAMES.find((n) => sameCell(CELL_IDS[n], id));
}
