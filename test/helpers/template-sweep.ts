/**
 * The RTDS template sweep, shared by the conformance test (test/conformance/template-sweep.test.ts) and
 * `npm run sweep` (bench/template-sweep.ts): every DUIS request template of npm @smartdcc/duis-templates,
 * each in a fresh copy of one ZAZ1 world, signed as its originator (dcc-sim's signer with the keystore's
 * keys, as `dcc-sim send` does; the DCC's own tool takes ~1.5 s per call, which the e2e tests use), both legs
 * for critical ones. Per template: carried out (final I0), refused by a registered service (an E code, at
 * once or from the device), or not carried out (no module: E100 at parse:unsupported).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildRequest, DEFAULT_MAX_DUIS_BYTES, parseDuisResponse, signDuis } from '../../service-requests/index.ts';
import { Dcc } from '../../src/dcc/index.ts';
import { SimulatedClock, World } from '../../src/world/index.ts';
import { initialChfDeviceLog, type DeviceType } from '../../devices/index.ts';

const HUB = '00DB1234567890A2';
import { endpointFor, prepareRequest, signPreCommand, xmlSignerOf } from '../../src/client.ts';
import { ZAZ1_MPRN, ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { zaz1WorldFile } from './gateway-zaz1.ts';

export type Verdict = 'carried out' | 'refused' | 'not carried out';
export interface SweepRow { name: string; srv: string; section: string; verdict: Verdict; detail: string }

export const TEMPLATE_DIR = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');

/**
 * What a template presupposes of the world beyond the ZAZ1 seed, made so before it is sent (each in its
 * own fresh world): 12.2 pre-notifies a device that is not yet in the inventory, 8.4's DeleteDevice
 * deletes one pre-notified and never installed, and 8.14.1-8.14.3 report on a comms hub being installed.
 */
const hubBeingInstalled = (w: World) => { w.inventory.update('00DB1234567890A2', { status: 'Pending' }); };
/** 8.14.1/8.14.2 name the premises by MPxN 1000999888, a gas supply point of the ZAZ1 parties. */
const hubInstalledAt1000999888 = (w: World) => {
  hubBeingInstalled(w);
  w.store.insertSupplyPoint({ mpxn: '1000999888', fuel: 'G', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: 123456789013, postcode: 'ZA1 1ZZ', address: '2 RTDS Way' });
};
/**
 * RTDS reads the gas meter through its GPF after the supplier has taken the GPF over: its supplier cells
 * hold the supplier's certificates, as the GSME's do (the ZAZ1 seed lays the GPF out DCC controlled).
 */
const gpfTakenOver = (w: World) => {
  const gsme = w.store.getDeviceSecurity('00DB1234567890A1')!;
  const gpf = w.store.getDeviceSecurity('00DB1234567890A3')!;
  w.store.updateDeviceSecurity({ ...gpf, cells: { ...gpf.cells, supplierDS: gsme.cells.supplierDS, supplierKA: gsme.cells.supplierKA, supplierTopUpKA: gsme.cells.supplierTopUpKA } });
};
/** A URP read: the gaining supplier is registered while the meter still holds the losing supplier's certificates. */
const gasSupplierIsSupplier2 = (w: World) => { w.store.setSupplier(ZAZ1_MPRN, '90B3D51F30030000'); };
/** 5.2/5.3 read and delete DSPScheduleID 123: first the 5.1 template creates the supplier's schedule, numbered 123. */
const PRELUDES: Record<string, { template: string; then(w: World): void }> = {
  '5.2_READ_SCHEDULE_REQUEST_DUIS.XML': { template: 'ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML', then: (w) => { w.store.db.prepare('UPDATE dcc_schedules SET id = 123').run(); } },
  '5.3_DELETE_SCHEDULE_REQUEST_DUIS.XML': { template: 'ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML', then: (w) => { w.store.db.prepare('UPDATE dcc_schedules SET id = 123').run(); } },
};
/**
 * A join (8.7) names another HAN device: it is in the inventory behind the ZAZ1 hub and in the hub's device
 * log, as 12.2 and 8.11 would have put it there (RTDS's …9A HCALCS, …93 ESME, …9C GPF, …98 PPMID, …94 GSME).
 */
