/**
 * Installation, commissioning and the HAN from the RTDS templates on a ZAZ1 world: 6.11 and 8.1.1 set the
 * meters' clocks as RTDS commands it (ECS70, GCS28) and 8.1.1 makes the meter Commissioned only from the
 * meter's answer; the comms hub's device log (8.11 add and remove, 8.9 read) and the meters' joins (8.7, 8.8,
 * 8.9 CS07) change what the devices report, and refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeDeviceLogResponse, decodeGbcsMessage, decodeGpfLogRestoreCommand, decodeGpfLogRestoreResponse, decodeHanStatus, decodeJoinCommand, decodeSetTimeCommand, decodeSetTimeResponse, decodeUnjoinCommand,
  encodeDeviceLogResponse, encodeGpfLogRestoreCommand, encodeGpfLogRestoreResponse, encodeHanStatus, encodeJoinCommand, encodeSetTimeCommand, encodeSetTimeResponse, encodeUnjoinCommand, type DlmsData,
} from '../../devices/index.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { signDuis } from '../../service-requests/index.ts';
import { prepareRequest, xmlSignerOf } from '../../src/client.ts';
import { dashedEui } from '../../pki/index.ts';
import { conformanceWorld, gbcsDifferences, hanStatus, meterJoins, rtdsVector, templateXml, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const HUB = '00DB1234567890A2';
/** the GPF RTDS joins to the GSME (CS03B); not in the ZAZ1 inventory until pre-notified */
const GPF_9C = '00DB12345678909C';
/** the devices the ZAZ1 hub's log holds as seeded: those the inventory has behind it */
const SEEDED_LOG = ['00DB1234567890A0', '00DB1234567890A1', '00DB1234567890A3', '00DB1234567890A4', '00DB1234567890A5'];
const sorted = (a: string[]) => [...a].sort();

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

const status = (eui: string) => w.world.store.getDevice(eui)!.status;
/** the template's CurrentDateTime made the DCC's now, so the meter is inside the window */
const nowInWindow = (x: string) => x.replace(/<sr:CurrentDateTime>[^<]*</, `<sr:CurrentDateTime>${w.dcc.clock.now().toISOString()}<`);

describe('the HAN and set-time codecs on the RTDS vectors', () => {
  it('every CS03, CS04, CS07 and GCS28 payload decodes and re-encodes byte for byte', () => {
    const root = join(import.meta.dirname, '../../../shared/rtds');
    const codecs: [RegExp, (p: Buffer, cra: string) => Buffer][] = [
      [/^8\.7\./, (p, cra) => (cra === 'command' ? encodeJoinCommand(decodeJoinCommand(p)) : encodeHanStatus(decodeHanStatus(p)))],
      [/^8\.8\./, (p, cra) => (cra === 'command' ? encodeUnjoinCommand(decodeUnjoinCommand(p)) : encodeHanStatus(decodeHanStatus(p)))],
      [/^8\.9_CS07$/, (p, cra) => (cra === 'command' ? p : encodeDeviceLogResponse(decodeDeviceLogResponse(p)))],
      [/_GCS28/, (p, cra) => (cra === 'command' ? encodeSetTimeCommand(decodeSetTimeCommand(p)) : encodeSetTimeResponse(decodeSetTimeResponse(p)))],
    ];
    let n = 0;
    for (const dir of readdirSync(root)) {
      const codec = codecs.find(([re]) => re.test(dir))?.[1];
      if (!codec) continue;
      for (const f of readdirSync(join(root, dir))) {
        const m = decodeGbcsMessage(rtdsVector(dir, f));
        const p = Buffer.from(m.apdu.payload);
        expect(codec(p, m.apdu.cra).toString('hex'), `${dir}/${f}`).toBe(p.toString('hex'));
        n++;
      }
    }
    expect(n).toBe(50); // the RTDS folders 8.7.x, 8.8.x, 8.9_CS07 and *_GCS28, every file
  });
});

