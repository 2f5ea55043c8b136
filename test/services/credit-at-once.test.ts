/**
 * A command that changes a prepayment meter's money shows at once: a read at the very instant of a top-up (2.2),
 * an emergency credit activation (2.5), a debt update (2.3) or a top-up recovering payment-based debt reports the
 * credit and debts the command left, not those from before it. On the ZAZ1 ESME (4.18 ECS82 and 4.3 ECS19) and the
 * ZAZ1 GSME (4.18 GCS60 and 4.3 GCS14, and the same through its GPF, which mirrors it), over DUIS from the RTDS
 * templates. Simulated time moves an hour between the steps, so that the credit drains (a catch-up) before each.
 * A meter never given money reads zeros; the emergency credit a meter says it holds (ESME 4.13, GSME 1.6) is what
 * 2.5 gives. And the past is not rewritten: the prepayment daily read log (4.14) carries
 * at each midnight the money the meter had then, as its reads reported it at that midnight; each meter's top-up log
 * (4.4.5) and debt repayment log (4.4.4) carry each top-up and the debt it recovered, as and when it was taken.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeDlmsData, decodeGbcsMessage, decryptSensitive, makeUtrn, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { conformanceWorld, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { items, kaKeyOf, zclReadValues } from '../helpers/sensitive-reads.ts';

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const GPF = '00DB1234567890A3';
const SUPPLIER = '90B3D51F30010000';
const HOUR = 3_600_000;

// Real time stands still: a read right after a command is at the command's simulated instant.
beforeAll(() => { vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }); });
afterAll(() => { vi.useRealTimers(); });

let w: ConformanceWorld | undefined;
afterEach(() => { w?.close(); w = undefined; });

function ok(r: TemplateRun): GbcsMessage {
  expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
  return r.deviceResponse!;
}

/** The answering device's KA public key, as the world's SMKI repository has its certificate. */
const deviceKa = (eui: string) => new X509Certificate(w!.world.deviceCertificates(eui).kaCertificate.der).publicKey;
const decrypt = (m: GbcsMessage, ciphered: Buffer) =>
  decryptSensitive(ciphered, kaKeyOf(SUPPLIER), deviceKa(m.apdu.originator), { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter });

/** A UTRN the ZAZ1 supplier makes for the meter (its top-up KA key, the meter's KA certificate). */
function utrnFor(eui: string, counter: bigint, pence: number): string {
  const key = w!.world.privateKeyOf(w!.world.store.getDeviceSecurity(eui)!.cells.supplierTopUpKA!)!;
  return makeUtrn(key, deviceKa(eui), { supplier: SUPPLIER, device: eui, counter, value: pence, valueClass: 'pence' });
}

/** The template's UTRN replaced by `utrn`. */
const withUtrnOf = (utrn: string) => (xml: string) => xml.replace(/<sr:UTRN>\d+<\/sr:UTRN>/, `<sr:UTRN>${utrn}</sr:UTRN>`);

/** The template's UTRN replaced by one made for the meter. */
const withUtrn = (eui: string, counter: bigint, pence: number) => withUtrnOf(utrnFor(eui, counter, pence));

// ---------------------------------------------------------------- ESME

interface Credit { balance: number; emergencyCredit: number; accumulatedDebt: number; paymentDebt: number; timeDebt1: number; timeDebt2: number }

const value = (d: DlmsData | undefined): number => {
  if (d?.type !== 'double-long') throw new Error(`not a double-long: ${d?.type}`);
  return d.value;
};

/** What the ESME's reads report now: 4.18's meter balance, and 4.3's prepayment values (decrypted); 4.18 agrees with 4.3. */
function esmeCredit(): Credit {
  const balance = ok(w!.run('ECS82_4.18_SUCCESS_REQUEST_DUIS.XML'));
  if (balance.body.kind !== 'dlms-response') throw new Error(balance.body.kind);
  const m = ok(w!.run('ECS19_4.3_SUCCESS_REQUEST_DUIS.XML'));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  const d = m.body.response.data[0]!;
  if (d.type !== 'structure' || d.items[1]?.type !== 'octet-string') throw new Error(`not protected: ${d.type}`);
  const [b, ec, acc, pay, t1, t2] = items(items(decodeDlmsData(decrypt(m, d.items[1].value)))[0]).map(value);
  expect(value(balance.body.response.data[0]), '4.18 and 4.3 report one meter balance').toBe(b);
  return { balance: b!, emergencyCredit: ec!, accumulatedDebt: acc!, paymentDebt: pay!, timeDebt1: t1!, timeDebt2: t2! };
}