const onTheHan = (eui: string, type: DeviceType) => (w: World) => {
  w.applyInventoryChange({ kind: 'add', device: { eui, type, status: 'Whitelisted', manufacturer: 'RTDS', model: `RTDS ${type}`, firmware: '0001', addedBy: ZAZ1_SUPPLIER } });
  w.inventory.update(eui, { commsHubEui: HUB });
  const app = JSON.parse(w.store.getDeviceAppState(HUB) ?? '{}') as { chfDeviceLog?: { entries: unknown[] } };
  const added = initialChfDeviceLog([{ eui, type }], new Date()).entries;
  app.chfDeviceLog = { ...(app.chfDeviceLog ?? { historic: [] }), entries: [...(app.chfDeviceLog?.entries ?? []), ...added] } as never;
  w.store.putDeviceAppState(HUB, JSON.stringify(app));
};
/** 8.1.1 commissions a meter installed and not yet commissioned, at the time the template's CurrentDateTime names. */
const installedAt = (eui: string, at: string) => (w: World) => {
  w.applyInventoryChange({ kind: 'update', eui, set: { status: 'InstalledNotCommissioned', commissionedAt: null } });
  new SimulatedClock(w.store).set(new Date(at));
};
/** 8.12.1 restores the log of a replaced hub …95, which the DCC has from that hub's CS14 alerts. */
const oldHub95 = (w: World) => {
  const eui = '00DB123456789095';
  w.applyInventoryChange({ kind: 'add', device: { eui, type: 'CHF', status: 'Commissioned', manufacturer: 'RTDS', model: 'RTDS CHF', firmware: '0001', addedBy: ZAZ1_SUPPLIER } });
  w.store.putDeviceAppState(eui, w.store.getDeviceAppState(HUB) ?? '{}');
};
/**
 * 8.6 opts back in an ESME that 8.5 opted out (Withdrawn) and whose import MPAN is 1312345678111, with 1312345678333
 * as its export MPAN; the ZAZ1 seed, after RTDS's other templates (6.20.x, 6.23), has …A0 at import MPAN 1312345678333.
 * The 8.5 template itself is refused (its KA certificate is a DS one), so the opt-out is made so directly.
 */
const optedOutAt1312345678111 = (w: World) => {
  w.store.insertSupplyPoint({ mpxn: '1312345678111', fuel: 'E', networkOperatorEui: ZAZ1_NETWORK_OPERATOR, supplierEui: ZAZ1_SUPPLIER, uprn: 123456789012, postcode: 'ZA1 1ZZ', address: '1 RTDS Way' });
  w.inventory.update('00DB1234567890A0', { status: 'Withdrawn', mpxn: '1312345678111' });
};
/**
 * 8.12.2 restores the device log of a replaced GPF …B3, which the DCC has from that GPF's GCS62 backups: the two
 * devices RTDS's GCS59 vector restores, a PPMID 0011223344556677 and a Type 2 device 8899AABBCCDDEEFF.
 */
const oldGpfB3 = (w: World) => {
  const eui = '00DB1234567890B3';
  w.applyInventoryChange({ kind: 'add', device: { eui, type: 'GPF', status: 'Commissioned', manufacturer: 'RTDS', model: 'RTDS GPF', firmware: '0001', addedBy: ZAZ1_SUPPLIER } });
  w.store.putDeviceAppState(eui, JSON.stringify({ han: { joined: [{ eui: '0011223344556677', type: 5 }, { eui: '8899AABBCCDDEEFF', type: 6 }] } }));
};
const PRECONDITIONS: Record<string, (world: World) => void> = {
  'GCS59_8.12.2_SUCCESS_REQUEST_DUIS.XML': oldGpfB3,
  '8.6_SERVICE_OPTIN_REQUEST_DUIS.XML': optedOutAt1312345678111,
  'CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB12345678909A', 'HCALCS'),
  'CS03A2Critical_8.7.1_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB123456789093', 'ESME'),
  'CS03A2NonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB123456789093', 'ESME'),
  'CS03B_8.7.2_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB12345678909C', 'GPF'),
  'CS03CCritical_8.7.1_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB123456789098', 'PPMID'),
  'CS03CNonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML': onTheHan('00DB123456789094', 'GSME'),
  'ECS70Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML': installedAt('00DB1234567890A0', '2014-12-31T23:59:20Z'),
  'GCS28Commission_8.1.1_SUCCESS_REQUEST_DUIS.XML': installedAt('00DB1234567890A1', '2014-12-31T23:30:30Z'),
  'CCS03_8.12.1_SUCCESS_REQUEST_DUIS.XML': oldHub95,
  'GCS09_3.2_SUCCESS_REQUEST_DUIS.XML': gpfTakenOver,
  'GCS16b_4.14_URP_SUCCESS_REQUEST_DUIS.XML': (w) => { gpfTakenOver(w); gasSupplierIsSupplier2(w); },
  '8.14.1_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_SUCCESS_REQUEST_DUIS.XML': hubInstalledAt1000999888,
  '8.14.2_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_NO_SM_WAN_REQUEST_DUIS.XML': hubInstalledAt1000999888,
  '8.14.3_COMMUNICATIONS_HUB_STATUS_UPDATE_FAULT_RETURN_REQUEST_DUIS.XML': hubBeingInstalled,
  '12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML': (w) => { w.inventory.delete('00DB1234567890A0'); },
  '8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML': (w) => { w.inventory.update('00DB1234567890A0', { status: 'Pending' }); },
};

