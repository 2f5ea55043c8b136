import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { DCC } from '../../src/world/catalogue.ts';
import { issueOrganisationCertificateFor } from '../../src/world/smki.ts';
import { META } from '../../src/world/world.ts';
import { decodeGbcsMessage, verifyApduSignature, decodeApdu } from '../../devices/index.ts';
import { describeCertificate } from '../../pki/index.ts';
import { cellHolder, findDevice, signPreCommand, startHarness, type Harness } from '../helpers/gateway.ts';

// One accepted request per supported service, end to end: signed DUIS over HTTP on 127.0.0.1, the
// DCC's pipeline, GBCS to the emulated device, the device's answer back as signed asynchronous DUIS.

let h: Harness;
let receiver: Server;
let received: { body: string; deliveryId: string }[] = [];
let receiverUrl = '';

beforeAll(async () => {
  h = await startHarness();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ body, deliveryId: String(req.headers['x-dcc-sim-delivery-id']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address() as { port: number };
  receiverUrl = `http://127.0.0.1:${addr.port}/duis`;
  for (const p of h.world.store.listParties()) h.world.store.setResponseUrl(p.eui, receiverUrl);
});

afterAll(async () => {
  await h?.close();
  await new Promise((r) => receiver?.close(r));
});

async function waitForResponse(requestId: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const hit = received.find((r) => r.body.includes(`<sr:RequestID>${requestId}</sr:RequestID>`));
    if (hit) return hit.body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no asynchronous response for ${requestId}`);
}

let lastNoEsme = '';
const ocaDer = () => h.world.certificate(Number(h.world.meta(META.issuingCaId))).der;

describe('DUIS services end to end', () => {
  it('6.21 hands a DCC-controlled ESME over to its supplier: the supplier cells change and a signed I0 arrives', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const certs = h.world.store.searchCertificates({ eui: supplier, role: 2, kind: 'organisation' });
    const xml = h.signAs(
      supplier,
      h.build({
        requestId: { originator: supplier, target: esme.eui, counter: h.nextCounter() },
        commandVariant: 1,
        body: {
          kind: 'RequestHandoverOfDCCControlledDevice',
          remotePartyRole: 'Supplier',
          digitalSigning: certs[0]!.der,
          keyAgreement: certs[1]!.der,
          keyAgreementTopUp: certs[2]!.der,
          certificationPath: [ocaDer()],
          applyTimeBasedCpvChecks: true,
        },
      }),
    );
    const answer = await h.post('serviceS', xml);
    expect(answer.code, answer.reason ?? '').toBe('I99');
    expect(answer.response.responseCode).toBe('I99');
    const asyncXml = await waitForResponse(answer.response.requestId!.text);
    expect(asyncXml).toContain('<sr:ResponseCode>I0</sr:ResponseCode>');
    expect(cellHolder(h.world, esme.eui, 'supplierDS')).toBe(supplier);
    expect(cellHolder(h.world, esme.eui, 'supplierTopUpKA')).toBe(supplier);
    // The GBCS in the response is the device's, signed by the device's own DS key.
    const gbcs = Buffer.from(/<sr:GBCSPayload>([^<]+)</.exec(asyncXml)![1]!, 'base64');
    const apdu = decodeApdu(gbcs);
    const deviceDs = describeCertificate(h.world.deviceCredentials(esme.eui).dsCertificate.der);
    expect(verifyApduSignature(apdu, deviceDs.publicKey)).toBe(true);
    expect(decodeGbcsMessage(gbcs)).toBeTruthy();
  });

  it('6.15.1 goes through both legs: pre-command, signed pre-command, the network operator cells change', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => {
      const sp = h.world.store.getSupplyPoint(d.mpxn!)!;
      return d.status === 'Commissioned' && holders.networkOperatorDS === sp.networkOperatorEui;
    });
    lastNoEsme = esme.eui;
    const no = h.world.store.getSupplyPoint(esme.mpxn!)!.networkOperatorEui;
    const ds = issueOrganisationCertificateFor(h.world, { eui: no, role: 3, usage: 'DS' });
    const ka = issueOrganisationCertificateFor(h.world, { eui: no, role: 3, usage: 'KA' });
    const requestId = { originator: no, target: esme.eui, counter: h.nextCounter() };
    const leg1 = await h.post(
      'serviceT',
      h.signAs(
        no,
        h.build({
          requestId,
          commandVariant: 4,
          body: {
            kind: 'UpdateSecurityCredentialsKRP',
            remotePartyRole: 'NetworkOperator',
            floorSeqNumber: 0n,
            digitalSigning: h.world.certificate(ds).der,
            keyAgreement: h.world.certificate(ka).der,
            certificationPath: [ocaDer()],
            applyTimeBasedCpvChecks: true,
          },
        }),
      ),
    );
    expect(leg1.code, leg1.reason ?? '').toBe('I0');
    const body = leg1.response.body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) throw new Error('no PreCommand');
    const pre = body.content.preCommand.gbcsPayload;
    expect(pre[0]).toBe(0xdf);
    expect(pre[pre.length - 1]).toBe(0x00); // GBCS pre-command form: signature length 00

    const signed = signPreCommand(h.world, pre);
    const leg2 = await h.post(
      'serviceS',
      h.signAs(no, h.build({ requestId, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signed } })),
    );
    expect(leg2.code, leg2.reason ?? '').toBe('I99');
    const asyncXml = await waitForResponse(leg2.response.requestId!.text);
    expect(asyncXml).toContain('<sr:ResponseCode>I0</sr:ResponseCode>');
    expect(h.world.store.getDeviceSecurity(esme.eui)!.cells.networkOperatorDS).toBe(ds);
    expect(h.world.store.getDeviceSecurity(esme.eui)!.cells.networkOperatorKA).toBe(ka);

    // The same signed pre-command cannot act twice.
    const again = await h.post(
      'serviceS',
      h.signAs(no, h.build({ requestId, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signed } })),
    );
    expect(again.code).toBe('E061508');
    expect(again.reason).toMatch(/already been used/);
  });

  it('a future-dated 6.15.1 is held by the device and executed when the simulated clock reaches it, with alert 8F66', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => {
      const sp = h.world.store.getSupplyPoint(d.mpxn!)!;
      return d.status === 'Commissioned' && holders.supplierDS === sp.supplierEui && holders.networkOperatorDS === sp.networkOperatorEui && d.eui !== lastNoEsme;
    });
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const before = h.world.store.getDeviceSecurity(esme.eui)!.cells.supplierDS;
    const issue = (usage: 'DS' | 'KA') => issueOrganisationCertificateFor(h.world, { eui: supplier, role: 2, usage });
    const [ds, ka, topUp] = [issue('DS'), issue('KA'), issue('KA')];
    const now = new Date((await (await fetch(`${h.server.url}/api/clock`)).json() as { now: string }).now);
    const executeAt = new Date(now.getTime() + 3 * 86_400_000);
    const requestId = { originator: supplier, target: esme.eui, counter: h.nextCounter() };
    const leg1 = await h.post(
      'serviceT',
      h.signAs(
        supplier,
        h.build({
          requestId,
          commandVariant: 4,
          body: {
            kind: 'UpdateSecurityCredentialsKRP',
            executionDateTime: executeAt,
            remotePartyRole: 'Supplier',
            floorSeqNumber: 0n,
            topUpFloorSeqNumber: 0n,
            digitalSigning: h.world.certificate(ds).der,
            keyAgreement: h.world.certificate(ka).der,
            keyAgreementTopUp: h.world.certificate(topUp).der,
            certificationPath: [ocaDer()],
            applyTimeBasedCpvChecks: true,
          },
        }),
      ),
    );
    expect(leg1.code, leg1.reason ?? '').toBe('I0');
    const body = leg1.response.body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) throw new Error('no PreCommand');
    const leg2 = await h.post(
      'serviceS',
      h.signAs(supplier, h.build({ requestId, commandVariant: 5, body: { kind: 'SignedPreCommand', gbcsPayload: signPreCommand(h.world, body.content.preCommand.gbcsPayload) } })),
    );
    expect(leg2.code, leg2.reason ?? '').toBe('I99');
    await waitForResponse(leg2.response.requestId!.text); // commandAccepted
    expect(h.world.store.getDeviceSecurity(esme.eui)!.cells.supplierDS).toBe(before);
    expect(h.world.store.pendingCommands(esme.eui)).toHaveLength(1);

    const moved = await fetch(`${h.server.url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: '4d' }) });
    expect(moved.status).toBe(200);
    expect(h.world.store.getDeviceSecurity(esme.eui)!.cells.supplierDS).toBe(ds);
    expect(h.world.store.pendingCommands(esme.eui)).toHaveLength(0);
    const deadline = Date.now() + 5000;
    let alert: string | undefined;
    while (!alert && Date.now() < deadline) {
      alert = received.find((r) => r.body.includes('FutureDatedDeviceAlertMessage') && r.body.includes(requestId.counter.toString()))?.body;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(alert).toContain("<sr:FutureDatedAlertCode>8F66</sr:FutureDatedAlertCode>");
  });

  it('6.24.1 reads the supplier and network operator cells through CS02a', async () => {
    const esme = findDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const answer = await h.post(
      'serviceS',
      h.signAs(
        supplier,
        h.build({
          requestId: { originator: supplier, target: esme.eui, counter: h.nextCounter() },
          commandVariant: 1,
          body: { kind: 'RetrieveDeviceSecurityCredentialsKRP', roles: ['Supplier', 'NetworkOperator'] },
        }),
      ),
    );
    expect(answer.code, answer.reason ?? '').toBe('I99');
    const asyncXml = await waitForResponse(answer.response.requestId!.text);
    expect(asyncXml).toContain('<sr:ResponseCode>I0</sr:ResponseCode>');
    const gbcs = Buffer.from(/<sr:GBCSPayload>([^<]+)</.exec(asyncXml)![1]!, 'base64');
    const decoded = decodeGbcsMessage(gbcs);
    const text = JSON.stringify(decoded, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(text).toContain(supplier);
  });

  it('8.2 answers synchronously with the inventory of a device', async () => {
    const esme = findDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const answer = await h.post(
      'serviceD',
      h.signAs(
        supplier,
        h.build({
          requestId: { originator: supplier, target: DCC.accessControlBroker, counter: h.nextCounter() },
          commandVariant: 8,
          body: { kind: 'ReadInventory', by: { mpxn: esme.mpxn! } },
        }),
      ),
    );
    expect(answer.code, answer.reason ?? '').toBe('I0');
    expect(answer.xml).toContain('<sr:DSPInventory>');
    expect(answer.xml).toContain(esme.eui.match(/../g)!.join('-'));
  });
});
