/**
 * Who answers for a device in the smart metering inventory: the registered supplier of its MPxN,
 * else (a device pre-notified and not yet given an MPxN) the party that pre-notified it. The
 * non-device services that change a device's record (8.3, 8.4, 8.14.x) accept only that party.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import type { InventoryEntry } from '../ports.ts';

export function responsibleSupplier(device: InventoryEntry): Eui | null {
  return device.mpxn ? device.supplierEui : (device.addedBy ?? null);
}

/** Why `sender` may not change the device's record, or null when it may. */
export function notResponsibleReason(device: InventoryEntry, sender: { eui: Eui; name: string }): string | null {
  const responsible = responsibleSupplier(device);
  if (responsible === sender.eui) return null;
  const what = `${device.type} ${dashedEui(device.eui)}`;
  const who = responsible
    ? `${dashedEui(responsible)} is (${device.mpxn ? `registered supplier for ${device.mpxn}` : 'it pre-notified the device'})`
    : 'no supplier is registered for it';
  return `${sender.name} is not responsible for ${what}: ${who}`;
}
