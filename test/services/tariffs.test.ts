/**
 * Tariffs and balances (1.1.1-1.7) from the RTDS templates on a ZAZ1 world: each pre-command equals its RTDS
 * vector (apart from counters, date-times, signatures and the GBZ time of issue), the device answers in the RTDS
 * shape, and the meter reacts: a tariff set now is the active tariff read back, a future-dated one is held until
 * its time and then activates with the RTDS 8F66 alerts, a cancellation stops it, balances move and the payment
 * mode changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, obis, type GbcsMessage } from '../../devices/index.ts';
import { storedAttribute } from '../../devices/emulator/cosem.ts';
import { activeTariffOf, prepaymentOf, tariffActionAt, type ElementTariff } from '../../devices/emulator/families/tariffs.ts';
import { storedZclAttribute } from '../../devices/emulator/zcl-engine.ts';
import { buildRequest, parseDuisResponse } from '../../service-requests/index.ts';
import { exampleElecPrices, exampleElecTariff, exampleGasTariff, exampleSecondaryPrices } from '../../service-requests/services/tariff-examples.ts';
import { loadDevice } from '../../src/dcc/device-state.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const SUPPLIER = '90B3D51F30010000';
const RTDS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/rtds');

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

const appOf = (eui: string) => structuredClone(loadDevice(w.world, eui).state.app ?? {});
const primary = (eui: string): ElementTariff | undefined => activeTariffOf(appOf(eui))?.primary;

/** RTDS folder and file stem of a template name, e.g. ECS01a_1.1.1_IMMEDIATE_TOU → 1.1.1_ECS01a. */
function folderOf(stem: string): string {
  const [useCase, service] = stem.split('_');
  return `${service}_${useCase}`;
}

/**
 * GBZ payload ranges holding the time of issue, which RTDS took on 2015-01-01 and the DCC takes now: the issuer
 * event id of every component (and a calendar's issuer calendar id), in the payload of `gbcs`.
 */
function timesOfIssue(gbcs: Buffer): [number, number][] {
  const p = decodeGbcsMessage(gbcs).apdu.payload;
  const out: [number, number][] = [];
  for (let pos = 3; pos < p.length; pos += 5 + p.readUInt16BE(pos + 3)) {
    const cluster = p.readUInt16BE(pos + 1);
    const zcl = pos + 5 + (p[pos]! & 0x10 ? 4 : 0);
    const payload = zcl + 3;
    const command = p[zcl + 2];
    if (cluster === 0x0707) out.push([payload + 4, 8]);
    else if (cluster === 0x0700 || (cluster === 0x0705 && command === 0x06)) out.push([payload + 4, 4]);
    else if (cluster === 0x0705 && command === 0x05) out.push([payload, 4]);
  }
  return out;
}

/** The device's answer has the RTDS response's shape: header fields, and the DLMS results or the GBZ components. */
function expectRtdsShape(ours: GbcsMessage, rtds: GbcsMessage): void {
  expect(ours.apdu.cra).toBe('response');
  expect(ours.apdu.messageCode).toBe(rtds.apdu.messageCode);
  expect(ours.apdu.dateTime !== undefined).toBe(rtds.apdu.dateTime !== undefined);
  expect(ours.apdu.signature !== null).toBe(rtds.apdu.signature !== null);
  const a = ours.body;
  const b = rtds.body;
  if (a.kind === 'dlms-response' && b.kind === 'dlms-response') {
    expect(a.response.results).toEqual(b.response.results);
    expect(a.response.data.map((d) => d.type)).toEqual(b.response.data.map((d) => d.type));
  } else if (a.kind === 'gbz' && b.kind === 'gbz') {
    const shape = (c: (typeof a.gbz.components)[number]) => [c.control, c.clusterId, c.frameControl, c.sequence, c.commandId, c.payload.toString('hex')];
    expect(a.gbz.components.map(shape)).toEqual(b.gbz.components.map(shape));
  } else {
    expect(a.kind).toBe(b.kind);
  }
}

/**
 * A single-element ESME's credit-charge configuration (…A0 as seeded): without a secondary element the DCC omits
 * the rows RTDS's twin vectors carry (the rest of the array is compared; twin-element.test.ts makes …A0 twin).
 */
const TWIN_ROWS: Record<string, string[]> = {
  'ECS02_1.6_FUTURE_DATED_TWIN': ['data 2: 2 vs 3 items'],
  'ECS02_1.6_CANCELLATION_TWIN': ['data 2: 2 vs 3 items'],
  'ECS03_1.6_FUTURE_DATED_TWIN': ['data 3: 10 vs 12 items'],
  'ECS03_1.6_CANCELLATION_TWIN': ['data 3: 13 vs 15 items'],
};