export function templateNames(): string[] {
  return readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith('.XML')).sort();
}

export interface Sweeper {
  sweep(name: string): SweepRow;
  close(): void;
}

export function sweeper(): Sweeper {
  const template = zaz1WorldFile(undefined, 'sqlite'); // copied file by file below
  const scratch = mkdtempSync(join(tmpdir(), 'dcc-sim-sweep-'));
  let n = 0;
  return {
    sweep(name) {
      const xml = readFileSync(join(TEMPLATE_DIR, name), 'utf8');
      const srv = /<sr:ServiceReferenceVariant>([^<]+)</.exec(xml)?.[1] ?? '?';
      const row = (verdict: Verdict, detail: string): SweepRow => ({ name, srv, section: srv.split('.')[0]!, verdict, detail });
      const file = join(scratch, `w${n++}.db`);
      copyFileSync(template, file);
      const world = World.open(file);
      try {
        world.store.transaction(() => (PRECONDITIONS[name] ?? (/_RELIABLE_(GPF|GSME)_/.test(name) ? gpfTakenOver : undefined))?.(world));
        const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: DEFAULT_MAX_DUIS_BYTES });
        const prelude = PRELUDES[name];
        if (prelude) {
          const q = prepareRequest(readFileSync(join(TEMPLATE_DIR, prelude.template), 'utf8'), { counter: BigInt(Date.now()) - 1n });
          const a = dcc.handle(endpointFor(q.commandVariant), Buffer.from(signDuis(q.xml, xmlSignerOf(world, q.originator))));
          if (a.responseCode !== 'I0') return row('refused', `prelude ${prelude.template}: ${a.responseCode} ${a.reason ?? ''}`);
          prelude.then(world);
        }
        const p = prepareRequest(xml, { counter: BigInt(Date.now()) });
        const signer = xmlSignerOf(world, p.originator);
        let a = dcc.handle(endpointFor(p.commandVariant), Buffer.from(signDuis(p.xml, signer)));
        const log = () => dcc.gateway.getRequest(a.requestLogId);
        if (a.responseCode === 'E100' && log()?.failedStep === 'parse:unsupported') return row('not carried out', 'no module');
        if (p.commandVariant === 4 && a.responseCode === 'I0') {
          const body = parseDuisResponse(a.xml).body;
          if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) return row('refused', 'I0 without a pre-command');
          const leg = buildRequest({
            requestId: p.requestId, commandVariant: 5, serviceReference: body.serviceReference, serviceReferenceVariant: body.serviceReferenceVariant,
            body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(world, body.content.preCommand.gbcsPayload) },
          });
          a = dcc.handle('serviceS', Buffer.from(signDuis(leg, signer)));
        }
        const logged = log();
        const final = logged?.finalResponseCode ?? a.responseCode;
        const asyncCodes = dcc.gateway.responsesFor(p.requestId).map((r) => r.responseCode);
        if (final === 'I0' || (final === 'I99' && asyncCodes.includes('I0'))) return row('carried out', [a.responseCode, ...asyncCodes].join(' '));
        return row('refused', `${final}${logged?.finalReason ?? logged?.reason ? `: ${logged?.finalReason ?? logged?.reason}` : ''}`);
      } catch (e) {
        return row('refused', `threw: ${(e as Error).message}`);
      } finally {
        world.close();
        rmSync(file, { force: true });
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
      }
    },
    close() {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(dirname(template), { recursive: true, force: true });
    },
  };
}

export function sweepTable(rows: readonly SweepRow[]): string[] {
  const sections = [...new Set(rows.map((r) => r.section))].sort((a, b) => Number(a) - Number(b));
  const count = (s: string, v: Verdict) => rows.filter((r) => r.section === s && r.verdict === v).length;
  return [
    '| section | templates | carried out | refused | not carried out |',
    '|---|---|---|---|---|',
    ...sections.map((s) => `| ${s} | ${rows.filter((r) => r.section === s).length} | ${count(s, 'carried out')} | ${count(s, 'refused')} | ${count(s, 'not carried out')} |`),
    `| all | ${rows.length} | ${rows.filter((r) => r.verdict === 'carried out').length} | ${rows.filter((r) => r.verdict === 'refused').length} | ${rows.filter((r) => r.verdict === 'not carried out').length} |`,
  ];
}
