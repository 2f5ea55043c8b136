/**
 * A gas prepayment meter (issue 17) on the ZAZ1 GSME, over DUIS from the RTDS templates: in prepayment its credit
 * drains with the gas it meters as the simulated clock moves; its supplier gets low credit (0x810D), emergency
 * credit available (0x8119) and, as the valve closes, credit below the disablement threshold (0x8F0F), each a DUIS
 * DeviceAlertMessage carrying the GSME's MAC'd GBZ alert; 7.4 reads the valve closed, 4.18 and 4.3 the balance
 * the meter drained to; a top-up arms the valve again. Emergency credit taken (2.5) is told with 0x81AB.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeGbcsMessage, decryptSensitive, makeUtrn, type GbcsMessage } from '../../devices/index.ts';
import { parseDuisResponse } from '../../service-requests/index.ts';
import { ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { conformanceWorld, rtdsVector, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';

const GSME = '00DB1234567890A1';
const SUPPLIER = '90B3D51F30010000';
const HOUR = 3_600_000;
const SUPPLIER_KA = createPrivateKey(readFileSync(new URL('../../../shared/rtds-keystore/90b3d51f30010000-ka.key', import.meta.url)));

let w: ConformanceWorld | undefined;
afterEach(() => { w?.close(); w = undefined; });

function ok(r: TemplateRun): TemplateRun {
  expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
  return r;
}

interface GasState {
  prepayment?: { balance: number; emergencyCredit: number; paymentMode: string };
  supply?: { state: string; off: { from: string; to?: string }[] };
}

const stateOf = (world: ConformanceWorld): GasState => JSON.parse(world.world.store.getDeviceAppState(GSME) ?? '{}') as GasState;

/**
 * The GSME on prepayment: low credit at £2, £3 of emergency credit offered at £1, disabled at £0 (2.1 and 1.6 as
 * RTDS, the thresholds edited), £12 of credit by a top-up, and one read more: credit drains from that command.
 */
function gasPrepaymentMeter(world: ConformanceWorld): void {
  ok(world.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
    .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>300000<')
    .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>200000<')));
  ok(world.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
  ok(world.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(world, 6n << 32n, 1200))));
  ok(world.run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML'));
}

function utrnFor(world: ConformanceWorld, counter: bigint, pence: number): string {
  const cell = world.world.store.getDeviceSecurity(GSME)!.cells.supplierTopUpKA!;
  const key = world.world.privateKeyOf(cell)!;
  const ka = new X509Certificate(world.world.deviceCertificates(GSME).kaCertificate.der).publicKey;
  return makeUtrn(key, ka, { supplier: SUPPLIER, device: GSME, counter, value: pence, valueClass: 'pence' });
}

const withUtrn = (utrn: string) => (xml: string) => xml.replace(/<sr:UTRN>\d+<\/sr:UTRN>/, `<sr:UTRN>${utrn}</sr:UTRN>`);

interface Alert { code: string; gbcsCode: number; at: Date; messageCode: number }

/** The GSME's alerts in the gas supplier's mailbox, oldest first. */
function gasAlerts(world: ConformanceWorld): Alert[] {
  return world.dcc.gateway.inbox(ZAZ1_SUPPLIER, { kind: 'device-alert', limit: 100 }).entries.reverse().flatMap((e) => {
    const body = parseDuisResponse(e.body).body;
    if (body.kind !== 'DeviceAlertMessage') return [];
    const m = decodeGbcsMessage(body.gbcsPayload);
    if (m.apdu.originator !== GSME || m.body.kind !== 'gbz-alert') return [];
    const a = m.body.alert;
    return [{ code: body.alertCode, gbcsCode: a.alertCode, at: new Date(Date.UTC(2000, 0, 1) + a.time * 1000), messageCode: m.apdu.messageCode }];
  });
}

/** Moves the clock an hour at a time (the DCC runs what falls due each time) until the valve closes. */
/** Moves the clock an hour at a time, the meters catching up each hour, until `done` (at most 30 days). */
function hourlyUntil(world: ConformanceWorld, done: () => boolean): boolean {
  for (let h = 0; h < 24 * 30; h++) {
    if (done()) return true;
    world.dcc.clock.advance(HOUR);
    world.dcc.runDueCommands();
  }
  return done();
}

function untilValveCloses(world: ConformanceWorld): void {
  if (!hourlyUntil(world, () => stateOf(world).supply?.state === 'disconnected')) throw new Error('the gas credit did not run out in 30 days');
}

/** A GBZ response's first attribute record's value (Read Attributes Response: id ‖ status ‖ type ‖ value). */
function attributeValues(m: GbcsMessage | undefined): Map<string, Buffer> {
  if (m?.body.kind !== 'gbz') throw new Error(`not GBZ: ${m?.body.kind}`);
  const out = new Map<string, Buffer>();
  for (const c of m.body.gbz.components) {
    if (c.commandId !== 0x01) continue;
    const p = c.payload;
    for (let i = 0; i + 3 <= p.length;) {
      const id = p.readUInt16LE(i);
      if (p[i + 2] !== 0) { i += 3; continue; }
      const type = p[i + 3]!;
      const size = type === 0x2b || type === 0x23 ? 4 : type === 0x30 || type === 0x18 ? 1 : type === 0x25 ? 6 : type === 0x21 || type === 0x19 ? 2 : type === 0x22 ? 3 : 0;
      out.set(`${c.clusterId.toString(16).padStart(4, '0')}/${id.toString(16).padStart(4, '0')}`, p.subarray(i + 4, i + 4 + size));
      i += 4 + size;
    }
  }
  return out;
}

/**
 * A read's attribute values, the encrypted components decrypted as the supplier does (its KA key, the GSME's KA
 * certificate).
 */
function readAttributes(world: ConformanceWorld, template: string): Map<string, Buffer> {
  const m = ok(world.run(template)).deviceResponse!;
  if (m.body.kind !== 'gbz') throw new Error(m.body.kind);
  const deviceKa = new X509Certificate(world.world.deviceCertificates(GSME).kaCertificate.der).publicKey;
  const components = m.body.gbz.components.map((c) => (c.encrypted
    ? { ...c, payload: decryptSensitive(c.encrypted.ciphered, SUPPLIER_KA, deviceKa, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter }) }
    : c));
  return attributeValues({ ...m, body: { kind: 'gbz', gbz: { ...m.body.gbz, components } } });
}

