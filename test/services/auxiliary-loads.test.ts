/**
 * Auxiliary loads (7.5-7.15) from the RTDS templates on a ZAZ1 world: each GBCS command equals its RTDS vector
 * (counters and date-times aside), the ESME answers in the RTDS shape, and what the switches do shows in the
 * reads: an activated switch reads on until its duration ends or it is reset, a deactivated one off; the boost
 * button boosts the switches added and not those removed; a controller's commanded level shows in its
 * operational data for its period only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

function response(m: GbcsMessage | undefined): { data: DlmsData[]; results: number[] } {
  if (m?.body.kind !== 'dlms-response') throw new Error(`not a DLMS response: ${m?.body.kind}`);
  return { data: m.body.response.data, results: m.body.response.results.map((r) => r.result) };
}

const rtds = (dir: string, file: string) => response(decodeGbcsMessage(rtdsVector(dir, file)));
const types = (r: { data: DlmsData[] }) => r.data.map((d) => d.type);

/** The five switches' output states (7.7, the last five items). */
function switches(): boolean[] {
  const r = w.run('ECS61a_7.7_ALL_OPTIONALS_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  return response(r.deviceResponse).data.slice(12).map((d) => (d.type === 'boolean' ? d.value : (() => { throw new Error(d.type); })()));
}

/** The boost button's members (7.11, the last five items). */
function boosted(): boolean[] {
  const r = w.run('ECS61c_7.11_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  return response(r.deviceResponse).data.slice(2).map((d) => d.type === 'boolean' && d.value);
}

/** Controller n's operational data (7.15). */
function operational(n: number): unknown {
  const r = w.run('ECS61e_7.15_SUCCESS_REQUEST_DUIS.XML');
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const d = response(r.deviceResponse).data[4 + n]!;
  if (d.type !== 'utf8-string') throw new Error(d.type);
  return JSON.parse(d.value.toString('utf8'));
}

const index = (from: number, to: number) => (x: string) => x.replace(`index="${from}"`, `index="${to}"`);
/** the RTDS 7.13 period (2015) moved to the hour from now */
const periodFromNow = (x: string) => x
  .replace(/<sr:StartDateTime>[^<]+/, `<sr:StartDateTime>${w.dcc.clock.now().toISOString()}`)
  .replace(/<sr:EndDateTime>[^<]+/, `<sr:EndDateTime>${new Date(w.dcc.clock.now().getTime() + 3_600_000).toISOString()}`);

describe('the reads, as RTDS asks them', () => {
  it('7.7, 7.11 and 7.15 send the RTDS commands and answer with the RTDS types', () => {
    const a = w.run('ECS61a_7.7_ALL_OPTIONALS_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(a.command!, rtdsVector('7.7_ECS61a', 'ECS61a_7.7_ALL_OPTIONALS_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const ra = rtds('7.7_ECS61a', 'ECS61a_7.7_ALL_OPTIONALS_SUCCESS_RESPONSE_GBCS.HEX');
    expect(types(response(a.deviceResponse))).toEqual(types(ra));
    expect(response(a.deviceResponse).results).toEqual(ra.results);
    const c = w.run('ECS61c_7.11_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(c.command!, rtdsVector('7.11_ECS61c', 'ECS61c_7.11_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(types(response(c.deviceResponse))).toEqual(types(rtds('7.11_ECS61c', 'ECS61c_7.11_SUCCESS_RESPONSE_GBCS.HEX')));
    const e = w.run('ECS61e_7.15_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(e.command!, rtdsVector('7.15_ECS61e', 'ECS61e_7.15_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(types(response(e.deviceResponse))).toEqual(types(rtds('7.15_ECS61e', 'ECS61e_7.15_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(switches()).toEqual([false, false, false, false, false]);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 0 });
  });

  it('7.14 goes from the DCC\'s ACB for the supplier, as RTDS, and answers with the RTDS types', () => {
    const r = w.run('ECS61d_7.14_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    const vector = rtdsVector('7.14_ECS61d', 'ECS61d_7.14_SUCCESS_COMMAND_GBCS.HEX');
    // The other-information carries the supplier's counter, which the comparison sees only as its length.
    expect(gbcsDifferences(r.command!, vector)).toEqual([]);
    const ours = decodeGbcsMessage(r.command!).apdu.otherInformationExtra!;
    expect(ours.subarray(0, 8).toString('hex').toUpperCase()).toBe('90B3D51F30010000');
    const rs = response(r.deviceResponse);
    expect(types(rs)).toEqual(types(rtds('7.14_ECS61d', 'ECS61d_7.14_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(rs.results.every((x) => x === 0)).toBe(true);
  });
});

describe('7.5, 7.6, 7.8 auxiliary load switches', () => {
  it('7.5 switches 1 on for 30 minutes, as RTDS commands it; then it is off again', () => {
    const r = w.run('ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('7.5_ECS47Activate', 'ECS47Activate_7.5_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(response(r.deviceResponse).results).toEqual(rtds('7.5_ECS47Activate', 'ECS47Activate_7.5_SUCCESS_RESPONSE_GBCS.HEX').results);
    expect(switches()).toEqual([true, false, false, false, false]);
    w.dcc.clock.advance(31 * 60_000);
    expect(switches()).toEqual([false, false, false, false, false]);
  });

  it('7.6 switches 3 off over its activation, as RTDS commands it; 7.8 resets switch 5 to its schedule', () => {
    w.run('ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML', index(1, 3));
    expect(switches()).toEqual([false, false, true, false, false]);
    const d = w.run('ECS47Deactivate_7.6_SUCCESS_REQUEST_DUIS.XML');
    expect(d.final, d.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(d.preCommand!, rtdsVector('7.6_ECS47Deactivate', 'ECS47Deactivate_7.6_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(switches()).toEqual([false, false, false, false, false]);
    w.run('ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML', index(1, 5));
    expect(switches()[4]).toBe(true);
    const r = w.run('ECS47Reset_7.8_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('7.8_ECS47Reset', 'ECS47Reset_7.8_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(response(r.deviceResponse).results).toEqual(rtds('7.8_ECS47Reset', 'ECS47Reset_7.8_SUCCESS_RESPONSE_GBCS.HEX').results);
    expect(switches()).toEqual([false, false, false, false, false]);
  });

  it('a switch command to the GSME is refused E11 and reaches no device', () => {
    const r = w.run('ECS47Activate_7.5_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A0', '00-DB-12-34-56-78-90-A1'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.preCommand).toBeUndefined();
  });
});

describe('7.9, 7.10 the boost button', () => {
  it('7.9 adds the five switches and 7.10 removes them, each as RTDS commands it', () => {
    expect(boosted()).toEqual([false, false, false, false, false]);
    const a = w.run('ECS62Add_7.9_SUCCESS_REQUEST_DUIS.XML');
    expect(a.final, a.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(a.command!, rtdsVector('7.9_ECS62Add', 'ECS62Add_7.9_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(response(a.deviceResponse).results).toEqual(rtds('7.9_ECS62Add', 'ECS62Add_7.9_SUCCESS_RESPONSE_GBCS.HEX').results);
    expect(boosted()).toEqual([true, true, true, true, true]);
    // Removing only switch 2: the others stay.
    w.run('ECS62Remove_7.10_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/(index="[1345]">)true/g, '$1false'));
    expect(boosted()).toEqual([true, false, true, true, true]);
    const r = w.run('ECS62Remove_7.10_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(r.command!, rtdsVector('7.10_ECS62Remove', 'ECS62Remove_7.10_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(boosted()).toEqual([false, false, false, false, false]);
  });
});

describe('7.12 randomised offset, 7.13 auxiliary controllers', () => {
  it('7.12 sets the randomised offset limit as RTDS commands it', () => {
    const r = w.run('ECS38_7.12_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('7.12_ECS38', 'ECS38_7.12_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(response(r.deviceResponse).results).toEqual(rtds('7.12_ECS38', 'ECS38_7.12_SUCCESS_RESPONSE_GBCS.HEX').results);
    const app = JSON.parse(w.world.store.getDeviceAppState('00DB1234567890A0')!) as { dlms: Record<string, string> };
    expect(app.dlms['1/00005E2C0001/2']).toBe('120384'); // long-unsigned 900
  });

  it('7.13: the four RTDS commands, and levels that show for their period only', () => {
    for (const [name, dir] of [['ALCS_ACTIVATE', 'ALCS_ACTIVATE'], ['ALCS_DEACTIVATE', 'ALCS_DEACTIVATE'], ['APC_INPUT', 'APC_INPUT'], ['APC_OUTPUT', 'APC_OUTPUT']] as const) {
      const r = w.run(`ECS47a_7.13_${name}_SUCCESS_REQUEST_DUIS.XML`);
      expect(r.final, `${name}: ${r.finalReason ?? ''}`).toBe('I0');
      expect(gbcsDifferences(r.preCommand!, rtdsVector('7.13_ECS47a', `ECS47a_7.13_${dir}_SUCCESS_PRECOMMAND_GBCS.HEX`))).toEqual([]);
      expect(response(r.deviceResponse).results).toEqual(rtds('7.13_ECS47a', `ECS47a_7.13_${dir}_SUCCESS_RESPONSE_GBCS.HEX`).results);
    }
    // The RTDS periods are in 2015: nothing shows now.
    expect(operational(3)).toEqual({ outputState: 0, inputState: 0 });
    w.run('ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', periodFromNow);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 50 });
    w.run('ECS47a_7.13_ALCS_ACTIVATE_SUCCESS_REQUEST_DUIS.XML', periodFromNow);
    expect(operational(5)).toEqual({ outputState: 100, inputState: 0 });
    expect(switches()).toEqual([false, false, false, false, true]);
    w.dcc.clock.advance(61 * 60_000);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 0 });
    expect(switches()).toEqual([false, false, false, false, false]);
  });
});

describe('7.16 the load controller limits an APC (ECS47e; ECS101 and ECS102 to the supplier)', () => {
  it('sends the RTDS commands from the ZAZ1 Load Controller, signed with its key; the ESME answers as RTDS', () => {
    for (const name of ['APC_INPUT', 'APC_OUTPUT'] as const) {
      const r = w.run(`ECS47e_7.16_${name}_SUCCESS_REQUEST_DUIS.XML`);
      expect(r.final, `${name}: ${r.finalReason ?? ''}`).toBe('I0');
      expect(gbcsDifferences(r.preCommand!, rtdsVector('7.16_ECS47e', `ECS47e_7.16_${name}_SUCCESS_PRECOMMAND_GBCS.HEX`))).toEqual([]);
      expect(gbcsDifferences(r.command!, rtdsVector('7.16_ECS47e', `ECS47e_7.16_${name}_SUCCESS_COMMAND_GBCS.HEX`))).toEqual([]);
      expect(response(r.deviceResponse).results).toEqual(rtds('7.16_ECS47e', `ECS47e_7.16_${name}_SUCCESS_RESPONSE_GBCS.HEX`).results);
    }
  });

  it('the ESME tells the supplier what the load controller set: ECS101 (8F86), signed, as RTDS', () => {
    // RTDS's ECS101 input alert reports controller 3's input limited to 100
    const r = w.run('ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:CommandedStateLevel>50', '<sr:CommandedStateLevel>100'));
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // (the 2015 limits of the first test are over: this command also finds them ended, ECS102)
    const alert = r.responses.find((x) => x.body.kind === 'DeviceAlertMessage' && x.body.alertCode === '8F86');
    expect(alert, 'an ECS101 device alert passed on to the supplier').toBeDefined();
    if (alert!.body.kind !== 'DeviceAlertMessage') throw new Error(alert!.body.kind);
    expect(alert!.body.alertCode).toBe('8F86');
    const ours = decodeGbcsMessage(alert!.body.gbcsPayload);
    const rtds = decodeGbcsMessage(rtdsVector('NA_ECS101', 'ECS101_NA_8F86_INPUT_ALERT_GBCS.HEX'));
    const facts = (m: GbcsMessage) => [m.apdu.cra, m.apdu.messageCode, m.apdu.originator, m.apdu.target, !!m.apdu.signature, !!m.mac];
    expect(facts(ours)).toEqual(facts(rtds));
    // the data-notification: alert code, time, controller byte (0x2n input), period, level; the times aside, as RTDS
    const items = (m: GbcsMessage) => {
      if (m.body.kind !== 'dlms-notification' || m.body.notification.body.type !== 'structure') throw new Error(m.body.kind);
      return m.body.notification.body.items.map((d) => (d.type === 'octet-string' ? 'date-time' : d));
    };
    expect(items(ours)).toEqual(items(rtds));
  });

  it('a limit holds the supplier\'s commanded level down for its period only', () => {
    // The supplier commands controller 3's input to 50 for the next hour (7.13); the load controller limits it to 20 (7.16).
    w.run('ECS47a_7.13_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', periodFromNow);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 50 });
    const now = w.dcc.clock.now();
    const r = w.run('ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace(/<sr:StartDateTime>[^<]+/, `<sr:StartDateTime>${now.toISOString()}`)
      .replace(/<sr:EndDateTime>[^<]+/, `<sr:EndDateTime>${new Date(now.getTime() + 30 * 60_000).toISOString()}`)
      .replace('<sr:CommandedStateLevel>50', '<sr:CommandedStateLevel>20'));
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(operational(3)).toEqual({ outputState: 0, inputState: 20 });
    // After the limit's half hour the supplier's level shows again, until its own hour ends; the next command to
    // reach the ESME finds the limit over, and the ESME tells the supplier (ECS102, 8F87, signed) as RTDS.
    w.dcc.clock.advance(31 * 60_000);
    const next = w.run('ECS61e_7.15_SUCCESS_REQUEST_DUIS.XML');
    const ended = next.responses.find((x) => x.body.kind === 'DeviceAlertMessage' && x.body.alertCode === '8F87');
    if (ended?.body.kind !== 'DeviceAlertMessage') throw new Error('no ECS102 alert');
    expect(ended.body.alertCode).toBe('8F87');
    const ours = decodeGbcsMessage(ended.body.gbcsPayload);
    const rtds = decodeGbcsMessage(rtdsVector('NA_ECS102', 'ECS102_NA_8F87_INPUT_ALERT_GBCS.HEX'));
    expect([ours.apdu.messageCode, ours.apdu.target, !!ours.apdu.signature]).toEqual([rtds.apdu.messageCode, rtds.apdu.target, !!rtds.apdu.signature]);
    const values = (m: GbcsMessage) => (m.body.kind === 'dlms-notification' && m.body.notification.body.type === 'structure' ? m.body.notification.body.items.map((d) => d.type) : []);
    expect(values(ours)).toEqual(values(rtds));
    if (ours.body.kind !== 'dlms-notification' || ours.body.notification.body.type !== 'structure') throw new Error('not a data-notification');
    expect(ours.body.notification.body.items.slice(2)).toEqual([{ type: 'unsigned', value: 0x23 }, { type: 'unsigned', value: 20 }]);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 50 });
    w.dcc.clock.advance(30 * 60_000);
    expect(operational(3)).toEqual({ outputState: 0, inputState: 0 });
  });

  it('the supplier may not send it, and a GSME cannot take it', () => {
    const s = w.run('ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('90-B3-D5-1F-30-01-00-08', '90-B3-D5-1F-30-01-00-00'));
    // the ZAZ1 supplier's EUI is an Other User too (RTDS sends 9.1 from it), but no load controller
    expect(s.answer.responseCode).toBe('E2');
    expect(s.finalReason).toMatch(/7\.16 is a load controller's: GITTESTSUPPLIER .* holds no Load Controller/);
    expect(s.preCommand).toBeUndefined();
    const g = w.run('ECS47e_7.16_APC_INPUT_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A0', '00-DB-12-34-56-78-90-A1'));
    expect(g.answer.responseCode).toBe('E11');
    expect(g.preCommand).toBeUndefined();
  });
});

describe('examples', () => {
  it('dcc-sim example aux-controller (its controller an attribute of the body element) commands controller 1 to 100', () => {
    const xml = exampleRequest(w.world, 'aux-controller' as never, { device: '00DB1234567890A0' });
    expect(xml).toContain('<sr:SetAuxiliaryControllerState auxiliaryControllerN="1">');
    const r = w.runXml(xml);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // The example's hour starts at the real time; this world's clock has moved on, so read the state it set.
    const app = JSON.parse(w.world.store.getDeviceAppState('00DB1234567890A0')!) as { auxiliaryLoads: { controllers: Record<string, { level: number; input: boolean }> } };
    expect(app.auxiliaryLoads.controllers['1']).toMatchObject({ level: 100, input: false });
  });
});
