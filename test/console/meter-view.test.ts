/**
 * The console's meter view agrees with the meter: on the RTDS ESME of a ZAZ1 world, the import register the
 * console shows (GET /api/console/devices/{eui}/meter's meterView) is the one a 4.1.1 read returns at the same
 * simulated time, and today's profile is what a 4.8.1 read of the same half hours returns. A GPF's panel (the
 * route's consoleMeterView) shows what its reads return: its mirror of the paired GSME's meter and credit, the
 * GSME's own panel, as the GSME's credit drains and its valve closes; with no paired GSME, its own EUI's meter.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { decodeDlmsData, decryptSensitive, makeUtrn, meterView, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { consoleMeterView } from '../../src/console/index.ts';
import { conformanceWorld, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { items, kaKeyOf, num, zclReadValues } from '../helpers/sensitive-reads.ts';
const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const GPF = '00DB1234567890A3';
const SUPPLIER = '90B3D51F30010000';

let w: ConformanceWorld;
let esmeKa: KeyObject;
beforeAll(() => {
  w = conformanceWorld();
  esmeKa = new X509Certificate(w.world.deviceCertificates(ESME).kaCertificate.der).publicKey;
  // real time stands still, so that the read and the view are at the same simulated instant
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
});
afterAll(() => {
  vi.useRealTimers();
  w?.close();
});

function ok(r: TemplateRun): GbcsMessage {
  expect(r.final, `${r.answer.responseCode} ${r.finalReason ?? ''}`).toBe('I0');
  return r.deviceResponse!;
}

/** The decrypted sensitive part of a read's first result (encrypted to the requesting supplier). */
function plaintextOf(m: GbcsMessage): DlmsData {
  if (m.body.kind !== 'dlms-response') throw new Error(m.body.kind);
  const d = m.body.response.data[0]!;
  if (d.type !== 'structure' || d.items[1]?.type !== 'octet-string') throw new Error(`not protected: ${d.type}`);
  return decodeDlmsData(decryptSensitive(d.items[1].value, kaKeyOf(m.apdu.target), esmeKa, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter }));
}

const view = () => {
  const json = w.world.store.getDeviceAppState(ESME);
  return meterView({ eui: ESME, type: 'ESME' }, json ? JSON.parse(json) : undefined, w.dcc.clock.now());
};
const importOf = (v: ReturnType<typeof meterView>) => v.registers.find((r) => r.quantity === 'activeImport')!.value;