describe('a gas prepayment meter running out of credit', () => {
  it('drains with the gas it meters, alerts the gas supplier in order, closes its valve at £0; 7.4 and 4.18 read it; a top-up arms the valve', () => {
    w = conformanceWorld();
    gasPrepaymentMeter(w);
    const start = stateOf(w).prepayment!.balance;
    expect(start).toBe(1_200_000);
    const before = gasAlerts(w).length;

    // a day on: the balance fell by the gas burnt and the standing charge, and 4.18 reads it
    w.dcc.clock.advance(24 * HOUR);
    w.dcc.runDueCommands();
    const read = ok(w.run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML'));
    const dayOne = stateOf(w).prepayment!.balance;
    expect(dayOne).toBeLessThan(start - 50_000); // at least the 50p standing charge, and some gas
    expect(attributeValues(read.deviceResponse).get('0705/0001')?.readInt32LE(0)).toBe(dayOne);

    untilValveCloses(w);
    const alerts = gasAlerts(w).slice(before);
    expect(alerts.map((a) => a.code)).toEqual(['810D', '8119', '8F0F']);
    // each the GBCS generic non-critical alert in GBZ form, its code in the GBZ alert header, in time order
    expect(alerts.every((a) => a.messageCode === 0x1001 && a.gbcsCode === parseInt(a.code, 16))).toBe(true);
    expect(alerts[0]!.at.getTime()).toBeLessThan(alerts[1]!.at.getTime());
    expect(alerts[1]!.at.getTime()).toBeLessThan(alerts[2]!.at.getTime());
    // the valve closed the moment the credit reached the disablement threshold (to the second: ZCL time)
    const closed = stateOf(w).supply!.off.at(-1)!.from;
    expect(Math.abs(alerts[2]!.at.getTime() - Date.parse(closed))).toBeLessThan(1000);
    expect(stateOf(w).prepayment!.balance).toBeLessThanOrEqual(0);

    // 4.3 reads the credit the meter drained to (the prepayment values travel encrypted)
    expect(readAttributes(w, 'GCS14_4.3_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML').get('0705/0001')?.readInt32LE(0)).toBe(stateOf(w).prepayment!.balance);

    // 7.4 reads the valve off (Supply Status 0)
    const status = ok(w.run('GCS33_7.4_SUCCESS_REQUEST_DUIS.XML'));
    expect(attributeValues(status.deviceResponse).get('0702/0014')?.[0]).toBe(0);

    // with the valve shut no gas is charged for: only the standing charge goes on
    const shut = stateOf(w).prepayment!.balance;
    w.dcc.clock.advance(24 * HOUR);
    w.dcc.runDueCommands();
    ok(w.run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML'));
    expect(shut - stateOf(w).prepayment!.balance).toBeCloseTo(50_000, -2);
    expect(gasAlerts(w).slice(before)).toHaveLength(3);

    // a £10 top-up leaves credit: the valve is armed (Supply Status 1) for the customer to open
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(w, 7n << 32n, 1000))));
    expect(stateOf(w).supply!.state).toBe('armed');
    const armed = ok(w.run('GCS33_7.4_SUCCESS_REQUEST_DUIS.XML'));
    expect(attributeValues(armed.deviceResponse).get('0702/0014')?.[0]).toBe(1);
  });

  it('with emergency credit taken (2.5) it tells the supplier 0x81AB, and 0x81AA as the emergency credit runs out and the valve closes', () => {
    w = conformanceWorld();
    gasPrepaymentMeter(w);
    const before = gasAlerts(w).length;
    const codes = () => gasAlerts(w!).slice(before).map((a) => a.code);
    hourlyUntil(w, () => codes().includes('8119'));
    ok(w.run('GCS06_2.5_SUCCESS_REQUEST_DUIS.XML'));
    expect(stateOf(w).prepayment!.emergencyCredit).toBe(300_000);
    expect(codes()).toEqual(['810D', '8119', '81AB']);
    untilValveCloses(w);
    // the £3 lifts the combined credit above £2 again, so it falls below the low credit threshold once more
    expect(codes()).toEqual(['810D', '8119', '81AB', '810D', '81AA', '8F0F']);
  });
});