describe('an ESME\'s reads at the instant of a command that changes its money', () => {
  it('show the top-up, the emergency credit, the debts and the debt a top-up recovered', () => {
    w = conformanceWorld();
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    // on prepayment (2.1 as RTDS: emergency credit £3 offered at £1 or less) with 50p of credit
    ok(w.run('ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:AdjustMeterBalance>\d+</, '<sr:AdjustMeterBalance>50000<')));
    ok(w.run('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('>556677<', '>0<')));
    const start = esmeCredit();
    expect(start.balance).toBe(50_000);

    // 2.5: the emergency credit, at once
    w.dcc.clock.advance(HOUR);
    const low = esmeCredit();
    expect(low.balance).toBeLessThan(50_000);
    ok(w.run('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML'));
    expect(esmeCredit()).toEqual({ ...low, emergencyCredit: 300_000 });

    // 2.2: a £10 top-up, at once (it ends the emergency credit in use)
    w.dcc.clock.advance(HOUR);
    const before = esmeCredit();
    ok(w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(ESME, 3n << 32n, 1000)));
    const topped = esmeCredit();
    expect(topped).toEqual({ ...before, balance: before.balance + 1_000_000, emergencyCredit: 0 });

    // 2.3: the debts (added to: 30p, 15p, 50p, 10% of each payment to the payment-based debt), at once
    w.dcc.clock.advance(HOUR);
    const owed = esmeCredit();
    ok(w.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML'));
    const debts = esmeCredit();
    expect(debts).toEqual({ ...owed, timeDebt1: owed.timeDebt1 + 30_000, timeDebt2: owed.timeDebt2 + 15_000, paymentDebt: owed.paymentDebt + 50_000 });

    // a £5 top-up recovers 10% of it (50p) against the payment-based debt, at once
    ok(w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(ESME, 4n << 32n, 500)));
    expect(esmeCredit()).toEqual({ ...debts, balance: debts.balance + 500_000 - 50_000, paymentDebt: debts.paymentDebt - 50_000 });
  });
});

// ---------------------------------------------------------------- GSME and its GPF

/** A GBZ read's attribute values by 'cluster/attribute' (the sensitive components decrypted); an unsupported one is absent. */
const attributes = (m: GbcsMessage): Record<string, number> => zclReadValues(m, (ciphered) => decrypt(m, ciphered));

/**
 * What the GSME's reads report now (4.18's credit remaining, 4.3's prepayment attributes), and the same reads through
 * its GPF at the same instant: equal.
 */
function gasCredit(): Credit {
  const read = (t: string) => attributes(ok(w!.run(t)));
  const gsme = { ...read('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML'), ...read('GCS14_4.3_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML') };
  const gpf = { ...read('GCS60a_4.18_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML'), ...read('GCS14_4.3_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML') };
  const credit = (a: Record<string, number>): Credit => ({
    balance: a['0705/0001']!, emergencyCredit: a['0705/0002']!, accumulatedDebt: a['0705/0005']!,
    paymentDebt: a['0705/0231']!, timeDebt1: a['0705/0211']!, timeDebt2: a['0705/0221']!,
  });
  expect(credit(gpf), 'the GPF reads the GSME\'s credit').toEqual(credit(gsme));
  return credit(gsme);
}

describe('a GSME\'s reads, and its GPF\'s, at the instant of a command that changes its money', () => {
  it('show the top-up, the emergency credit, the debts and the debt a top-up recovered', () => {
    w = conformanceWorld();
    // The ZAZ1 GPF is DCC controlled, as RTDS's devices start; the supplier takes it over (6.21) before reading it.
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    expect(w.world.store.inventory.pairedGsme(GPF)).toBe(GSME);
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    // on prepayment (2.1 as RTDS, emergency credit £3 offered at £1 or less)
    ok(w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>300000<')
      .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>200000<')));
    ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    const none = gasCredit();
    expect(none).toEqual({ balance: 0, emergencyCredit: 0, accumulatedDebt: 0, paymentDebt: 0, timeDebt1: 0, timeDebt2: 0 });

    // 2.2: a 50p top-up, at once
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(GSME, 6n << 32n, 50)));
    expect(gasCredit()).toEqual({ ...none, balance: 50_000 });

    // 2.5: the emergency credit, at once
    w.dcc.clock.advance(HOUR);
    const low = gasCredit();
    expect(low.balance).toBeLessThan(50_000);
    ok(w.run('GCS06_2.5_SUCCESS_REQUEST_DUIS.XML'));
    expect(gasCredit()).toEqual({ ...low, emergencyCredit: 300_000 });

    // 2.2: a £10 top-up, at once (it ends the emergency credit in use)
    w.dcc.clock.advance(HOUR);
    const before = gasCredit();
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(GSME, 7n << 32n, 1000)));
    const topped = gasCredit();
    expect(topped).toEqual({ ...before, balance: before.balance + 1_000_000, emergencyCredit: 0 });

    // 2.3: the debts (as RTDS: £10 and £5 time-based, £10 payment-based recovered at 1% of each payment), at once
    w.dcc.clock.advance(HOUR);
    const owed = gasCredit();
    ok(w.run('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML'));
    const debts = gasCredit();
    expect(debts).toEqual({ ...owed, timeDebt1: 1_000_000, timeDebt2: 500_000, paymentDebt: 1_000_000 });

    // a £5 top-up recovers 1% of it (5p) against the payment-based debt, at once
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(GSME, 8n << 32n, 500)));
    expect(gasCredit()).toEqual({ ...debts, balance: debts.balance + 500_000 - 5_000, paymentDebt: 1_000_000 - 5_000 });
  });
});

