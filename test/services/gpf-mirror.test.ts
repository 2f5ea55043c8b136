/**
 * A GPF answers its gas reads from its mirror of the GSME it serves (catalogue.md §1.15): the GSME the inventory puts
 * in the GPF's comms hub's HAN. Over DUIS on real world files: the ZAZ1 world (RTDS templates, GSME …A1 and GPF …A3
 * under hub …A2) and a seeded demo world. A read through the GPF agrees with the same read of the GSME, and follows
 * the GSME as its clock moves, its credit drains, its valve closes and a top-up comes in (at the top-up's own
 * instant); the GPF's read never changes the GSME's state.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { decodeGbcsMessage, decryptSensitive, makeUtrn, type GbcsMessage } from '../../devices/index.ts';
import { DEFAULT_MAX_DUIS_BYTES, parseDuisResponse, signDuis } from '../../service-requests/index.ts';
import { endpointFor, prepareRequest, xmlSignerOf } from '../../src/client.ts';
import { Dcc } from '../../src/dcc/index.ts';
import { World } from '../../src/world/index.ts';
import { seedDemoWorld } from '../../src/world/seed-demo.ts';
import { conformanceWorld, templateXml, type ConformanceWorld, type TemplateRun } from '../helpers/rtds-conformance.ts';
import { kaKeyOf } from '../helpers/sensitive-reads.ts';

const GSME = '00DB1234567890A1';
const GPF = '00DB1234567890A3';
const SUPPLIER = '90B3D51F30010000';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Real time stands still: two reads in a row are at the same simulated instant, so their figures can be equal.
beforeAll(() => { vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }); });
afterAll(() => { vi.useRealTimers(); });

/** The ZCL attribute values of a GBZ read's Read Attributes Responses, by 'cluster/attribute'; `decrypt` opens the sensitive ones. */
function attributes(m: GbcsMessage, decrypt: (m: GbcsMessage, ciphered: Buffer) => Buffer): Map<string, number> {
  if (m.body.kind !== 'gbz') throw new Error(`not GBZ: ${m.body.kind}`);
  const out = new Map<string, number>();
  for (const c of m.body.gbz.components) {
    const p = c.encrypted ? decrypt(m, c.encrypted.ciphered) : c.payload;
    if (c.commandId !== 0x01) continue;
    for (let i = 0; i + 3 <= p.length;) {
      const id = p.readUInt16LE(i);
      if (p[i + 2] !== 0) { i += 3; continue; } // not supported: no value
      const type = p[i + 3]!;
      const size = type === 0x2b || type === 0x23 ? 4 : type === 0x30 || type === 0x18 ? 1 : type === 0x25 ? 6 : type === 0x21 || type === 0x19 ? 2 : type === 0x22 ? 3 : 0;
      const v = p.subarray(i + 4, i + 4 + size);
      out.set(`${c.clusterId.toString(16).padStart(4, '0')}/${id.toString(16).padStart(4, '0')}`, type === 0x2b ? v.readInt32LE(0) : v.readUIntLE(0, size));
      i += 4 + size;
    }
  }
  return out;
}

