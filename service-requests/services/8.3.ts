/**
 * 8.3 Decommission Device: the device's responsible supplier tells the DCC a device has been taken
 * out of service (removed from the premises, or left there but no longer used). Non-device: the DCC
 * marks it Decommissioned in the smart metering inventory and answers I0. A Decommissioned device is
 * in no device service's statuses, so every later device command to it is refused E5. A comms hub is
 * not decommissioned: it leaves the inventory by a fault or no-fault return (8.14.3, 8.14.4).
 */
import { dashedEui, DCC_EUI, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';
import { notResponsibleReason } from './responsible-supplier.ts';

const { Sequence, checkAttributes, readEui, textEl, writeEui } = bodyKit;

interface Body {
  kind: 'DecommissionDevice';
  deviceId: Eui;
}

/** dcc-sim's assignment of the E0803xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0803 = {
  unknownDevice: 'E080301', // the device is not in the smart metering inventory
  notResponsible: 'E080302', // the sender is not the device's responsible supplier
} as const;

/** Installed (or once installed) devices; a Pending one never was, and is deleted instead (8.4 DeleteDevice). */
const DECOMMISSIONABLE = ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Suspended', 'Recovered'];

export const decommissionDevice: ServiceModule<Body> = {
  ...serviceFacts('8.3'),
  displayName: 'Decommission Device',
  body: {
    element: 'DecommissionDevice',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      s.end();
      return { kind: 'DecommissionDevice', deviceId };
    },
    write: (b) => textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')),
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'decommission',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'DecommissionDevice', deviceId: ctx.eui },
    }),
  },
  describe: (b) => [{ label: 'DeviceID', value: dashedEui(b.deviceId) }],
  needs: (v) => ({ inventoryDevices: [v.request.body.deviceId] }),
  handle(v, state) {
    const { deviceId } = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'inventory', reason);
    const device = state.inventoryDevices!.get(deviceId) ?? fail(Codes0803.unknownDevice, `device ${dashedEui(deviceId)} is not in the smart metering inventory`);
    const what = `${device.type} ${dashedEui(deviceId)}`;
    const notResponsible = notResponsibleReason(device, v.sender);
    if (notResponsible) fail(Codes0803.notResponsible, notResponsible);
    if (device.type === 'CHF') fail(Codes.deviceType, `${what} is a comms hub: it leaves the inventory by a Communications Hub Status Update fault or no-fault return, not by decommissioning`);
    if (!DECOMMISSIONABLE.includes(device.status)) {
      const why = device.status === 'Pending' ? 'it was never installed: delete it from the inventory instead' : `only ${DECOMMISSIONABLE.join(', ')} devices are decommissioned`;
      fail(Codes.deviceStatus, `${what} is ${device.status}; ${why}`);
    }
    return {
      step: { name: 'inventory', detail: `${what} ${device.status} -> Decommissioned by ${v.sender.name}` },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      inventory: [{ kind: 'update', eui: deviceId, set: { status: 'Decommissioned' } }],
    };
  },
};
