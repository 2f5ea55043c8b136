/**
 * ESME reads (section 4) from the RTDS templates on a ZAZ1 world: each GBCS command equals its RTDS vector
 * (apart from counters, date-times and MACs), the meter answers in the RTDS response's shape (types, fixed
 * array lengths, compact-array descriptions), sensitive parts decrypt with the requester's KA key from the RTDS
 * keystore, and the meter lives: a day later its register has grown by that day's half-hour profile.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decryptSensitive, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { parseDuisResponse, serviceByVariant } from '../../service-requests/index.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { items, kaKeyOf, num, RTDS_ESME_KA, responseShape as shapeOf, sensitivePlaintext as plaintextWith } from '../helpers/sensitive-reads.ts';

const SUPPLIER = '90B3D51F30010000';

let w: ConformanceWorld;
/** the ESME's KA public key, as its certificate in the world's SMKI repository has it */
let ESME_KA: KeyObject;
beforeAll(() => {
  w = conformanceWorld();
  ESME_KA = new X509Certificate(w.world.deviceCertificates('00DB1234567890A0').kaCertificate.der).publicKey;
  // GITTESTSUPPLIER is the A0 ESME's export supplier too (4.6.2 is for export suppliers only).
  w.world.store.db.prepare("INSERT OR IGNORE INTO party_user_roles (party_eui, user_role) VALUES (?, 'ES')").run(SUPPLIER);
});
afterAll(() => w?.close());

/** The response's shape (test/helpers/sensitive-reads.ts), decrypted with this world's ESME key by default. */
const responseShape = (m: GbcsMessage, deviceKa: KeyObject = ESME_KA): unknown => shapeOf(m, deviceKa);
const sensitivePlaintext = (m: GbcsMessage, d: DlmsData, deviceKa: KeyObject = ESME_KA): DlmsData | undefined => plaintextWith(m, d, deviceKa);

function rtds(dir: string, file: string): GbcsMessage {
  return decodeGbcsMessage(rtdsVector(dir, file));
}

function ok(r: TemplateRun): GbcsMessage {
  expect(r.final, `${r.answer.responseCode} ${r.finalReason ?? ''}`).toBe('I0');
  return r.deviceResponse!;
}

/** [template, RTDS folder, vector prefix] of each section-4 ESME success template. */
const TEMPLATES: [string, string, string][] = [
  ['ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.1.1_ECS17b', 'ECS17b_4.1.1_SINGLE_SUCCESS'],
  ['ECS17d_4.1.2_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.1.2_ECS17d', 'ECS17d_4.1.2_SINGLE_SUCCESS'],
  ['ECS17e_4.1.3_SUCCESS_REQUEST_DUIS.XML', '4.1.3_ECS17e', 'ECS17e_4.1.3_SUCCESS'],
  ['ECS17a_4.2_SUCCESS_REQUEST_DUIS.XML', '4.2_ECS17a', 'ECS17a_4.2_SUCCESS'],
  ['ECS19_4.3_SUCCESS_REQUEST_DUIS.XML', '4.3_ECS19', 'ECS19_4.3_SUCCESS'],
  ['ECS20b_4.4.2_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.4.2_ECS20b', 'ECS20b_4.4.2_SINGLE_SUCCESS'],
  ['ECS20c_4.4.3_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.4.3_ECS20c', 'ECS20c_4.4.3_SINGLE_SUCCESS'],
  ['ECS20a_4.4.4_SUCCESS_REQUEST_DUIS.XML', '4.4.4_ECS20a', 'ECS20a_4.4.4_SUCCESS'],
  ['ECS20d_4.4.5_SUCCESS_REQUEST_DUIS.XML', '4.4.5_ECS20d', 'ECS20d_4.4.5_SUCCESS'],
  ['ECS21a_4.6.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.6.1_ECS21a', 'ECS21a_4.6.1_SINGLE_SUCCESS'],
  ['ECS21c_4.6.2_SUCCESS_REQUEST_DUIS.XML', '4.6.2_ECS21c', 'ECS21c_4.6.2_SUCCESS'],
  ['ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.8.1_ECS22b', 'ECS22b_4.8.1_SINGLE_SUCCESS'],
  ['ECS22c_4.8.2_SUCCESS_REQUEST_DUIS.XML', '4.8.2_ECS22c', 'ECS22c_4.8.2_SUCCESS'],
  ['ECS22a_4.8.3_SUCCESS_REQUEST_DUIS.XML', '4.8.3_ECS22a', 'ECS22a_4.8.3_SUCCESS'],
  ['ECS23_4.10_SUCCESS_REQUEST_DUIS.XML', '4.10_ECS23', 'ECS23_4.10_SUCCESS'],
  ['ECS24_4.11.1_SUCCESS_REQUEST_DUIS.XML', '4.11.1_ECS24', 'ECS24_4.11.1_SUCCESS'],
  ['ECS24b_4.11.2_SUCCESS_REQUEST_DUIS.XML', '4.11.2_ECS24b', 'ECS24b_4.11.2_SUCCESS'],
  ['ECS18b_4.12.1_SUCCESS_REQUEST_DUIS.XML', '4.12.1_ECS18b', 'ECS18b_4.12.1_SUCCESS'],
  ['ECS18a_4.12.2_SUCCESS_REQUEST_DUIS.XML', '4.12.2_ECS18a', 'ECS18a_4.12.2_SUCCESS'],
  ['ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML', '4.13_ECS26a', 'ECS26a_4.13_SINGLE_SUCCESS'],
  ['ECS21b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML', '4.14_ECS21b', 'ECS21b_4.14_KRP_SUCCESS'],
  ['ECS27_4.15_SUCCESS_REQUEST_DUIS.XML', '4.15_ECS27', 'ECS27_4.15_SUCCESS'],
  ['ECS17c_4.16_SUCCESS_REQUEST_DUIS.XML', '4.16_ECS17c', 'ECS17c_4.16_SUCCESS'],
  ['ECS66_4.17_SUCCESS_REQUEST_DUIS.XML', '4.17_ECS66', 'ECS66_4.17_SUCCESS'],
  ['ECS82_4.18_SUCCESS_REQUEST_DUIS.XML', '4.18_ECS82', 'ECS82_4.18_SUCCESS'],
];