// ---------------------------------------------------------------- a meter never given money

describe('a credit meter never given money or debt', () => {
  it('reads its balance like any other: the GSME, its GPF and the ESME answer 4.18 and 4.3 with credit and debts, all nothing', () => {
    w = conformanceWorld();
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    const nothing = { balance: 0, emergencyCredit: 0, accumulatedDebt: 0, paymentDebt: 0, timeDebt1: 0, timeDebt2: 0 };
    // every attribute answered (an unsupported one would be absent), the GPF's agreeing with the GSME's
    expect(gasCredit()).toEqual(nothing);
    expect(esmeCredit()).toEqual(nothing);
  });
});

// ---------------------------------------------------------------- the emergency credit a meter says it holds

interface EmergencyCredit { limit: number; threshold: number }

/** The ESME's emergency credit limit and threshold as its 4.13 reports them (class 112 0-0:19.10.1.255 attributes 9, 10). */
function esmeEmergencyCreditSettings(): EmergencyCredit {
  const r = w!.run('ECS26a_4.13_SINGLE_SUCCESS_REQUEST_DUIS.XML');
  const m = ok(r);
  const c = decodeGbcsMessage(r.command!).body;
  if (c.kind !== 'dlms-request' || m.body.kind !== 'dlms-response') throw new Error(`${c.kind}, ${m.body.kind}`);
  const data = m.body.response.data;
  const of = (attribute: number) => value(data[c.request.specs.findIndex((s) => s.classId === 112 && s.id === attribute)]);
  return { limit: of(9), threshold: of(10) };
}

/** The GSME's Change Payment Mode Response (1.6): friendly credit ‖ its calendar id ‖ emergency credit limit ‖ threshold. */
function paymentModeAnswer(m: GbcsMessage): EmergencyCredit & { friendlyCredit: number; calendarId: number } {
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  const p = m.body.gbz.components[0]!.payload;
  return { friendlyCredit: p[0]!, calendarId: p.readUInt32LE(1), limit: p.readUInt32LE(5), threshold: p.readUInt32LE(9) };
}

