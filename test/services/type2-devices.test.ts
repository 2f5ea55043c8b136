/**
 * IHD and CAD, the Type 2 devices, from the RTDS templates on a ZAZ1 world: pre-notified (12.2) with no
 * certificates, added to the comms hub's device log (8.11, HAN type 6 "Type 2" and their install code),
 * joined to a meter by method B (8.7.2 CS03B as RTDS commands it), read in the meter's log (8.9 CS07) and
 * unjoined (8.8.2 CS04B). They take no command from the DCC. And the comms hub's pairing with its GPF:
 * 8.14.1 commissions the hub's own GPF whichever MPxN it names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decodeJoinCommand, type DlmsData } from '../../devices/index.ts';
import { ZAZ1_MPAN } from '../../src/world/seed-zaz1.ts';
import { dashedEui } from '../../pki/index.ts';
import { conformanceWorld, gbcsDifferences, hanStatus, meterJoins, rtdsVector, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const HUB = '00DB1234567890A2';
const IHD = '00DB1234567890B6';
const CAD = '00DB1234567890B7';
const INSTALL_CODE = '0123456789ABCDEF0123456789ABCDEF';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

const device = (eui: string) => w.world.store.getDevice(eui);

/** 12.2 from its RTDS template, as a device of this type (a Type 2 device has no firmware, SMETS version or variant). */
function prenotify(eui: string, type: string, extra = '') {
  return w.run('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', (x) => x
    .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${dashedEui(eui)}`)
    .replace('<sr:DeviceType>ESME', `<sr:DeviceType>${type}`)
    .replace(/<sr:SMETSCHTSVersion>[\s\S]*<\/sr:ESMEVariant>/, extra));
}

function addToHubLog(eui: string) {
  return w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x
    .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${dashedEui(eui)}`)
    .replace(/<sr:InstallCode>[^<]*</, `<sr:InstallCode>${INSTALL_CODE}<`)
    .replace(/<sr:ImportMPxN>[\s\S]*?<\/sr:SecondaryImportMPAN>/, ''));
}

const join = (meter: string, other: string) => w.run('CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML', (x) => x
  .replace(':00-DB-12-34-56-78-90-A1:', `:${dashedEui(meter)}:`).replace('00-DB-12-34-56-78-90-9C', dashedEui(other)));
const unjoin = (meter: string, other: string) => w.run('CS04B_8.8.2_SUCCESS_REQUEST_DUIS.XML', (x) => x
  .replace(':00-DB-12-34-56-78-90-A1:', `:${dashedEui(meter)}:`).replace('01-02-03-04-05-06-07-08', dashedEui(other)));



