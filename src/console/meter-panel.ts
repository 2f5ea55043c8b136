// The device page's Meter panel (GET /api/console/devices/{eui}/meter): what the emulated meter holds now, as its
// reads return it (devices' meterView). A GPF's is its mirror of the GSME its reads answer from: the GSME the
// DCC loads for a GPF's read (loadMirroredGsme, the inventory's pairing), caught up to now the same way.
import { dashedEui } from '../../pki/index.ts';
import { meterView, type DeviceType, type MeterView } from '../../devices/index.ts';
import { loadMirroredGsme, storedAppState } from '../dcc/index.ts';
import type { World } from '../world/index.ts';

/** The meter view of an ESME, GSME or GPF at `now`, its EUIs dashed. */
export function consoleMeterView(world: World, device: { eui: string; type: DeviceType }, now: Date): MeterView {
  const mirroredGsme = device.type === 'GPF' ? loadMirroredGsme(world, device.eui) : undefined;
  const view = meterView(device, storedAppState(world, device.eui), now, mirroredGsme ? { mirroredGsme } : {});
  return { ...view, eui: dashedEui(view.eui), mirrorOf: view.mirrorOf === null ? null : dashedEui(view.mirrorOf) };
}
