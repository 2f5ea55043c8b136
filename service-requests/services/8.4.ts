/**
 * 8.4 Update Inventory: the device's responsible supplier changes its record in the smart metering
 * inventory — its status as installation goes on (a comms hub's its own way), its details, its
 * MPxNs — or deletes a device that was pre-notified and never installed. Non-device: the DCC answers.
 */
import { dashedEui, DCC_EUI, isType2, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { InventoryUpdate, ServiceModule } from '../service.ts';
import { notResponsibleReason } from './responsible-supplier.ts';

const { Sequence, StructureError, checkAttributes, displayName, el, textEl, readEui, readString, readTokenEnum, writeEui, writeString, writeEnum, emptyEl } = bodyKit;

const STATUS_EXCEPT_CH = ['Pending', 'InstalledNotCommissioned'] as const;
const STATUS_CH = ['Commissioned', 'Withdrawn', 'InstalledNotCommissioned'] as const;
const ESME_VARIANTS = ['A', 'B', 'C', 'AD', 'BD', 'CD', 'ADE', 'BDE', 'CDE'] as const;

export type InventoryUpdateRequest =
  | { kind: 'status'; commsHub: false; status: (typeof STATUS_EXCEPT_CH)[number] }
  | { kind: 'status'; commsHub: true; status: (typeof STATUS_CH)[number] }
  | { kind: 'details'; manufacturer?: string; model?: string; smetsChtsVersion?: string; firmwareVersion?: string; esmeVariant?: (typeof ESME_VARIANTS)[number] }
  | { kind: 'delete' }
  | { kind: 'mpxn'; which: 'ImportMPxN' | 'SecondaryImportMPAN' | 'ExportMPAN'; value: string };

interface Body {
  kind: 'UpdateInventory';
  deviceId: Eui;
  update: InventoryUpdateRequest;
}

/** dcc-sim's assignment of the E0804xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0804 = {
  unknownDevice: 'E080405', // the device is not in the smart metering inventory
  notResponsible: 'E080406', // the sender is not the device's responsible supplier
  statusKind: 'E080407', // UpdateDeviceStatusCH for a device that is not a comms hub, or ExceptCH for one that is
  statusTransition: 'E080408', // the device's current status does not allow the new one
  notDeletable: 'E080409', // only a device that is still Pending (pre-notified, never installed) may be deleted
  unknownMpxn: 'E080410', // the MPxN is not in registration data
  wrongFuel: 'E080411', // the MPxN's fuel does not fit the device type
  notEsme: 'E080412', // secondary import or export MPAN, or ESMEVariant, for a device that is not an ESME
  notRegisteredSupplier: 'E080414', // the sender is not the registered supplier of the new MPxN
  nothingToUpdate: 'E080415', // UpdateDeviceDetails with no field
} as const;

/** The statuses each new status may be reached from (installation moves forward, or back to Pending). */
const FROM: Readonly<Record<string, readonly string[]>> = {
  Pending: ['InstalledNotCommissioned', 'Whitelisted'],
  InstalledNotCommissioned: ['Pending', 'Whitelisted'],
  Commissioned: ['InstalledNotCommissioned', 'Pending'],
  Withdrawn: ['Pending', 'Whitelisted', 'InstalledNotCommissioned', 'Commissioned', 'Suspended'],
};

const MPXN_TAGS = ['ImportMPxN', 'SecondaryImportMPAN', 'ExportMPAN'] as const;

function readUpdate(item: Element, path: string): InventoryUpdateRequest {
  const p = `${path}/sr:${item.localName}`;
  switch (item.localName) {
    case 'UpdateDeviceStatusExceptCH':
      return { kind: 'status', commsHub: false, status: readTokenEnum(item, p, STATUS_EXCEPT_CH) };
    case 'UpdateDeviceStatusCH':
      return { kind: 'status', commsHub: true, status: readTokenEnum(item, p, STATUS_CH) };
    case 'DeleteDevice': {
      checkAttributes(item, p);
      new Sequence(item, p).end();
      return { kind: 'delete' };
    }
    case 'UpdateDeviceDetails': {
      checkAttributes(item, p);
      const s = new Sequence(item, p);
      const out: Extract<InventoryUpdateRequest, { kind: 'details' }> = { kind: 'details' };
      const m = s.optional('DeviceManufacturer');
      if (m) out.manufacturer = readString(m, `${p}/sr:DeviceManufacturer`, 0, 30);
      const mo = s.optional('DeviceModel');
      if (mo) out.model = readString(mo, `${p}/sr:DeviceModel`, 0, 30);
      const sv = s.optional('SMETSCHTSVersion');
      if (sv) out.smetsChtsVersion = readString(sv, `${p}/sr:SMETSCHTSVersion`, 1, 20);
      const fw = s.optional('FirmwareVersion');
      if (fw) out.firmwareVersion = readString(fw, `${p}/sr:FirmwareVersion`, 1, 8);
      const v = s.optional('ESMEVariant');
      if (v) out.esmeVariant = readTokenEnum(v, `${p}/sr:ESMEVariant`, ESME_VARIANTS);
      s.end();
      return out;
    }
    default: {
      // UpdateMPxN: a choice of one MPxN.
      checkAttributes(item, p);
      const s = new Sequence(item, p);
      const c = s.peek();
      if (c === undefined || !(MPXN_TAGS as readonly string[]).includes(c.localName ?? '')) {
        throw new StructureError(`${p}: expected one of sr:${MPXN_TAGS.join(', sr:')}, found ${c ? displayName(c) : 'nothing'}`);
      }
      s.take();
      s.end();
      const which = c.localName as (typeof MPXN_TAGS)[number];
      return { kind: 'mpxn', which, value: readString(c, `${p}/sr:${which}`, which === 'ImportMPxN' ? 1 : 13, 13) };
    }
  }
}

type Element = Parameters<ServiceModule<Body>['body']['read']>[0];

const UPDATE_TAGS = ['UpdateDeviceStatusExceptCH', 'UpdateDeviceStatusCH', 'UpdateDeviceDetails', 'DeleteDevice', 'UpdateMPxN'];

export const updateInventory: ServiceModule<Body> = {
  ...serviceFacts('8.4'),
  displayName: 'Update Inventory',
  body: {
    element: 'UpdateInventory',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const c = s.peek();
      if (c === undefined || !UPDATE_TAGS.includes(c.localName ?? '')) {
        throw new StructureError(`${path}: expected one of sr:${UPDATE_TAGS.join(', sr:')} after sr:DeviceID, found ${c ? displayName(c) : 'nothing'}`);
      }
      s.take();
      s.end();
      return { kind: 'UpdateInventory', deviceId, update: readUpdate(c, path) };
    },
    write(b) {
      const u = b.update;
      let inner: string;
      switch (u.kind) {
        case 'status':
          inner = u.commsHub
            ? textEl('UpdateDeviceStatusCH', writeEnum(u.status, 'body.update.status', STATUS_CH))
            : textEl('UpdateDeviceStatusExceptCH', writeEnum(u.status, 'body.update.status', STATUS_EXCEPT_CH));
          break;
        case 'delete':
          inner = emptyEl('DeleteDevice');
          break;
        case 'details': {
          let d = '';
          if (u.manufacturer !== undefined) d += textEl('DeviceManufacturer', writeString(u.manufacturer, 'body.update.manufacturer', 0, 30));
          if (u.model !== undefined) d += textEl('DeviceModel', writeString(u.model, 'body.update.model', 0, 30));
          if (u.smetsChtsVersion !== undefined) d += textEl('SMETSCHTSVersion', writeString(u.smetsChtsVersion, 'body.update.smetsChtsVersion', 1, 20));
          if (u.firmwareVersion !== undefined) d += textEl('FirmwareVersion', writeString(u.firmwareVersion, 'body.update.firmwareVersion', 1, 8));
          if (u.esmeVariant !== undefined) d += textEl('ESMEVariant', writeEnum(u.esmeVariant, 'body.update.esmeVariant', ESME_VARIANTS));
          inner = el('UpdateDeviceDetails', d);
          break;
        }
        case 'mpxn':
          inner = el('UpdateMPxN', textEl(writeEnum(u.which, 'body.update.which', MPXN_TAGS), writeString(u.value, 'body.update.value', u.which === 'ImportMPxN' ? 1 : 13, 13)));
          break;
      }
      return textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) + inner;
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'update-inventory',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind: 'UpdateInventory', deviceId: ctx.eui, update: { kind: 'details', firmwareVersion: '0002012F' } },
    }),
  },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'Update', value: JSON.stringify(b.update) },
  ],
  needs: (v) => {
    const u = v.request.body.update;
    return { inventoryDevices: [v.request.body.deviceId], ...(u.kind === 'mpxn' ? { supplyPoint: u.value } : {}) };
  },
  handle(v, state, dcc) {
    const { deviceId, update: u } = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'inventory', reason);
    const device = state.inventoryDevices!.get(deviceId) ?? fail(Codes0804.unknownDevice, `device ${dashedEui(deviceId)} is not in the smart metering inventory`);
    const what = `${device.type} ${dashedEui(deviceId)}`;
    const notResponsible = notResponsibleReason(device, v.sender);
    if (notResponsible) fail(Codes0804.notResponsible, notResponsible);
    const set: InventoryUpdate = {};
    let detail: string;
    switch (u.kind) {
      case 'status': {
        if (u.commsHub !== (device.type === 'CHF')) {
          fail(Codes0804.statusKind, `${u.commsHub ? 'UpdateDeviceStatusCH is for a comms hub' : 'UpdateDeviceStatusExceptCH is for a device that is not a comms hub'}; ${what} is ${device.type === 'CHF' ? '' : 'not '}one`);
        }
        // The DCC keeps no SMI status for an IHD or CAD (rules-and-data.md): its place is the hub's log and the meters' joins.
        if (isType2(device.type)) fail(Codes0804.statusKind, `${what} is a Type 2 device: it has no SMI status to update (8.11 adds it to the hub's log, 8.7.2 joins it to a meter)`);
        if (u.status !== device.status && !FROM[u.status]!.includes(device.status)) {
          fail(Codes0804.statusTransition, `${what} is ${device.status}; it cannot become ${u.status} (only from ${FROM[u.status]!.join(' or ')})`);
        }
        set.status = u.status;
        if (u.status === 'Commissioned') set.commissionedAt = dcc.now.toISOString();
        detail = `${what} ${device.status} -> ${u.status}`;
        break;
      }
      case 'delete':
        if (device.status !== 'Pending') fail(Codes0804.notDeletable, `${what} is ${device.status}; only a Pending device (pre-notified, never installed) may be deleted`);
        detail = `${what} deleted`;
        break;
      case 'details': {
        if (u.manufacturer === undefined && u.model === undefined && u.smetsChtsVersion === undefined && u.firmwareVersion === undefined && u.esmeVariant === undefined) {
          fail(Codes0804.nothingToUpdate, 'UpdateDeviceDetails names no field to update');
        }
        if (u.esmeVariant !== undefined && device.type !== 'ESME') fail(Codes0804.notEsme, `ESMEVariant is for an ESME; ${what} is not one`);
        if (u.firmwareVersion !== undefined && isType2(device.type)) fail(Codes0804.nothingToUpdate, `${what} is a Type 2 device: the inventory holds no firmware version for it`);
        if (u.manufacturer !== undefined) set.manufacturer = u.manufacturer;
        if (u.model !== undefined) set.model = u.model;
        if (u.smetsChtsVersion !== undefined) set.smetsChtsVersion = u.smetsChtsVersion;
        if (u.firmwareVersion !== undefined) set.firmware = u.firmwareVersion;
        if (u.esmeVariant !== undefined) set.esmeVariant = u.esmeVariant;
        detail = `${what} details: ${Object.keys(set).join(', ')}`;
        break;
      }
      case 'mpxn': {
        const sp = state.supplyPoint ?? fail(Codes0804.unknownMpxn, `${u.which} ${u.value} is not in registration data`);
        // A comms hub has no MPxN, nor a Type 2 device (its meter is found through its joins).
        const fuel = device.type === 'ESME' ? 'E' : device.type === 'CHF' || isType2(device.type) ? null : 'G';
        if (u.which !== 'ImportMPxN' && device.type !== 'ESME') fail(Codes0804.notEsme, `a ${u.which} is for an ESME; ${what} is not one`);
        if (fuel === null || sp.fuel !== fuel) {
          fail(Codes0804.wrongFuel, `${u.value} is ${sp.fuel === 'E' ? 'an MPAN' : 'an MPRN'}; ${what} ${fuel === null ? 'has no MPxN' : `needs ${fuel === 'E' ? 'an MPAN' : 'an MPRN'}`}`);
        }
        if (sp.supplierEui !== v.sender.eui) {
          fail(Codes0804.notRegisteredSupplier, `${v.sender.name} is not the registered supplier for ${u.value} (${sp.supplierEui ? dashedEui(sp.supplierEui) : 'none'} is)`);
        }
        if (u.which === 'ImportMPxN') set.mpxn = u.value;
        else if (u.which === 'SecondaryImportMPAN') set.secondaryImportMpan = u.value;
        else set.exportMpan = u.value;
        detail = `${what} ${u.which} ${u.value}`;
        break;
      }
    }
    return {
      step: { name: 'inventory', detail },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      inventory: [u.kind === 'delete' ? { kind: 'delete', eui: deviceId } : { kind: 'update', eui: deviceId, set }],
    };
  },
};
