/**
 * What 11.1 (meters) and 11.4 (PPMIDs and HCALCSs) share: a supplier gives the DCC a firmware image and the
 * devices it is for. Non-device: the DCC checks the devices, answers I0 and distributes the image to each (over
 * the WAN and the HAN, GBCS CS05, which RTDS does not show: dcc-sim puts it straight into the device's memory,
 * its 'firmware' section, by the image's hash). A meter runs it when 11.3 activates it; a HAN device at once.
 */
import { dashedEui, DCC_EUI, type DeviceType, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { InventoryEntry } from '../ports.ts';
import type { ServiceModule } from '../service.ts';
import { FIRMWARE_SECTION, imageHash } from './firmware-commands.ts';

const { Sequence, StructureError, checkAttributes, readBase64, readString, textEl, writeBase64 } = bodyKit;


/** The examples' firmware image (11.1 distributes it, 11.3 activates it by its hash). */
export const EXAMPLE_FIRMWARE_IMAGE = Buffer.from('1EF1EE0B00010000', 'hex');
export interface FirmwareImageBody<K extends string> {
  kind: K;
  firmwareImage: Buffer;
  /** 8 hex digits: the four octets the device reports */
  firmwareVersion: string;
  deviceIds: Eui[];
}

export interface FirmwareDistributionCodes {
  unknownDevice: string;
  notSupplier: string;
  deviceType: string;
  version: string;
  /** a listed device is not installed (when the service checks it) */
  status?: string;
}

export interface FirmwareDistributionDef<K extends string> {
  variant: string;
  displayName: string;
  element: K;
  exampleName: string;
  codes: FirmwareDistributionCodes;
  /** the device types that take the image */
  takesImage: readonly DeviceType[];
  /** why a device of another type does not */
  wrongType(d: InventoryEntry): string;
  /** statuses at which a device takes it (unchecked when absent) */
  installed?: readonly string[];
  /** the device runs the image as soon as it holds it (HAN devices) rather than when told to (11.3) */
  activatesOnArrival: boolean;
  /** how the log names the devices */
  devices: string;
}

const EUI = /^([0-9A-Fa-f]{2}-){7}[0-9A-Fa-f]{2}$/;

export function firmwareDistributionService<const K extends string>(def: FirmwareDistributionDef<K>): ServiceModule<FirmwareImageBody<K>> {
  type Body = FirmwareImageBody<K>;
  const { codes } = def;
  return {
    ...serviceFacts(def.variant),
    displayName: def.displayName,
    body: {
      element: def.element,
      read(item, path): Body {
        checkAttributes(item, path);
        const s = new Sequence(item, path);
        const firmwareImage = readBase64(s.required('FirmwareImage'), `${path}/sr:FirmwareImage`);
        const firmwareVersion = readString(s.required('FirmwareVersion'), `${path}/sr:FirmwareVersion`, 1, 8);
        const list = readString(s.required('DeviceIDList'), `${path}/sr:DeviceIDList`, 23, 1199999).split(',');
        s.end();
        if (!list.every((e) => EUI.test(e))) throw new StructureError(`${path}/sr:DeviceIDList: a comma-separated list of EUIs (00-DB-12-34-56-78-90-A0,...)`);
        return { kind: def.element, firmwareImage, firmwareVersion, deviceIds: list.map((e) => e.replaceAll('-', '').toUpperCase()) };
      },
      write: (b) =>
        textEl('FirmwareImage', writeBase64(b.firmwareImage, 'body.firmwareImage')) +
        textEl('FirmwareVersion', b.firmwareVersion) +
        textEl('DeviceIDList', b.deviceIds.map(dashedEui).join(',')),
    },
    commandVariants: [8],
    endpoints: { 8: 'serviceD' },
    example: {
      name: def.exampleName,
      build(ctx) {
        // a device that cannot take the image is refused (E110103/E110403): not one to make an example for
        if (ctx.device && !def.takesImage.includes(ctx.device.type)) ctx.fail('bad-argument', `${ctx.device.type} ${dashedEui(ctx.eui)} cannot take this image (${def.takesImage.join(' or ')} only)`);
        return {
          originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
          target: DCC_EUI,
          commandVariant: 8,
          body: { kind: def.element, firmwareImage: EXAMPLE_FIRMWARE_IMAGE, firmwareVersion: '00010005', deviceIds: [ctx.eui] },
        };
      },
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
      if (!/^[0-9A-Fa-f]{8}$/.test(b.firmwareVersion)) fail(codes.version, `FirmwareVersion '${b.firmwareVersion}' is not the 8 hex digits (four octets) a device reports`);
      for (const eui of b.deviceIds) {
        const d = state.inventoryDevices!.get(eui) ?? fail(codes.unknownDevice, `${dashedEui(eui)} is not in the smart metering inventory`);
        if (!def.takesImage.includes(d.type as DeviceType)) fail(codes.deviceType, def.wrongType(d));
        if (def.installed && codes.status && !def.installed.includes(d.status)) fail(codes.status, `${dashedEui(eui)} is ${d.status}`);
        if (d.supplierEui !== v.sender.eui) fail(codes.notSupplier, `${v.sender.name} is not the registered supplier of ${dashedEui(eui)} (${d.supplierEui ? dashedEui(d.supplierEui) : 'none'} is)`);
      }
      const hash = imageHash(b.firmwareImage).toString('hex').toUpperCase();
      const version = b.firmwareVersion.toUpperCase();
      return {
        step: { name: 'firmware', detail: `image ${hash.slice(0, 16)}… (version ${version}, ${b.firmwareImage.length} octets) distributed to ${b.deviceIds.length} ${def.devices}${def.activatesOnArrival ? ', which run it' : ''}` },
        answer: { responseCode: Codes.success },
        advanceCounter: true,
        deviceTransfers: b.deviceIds.map((eui) => ({
          eui,
          section: FIRMWARE_SECTION,
          update: (current: unknown) => {
            const f = (current ?? {}) as { images?: Record<string, string> };
            return { ...f, images: { ...f.images, [hash]: version }, ...(def.activatesOnArrival ? { version } : {}) };
          },
        })),
      };
    },
  };
}