describe('ESME reads on the RTDS ESME', () => {
  it.each(TEMPLATES)('%s: the command as RTDS, the answer in the RTDS shape, sensitive parts for the requester only', (template, dir, prefix) => {
    const r = w.run(template);
    const ours = ok(r);
    expect(gbcsDifferences(r.command!, rtdsVector(dir, `${prefix}_COMMAND_GBCS.HEX`))).toEqual([]);
    expect(responseShape(ours)).toEqual(responseShape(rtds(dir, `${prefix}_RESPONSE_GBCS.HEX`), RTDS_ESME_KA));
    expect(ours.apdu.otherInformationExtra?.length ?? 0).toBe(rtds(dir, `${prefix}_RESPONSE_GBCS.HEX`).apdu.otherInformationExtra?.length ?? 0);
  });

  it('4.14 URP (the requester\'s KA certificate in the request): sent by the ACB with the certificate, encrypted to it with the device\'s counter', () => {
    const r = w.run('ECS21b_4.14_URP_SUCCESS_REQUEST_DUIS.XML');
    const ours = ok(r);
    // The template carries a re-issued certificate one octet longer than the one in the RTDS command.
    expect(gbcsDifferences(r.command!, rtdsVector('4.14_ECS21b', 'ECS21b_4.14_URP_SUCCESS_COMMAND_GBCS.HEX'))).toEqual(['other-information length: 423 vs 422']);
    const rtdsResponse = rtds('4.14_ECS21b', 'ECS21b_4.14_URP_SUCCESS_RESPONSE_GBCS.HEX');
    expect(ours.apdu.otherInformationExtra?.length).toBe(rtdsResponse.apdu.otherInformationExtra?.length);
    expect(ours.apdu.otherInformationExtra!.subarray(0, 8).toString('hex').toUpperCase()).toBe(SUPPLIER);
    // (the RTDS URP response was encrypted with keys the keystore does not hold: its shape is the KRP one's)
    expect(responseShape(ours)).toEqual(responseShape(rtds('4.14_ECS21b', 'ECS21b_4.14_KRP_SUCCESS_RESPONSE_GBCS.HEX'), RTDS_ESME_KA));
  });

  it('4.10 to a polyphase ESME (ESMEVariant C) reads all three phases, as RTDS ECS23b', () => {
    const setVariant = (v: string | null) => w.world.store.db.prepare('UPDATE devices SET esme_variant = ? WHERE eui = ?').run(v, '00DB1234567890A0');
    setVariant('C');
    try {
      const r = w.run('ECS23b_4.10_SUCCESS_REQUEST_DUIS.XML');
      const ours = ok(r);
      expect(gbcsDifferences(r.command!, rtdsVector('4.10_ECS23b', 'ECS23b_4.10_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
      expect(responseShape(ours)).toEqual(responseShape(rtds('4.10_ECS23b', 'ECS23b_4.10_SUCCESS_RESPONSE_GBCS.HEX'), RTDS_ESME_KA));
    } finally {
      setVariant(null);
    }
  });

  it('a sensitive read does not decrypt for anyone but its requester', () => {
    const ours = ok(w.run('ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML'));
    if (ours.body.kind !== 'dlms-response') throw new Error(ours.body.kind);
    const d = ours.body.response.data[0]!;
    if (d.type !== 'structure' || d.items[1]?.type !== 'octet-string') throw new Error(d.type);
    const ciphered = d.items[1].value;
    const p = { device: ours.apdu.originator, party: ours.apdu.target, counter: ours.apdu.counter };
    expect(() => decryptSensitive(ciphered, kaKeyOf('90B3D51F30020000'), ESME_KA, p)).toThrow('does not authenticate');
  });

  it('4.1.1 from the network operator is encrypted to the network operator (the TWIN template)', () => {
    const r = w.run('ECS17b_4.1.1_TWIN_SUCCESS_REQUEST_DUIS.XML');
    const ours = ok(r);
    expect(ours.apdu.target).toBe('90B3D51F30020000');
    expect(gbcsDifferences(r.command!, rtdsVector('4.1.1_ECS17b', 'ECS17b_4.1.1_TWIN_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    // A single-element ESME: the SINGLE shape (the RTDS TWIN meter adds a secondary element's register).
    expect(responseShape(ours)).toEqual(responseShape(rtds('4.1.1_ECS17b', 'ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'), RTDS_ESME_KA));
  });

  it('4.1.1 with CV 2 answers the command for local delivery and sends nothing', () => {
    const r = w.run('ECS17b_4.1.1_REQUEST_DUIS.XML');
    expect(r.answer.responseCode).toBe('I0');
    expect(r.command).toBeUndefined();
    const body = r.answer.body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('localCommand' in body.content)) throw new Error('no LocalCommand');
    expect(gbcsDifferences(body.content.localCommand.gbcsPayload, rtdsVector('4.1.1_ECS17b', 'ECS17b_4.1.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
  });

  it('4.1.1 dated in the past (the DSP future-dated template) is carried out at once', () => {
    ok(w.run('ECS17b_4.1.1_DSP_FUTURE_DATED_REQUEST_DUIS.XML'));
  });

  it('4.1.1 dated in the future is held by the DCC and answered when the clock gets there', () => {
    w.dcc.clock.set(new Date('2026-11-02T08:00:00Z'));
    const r = w.run('ECS17b_4.1.1_DSP_FUTURE_DATED_REQUEST_DUIS.XML', (x) => x.replace(/<sr:ExecutionDateTime>[^<]*</, '<sr:ExecutionDateTime>2026-11-02T09:00:00Z<'));
    expect(r.answer.responseCode).toBe('I99');
    expect(r.command).toBeUndefined();
    w.dcc.runDueCommands();
    expect(w.dcc.gateway.responsesFor(r.requestId)).toHaveLength(0);
    w.dcc.clock.set(new Date('2026-11-02T09:30:00Z'));
    w.dcc.runDueCommands();
    const answers = w.dcc.gateway.responsesFor(r.requestId).map((e) => parseDuisResponse(e.body));
    expect(answers.map((a) => a.responseCode)).toEqual(['I0']);
    const body = answers[0]!.body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('gbcsPayload' in body.content)) throw new Error('no GBCS payload');
    const m = decodeGbcsMessage(body.content.gbcsPayload);
    expect(m.apdu.dateTime?.toISOString().slice(0, 13)).toBe('2026-11-02T09');
    expect(num(items(items(plaintextOf(m))[0])[0])).toBeGreaterThan(0);
  });

  it('a read to a device type with no such read is refused E11 and reaches no device', () => {
    const r = w.run('ECS17c_4.16_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A0', '00-DB-12-34-56-78-90-A1'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.command).toBeUndefined();
  });
});

// ---------------------------------------------------------------- the living meter

const DAY = 86_400_000;
const Y2000 = Date.UTC(2000, 0, 1);

function plaintextOf(m: GbcsMessage): DlmsData {
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  return sensitivePlaintext(m, m.body.response.data[0]!)!;
}

function importRegister(): number {
  const p = plaintextOf(ok(w.run('ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML')));
  return num(items(items(p)[0])[0]);
}

const period = (from: Date, to: Date) => (x: string) =>
  x.replace(/<sr:StartDateTime>[^<]*</, `<sr:StartDateTime>${from.toISOString()}<`).replace(/<sr:EndDateTime>[^<]*</, `<sr:EndDateTime>${to.toISOString()}<`);

describe('the meter lives', () => {
  it('a day later the import register has grown by that day\'s half-hour profile, daily consumption and daily reads', () => {
    const day = new Date('2026-10-05T00:00:00Z');
    const next = new Date(day.getTime() + DAY);
    w.dcc.clock.set(day);
    const before = importRegister();
    w.dcc.clock.set(next);
    const after = importRegister();
    expect(after).toBeGreaterThan(before);

    const profile = items(items(plaintextOf(ok(w.run('ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', period(new Date(day.getTime() + 1_800_000), next)))))[0]);
    expect(profile).toHaveLength(48);
    expect(num(items(profile[0])[0])).toBe((day.getTime() + 1_800_000 - Y2000) / 1000);
    expect(profile.reduce((sum, row) => sum + num(items(row)[1]), 0)).toBe(after - before);

    const daily = items(items(plaintextOf(ok(w.run('ECS66_4.17_SUCCESS_REQUEST_DUIS.XML', period(day, next)))))[0]);
    expect(daily.map((row) => num(items(row)[1]))).toContain(after - before);

    const reads = items(items(plaintextOf(ok(w.run('ECS21a_4.6.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', period(day, next)))))[0]);
    expect(reads.map((row) => num(items(row)[1]))).toEqual([before, after]);
  });
});

describe('the meter reads what other services set', () => {
  it('after a TOU tariff (1.1.1) and a day, the TOU registers split the import register by the tariff\'s day profile', () => {
    w.dcc.clock.set(new Date('2026-11-20T00:00:00Z'));
    const t = w.run('ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML');
    expect(t.final, t.finalReason ?? '').toBe('I0');
    w.dcc.clock.set(new Date('2026-11-21T00:00:00Z'));
    const total = importRegister();
    const tou = items(items(plaintextOf(ok(w.run('ECS17d_4.1.2_SINGLE_SUCCESS_REQUEST_DUIS.XML'))))[0]).flatMap((x) => items(x)).map(num);
    expect(tou).toHaveLength(48);
    expect(tou.reduce((a, b) => a + b, 0)).toBe(total);
    expect(tou.filter((v) => v > 0).length).toBeGreaterThan(1);
  });

  it('while the load switch is open (7.2) the register stands still and the profile shows nothing', () => {
    w.dcc.clock.set(new Date('2026-11-25T00:00:00Z'));
    expect(w.run('ECS43_7.2_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    const off = importRegister();
    w.dcc.clock.set(new Date('2026-11-26T00:00:00Z'));
    expect(importRegister()).toBe(off);
    const profile = items(items(plaintextOf(ok(w.run('ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', period(new Date('2026-11-25T00:30:00Z'), new Date('2026-11-26T00:00:00Z'))))))[0]);
    expect(profile.map((row) => num(items(row)[1]))).toEqual(new Array(48).fill(0));
    expect(w.run('ECS42_7.1_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    w.dcc.clock.set(new Date('2026-11-27T00:00:00Z'));
    expect(importRegister()).toBeGreaterThan(off);
  });

  it('4.18 and 4.3 show the balance a 1.5 Update Meter Balance left', () => {
    const before = (() => {
      const m = ok(w.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML'));
      if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
      const d = m.body.response.data[0]!;
      return d.type === 'double-long' ? d.value : NaN;
    })();
    const u = w.run('ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML');
    expect(u.final, u.finalReason ?? '').toBe('I0');
    const m = ok(w.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML'));
    if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
    const after = m.body.response.data[0]!;
    expect(after.type === 'double-long' && after.value).not.toBe(before);
    const values = items(items(plaintextOf(ok(w.run('ECS19_4.3_SUCCESS_REQUEST_DUIS.XML'))))[0]);
    expect(values[0]).toEqual(after);
  });
});

// ---------------------------------------------------------------- DCC schedules (5.x)

/** The scheduled reads the DCC has delivered to the supplier (DSPScheduledMessages), oldest first. */
function scheduledMessages(): { scheduleId: number; code: string; message: GbcsMessage }[] {
  return w.dcc.gateway.inbox(SUPPLIER, { limit: 500 }).entries.reverse().flatMap((e) => {
    const r = parseDuisResponse(e.body);
    const c = r.body.kind === 'ResponseMessage' ? r.body.content : undefined;
    return c && 'dspScheduledMessage' in c
      ? [{ scheduleId: c.dspScheduledMessage.scheduleId, code: r.responseCode, message: decodeGbcsMessage(c.dspScheduledMessage.gbcsPayload) }]
      : [];
  });
}

const withScheduleId = (id: number) => (x: string) => x.replace(/<sr:DSPScheduleID>\d+</, `<sr:DSPScheduleID>${id}<`);

describe('DCC schedules', () => {
  it('5.1 makes a daily import daily-read-log schedule; each day the clock passes, the supplier receives that day\'s read; 5.2 shows it; 5.3 stops it', () => {
    w.dcc.clock.set(new Date('2026-10-20T12:00:00Z'));
    const before = scheduledMessages().length;
    const made = w.run('ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML');
    expect(made.answer.responseCode, made.finalReason ?? '').toBe('I0');
    const content = made.answer.body.kind === 'ResponseMessage' ? made.answer.body.content : undefined;
    if (!content || !('dspScheduleId' in content)) throw new Error('no DSPScheduleID');
    const id = content.dspScheduleId;

    const read = w.run('5.2_READ_SCHEDULE_REQUEST_DUIS.XML', withScheduleId(id));
    expect(read.answer.responseCode).toBe('I0');
    const listed = read.answer.body.kind === 'ResponseMessage' ? read.answer.body.content : undefined;
    expect(listed && 'dspSchedulesRead' in listed ? listed.dspSchedulesRead : []).toEqual([{ id, serviceReferenceVariant: '4.6.1', deviceId: '00-DB-12-34-56-78-90-A0' }]);

    // Nothing before its first occurrence (the next midnight), then one read per midnight passed.
    w.dcc.runDueCommands();
    expect(scheduledMessages().length).toBe(before);
    w.dcc.clock.set(new Date('2026-10-22T06:00:00Z'));
    w.dcc.runDueCommands();
    const got = scheduledMessages().slice(before);
    expect(got.map((m) => [m.scheduleId, m.code, m.message.apdu.messageCode])).toEqual([[id, 'I0', 0x33], [id, 'I0', 0x33]]);
    // Each holds the log from the day before the occurrence to it: two midnights, as the offsets -1 and 0 say.
    const stamps = got.map((m) => items(items(plaintextOf(m.message))[0]).map((row) => num(items(row)[0])));
    const midnight = (d: string) => (Date.parse(d) - Y2000) / 1000;
    expect(stamps).toEqual([[midnight('2026-10-20'), midnight('2026-10-21')], [midnight('2026-10-21'), midnight('2026-10-22')]]);

    const deleted = w.run('5.3_DELETE_SCHEDULE_REQUEST_DUIS.XML', withScheduleId(id));
    expect(deleted.answer.responseCode).toBe('I0');
    w.dcc.clock.set(new Date('2026-10-25T06:00:00Z'));
    w.dcc.runDueCommands();
    expect(scheduledMessages().length).toBe(before + 2);
    expect(w.run('5.2_READ_SCHEDULE_REQUEST_DUIS.XML', withScheduleId(id)).answer.responseCode).toBe('E050201');
  });

  it('a schedule for a device not in the inventory is refused', () => {
    const r = w.run('ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML', (x) => x.replace('<sr:DeviceID>00-DB-12-34-56-78-90-A0<', '<sr:DeviceID>00-DB-12-34-56-78-90-FF<'));
    expect(r.answer.responseCode).toBe('E050101');
  });
});

describe('examples', () => {
  it('every section-4 and section-5 example is valid DUIS and carried out on the RTDS ESME', () => {
    w.dcc.clock.set(new Date('2026-11-10T12:00:00Z'));
    const variants = ['4.1.1', '4.1.2', '4.1.3', '4.2', '4.3', '4.4.2', '4.4.3', '4.4.4', '4.4.5', '4.6.1', '4.6.2', '4.8.1', '4.8.2', '4.8.3', '4.10',
      '4.11.1', '4.11.2', '4.12.1', '4.12.2', '4.13', '4.14', '4.15', '4.16', '4.17', '4.18', '5.1'];
    const outcomes = variants.map((variant) => {
      const name = serviceByVariant(variant)!.example!.name;
      const xml = exampleRequest(w.world, name, { device: '00DB1234567890A0' });
      expect(duisXsdErrors(xml), name).toEqual([]);
      const r = w.runXml(xml);
      return `${variant} ${r.final}`;
    });
    expect(outcomes).toEqual(variants.map((v) => `${v} I0`));
  });
});
