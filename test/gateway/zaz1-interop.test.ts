import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeGbcsMessage } from '../../devices/index.ts';
import { buildRequest, parseDuisResponse, type DuisResponse } from '../../service-requests/index.ts';
import { ZAZ1_NETWORK_OPERATOR, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { asyncResponses, checkDuisAnswer, deviceState, expectRejected, postRaw, type AsyncResponse } from '../helpers/gateway-checks.ts';
import { javaAvailable, rtdsTemplate, signWithTool, template, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// Interoperability with the DCC's own tooling: a world on the public ZAZ1 identities, requests
// made from the RTDS DUIS templates and signed by the DCC's signing tool (@smartdcc/duis-sign-wrap,
// the Java jar DCC Boxed users sign with), and every answer dcc-sim gives passed back through that
// tool's validator — which checks the DSP signature by the certificate it knows and the document
// against its embedded schema (DUIS 5.1).

const ESME = '00DB1234567890A0';
const GPF = '00DB1234567890A3';
const hasJava = javaAvailable();
if (!hasJava) console.warn('zaz1-interop: no java on the PATH; the DCC signing-tool interop tests are skipped');

let h: Harness;
/** every DUIS document dcc-sim answered in this suite, for the tool to validate */
const answers: { what: string; xml: string }[] = [];

beforeAll(async () => {
  if (!hasJava) return;
  h = await startHarness({ file: zaz1WorldFile() });
});

afterAll(async () => {
  await h?.close();
  if (h) rmSync(dirname(h.file), { recursive: true, force: true });
});

async function send(endpoint: 'serviceS' | 'serviceT' | 'serviceD', unsigned: string, what: string, code: string): Promise<DuisResponse> {
  const signed = await signWithTool(unsigned);
  expect(duisXsdErrors(signed), `${what}: the tool-signed request is DUIS 5.4`).toEqual([]);
  const answer = await postRaw(h.server.url, endpoint, signed);
  expect(answer.code, `${what}: ${answer.reason}`).toBe(code);
  answers.push({ what: `${what} (sync ${code})`, xml: answer.body });
  return checkDuisAnswer(h.world, answer.body, code);
}

async function deviceOutcome(requestId: string, what: string): Promise<AsyncResponse[]> {
  const rs = await asyncResponses(h.server.url, requestId);
  for (const r of rs) {
    answers.push({ what: `${what} (async ${r.kind} ${r.responseCode})`, xml: r.xml });
    checkDuisAnswer(h.world, r.xml);
  }
  expect(rs.map((r) => `${r.kind} ${r.responseCode}`), what).toContain('response I0');
  return rs;
}

const holder = (eui: string, cell: string) => {
  const id = (h.world.store.getDeviceSecurity(eui)!.cells as Record<string, number>)[cell]!;
  return h.world.certificate(id);
};

/** Both legs of a 6.15.1: the template (CV 4), then the pre-command signed with the GBCS key and sent back (CV 5), each signed by the tool. */
async function critical(name: string, counter: bigint, what: string) {
  const leg1 = await send('serviceT', template(name, counter), `${what} leg 1`, 'I0');
  const body = leg1.body;
  if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) throw new Error(`${what}: no PreCommand`);
  const requestId = leg1.requestId!.text;
  const signedPre = signPreCommand(h.world, body.content.preCommand.gbcsPayload);
  const leg2 = buildRequest({
    requestId,
    commandVariant: 5,
    serviceReference: body.serviceReference,
    serviceReferenceVariant: body.serviceReferenceVariant,
    body: { kind: 'SignedPreCommand', gbcsPayload: signedPre },
  });
  const ack = await send('serviceS', leg2, `${what} leg 2`, 'I99');
  expect(ack.requestId!.text).toBe(requestId);
  await deviceOutcome(requestId, what);
}

describe.skipIf(!hasJava)('ZAZ1 interop with the DCC signing tool (duis-sign-wrap)', () => {
  it('6.21 supplier handover of the RTDS GPF …A3, as the template has it', async () => {
    const before = holder(GPF, 'supplierDS');
    expect(before.subjectEui).toBe('90B3D51F30000002'); // DCC controlled
    const r = await send('serviceS', template('CS02bSupplierBySupplierHandover_6.21_SUCCESS_REQUEST_DUIS.XML', 1000n), '6.21 supplier handover', 'I99');
    await deviceOutcome(r.requestId!.text, '6.21 supplier handover');
    expect(holder(GPF, 'supplierDS').subjectEui).toBe(ZAZ1_SUPPLIER);
    expect(holder(GPF, 'supplierDS').notAfter).toMatch(/^2035-09-01/); // the template's 2025 re-issue
  });

  it('6.21 network operator handover of the GPF …A3 (the network operator check passes: it is the registered NO)', async () => {
    const r = await send('serviceS', template('CS02bNOByNOHandover_6.21_SUCCESS_REQUEST_DUIS.XML', 1001n), '6.21 NO handover', 'I99');
    await deviceOutcome(r.requestId!.text, '6.21 NO handover');
    expect(holder(GPF, 'networkOperatorDS').subjectEui).toBe(ZAZ1_NETWORK_OPERATOR);
  });

  it('6.15.1 SupplierBySupplier to the ESME …A0, both legs', async () => {
    await critical('CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 1002n, '6.15.1 SupplierBySupplier');
    expect(holder(ESME, 'supplierDS').notAfter).toMatch(/^2035-09-01/);
    expect(holder(ESME, 'supplierTopUpKA').notAfter).toMatch(/^2035-09-01/);
  });

  it('6.15.1 NOByNO to the ESME …A0, both legs', async () => {
    await critical('CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML', 1200n, '6.15.1 NOByNO');
    expect(holder(ESME, 'networkOperatorDS').subjectEui).toBe(ZAZ1_NETWORK_OPERATOR);
    expect(holder(ESME, 'networkOperatorDS').notAfter).toMatch(/^2035-09-01/);
  });

  it('6.24.1 reads the ESME’s credentials; 8.2 reads the inventory', async () => {
    const r = await send('serviceS', template('CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', 1003n), '6.24.1', 'I99');
    await deviceOutcome(r.requestId!.text, '6.24.1');
    const inv = await send('serviceD', template('8.2_READ_INVENTORY_REQUEST_DUIS.XML', 1004n), '8.2', 'I0');
    expect(inv.body.kind === 'ResponseMessage' && inv.body.content && 'dspInventory' in inv.body.content).toBe(true);
  });

  it('11.2 from the DCC itself (RTDS\'s CS08 template, signed by the tool as the DCC): the ACB reads the PPMID …A4 for no User', async () => {
    const r = await send('serviceS', rtdsTemplate('CS08_11.2_SUCCESS_REQUEST_DUIS.XML', 1005n), '11.2 from the DCC', 'I99');
    const rs = await deviceOutcome(r.requestId!.text, '11.2 from the DCC');
    const b = parseDuisResponse(rs.find((x) => x.responseCode === 'I0')!.xml).body;
    if (b.kind !== 'ResponseMessage' || !b.content || !('gbcsPayload' in b.content)) throw new Error('no GBCSPayload');
    const m = decodeGbcsMessage(b.content.gbcsPayload);
    // the PPMID answers the ACB; other-information names no User, as the DCC's own GCS59 and CS02a/f
    expect([m.apdu.messageCode, m.apdu.originator, m.apdu.target, m.apdu.otherInformationExtra, m.body.kind]).toEqual([0x0129, '00DB1234567890A4', '90B3D51F30000002', undefined, 'cs08-response']);
  });

  it('a tool-signed request replaying a template counter is refused, and nothing changes', async () => {
    const signed = await signWithTool(template('CS02aMAC_6.24.1_SUCCESS_REQUEST_DUIS.XML', 1000n));
    const before = deviceState(h.world, ESME);
    const r = await expectRejected(h.world, h.server.url, 'serviceS', signed, {
      code: 'E100', step: 'request-id', reason: /counter 1000 is not greater than 1004/, device: ESME, originator: ZAZ1_SUPPLIER,
    });
    answers.push({ what: 'replay (sync E100)', xml: r.body });
    expect(deviceState(h.world, ESME)).toEqual(before);
  });

  it('every kind of answer dcc-sim gave passes the DCC tool’s validateDuis', async () => {
    expect(answers.length).toBeGreaterThanOrEqual(14);
    // Every answer, now that the tool stays running (tens of ms a document); the shapes show the
    // variety. Every answer was already checked against the 5.4 XSD and the DSP signature by checkDuisAnswer.
    const shapes = new Map<string, { what: string; xml: string }>();
    for (const a of answers) {
      const r = parseDuisResponse(a.xml);
      const content = r.body.kind === 'ResponseMessage' && r.body.content ? Object.keys(r.body.content).join('+') : 'none';
      const key = `${/\(async/.test(a.what) ? 'async' : 'sync'} ${r.responseCode} ${r.body.kind} ${content}`;
      if (!shapes.has(key)) shapes.set(key, { what: `${a.what} [${key}]`, xml: a.xml });
    }
    expect(shapes.size).toBeGreaterThanOrEqual(5); // sync I99, I0+PreCommand, I0+DSPInventory, E100; async I0+GBCSPayload
    const failures: string[] = [];
    for (const a of answers) {
      try {
        await validateWithTool(a.xml);
      } catch (err) {
        failures.push(`${a.what}: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 400)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