describe('the emergency credit a meter says it holds is what 2.5 gives', () => {
  it('an ESME that 2.1 never configured gives the limit its 4.13 reports', () => {
    w = conformanceWorld();
    const said = esmeEmergencyCreditSettings();
    ok(w.run('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML'));
    expect(esmeCredit().emergencyCredit).toBe(said.limit);
  });

  it('a GSME\'s 1.6 answers its emergency credit: the factory\'s (what 2.5 gives), then what 2.1 set', () => {
    w = conformanceWorld();
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('GCS06_2.5_SUCCESS_REQUEST_DUIS.XML'));
    const given = gasCredit().emergencyCredit;
    const factory = paymentModeAnswer(ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML')));
    expect(factory, 'as RTDS\'s GSME').toEqual(paymentModeAnswer(decodeGbcsMessage(rtdsVector('1.6_GCS03', 'GCS03_1.6_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX'))));
    expect(given).toBe(factory.limit);
    ok(w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>700000<')
      .replace(/<sr:EmergencyCreditThreshold>\d+</, '<sr:EmergencyCreditThreshold>150000<')));
    expect(paymentModeAnswer(ok(w.run('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML')))).toMatchObject({ limit: 700_000, threshold: 150_000 });
  });
});

// ---------------------------------------------------------------- the friendly credit a GSME says it has

/** The issuer calendar id of the friendly credit calendar (Publish Calendar, type 3) a 2.1 (GCS05) command carried. */
function publishedCalendarId(command: Buffer): number {
  const m = decodeGbcsMessage(command);
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  const c = m.body.gbz.components.find((x) => x.clusterId === 0x0707 && x.commandId === 0x00);
  expect(c?.payload[16], 'a friendly credit calendar').toBe(0x03);
  return c!.payload.readUInt32LE(8);
}

