import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeGbcsMessage, isGeneralCiphering, unwrapGeneralCiphering, verifyApduSignature, verifyMac, type GbcsMessage } from '../../devices/index.ts';
import { describeCertificate } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { dumpDeviceTables } from '../helpers/gateway-checks.ts';
import { zaz1WorldFile } from '../helpers/gateway-zaz1.ts';
import { runCliAsync } from '../helpers/world-cli.ts';
import { ks, rtds } from '../devices/helpers.ts';

// The DCC's own credentials commands on the RTDS devices of a ZAZ1 world, through POST /api/recovery
// and `dcc-sim recovery --url`: the GBCS equals RTDS's recovery and WPByWP commands but for counters,
// signatures, MACs and the certificates placed; the devices answer as RTDS's did; every command (and
// every refusal) is a row of the request log with who ordered it and why; a refusal changes nothing.

const ESME = '00DB1234567890A0';
const GSME = '00DB1234567890A1';
const CHF = '00DB1234567890A2';
const RECOVERY = '90B3D51F30000001';
/** The cell groups the Recovery Event replaces (every one but the root), each with the RTDS party whose certificates go in. */
const EVERY_GROUP_BUT_ROOT = [
  { cells: 'recovery', certificatesOf: RECOVERY },
  { cells: 'supplier', certificatesOf: '90B3D51F30010000' },
  { cells: 'networkOperator', certificatesOf: '90B3D51F30020000' },
  { cells: 'acb', certificatesOf: '90B3D51F30000002' },
  { cells: 'transitionalCoS', certificatesOf: '90B3D51F30000004' },
];
const WAN_PROVIDER = '90B3D51F30000007';

interface LoggedRow { responseXml?: string | null; id: number; endpoint: string; requestId: string | null; originator: string | null; device: string | null; responseCode: string; reason: string | null; steps: { step: string; ok: boolean; detail: string }[]; changedCells: string[] | null; requestXml?: string | null }