describe('the ZAZ1 GPF mirrors its GSME', () => {
  let w: ConformanceWorld | undefined;
  afterEach(() => { w?.close(); w = undefined; });

  /** The sensitive parts decrypted as the supplier does: its KA key, the answering device's KA certificate. */
  const decrypt = (m: GbcsMessage, ciphered: Buffer) => {
    const deviceKa = new X509Certificate(w!.world.deviceCertificates(m.apdu.originator).kaCertificate.der).publicKey;
    return decryptSensitive(ciphered, kaKeyOf(SUPPLIER), deviceKa, { device: m.apdu.originator, party: m.apdu.target, counter: m.apdu.counter });
  };
  function read(template: string): Map<string, number> {
    const r: TemplateRun = w!.run(template);
    expect(r.final, `${template}: ${r.finalReason ?? r.answer.responseCode}`).toBe('I0');
    return attributes(r.deviceResponse!, decrypt);
  }
  /** 4.1.1 (the volume register, dm³) and 4.18 (bill to date, credit remaining) through the GSME and through its GPF. */
  const viaGsme = () => ({ ...Object.fromEntries(read('GCS13a_4.1.1_SUCCESS_UNRELIABLE_REQUEST_DUIS.XML')), ...Object.fromEntries(read('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML')) });
  const viaGpf = () => ({ ...Object.fromEntries(read('GCS13a_4.1.1_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML')), ...Object.fromEntries(read('GCS60a_4.18_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML')) });
  const gsmeApp = () => w!.world.store.getDeviceAppState(GSME);
  const supplyOf = () => (JSON.parse(gsmeApp() ?? '{}') as { supply?: { state: string } }).supply?.state;

  function utrn(counter: bigint, pence: number): (xml: string) => string {
    const key = w!.world.privateKeyOf(w!.world.store.getDeviceSecurity(GSME)!.cells.supplierTopUpKA!)!;
    const ka = new X509Certificate(w!.world.deviceCertificates(GSME).kaCertificate.der).publicKey;
    const u = makeUtrn(key, ka, { supplier: SUPPLIER, device: GSME, counter, value: pence, valueClass: 'pence' });
    return (xml) => xml.replace(/<sr:UTRN>\d+<\/sr:UTRN>/, `<sr:UTRN>${u}</sr:UTRN>`);
  }

  function zaz1(): void {
    w = conformanceWorld();
    // The ZAZ1 GPF is DCC controlled, as RTDS's devices start; the supplier takes it over (6.21) before reading it.
    const h = w.run('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML');
    expect(h.final, h.finalReason ?? '').toBe('I0');
    expect(w.world.store.inventory.pairedGsme(GPF)).toBe(GSME);
  }

  it('the volume register and the bill to date read through the GPF are the GSME\'s, and advance with it', () => {
    zaz1();
    w!.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    const gpf = viaGpf();
    expect(gpf['0702/0000']).toBeGreaterThan(0);
    expect(gpf).toEqual(viaGsme());
    w!.dcc.clock.advance(DAY);
    const later = viaGpf();
    expect(later['0702/0000']!).toBeGreaterThan(gpf['0702/0000']!);
    expect(later).toEqual(viaGsme());
  });

  it('in prepayment: the credit the GPF reads is the GSME\'s as it drains, the valve closing stops its register, a top-up shows; the GSME is never written', () => {
    zaz1();
    w!.dcc.clock.set(new Date('2026-12-01T09:00:00Z'));
    // the GSME on prepayment (2.1 and 1.6 as RTDS, thresholds edited) and £12 of credit, which drains from the top-up
    const ok = (r: TemplateRun) => expect(r.final, r.finalReason ?? r.answer.responseCode).toBe('I0');
    ok(w!.run('GCS05_2.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', (x) => x
      .replace(/<sr:EmergencyCreditLimit>\d+</, '<sr:EmergencyCreditLimit>300000<')
      .replace(/<sr:LowCreditThreshold>\d+</, '<sr:LowCreditThreshold>200000<')));
    ok(w!.run('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML'));
    ok(w!.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', utrn(6n << 32n, 1200)));
    // at the top-up's own instant, through either device: the credit it left
    const start = viaGpf();
    expect(start['0705/0001']!).toBe(1_200_000);
    expect(start).toEqual(viaGsme());

    // a day on, the GSME not commanded since: the GPF reads the credit the GSME drained to, without writing the GSME
    w!.dcc.clock.advance(DAY);
    const before = gsmeApp();
    const dayOne = viaGpf();
    expect(gsmeApp()).toBe(before);
    expect(dayOne['0705/0001']!).toBeLessThan(1_200_000 - 50_000); // the standing charge and some gas
    expect(dayOne).toEqual(viaGsme());
    // 4.3's prepay values through the GPF (encrypted) agree too
    expect(read('GCS14_4.3_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML').get('0705/0001')).toBe(dayOne['0705/0001']);

    // the credit runs out and the GSME closes its valve: through the GPF no more gas is metered
    for (let h = 0; h < 24 * 30 && supplyOf() !== 'disconnected'; h++) {
      w!.dcc.clock.advance(HOUR);
      w!.dcc.runDueCommands();
    }
    expect(supplyOf()).toBe('disconnected');
    const shut = viaGpf();
    w!.dcc.clock.advance(DAY);
    const dayAfter = viaGpf();
    expect(dayAfter['0702/0000']).toBe(shut['0702/0000']);
    expect(dayAfter['0705/0001']!).toBeLessThan(shut['0705/0001']!); // the standing charge goes on
    expect(dayAfter).toEqual(viaGsme());

    // a £10 top-up of the GSME at the same instant: the GPF reads the credit it left at once
    ok(w!.run('CS01b_2.2_SUCCESS_REQUEST_DUIS.XML', utrn(7n << 32n, 1000)));
    const toppedUp = viaGpf();
    expect(toppedUp['0705/0001']!).toBe(dayAfter['0705/0001']! + 1_000_000);
    expect(toppedUp).toEqual(viaGsme());
  });
});

describe('a seeded demo world\'s GPF mirrors the GSME of its premises', () => {
  let dir: string;
  let world: World;
  let dcc: Dcc;
  let counter = BigInt(Date.UTC(2026, 0, 1));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dcc-sim-gpf-mirror-'));
    world = World.open(join(dir, 'w.db'), { create: true });
    seedDemoWorld(world, { premises: 60, seed: 'gpf-mirror', referenceTime: new Date('2026-11-01T00:00:00Z') });
    dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: DEFAULT_MAX_DUIS_BYTES });
  });
  afterAll(() => {
    world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A template sent by `originator` to `target` (in place of the RTDS device it names); the device's answer. */
  function run(template: string, originator: Eui, target: Eui): GbcsMessage {
    const xml = templateXml(template).replace(/(<sr:RequestID>[^:]+:)[^:]+:/, `$1${dashedEui(target)}:`);
    const p = prepareRequest(xml, { counter: counter++, originator });
    const a = dcc.handle(endpointFor(p.commandVariant), Buffer.from(signDuis(p.xml, xmlSignerOf(world, p.originator))));
    expect(a.responseCode, a.reason ?? '').toBe('I99'); // acknowledged: the device's answer follows
    const answers = dcc.gateway.responsesFor(p.requestId).map((e) => parseDuisResponse(e.body));
    const content = answers.map((r) => (r.body.kind === 'ResponseMessage' ? r.body.content : undefined)).find((c) => c && 'gbcsPayload' in c);
    if (!content || !('gbcsPayload' in content)) throw new Error(`${template} to ${target}: no device answer (${answers.map((r) => r.responseCode).join(', ')})`);
    return decodeGbcsMessage(content.gbcsPayload);
  }

  it('every GPF in service is paired with the GSME at its MPRN under its comms hub', () => {
    const gpfs = world.store.listDevices({ type: 'GPF', status: 'Commissioned', limit: 10_000 }).devices;
    expect(gpfs.length).toBeGreaterThan(10);
    for (const gpf of gpfs) {
      const gsmes = world.store.devicesAtSupplyPoint(gpf.mpxn!).filter((d) => d.type === 'GSME');
      expect(gsmes.map((d) => d.eui), `GPF ${gpf.eui}`).toEqual([world.store.inventory.pairedGsme(gpf.eui)]);
      expect(gsmes[0]!.commsHubEui).toBe(gpf.commsHubEui);
    }
  });

  it('4.18 read through the GPF is the GSME\'s bill to date', () => {
    const gpf = world.store.listDevices({ type: 'GPF', status: 'Commissioned', limit: 10_000 }).devices[0]!;
    const gsme = world.store.inventory.pairedGsme(gpf.eui)! as Eui;
    const supplier = world.certificate(world.store.getDeviceSecurity(gsme)!.cells.supplierDS!).subjectEui! as Eui;
    const none = () => { throw new Error('4.18 travels in clear'); };
    const viaGpf = attributes(run('GCS60a_4.18_SUCCESS_RELIABLE_GPF_REQUEST_DUIS.XML', supplier, gpf.eui as Eui), none);
    const viaGsme = attributes(run('GCS60_4.18_SUCCESS_REQUEST_DUIS.XML', supplier, gsme), none);
    expect(viaGpf.get('0702/0a00')).toBeGreaterThan(0);
    expect(viaGpf).toEqual(viaGsme);
  });
});