describe('the friendly credit a GSME\'s 1.6 reports is the calendar it holds', () => {
  it('the factory\'s calendar as RTDS\'s GSME answers, then the friendly credit calendar each 2.1 published', () => {
    w = conformanceWorld();
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    const rtds = paymentModeAnswer(decodeGbcsMessage(rtdsVector('1.6_GCS03', 'GCS03_1.6_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX')));
    expect(paymentModeAnswer(ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML')))).toMatchObject({ friendlyCredit: rtds.friendlyCredit, calendarId: rtds.calendarId });

    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    const first = w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    ok(first);
    const id = publishedCalendarId(first.preCommand!);
    expect(id).not.toBe(rtds.calendarId);
    expect(paymentModeAnswer(ok(w.run('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML')))).toMatchObject({ friendlyCredit: 0x01, calendarId: id });

    w.dcc.clock.set(new Date('2026-12-02T09:00:00Z'));
    const second = w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML');
    ok(second);
    const next = publishedCalendarId(second.preCommand!);
    expect(next).not.toBe(id);
    expect(paymentModeAnswer(ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML')))).toMatchObject({ friendlyCredit: 0x01, calendarId: next });
  });
});

// ---------------------------------------------------------------- the prepayment daily read log (4.14)

const withPeriod = (from: string, to: string) => (x: string) =>
  x.replace(/<sr:StartDateTime>[^<]*</, `<sr:StartDateTime>${from}<`).replace(/<sr:EndDateTime>[^<]*</, `<sr:EndDateTime>${to}<`);
const Y2000 = Date.UTC(2000, 0, 1);
const at = (secondsSince2000: number) => new Date(Y2000 + secondsSince2000 * 1000).toISOString();

/** The ESME's prepayment daily read log (4.14, decrypted) over the period: each midnight, oldest first, and its figures. */
function esmeDailyLog(from: string, to: string): { at: string; credit: Credit }[] {
  const m = ok(w!.run('ECS21b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML', withPeriod(from, to)));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  const d = m.body.response.data[0]!;
  if (d.type !== 'structure' || d.items[1]?.type !== 'octet-string') throw new Error(`not protected: ${d.type}`);
  return items(items(decodeDlmsData(decrypt(m, d.items[1].value)))[0]).map((row) => {
    const [stamp, ...figures] = items(row);
    if (stamp?.type !== 'double-long-unsigned') throw new Error(`no capture time: ${stamp?.type}`);
    const [b, ec, acc, pay, t1, t2] = figures.map(value);
    return { at: at(stamp.value), credit: { balance: b!, emergencyCredit: ec!, accumulatedDebt: acc!, paymentDebt: pay!, timeDebt1: t1!, timeDebt2: t2! } };
  });
}

/**
 * The gas meter's prepayment daily read log (4.14, its Publish Prepay Snapshots decrypted) over the period, oldest
 * first, read from the GSME or through its GPF (`via`).
 */
function gasDailyLog(via: string, from: string, to: string): { at: string; credit: Credit }[] {
  const m = ok(w!.run('GCS16b_4.14_KRP_SUCCESS_REQUEST_DUIS.XML', (x) => withPeriod(from, to)(x.replace(`${dashed(GSME)}:`, `${dashed(via)}:`))));
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  // a snapshot found is sensitive; an offset beyond those found is a Default Response (Not Found), in clear
  return m.body.gbz.components.filter((c) => c.encrypted).map((c) => {
    const p = decrypt(m, c.encrypted!.ciphered);
    // id(4) ‖ time(4) ‖ found, command index, total commands ‖ cause(4) ‖ payload type ‖ Debt/Credit Status
    const [acc, pay, t1, t2, ec, b] = [0, 1, 2, 3, 4, 5].map((k) => p.readInt32LE(16 + 4 * k));
    return { at: at(p.readUInt32LE(4)), credit: { balance: b!, emergencyCredit: ec!, accumulatedDebt: acc!, paymentDebt: pay!, timeDebt1: t1!, timeDebt2: t2! } };
  }).reverse();
}
const dashed = (eui: string) => eui.match(/../g)!.join('-');

describe('the prepayment daily read log (4.14): each midnight with the money the meter had at that midnight', () => {
  const MIDNIGHTS = ['2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', '2026-12-03T00:00:00.000Z'];

  it('ESME: not a later top-up or debt; the balance as it drained, at each midnight', () => {
    w = conformanceWorld();
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    const untouched = esmeCredit();
    // on prepayment with £10 of credit
    ok(w.run('ECS08a_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('ECS04a_1.5_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:AdjustMeterBalance>\d+</, '<sr:AdjustMeterBalance>1000000<')));
    ok(w.run('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace('>556677<', '>0<')));
    const start = esmeCredit();
    // what the meter says at the next midnight, drained overnight; then a top-up and debts that morning
    w.dcc.clock.set(new Date(MIDNIGHTS[2]!));
    const atMidnight = esmeCredit();
    expect(atMidnight.balance).toBeLessThan(start.balance);
    w.dcc.clock.set(new Date('2026-12-02T09:00:00Z'));
    ok(w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(ESME, 3n << 32n, 500)));
    ok(w.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML'));
    const topped = esmeCredit();
    w.dcc.clock.set(new Date('2026-12-03T06:00:00Z'));
    const now = esmeCredit();

    const log = esmeDailyLog('2026-11-29T23:30:00.00Z', '2026-12-03T00:00:00.00Z');
    expect(log.map((r) => r.at)).toEqual(MIDNIGHTS);
    expect(log[0]!.credit).toEqual(untouched);
    expect(log[1]!.credit).toEqual(untouched);
    expect(log[2]!.credit).toEqual(atMidnight);
    // the top-up and debts, and the night's drain since: below the morning's balance, above this morning's
    expect(log[3]!.credit).toEqual({ ...topped, balance: log[3]!.credit.balance });
    expect(log[3]!.credit.balance).toBeLessThan(topped.balance);
    expect(log[3]!.credit.balance).toBeGreaterThan(now.balance);
  });

  it('GSME, and through its GPF: not a later top-up or debt; the balance as it drained, at each midnight', () => {
    w = conformanceWorld();
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    const untouched = gasCredit();
    // on prepayment with £10 of credit
    ok(w.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(GSME, 6n << 32n, 1000)));
    const start = gasCredit();
    w.dcc.clock.set(new Date(MIDNIGHTS[2]!));
    const atMidnight = gasCredit();
    expect(atMidnight.balance).toBeLessThan(start.balance);
    w.dcc.clock.set(new Date('2026-12-02T09:00:00Z'));
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(GSME, 7n << 32n, 500)));
    ok(w.run('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML'));
    const topped = gasCredit();
    w.dcc.clock.set(new Date('2026-12-03T06:00:00Z'));
    const now = gasCredit();

    const log = gasDailyLog(GSME, '2026-11-29T23:30:00.00Z', '2026-12-03T00:00:00.00Z');
    expect(gasDailyLog(GPF, '2026-11-29T23:30:00.00Z', '2026-12-03T00:00:00.00Z'), 'the GPF reads the GSME\'s log').toEqual(log);
    expect(log.map((r) => r.at)).toEqual(MIDNIGHTS);
    expect(log[0]!.credit).toEqual(untouched);
    expect(log[1]!.credit).toEqual(untouched);
    expect(log[2]!.credit).toEqual(atMidnight);
    expect(log[3]!.credit).toEqual({ ...topped, balance: log[3]!.credit.balance });
    expect(log[3]!.credit.balance).toBeLessThan(topped.balance);
    expect(log[3]!.credit.balance).toBeGreaterThan(now.balance);
  });
});

// ---------------------------------------------------------------- the GSME's top-up and debt repayment logs (4.4.5, 4.4.4)

/** A Publish Top Up Log's entries (command index, total commands, then UTRN ‖ top-up amount ‖ time each), as sent. */
function gasTopUpLog(from: string, to: string): { utrn: string; amount: number; at: string }[] {
  const m = ok(w!.run('GCS15e_4.4.5_SUCCESS_REQUEST_DUIS.XML', withPeriod(from, to)));
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  const c = m.body.gbz.components[0]!;
  if (c.commandId !== 0x05) return [];
  const out = [];
  for (let i = 2; i < c.payload.length;) {
    const n = c.payload[i]!;
    out.push({ utrn: c.payload.subarray(i + 1, i + 1 + n).toString('latin1'), amount: c.payload.readInt32LE(i + 1 + n), at: at(c.payload.readUInt32LE(i + 5 + n)) });
    i += 9 + n;
  }
  return out;
}

/** A Publish Debt Log's entries (decrypted: command index, total commands, then time ‖ amount ‖ debt type ‖ outstanding each). */
function gasDebtLog(from: string, to: string): { at: string; amount: number; debtType: number; outstanding: number }[] {
  const m = ok(w!.run('GCS15d_4.4.4_SUCCESS_REQUEST_DUIS.XML', withPeriod(from, to)));
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  const c = m.body.gbz.components[0]!;
  if (!c.encrypted) return [];
  const p = decrypt(m, c.encrypted.ciphered);
  return Array.from({ length: (p.length - 2) / 13 }, (_, k) => 2 + 13 * k).map((i) => ({
    at: at(p.readUInt32LE(i)), amount: p.readUInt32LE(i + 4), debtType: p[i + 8]!, outstanding: p.readUInt32LE(i + 9),
  }));
}

describe('the GSME\'s top-up log (4.4.5) and debt repayment log (4.4.4)', () => {
  it('carry each top-up as it was taken (its UTRN, value and time) and the payment-based debt it recovered, newest first', () => {
    w = conformanceWorld();
    ok(w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    const period = ['2026-11-30T00:00:00.00Z', '2026-12-31T00:00:00.00Z'] as const;
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    expect(gasTopUpLog(...period)).toEqual([]);
    const first = utrnFor(GSME, 6n << 32n, 500);
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrnOf(first)));
    // 2.3 as RTDS: £10 of payment-based debt, 1% of each payment recovered against it
    w.dcc.clock.set(new Date('2026-12-01T12:00:00Z'));
    ok(w.run('GCS04_2.3_SUCCESS_REQUEST_DUIS.XML'));
    w.dcc.clock.set(new Date('2026-12-02T08:30:00Z'));
    const second = utrnFor(GSME, 7n << 32n, 2000);
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrnOf(second)));
    w.dcc.clock.set(new Date('2026-12-03T10:00:00Z'));

    expect(gasTopUpLog(...period)).toEqual([
      { utrn: second, amount: 2_000_000, at: '2026-12-02T08:30:00.000Z' },
      { utrn: first, amount: 500_000, at: '2026-12-01T09:00:00.000Z' },
    ]);
    // the £20 top-up recovered 20p of the debt, leaving £9.80, as 4.3 reads it
    expect(gasDebtLog(...period)).toEqual([{ at: '2026-12-02T08:30:00.000Z', amount: 20_000, debtType: 2, outstanding: 980_000 }]);
    expect(gasCredit().paymentDebt).toBe(980_000);
    // a period before them holds none
    expect(gasTopUpLog('2026-11-01T00:00:00.00Z', '2026-11-30T00:00:00.00Z')).toEqual([]);
  });
});