describe('the DCC\'s SMKI Recovery and WAN provider commands (POST /api/recovery, dcc-sim recovery)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile() });
  });
  afterAll(async () => {
    await h?.close();
    if (h) rmSync(dirname(h.file), { recursive: true, force: true });
  });

  async function order(body: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${h.server.url}/api/recovery`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  async function logRow(id: number): Promise<LoggedRow> {
    const rows = (await (await fetch(`${h.server.url}/api/requests?limit=50&full=1`)).json()) as LoggedRow[];
    return rows.find((r) => r.id === id)!;
  }

  /** The GBCS command the request log kept, and the device's response. */
  async function logged(id: number): Promise<{ row: LoggedRow; command: GbcsMessage; raw: Buffer }> {
    const row = await logRow(id);
    const audit = JSON.parse(row.requestXml!) as { gbcsCommand: string };
    const raw = Buffer.from(audit.gbcsCommand, 'hex');
    return { row, command: decodeGbcsMessage(raw), raw };
  }

  /** A command's fields as RTDS and we both have them: certificates as the cells they go to, and no counter. */
  const shape = (m: GbcsMessage) => {
    if (m.body.kind !== 'cs02b-command') throw new Error('expected a CS02b command');
    const { authorisingSeqNumber: _c, replacements, certificationPath: _p, ...rest } = m.body.command;
    return { cra: m.apdu.cra, originator: m.apdu.originator, target: m.apdu.target, messageCode: m.apdu.messageCode, ...rest, cells: replacements.map((r) => r.target) };
  };

  it('the Recovery Event on the ESME: RTDS\'s command but for counter, signature and certificates; every cell but the root replaced; logged with its reason', async () => {
    const r = await order({
      event: 'recovery',
      devices: ['00-DB-12-34-56-78-90-A0'],
      place: EVERY_GROUP_BUT_ROOT,
      reason: 'test: the RTDS recovery use case',
      requestedBy: 'vitest',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ event: 'recovery', mode: 'anyExceptAbnormalRootByRecovery', messageCode: '0x0108', carriedOut: 1, failed: 0 });
    const d = r.body.devices[0];
    expect(d.outcome).toBe('I0');
    expect(d.replacements.map((x: { status: number }) => x.status)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);

    const { row, command, raw } = await logged(d.requestLogId);
    const theirs = decodeGbcsMessage(rtds('NA_CS02bAnyExceptAbnormalRootByRecovery', 'CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS_COMMAND_GBCS.HEX'));
    expect(isGeneralCiphering(raw)).toBe(false); // signed only, no ACB MAC, as RTDS's
    expect(shape(command)).toEqual(shape(theirs));
    const recoveryCert = h.world.certificate(h.world.store.getDeviceSecurity(ESME)!.cells.recovery!).der;
    expect(verifyApduSignature(command.apdu, describeCertificate(ks('Z1-recovery-ds').certificate).publicKey) || verifyApduSignature(command.apdu, describeCertificate(recoveryCert).publicKey)).toBe(true);
    // the audit trail
    expect([row.endpoint, row.originator, row.device, row.responseCode, row.requestId]).toEqual(['recovery', '90-B3-D5-1F-30-00-00-01', '00-DB-12-34-56-78-90-A0', 'I0', d.requestId]);
    expect(row.steps.map((s) => s.step)).toEqual(['order', 'command', 'device']);
    expect(row.steps[0]!.detail).toBe('recovery ordered by vitest: test: the RTDS recovery use case');
    // the console's inspector shows the order and both GBCS messages, annotated
    const detail = (await (await fetch(`${h.server.url}/api/console/requests/${d.requestLogId}`)).json()) as { duis: { title: string; fields: { label: string; value: string }[] }[]; gbcs: { source: string; annotations: unknown[] }[] };
    expect(detail.duis[0]!.fields).toEqual([{ label: 'Event', value: 'recovery' }, { label: 'Ordered by', value: 'vitest' }, { label: 'Reason', value: 'test: the RTDS recovery use case' }]);
    expect(detail.gbcs.map((g) => g.source)).toEqual(["the DCC's recovery command (no DUIS request)", "the device's response"]);
    expect(detail.gbcs.every((g) => g.annotations.length > 5)).toBe(true);
    // the device's answer is RTDS's but for the counter and the IDs of the certificates placed
    const theirResponse = decodeGbcsMessage(rtds('NA_CS02bAnyExceptAbnormalRootByRecovery', 'CS02bAnyExceptAbnormalRootByRecovery_NA_SUCCESS_RESPONSE_GBCS.HEX'));
    const ourResponse = decodeGbcsMessage(Buffer.from(row.responseXml!, 'hex'));
    if (theirResponse.body.kind !== 'cs02b-response' || ourResponse.body.kind !== 'cs02b-response') throw new Error('expected CS02b responses');
    const layout = (o: NonNullable<typeof ourResponse.body.response.outcome>) => ({ mode: o.mode, floors: o.seqNumberChanges, cells: o.replacementOutcomes.map((x) => [x.cell, x.status, x.existingSubjectUniqueId]) });
    expect(layout(ourResponse.body.response.outcome!)).toEqual(layout(theirResponse.body.response.outcome!));
    expect([ourResponse.apdu.originator, ourResponse.apdu.target, ourResponse.apdu.messageCode]).toEqual([ESME, RECOVERY, 0x0108]);
  });

  it('the WAN provider\'s own update of the comms hub (CLI) and the Transitional CoS party\'s of the ESME: RTDS\'s WPByWP and TransCoSByTransCoS but for counter, signature, MAC and [1]; the devices answer as RTDS\'s did', async () => {
    const before = h.world.certificate(h.world.store.getDeviceSecurity(CHF)!.cells.wanProviderDS!).der;
    const cli = await runCliAsync(['recovery', '--db', h.file, '--url', h.server.url, '--event', 'wan-provider', '--device', '00-DB-12-34-56-78-90-A2', '--cells', 'wanProvider', '--certificates-of', WAN_PROVIDER, '--reason', 'WAN provider key roll', '--requested-by', 'vitest', '--time-checks', 'disapply', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const r = JSON.parse(cli.stdout);
    expect(r).toMatchObject({ event: 'wan-provider', mode: 'wanProviderByWanProvider', carriedOut: 1 });
    const { command, raw } = await logged(r.devices[0].requestLogId);
    const theirs = decodeGbcsMessage(rtds('NA_CS02bWPByWP', 'CS02bWPByWP_NA_SUCCESS_COMMAND_GBCS.HEX'));
    // RTDS applies the time checks; the ZAZ1 certificates have expired by the world's clock, so this one disapplies them
    expect(shape(command)).toEqual({ ...shape(theirs), applyTimeBasedCpvChecks: false });
    // the same certificate RTDS placed (the WAN provider's Z1b), and ACB-MAC'd for the hub
    if (command.body.kind !== 'cs02b-command' || theirs.body.kind !== 'cs02b-command') throw new Error('CS02b');
    expect(command.body.command.replacements[0]!.certificate.equals(theirs.body.command.replacements[0]!.certificate)).toBe(true);
    expect(verifyMac(raw, ks('Z1-accessControlBroker-ka').privateKey, h.world.deviceKeys(CHF).kaKey.point).ok).toBe(true);
    expect(unwrapGeneralCiphering(raw).apdu.length).toBeGreaterThan(0);
    const after = h.world.certificate(h.world.store.getDeviceSecurity(CHF)!.cells.wanProviderDS!).der;
    expect(describeCertificate(before).ski).toBe('4947BAD00B1B12C5');
    expect(describeCertificate(after).ski).toBe('43CF62E6B35E4986');
    const response = decodeGbcsMessage(Buffer.from((await logRow(r.devices[0].requestLogId)).responseXml!, 'hex'));
    const theirResponse = decodeGbcsMessage(rtds('NA_CS02bWPByWP', 'CS02bWPByWP_NA_SUCCESS_RESPONSE_GBCS.HEX'));
    if (response.body.kind !== 'cs02b-response' || theirResponse.body.kind !== 'cs02b-response') throw new Error('CS02b responses');
    expect(response.body.response.outcome).toEqual({ ...theirResponse.body.response.outcome!, authorisingSeqNumber: response.apdu.counter });

    // The Transitional CoS party's own update of the ESME: RTDS's TransCoSByTransCoS (no floor), signed and ACB-MAC'd.
    const t = await order({ event: 'transitional-cos', devices: [ESME], cells: 'transitionalCoS', certificatesOf: '90B3D51F30000004', reason: 'TransCoS key roll', requestedBy: 'vitest' });
    expect([t.status, t.body.mode, t.body.carriedOut]).toEqual([200, 'transCoSByTransCoS', 1]);
    const tc = await logged(t.body.devices[0].requestLogId);
    expect(isGeneralCiphering(tc.raw)).toBe(true);
    expect(shape(tc.command)).toEqual(shape(decodeGbcsMessage(rtds('NA_CS02bTransCoSByTransCoS', 'CS02bTransCoSByTransCoS_NA_SUCCESS_COMMAND_GBCS.HEX'))));
    const tr = decodeGbcsMessage(Buffer.from(tc.row.responseXml!, 'hex'));
    if (tr.body.kind !== 'cs02b-response') throw new Error('CS02b response');
    expect([tr.body.response.outcome!.mode, tr.body.response.outcome!.seqNumberChanges, tr.body.response.outcome!.replacementOutcomes.map((o) => o.status)]).toEqual([6, [], [0]]);
  });

  it('the contingency event on the ESME (API) and the GPF (CLI): signed by the root\'s contingency key with its symmetric key in clear, no MAC; the root and the other cells replaced; answered as RTDS\'s contingency response; once spent, the DCC has no key for the device', async () => {
    const r = await order({
      event: 'contingency',
      devices: [ESME],
      place: EVERY_GROUP_BUT_ROOT,
      reason: 'test: the root is lost',
      requestedBy: 'vitest (SMKI PMA)',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ event: 'contingency', mode: 'anyByContingency', messageCode: '0x0109', carriedOut: 1, failed: 0 });
    const d = r.body.devices[0];
    expect(d.changedCells).toEqual(['root', 'recovery', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA', 'acbKA', 'transitionalCoSDS']);
    const { row, command, raw } = await logged(d.requestLogId);
    expect(isGeneralCiphering(raw)).toBe(false);
    if (command.body.kind !== 'cs02b-command') throw new Error('CS02b command');
    const contingency = h.world.rootContingencyKey(1);
    expect(command.body.command.plaintextSymmetricKey!.equals(contingency.symmetricKey)).toBe(true);
    expect(verifyApduSignature(command.apdu, contingency.publicKey)).toBe(true);
    expect([command.apdu.originator, command.apdu.messageCode, command.body.command.mode]).toEqual(['70B3D51F300017FF', 0x0109, 9]);
    expect([row.endpoint, row.device, row.responseCode]).toEqual(['recovery', '00-DB-12-34-56-78-90-A0', 'I0']);
    expect(row.steps[0]!.detail).toBe('contingency ordered by vitest (SMKI PMA): test: the root is lost');
    expect(row.steps[1]!.detail).toMatch(/signed by the root's contingency key \(generation 1\)/);
    // the console's inspector shows the order, and the command annotated down to its plaintext symmetric key
    const detail = (await (await fetch(`${h.server.url}/api/console/requests/${d.requestLogId}`)).json()) as { duis: { fields: { label: string; value: string }[] }[]; gbcs: { source: string }[] };
    expect(detail.duis[0]!.fields).toEqual([{ label: 'Event', value: 'contingency' }, { label: 'Ordered by', value: 'vitest (SMKI PMA)' }, { label: 'Reason', value: 'test: the root is lost' }]);
    expect(detail.gbcs.map((g) => g.source)).toEqual(["the DCC's contingency command (no DUIS request)", "the device's response"]);
    expect(JSON.stringify(detail.gbcs[0])).toContain('plaintext symmetric key');
    // RTDS's contingency response, but for the counter and the IDs of the certificates placed (its NO cells come KA first)
    const ours = decodeGbcsMessage(Buffer.from(row.responseXml!, 'hex'));
    const theirs = decodeGbcsMessage(rtds('NA_CS02bAnyByContingency', 'CS02bAnyByContingency_NA_SUCCESS_RESPONSE_GBCS.HEX'));
    if (ours.body.kind !== 'cs02b-response' || theirs.body.kind !== 'cs02b-response') throw new Error('CS02b responses');
    const layout = (m: typeof ours) => {
      const o = (m.body as { response: { outcome?: { mode: number; seqNumberChanges: unknown[]; replacementOutcomes: { cell: unknown; status: number; existingSubjectUniqueId: string }[] } } }).response.outcome!;
      return { target: m.apdu.target, messageCode: m.apdu.messageCode, mode: o.mode, floors: o.seqNumberChanges, cells: o.replacementOutcomes.map((x) => JSON.stringify([x.cell, x.status, x.existingSubjectUniqueId])).sort() };
    };
    expect(layout(ours)).toEqual(layout(theirs));
    expect(h.world.store.getDeviceSecurity(ESME)!.contingencyKeyGeneration).toBe(0);

    // spent: the DCC refuses a second contingency command for the ESME, logs why, and nothing changes
    const before = dumpDeviceTables(h.world);
    const again = await order({ event: 'contingency', devices: [ESME], cells: 'supplier', certificatesOf: '90B3D51F30010000', reason: 'again', requestedBy: 'vitest' });
    expect([again.status, again.body.devices[0].outcome]).toEqual([200, 'E4']);
    expect(again.body.devices[0].reason).toMatch(/has spent its root contingency key/);
    expect(dumpDeviceTables(h.world)).toBe(before);

    // the CLI: the GPF's root, supplier and network operator cells in its one contingency command
    const GPF = '00DB1234567890A3';
    const cli = await runCliAsync(['recovery', '--db', h.file, '--url', h.server.url, '--event', 'contingency', '--device', GPF, '--place', 'supplier=90B3D51F30010000', '--place', 'networkOperator=90-B3-D5-1F-30-02-00-00', '--reason', 'root lost', '--requested-by', 'vitest', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const c = JSON.parse(cli.stdout);
    expect([c.mode, c.carriedOut, c.devices[0].changedCells]).toEqual(['anyByContingency', 1, ['root', 'supplierDS', 'supplierKA', 'supplierTopUpKA', 'networkOperatorDS', 'networkOperatorKA']]);
    const bad = await runCliAsync(['recovery', '--db', h.file, '--url', h.server.url, '--event', 'contingency', '--device', GPF, '--place', 'supplier', '--reason', 'x']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/--place 'supplier' is not <group>=<eui>/)]);
  });

  it('refusals change nothing and say why: a GSME has no network operator cells (E11, logged), no reason (400)', async () => {
    const before = dumpDeviceTables(h.world);
    const cli = await runCliAsync(['recovery', '--db', h.file, '--url', h.server.url, '--device', '00-DB-12-34-56-78-90-A1', '--cells', 'networkOperator', '--certificates-of', '90B3D51F30000002', '--reason', 'wrong device']);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toMatch(/00-DB-12-34-56-78-90-A1 {2}E11 {2}\(a GSME has no networkOperatorDS cell\)/);
    const contingency = await order({ event: 'contingency', devices: [GSME], cells: 'networkOperator', certificatesOf: '90B3D51F30020000', reason: 'x' });
    expect([contingency.status, contingency.body.devices[0].outcome]).toEqual([200, 'E11']);
    const noReason = await order({ event: 'recovery', devices: [ESME], cells: 'supplier', certificatesOf: '90B3D51F30010000', reason: ' ' });
    expect([noReason.status, noReason.body.error]).toEqual([400, 'a reason is required: the request log keeps it as the audit trail']);
    expect(dumpDeviceTables(h.world)).toBe(before);
    const rows = (await (await fetch(`${h.server.url}/api/requests?device=00-DB-12-34-56-78-90-A1&limit=5`)).json()) as LoggedRow[];
    expect(rows[0]).toMatchObject({ endpoint: 'recovery', responseCode: 'E11', reason: 'a GSME has no networkOperatorDS cell' });
  });
});
