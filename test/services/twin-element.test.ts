/**
 * The twin-element ESME (DUIS ESMEVariant B): the RTDS TWIN templates address the same ESME …A0 as the SINGLE
 * ones, with the same commands, so what makes the meter twin is what it is made as (the inventory's ESMEVariant).
 * Made twin, …A0 answers every TWIN template in the RTDS TWIN response's shape, its secondary element's registers
 * live like the primary's, and the DCC configures the secondary element's charges in 1.6 as RTDS does.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { items, num, RTDS_ESME_KA, responseShape, sensitivePlaintext } from '../helpers/sensitive-reads.ts';

const ESME = '00DB1234567890A0';
const DAY = 86_400_000;

let w: ConformanceWorld;
let ESME_KA: KeyObject;
const setVariant = (v: string | null) => w.world.store.db.prepare('UPDATE devices SET esme_variant = ? WHERE eui = ?').run(v, ESME);
beforeAll(() => {
  w = conformanceWorld();
  ESME_KA = new X509Certificate(w.world.deviceCertificates(ESME).kaCertificate.der).publicKey;
  setVariant('B');
});
afterAll(() => w?.close());

function ok(r: TemplateRun): GbcsMessage {
  expect(r.final, `${r.answer.responseCode} ${r.finalReason ?? ''}`).toBe('I0');
  return r.deviceResponse!;
}

const rtds = (dir: string, file: string): GbcsMessage => decodeGbcsMessage(rtdsVector(dir, file));

/** [TWIN template, RTDS folder, vector prefix] of each TWIN read. */
const READS: [string, string, string][] = [
  ['ECS17b_4.1.1_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.1.1_ECS17b', 'ECS17b_4.1.1_TWIN_SUCCESS'],
  ['ECS17d_4.1.2_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.1.2_ECS17d', 'ECS17d_4.1.2_TWIN_SUCCESS'],
  ['ECS20b_4.4.2_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.4.2_ECS20b', 'ECS20b_4.4.2_TWIN_SUCCESS'],
  ['ECS20c_4.4.3_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.4.3_ECS20c', 'ECS20c_4.4.3_TWIN_SUCCESS'],
  ['ECS21a_4.6.1_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.6.1_ECS21a', 'ECS21a_4.6.1_TWIN_SUCCESS'],
  ['ECS22b_4.8.1_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.8.1_ECS22b', 'ECS22b_4.8.1_TWIN_SUCCESS'],
  ['ECS26a_4.13_TWIN_SUCCESS_REQUEST_DUIS.XML', '4.13_ECS26a', 'ECS26a_4.13_TWIN_SUCCESS'],
  ['ECS39a_6.20.1_TWIN_SUCCESS_REQUEST_DUIS.XML', '6.20.1_ECS39a', 'ECS39a_6.20.1_TWIN_SUCCESS'],
];

function plaintextOf(m: GbcsMessage): DlmsData {
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  return sensitivePlaintext(m, m.body.response.data[0]!, ESME_KA)!;
}

const period = (from: Date, to: Date) => (x: string) =>
  x.replace(/<sr:StartDateTime>[^<]*</, `<sr:StartDateTime>${from.toISOString()}<`).replace(/<sr:EndDateTime>[^<]*</, `<sr:EndDateTime>${to.toISOString()}<`);

/** 4.1.1 on the twin meter: [primary import, secondary import] (Wh). */
function importRegisters(): [number, number] {
  const s = items(items(plaintextOf(ok(w.run('ECS17b_4.1.1_TWIN_SUCCESS_REQUEST_DUIS.XML'))))[0]);
  return [num(s[0]), num(s[4])];
}