// ---------------------------------------------------------------- the ESME's top-up and debt repayment logs (4.4.5, 4.4.4)

/** An ESME billing data log (4.4.4 ECS20a, 4.4.5 ECS20d: plain compact arrays of {capture time, amount}), oldest first. */
function esmeAmountLog(template: string, from: string, to: string): { at: string; amount: number }[] {
  const m = ok(w!.run(template, withPeriod(from, to)));
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  return items(m.body.response.data[0]).map((row) => {
    const [stamp, amount] = items(row);
    if (stamp?.type !== 'double-long-unsigned' || amount?.type !== 'double-long-unsigned') throw new Error(`not {dlu, dlu}: ${stamp?.type}, ${amount?.type}`);
    return { at: at(stamp.value), amount: amount.value };
  });
}
const esmeTopUpLog = (from: string, to: string) => esmeAmountLog('ECS20d_4.4.5_SUCCESS_REQUEST_DUIS.XML', from, to);
const esmeDebtLog = (from: string, to: string) => esmeAmountLog('ECS20a_4.4.4_SUCCESS_REQUEST_DUIS.XML', from, to);

describe('the ESME\'s top-up log (4.4.5) and debt repayment log (4.4.4)', () => {
  it('carry each top-up\'s value at the time it was taken and what it recovered against the payment-based debt, not a zero a day', () => {
    w = conformanceWorld();
    const period = ['2026-11-30T00:00:00.00Z', '2026-12-31T00:00:00.00Z'] as const;
    w.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    expect(esmeTopUpLog(...period)).toEqual([]);
    expect(esmeDebtLog(...period)).toEqual([]);
    ok(w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(ESME, 3n << 32n, 500)));
    // 2.3 as RTDS: 50p of payment-based debt, 10% of each payment recovered against it
    w.dcc.clock.set(new Date('2026-12-01T12:00:00Z'));
    ok(w.run('ECS07_2.3_SUCCESS_REQUEST_DUIS.XML'));
    w.dcc.clock.set(new Date('2026-12-02T08:30:00Z'));
    ok(w.run('CS01a_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(ESME, 4n << 32n, 300)));
    w.dcc.clock.set(new Date('2026-12-03T10:00:00Z'));

    expect(esmeTopUpLog(...period)).toEqual([
      { at: '2026-12-01T09:00:00.000Z', amount: 500_000 },
      { at: '2026-12-02T08:30:00.000Z', amount: 300_000 },
    ]);
    // the £3 top-up recovered 30p of the debt, leaving 20p, as 4.3 reads it
    expect(esmeDebtLog(...period)).toEqual([{ at: '2026-12-02T08:30:00.000Z', amount: 30_000 }]);
    expect(esmeCredit().paymentDebt).toBe(20_000);
    // a period before them holds none
    expect(esmeTopUpLog('2026-11-01T00:00:00.00Z', '2026-11-30T00:00:00.00Z')).toEqual([]);
  });
});
