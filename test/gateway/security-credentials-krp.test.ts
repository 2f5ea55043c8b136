import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeGbcsMessage, type GbcsMessage } from '../../devices/index.ts';
import { describeCertificate } from '../../pki/index.ts';
import { buildRequest, type DuisResponse } from '../../service-requests/index.ts';
import { ZAZ1_MPAN, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { asyncResponses, checkDuisAnswer, deviceState, dumpDeviceTables, postRaw } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';
import { ks, rtds } from '../devices/helpers.ts';

// The security-credential services around the load controller and the DCC's own ACB, on the RTDS ESME
// of a ZAZ1 world, from the RTDS templates signed by the DCC's tool: 6.15.1 RemotePartyRole
// LoadController (GBCS CS02g), 6.24.1 sent by the DCC itself (CS02f), 8.5 Service Opt Out (CS02b
// ACBByACB) and 8.6 Service Opt In. Every answer is checked against the DUIS XSD and by the tool's
// validator; the GBCS the DCC produces is compared with the RTDS vectors but for counters, signatures
// and MACs; every refusal is shown to change nothing.

const ESME = '00DB1234567890A0';
const DCC_ACB = '90B3D51F30000002';
const hasJava = javaAvailable();
const lcTemplate = (n: string) => `CS02gLoadControllerBySupplier_6.15.1_${n}_SUCCESS_REQUEST_DUIS.XML`;
const lcVector = (n: string) => rtds('6.15.1_CS02gLoadControllerBySupplier', `CS02gLoadControllerBySupplier_6.15.1_${n}_GBCS.HEX`);
const z1bAcbKa = ks('Z1b-accessControlBroker-ka').certificate;

describe.skipIf(!hasJava)('load controller, DCC-originated 6.24.1, Service Opt Out and Opt In on the RTDS ESME (ZAZ1)', () => {
  let h: Harness;
  let counter = 5000n;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile() });
  });
  afterAll(async () => {
    await h?.close();
    if (h) rmSync(dirname(h.file), { recursive: true, force: true });
  });

  /** Signed by the DCC's tool; the answer checked against the XSD and the DCC's signature, and (`validate`) by the tool's validator. */
  async function send(endpoint: 'serviceS' | 'serviceT' | 'serviceD', unsigned: string, code: string, validate = true): Promise<{ r: DuisResponse; reason: string | null }> {
    const signed = await signWithTool(unsigned);
    expect(duisXsdErrors(signed)).toEqual([]);
    const a = await postRaw(h.server.url, endpoint, signed);
    expect(a.code, a.reason ?? '').toBe(code);
    if (validate) await validateWithTool(a.body);
    return { r: checkDuisAnswer(h.world, a.body, code), reason: a.reason };
  }

  /** A refused request: its code and reason, and not a row of the device tables changed. */
  async function refused(endpoint: 'serviceS' | 'serviceT' | 'serviceD', unsigned: string, code: string, reason: RegExp): Promise<void> {
    const before = dumpDeviceTables(h.world);
    // refusals: the XSD and the DCC's signature are checked; the tool's validator has seen enough answers above
    const a = await send(endpoint, unsigned, code, false);
    expect(a.reason).toMatch(reason);
    expect(dumpDeviceTables(h.world)).toBe(before);
  }

  /** The device's asynchronous answers (responses and alerts) to a request, validated; the last one's GBCS decoded. */
  async function deviceAnswer(requestId: string, kinds = ['response I0']): Promise<GbcsMessage> {
    const rs = await asyncResponses(h.server.url, requestId);
    expect(rs.map((x) => `${x.kind} ${x.responseCode}`)).toEqual(kinds);
    const last = rs[rs.length - 1]!;
    await validateWithTool(last.xml);
    const b = checkDuisAnswer(h.world, last.xml).body;
    if (b.kind !== 'ResponseMessage' || !b.content) throw new Error('no content');
    const gbcs = 'gbcsPayload' in b.content ? b.content.gbcsPayload : 'futureDatedDeviceAlert' in b.content ? b.content.futureDatedDeviceAlert.gbcsPayload : undefined;
    if (!gbcs) throw new Error('no GBCS in the answer');
    return decodeGbcsMessage(gbcs);
  }

  /** 6.15.1 both legs from a template: CV 4 gives the pre-command, the supplier signs it, CV 5 sends it. */
  async function bothLegs(xml: string): Promise<{ requestId: string; preCommand: Buffer }> {
    const leg1 = await send('serviceT', xml, 'I0');
    const b = leg1.r.body;
    if (b.kind !== 'ResponseMessage' || !b.content || !('preCommand' in b.content)) throw new Error('no PreCommand');
    const requestId = leg1.r.requestId!.text;
    const preCommand = b.content.preCommand.gbcsPayload;
    const leg2 = buildRequest({
      requestId, commandVariant: 5, serviceReference: b.serviceReference, serviceReferenceVariant: b.serviceReferenceVariant,
      body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(h.world, preCommand) },
    });
    await send('serviceS', leg2, 'I99');
    return { requestId, preCommand };
  }

  const lcCells = (): string[] => {
    const s = h.world.store.getDeviceSecurity(ESME)!;
    return [s.cells.loadControllerDS, s.cells.loadControllerKA].map((id) => describeCertificate(h.world.certificate(id!).der).ski);
  };

  it('6.15.1 LoadController: the pre-command is RTDS\'s CS02g but for the certificates; the device replaces its load controller cells', async () => {
    const lcSkis = [describeCertificate(ks('Z1-loadController-ds').certificate).ski, describeCertificate(ks('Z1-loadController-ka').certificate).ski];
    expect(lcCells()).toEqual(lcSkis);
    // RequestID counter 1000, as the RTDS vector's. The npm template carries the load controller's own
    // certificates where RTDS's command carried the supplier's; everything else is the same.
    const { requestId, preCommand } = await bothLegs(rtdsTemplate(lcTemplate('IMMEDIATE'), 1000n));
    const ours = decodeGbcsMessage(preCommand);
    const theirs = decodeGbcsMessage(lcVector('IMMEDIATE_SUCCESS_PRECOMMAND'));
    for (const f of ['cra', 'counter', 'originator', 'target', 'messageCode', 'dateTime'] as const) expect(ours.apdu[f], f).toEqual(theirs.apdu[f]);
    if (ours.body.kind !== 'cs02g-command' || theirs.body.kind !== 'cs02g-command') throw new Error('expected CS02g commands');
    const withoutCertificates = (c: typeof ours.body.command) => ({ ...c, replacements: c.replacements.map((r) => r.target) });
    expect(withoutCertificates(ours.body.command)).toEqual(withoutCertificates(theirs.body.command));
    expect(ours.body.command.replacements.map((r) => describeCertificate(r.certificate).subjectEui)).toEqual(['90B3D51F30010008', '90B3D51F30010008']);

    const m = await deviceAnswer(requestId);
    expect([m.apdu.messageCode, m.apdu.counter, m.apdu.originator, m.apdu.target]).toEqual([0x0126, 1000n, ESME, ZAZ1_SUPPLIER]);
    if (m.body.kind !== 'cs02g-response') throw new Error('expected a CS02g response');
    const o = m.body.response.outcome!;
    expect([o.mode, o.authorisingSeqNumber, o.seqNumberChanges]).toEqual([11, 1000n, [{ role: 8, floorSeqNumber: 0n }]]);
    expect(o.replacementOutcomes.map((r) => [r.status, r.replacingSubjectUniqueId, r.replacingSubjectKeyId])).toEqual(lcSkis.map((ski) => [0, '90B3D51F30010008', ski]));
    expect(deviceState(h.world, ESME).seqNumbers).toEqual(expect.objectContaining({ 2: '1000', 8: '0' }));
  });

  it('6.15.1 LoadController future-dated: held by the device (30 02 05 00, as RTDS), then cancelled', async () => {
    const held = await bothLegs(rtdsTemplate(lcTemplate('FUTURE_DATED'), counter++));
    const m = await deviceAnswer(held.requestId);
    expect(m.apdu.payload.toString('hex')).toBe(decodeGbcsMessage(lcVector('FUTURE_DATED_SUCCESS_RESPONSE')).apdu.payload.toString('hex'));
    expect(deviceState(h.world, ESME).pending).toBe(1);
    const cancel = await bothLegs(rtdsTemplate(lcTemplate('CANCELLATION'), counter++));
    // The cancellation pre-command carries 9999-12-31T23:59:59Z, as RTDS's.
    expect(cancel.preCommand.subarray(-18, -1).toString('hex')).toBe(lcVector('CANCELLATION_SUCCESS_PRECOMMAND').subarray(-17).toString('hex'));
    await deviceAnswer(cancel.requestId);
    expect(deviceState(h.world, ESME).pending).toBe(0);
    // Held again and left to run: when the clock passes 2030-01-15 the supplier gets the 8F66 alert, message code 0x0124 as RTDS's.
    const again = await bothLegs(rtdsTemplate(lcTemplate('FUTURE_DATED'), counter++));
    await deviceAnswer(again.requestId);
    const now = await (await fetch(`${h.server.url}/api/clock`)).json() as { now: string };
    const moved = await fetch(`${h.server.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: '2030-01-15T00:00:01Z' }) });
    expect(moved.status).toBe(200);
    const alert = await deviceAnswer(again.requestId, ['response I0', 'device-alert 8F66']);
    expect([alert.apdu.cra, alert.apdu.messageCode, alert.apdu.target]).toEqual(['alert', 0x0124, ZAZ1_SUPPLIER]);
    if (alert.body.kind !== 'cs02g-alert') throw new Error('expected a CS02g alert');
    expect(alert.body.alert.outcome.replacementOutcomes.map((o) => o.status)).toEqual([0, 0]);
    await fetch(`${h.server.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: now.now }) });
  });

  it('6.15.1 LoadController refusals change nothing: a GSME has no load controller cells (E11); the network operator may not (E4)', async () => {
    const toGsme = rtdsTemplate(lcTemplate('IMMEDIATE'), counter++).replace(/00-DB-12-34-56-78-90-A0/, '00-DB-12-34-56-78-90-A1');
    await refused('serviceT', toGsme, 'E11', /GSME has no load controller trust-anchor cells/);
    const byNo = rtdsTemplate(lcTemplate('IMMEDIATE'), counter++).replace('90-B3-D5-1F-30-01-00-00:', '90-B3-D5-1F-30-02-00-00:');
    await refused('serviceT', byNo, 'E4', /not the registered Import Supplier/);
  });

  it('6.24.1 from the DCC itself: a CS02f read of the supplier and load controller cells, MAC-only as RTDS\'s', async () => {
    const a = await send('serviceS', rtdsTemplate('CS02fMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', counter++), 'I99');
    const m = await deviceAnswer(a.r.requestId!.text);
    expect([m.apdu.messageCode, m.apdu.originator, m.apdu.target, m.apdu.dateTime]).toEqual([0x011b, ESME, DCC_ACB, undefined]);
    expect(m.mac).toBeDefined();
    if (m.body.kind !== 'cs02f-response') throw new Error('expected a CS02f response');
    expect(m.body.response.roles.map((r) => [r.role, r.status, r.cells?.map((c) => c.subjectKeyId)])).toEqual([
      [2, 0, ['44899792D196F4B8', '405B8C62687D8F70', '41FB49221588C570']],
      [8, 0, [describeCertificate(ks('Z1-loadController-ds').certificate).ski, describeCertificate(ks('Z1-loadController-ka').certificate).ski]],
    ]);
  });

  it('the DCC\'s own signature is good only for what the DCC may originate: 8.2 from the DCC is refused E3, nothing changed', async () => {
    const readInventory = rtdsTemplate('CS02fMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', counter++);
    const xml = readInventory
      .replace(/<sr:ServiceReference>6.24<\/sr:ServiceReference>/, '<sr:ServiceReference>8.2</sr:ServiceReference>')
      .replace(/<sr:ServiceReferenceVariant>6.24.1<\/sr:ServiceReferenceVariant>/, '<sr:ServiceReferenceVariant>8.2</sr:ServiceReferenceVariant>')
      .replace(/<sr:CommandVariant>1<\/sr:CommandVariant>/, '<sr:CommandVariant>8</sr:CommandVariant>')
      .replace(/00-DB-12-34-56-78-90-A0:/, '90-B3-D5-1F-30-00-00-02:')
      .replace(/<sr:RetrieveDeviceSecurityCredentialsKRP>[\s\S]*<\/sr:RetrieveDeviceSecurityCredentialsKRP>/, `<sr:ReadInventory><sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID></sr:ReadInventory>`);
    await refused('serviceD', xml, 'E3', /is not a DCC User/);
  });

  it('8.5 as the template has it is refused (a digitalSignature certificate in the KeyAgreement slot), nothing changed', async () => {
    await refused('serviceS', rtdsTemplate('CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML', counter++), 'E080501', /key usage DS; the slot needs keyAgreement/);
  });

  it('8.5 with the ACB KA certificate RTDS\'s command carries: CS02b ACBByACB, the ESME Withdrawn; 8.6 brings it back, the recovery restores the DCC\'s ACB key', async () => {
    const optOut = rtdsTemplate('CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML', counter++)
      .replace(/<sr:KeyAgreementCertificate>[^<]*</, `<sr:KeyAgreementCertificate>${z1bAcbKa.toString('base64')}<`)
      // Z1b expired in January 2026; the world's clock is later.
      .replace('<sr:ApplyTimeBasedCPVChecks>true<', '<sr:ApplyTimeBasedCPVChecks>false<');
    const a = await send('serviceS', optOut, 'I99');
    const m = await deviceAnswer(a.r.requestId!.text);
    const theirs = decodeGbcsMessage(rtds('8.5_CS02bACBByACB', 'CS02bACBByACB_8.5_SUCCESS_RESPONSE_GBCS.HEX'));
    expect([m.apdu.messageCode, m.apdu.originator, m.apdu.target]).toEqual([0x0104, ESME, DCC_ACB]);
    // RTDS's response but for the ACB's counter.
    if (m.body.kind !== 'cs02b-response' || theirs.body.kind !== 'cs02b-response') throw new Error('expected CS02b responses');
    expect(m.body.response.outcome).toEqual({ ...theirs.body.response.outcome!, authorisingSeqNumber: m.apdu.counter });
    expect(m.body.response.outcome!.replacementOutcomes.map((r) => [r.existingSubjectKeyId, r.replacingSubjectKeyId])).toEqual([['4A9CE02C39AB910B', '4897771D34FCB0C6']]);
    expect(h.world.store.getDevice(ESME)!.status).toBe('Withdrawn');

    // Opted out: device services are refused (E5), and 8.6's template (another ImportMPxN) is refused (E080604).
    await refused('serviceS', rtdsTemplate('CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', counter++), 'E5', /Withdrawn/);
    await refused('serviceD', rtdsTemplate('8.6_SERVICE_OPTIN_REQUEST_DUIS.XML', counter++), 'E080604', /ImportMPxN 1312345678111 is not ESME/);
    const optIn = rtdsTemplate('8.6_SERVICE_OPTIN_REQUEST_DUIS.XML', counter++).replace(/<sr:ImportMPxN>[^<]*</, `<sr:ImportMPxN>${ZAZ1_MPAN}<`);
    await send('serviceD', optIn, 'I0');
    const d = h.world.inventory.detailsOf(ESME)!;
    expect([h.world.store.getDevice(ESME)!.status, d.secondaryImportMpan, d.exportMpan]).toEqual(['Commissioned', '1312345678222', '1312345678333']);
    // In DCC service again, but the meter's ACB KA cell holds what 8.5 placed: it discards the DCC's commands (E21) ...
    const read = await send('serviceS', rtdsTemplate('CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', counter++), 'I99', false);
    expect((await asyncResponses(h.server.url, read.r.requestId!.text)).map((x) => `${x.kind} ${x.responseCode}`)).toEqual(['response E21']);
    // ... until the DCC's SMKI recovery puts its own ACB certificate back; then they are carried out.
    const recovered = await fetch(`${h.server.url}/api/recovery`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'recovery', devices: [ESME], cells: 'acb', certificatesOf: DCC_ACB, reason: 'opted back in: the DCC\'s ACB key back in the meter' }),
    });
    expect(((await recovered.json()) as { carriedOut: number }).carriedOut).toBe(1);
    const again = await send('serviceS', rtdsTemplate('CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', counter++), 'I99', false);
    expect((await deviceAnswer(again.r.requestId!.text)).apdu.messageCode).toBe(0x0008);
    // In again, the same opt-in is refused: it is not opted out.
    await refused('serviceD', rtdsTemplate('8.6_SERVICE_OPTIN_REQUEST_DUIS.XML', counter++).replace(/<sr:ImportMPxN>[^<]*</, `<sr:ImportMPxN>${ZAZ1_MPAN}<`), 'E080606', /not opted out/);
  });
});