describe('the twin-element ESME answers the RTDS TWIN templates', () => {
  it.each(READS)('%s: the command as RTDS, the answer in the RTDS TWIN shape', (template, dir, prefix) => {
    const r = w.run(template);
    const ours = ok(r);
    expect(gbcsDifferences(r.command!, rtdsVector(dir, `${prefix}_COMMAND_GBCS.HEX`))).toEqual([]);
    expect(responseShape(ours, ESME_KA)).toEqual(responseShape(rtds(dir, `${prefix}_RESPONSE_GBCS.HEX`), RTDS_ESME_KA));
  });

  it('6.2.7 after 6.20.1 reads both elements\' MPANs, as the RTDS TWIN response', () => {
    ok(w.run('ECS39a_6.20.1_TWIN_SUCCESS_REQUEST_DUIS.XML'));
    const r = w.run('ECS40_6.2.7_TWIN_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(r.command!, rtdsVector('6.2.7_ECS40', 'ECS40_6.2.7_TWIN_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    const ours = ok(r).body;
    const theirs = rtds('6.2.7_ECS40', 'ECS40_6.2.7_TWIN_SUCCESS_RESPONSE_GBCS.HEX').body;
    if (ours.kind !== 'dlms-response' || theirs.kind !== 'dlms-response') throw new Error('not DLMS');
    // the import MPANs, primary ‖ secondary (the export MPAN is empty until a 6.20 sets it)
    expect(ours.response.data[0]).toEqual(theirs.response.data[0]);
    expect(ours.response.data.map((d) => d.type)).toEqual(theirs.response.data.map((d) => d.type));
  });

  it.each([
    ['ECS02_1.6_FUTURE_DATED_TWIN', '1.6_ECS02'], ['ECS02_1.6_CANCELLATION_TWIN', '1.6_ECS02'],
    ['ECS03_1.6_FUTURE_DATED_TWIN', '1.6_ECS03'], ['ECS03_1.6_CANCELLATION_TWIN', '1.6_ECS03'],
  ])('%s: the DCC configures the secondary element\'s charges too, so pre-command and command are RTDS\'s', (stem, dir) => {
    const r = w.run(`${stem}_SUCCESS_REQUEST_DUIS.XML`);
    expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector(dir, `${stem}_SUCCESS_PRECOMMAND_GBCS.HEX`))).toEqual([]);
    expect(gbcsDifferences(r.command!, rtdsVector(dir, `${stem}_SUCCESS_COMMAND_GBCS.HEX`))).toEqual([]);
    const ours = r.deviceResponse!;
    const theirs = rtds(dir, `${stem}_SUCCESS_RESPONSE_GBCS.HEX`);
    if (ours.body.kind !== 'dlms-response' || theirs.body.kind !== 'dlms-response') throw new Error('not DLMS');
    expect(ours.body.response.results).toEqual(theirs.body.response.results);
  });
});

describe('the secondary element lives', () => {
  it('a day later its register has grown by that day\'s secondary half hours; its 4 TOU registers add up to it', () => {
    const day = new Date('2026-01-12T00:00:00Z');
    const next = new Date(day.getTime() + DAY);
    w.dcc.clock.set(day);
    const [p0, s0] = importRegisters();
    w.dcc.clock.set(next);
    const [p1, s1] = importRegisters();
    expect(s1).toBeGreaterThan(s0);
    // a circuit of its own, not a copy of the primary element
    expect(s1 - s0).not.toBe(p1 - p0);

    const profile = items(items(plaintextOf(ok(w.run('ECS22b_4.8.1_TWIN_SUCCESS_REQUEST_DUIS.XML', period(new Date(day.getTime() + 1_800_000), next)))))[0]);
    expect(profile).toHaveLength(48);
    expect(profile.reduce((sum, row) => sum + num(items(row)[1]), 0)).toBe(p1 - p0);
    expect(profile.reduce((sum, row) => sum + num(items(row)[2]), 0)).toBe(s1 - s0);

    const reads = items(items(plaintextOf(ok(w.run('ECS21a_4.6.1_TWIN_SUCCESS_REQUEST_DUIS.XML', period(day, next)))))[0]);
    expect(reads.map((row) => [num(items(row)[1]), num(items(row)[2])])).toEqual([[p0, s0], [p1, s1]]);

    const tou = items(items(plaintextOf(ok(w.run('ECS17d_4.1.2_TWIN_SUCCESS_REQUEST_DUIS.XML'))))[0]);
    expect(items(tou[1]).map(num).reduce((a, b) => a + b, 0)).toBe(s1);
    expect(items(tou[0]).map(num).reduce((a, b) => a + b, 0)).toBe(p1);
  });

  it('the same meter made single-element answers the SINGLE shape again', () => {
    setVariant(null);
    try {
      const r = w.run('ECS17b_4.1.1_TWIN_SUCCESS_REQUEST_DUIS.XML');
      expect(responseShape(ok(r), ESME_KA)).toEqual(responseShape(rtds('4.1.1_ECS17b', 'ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'), RTDS_ESME_KA));
    } finally {
      setVariant('B');
    }
  });
});