function conforms(stem: string, edit?: (xml: string) => string): TemplateRun {
  const r = w.run(`${stem}_SUCCESS_REQUEST_DUIS.XML`, edit);
  expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
  const dir = folderOf(stem);
  const vector = rtdsVector(dir, `${stem}_SUCCESS_PRECOMMAND_GBCS.HEX`);
  // Only the GBZ time of issue is ignored (DLMS date-times are ignored by gbcsDifferences itself).
  expect(gbcsDifferences(r.preCommand!, vector, { ignore: timesOfIssue(vector) })).toEqual(TWIN_ROWS[stem] ?? []);
  expect(gbcsDifferences(r.command!, rtdsVector(dir, `${stem}_SUCCESS_COMMAND_GBCS.HEX`), { ignore: timesOfIssue(vector) })).toEqual(TWIN_ROWS[stem] ?? []);
  expectRtdsShape(r.deviceResponse!, decodeGbcsMessage(rtdsVector(dir, `${stem}_SUCCESS_RESPONSE_GBCS.HEX`)));
  return r;
}

const CONFORMANCE = [
  'ECS01a_1.1.1_IMMEDIATE_BLOCK', 'ECS01a_1.1.1_FUTURE_DATED_TOU_BLOCK', 'ECS01a_1.1.1_CANCELLATION_TOU_BLOCK', 'ECS01a_1.1.1_IMMEDIATE_TOU',
  'GCS01a_1.1.1_FUTURE_DATED_BLOCK', 'GCS01a_1.1.1_CANCELLATION_BLOCK', 'GCS01a_1.1.1_IMMEDIATE_TOU',
  'ECS01c_1.1.2_IMMEDIATE', 'ECS01c_1.1.2_FUTURE_DATED', 'ECS01c_1.1.2_CANCELLATION',
  'ECS01b_1.2.1_IMMEDIATE_BLOCK', 'ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK', 'ECS01b_1.2.1_CANCELLATION_TOU_BLOCK', 'ECS01b_1.2.1_IMMEDIATE_TOU',
  'GCS01b_1.2.1_FUTURE_DATED_BLOCK', 'GCS01b_1.2.1_CANCELLATION_BLOCK', 'GCS01b_1.2.1_IMMEDIATE_TOU',
  'ECS01d_1.2.2_IMMEDIATE', 'ECS01d_1.2.2_FUTURE_DATED', 'ECS01d_1.2.2_CANCELLATION',
  'ECS02_1.6_FUTURE_DATED_TWIN', 'ECS02_1.6_CANCELLATION_TWIN', 'ECS02_1.6_IMMEDIATE_SINGLE',
  'ECS03_1.6_FUTURE_DATED_TWIN', 'ECS03_1.6_CANCELLATION_TWIN', 'ECS03_1.6_IMMEDIATE_SINGLE',
  'GCS02_1.6_FUTURE_DATED', 'GCS02_1.6_CANCELLATION', 'GCS02_1.6_IMMEDIATE',
  'GCS03_1.6_FUTURE_DATED', 'GCS03_1.6_CANCELLATION', 'GCS03_1.6_IMMEDIATE',
  'ECS04a_1.5', 'ECS04b_1.5', 'GCS40a_1.5', 'GCS40b_1.5', 'GCS40c_1.5', 'GCS40d_1.5', 'ECS05_1.7',
];

