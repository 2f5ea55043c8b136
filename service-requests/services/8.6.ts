/**
 * 8.6 Service Opt In: a meter that was opted out of DCC services (8.5, inventory status Withdrawn)
 * comes back. Non-device: the DCC checks the request against its inventory and registration data,
 * marks the meter Commissioned again and records the MPANs the request names; it answers I0.
 *
 * Choices where DUIS leaves dcc-sim to decide (docs/response-codes.md):
 * - Who: the DUIS matrix lists no eligible role. dcc-sim accepts the registered supplier of the
 *   ImportMPxN in the fuel's supplier role (IS for an MPAN, GS for an MPRN), the party that opted the
 *   meter out: RTDS's template comes from the supplier, and bringing a meter back into DCC service is,
 *   like leaving it, the supplier's election. Anyone else is refused E2 (role) or E4 (not registered).
 * - When: OptInDate is a date; one later than today (UTC) is refused, as dcc-sim does not hold requests.
 * - What it does not do: the meter's ACB KA cell still holds what 8.5 placed, so the DCC cannot MAC
 *   commands for it until its ACB credentials are back: `dcc-sim recovery` (SMKI recovery, CS02b
 *   anyExceptAbnormalRootByRecovery) puts the DCC's ACB certificate back in it.
 */
import { dashedEui, DCC_EUI, type Eui } from '../../pki/index.ts';
import { bodyKit, serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import type { InventoryUpdate, ServiceModule } from '../service.ts';

const { Sequence, StructureError, checkAttributes, el, readEui, readString, readTokenEnum, textEl, writeEnum, writeEui, writeString } = bodyKit;

const DUIS_DEVICE_TYPES = ['ESME', 'GSME', 'GPF', 'CHF', 'HCALCS', 'PPMID', 'IHD', 'CAD'] as const;

interface Body {
  kind: 'ServiceOptIn';
  deviceId: Eui;
  deviceType: (typeof DUIS_DEVICE_TYPES)[number];
  importMpxn: string;
  secondaryImportMpan?: string;
  exportMpan?: string;
  /** xs:date, as written (YYYY-MM-DD, optionally with a zone) */
  optInDate: string;
}

/** dcc-sim's assignment of the E0806xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0806 = {
  unknownDevice: 'E080601', // the device is not in the smart metering inventory
  deviceType: 'E080602', // DeviceType is not the inventory's
  mpxns: 'E080604', // ImportMPxN is not the device's, or an ESME-only MPAN for another type
  notOptedOut: 'E080606', // the device is not opted out (its status is not Withdrawn)
  optInDate: 'E080607', // OptInDate is later than today
} as const;

const XS_DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;

export const serviceOptIn: ServiceModule<Body> = {
  ...serviceFacts('8.6'),
  displayName: 'Service Opt In',
  assumedUserRoles: ['IS', 'GS'],
  body: {
    element: 'ServiceOptIn',
    read(item, path): Body {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const deviceId = readEui(s.required('DeviceID'), `${path}/sr:DeviceID`);
      const deviceType = readTokenEnum(s.required('DeviceType'), `${path}/sr:DeviceType`, DUIS_DEVICE_TYPES);
      const mp = `${path}/sr:MPxNs`;
      const m = s.required('MPxNs');
      checkAttributes(m, mp);
      const ms = new Sequence(m, mp);
      const importMpxn = readString(ms.required('ImportMPxN'), `${mp}/sr:ImportMPxN`, 1, 13);
      const sec = ms.optional('SecondaryImportMPAN');
      const exp = ms.optional('ExportMPAN');
      ms.end();
      const dp = `${path}/sr:OptInDate`;
      const optInDate = readString(s.required('OptInDate'), dp, 10, 16);
      if (!XS_DATE.test(optInDate) || Number.isNaN(Date.parse(optInDate.slice(0, 10)))) throw new StructureError(`${dp}: ${JSON.stringify(optInDate)} is not an xs:date`);
      s.end();
      return {
        kind: 'ServiceOptIn', deviceId, deviceType, importMpxn,
        ...(sec ? { secondaryImportMpan: readString(sec, `${mp}/sr:SecondaryImportMPAN`, 13, 13) } : {}),
        ...(exp ? { exportMpan: readString(exp, `${mp}/sr:ExportMPAN`, 13, 13) } : {}),
        optInDate,
      };
    },
    write(b) {
      let mpxns = textEl('ImportMPxN', writeString(b.importMpxn, 'body.importMpxn', 1, 13));
      if (b.secondaryImportMpan !== undefined) mpxns += textEl('SecondaryImportMPAN', writeString(b.secondaryImportMpan, 'body.secondaryImportMpan', 13, 13));
      if (b.exportMpan !== undefined) mpxns += textEl('ExportMPAN', writeString(b.exportMpan, 'body.exportMpan', 13, 13));
      if (typeof b.optInDate !== 'string' || !XS_DATE.test(b.optInDate)) throw new RangeError('body.optInDate: expected an xs:date (YYYY-MM-DD)');
      return textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId'))
        + textEl('DeviceType', writeEnum(b.deviceType, 'body.deviceType', DUIS_DEVICE_TYPES))
        + el('MPxNs', mpxns)
        + textEl('OptInDate', b.optInDate);
    },
  },
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'opt-in',
    deviceStatus: 'Withdrawn',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      // RTDS's date: any date not later than the world's today will do, and the world's clock may be anywhere.
      body: { kind: 'ServiceOptIn', deviceId: ctx.eui, deviceType: (ctx.device?.type ?? 'ESME'), importMpxn: ctx.supplyPoint!.mpxn, optInDate: '2015-02-01' },
    }),
  },
  describe: (b) => [
    { label: 'DeviceID', value: dashedEui(b.deviceId) },
    { label: 'DeviceType', value: b.deviceType },
    { label: 'ImportMPxN', value: b.importMpxn },
    ...(b.secondaryImportMpan ? [{ label: 'SecondaryImportMPAN', value: b.secondaryImportMpan }] : []),
    ...(b.exportMpan ? [{ label: 'ExportMPAN', value: b.exportMpan }] : []),
    { label: 'OptInDate', value: b.optInDate },
  ],
  needs: (v) => ({ inventoryDevices: [v.request.body.deviceId], supplyPoint: v.request.body.importMpxn }),
  handle(v, state, dcc) {
    const b = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'inventory', reason);
    const device = state.inventoryDevices!.get(b.deviceId) ?? fail(Codes0806.unknownDevice, `device ${dashedEui(b.deviceId)} is not in the smart metering inventory`);
    const what = `${device.type} ${dashedEui(b.deviceId)}`;
    if (device.type !== b.deviceType) fail(Codes0806.deviceType, `${dashedEui(b.deviceId)} is a ${device.type} in the inventory, not a ${b.deviceType}`);
    if (device.mpxn !== b.importMpxn) fail(Codes0806.mpxns, `ImportMPxN ${b.importMpxn} is not ${what}'s (${device.mpxn ?? 'it has none'})`);
    if ((b.secondaryImportMpan || b.exportMpan) && device.type !== 'ESME') fail(Codes0806.mpxns, `a SecondaryImportMPAN or ExportMPAN is for an ESME; ${what} is not one`);
    const sp = state.supplyPoint;
    const fuelSupplierRole = sp?.fuel === 'G' ? 'GS' : 'IS';
    if (!sp || sp.supplierEui !== v.sender.eui || !v.sender.userRoles.includes(fuelSupplierRole)) {
      fail(Codes.notAuthorisedForDevice, `${v.sender.name} is not the registered ${fuelSupplierRole === 'IS' ? 'Import' : 'Gas'} Supplier for ${b.importMpxn} (${sp?.supplierEui ? dashedEui(sp.supplierEui) : 'none'} is)`);
    }
    if (device.status !== 'Withdrawn') fail(Codes0806.notOptedOut, `${what} is ${device.status}, not opted out of DCC services (Withdrawn by 8.5 Service Opt Out)`);
    const today = dcc.now.toISOString().slice(0, 10);
    if (b.optInDate.slice(0, 10) > today) fail(Codes0806.optInDate, `OptInDate ${b.optInDate} is later than today (${today}): dcc-sim opts a meter in on receipt and does not hold the request`);
    const set: InventoryUpdate = { status: 'Commissioned' };
    if (b.secondaryImportMpan) set.secondaryImportMpan = b.secondaryImportMpan;
    if (b.exportMpan) set.exportMpan = b.exportMpan;
    return {
      step: { name: 'inventory', detail: `${what} Withdrawn -> Commissioned (opted in from ${b.optInDate}) by ${v.sender.name}` },
      answer: { responseCode: Codes.success },
      advanceCounter: true,
      inventory: [{ kind: 'update', eui: b.deviceId, set }],
    };
  },
};
