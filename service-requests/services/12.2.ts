/**
 * 12.2 Device Pre-notification: a User tells the DCC a device is coming. Non-device: the DCC adds it
 * to the smart metering inventory as Pending, with the cells it leaves the factory with (the ACB's
 * certificates where its supplier and network operator will go), and answers I0. A Type 2 device (IHD, CAD)
 * enters Pending too, with no certificates. A comms hub pre-notified with AssociatedGPFDeviceID is paired with
 * that GPF: 8.14.1 commissions the two together. A GPF is the other half of exactly one hub: a hub naming a GPF
 * another hub already has is refused, as is one naming a device that is not a GPF.
 */
import { dashedEui, DCC_EUI, DEVICE_TYPES, type DeviceType, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';

const { Sequence, checkAttributes, readEui, readString, readTokenEnum, textEl, writeEui, writeString, writeEnum } = bodyKit;

/** The XSD's DeviceType and ESMEVariant enumerations. */
const DUIS_DEVICE_TYPES = ['ESME', 'GSME', 'GPF', 'CHF', 'HCALCS', 'PPMID', 'IHD', 'CAD'] as const;
const ESME_VARIANTS = ['A', 'B', 'C', 'AD', 'BD', 'CD', 'ADE', 'BDE', 'CDE'] as const;

interface Body {
  kind: 'DevicePrenotification';
  deviceId: Eui;
  manufacturer: string;
  model: string;
  deviceType: (typeof DUIS_DEVICE_TYPES)[number];
  smetsChtsVersion?: string;
  firmwareVersion?: string;
  esmeVariant?: (typeof ESME_VARIANTS)[number];
  associatedGpf?: Eui;
}

/** dcc-sim's assignment of the E1202xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes1202 = {
  alreadyKnown: 'E120201', // the device is already in the smart metering inventory
  deviceType: 'E120203', // a device type dcc-sim's inventory does not hold
  // a field that does not fit the device type, or an AssociatedGPFDeviceID that is not a GPF or (for a comms hub) is
  // a GPF another hub already has. The references here give E1202xx no meanings; of the codes the XSD lists for 12.2
  // this is the one dcc-sim gives a wrong AssociatedGPFDeviceID, so a GPF already taken is refused with it too
  // (E120207 stays unassigned: nothing here says what it means).
  inconsistent: 'E120204',
} as const;

export const devicePrenotification: ServiceModule<Body> = {
  ...serviceFacts('12.2'),
  displayName: 'Device Pre-notification',
  body: {
    element: 'DevicePrenotification',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const body: Body = {
        kind: 'DevicePrenotification',
        deviceId: readEui(s.required('DeviceID'), `${path}/sr:DeviceID`),
        manufacturer: readString(s.required('DeviceManufacturer'), `${path}/sr:DeviceManufacturer`, 0, 30),
        model: readString(s.required('DeviceModel'), `${path}/sr:DeviceModel`, 0, 30),
        deviceType: readTokenEnum(s.required('DeviceType'), `${path}/sr:DeviceType`, DUIS_DEVICE_TYPES),
      };
      const smets = s.optional('SMETSCHTSVersion');
      if (smets) body.smetsChtsVersion = readString(smets, `${path}/sr:SMETSCHTSVersion`, 1, 20);
      const fw = s.optional('FirmwareVersion');
      if (fw) body.firmwareVersion = readString(fw, `${path}/sr:FirmwareVersion`, 1, 8);
      const variant = s.optional('ESMEVariant');
      if (variant) body.esmeVariant = readTokenEnum(variant, `${path}/sr:ESMEVariant`, ESME_VARIANTS);
      const gpf = s.optional('AssociatedGPFDeviceID');
      if (gpf) body.associatedGpf = readEui(gpf, `${path}/sr:AssociatedGPFDeviceID`);
      s.end();
      return body;
    },
    write(b) {
      let out = textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) +
        textEl('DeviceManufacturer', writeString(b.manufacturer, 'body.manufacturer', 0, 30)) +
        textEl('DeviceModel', writeString(b.model, 'body.model', 0, 30)) +
        textEl('DeviceType', writeEnum(b.deviceType, 'body.deviceType', DUIS_DEVICE_TYPES));
      if (b.smetsChtsVersion !== undefined) out += textEl('SMETSCHTSVersion', writeString(b.smetsChtsVersion, 'body.smetsChtsVersion', 1, 20));
      if (b.firmwareVersion !== undefined) out += textEl('FirmwareVersion', writeString(b.firmwareVersion, 'body.firmwareVersion', 1, 8));
      if (b.esmeVariant !== undefined) out += textEl('ESMEVariant', writeEnum(b.esmeVariant, 'body.esmeVariant', ESME_VARIANTS));
      if (b.associatedGpf !== undefined) out += textEl('AssociatedGPFDeviceID', writeEui(b.associatedGpf, 'body.associatedGpf'));
      return out;
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'pre-notify',
    newDevice: true,
    build: (ctx) => ({
      originator: ctx.partyWithRole('IS') ?? ctx.fail('no-party', 'no DCC User in the Import Supplier role to pre-notify the device'),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'DevicePrenotification', deviceId: ctx.eui, manufacturer: 'AB01', model: '010A030B', deviceType: 'ESME', smetsChtsVersion: 'SMETS V1.58', firmwareVersion: '0002012F', esmeVariant: 'AD' },
    }),
  },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Device', value: `${b.deviceType} ${b.manufacturer} ${b.model}${b.firmwareVersion ? ` firmware ${b.firmwareVersion}` : ''}` },
    ...(b.smetsChtsVersion ? [{ label: 'SMETSCHTSVersion', value: b.smetsChtsVersion }] : []),
    ...(b.esmeVariant ? [{ label: 'ESMEVariant', value: b.esmeVariant }] : []),
    ...(b.associatedGpf ? [{ label: 'AssociatedGPFDeviceID', value: dashedEui(b.associatedGpf) }] : []),
  ],
  needs: ({ request: { body: b } }) => ({
    inventoryDevices: [b.deviceId, ...(b.associatedGpf ? [b.associatedGpf] : [])],
    ...(b.deviceType === 'CHF' && b.associatedGpf ? { commsHubOfGpf: b.associatedGpf } : {}),
  }),
  handle(v, state) {
    const b = v.request.body;
    const known = state.inventoryDevices!;
    const fail = (code: string, reason: string): never => refuse(v, code, 'inventory', reason);
    const existing = known.get(b.deviceId);
    if (existing) fail(Codes1202.alreadyKnown, `${existing.type} ${dashedEui(b.deviceId)} is already in the smart metering inventory (${existing.status})`);
    if (!(DEVICE_TYPES as readonly string[]).includes(b.deviceType)) {
      fail(Codes1202.deviceType, `dcc-sim's inventory holds ${DEVICE_TYPES.join(', ')}; a ${b.deviceType} cannot be pre-notified to it yet`);
    }
    if (b.esmeVariant !== undefined && b.deviceType !== 'ESME') fail(Codes1202.inconsistent, `ESMEVariant ${b.esmeVariant} is for an ESME, not a ${b.deviceType}`);
    if (b.associatedGpf !== undefined) {
      // A GSME names the GPF it will use; a comms hub names its own GPF, the other half of the same hub.
      if (b.deviceType !== 'GSME' && b.deviceType !== 'CHF') fail(Codes1202.inconsistent, `AssociatedGPFDeviceID is for a GSME or a comms hub, not a ${b.deviceType}`);
      const gpf = known.get(b.associatedGpf);
      if (gpf?.type !== 'GPF') fail(Codes1202.inconsistent, `AssociatedGPFDeviceID ${dashedEui(b.associatedGpf)} is ${gpf ? `${gpf.type === 'ESME' ? 'an' : 'a'} ${gpf.type}` : 'not in the inventory'}, not a GPF`);
      const hub = state.commsHubOfGpf;
      if (b.deviceType === 'CHF' && hub) {
        fail(Codes1202.inconsistent, `AssociatedGPFDeviceID: GPF ${dashedEui(b.associatedGpf)} is already paired with comms hub ${dashedEui(hub)}; a GPF belongs to one comms hub`);
      }
    }
    return {
      step: { name: 'inventory', detail: `${b.deviceType} ${dashedEui(b.deviceId)} added as Pending, pre-notified by ${v.sender.name}` },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      inventory: [{
        kind: 'add',
        device: {
          eui: b.deviceId,
          type: b.deviceType as DeviceType,
          status: 'Pending',
          manufacturer: b.manufacturer,
          model: b.model,
          firmware: b.firmwareVersion ?? '',
          ...(b.smetsChtsVersion !== undefined ? { smetsChtsVersion: b.smetsChtsVersion } : {}),
          ...(b.esmeVariant !== undefined ? { esmeVariant: b.esmeVariant } : {}),
          ...(b.associatedGpf !== undefined ? { associatedGpf: b.associatedGpf } : {}),
          addedBy: v.sender.eui,
        },
      }],
    };
  },
};