describe('tariffs and balances on the RTDS ESME and GSME', () => {
  it.each(CONFORMANCE)('%s: I0, the pre-command and command as RTDS, the answer in the RTDS shape', (stem) => {
    conforms(stem);
  });

  it('a tariff set now is the active tariff: prices, standing charge, TOU switching and the objects read back', () => {
    conforms('ECS01a_1.1.1_IMMEDIATE_TOU');
    const t = primary(ESME)!;
    expect(t.currency).toBe('GBP');
    expect(t.standingCharge).toEqual({ value: 20000, scale: -5 });
    expect(t.touPrices!.slice(0, 2)).toEqual([2121, 3127]);
    // summer (from 2015-03-29) uses week 2: weekdays day 2 (TOU3 06:00-23:00, else TOU2); Christmas is day 3 (TOU1)
    expect(tariffActionAt(t, new Date('2026-12-02T08:00:00Z'))).toEqual({ tou: 3 });
    expect(tariffActionAt(t, new Date('2026-12-02T23:30:00Z'))).toEqual({ tou: 2 });
    expect(tariffActionAt(t, new Date('2026-12-25T12:00:00Z'))).toEqual({ tou: 1 });
    // winter 2014/15 used week 1: weekdays day 1 (TOU2 from midnight, TOU3 from 07:00)
    expect(tariffActionAt(t, new Date('2015-01-05T03:00:00Z'))).toEqual({ tou: 2 });
    // the active COSEM attributes a read returns: price matrix unit_charge_active, active special days
    const sent = decodeGbcsMessage(rtdsVector('1.1.1_ECS01a', 'ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_PRECOMMAND_GBCS.HEX')).body;
    if (sent.kind !== 'dlms-request') throw new Error(sent.kind);
    const app = appOf(ESME);
    expect(storedAttribute(app, 113, obis('0-0:19.20.0.255'), 5)).toEqual(sent.request.data[14]);
    expect(storedAttribute(app, 11, obis('0-0:11.0.0.255'), 2)).toEqual(sent.request.data[3]);
  });

  it('a gas tariff set now is the GSME\'s active tariff and Price cluster attributes', () => {
    conforms('GCS01a_1.1.1_IMMEDIATE_TOU');
    const t = primary(GSME)!;
    expect(t.touPrices).toEqual([9600, 10200, 10750, 11000]);
    expect(t.standingCharge).toEqual({ value: 22465, scale: -5 });
    expect(t.specialDays).toHaveLength(10);
    expect(storedZclAttribute(appOf(GSME), 0x0700, 0x0301)?.value).toBe(22465);
    expect(storedZclAttribute(appOf(GSME), 0x0700, 0x0420)?.value).toBe(10200);
  });

  it('balance adjustments move the meter balance; a reset zeroes it', () => {
    const esme = () => prepaymentOf(appOf(ESME));
    conforms('ECS04b_1.5');
    expect(esme()).toMatchObject({ balance: 0, emergencyCredit: 0, accumulatedDebt: 0 });
    conforms('ECS04a_1.5');
    conforms('ECS04a_1.5');
    expect(esme().balance).toBe(2_400_000);
    // 4.18 reads the meter balance (class 112 0-0:19.10.0.255 current_credit_amount) the adjustments left
    const read = w.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML');
    expect(read.final, read.finalReason ?? '').toBe('I0');
    const body = read.deviceResponse!.body;
    expect(body.kind === 'dlms-response' && body.response.data[0]).toEqual({ type: 'double-long', value: 2_400_000 });
    conforms('ECS04b_1.5');
    expect(esme().balance).toBe(0);
    const gsme = () => prepaymentOf(appOf(GSME)).balance;
    conforms('GCS40b_1.5');
    conforms('GCS40a_1.5');
    expect(gsme()).toBe(23130);
    conforms('GCS40c_1.5');
    expect(gsme()).toBe(23130 + 5_000_000);
    conforms('GCS40d_1.5');
    expect(gsme()).toBe(0);
  });

  it('the payment mode changes at once when not future-dated', () => {
    conforms('ECS03_1.6_IMMEDIATE_SINGLE');
    expect(prepaymentOf(appOf(ESME))).toMatchObject({ paymentMode: 'prepayment', disablementThreshold: 556677 });
    conforms('ECS02_1.6_IMMEDIATE_SINGLE');
    expect(prepaymentOf(appOf(ESME)).paymentMode).toBe('credit');
    conforms('GCS03_1.6_IMMEDIATE');
    expect(prepaymentOf(appOf(GSME)).paymentMode).toBe('prepayment');
    conforms('GCS02_1.6_IMMEDIATE');
    expect(prepaymentOf(appOf(GSME)).paymentMode).toBe('credit');
  });

  it('requests written from the example bodies (dcc-sim example) are carried out and set what they say', () => {
    const send = (target: string, body: object) => {
      const xml = buildRequest({ requestId: { originator: SUPPLIER, target, counter: 1 }, commandVariant: 4, body: body as never });
      expect(duisXsdErrors(xml)).toEqual([]);
      const r = w.runXml(xml);
      expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
    };
    send(ESME, { kind: 'UpdateImportTariffPrimaryElement', ...exampleElecTariff() });
    expect(primary(ESME)!.touPrices!.slice(0, 3)).toEqual([12000, 25000, 0]);
    expect(tariffActionAt(primary(ESME)!, new Date('2026-06-01T12:00:00Z'))).toEqual({ tou: 2 });
    send(GSME, { kind: 'UpdateImportTariffPrimaryElement', ...exampleGasTariff() });
    expect(primary(GSME)!.touPrices).toEqual([6500, 0, 0, 0]);
    send(ESME, { kind: 'UpdatePricePrimaryElement', prices: { ...exampleElecPrices(), touPrices: [{ index: 1, value: 11000 }, { index: 2, value: 26000 }] } });
    expect(primary(ESME)!.touPrices!.slice(0, 2)).toEqual([11000, 26000]);
    send(ESME, { kind: 'UpdatePriceSecondaryElement', prices: exampleSecondaryPrices() });
    expect(activeTariffOf(appOf(ESME))!.secondary!.touPrices).toEqual([9000, 15000, 0, 0]);
    const balance = prepaymentOf(appOf(GSME)).balance;
    send(GSME, { kind: 'UpdateMeterBalance', mode: 'credit', adjustment: -500 });
    expect(prepaymentOf(appOf(GSME)).balance).toBe(balance - 500);
    send(GSME, { kind: 'UpdatePaymentMode', mode: { kind: 'prepayment', suspendDebtDisabled: true, suspendDebtEmergency: false, disablementThreshold: 100 } });
    expect(prepaymentOf(appOf(GSME))).toMatchObject({ paymentMode: 'prepayment', suspendDebtDisabled: true, suspendDebtEmergency: false, disablementThreshold: 100 });
    send(ESME, { kind: 'ResetTariffBlockCounterMatrix' });
    expect(activeTariffOf(appOf(ESME))!.blockCountersResetAt).toBeDefined();
  });

  it('a gas tariff sent to the ESME is refused E11, reaches no device and changes nothing', () => {
    const before = appOf(ESME);
    const r = w.run('GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML', (x) => x.replaceAll('00-DB-12-34-56-78-90-A1', '00-DB-12-34-56-78-90-A0'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.preCommand).toBeUndefined();
    expect(r.command).toBeUndefined();
    expect(appOf(ESME)).toEqual(before);
  });
});

// ---------------------------------------------------------------- future-dated: held, then activated

/** The RTDS 8F66 alert vectors of a template, in the order the device raised them (its alert counter). */
function rtdsAlerts(stem: string): Buffer[] {
  const dir = folderOf(stem);
  const [useCase, service, ...rest] = stem.split('_');
  const prefix = `${useCase}_${service}_8F66_${rest.join('_')}_SUCCESS_ALERT_`;
  return readdirSync(join(RTDS, dir)).filter((f) => f.startsWith(prefix)).map((f) => rtdsVector(dir, f))
    .sort((a, b) => Number(decodeGbcsMessage(a).apdu.counter - decodeGbcsMessage(b).apdu.counter));
}

function alertsFor(requestId: string): Buffer[] {
  return w.dcc.gateway.responsesFor(requestId).flatMap((r) => {
    const c = parseDuisResponse(r.body).body;
    return c.kind === 'ResponseMessage' && c.content && 'futureDatedDeviceAlert' in c.content ? [c.content.futureDatedDeviceAlert.gbcsPayload] : [];
  });
}

/**
 * What may differ between our 8F66 and RTDS's: the invoke id and the original command's counter (counters), and
 * the activation time where the test moved it to another day.
 */
function alertIgnores(alert: Buffer): [number, number][] {
  const m = decodeGbcsMessage(alert);
  if (m.body.kind === 'gbz-alert') return [[5, 4], [12, 8]]; // time; original counter
  return [[1, 4], [13, 12], [29, 8]]; // invoke id; time; original counter
}

/** Sends a future-dated template for 09:00 on `day` January 2030; on the 15th (the template's day) it is compared with RTDS. */
function hold(stem: string, day: number): TemplateRun {
  if (day === 15) return conforms(stem, onDay(day));
  const r = w.run(`${stem}_SUCCESS_REQUEST_DUIS.XML`, onDay(day));
  expect(r.final, r.finalReason ?? '').toBe('I0');
  return r;
}

const at = (day: number) => new Date(Date.UTC(2030, 0, day, 9, 0, 0));
const onDay = (day: number) => (xml: string) => xml.replace(/2030-01-15T0\d:00:00\.00Z/, at(day).toISOString());

describe('future-dated tariffs and payment modes', () => {
  const held: { stem: string; day: number; requestId: string; eui: string }[] = [];
  let cancelled: TemplateRun;

  it('are held by the device: nothing changes before their time', () => {
    const before = { esme: appOf(ESME).tariff, gsme: appOf(GSME).tariff, esmePayment: prepaymentOf(appOf(ESME)).paymentMode };
    const plan: [string, number, string][] = [
      ['ECS01a_1.1.1_FUTURE_DATED_TOU_BLOCK', 15, ESME], ['ECS01c_1.1.2_FUTURE_DATED', 16, ESME], ['ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK', 18, ESME],
      ['ECS01d_1.2.2_FUTURE_DATED', 19, ESME], ['ECS03_1.6_FUTURE_DATED_TWIN', 20, ESME], ['ECS02_1.6_FUTURE_DATED_TWIN', 21, ESME],
      // two held for the same time: each request is answered with its own alerts only
      ['ECS01d_1.2.2_FUTURE_DATED', 22, ESME], ['ECS03_1.6_FUTURE_DATED_TWIN', 22, ESME],
      ['GCS01a_1.1.1_FUTURE_DATED_BLOCK', 15, GSME], ['GCS01b_1.2.1_FUTURE_DATED_BLOCK', 16, GSME], ['GCS03_1.6_FUTURE_DATED', 17, GSME], ['GCS02_1.6_FUTURE_DATED', 18, GSME],
    ];
    // A price change for 17 January, cancelled (with the other held ECS01b) before its time: it must never act.
    cancelled = w.run('ECS01b_1.2.1_FUTURE_DATED_TOU_BLOCK_SUCCESS_REQUEST_DUIS.XML', onDay(17));
    expect(cancelled.final).toBe('I0');
    conforms('ECS01b_1.2.1_CANCELLATION_TOU_BLOCK');
    for (const [stem, day, eui] of plan) held.push({ stem, day, eui, requestId: hold(stem, day).requestId });
    expect(loadDevice(w.world, ESME).state.pending.map((p) => p.executeAt.toISOString()).sort())
      .toEqual([15, 16, 18, 19, 20, 21, 22, 22].map((d) => at(d).toISOString()));
    expect(appOf(ESME).tariff).toEqual(before.esme);
    expect(appOf(GSME).tariff).toEqual(before.gsme);
    expect(prepaymentOf(appOf(ESME)).paymentMode).toBe(before.esmePayment);
  });

  it('activate at their time with one 8F66 per activated object, as RTDS raises them', () => {
    for (const day of [15, 16, 17, 18, 19, 20, 21, 22]) {
      w.dcc.clock.set(new Date(at(day).getTime() + 1000));
      w.dcc.runDueCommands();
      for (const h of held.filter((x) => x.day === day)) {
        const ours = alertsFor(h.requestId);
        const rtds = rtdsAlerts(h.stem);
        expect(rtds.length, h.stem).toBeGreaterThan(0);
        expect(ours.length, h.stem).toBe(rtds.length);
        ours.forEach((a, i) => expect(gbcsDifferences(a, rtds[i]!, { ignore: alertIgnores(a) }), `${h.stem} alert ${i + 1}`).toEqual([]));
        expect(ours.every((a) => decodeGbcsMessage(a).apdu.signature !== null)).toBe(true);
      }
      if (day === 15) {
        // ECS01a FUTURE_DATED: TOU1 21.21, block set 1 22.89 / 35.46, thresholds 10 kWh on set 1
        const t = primary(ESME)!;
        expect(t.touPrices![0]).toBe(2121);
        expect(t.blockPrices![0]).toEqual([2289, 3546, 0, 0]);
        expect(t.blockThresholds![0]).toEqual([10000, 4294967295]);
        expect(t.activatedAt).toBe(at(15).toISOString());
        const g = primary(GSME)!;
        expect(g.blockThresholds).toEqual([[1000000, 2000000, 3000000]]);
        expect(g.blockPrices).toEqual([[9600, 10200, 10750, 11000]]);
      }
      if (day === 17) expect(prepaymentOf(appOf(GSME))).toMatchObject({ paymentMode: 'prepayment', suspendDebtEmergency: true });
      if (day === 20) expect(prepaymentOf(appOf(ESME))).toMatchObject({ paymentMode: 'prepayment', disablementThreshold: 556677 });
      if (day === 21) expect(prepaymentOf(appOf(ESME)).paymentMode).toBe('credit');
    }
    expect(loadDevice(w.world, ESME).state.pending).toEqual([]);
    expect(loadDevice(w.world, GSME).state.pending).toEqual([]);
  });

  it('a cancelled one never acts and raises nothing', () => {
    expect(alertsFor(cancelled.requestId)).toEqual([]);
  });
});
