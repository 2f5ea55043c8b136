/**
 * 8.11 Update HAN Device Log: a supplier adds a device to its comms hub's device log (the HAN "whitelist",
 * CCS01: register it with its install code and open joining for JoinTimePeriod seconds) or removes it (CCS02).
 * The DCC's Access Control Broker sends both, the User named as the supplementary remote party (RTDS). The
 * hub raises CS14 (8F12) with its updated log, which the DCC passes to the User. When the hub answers
 * success, the inventory follows: an added Pending device becomes Whitelisted under that hub; a removed
 * Whitelisted one goes back to Pending.
 */
import { dashedEui, type Eui } from '../../pki/index.ts';
import { dlms } from '../../devices/index.ts';
import type { Element } from '@xmldom/xmldom';
import { bodyKit } from '../duis/index.ts';
import type { InventoryChange } from '../service.ts';
import { deviceCommandService } from './device-command.ts';
import { allSucceeded, hanType, hubAccess } from './han-commands.ts';

const { Sequence, StructureError, checkAttributes, readEui, readInteger, readString, readTokenEnum, el, textEl, writeEui, writeEnum } = bodyKit;

interface AddToWhitelist {
  joinTimePeriod: number;
  /** 6..16 octets */
  installCode: Buffer;
  importMpxn?: string;
  secondaryImportMpan?: string;
  exportMpan?: string;
}

interface Body {
  kind: 'UpdateHANDeviceLog';
  deviceId: Eui;
  requestType: 'Add' | 'Remove';
  add?: AddToWhitelist;
}

