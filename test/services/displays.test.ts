/**
 * Sections 3, 9 and 14 from the RTDS templates on a ZAZ1 world: each GBCS command equals its RTDS vector (apart
 * from counters, MACs and the times and CIN it carries), the device answers in the RTDS response's structure,
 * and the meter keeps what it was told: the message it displays, the supplier's name, the PIN off, the tenancy
 * restriction, the CIN, an emptied event log. A request for a device type without the use case changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, type GbcsMessage } from '../../devices/index.ts';
import { clearLog, consumerFacts, recordEvent, type ConsumerFacts, type EventLogsSection } from '../../devices/emulator/families/displays.ts';
import { loadDevice, saveDevice } from '../../src/dcc/device-state.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { expectRtdsAnswer } from '../helpers/rtds-devices.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const GPF = '00DB1234567890A3';

let w: ConformanceWorld;
beforeAll(() => {
  w = conformanceWorld();
  // The ZAZ1 GPF is DCC controlled, as RTDS's devices start; the supplier takes it over (6.21) before 3.2 reaches it.
  const h = w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML');
  if (h.final !== 'I0') throw new Error(`6.21 handover: ${h.final} ${h.finalReason}`);
});
afterAll(() => w?.close());

function app(eui: string) {
  return loadDevice(w.world, eui).state.app ?? {};
}
const facts = (eui: string) => (app(eui).consumer ?? {}) as ConsumerFacts;

/** cluster (or DLMS), frame control and command of each part of a response */
function shape(m: GbcsMessage): unknown {
  if (m.body.kind === 'gbz') return m.body.gbz.components.map((c) => [c.clusterId, c.control & 0x02, c.frameControl, c.commandId]);
  if (m.body.kind === 'dlms-response') return m.body.response.results.map((r) => [r.kind, r.result]);
  return m.body.kind;
}

function conforms(template: string, dir: string, ignore: (readonly [number, number])[] = [], edit?: (xml: string) => string): TemplateRun {
  const r = w.run(template, edit);
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const vector = template.replace('REQUEST_DUIS.XML', 'COMMAND_GBCS.HEX');
  expect(gbcsDifferences(r.command!, rtdsVector(dir, vector), { ignore })).toEqual([]);
  expect(shape(r.deviceResponse!)).toEqual(shape(decodeGbcsMessage(rtdsVector(dir, vector.replace('COMMAND', 'RESPONSE')))));
  return r;
}

// GBZ payload offsets: 3 (GBZ header) + 5 (component header) + 3 (ZCL header) = 11, where the ZCL payload starts.
const ZCL = 11;

describe('3.1 Display Message', () => {
  it('the ESME shows the message (ECS10)', () => {
    conforms('ECS10_3.1_SUCCESS_REQUEST_DUIS.XML', '3.1_ECS10');
    expect(facts(ESME).message?.text).toBe('Reset');
  });
  it('the GSME shows the message (GCS07; the message id is the time of issue)', () => {
    conforms('GCS07_3.1_SUCCESS_REQUEST_DUIS.XML', '3.1_GCS07', [[ZCL, 4]]);
    expect(facts(GSME).message?.text).toBe('Reset');
    const r = w.run('GCS07_3.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('>Reset<', '>Gas safety check due<'));
    expect(r.final).toBe('I0');
    expect(facts(GSME).message?.text).toBe('Gas safety check due');
  });
});

describe('3.2 Restrict Access For Change Of Tenancy', () => {
  it('the ESME withholds data before the restriction date (ECS12)', () => {
    conforms('ECS12_3.2_SUCCESS_REQUEST_DUIS.XML', '3.2_ECS12');
    expect(facts(ESME).tenancyRestrictedBefore).toBe('2014-03-27T15:45:32.000Z');
  });
  it('the GPF does for gas (GCS09; issuer event and implementation time are the request\'s)', () => {
    conforms('GCS09_3.2_SUCCESS_REQUEST_DUIS.XML', '3.2_GCS09', [[ZCL + 4, 4], [ZCL + 9, 4]]);
    expect(facts(GPF).tenancyRestrictedBefore).toBe('2015-02-01T00:00:00.000Z');
  });
  it('a GSME is not where gas tenancy is restricted: E11, and nothing changes', () => {
    const before = facts(GSME);
    const r = w.run('GCS09_3.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A3', '00-DB-12-34-56-78-90-A1'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.command).toBeUndefined();
    expect(facts(GSME)).toEqual(before);
  });
});

describe('3.3 Clear Event Log', () => {
  function withEvents(eui: string, log: string): void {
    const d = loadDevice(w.world, eui);
    d.state.app ??= {};
    recordEvent(d.state.app, log, 0x8f01, new Date('2026-01-01T00:00:00Z'));
    recordEvent(d.state.app, log, 0x8f02, new Date('2026-01-02T00:00:00Z'));
    saveDevice(w.world, d.state, d);
  }
  const logs = (eui: string) => app(eui).eventLogs as EventLogsSection | undefined;

  it('ECS15a empties the ESME event log, and leaves its ALCS log', () => {
    withEvents(ESME, 'esme');
    withEvents(ESME, 'alcs');
    expect(logs(ESME)!.logs.esme).toHaveLength(2);
    conforms('ECS15a_3.3_SUCCESS_REQUEST_DUIS.XML', '3.3_ECS15a');
    expect(logs(ESME)!.logs.esme).toEqual([]);
    expect(logs(ESME)!.logs.alcs).toHaveLength(2);
    conforms('ECS15c_3.3_SUCCESS_REQUEST_DUIS.XML', '3.3_ECS15c');
    expect(logs(ESME)!.logs.alcs).toEqual([]);
    expect(logs(ESME)!.cleared.alcs).toBeDefined();
  });
  it('CS11 empties the GSME general event log', () => {
    withEvents(GSME, 'general');
    conforms('CS11_3.3_SUCCESS_REQUEST_DUIS.XML', '3.3_CS11');
    expect(logs(GSME)!.logs.general).toEqual([]);
  });
  it('an ESME log type sent to a GSME is refused E11 and its log stays', () => {
    withEvents(GSME, 'general');
    const r = w.run('ECS15a_3.3_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A0', '00-DB-12-34-56-78-90-A1'));
    expect(r.answer.responseCode).toBe('E11');
    expect(logs(GSME)!.logs.general).toHaveLength(2);
  });
  it('clearLog and recordEvent keep a log per name', () => {
    const a = {};
    recordEvent(a, 'x', 1, new Date(0));
    clearLog(a, 'y', new Date(0));
    expect(a).toEqual({ eventLogs: { logs: { x: [{ code: 1, at: '1970-01-01T00:00:00.000Z' }], y: [] }, cleared: { y: '1970-01-01T00:00:00.000Z' } } });
  });
});

