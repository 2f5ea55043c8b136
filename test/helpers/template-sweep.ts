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
import { World } from '../../src/world/index.ts';
import { endpointFor, prepareRequest, signPreCommand, xmlSignerOf } from '../../src/client.ts';
import { ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
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
const PRECONDITIONS: Record<string, (world: World) => void> = {
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
  const template = zaz1WorldFile();
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
        world.store.transaction(() => PRECONDITIONS[name]?.(world));
        const dcc = new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: DEFAULT_MAX_DUIS_BYTES });
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
