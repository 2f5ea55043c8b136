/**
 * The console's meter view agrees with the meter: on the RTDS ESME of a ZAZ1 world, the import register the
 * console shows (GET /api/console/devices/{eui}/meter's meterView) is the one a 4.1.1 read returns at the same
 * simulated time, and today's profile is what a 4.8.1 read of the same half hours returns.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeDlmsData, decryptSensitive, meterView, type DlmsData, type GbcsMessage } from '../../devices/index.ts';
import { conformanceWorld, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { items, kaKeyOf, num } from '../helpers/sensitive-reads.ts';
const ESME = '00DB1234567890A0';

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
