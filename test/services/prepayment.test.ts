/**
 * Prepayment (2.2, 2.3, 2.5) from the RTDS templates on a ZAZ1 world: each GBCS command equals its RTDS vector
 * (counters, date-times and times of issue aside), the device answers in the RTDS shape, and the meter's money
 * follows: emergency credit shows once and only when credit is low; a UTRN made for the meter credits it once,
 * a replayed UTRN or one made for another meter is refused with the GBCS status and changes nothing; debt
 * updates add to the debts, and a top-up then recovers the payment-based debt's share.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decodeReadAttributesResponse, makeUtrn, obisText, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { exampleRequest } from '../../src/world/examples.ts';
import { conformanceWorld, gbcsDifferences, rtdsVector, type ConformanceWorld } from '../helpers/rtds-conformance.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const SUPPLIER = '90B3D51F30010000';

let w: ConformanceWorld;
beforeAll(() => { w = conformanceWorld(); });
afterAll(() => w?.close());

interface Money {
  prepayment?: { balance: number; emergencyCredit: number };
  prepaymentConfig?: { debts: { timeDebt1: number; timeDebt2: number; paymentDebt: number; recoveryPerPayment: number }; emergencyCredit: { active: boolean } };
}

/** The meter's money and prepayment settings, as the DCC keeps its application state (what the console shows for the device). */
function money(eui: string): Money {
  const json = w.world.store.getDeviceAppState(eui);
  if (json === undefined) return {};
  const { prepayment, prepaymentConfig } = JSON.parse(json) as Money;
  return { ...(prepayment ? { prepayment } : {}), ...(prepaymentConfig ? { prepaymentConfig } : {}) };
}

/** A UTRN the ZAZ1 supplier makes for our meter (its top-up KA key and the meter's KA certificate), in `world`. */
function utrnFor(eui: string, counter: bigint, value: number, valueClass: 'pence' | 'pounds' = 'pence', world: ConformanceWorld = w): string {
  const cell = world.world.store.getDeviceSecurity(eui)!.cells.supplierTopUpKA!;
  const key = world.world.privateKeyOf(cell)!;
  const ka = new X509Certificate(world.world.deviceCertificates(eui).kaCertificate.der).publicKey;
  return makeUtrn(key, ka, { supplier: SUPPLIER, device: eui, counter, value, valueClass });
}

function withUtrn(utrn: string, target?: string) {
  return (xml: string) => {
    let out = xml.replace(/<sr:UTRN>\d+<\/sr:UTRN>/, `<sr:UTRN>${utrn}</sr:UTRN>`);
    if (target) out = out.replace(/00-DB-12-34-56-78-90-A[01]/g, target);
    return out;
  };
}

function dlmsResults(m: GbcsMessage | undefined): number[] {
  if (m?.body.kind !== 'dlms-response') throw new Error(`not a DLMS response: ${m?.body.kind}`);
  return m.body.response.results.map((r) => r.result);
}

function gbzShape(m: GbcsMessage | undefined): [number, number, number][] {
  if (m?.body.kind !== 'gbz') throw new Error(`not GBZ: ${m?.body.kind}`);
  return m.body.gbz.components.map((c) => [c.clusterId, c.frameControl, c.commandId]);
}

/** Consumer Top Up Response: result, top-up value, credit remaining. */
function topUpResponse(m: GbcsMessage | undefined): { result: number; value: number; credit: number } {
  if (m?.body.kind !== 'gbz') throw new Error(`not GBZ: ${m?.body.kind}`);
  const p = m.body.gbz.components[0]!.payload;
  return { result: p[0]!, value: p.readInt32LE(1), credit: p.readInt32LE(6) };
}

const rtdsResponse = (dir: string, file: string) => decodeGbcsMessage(rtdsVector(dir, file));