describe('IHD and CAD: Type 2 devices in the inventory, the hub log and the meters\' joins', () => {
  it('12.2 pre-notifies an IHD and a CAD Pending, with no certificates', () => {
    for (const [eui, type] of [[IHD, 'IHD'], [CAD, 'CAD']] as const) {
      const r = prenotify(eui, type);
      expect(r.answer.responseCode, r.finalReason ?? '').toBe('I0');
      expect(device(eui)).toMatchObject({ type, status: 'Pending', firmware: '' });
      expect(w.world.store.getDeviceSecurity(eui)).toBeUndefined();
    }
  });

  it('a Type 2 device takes no command from the DCC: a request to it is refused E11 and nothing is sent', () => {
    const r = w.run('CS07_8.9_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A1', dashedEui(IHD)));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.finalReason).toMatch(/IHD 00-DB-12-34-56-78-90-B6 is a Type 2 device/);
    expect(r.command).toBeUndefined();
  });

  it('8.7.2 refuses to join an IHD not yet in the hub log (E080722), changing nothing', () => {
    const r = join(ESME, IHD);
    expect(r.answer.responseCode).toBe('E080722');
    expect(r.command).toBeUndefined();
    expect(meterJoins(w, ESME).some((j) => j.eui === IHD)).toBe(false);
  });

  it('8.11 adds the IHD to the hub log as HAN type 6 "Type 2" with its install code (CCS01 as RTDS); the IHD is Whitelisted', () => {
    const r = addToHubLog(IHD);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // RTDS's CCS01 registers …A0 as type 1 with install code "0123456789ABCDEF": only that entry differs.
    const rtds = rtdsVector('8.11_CCS01', 'CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX');
    expect(gbcsDifferences(r.command!, rtds).filter((d) => !d.startsWith('data 1'))).toEqual([]);
    const ours = decodeGbcsMessage(r.command!);
    if (ours.body.kind !== 'dlms-request') throw new Error(ours.body.kind);
    const register = ours.body.request.data[0]!;
    if (register.type !== 'structure') throw new Error(register.type);
    const [eui, type, code] = register.items as [DlmsData, DlmsData, DlmsData];
    expect(eui.type === 'octet-string' && eui.value.toString('hex').toUpperCase()).toBe(IHD);
    expect(type).toMatchObject({ type: 'enum', value: 6 });
    expect(code.type === 'octet-string' && code.value.toString('hex').toUpperCase()).toBe(INSTALL_CODE);
    expect(device(IHD)).toMatchObject({ status: 'Whitelisted', commsHubEui: HUB });
    const log = JSON.parse(w.world.store.getDeviceAppState(HUB)!).chfDeviceLog;
    expect(log.entries.find((e: { eui: string }) => e.eui === IHD)).toMatchObject({ type: 6, installCode: INSTALL_CODE.toLowerCase() });
  });

  it('8.7.2 joins the IHD to the ESME and to the GSME by method B (CS03B as RTDS, type 6); 8.9 CS07 lists it', () => {
    for (const meter of [ESME, GSME]) {
      const r = join(meter, IHD);
      expect(r.final, r.finalReason ?? '').toBe('I0');
      // RTDS's CS03B joins GPF …9C (type 3) to the GSME: ours differs in the target, and in the payload only in the
      // other device's EUI (octets 7-14) and type (octet 17).
      const ours = decodeGbcsMessage(r.command!);
      expect(ours.apdu.target).toBe(meter);
      expect(decodeJoinCommand(Buffer.from(ours.apdu.payload))).toMatchObject({ method: 2, otherEui: IHD, otherType: 6 });
      const rtds = rtdsVector('8.7.2_CS03B', 'CS03B_8.7.2_SUCCESS_COMMAND_GBCS.HEX');
      expect(gbcsDifferences(r.command!, rtds, { addresses: meter === GSME, ignore: [[7, 8], [17, 1]] })).toEqual([]);
      expect(hanStatus(r)).toBe(0);
      expect(meterJoins(w, meter)).toContainEqual({ eui: IHD, type: 6 });
    }
  });

  it('8.8.2 unjoins the IHD from the ESME (CS04B); an ESME refuses a non-critical unjoin of a non-Type 2 device (E11)', () => {
    const ppmid = unjoin(ESME, '00DB1234567890A4');
    expect(ppmid.answer.responseCode).toBe('E11');
    expect(ppmid.finalReason).toMatch(/only a Type 2 device .* a PPMID: use 8\.8\.1/);
    expect(ppmid.command).toBeUndefined();
    expect(meterJoins(w, ESME)).toContainEqual({ eui: IHD, type: 6 });

    const r = unjoin(ESME, IHD);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(decodeGbcsMessage(r.command!).apdu.messageCode).toBe(0x0010);
    expect(hanStatus(r)).toBe(0);
    expect(meterJoins(w, ESME).some((j) => j.eui === IHD)).toBe(false);
    expect(meterJoins(w, GSME)).toContainEqual({ eui: IHD, type: 6 });
  });

  it('8.2 reads the IHD as the DCC keeps it: type, model, its hub; no SMI status, no firmware', () => {
    const r = w.run('8.2_READ_INVENTORY_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A2', `<sr:DeviceID>${dashedEui(IHD)}`));
    expect(r.answer.responseCode, r.finalReason ?? '').toBe('I0');
    const body = r.answer.body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('dspInventory' in body.content)) throw new Error(body.kind);
    const [ihd] = body.content.dspInventory;
    expect(ihd).toMatchObject({ deviceId: IHD, deviceType: 'IHD', deviceModel: '010A030B' });
    expect(ihd!.deviceStatus).toBeUndefined();
    expect(ihd!.deviceFirmwareVersion).toBeUndefined();
  });

  it('8.4 refuses an SMI status, a firmware version or an MPxN for the IHD, changing nothing; a Pending CAD may be deleted', () => {
    const update = (eui: string, change: string) => w.run('8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML', (x) => x
      .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${dashedEui(eui)}`).replace('<sr:DeleteDevice/>', change));
    const before = JSON.stringify([device(IHD), w.world.inventory.detailsOf(IHD)]);
    const status = update(IHD, '<sr:UpdateDeviceStatusExceptCH>InstalledNotCommissioned</sr:UpdateDeviceStatusExceptCH>');
    expect(status.answer.responseCode).toBe('E080407');
    expect(status.finalReason).toMatch(/Type 2 device: it has no SMI status/);
    const firmware = update(IHD, '<sr:UpdateDeviceDetails><sr:FirmwareVersion>00010002</sr:FirmwareVersion></sr:UpdateDeviceDetails>');
    expect(firmware.answer.responseCode).toBe('E080415');
    const mpxn = update(IHD, `<sr:UpdateMPxN><sr:ImportMPxN>${ZAZ1_MPAN}</sr:ImportMPxN></sr:UpdateMPxN>`);
    expect(mpxn.answer.responseCode).toBe('E080411');
    expect(JSON.stringify([device(IHD), w.world.inventory.detailsOf(IHD)])).toBe(before);

    const del = update(CAD, '<sr:DeleteDevice/>');
    expect(del.answer.responseCode, del.finalReason ?? '').toBe('I0');
    expect(device(CAD)).toBeUndefined();
  });

  it('8.1.1 cannot commission a Type 2 device (E11): it stays Whitelisted', () => {
    const r = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(':00-DB-12-34-56-78-90-A0:', `:${dashedEui(IHD)}:`));
    expect(r.answer.responseCode).toBe('E11');
    expect(device(IHD)?.status).toBe('Whitelisted');
  });
});

describe('a comms hub and its GPF are a pair', () => {
  it('the ZAZ1 seed pairs the RTDS hub …A2 with its GPF …A3', () => {
    expect(w.world.inventory.detailsOf(HUB)?.associatedGpfEui).toBe('00DB1234567890A3');
  });

  it('12.2 refuses a hub paired with a device that is not a GPF (E120204), adding nothing', () => {
    const r = prenotify('00DB1234567890C2', 'CHF', `<sr:AssociatedGPFDeviceID>${dashedEui(ESME)}</sr:AssociatedGPFDeviceID>`);
    expect(r.answer.responseCode).toBe('E120204');
    expect(device('00DB1234567890C2')).toBeUndefined();
  });

  it('8.14.1 naming the MPAN commissions the GPF the hub was pre-notified with, and no other', () => {
    const hub = '00DB1234567890C2';
    const gpf = '00DB1234567890C3';
    expect(prenotify(gpf, 'GPF').answer.responseCode).toBe('I0');
    const pre = prenotify(hub, 'CHF', `<sr:AssociatedGPFDeviceID>${dashedEui(gpf)}</sr:AssociatedGPFDeviceID>`);
    expect(pre.answer.responseCode, pre.finalReason ?? '').toBe('I0');
    expect(w.world.inventory.detailsOf(hub)?.associatedGpfEui).toBe(gpf);

    const r = w.run('8.14.1_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A2', `<sr:DeviceID>${dashedEui(hub)}`).replace('<sr:MPxN>1000999888', `<sr:MPxN>${ZAZ1_MPAN}`));
    expect(r.answer.responseCode, r.finalReason ?? '').toBe('I0');
    expect(device(hub)).toMatchObject({ status: 'Commissioned' });
    const g = device(gpf)!;
    expect(g).toMatchObject({ status: 'Commissioned', commsHubEui: hub });
    expect(g.commissionedAt).toBe(device(hub)!.commissionedAt);
    // the seeded GPF …A3, another hub's, is left as it was
    expect(device('00DB1234567890A3')).toMatchObject({ status: 'Commissioned', commsHubEui: HUB });
  });
});