describe('a gas prepayment meter 2.1 never configured', () => {
  it('alerts low credit at the factory threshold its 4.13 reports (£5), before emergency credit at its £2', () => {
    w = conformanceWorld();
    ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(w, 6n << 32n, 1200))));
    ok(w.run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML'));
    // the low credit warning level 4.13 reports
    expect(readAttributes(w, 'GCS21b_4.13_SUCCESS_REQUEST_DUIS.XML').get('0705/0031')?.readUInt32LE(0)).toBe(500_000);
    const before = gasAlerts(w).length;
    untilValveCloses(w);
    expect(gasAlerts(w).slice(before).map((a) => a.code)).toEqual(['810D', '8119', '8F0F']);
  });
});

describe('the GSME\'s currency before any tariff', () => {
  // Price 0x0616 currency, as the RTDS GSME answers it: success, uint16 (0x21), ISO 4217 826 (GBP)
  const GBP = Buffer.from('160600213a03', 'hex');
  /** The Price cluster components' read-attributes payloads of a response (plain, as RTDS). */
  const pricePayloads = (m: GbcsMessage | undefined): Buffer[] => {
    if (m?.body.kind !== 'gbz') throw new Error(`not GBZ: ${m?.body.kind}`);
    return m.body.gbz.components.filter((c) => c.clusterId === 0x0700 && c.commandId === 0x01).map((c) => c.payload);
  };
  it.each([
    ['GCS14_4.3_SUCCESS_UNRELIABLE', '4.3_GCS14'],
    ['GCS21f_4.11.1_SUCCESS', '4.11.1_GCS21f'],
  ])('%s: a GSME no tariff has set answers its GBP, as RTDS, not unsupported attribute', (name, dir) => {
    expect(pricePayloads(decodeGbcsMessage(rtdsVector(dir, `${name}_RESPONSE_GBCS.HEX`))).some((p) => p.includes(GBP))).toBe(true);
    w = conformanceWorld();
    const prices = pricePayloads(ok(w.run(`${name}_REQUEST_DUIS.XML`)).deviceResponse);
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.some((p) => p.includes(GBP))).toBe(true);
  });
});

describe('the gas supplier\'s alert settings (6.22)', () => {
  it('with 0x81AB\'s WAN alert turned off (GCS20), the GSME takes emergency credit without telling', () => {
    w = conformanceWorld();
    ok(w.run('GCS20_6.22_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/(<sr:x81AB>\s*<sr:WANAlert>)Enable</, '$1Disable<')));
    gasPrepaymentMeter(w);
    const before = gasAlerts(w).length;
    const codes = () => gasAlerts(w!).slice(before).map((a) => a.code);
    hourlyUntil(w, () => codes().includes('8119'));
    ok(w.run('GCS06_2.5_SUCCESS_REQUEST_DUIS.XML'));
    expect(stateOf(w).prepayment!.emergencyCredit).toBe(300_000);
    expect(codes()).toEqual(['810D', '8119']);
  });
});

describe('gas credit priced by the gas tariff', () => {
  const DAY = 86_400_000;
  const day = new Date('2026-12-02T00:00:00Z');

  /** 4.18 and 4.1.1 as the supplier reads them: the credit remaining (currency units) and the volume register (dm³). */
  function readings(world: ConformanceWorld): { credit: number; volume: number } {
    const credit = attributeValues(ok(world.run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML')).deviceResponse).get('0705/0001')!.readInt32LE(0);
    const volume = readAttributes(world, 'GCS13a_4.1.1_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML').get('0702/0000')!.readUIntLE(0, 6);
    return { credit, volume };
  }

  it('a day drains the energy of the gas metered at the tariff\'s price (kWh = m³ × 39.5 × 1.02264 / 3.6), plus its standing charge', () => {
    w = conformanceWorld();
    w.dcc.clock.set(new Date(day.getTime() - 6 * 3_600_000));
    ok(w.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', withUtrn(utrnFor(w, 6n << 32n, 5000))));
    // the RTDS TOU gas tariff (standing charge 22465, GBP × 10⁻⁵ a day), every tier at 10p/kWh
    ok(w.run('GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/(<sr:TOUPrice index="\d">)\d+</g, '$110000<')));
    w.dcc.clock.set(day);
    const before = readings(w);
    w.dcc.clock.set(new Date(day.getTime() + DAY));
    w.dcc.runDueCommands();
    const after = readings(w);
    const kWh = ((after.volume - before.volume) / 1000) * 39.5 * 1.02264 / 3.6;
    expect(kWh).toBeGreaterThan(1);
    expect(Math.abs(before.credit - after.credit - (kWh * 10_000 + 22_465))).toBeLessThanOrEqual(2);
  });
});