describe('2.5 Activate Emergency Credit', () => {
  it('ECS09 as RTDS: the ESME with no credit gives its emergency credit, once', () => {
    const r = w.run('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('2.5_ECS09', 'ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(dlmsResults(r.deviceResponse)).toEqual(dlmsResults(rtdsResponse('2.5_ECS09', 'ECS09_2.5_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(money(ESME).prepayment?.emergencyCredit).toBe(2_500_000); // its factory £25 (RTDS ECS26a)
    expect(money(ESME).prepaymentConfig?.emergencyCredit.active).toBe(true);
    // In use already: refused as the RTDS ERROR response, nothing changed.
    const before = money(ESME);
    const again = w.run('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML');
    expect(again.final).toBe('I0');
    expect(dlmsResults(again.deviceResponse)).toEqual(dlmsResults(rtdsResponse('2.5_ECS09', 'ECS09_2.5_ERROR_RESPONSE_GBCS.HEX')));
    expect(money(ESME)).toEqual(before);
  });

  it('GCS06 as RTDS: the GSME selects its emergency credit with a Default Response', () => {
    const r = w.run('GCS06_2.5_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('2.5_GCS06', 'GCS06_2.5_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const rtds = rtdsResponse('2.5_GCS06', 'GCS06_2.5_SUCCESS_RESPONSE_GBCS.HEX');
    expect(gbzShape(r.deviceResponse)).toEqual(gbzShape(rtds));
    expect(r.deviceResponse!.apdu.payload).toEqual(rtds.apdu.payload);
    expect(money(GSME).prepayment?.emergencyCredit).toBe(1_000_000); // its factory £10 (RTDS GCS21b)
  });
});

describe('2.2 Top Up Device', () => {
  it('CS01a as RTDS; the RTDS UTRN, made for the RTDS ESME\'s key, is not for ours: refused, nothing changed', () => {
    const r = w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.command!, rtdsVector('2.2_CS01a', 'CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(r.deviceResponse!.apdu.dateTime).toBeDefined(); // a top-up response carries the date-time, as RTDS
    expect(dlmsResults(r.deviceResponse)).toEqual(dlmsResults(rtdsResponse('2.2_CS01a', 'CS01a_2.2_ERROR_RESPONSE_GBCS.HEX')));
    expect(money(ESME).prepayment?.balance).toBe(0);
  });

  it('a £10 UTRN made for the ESME credits £10 once and ends the emergency credit; its replay is refused', () => {
    const utrn = utrnFor(ESME, 3n << 32n, 10, 'pounds');
    const r = w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrn));
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(dlmsResults(r.deviceResponse)).toEqual(dlmsResults(rtdsResponse('2.2_CS01a', 'CS01a_2.2_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(money(ESME).prepayment).toMatchObject({ balance: 1_000_000, emergencyCredit: 0 });
    expect(w.world.store.getDeviceSecurity(ESME)!.topUpSeqNumber).toBe(3n << 32n);
    const before = money(ESME);
    const replay = w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrn));
    expect(replay.final).toBe('I0');
    expect(dlmsResults(replay.deviceResponse)).toEqual([1]);
    expect(money(ESME)).toEqual(before);
    // An older counter than the last taken is a replay too.
    const older = w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(ESME, 2n << 32n, 500)));
    expect(dlmsResults(older.deviceResponse)).toEqual([1]);
    expect(money(ESME)).toEqual(before);
  });

  it('CS01b as RTDS: a 1250p UTRN made for the GSME answers its value and the credit remaining', () => {
    const r = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML');
    expect(gbcsDifferences(r.command!, rtdsVector('2.2_CS01b', 'CS01b_2.2_SUCCESS_COMMAND_GBCS.HEX'))).toEqual([]);
    expect(topUpResponse(r.deviceResponse)).toEqual(topUpResponse(rtdsResponse('2.2_CS01b', 'CS01b_2.2_ERROR_RESPONSE_GBCS.HEX')));
    const ok = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(GSME, 6n << 32n, 1250)));
    expect(ok.final, ok.finalReason ?? '').toBe('I0');
    expect(gbzShape(ok.deviceResponse)).toEqual(gbzShape(rtdsResponse('2.2_CS01b', 'CS01b_2.2_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(topUpResponse(ok.deviceResponse)).toEqual({ result: 0, value: 1_250_000, credit: 1_250_000 });
    expect(money(GSME).prepayment).toMatchObject({ balance: 1_250_000, emergencyCredit: 0 });
  });

  it('a replayed UTRN is refused as a duplicate, one made for the ESME as invalid; neither changes the GSME', () => {
    const before = money(GSME);
    const replay = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(GSME, 6n << 32n, 1250)));
    expect(topUpResponse(replay.deviceResponse).result).toBe(0x02);
    const foreign = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(ESME, 7n << 32n, 1250)));
    expect(topUpResponse(foreign.deviceResponse).result).toBe(0x01);
    expect(money(GSME)).toEqual(before);
    expect(w.world.store.getDeviceSecurity(GSME)!.topUpSeqNumber).toBe(6n << 32n);
  });

  it('a UTRN of the wrong form is refused E100 by the DCC and reaches no meter', () => {
    const r = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn('1234'));
    expect(r.answer.responseCode).toBe('E100');
    expect(r.command).toBeUndefined();
  });
});