describe('the console\'s meter view and the meter\'s reads', () => {
  it('shows the import register a 4.1.1 read returns, at two times a day apart, and the profile a 4.8.1 read returns', () => {
    for (const at of ['2026-10-05T09:10:00Z', '2026-10-06T09:10:00Z']) {
      w.dcc.clock.set(new Date(at));
      const read = num(items(items(plaintextOf(ok(w.run('ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML'))))[0])[0]);
      const v = view();
      expect(v.now).toBe(new Date(at).toISOString());
      expect(importOf(v)).toBe(read);
    }
    const v = view();
    expect(v.profile.day).toBe('2026-10-06');
    expect(v.profile.slots).toHaveLength(18); // 00:00 to 09:00, complete by 09:10
    const period = (x: string) => x
      .replace(/<sr:StartDateTime>[^<]*</, '<sr:StartDateTime>2026-10-06T00:30:00Z<')
      .replace(/<sr:EndDateTime>[^<]*</, '<sr:EndDateTime>2026-10-06T09:00:00Z<');
    const rows = items(items(plaintextOf(ok(w.run('ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML', period))))[0]);
    expect(rows.map((r) => num(items(r)[1]))).toEqual(v.profile.slots.map((s) => s.value));
  });

  it('shows the tariff a 1.1.1 set and the supply 7.2 disconnected, and the register that read agrees with stands still', () => {
    w.dcc.clock.set(new Date('2026-11-10T12:00:00Z'));
    expect(w.run('ECS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    expect(w.run('ECS43_7.2_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    const off = view();
    expect(off.tariff?.activatedAt).toBeTruthy();
    expect(off.tariff?.inForce).toMatch(/^TOU \d+$/);
    expect(off.supply?.state).not.toBe('connected');
    w.dcc.clock.set(new Date('2026-11-11T12:00:00Z'));
    const read = num(items(items(plaintextOf(ok(w.run('ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML'))))[0])[0]);
    expect(importOf(view())).toBe(read);
    expect(read).toBe(importOf(off));
    expect(w.run('ECS42_7.1_SUCCESS_REQUEST_DUIS.XML').final).toBe('I0');
    expect(view().supply?.state).toBe('connected');
  });
});

describe('the console\'s meter panel of a GPF', () => {
  let g: ConformanceWorld;
  beforeAll(() => { g = conformanceWorld(); });
  afterAll(() => g?.close());

  /** A GBZ read's attribute values by 'cluster/attribute', the sensitive components decrypted as the supplier does. */
  function attributes(r: TemplateRun): Record<string, number> {
    const m = ok(r);
    const deviceKa = new X509Certificate(g.world.deviceCertificates(m.apdu.originator).kaCertificate.der).publicKey;
    return zclReadValues(m, (ciphered) => decryptSensitive(ciphered, kaKeyOf(SUPPLIER), deviceKa, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter }));
  }
  /** 4.1.1 (the gas volume register) and 4.18 (credit remaining) read through the GPF. */
  const gpfRead = () => ({
    ...attributes(g.run('GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML')),
    ...attributes(g.run('GCS60a_4.18_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML')),
  });
  const panel = (eui: string, type: 'GSME' | 'GPF') => consoleMeterView(g.world, { eui, type }, g.dcc.clock.now());
  const gasOf = (v: ReturnType<typeof panel>) => v.registers.find((r) => r.quantity === 'gasVolume')!.value;
  const supplyOf = () => (JSON.parse(g.world.store.getDeviceAppState(GSME) ?? '{}') as { supply?: { state: string } }).supply?.state;

  /** The GPF's panel at this instant: the mirror of the GSME, its register and credit what a GPF read returns, the GSME's panel's. */
  function expectMirror(): ReturnType<typeof panel> {
    const viaGpf = panel(GPF, 'GPF');
    const gsme = panel(GSME, 'GSME');
    expect(viaGpf.mirrorOf).toBe(dashedEui(GSME));
    expect(viaGpf.registers).toEqual(gsme.registers);
    expect(viaGpf.profile).toEqual(gsme.profile);
    expect(viaGpf.prepayment).toEqual(gsme.prepayment);
    const read = gpfRead();
    expect(gasOf(viaGpf)).toBe(read['0702/0000']);
    // (a meter never given credit answers credit remaining as an unsupported attribute; the panel shows 0)
    expect(viaGpf.prepayment?.balance).toBe(read['0705/0001'] ?? 0);
    // the panels as they were before the reads: a read catches the GSME up the same way
    expect(panel(GPF, 'GPF')).toEqual(viaGpf);
    return viaGpf;
  }

  it('shows the paired GSME\'s meter and credit as a GPF read returns them, as the credit drains and the valve closes', () => {
    // The ZAZ1 GPF is DCC controlled, as RTDS's devices start; the supplier takes it over (6.21) before reading it.
    ok(g.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML'));
    expect(g.world.store.inventory.pairedGsme(GPF)).toBe(GSME);
    g.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    const first = expectMirror();
    expect(gasOf(first)).toBeGreaterThan(0);

    // the GSME on prepayment with £12 (2.1 and 1.6 as RTDS, thresholds edited; a UTRN for it)
    ok(g.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>300000<')
      .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>200000<')));
    ok(g.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    const key = g.world.privateKeyOf(g.world.store.getDeviceSecurity(GSME)!.cells.supplierTopUpKA!)!;
    const ka = new X509Certificate(g.world.deviceCertificates(GSME).kaCertificate.der).publicKey;
    const utrn = makeUtrn(key, ka, { supplier: SUPPLIER, device: GSME, counter: 6n << 32n, value: 1200, valueClass: 'pence' });
    ok(g.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', (x) => x.replace(/<sr:UTRN>\d+<\/sr:UTRN>/, `<sr:UTRN>${utrn}</sr:UTRN>`)));
    expect(expectMirror().prepayment?.balance).toBe(1_200_000);

    // a day on, the GSME not commanded since: the panel shows the gas it metered and the credit it drained to
    g.dcc.clock.advance(24 * 3_600_000);
    const day = expectMirror();
    expect(gasOf(day)).toBeGreaterThan(gasOf(first));
    expect(day.prepayment!.balance).toBeLessThan(1_200_000 - 50_000);

    // the credit runs out and the valve closes: the register the panel shows stands still, the standing charge goes on
    for (let h = 0; h < 24 * 30 && supplyOf() !== 'disconnected'; h++) {
      g.dcc.clock.advance(3_600_000);
      g.dcc.runDueCommands();
    }
    expect(supplyOf()).toBe('disconnected');
    const shut = expectMirror();
    g.dcc.clock.advance(24 * 3_600_000);
    const later = expectMirror();
    expect(gasOf(later)).toBe(gasOf(shut));
    expect(later.prepayment!.balance).toBeLessThan(shut.prepayment!.balance);
  });

  it('with no GSME paired, shows what its reads return then: a gas meter of its own EUI, no credit', () => {
    g.world.store.db.prepare("UPDATE devices SET status = 'Decommissioned' WHERE eui = ?").run(GSME);
    expect(g.world.store.inventory.pairedGsme(GPF)).toBeUndefined();
    const v = panel(GPF, 'GPF');
    expect(v.mirrorOf).toBeNull();
    expect(v.prepayment).toBeNull();
    expect(gasOf(v)).toBe(attributes(g.run('GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML'))['0702/0000']);
    expect(gasOf(v)).not.toBe(gasOf(panel(GSME, 'GSME')));
  });
});