/** dcc-sim's assignment of the E0811xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0811 = {
  unknownDevice: 'E081101', // the DeviceID is not in the smart metering inventory
  notSupplier: 'E081102', // the sender is not the registered supplier of the DeviceID's MPxN
  notForLog: 'E081104', // the DeviceID cannot be in a hub's device log (a comms hub) or the request does not fit it (Add without the install code, Remove with it)
  otherHub: 'E081105', // Remove of a device that is not in this hub's device log (the inventory has it under another hub or none)
} as const;

function readHex(el: Element, path: string, min: number, max: number): Buffer {
  const s = readString(el, path, 0, 64).trim();
  if (!/^([0-9A-Fa-f]{2})*$/.test(s)) throw new StructureError(`${path}: '${s}' is not xs:hexBinary`);
  const b = Buffer.from(s, 'hex');
  if (b.length < min || b.length > max) throw new StructureError(`${path}: ${b.length} octets, expected ${min}..${max}`);
  return b;
}

const MPXN = /^\d{6,13}$/;

export const updateHanDeviceLog = deviceCommandService<Body>({
  variant: '8.11',
  displayName: 'Update HAN Device Log',
  body: {
    element: 'UpdateHANDeviceLog',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      if (s.optional('ExecutionDateTime')) throw new StructureError(`${path}/sr:ExecutionDateTime: dcc-sim does not hold DSP future-dated Update HAN Device Log requests; send it when it is due`);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const requestType = readTokenEnum(s.required('RequestType'), `${path}/sr:RequestType`, ['Add', 'Remove'] as const);
      const a = s.optional('AddDeviceToCHFWhitelist');
      s.end();
      const body: Body = { kind: 'UpdateHANDeviceLog', deviceId, requestType };
      if (a) {
        const p = `${path}/sr:AddDeviceToCHFWhitelist`;
        checkAttributes(a, p);
        const q = new Sequence(a, p);
        const add: AddToWhitelist = {
          joinTimePeriod: Number(readInteger(q.required('JoinTimePeriod'), `${p}/sr:JoinTimePeriod`, 1n, 3600n, 'JoinTimePeriod: 1..3600 seconds')),
          installCode: readHex(q.required('InstallCode'), `${p}/sr:InstallCode`, 6, 16),
        };
        for (const [name, key] of [['ImportMPxN', 'importMpxn'], ['SecondaryImportMPAN', 'secondaryImportMpan'], ['ExportMPAN', 'exportMpan']] as const) {
          const e = q.optional(name);
          if (!e) continue;
          const v = readString(e, `${p}/sr:${name}`, 1, 13).trim();
          if (!MPXN.test(v)) throw new StructureError(`${p}/sr:${name}: '${v}' is not an MPxN`);
          add[key] = v;
        }
        q.end();
        body.add = add;
      }
      return body;
    },
    write(b) {
      let out = textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId')) + textEl('RequestType', writeEnum(b.requestType, 'body.requestType', ['Add', 'Remove']));
      if (b.add) {
        const a = b.add;
        let inner = textEl('JoinTimePeriod', String(a.joinTimePeriod)) + textEl('InstallCode', a.installCode.toString('hex').toUpperCase());
        if (a.importMpxn) inner += textEl('ImportMPxN', a.importMpxn);
        if (a.secondaryImportMpan) inner += textEl('SecondaryImportMPAN', a.secondaryImportMpan);
        if (a.exportMpan) inner += textEl('ExportMPAN', a.exportMpan);
        out += el('AddDeviceToCHFWhitelist', inner);
      }
      return out;
    },
  },
  sender: 'supplier',
  originator: 'acb',
  // A comms hub has no MPxN: the step below judges the sender by the device to add or remove.
  withoutRegistration: (d) => d.type === 'CHF',
  statuses: ['Commissioned', 'InstalledNotCommissioned'],
  needs: (b) => ({ inventoryDevices: [b.deviceId] }),
  steps: [{
    name: 'device-log',
    run(ctx) {
      const b = ctx.request.body as Body;
      const d = ctx.ports.device(b.deviceId);
      if (!d) return ctx.reject(Codes0811.unknownDevice, `${dashedEui(b.deviceId)} is not in the smart metering inventory (pre-notify it with 12.2)`);
      if (d.type === 'CHF') return ctx.reject(Codes0811.notForLog, `${dashedEui(b.deviceId)} is a comms hub: a hub's device log holds the devices of its HAN`);
      if (b.requestType === 'Add' && !b.add) return ctx.reject(Codes0811.notForLog, 'RequestType Add needs AddDeviceToCHFWhitelist (the install code)');
      if (b.requestType === 'Remove' && b.add) return ctx.reject(Codes0811.notForLog, 'RequestType Remove takes no AddDeviceToCHFWhitelist');
      if (b.requestType === 'Remove' && d.commsHubEui !== ctx.request.requestId.target) {
        return ctx.reject(Codes0811.otherHub, `${dashedEui(b.deviceId)} is not in this hub's device log (the inventory has it under ${d.commsHubEui ? dashedEui(d.commsHubEui) : 'no hub'})`);
      }
      const sp = d.mpxn ? ctx.ports.supplyPoint(d.mpxn) : undefined;
      if (sp && sp.supplierEui !== ctx.sender.eui) {
        return ctx.reject(Codes0811.notSupplier, `${ctx.sender.name} is not the registered supplier of ${d.mpxn}, ${dashedEui(b.deviceId)}'s supply point`);
      }
      return `${b.requestType} ${d.type} ${dashedEui(b.deviceId)} (${d.status})`;
    },
  }],
  command(b, type, { counter, state }) {
    if (type !== 'CHF') return `a HAN device log is a comms hub's, not a ${type}'s`;
    if (b.requestType === 'Remove') {
      return { useCase: 'CCS02', messageCode: 0x0002, payload: hubAccess(counter, [{ kind: 'action', id: 2 }], [dlms.octets(Buffer.from(b.deviceId, 'hex'))]) };
    }
    const d = state.inventoryDevices?.get(b.deviceId);
    const a = b.add ?? { joinTimePeriod: 1, installCode: Buffer.alloc(6) };
    // register device { EUI, HAN device type, install code, 0 }, the join timeout, enable joining
    return {
      useCase: 'CCS01',
      messageCode: 0x0001,
      payload: hubAccess(counter, [{ kind: 'action', id: 1 }, { kind: 'set', id: 3 }, { kind: 'set', id: 2 }], [
        dlms.structure(dlms.octets(Buffer.from(b.deviceId, 'hex')), dlms.enum(hanType(d?.type ?? 'ESME') ?? 0), dlms.octets(a.installCode), dlms.enum(0)),
        dlms.longUnsigned(a.joinTimePeriod),
        dlms.boolean(true),
      ]),
    };
  },
  afterResponse(hub, b, _now, state) {
    if (!b) return undefined;
    const add = b.requestType === 'Add';
    const status = state.inventoryDevices?.get(b.deviceId)?.status;
    // In a hub's device log and not yet installed: Whitelisted; out of it again: Pending (rules-and-data.md).
    const next = add && status === 'Pending' ? 'Whitelisted' : !add && status === 'Whitelisted' ? 'Pending' : undefined;
    const inventory: InventoryChange[] = [{ kind: 'update', eui: b.deviceId, set: { commsHubEui: add ? hub.eui : null, ...(next ? { status: next } : {}) } }];
    return {
      inventory: inventory,
      succeeded: allSucceeded,
      detail: add ? `${dashedEui(b.deviceId)} is in ${dashedEui(hub.eui)}'s device log` : `${dashedEui(b.deviceId)} left ${dashedEui(hub.eui)}'s device log`,
    };
  },
  example: {
    name: 'whitelist-han-device',
    body: (ctx) => ({
      kind: 'UpdateHANDeviceLog',
      deviceId: ctx.preNotifiedHanDevice?.() ?? ctx.fail('no-device', 'no HAN device is pre-notified and out of every hub\'s device log: pre-notify one with 12.2'),
      requestType: 'Add',
      // the install code printed on the device, and an hour for the installer to join it
      add: { joinTimePeriod: 3600, installCode: Buffer.from('0123456789ABCDEF0123456789ABCDEF', 'hex') },
    }),
  },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'RequestType', value: b.requestType },
    ...(b.add ? [{ label: 'Install code', value: b.add.installCode.toString('hex').toUpperCase() }, { label: 'JoinTimePeriod', value: `${b.add.joinTimePeriod} s` }] : []),
  ],
});
