/**
 * Firmware (11.1-11.3) from the RTDS templates on a ZAZ1 world: 11.2 reads the version as RTDS commands it,
 * 11.1 gives the meter an image (nothing is sent to it but the image), 11.3 activates it at once or at its
 * time (8F66 through alert 0x00CA) or cancels, and 11.2 then reads the new version; an image the meter does
 * not hold is not activated, and 11.1 refuses what it cannot distribute, changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeActivateFirmwareAlert, decodeActivateFirmwareCommand, decodeActivateFirmwareResponse, decodeFirmwareVersionResponse, decodeGbcsMessage,
  decodeReadAttributesResponse, encodeActivateFirmwareAlert, encodeActivateFirmwareCommand, encodeActivateFirmwareResponse, encodeFirmwareVersionResponse,
} from '../../devices/index.ts';
import { signDuis } from '../../service-requests/index.ts';
import { imageHash } from '../../service-requests/services/firmware-commands.ts';
import { prepareRequest, xmlSignerOf } from '../../src/client.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, templateXml, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

function esmeVersion(): string {
  const r = w.run('ECS52_11.2_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const b = r.deviceResponse!.body;
  if (b.kind !== 'dlms-response') throw new Error(b.kind);
  const d = b.response.data[0]!;
  if (d.type !== 'octet-string') throw new Error(d.type);
  return d.value.toString('hex').toUpperCase();
}

/** The 11.1 template's image with its version (and optionally other bytes, for a second image). */
function update(version: string, tail = '', devices = '00-DB-12-34-56-78-90-A0') {
  const image = Buffer.concat([Buffer.from(/<sr:FirmwareImage>([^<]*)</.exec(templateXml('11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML'))![1]!, 'base64'), Buffer.from(tail)]);
  const r = w.run('11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML', (x) => x
    .replace(/<sr:FirmwareImage>[^<]*</, `<sr:FirmwareImage>${image.toString('base64')}<`)
    .replace(/<sr:FirmwareVersion>[^<]*</, `<sr:FirmwareVersion>${version}<`)
    .replace(/<sr:DeviceIDList>[^<]*</, `<sr:DeviceIDList>${devices}<`));
  return { r, hash: imageHash(image).toString('hex').toUpperCase() };
}

/**
 * CS06 as RTDS commands it: everything but the payload compared as usual, and the payload field by field. Its
 * INTEGER is the originator counter (RTDS: 1000 in a command with counter 1000), which differs run to run
 * and changes the payload's length, so it is checked to be the command's counter instead.
 */
function cs06Differences(ours: Buffer, rtds: Buffer, sameHash = true): string[] {
  const out = gbcsDifferences(ours, rtds).filter((d) => !d.startsWith('payload:'));
  const a = decodeGbcsMessage(ours);
  const b = decodeGbcsMessage(rtds);
  const x = decodeActivateFirmwareCommand(a.apdu.payload);
  const y = decodeActivateFirmwareCommand(b.apdu.payload);
  if (x.counter !== a.apdu.counter || y.counter !== b.apdu.counter) out.push(`counter field: ${x.counter} (command ${a.apdu.counter}) vs ${y.counter} (command ${b.apdu.counter})`);
  if (sameHash && !x.imageHash.equals(y.imageHash)) out.push(`image hash: ${x.imageHash.toString('hex')} vs ${y.imageHash.toString('hex')}`);
  if (x.executionDateTime?.toISOString() !== y.executionDateTime?.toISOString()) out.push(`execution: ${x.executionDateTime?.toISOString()} vs ${y.executionDateTime?.toISOString()}`);
  return out;
}

const withHash = (hash: string) => (x: string) => x.replace(/<sr:FirmwareHash>[^<]*</, `<sr:FirmwareHash>${hash}<`);
const images = () => JSON.parse(w.world.store.getDeviceAppState(ESME) ?? '{}').firmware?.images ?? {};