describe('6.11 Synchronise Clock and 8.1.1 Commission Device', () => {
  it('6.11 sets the ESME and GSME clocks with the RTDS pre-commands; the meters answer in the RTDS shape', () => {
    const e = w.run('ECS70_6.11_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(e.final, e.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const b = e.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results.map((r) => r.result)).toEqual([0, 0, 0, 0, 0]);
    const rtds = decodeGbcsMessage(rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_RESPONSE_GBCS.HEX')).body;
    if (rtds.kind !== 'dlms-response') throw new Error(rtds.kind);
    expect(b.response.data.map((d) => d.type)).toEqual(rtds.response.data.map((d) => d.type));

    const g = w.run('GCS28_6.11_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(g.final, g.finalReason ?? '').toBe('I0');
    // GCS28's payload is the two GeneralizedTimes of the window (octets 2-18 and 19-35 of the payload).
    expect(gbcsDifferences(g.preCommand!, rtdsVector('6.11_GCS28', 'GCS28_6.11_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[4, 15], [21, 15]] })).toEqual([]);
    const gb = g.deviceResponse!.body;
    if (gb.kind !== 'set-time-response') throw new Error(gb.kind);
    expect(gb.response.timeStatus).toBe(0);
  });

  it('the RTDS window itself (2014) has passed: the ESME refuses to take the time and says so', () => {
    const e = w.run('ECS70_6.11_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.command!, rtdsVector('6.11_ECS70', 'ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const b = e.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results[2]!.result).toBe(250); // adjust_to_preset_time: other reason
  });

  it('8.1.1 on a Commissioned meter is refused E5 and reaches no device', () => {
    const r = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(r.answer.responseCode).toBe('E5');
    expect(r.command).toBeUndefined();
    expect(status(ESME)).toBe('Commissioned');
  });

  it('8.1.1 commissions an installed ESME and GSME from their answers, as RTDS commands it; a second 8.1.1 is refused', () => {
    // Test set-up: the meters as installed but not commissioned (the ZAZ1 seed has them Commissioned).
    for (const eui of [ESME, GSME]) w.world.applyInventoryChange({ kind: 'update', eui, set: { status: 'InstalledNotCommissioned', commissionedAt: null } });
    // Outside the window the meter does not take the time: no commissioning.
    const late = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML');
    expect(late.final).toBe('I0');
    expect(status(ESME)).toBe('InstalledNotCommissioned');

    const e = w.run('ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(e.final, e.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('8.1.1_ECS70Commission', 'ECS70Commission_8.1.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(gbcsDifferences(e.command!, rtdsVector('8.1.1_ECS70Commission', 'ECS70Commission_8.1.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(e.deviceResponse!.apdu.signature).not.toBeNull();
    expect(status(ESME)).toBe('Commissioned');
    expect(w.world.store.getDevice(ESME)!.commissionedAt).not.toBeNull();

    const g = w.run('GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(g.final, g.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(g.preCommand!, rtdsVector('8.1.1_GCS28Commission', 'GCS28Commission_8.1.1_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[4, 15], [21, 15]] })).toEqual([]);
    expect(status(GSME)).toBe('Commissioned');

    const again = w.run('GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML', nowInWindow);
    expect(again.answer.responseCode).toBe('E5');
    expect(again.command).toBeUndefined();
  });
});

/** The EUIs a data item lists, in order (octet strings of 8 octets, depth first). */
function euisIn(d: DlmsData): string[] {
  if (d.type === 'octet-string') return d.value.length === 8 ? [d.value.toString('hex').toUpperCase()] : [];
  if (d.type === 'array' || d.type === 'structure') return d.items.flatMap(euisIn);
  return [];
}

/** The EUIs of a PAN backup { time, extended PAN id, array { EUI, hashed link key } } (CCS07, CS14). */
function backupEuis(d: DlmsData): string[] {
  if (d.type !== 'structure') throw new Error(d.type);
  return euisIn(d.items[2]!);
}

function hubLog(): string[] {
  const r = w.run('CCS05CCS04_8.9_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const b = r.deviceResponse!.body;
  if (b.kind !== 'dlms-response') throw new Error(b.kind);
  return euisIn(b.response.data[0]!);
}



describe('the comms hub device log (8.11, 8.9) and HAN joins (8.7, 8.8, 8.9 CS07)', () => {
  it('8.11 adds the ESME to the hub log as RTDS commands it (ACB for the supplier); the hub raises CS14 with its log', () => {
    expect(sorted(hubLog())).toEqual(SEEDED_LOG);
    const r = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.command!, rtdsVector('8.11_CCS01', 'CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const alert = r.responses.find((x) => x.body.kind === 'DeviceAlertMessage');
    expect(alert, 'a CS14 device alert passed on to the supplier').toBeDefined();
    if (alert!.body.kind !== 'DeviceAlertMessage') throw new Error(alert!.body.kind);
    expect(alert!.body.alertCode).toBe('8F12');
    const ours = decodeGbcsMessage(alert!.body.gbcsPayload);
    const rtds = decodeGbcsMessage(rtdsVector('NA_CS14', 'CS14_NA_8F12_ALERT_GBCS.HEX'));
    expect([ours.apdu.cra, ours.apdu.messageCode, ours.apdu.originator, ours.apdu.target, !!ours.mac]).toEqual([rtds.apdu.cra, rtds.apdu.messageCode, rtds.apdu.originator, rtds.apdu.target, !!rtds.mac]);
    if (ours.body.kind !== 'dlms-notification' || rtds.body.kind !== 'dlms-notification') throw new Error('not a data-notification');
    const body = ours.body.notification.body;
    if (body.type !== 'structure') throw new Error(body.type);
    expect(sorted(backupEuis(body.items[2]!))).toEqual(SEEDED_LOG);
    const shape = (d: DlmsData): unknown => (d.type === 'structure' || d.type === 'array' ? [d.type, d.items.slice(0, 1).map(shape)] : d.type);
    expect(shape(ours.body.notification.body)).toEqual(shape(rtds.body.notification.body));
    expect(hubLog().at(-1)).toBe(ESME); // added again: its entry renewed
  });

  it('8.9 reads the log as RTDS commands it (CCS05/CCS04, CCS07 with the hashed link keys)', () => {
    const r = w.run('CCS05CCS04_8.9_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(r.command!, rtdsVector('8.9_CCS05CCS04', 'CCS05CCS04_8.9_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const rtds = decodeGbcsMessage(rtdsVector('8.9_CCS05CCS04', 'CCS05CCS04_8.9_SUCCESS_RESPONSE_GBCS.HEX')).body;
    const ours = r.deviceResponse!.body;
    if (ours.kind !== 'dlms-response' || rtds.kind !== 'dlms-response') throw new Error('not a DLMS response');
    const row = (d: DlmsData) => (d.type === 'array' && d.items[0]?.type === 'structure' ? d.items[0].items.map((x) => x.type) : []);
    expect(row(ours.response.data[0]!)).toEqual(row(rtds.response.data[0]!));

    const s = w.run('CCS07_8.9_SUCCESS_REQUEST_DUIS.XML');
    expect(s.final, s.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(s.command!, rtdsVector('8.9_CCS07', 'CCS07_8.9_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const b = s.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results.map((x) => x.result)).toEqual([0, 0]);
    expect(sorted(backupEuis(b.response.data[0]!))).toEqual(SEEDED_LOG);
  });

  it('8.11 removes it (CCS02 as RTDS); the log no longer has it, the historic log does', () => {
    const r = w.run('CCS02_8.11_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.command!, rtdsVector('8.11_CCS02', 'CCS02_8.11_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const b = r.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(b.response.results[0]!.result).toBe(0);
    expect(sorted(hubLog())).toEqual(SEEDED_LOG.filter((e) => e !== ESME));
    const log = JSON.parse(w.world.store.getDeviceAppState(HUB)!).chfDeviceLog;
    expect(log.historic.map((h: { eui: string }) => h.eui)).toEqual([ESME]);
  });

  it('8.11 refuses a device not in the inventory, and a Remove of a device not in this log, changing nothing', () => {
    const unknown = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', '<sr:DeviceID>00-DB-12-34-56-78-90-9C'));
    expect(unknown.answer.responseCode).toBe('E081101');
    expect(unknown.command).toBeUndefined();
    const notThere = w.run('CCS02_8.11_SUCCESS_REQUEST_DUIS.XML');
    expect(notThere.answer.responseCode).toBe('E081105');
    expect(sorted(hubLog())).toEqual(SEEDED_LOG.filter((e) => e !== ESME));
  });

  it('8.11 refuses a comms hub as the device (E081104) and a supplier that is not the device\'s (E081102); nothing reaches the hub', () => {
    const hub = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', '<sr:DeviceID>00-DB-12-34-56-78-90-A2'));
    expect(hub.answer.responseCode).toBe('E081104');
    expect(hub.command).toBeUndefined();
    const other = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:RequestID>90-B3-D5-1F-30-01-00-00:', '<sr:RequestID>90-B3-D5-1F-30-03-00-00:'));
    expect(other.answer.responseCode).toBe('E081102');
    expect(other.command).toBeUndefined();
    expect(sorted(hubLog())).toEqual(SEEDED_LOG.filter((e) => e !== ESME));
  });

  it('8.7.2 refuses a GPF that is unknown or not in the hub log (E080702, E080722), then joins it once pre-notified and added (CS03B as RTDS)', () => {
    const unknown = w.run('CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(unknown.answer.responseCode).toBe('E080702');
    expect(unknown.command).toBeUndefined();
    const pre = w.run('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', (x) => x
      .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', '<sr:DeviceID>00-DB-12-34-56-78-90-9C').replace('<sr:DeviceType>ESME', '<sr:DeviceType>GPF')
      .replace(/<sr:ESMEVariant>[^<]*<\/sr:ESMEVariant>/, ''));
    expect(pre.answer.responseCode, pre.finalReason ?? '').toBe('I0');
    const notInLog = w.run('CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(notInLog.answer.responseCode).toBe('E080722');
    expect(meterJoins(w, GSME)).toEqual([]);

    const add = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${dashedEui(GPF_9C)}`)
      .replace(/<sr:ImportMPxN>[\s\S]*?<\/sr:SecondaryImportMPAN>/, ''));
    expect(add.final, add.finalReason ?? '').toBe('I0');
    expect(status(GPF_9C)).toBe('Whitelisted');
    expect(w.world.store.getDevice(GPF_9C)!.commsHubEui).toBe(HUB);

    const j = w.run('CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(j.final, j.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(j.command!, rtdsVector('8.7.2_CS03B', 'CS03B_8.7.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(j)).toBe(0);
    expect(meterJoins(w, GSME)).toEqual([{ eui: GPF_9C, type: 3 }]);
    // A device that has left service joins nothing (E080723): the GPF suspended for a moment, then back.
    w.world.applyInventoryChange({ kind: 'update', eui: GPF_9C, set: { status: 'Suspended' } });
    const suspended = w.run('CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(suspended.answer.responseCode).toBe('E080723');
    expect(suspended.command).toBeUndefined();
    w.world.applyInventoryChange({ kind: 'update', eui: GPF_9C, set: { status: 'Whitelisted' } });
  });

  it('8.9 CS07 reads the GSME joins as RTDS commands it; 8.8.2 unjoins the GPF (CS04B as RTDS, status 1 when not joined)', () => {
    const r = w.run('CS07_8.9_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(r.command!, rtdsVector('8.9_CS07', 'CS07_8.9_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const notJoined = w.run('CS04B_8.8.2_SUCCESS_REQUEST_DUIS.XML');
    expect(notJoined.final, notJoined.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(notJoined.command!, rtdsVector('8.8.2_CS04B', 'CS04B_8.8.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(notJoined)).toBe(1);
    const u = w.run('CS04B_8.8.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('01-02-03-04-05-06-07-08', dashedEui(GPF_9C)));
    expect(hanStatus(u)).toBe(0);
    expect(meterJoins(w, GSME)).toEqual([]);
  });

  it('8.7.1 joins an HCALCS to the ESME (CS03A1) and the ESME to an HCALCS (CS03A2), as RTDS commands them, once each is in the hub log', () => {
    const unknown = w.run('CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML');
    expect(unknown.answer.responseCode).toBe('E080702');
    // The ESME back in the hub's log (removed above), and RTDS's HCALCS …9A and ESME …93, pre-notified and added to it
    expect(w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    for (const [eui, type] of [['00-DB-12-34-56-78-90-9A', 'HCALCS'], ['00-DB-12-34-56-78-90-93', 'ESME']]) {
      const pre = w.run('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${eui}`)
        .replace('<sr:DeviceType>ESME', `<sr:DeviceType>${type}`).replace(type === 'ESME' ? /$^/ : /<sr:ESMEVariant>[^<]*<\/sr:ESMEVariant>/, ''));
      expect(pre.answer.responseCode, pre.finalReason ?? '').toBe('I0');
      const add = w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${eui}`)
        .replace(/<sr:ImportMPxN>[\s\S]*?<\/sr:SecondaryImportMPAN>/, ''));
      expect(add.final, add.finalReason ?? '').toBe('I0');
    }
    const a1 = w.run('CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML');
    expect(a1.final, a1.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(a1.preCommand!, rtdsVector('8.7.1_CS03A1', 'CS03A1_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(a1)).toBe(0);
    expect(meterJoins(w, ESME)).toEqual([{ eui: '00DB12345678909A', type: 4 }]);
    const a2 = w.run('CS03A2Critical_8.7.1_SUCCESS_REQUEST_DUIS.XML');
    expect(a2.final, a2.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(a2.preCommand!, rtdsVector('8.7.1_CS03A2Critical', 'CS03A2Critical_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(gbcsDifferences(a2.command!, rtdsVector('8.7.1_CS03A2Critical', 'CS03A2Critical_8.7.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(a2)).toBe(0);
  });

  it('8.7.2 and 8.8.2 to the PPMID go from the ACB, signed, as RTDS sends them (CS03A2NonCritical, CS04ACNonCritical)', () => {
    const j = w.run('CS03A2NonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(j.final, j.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(j.command!, rtdsVector('8.7.2_CS03A2NonCritical', 'CS03A2NonCritical_8.7.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(decodeGbcsMessage(j.command!).apdu.signature).not.toBeNull();
    expect(hanStatus(j)).toBe(0);
    const none = w.run('CS04ACNonCritical_8.8.2_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(none.command!, rtdsVector('8.8.2_CS04ACNonCritical', 'CS04ACNonCritical_8.8.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(none)).toBe(1);
    const u = w.run('CS04ACNonCritical_8.8.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('01-02-03-04-05-06-07-08', '00-DB-12-34-56-78-90-93'));
    expect(hanStatus(u)).toBe(0);
  });

  it('method C: the GSME joins a PPMID (CS03CCritical) and the PPMID a GSME (CS03CNonCritical, from the ACB), each given the other\'s certificate', () => {
    for (const [eui, type] of [['00-DB-12-34-56-78-90-98', 'PPMID'], ['00-DB-12-34-56-78-90-94', 'GSME']]) {
      const pre = w.run('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${eui}`)
        .replace('<sr:DeviceType>ESME', `<sr:DeviceType>${type}`).replace(/<sr:ESMEVariant>[^<]*<\/sr:ESMEVariant>/, ''));
      expect(pre.answer.responseCode, pre.finalReason ?? '').toBe('I0');
      expect(w.run('CCS01_8.11_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${eui}`)
        .replace(/<sr:ImportMPxN>[\s\S]*?<\/sr:SecondaryImportMPAN>/, '')).final).toBe('I0');
    }
    /** As RTDS but the certificate: ours is the SMKI repository's for that device, RTDS's another CA's. */
    const joinDifferences = (ours: Buffer, rtds: Buffer) => {
      const out = gbcsDifferences(ours, rtds).filter((d) => !d.startsWith('payload:'));
      const [a, b] = [ours, rtds].map((m) => decodeJoinCommand(decodeGbcsMessage(m).apdu.payload));
      if (a!.method !== b!.method || a!.otherEui !== b!.otherEui || a!.otherType !== b!.otherType || !a!.certificate) out.push(`join: ${JSON.stringify([a!.method, a!.otherEui, a!.otherType])} vs ${JSON.stringify([b!.method, b!.otherEui, b!.otherType])}`);
      return out;
    };
    const c = w.run('CS03CCritical_8.7.1_SUCCESS_REQUEST_DUIS.XML');
    expect(c.final, c.finalReason ?? '').toBe('I0');
    expect(joinDifferences(c.preCommand!, rtdsVector('8.7.1_CS03CCritical', 'CS03CCritical_8.7.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(c)).toBe(0);
    const n = w.run('CS03CNonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML');
    expect(n.final, n.finalReason ?? '').toBe('I0');
    expect(joinDifferences(n.command!, rtdsVector('8.7.2_CS03CNonCritical', 'CS03CNonCritical_8.7.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(n)).toBe(0);
    expect(meterJoins(w, GSME)).toContainEqual({ eui: '00DB123456789098', type: 5 });
  });

  it('8.7.1 refuses what cannot join critically, and 8.8.1 sends CS04AC as RTDS', () => {
    const gpfToEsme = w.run('CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-9A', dashedEui(GPF_9C)));
    expect(gpfToEsme.answer.responseCode).toBe('E080721');
    expect(gpfToEsme.command).toBeUndefined();
    expect(meterJoins(w, ESME)).toEqual([{ eui: '00DB12345678909A', type: 4 }]); // the HCALCS joined above, nothing more

    const u = w.run('CS04ACCritical_8.8.1_SUCCESS_REQUEST_DUIS.XML');
    expect(u.final, u.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(u.preCommand!, rtdsVector('8.8.1_CS04ACCritical', 'CS04ACCritical_8.8.1_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(hanStatus(u)).toBe(1);
  });
});

describe('8.12.1 Restore HAN Device Log', () => {
  it('a replacement hub takes the old hub\'s log (CCS03 from the ACB, as RTDS commands it) and reports it (CS14); refusals reach no hub', () => {
    const NEW_HUB = '00-DB-12-34-56-78-90-95';
    const toNewHub = (x: string) => x.replace(/(<sr:RequestID>[^<]*:)00-DB-12-34-56-78-90-A2(:)/, `$1${NEW_HUB}$2`).replace(/<sr:OldCHFID>[^<]*</, '<sr:OldCHFID>00-DB-12-34-56-78-90-A2<');
    const unknown = w.run('CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML');
    expect(unknown.answer.responseCode).toBe('E081202');
    expect(unknown.command).toBeUndefined();
    const pre = w.run('12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0', `<sr:DeviceID>${NEW_HUB}`)
      .replace('<sr:DeviceType>ESME', '<sr:DeviceType>CHF').replace(/<sr:ESMEVariant>[^<]*<\/sr:ESMEVariant>/, ''));
    expect(pre.answer.responseCode, pre.finalReason ?? '').toBe('I0');
    const installed = w.run('8.14.1_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace('<sr:DeviceID>00-DB-12-34-56-78-90-A2', `<sr:DeviceID>${NEW_HUB}`).replace(/<sr:MPxN>[^<]*</, '<sr:MPxN>1312345678333<'));
    expect(installed.answer.responseCode, installed.finalReason ?? '').toBe('I0');
    const itself = w.run('CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML', (x) => toNewHub(x).replace(/<sr:OldCHFID>[^<]*</, `<sr:OldCHFID>${NEW_HUB}<`));
    expect(itself.answer.responseCode).toBe('E081204');

    const oldLog = hubLog();
    const r = w.run('CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML', toNewHub);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // The hub and the log differ from RTDS's (another hub, other devices): the command is the same access, the data the same shape.
    expect(gbcsDifferences(r.command!, rtdsVector('8.12.1_CCS03', 'CCS03_8.12.1_SUCCESS_COMMAND_GBCS.HEX'), { addresses: false }).filter((d) => !d.startsWith('data 1'))).toEqual([]);
    const ours = decodeGbcsMessage(r.command!).body;
    if (ours.kind !== 'dlms-request') throw new Error(ours.kind);
    expect(backupEuis(dlmsStructure(ours.request.data[0]!, oldLog.length))).toEqual(oldLog);
    expect(r.responses.some((x) => x.body.kind === 'DeviceAlertMessage' && x.body.alertCode === '8F12')).toBe(true);
    const read = w.run('CCS05CCS04_8.9_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/(<sr:RequestID>[^<]*:)00-DB-12-34-56-78-90-A2(:)/, `$1${NEW_HUB}$2`));
    const b = read.deviceResponse!.body;
    if (b.kind !== 'dlms-response') throw new Error(b.kind);
    expect(euisIn(b.response.data[0]!)).toEqual(oldLog);
  });
});

describe('8.12.2 Restore GPF Device Log', () => {
  const GCS59 = 'GCS59_8.12.2_SUCCESS_REQUEST_DUIS.XML';
  const vector = (f: 'COMMAND' | 'RESPONSE') => rtdsVector('8.12.2_GCS59', `GCS59_8.12.2_SUCCESS_${f}_GBCS.HEX`);
  const GPF = '00DB1234567890A3';
  const OLD_GPF = '00DB1234567890B3';
  /** what RTDS's vector restores: a PPMID and a Type 2 device */
  const RESTORED = [{ eui: '0011223344556677', type: 5 }, { eui: '8899AABBCCDDEEFF', type: 6 }];
  const joinedToGpf = () => (JSON.parse(w.world.store.getDeviceAppState(GPF) ?? '{}').han?.joined ?? []) as { eui: string; type: number }[];

  it('RTDS\'s GCS59 command and response decode and re-encode byte for byte', () => {
    const c = Buffer.from(decodeGbcsMessage(vector('COMMAND')).apdu.payload);
    expect(decodeGpfLogRestoreCommand(c)).toEqual(RESTORED);
    expect(encodeGpfLogRestoreCommand(decodeGpfLogRestoreCommand(c)).equals(c)).toBe(true);
    const r = Buffer.from(decodeGbcsMessage(vector('RESPONSE')).apdu.payload);
    expect(decodeGpfLogRestoreResponse(r)).toEqual(RESTORED.map((entry) => ({ entry, status: 0 })));
    expect(encodeGpfLogRestoreResponse(decodeGpfLogRestoreResponse(r)).equals(r)).toBe(true);
  });

  it('from the DCC itself, as RTDS sends it: GPF …A3 takes the old GPF\'s log (GCS59 from the ACB as RTDS\'s, naming no User) and answers as RTDS\'s; refusals reach no GPF', () => {
    const unknown = w.run(GCS59);
    expect(unknown.answer.responseCode).toBe('E081202');
    expect(unknown.command).toBeUndefined();
    const notGpf = w.run(GCS59, (x) => x.replace(/<sr:OldGPFID>[^<]*</, '<sr:OldGPFID>00-DB-12-34-56-78-90-A1<'));
    expect(notGpf.answer.responseCode).toBe('E081204');
    const itself = w.run(GCS59, (x) => x.replace(/<sr:OldGPFID>[^<]*</, '<sr:OldGPFID>00-DB-12-34-56-78-90-A3<'));
    expect(itself.answer.responseCode).toBe('E081204');
    expect(joinedToGpf()).toEqual([]);

    // the replaced GPF, and its log as the DCC has it from its GCS62 backups
    w.world.applyInventoryChange({ kind: 'add', device: { eui: OLD_GPF, type: 'GPF', status: 'Commissioned', manufacturer: 'RTDS', model: 'RTDS GPF', firmware: '0001', addedBy: '90B3D51F30010000' } });
    w.world.store.putDeviceAppState(OLD_GPF, JSON.stringify({ han: { joined: RESTORED } }));
    const r = w.run(GCS59);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.command!, vector('COMMAND'))).toEqual([]);
    const answered = r.deviceResponse!;
    expect(Buffer.from(answered.apdu.payload).equals(Buffer.from(decodeGbcsMessage(vector('RESPONSE')).apdu.payload))).toBe(true);
    expect(joinedToGpf()).toEqual(RESTORED);
  });

  it('from the gas supplier the ACB names it as the supplementary remote party; a network operator is refused (E2), and a DCC request signed by another (E1)', () => {
    const bySupplier = w.run(GCS59, (x) => x.replace('<sr:RequestID>90-B3-D5-1F-30-00-00-02', '<sr:RequestID>90-B3-D5-1F-30-01-00-00'));
    expect(bySupplier.final, bySupplier.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(bySupplier.command!, vector('COMMAND'))).toEqual(['other-information length: 16 vs 0']);
    expect(decodeGbcsMessage(bySupplier.command!).apdu.otherInformationExtra!.subarray(0, 8).toString('hex').toUpperCase()).toBe('90B3D51F30010000');
    const byNo = w.run(GCS59, (x) => x.replace('<sr:RequestID>90-B3-D5-1F-30-00-00-02', '<sr:RequestID>90-B3-D5-1F-30-02-00-00'));
    expect(byNo.answer.responseCode).toBe('E2');
    expect(byNo.command).toBeUndefined();
    const p = prepareRequest(templateXml(GCS59), { counter: BigInt(Date.UTC(2031, 0, 1)) });
    const forged = w.dcc.handle('serviceS', Buffer.from(signDuis(p.xml, xmlSignerOf(w.world, '90B3D51F30010000'))));
    expect(forged.responseCode).toBe('E1');
    expect(w.dcc.gateway.getRequest(forged.requestLogId)?.failedStep).toBe('signature');
  });
});

/** CCS03's { extended PAN id, array } as a PAN backup's { time, PAN id, array } for backupEuis. */
function dlmsStructure(d: DlmsData, n: number): DlmsData {
  if (d.type !== 'structure' || d.items.length !== 2) throw new Error('not { PAN id, array }');
  const list = d.items[1]!;
  if (list.type !== 'array' || list.items.length !== n) throw new Error(`expected ${n} entries`);
  return { type: 'structure', items: [{ type: 'null' }, d.items[0]!, list] };
}