describe('3.4 Update Supplier Name', () => {
  it('the ESME takes the name and telephone number (ECS16)', () => {
    conforms('ECS16_3.4_SUCCESS_REQUEST_DUIS.XML', '3.4_ECS16');
    expect(facts(ESME).supplier).toMatchObject({ name: 'E-ON', telephone: '0333 202 4650' });
  });
  it('the GSME takes them (GCS44), and a later update replaces them', () => {
    conforms('GCS44_3.4_SUCCESS_REQUEST_DUIS.XML', '3.4_GCS44', [[ZCL + 4, 4]]);
    expect(facts(GSME).supplier).toMatchObject({ name: 'E-ON', telephone: '0333 202 4650' });
    const r = w.run('GCS44_3.4_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('>E-ON<', '>OCTOPUS<').replace('>0333 202 4650<', '>0808 164 1088<'));
    expect(r.final).toBe('I0');
    expect(facts(GSME).supplier).toMatchObject({ name: 'OCTOPUS', telephone: '0808 164 1088' });
  });
});

describe('3.5 Disable Privacy PIN', () => {
  it('on the ESME (ECS14) and the GSME (GCS11)', () => {
    conforms('ECS14_3.5_SUCCESS_REQUEST_DUIS.XML', '3.5_ECS14');
    expect(facts(ESME).privacyPin?.disabled).toBe(true);
    conforms('GCS11_3.5_SUCCESS_REQUEST_DUIS.XML', '3.5_GCS11', [[ZCL, 4]]);
    expect(facts(GSME).privacyPin?.disabled).toBe(true);
  });
});

describe('9.1 Request Customer Identification Number', () => {
  // Other Users (9.1's only role) in ZAZ1: e.g. the MDR; and the supplier's EUI, which RTDS sends 9.1 from
  const MDR = '90-B3-D5-1F-30-01-00-09';
  const asMdr = (x: string) => x.replace('<sr:RequestID>90-B3-D5-1F-30-01-00-00', `<sr:RequestID>${MDR}`);

  it('as RTDS sends it, from its test party\'s EUI (a supplier and an Other User): the RTDS command, that EUI the supplementary remote party', () => {
    const r = w.run('ECS50_9.1_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    const cin = facts(ESME).cin!.value;
    expect(gbcsDifferences(r.command!, rtdsVector('9.1_ECS50', 'ECS50_9.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual(
      cin === '1234' ? [] : [`data 1: ${Buffer.from(cin).toString('hex')} vs 31323334`],
    );
    expect(decodeGbcsMessage(r.command!).apdu.otherInformationExtra!.subarray(0, 8).toString('hex').toUpperCase()).toBe('90B3D51F30010000');
  });

  it('a party that is no Other User (the network operator, ED/GT) is refused E2, and no command is sent', () => {
    const r = w.run('ECS50_9.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('<sr:RequestID>90-B3-D5-1F-30-01-00-00', '<sr:RequestID>90-B3-D5-1F-30-02-00-00'));
    expect(r.answer.responseCode).toBe('E2');
    expect(r.finalReason).toMatch(/9\.1 may be sent by OU/);
    expect(r.command).toBeUndefined();
  });

  it('the ACB sets a drawn CIN on the ESME (ECS50), the User in other-information', () => {
    const r = w.run('ECS50_9.1_SUCCESS_REQUEST_DUIS.XML', asMdr);
    expect(r.final, r.finalReason ?? '').toBe('I0');
    const ours = decodeGbcsMessage(r.command!);
    expect(ours.apdu.originator).toBe('90B3D51F30000002');
    expect(ours.apdu.otherInformationExtra!.subarray(0, 8).toString('hex').toUpperCase()).toBe(MDR.replaceAll('-', ''));
    // the CIN is drawn for each request: it is the one difference from RTDS's ('1234')
    const cin = facts(ESME).cin!.value;
    expect(cin).toMatch(/^\d{4}$/);
    expect(gbcsDifferences(r.command!, rtdsVector('9.1_ECS50', 'ECS50_9.1_SUCCESS_COMMAND_GBCS.HEX'))).toEqual(
      cin === '1234' ? [] : [`data 1: ${Buffer.from(cin).toString('hex')} vs 31323334`],
    );
    expect(shape(r.deviceResponse!)).toEqual(shape(decodeGbcsMessage(rtdsVector('9.1_ECS50', 'ECS50_9.1_SUCCESS_RESPONSE_GBCS.HEX'))));
    // the User is told the CIN with the device's response (CINMessage), to check the consumer's
    const answer = r.responses.find((x) => x.responseCode === 'I0')!;
    expect(answer.body.kind === 'ResponseMessage' && answer.body.content).toEqual({ cinMessage: { gbcsPayload: expect.any(Buffer), cin } });
    // and the DUIS response is valid against the DUIS XSD
    for (const x of w.dcc.gateway.responsesFor(r.requestId)) expect(duisXsdErrors(x.body)).toEqual([]);
  });
  it('and on the GSME (GCS36; issuer event and CIN aside)', () => {
    const r = conforms('GCS36_9.1_SUCCESS_REQUEST_DUIS.XML', '9.1_GCS36', [[ZCL, 4], [ZCL + 13, 4]], asMdr);
    const sent = decodeGbcsMessage(r.command!);
    if (sent.body.kind !== 'gbz') throw new Error(sent.body.kind);
    const cin = sent.body.gbz.components[0]!.payload.subarray(13, 17).toString('latin1');
    expect(facts(GSME).cin!.value).toBe(cin);
    const answer = r.responses.find((x) => x.responseCode === 'I0')!;
    expect(answer.body.kind === 'ResponseMessage' && answer.body.content && 'cinMessage' in answer.body.content && answer.body.content.cinMessage.cin).toBe(cin);
  });
});

describe('14.1 Record Network Data (Gas)', () => {
  it('the gas transporter starts sampling on the GSME through the ACB (GCS31)', () => {
    const r = conforms('GCS31_14.1_SUCCESS_REQUEST_DUIS.XML', '14.1_GCS31', [[ZCL, 4]]);
    expect(decodeGbcsMessage(r.command!).apdu.otherInformationExtra!.subarray(0, 8).toString('hex').toUpperCase()).toBe('90B3D51F30020000');
    expect(app(GSME).networkSampling).toMatchObject({ intervalSeconds: 360, maxSamples: 41 });
  });
  it('an ESME records no gas network data: E11', () => {
    const r = w.run('GCS31_14.1_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A1', '00-DB-12-34-56-78-90-A0'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.command).toBeUndefined();
  });
});

describe('consumerFacts', () => {
  it('is the consumer section, made on first use', () => {
    const a = {};
    consumerFacts(a).cin = { value: '0042', since: 'x' };
    expect(a).toEqual({ consumer: { cin: { value: '0042', since: 'x' } } });
  });
});

describe('the RTDS commands replayed on the emulated RTDS devices: the RTDS answers, byte for byte', () => {
  it.each([
    ['3.1_ECS10', 'ECS10_3.1_SUCCESS'], ['3.1_GCS07', 'GCS07_3.1_SUCCESS'],
    ['3.2_ECS12', 'ECS12_3.2_SUCCESS'], ['3.2_GCS09', 'GCS09_3.2_SUCCESS'],
    ['3.3_ECS15a', 'ECS15a_3.3_SUCCESS'], ['3.3_ECS15c', 'ECS15c_3.3_SUCCESS'], ['3.3_CS11', 'CS11_3.3_SUCCESS'],
    ['3.4_ECS16', 'ECS16_3.4_SUCCESS'], ['3.4_GCS44', 'GCS44_3.4_SUCCESS'],
    ['3.5_ECS14', 'ECS14_3.5_SUCCESS'], ['3.5_GCS11', 'GCS11_3.5_SUCCESS'],
    ['9.1_ECS50', 'ECS50_9.1_SUCCESS'], ['9.1_GCS36', 'GCS36_9.1_SUCCESS'],
    ['14.1_GCS31', 'GCS31_14.1_SUCCESS'],
  ])('%s %s', (dir, name) => expectRtdsAnswer(dir, name));
});