describe('firmware codecs on the RTDS vectors', () => {
  it('CS06 and CS08 payloads decode and re-encode byte for byte', () => {
    const dir = '11.3_CS06';
    for (const f of ['IMMEDIATE', 'FUTURE_DATED', 'CANCELLATION']) {
      const c = decodeGbcsMessage(rtdsVector(dir, `CS06_11.3_${f}_SUCCESS_PRECOMMAND_GBCS.HEX`)).apdu.payload;
      expect(encodeActivateFirmwareCommand(decodeActivateFirmwareCommand(c))).toEqual(Buffer.from(c));
      const r = decodeGbcsMessage(rtdsVector(dir, `CS06_11.3_${f}_SUCCESS_RESPONSE_GBCS.HEX`)).apdu.payload;
      expect(encodeActivateFirmwareResponse(decodeActivateFirmwareResponse(r))).toEqual(Buffer.from(r));
    }
    for (const f of ['8F66_FUTURE_DATED_SUCCESS', '8F67_FUTURE_DATED_ERROR']) {
      const a = decodeGbcsMessage(rtdsVector(dir, `CS06_11.3_${f}_ALERT_GBCS.HEX`)).apdu.payload;
      expect(encodeActivateFirmwareAlert(decodeActivateFirmwareAlert(a))).toEqual(Buffer.from(a));
    }
    for (const f of ['SUCCESS', 'ERROR']) {
      const r = decodeGbcsMessage(rtdsVector('11.2_CS08', `CS08_11.2_${f}_RESPONSE_GBCS.HEX`)).apdu.payload;
      expect(encodeFirmwareVersionResponse(decodeFirmwareVersionResponse(r))).toEqual(Buffer.from(r));
    }
  });
});

