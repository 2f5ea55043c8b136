/**
 * 11.1 Update Firmware: a supplier gives the DCC a firmware image for its meters. Non-device: the DCC checks
 * the devices, answers I0 and distributes the image to each (over the WAN and the HAN, GBCS CS05, which RTDS
 * does not show: dcc-sim puts it straight into the meter's memory, its 'firmware' section, by the image's
 * hash). The meter verifies the hash and runs the image when 11.3 activates it.
 */
import { dashedEui, DCC_EUI, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { ServiceModule } from '../service.ts';
import { FIRMWARE_SECTION, imageHash } from './firmware-commands.ts';

const { Sequence, StructureError, checkAttributes, readBase64, readString, textEl, writeBase64 } = bodyKit;

interface Body {
  kind: 'UpdateFirmware';
  firmwareImage: Buffer;
  /** 8 hex digits: the four octets the meter reports */
  firmwareVersion: string;
  deviceIds: Eui[];
}

/** dcc-sim's assignment of the E1101xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes1101 = {
  unknownDevice: 'E110101', // a DeviceID is not in the smart metering inventory
  notSupplier: 'E110102', // the sender is not the registered supplier of a listed device
  deviceType: 'E110103', // a listed device does not take an image by 11.1 (comms hubs, GPFs; PPMIDs and HCALCSs take 11.4)
  version: 'E110105', // FirmwareVersion is not the four octets a meter reports (8 hex digits)
  status: 'E110106', // a listed device is not installed (decommissioned, withdrawn, suspended)
} as const;

const EUI = /^([0-9A-Fa-f]{2}-){7}[0-9A-Fa-f]{2}$/;
const TAKES_IMAGE = ['ESME', 'GSME'];
const INSTALLED = ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned'];

export const updateFirmware: ServiceModule<Body> = {
  ...serviceFacts('11.1'),
  displayName: 'Update Firmware',
  body: {
    element: 'UpdateFirmware',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const firmwareImage = readBase64(s.required('FirmwareImage'), `${path}/sr:FirmwareImage`);
      const firmwareVersion = readString(s.required('FirmwareVersion'), `${path}/sr:FirmwareVersion`, 1, 8);
      const list = readString(s.required('DeviceIDList'), `${path}/sr:DeviceIDList`, 23, 1199999).split(',');
      s.end();
      if (!list.every((e) => EUI.test(e))) throw new StructureError(`${path}/sr:DeviceIDList: a comma-separated list of EUIs (00-DB-12-34-56-78-90-A0,...)`);
      return { kind: 'UpdateFirmware', firmwareImage, firmwareVersion, deviceIds: list.map((e) => e.replaceAll('-', '').toUpperCase()) };
    },
    write: (b) =>
      textEl('FirmwareImage', writeBase64(b.firmwareImage, 'body.firmwareImage')) +
      textEl('FirmwareVersion', b.firmwareVersion) +
      textEl('DeviceIDList', b.deviceIds.map(dashedEui).join(',')),
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'update-firmware',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'UpdateFirmware', firmwareImage: Buffer.from('1EF1EE0B00010000', 'hex'), firmwareVersion: '00010005', deviceIds: [ctx.eui] },
    }),
  },
  describe: (b) => [
    { label: 'FirmwareVersion', value: b.firmwareVersion },
    { label: 'Image', value: `${b.firmwareImage.length} octets, SHA-256 ${imageHash(b.firmwareImage).toString('hex').toUpperCase()}` },
    { label: 'DeviceIDList', value: b.deviceIds.map(dashedEui).join(', ') },
  ],
  needs: (v) => ({ inventoryDevices: v.request.body.deviceIds }),
  handle(v, state) {
    const b = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'firmware', reason);
    if (!/^[0-9A-Fa-f]{8}$/.test(b.firmwareVersion)) fail(Codes1101.version, `FirmwareVersion '${b.firmwareVersion}' is not the 8 hex digits (four octets) a meter reports`);
    for (const eui of b.deviceIds) {
      const d = state.inventoryDevices!.get(eui);
      if (!d) fail(Codes1101.unknownDevice, `${dashedEui(eui)} is not in the smart metering inventory`);
      if (!TAKES_IMAGE.includes(d!.type)) fail(Codes1101.deviceType, `${d!.type} ${dashedEui(eui)} does not take an image by Update Firmware${d!.type === 'CHF' || d!.type === 'GPF' ? ' (the DCC updates comms hubs itself)' : ''}`);
      if (!INSTALLED.includes(d!.status)) fail(Codes1101.status, `${dashedEui(eui)} is ${d!.status}`);
      if (d!.supplierEui !== v.sender.eui) fail(Codes1101.notSupplier, `${v.sender.name} is not the registered supplier of ${dashedEui(eui)} (${d!.supplierEui ? dashedEui(d!.supplierEui) : 'none'} is)`);
    }
    const hash = imageHash(b.firmwareImage).toString('hex').toUpperCase();
    const version = b.firmwareVersion.toUpperCase();
    return {
      step: { name: 'firmware', detail: `image ${hash.slice(0, 16)}… (version ${version}, ${b.firmwareImage.length} octets) distributed to ${b.deviceIds.length} device(s)` },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      deviceTransfers: b.deviceIds.map((eui) => ({
        eui,
        section: FIRMWARE_SECTION,
        update: (current: unknown) => {
          const f = (current ?? {}) as { images?: Record<string, string> };
          return { ...f, images: { ...f.images, [hash]: version } };
        },
      })),
    };
  },
};