describe('2.3 Update Debt', () => {
  it('ECS07 as RTDS adds to the ESME\'s debts and sets the recovery share', () => {
    const r = w.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('2.3_ECS07', 'ECS07_2.3_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(dlmsResults(r.deviceResponse)).toEqual(dlmsResults(rtdsResponse('2.3_ECS07', 'ECS07_2.3_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(money(ESME).prepaymentConfig?.debts).toMatchObject({ timeDebt1: 30000, timeDebt2: 15000, paymentDebt: 50000, recoveryPerPayment: 1000 });
    w.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML');
    expect(money(ESME).prepaymentConfig?.debts).toMatchObject({ timeDebt1: 60000, timeDebt2: 30000, paymentDebt: 100000 });
  });

  it('GCS04 as RTDS (issuer event ids aside) adds to the GSME\'s debts; a top-up then recovers 1% of itself', () => {
    const r = w.run('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    // Each Change Debt's issuer event id is the time of issue (GBZ payload octets 12-15 of each 32-octet component).
    expect(gbcsDifferences(r.preCommand!, rtdsVector('2.3_GCS04', 'GCS04_2.3_SUCCESS_PRECOMMAND_GBCS.HEX'), { ignore: [[11, 4], [43, 4], [75, 4]] })).toEqual([]);
    const rtds = rtdsResponse('2.3_GCS04', 'GCS04_2.3_SUCCESS_RESPONSE_GBCS.HEX');
    expect(r.deviceResponse!.apdu.payload).toEqual(rtds.apdu.payload);
    expect(money(GSME).prepaymentConfig?.debts).toMatchObject({ timeDebt1: 1_000_000, timeDebt2: 500_000, paymentDebt: 1_000_000, recoveryPerPayment: 100 });
    const before = money(GSME).prepayment!.balance;
    const t = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(GSME, 8n << 32n, 1000)));
    expect(topUpResponse(t.deviceResponse)).toMatchObject({ result: 0, value: 1_000_000 });
    expect(money(GSME).prepayment!.balance).toBe(before + 990_000);
    expect(money(GSME).prepaymentConfig?.debts.paymentDebt).toBe(990_000);
  });

  it('dcc-sim example update-debt and prepay-config carry out on both meters', () => {
    for (const kind of ['update-debt', 'prepay-config']) {
      for (const eui of [ESME, GSME]) {
        const r = w.runXml(exampleRequest(w.world, kind as never, { device: eui }));
        expect(r.final, `${kind} ${eui}: ${r.finalReason ?? ''}`).toBe('I0');
      }
    }
    expect(config(GSME).thresholds.maxCredit).toBe(1_000_000);
  });

  it('gas debt recovery sent to the ESME is refused E11', () => {
    const r = w.run('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('00-DB-12-34-56-78-90-A1', '00-DB-12-34-56-78-90-A0'));
    expect(r.answer.responseCode).toBe('E11');
    expect(r.preCommand).toBeUndefined();
  });
});

/** Every 4-octet field holding the RTDS time of issue (2015-01-01, 804A371C): issuer event and calendar ids. */
function timesOfIssue(vector: Buffer): [number, number][] {
  const payload = Buffer.from(decodeGbcsMessage(vector).apdu.payload);
  const out: [number, number][] = [];
  for (let i = payload.indexOf('804a371c', 0, 'hex'); i >= 0; i = payload.indexOf('804a371c', i + 1, 'hex')) out.push([i, 4]);
  return out;
}

interface Thresholds { lowCredit?: number; maxMeterBalance?: number; maxCredit?: number; debtRecoveryRateCap?: number }
const config = (eui: string) => money(eui).prepaymentConfig as unknown as { thresholds: Thresholds; emergencyCredit: { limit: number; threshold: number } };

/** The 8F66 alerts the User got for a request, decoded. */
function futureDatedAlerts(requestId: string): GbcsMessage[] {
  return w.dcc.gateway.responsesFor(requestId).flatMap((r) => {
    const m = /<sr:GBCSPayload>([^<]+)<\/sr:GBCSPayload>/.exec(r.body.toString());
    return m && r.body.toString().includes('FutureDatedDeviceAlert') ? [decodeGbcsMessage(Buffer.from(m[1]!, 'base64'))] : [];
  });
}

// Last: these move the simulated clock to the RTDS execution date (2030-01-15T09:00Z).
describe('2.1 Update Prepay Configuration', () => {
  it('ECS08a now, as RTDS: the thresholds take effect; a top-up above the maximum credit is refused', () => {
    const r = w.run('ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(r.preCommand!, rtdsVector('2.1_ECS08a', 'ECS08a_2.1_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const rtds = rtdsResponse('2.1_ECS08a', 'ECS08a_2.1_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX');
    expect(dlmsResults(r.deviceResponse)).toEqual(dlmsResults(rtds));
    expect(r.deviceResponse!.apdu.dateTime).toBeDefined();
    expect(config(ESME).thresholds).toEqual({ maxMeterBalance: 5_000_000, maxCredit: 1_000_000, debtRecoveryRateCap: 30, lowCredit: 200_000 });
    expect(config(ESME).emergencyCredit).toMatchObject({ limit: 300_000, threshold: 100_000 });
    // The ECS08 template has the same body: the DCC sends ECS08a for it.
    const e = w.run('ECS08_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    expect(e.final, e.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(e.preCommand!, rtdsVector('2.1_ECS08a', 'ECS08a_2.1_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const before = money(ESME);
    const big = w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(ESME, 9n << 32n, 20, 'pounds')));
    expect(dlmsResults(big.deviceResponse)).toEqual([1]);
    expect(money(ESME)).toEqual(before);
  });

  it('GCS05 now, as RTDS (times of issue aside): the GSME takes the thresholds and refuses a top-up above its maximum', () => {
    const r = w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    expect(r.final, r.finalReason ?? '').toBe('I0');
    const vector = rtdsVector('2.1_GCS05', 'GCS05_2.1_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX');
    expect(gbcsDifferences(r.preCommand!, vector, { ignore: timesOfIssue(vector) })).toEqual([]);
    const rtds = rtdsResponse('2.1_GCS05', 'GCS05_2.1_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX');
    expect(r.deviceResponse!.apdu.payload).toEqual(rtds.apdu.payload);
    expect(config(GSME).thresholds).toEqual({ maxMeterBalance: 25_000_000, maxCredit: 25_000_000, debtRecoveryRateCap: 100_000, lowCredit: 5_000_000 });
    expect(config(GSME).emergencyCredit).toMatchObject({ limit: 10_000_000, threshold: 100_000 });
    const before = money(GSME);
    const big = w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(GSME, 9n << 32n, 300, 'pounds')));
    expect(topUpResponse(big.deviceResponse).result).toBe(0x06); // top-up value too large
    expect(money(GSME)).toEqual(before);
  });

  it('future-dated: held until 2030-01-15T09:00Z, a cancellation drops what is held, then one 8F66 per setting as RTDS', () => {
    const raise = (limit: number) => (x: string) => x.replace('<sr:EmergencyCreditLimit>300000<', `<sr:EmergencyCreditLimit>${limit}<`).replace('<sr:EmergencyCreditLimit>10000000<', `<sr:EmergencyCreditLimit>${limit}<`);
    const e1 = w.run('ECS08a_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', raise(400_000));
    expect(e1.final, e1.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(w.run('ECS08a_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML').preCommand!, rtdsVector('2.1_ECS08a', 'ECS08a_2.1_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    const g1 = w.run('GCS05_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', raise(12_000_000));
    const gv = rtdsVector('2.1_GCS05', 'GCS05_2.1_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX');
    expect(gbcsDifferences(w.run('GCS05_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML').preCommand!, gv, { ignore: timesOfIssue(gv) })).toEqual([]);
    expect(g1.final, g1.finalReason ?? '').toBe('I0');
    expect(config(ESME).emergencyCredit.limit).toBe(300_000);
    expect(config(GSME).emergencyCredit.limit).toBe(10_000_000);
    // The cancellations, as RTDS, drop all four held commands.
    const ec = w.run('ECS08a_2.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML');
    expect(ec.final, ec.finalReason ?? '').toBe('I0');
    expect(gbcsDifferences(ec.preCommand!, rtdsVector('2.1_ECS08a', 'ECS08a_2.1_CANCELLATION_SUCCESS_PRECOMMAND_GBCS.HEX'))).toEqual([]);
    expect(w.run('ECS08_2.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    const gc = w.run('GCS05_2.1_CANCELLATION_SUCCESS_REQUEST_DUIS.XML');
    expect(gc.final, gc.finalReason ?? '').toBe('I0');
    const cv = rtdsVector('2.1_GCS05', 'GCS05_2.1_CANCELLATION_SUCCESS_PRECOMMAND_GBCS.HEX');
    expect(gbcsDifferences(gc.preCommand!, cv, { ignore: timesOfIssue(cv) })).toEqual([]);
    // Held again, then the clock reaches the execution time.
    const e2 = w.run('ECS08_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', raise(450_000));
    const g2 = w.run('GCS05_2.1_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', raise(13_000_000));
    w.dcc.clock.set(new Date('2030-01-15T09:00:01Z'));
    expect(w.dcc.runDueCommands()).toBe(2);
    expect(config(ESME).emergencyCredit.limit).toBe(450_000);
    expect(config(GSME).emergencyCredit.limit).toBe(13_000_000);
    expect(futureDatedAlerts(e1.requestId)).toEqual([]);
    const elecAlerts = futureDatedAlerts(e2.requestId);
    expect(elecAlerts).toHaveLength(9);
    // Counters aside, which the comparison cannot see in a data-notification: its invoke id (octets 2-5, from the
    // alert counter) and the command's counter it names (octets 30-37).
    expect(gbcsDifferences(Buffer.from(elecAlerts[0]!.apdu.bytes), rtdsVector('2.1_ECS08a', 'ECS08a_2.1_8F66_FUTURE_DATED_SUCCESS_ALERT_SPECIAL_DAYS_GBCS.HEX'), { ignore: [[1, 4], [29, 8]] })).toEqual([]);
    // One per setting, in the order of RTDS's alert counters: special days, max meter balance, max credit, debt cap
    // amount and period, low credit, emergency credit limit and threshold, calendar (0-0:94.44.x.y, attribute 6).
    expect(elecAlerts.map((a) => Buffer.from(a.apdu.payload).subarray(-5).toString('hex'))).toEqual(
      ['801f', '0214', '020a', '800c', '800d', '8009', '8002', '8003', '801c'].map((o) => `5e2c${o}06`),
    );
    const gasAlerts = futureDatedAlerts(g2.requestId);
    expect(gasAlerts).toHaveLength(6);
    const setup = gasAlerts[0]!;
    const rtdsSetup = decodeGbcsMessage(rtdsVector('2.1_GCS05', 'GCS05_2.1_8F66_FUTURE_DATED_SUCCESS_ALERT_EMERGENCY_CREDIT_SETUP_GBCS.HEX'));
    // The alert names the command's counter (octets 12-19 of the payload); RTDS's is 1001.
    expect(gbcsDifferences(Buffer.from(setup.apdu.bytes), Buffer.from(rtdsSetup.apdu.bytes), { ignore: [[12, 8]] })).toEqual([]);
  });
});

/** A DLMS command's specs, each 'class OBIS attribute', with the value it carries or its answer gives. */
const byAttribute = (command: Buffer, answer?: GbcsMessage): Map<string, DlmsData> => {
  const c = decodeGbcsMessage(command).body;
  if (c.kind !== 'dlms-request') throw new Error(c.kind);
  const values = answer ? (answer.body.kind === 'dlms-response' ? answer.body.response.data : []) : c.request.data;
  return new Map(c.request.specs.map((s, i) => [`${s.classId} ${obisText(s.obis)} ${s.id}`, values[i]!]));
};
const value = (d: DlmsData | undefined) => (d && 'value' in d ? d.value : undefined);

describe('4.13 Read Prepayment Configuration after 2.1', () => {
  it('the ESME reads back every setting 2.1 made: thresholds, emergency credit, debt recovery cap and the non-disablement calendar', () => {
    const v = conformanceWorld();
    try {
      // values no factory meter holds
      const set = v.run('ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
        .replace(/<sr:DebtRecoveryRateCap>\d+</, '<sr:DebtRecoveryRateCap>45<')
        .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>350000<')
        .replace(/<sr:EmergencyCreditThreshold>\d+</, '<sr:EmergencyCreditThreshold>150000<')
        .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>250000<')
        .replace(/<sr:MaxMeterBalance>\d+</, '<sr:MaxMeterBalance>6000000<')
        .replace(/<sr:MaxCreditThreshold>\d+</, '<sr:MaxCreditThreshold>1200000<'));
      expect(set.final, set.finalReason ?? '').toBe('I0');
      const read = v.run('ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML');
      expect(read.final, read.finalReason ?? '').toBe('I0');
      const got = byAttribute(read.command!, read.deviceResponse);
      expect({
        maxCredit: value(got.get('9000 0-0:94.44.2.10 2')),
        maxMeterBalance: value(got.get('9000 0-0:94.44.2.20 2')),
        lowCredit: value(got.get('111 0-0:19.0.0.255 16')),
        debtRecoveryRateCap: value(got.get('111 0-0:19.0.0.255 18')),
        emergencyCreditLimit: value(got.get('112 0-0:19.10.1.255 9')),
        emergencyCreditThreshold: value(got.get('112 0-0:19.10.1.255 10')),
      }).toEqual({ maxCredit: 1_200_000, maxMeterBalance: 6_000_000, lowCredit: 250_000, debtRecoveryRateCap: 45, emergencyCreditLimit: 350_000, emergencyCreditThreshold: 150_000 });
      // what the DCC put in the command for the rest: the debt recovery cap's period, the calendar's special days and schedule
      const sent = byAttribute(set.command!);
      expect(got.get('111 0-0:19.0.0.255 19')).toEqual(sent.get('9000 0-0:94.44.128.13 4'));
      expect(got.get('11 0-0:11.0.2.255 2')).toEqual(sent.get('11 0-1:11.0.2.255 2'));
      expect(got.get('10 0-0:12.0.1.255 2')).toEqual(sent.get('10 0-1:12.0.1.255 2'));
    } finally {
      v.close();
    }
  });
});

/** Each attribute the Read Attributes Responses answer, by 'cluster/attribute': its status, type and value. */
const settings = (m: GbcsMessage | undefined): Map<string, { status: number; type?: number; value?: number }> => {
  if (m?.body.kind !== 'gbz') throw new Error(`not GBZ: ${m?.body.kind}`);
  const out = new Map<string, { status: number; type?: number; value?: number }>();
  for (const c of m.body.gbz.components.filter((x) => x.commandId === 0x01 && (x.frameControl & 0x01) === 0)) {
    for (const r of decodeReadAttributesResponse(c.payload)) {
      const key = `${c.clusterId.toString(16).padStart(4, '0')}/${r.id.toString(16).padStart(4, '0')}`;
      out.set(key, r.value ? { status: r.status, type: r.value.type, value: r.value.value as number } : { status: r.status });
    }
  }
  return out;
};

describe('4.13 Read Prepayment Configuration on the GSME (GCS21b)', () => {
  const valueOf = (m: Map<string, { value?: number }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.value]));

  it('answers every setting it reads with the factory value RTDS\'s GSME holds, then with what 2.1, 2.3 and 1.6 set', () => {
    const v = conformanceWorld();
    try {
      const factory = v.run('GCS21b_4.13_SUCCESS_REQUEST_DUIS.XML');
      expect(factory.final, factory.finalReason ?? '').toBe('I0');
      // the attributes, their types and values as the RTDS GSME answers before anything set them
      expect(settings(factory.deviceResponse)).toEqual(settings(rtdsResponse('4.13_GCS21b', 'GCS21b_4.13_SUCCESS_RESPONSE_GBCS.HEX')));

      // values no factory meter holds
      const set = (t: string, edit: (x: string) => string) => {
        const r = v.run(t, edit);
        expect(r.final, `${t}: ${r.finalReason ?? ''}`).toBe('I0');
      };
      set('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
        .replace(/<sr:DebtRecoveryRateCap>\d+</, '<sr:DebtRecoveryRateCap>120000<')
        .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>700000<')
        .replace(/<sr:EmergencyCreditThreshold>\d+</, '<sr:EmergencyCreditThreshold>150000<')
        .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>400000<')
        .replace(/<sr:MaxMeterBalance>\d+</, '<sr:MaxMeterBalance>20000000<')
        .replace(/<sr:MaxCreditThreshold>\d+</, '<sr:MaxCreditThreshold>3000000<'));
      // debt recovery: £0.40 a day on the first time-based debt, £0.30 an hour on the second, 2.5% of each payment
      set('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML', (x) => x
        .replace(/<sr:DebtRecoveryPerPayment>\d+</, '<sr:DebtRecoveryPerPayment>250<')
        .replace(/(<sr:GasDebtRecovery1>\s*<sr:DebtRecoveryRate>)\d+</, '$140000<')
        .replace(/(<sr:GasDebtRecovery2>\s*<sr:DebtRecoveryRate>)\d+</, '$130000<'));
      set('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:DisablementThreshold>\d+</, '<sr:DisablementThreshold>-200000<'));

      const read = v.run('GCS21b_4.13_SUCCESS_REQUEST_DUIS.XML');
      expect(read.final, read.finalReason ?? '').toBe('I0');
      const got = settings(read.deviceResponse);
      expect([...got.values()].every((a) => a.status === 0)).toBe(true);
      expect(valueOf(got)).toEqual({
        '0705/0239': 250, // debt recovery top-up percentage (payment-based debt), hundredths of a percent
        '0705/0006': 120_000, // overall debt cap
        '0705/0216': 1, // debt recovery frequency 1: daily
        '0705/0226': 0, // debt recovery frequency 2: hourly
        '0705/0040': -200_000, // cut-off value (the disablement threshold)
        '0705/0010': 700_000, // emergency credit limit
        '0705/0011': 150_000, // emergency credit threshold
        '0705/0031': 400_000, // low credit warning level
        '0705/0021': 20_000_000, // maximum credit limit (the maximum meter balance)
        '0705/0022': 3_000_000, // maximum credit per top-up
        '0705/0217': 40_000, // debt recovery amount 1
        '0705/0227': 30_000, // debt recovery amount 2
        '0700/0617': valueOf(got)['0700/0617'],
      });
      // the price's trailing digit is the tariff's, not a prepayment setting: as the factory's until a tariff
      expect(got.get('0700/0617')).toEqual(settings(factory.deviceResponse).get('0700/0617'));
    } finally {
      v.close();
    }
  });
});

// ---------------------------------------------------------------- the factory thresholds, applied

/** The codes in the meter's security log (6.13: ESME ECS35b, GSME CS10b) over the period, oldest first. */
function securityLog(world: ConformanceWorld, eui: string, from: string, to: string): number[] {
  const r = world.run(eui === GSME ? 'CS10b_6.13_SUCCESS_REQUEST_DUIS.XML' : 'ECS35b_6.13_SUCCESS_REQUEST_DUIS.XML', (x) => x
    .replace(/<sr:StartDateTime>[^<]*</, `<sr:StartDateTime>${from}<`).replace(/<sr:EndDateTime>[^<]*</, `<sr:EndDateTime>${to}<`));
  expect(r.final, r.finalReason ?? '').toBe('I0');
  const m = r.deviceResponse!;
  if (m.body.kind === 'dlms-response') {
    const log = m.body.response.data[0];
    if (log?.type !== 'compact-array') throw new Error(`not a compact array: ${log?.type}`);
    return log.items.map((row) => Number(value(row.type === 'structure' ? row.items[1] : undefined)));
  }
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  // Publish Event Log: total(2) ‖ command index ‖ total commands ‖ control, then log id ‖ event id(2) ‖ time(4) ‖ data each
  const p = m.body.gbz.components[0]!.payload;
  if (m.body.gbz.components[0]!.commandId !== 0x01) return [];
  const out: number[] = [];
  for (let i = 5; i < p.length; i += 8 + p[i + 7]!) out.push(p.readUInt16LE(i + 1));
  return out;
}

describe('the thresholds 4.13 reports before 2.1 are the ones the meter applies', () => {
  const NOW = '2026-12-01T09:00:00Z';
  const PERIOD = ['2026-12-01T00:00:00.00Z', '2026-12-02T00:00:00.00Z'] as const;

  it('ESME: refuses a top-up above its factory maximum credit, or one taking its balance above the factory maximum meter balance, and logs each', () => {
    const v = conformanceWorld();
    try {
      v.dcc.clock.set(new Date(NOW));
      const read = v.run('ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML');
      expect(read.final, read.finalReason ?? '').toBe('I0');
      const got = byAttribute(read.command!, read.deviceResponse);
      const maxCredit = Number(value(got.get('9000 0-0:94.44.2.10 2')));
      const maxMeterBalance = Number(value(got.get('9000 0-0:94.44.2.20 2')));
      // the RTDS ESME's: £50 a top-up, £100 of balance
      expect({ maxCredit, maxMeterBalance }).toEqual({ maxCredit: 5_000_000, maxMeterBalance: 10_000_000 });
      const topUp = (counter: bigint, pence: number) => {
        const r = v.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(ESME, counter << 32n, pence, 'pence', v)));
        expect(r.final, r.finalReason ?? '').toBe('I0');
        return dlmsResults(r.deviceResponse);
      };
      const balance = () => {
        const r = v.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML');
        return Number(value(r.deviceResponse!.body.kind === 'dlms-response' ? r.deviceResponse!.body.response.data[0] : undefined));
      };
      // £50.01 is above the maximum credit: refused (the RTDS ERROR response's result), nothing credited
      expect(topUp(3n, 5001)).toEqual([1]);
      expect(balance()).toBe(0);
      // £50 twice makes £100, the maximum meter balance; a penny more is refused
      expect(topUp(4n, 5000)).toEqual([0]);
      expect(topUp(5n, 5000)).toEqual([0]);
      expect(balance()).toBe(maxMeterBalance);
      expect(topUp(6n, 1)).toEqual([1]);
      expect(balance()).toBe(maxMeterBalance);
      // each refusal in the security log: 0x8F5B UTRN exceeds maximum credit threshold, 0x8F47 credit would exceed the maximum meter balance
      expect(securityLog(v, ESME, ...PERIOD)).toEqual([0x8f5b, 0x8f47]);
    } finally {
      v.close();
    }
  });

  it('GSME: refuses a top-up above its factory maximum credit per top-up (too large), or above its maximum credit limit (maximum credit reached), and logs each', () => {
    const v = conformanceWorld();
    try {
      v.dcc.clock.set(new Date(NOW));
      const read = v.run('GCS21b_4.13_SUCCESS_REQUEST_DUIS.XML');
      expect(read.final, read.finalReason ?? '').toBe('I0');
      const got = settings(read.deviceResponse);
      // the RTDS GSME's: £50 a top-up, £100 of credit
      expect({ perTopUp: got.get('0705/0022')?.value, limit: got.get('0705/0021')?.value }).toEqual({ perTopUp: 5_000_000, limit: 10_000_000 });
      const topUp = (counter: bigint, pence: number) => {
        const r = v.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(GSME, counter << 32n, pence, 'pence', v)));
        expect(r.final, r.finalReason ?? '').toBe('I0');
        return topUpResponse(r.deviceResponse);
      };
      // ZCL Consumer Top Up Response result types: 0x06 top-up value too large, 0x04 maximum credit reached
      expect(topUp(6n, 5001).result).toBe(0x06);
      expect(topUp(7n, 5000)).toEqual({ result: 0, value: 5_000_000, credit: 5_000_000 });
      expect(topUp(8n, 5000)).toEqual({ result: 0, value: 5_000_000, credit: 10_000_000 });
      expect(topUp(9n, 1).result).toBe(0x04);
      expect(securityLog(v, GSME, ...PERIOD)).toEqual([0x8f5b, 0x8f47]);
    } finally {
      v.close();
    }
  });
});