describe('11.1 Update Firmware, 11.2 Read Firmware Version, 11.3 Activate Firmware', () => {
  it('11.2 reads the ESME and GSME versions as RTDS commands it, answered in the RTDS shape', () => {
    const e = w.run('ECS52_11.2_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.command!, rtdsVector('11.2_ECS52', 'ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(esmeVersion()).toBe('0123ABCD');
    const g = w.run('GCS38_11.2_SUCCESS_REQUEST_DUIS.XML');
    expect(g.final, g.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(g.command!, rtdsVector('11.2_GCS38', 'GCS38_11.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const ours = g.deviceResponse!.apdu.payload;
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(decodeGbcsMessage(rtdsVector('11.2_GCS38', 'GCS38_11.2_SUCCESS_RESPONSE_GBCS.HEX')).apdu.payload).toString('hex'));
    const b = g.deviceResponse!.body;
    if (b.kind !== 'gbz') throw new Error(b.kind);
    expect((decodeReadAttributesResponse(b.gbz.components[0]!.payload)[0]!.value!.value as Buffer).toString('hex')).toBe('0123abcd');
  });

  it('11.1 refuses devices it cannot give the image to, and distributes nothing', () => {
    expect(update('00010005', '', '00-DB-12-34-56-78-90-9F').r.answer.responseCode).toBe('E110101');
    expect(update('00010005', '', '00-DB-12-34-56-78-90-A0,00-DB-12-34-56-78-90-A2').r.answer.responseCode).toBe('E110103');
    expect(update('1.5').r.answer.responseCode).toBe('E110105');
    expect(images()).toEqual({});
  });

  it('11.3 of an image the meter does not hold is answered 1 and changes nothing (RTDS pre-command, its placeholder hash)', () => {
    const r = w.run('CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(cs06Differences(r.preCommand!, rtdsVector('11.3_CS06', 'CS06_11.3_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(cs06Differences(r.command!, rtdsVector('11.3_CS06', 'CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const b = r.deviceResponse!.body;
    if (b.kind !== 'cs06-response') throw new Error(b.kind);
    expect(b.response?.status).toBe(1);
    expect(r.deviceResponse!.apdu.dateTime).toBeDefined(); // as RTDS: CS06 responses carry the date-time
    expect(esmeVersion()).toBe('0123ABCD');
  });

  it('11.1 then 11.3 at once: the meter runs the new image and 11.2 reads its version', () => {
    const { r, hash } = update('00010005');
    expect(r.answer.responseCode, r.finalReason ?? '').toBe('I0');
    expect(r.command).toBeUndefined();
    expect(images()).toEqual({ [hash]: '00010005' });
    const a = w.run('CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', withHash(hash));
    expect(a.final, a.finalReason ?? '').toBe('I0');
    const b = a.deviceResponse!.body;
    if (b.kind !== 'cs06-response') throw new Error(b.kind);
    expect(b.response).toEqual({ status: 0, version: Buffer.from('00010005', 'hex') });
    expect(esmeVersion()).toBe('00010005');
  });

  it('11.2 reads a PPMID through the ACB (CS08 as RTDS, the supplier as SRP); 11.4 gives it an image it runs, and 11.2 reads the new version', () => {
    const asSupplier = (x: string) => x.replace('<sr:RequestID>90-B3-D5-1F-30-00-00-02:', '<sr:RequestID>90-B3-D5-1F-30-01-00-00:');
    const before = w.run('CS08_11.2_SUCCESS_REQUEST_DUIS.XML', asSupplier);
    expect(before.final, before.finalReason ?? '').toBe('I0');
    // RTDS's CS08 vector names the supplier (…30-01-00-00, counter 1000) as the supplementary remote party, as here
    expect(gbcsDifferences(before.command!, rtdsVector('11.2_CS08', 'CS08_11.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const version = (r: typeof before) => {
      const b = r.deviceResponse!.body;
      if (b.kind !== 'cs08-response') throw new Error(b.kind);
      return b.response.version.toString('hex').toUpperCase();
    };
    expect(version(before)).toBe('0123ABCD');
    const u = w.run('11.4_UPDATE_PPMID_FIRMWARE_REQUEST_DUIS.XML', (x) => x.replace(/<sr:FirmwareVersion>[^<]*</, '<sr:FirmwareVersion>00020001<'));
    expect(u.answer.responseCode, u.finalReason ?? '').toBe('I0');
    expect(version(w.run('CS08_11.2_SUCCESS_REQUEST_DUIS.XML', asSupplier))).toBe('00020001');
    expect(w.run('11.4_UPDATE_PPMID_FIRMWARE_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A4', '00-DB-12-34-56-78-90-A0')).answer.responseCode).toBe('E110403');
  });

  it('11.2 from the DCC itself, as RTDS\'s CS08 template is sent: the ACB reads the PPMID for no User (no supplementary remote party) and the DCC is told the version', () => {
    const r = w.run('CS08_11.2_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // the one difference from RTDS's vector, made for a supplier's request: other-information names no User (length 2, as GCS59's)
    expect(gbcsDifferences(r.command!, rtdsVector('11.2_CS08', 'CS08_11.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual(['other-information length: 0 vs 16']);
    const sent = decodeGbcsMessage(r.command!);
    expect([sent.apdu.originator, sent.apdu.target, sent.apdu.otherInformationExtra]).toEqual(['90B3D51F30000002', '00DB1234567890A4', undefined]);
    const b = r.deviceResponse!.body;
    if (b.kind !== 'cs08-response') throw new Error(b.kind);
    expect(b.response.status).toBe(0);
    expect(r.responses.map((x) => x.responseCode)).toContain('I0');
  });

  it('the DCC reads no meter\'s version itself (E4, nothing sent), sends no other service (E3), and a DCC request not signed with the DCC\'s own XML-signing key is refused at the signature (E1)', () => {
    const meter = w.run('CS08_11.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A4', '00-DB-12-34-56-78-90-A0'));
    expect(meter.answer.responseCode).toBe('E4');
    expect(meter.finalReason).toMatch(/the DCC sends 11\.2 itself only to a PPMID or HCALCS/);
    expect(meter.command).toBeUndefined();
    // a service the DCC does not send, from its EUI and signed by it, is refused: it is no DCC User
    const supplyStatus = w.run('ECS45_7.4_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:RequestID>[0-9A-F-]{23}:/, '<sr:RequestID>90-B3-D5-1F-30-00-00-02:'));
    expect(supplyStatus.answer.responseCode).toBe('E3');
    expect(supplyStatus.command).toBeUndefined();
    const p = prepareRequest(templateXml('CS08_11.2_SUCCESS_REQUEST_DUIS.XML'), { counter: BigInt(Date.UTC(2031, 0, 1)) });
    const bySupplier = w.dcc.handle('serviceS', Buffer.from(signDuis(p.xml, xmlSignerOf(w.world, '90B3D51F30010000'))));
    expect(bySupplier.responseCode).toBe('E1');
    expect(w.dcc.gateway.getRequest(bySupplier.requestLogId)?.failedStep).toBe('signature');
    const altered = signDuis(p.xml, xmlSignerOf(w.world, '90B3D51F30000002')).replace('00-DB-12-34-56-78-90-A4', '00-DB-12-34-56-78-90-A5');
    const tampered = w.dcc.handle('serviceS', Buffer.from(altered));
    expect(tampered.responseCode).toBe('E1');
    expect(w.dcc.gateway.getRequest(tampered.requestLogId)?.failedStep).toBe('signature');
  });

  it('11.3 future-dated is held (05 00) and cancelled by 3000-12-31; held again, it runs at its time and raises 8F66 as RTDS', () => {
    const { hash } = update('00010006', 'second image');
    const held = w.run('CS06_11.3_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', withHash(hash));
    expect(held.final, held.finalReason ?? '').toBe('I0');
    // the hash is the image's, not RTDS's placeholder
    expect(cs06Differences(held.preCommand!, rtdsVector('11.3_CS06', 'CS06_11.3_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX'), false)).toEqual([]);
    const hb = held.deviceResponse!.body;
    if (hb.kind !== 'cs06-response') throw new Error(hb.kind);
    expect(hb.response).toBeNull();
    const cancel = w.run('CS06_11.3_CANCELLATION_SUCCESS_REQUEST_DUIS.XML', withHash(hash));
    expect(cancel.final, cancel.finalReason ?? '').toBe('I0');
    expect(cs06Differences(cancel.preCommand!, rtdsVector('11.3_CS06', 'CS06_11.3_CANCELLATION_SUCCESS_PRECOMMAND_GBCS.HEX'), false)).toEqual([]);
    expect(w.world.store.pendingCommands(ESME)).toEqual([]);

    const again = w.run('CS06_11.3_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', withHash(hash));
    expect(again.final).toBe('I0');
    expect(esmeVersion()).toBe('00010005');
    w.dcc.clock.set(new Date('2030-01-15T09:00:01Z'));
    expect(w.dcc.runDueCommands()).toBe(1);
    const alerts = w.dcc.gateway.responsesFor(again.requestId).map((x) => x.body).filter((x) => x.includes('8F66'));
    expect(alerts).toHaveLength(1);
    const payload = Buffer.from(/<sr:GBCSPayload>([^<]*)</.exec(alerts[0]!)![1]!, 'base64');
    const ours = decodeGbcsMessage(payload);
    const rtds = decodeGbcsMessage(rtdsVector('11.3_CS06', 'CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX'));
    expect([ours.apdu.cra, ours.apdu.messageCode, !!ours.apdu.signature]).toEqual([rtds.apdu.cra, rtds.apdu.messageCode, !!rtds.apdu.signature]);
    if (ours.body.kind !== 'cs06-alert') throw new Error(ours.body.kind);
    expect(ours.body.alert.alertCode).toBe(0x8f66);
    expect(ours.body.alert.executionDateTime.toISOString()).toBe('2030-01-15T09:00:00.000Z');
    expect(ours.body.alert.version.toString('hex').toUpperCase()).toBe('00010006');
    expect(esmeVersion()).toBe('00010006');
  });
});