describe('a refused UTRN is logged in the meter\'s security log, which 6.13 reads', () => {
  const NOW = '2026-12-01T09:00:00Z';
  const PERIOD = ['2026-12-01T00:00:00.00Z', '2026-12-02T00:00:00.00Z'] as const;
  /** The UTRN with its check digit (the 20th, GBCS 14.8) changed: its digits are not the ones its supplier made. */
  const tampered = (utrn: string) => `${utrn.slice(0, 19)}${(Number(utrn[19]) + 1) % 10}`;

  it('ESME: a duplicate (0x8F51), one made for another meter (0x8F64), one not authentic (0x8F63), each refused as the RTDS ERROR response', () => {
    const v = conformanceWorld();
    try {
      v.dcc.clock.set(new Date(NOW));
      const topUp = (utrn: string) => {
        const r = v.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrn));
        expect(r.final, r.finalReason ?? '').toBe('I0');
        return dlmsResults(r.deviceResponse);
      };
      const utrn = utrnFor(ESME, 3n << 32n, 500, 'pence', v);
      expect(topUp(utrn)).toEqual([0]);
      expect(topUp(utrn)).toEqual([1]);
      expect(topUp(utrnFor(GSME, 4n << 32n, 500, 'pence', v))).toEqual([1]);
      expect(topUp(tampered(utrnFor(ESME, 4n << 32n, 500, 'pence', v)))).toEqual([1]);
      // GBCS alert codes: 0x8F51 duplicate UTRN entered, 0x8F64 UTRN not for this device, 0x8F63 UTRN not authentic
      expect(securityLog(v, ESME, ...PERIOD)).toEqual([0x8f51, 0x8f64, 0x8f63]);
      // none of them credited the meter
      expect((JSON.parse(v.world.store.getDeviceAppState(ESME)!) as Money).prepayment?.balance).toBe(500_000); // the one £5 taken
    } finally {
      v.close();
    }
  });

  it('GSME: a duplicate (0x8F51, result duplicate), one made for another meter (0x8F64), one not authentic (0x8F63), both invalid', () => {
    const v = conformanceWorld();
    try {
      v.dcc.clock.set(new Date(NOW));
      const topUp = (utrn: string) => {
        const r = v.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrn));
        expect(r.final, r.finalReason ?? '').toBe('I0');
        return topUpResponse(r.deviceResponse).result;
      };
      const utrn = utrnFor(GSME, 6n << 32n, 500, 'pence', v);
      expect(topUp(utrn)).toBe(0x00);
      // ZCL Consumer Top Up Response result types: 0x02 duplicate, 0x01 invalid
      expect(topUp(utrn)).toBe(0x02);
      expect(topUp(utrnFor(ESME, 7n << 32n, 500, 'pence', v))).toBe(0x01);
      expect(topUp(tampered(utrnFor(GSME, 7n << 32n, 500, 'pence', v)))).toBe(0x01);
      expect(securityLog(v, GSME, ...PERIOD)).toEqual([0x8f51, 0x8f64, 0x8f63]);
      expect((JSON.parse(v.world.store.getDeviceAppState(GSME)!) as Money).prepayment?.balance).toBe(500_000); // the one £5 taken
    } finally {
      v.close();
    }
  });
});

describe('the payment-based debt share 4.13 reports is the one the meter holds', () => {
  it('ESME: before 2.3, the RTDS ESME\'s 50%, the share its top-ups recover; then the one 2.3 set', () => {
    const v = conformanceWorld();
    try {
      const share = () => {
        const read = v.run('ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML');
        expect(read.final, read.finalReason ?? '').toBe('I0');
        return value(byAttribute(read.command!, read.deviceResponse).get('113 0-0:19.20.3.255 13'));
      };
      expect(share()).toBe(5000);
      // a top-up: the meter keeps its prepayment settings from now on, the share among them
      const r = v.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(ESME, 3n << 32n, 500, 'pence', v)));
      expect(dlmsResults(r.deviceResponse)).toEqual([0]);
      const held = () => (JSON.parse(v.world.store.getDeviceAppState(ESME)!) as Money).prepaymentConfig!.debts.recoveryPerPayment;
      expect(held()).toBe(5000);
      expect(share()).toBe(5000);
      // 2.3 as RTDS: 10%
      const d = v.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML');
      expect(d.final, d.finalReason ?? '').toBe('I0');
      expect(held()).toBe(1000);
      expect(share()).toBe(1000);
    } finally {
      v.close();
    }
  });
});
