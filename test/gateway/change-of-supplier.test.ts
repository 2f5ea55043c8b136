import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { RemotePartyRole } from '../../pki/index.ts';
import { buildRequest, type ServiceBody } from '../../service-requests/index.ts';
import { ZAZ1_MPAN, ZAZ1_SUPPLIER } from '../../src/world/seed-zaz1.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { duisXsdErrors } from '../helpers/duis-xsd.ts';
import { asyncResponses, checkDuisAnswer, deviceState, postRaw } from '../helpers/gateway-checks.ts';
import { ocaDer, orgCerts } from '../helpers/gateway-requests.ts';
import { javaAvailable, rtdsTemplate, signWithTool, validateWithTool, zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// 6.23 Update Security Credentials (CoS): the gaining supplier's certificates placed by the DCC's
// Transitional CoS party. In a demo world: registration moves the supply point to another supplier,
// who sends 6.23; and the RTDS template signed by the DCC's tool in a ZAZ1 world.

const hasJava = javaAvailable();

describe('6.23 change of supplier (demo world)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('the gaining supplier takes the supplier cells; the losing supplier can no longer act; a wrong MPxN is refused', async () => {
    const w = h.world;
    // A commissioned ESME and a second supplier that is a DCC User with certificates.
    const esme = w.store.listDevices({ type: 'ESME', status: 'Commissioned', limit: 200 }).devices.find((d) => d.mpxn && w.store.getSupplyPoint(d.mpxn)?.supplierEui)!;
    const sp = w.store.getSupplyPoint(esme.mpxn!)!;
    const losing = sp.supplierEui!;
    const gaining = w.store.listParties().find((p) => p.dccUser && p.userRoles.includes('IS') && p.eui !== losing && w.currentOrganisationCertificates(p.eui, RemotePartyRole.Supplier).ds)!.eui;
    const holderOf = (cell: string) => w.certificate((w.store.getDeviceSecurity(esme.eui)!.cells as Record<string, number>)[cell]!).subjectEui;
    expect(holderOf('supplierDS')).toBe(losing);
    // Registration data names the gaining supplier from the CoS date on.
    w.store.db.prepare('UPDATE supply_points SET supplier_eui = ? WHERE mpxn = ?').run(gaining, esme.mpxn);

    const certs = orgCerts(w, gaining, RemotePartyRole.Supplier);
    const cos = (originator: string, mpxn: string): string =>
      buildRequest({
        requestId: { originator, target: esme.eui, counter: h.nextCounter() },
        commandVariant: 1,
        body: {
          kind: 'UpdateSecurityCredentialsCoS', remotePartyRole: 'Supplier', floorSeqNumber: 0n, topUpFloorSeqNumber: 0n,
          digitalSigning: certs.ds, keyAgreement: certs.ka, ...(certs.topUp ? { keyAgreementTopUp: certs.topUp } : {}),
          certificationPath: [ocaDer(w)], applyTimeBasedCpvChecks: true, importMpxn: mpxn,
        } as ServiceBody,
      });

    const before = JSON.stringify(deviceState(w, esme.eui));
    const wrongMpxn = await h.post('serviceS', h.signAs(gaining, cos(gaining, '1999999999999')));
    expect(wrongMpxn.code).toBe('E062306');
    expect(wrongMpxn.reason).toMatch(/ImportMPxN 1999999999999 is not ESME/);
    const byLoser = await h.post('serviceS', h.signAs(losing, cos(losing, esme.mpxn!)));
    expect(byLoser.code).toBe('E4');
    expect(JSON.stringify(deviceState(w, esme.eui))).toBe(before);

    const ok = await h.post('serviceS', h.signAs(gaining, cos(gaining, esme.mpxn!)));
    expect(ok.code, ok.reason ?? '').toBe('I99');
    const rs = await asyncResponses(h.server.url, ok.response.requestId!.text);
    expect(rs.map((r) => `${r.kind} ${r.responseCode}`)).toContain('response I0');
    expect(holderOf('supplierDS')).toBe(gaining);
    expect(holderOf('supplierKA')).toBe(gaining);
  });
});

describe.skipIf(!hasJava)('6.23 RTDS template, signed by the DCC signing tool (ZAZ1)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile() });
  });
  afterAll(async () => {
    await h?.close();
    if (h) rmSync(dirname(h.file), { recursive: true, force: true });
  });

  it('CS02bSupplierByTransCoS_6.23_IMMEDIATE: acknowledged, and the device answers I0 with its GBCS response', async () => {
    const signed = await signWithTool(rtdsTemplate('CS02bSupplierByTransCoS_6.23_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 4001n));
    expect(duisXsdErrors(signed)).toEqual([]);
    const a = await postRaw(h.server.url, 'serviceS', signed);
    expect(a.code, a.reason ?? '').toBe('I99');
    await validateWithTool(a.body);
    const requestId = checkDuisAnswer(h.world, a.body, 'I99').requestId!.text;
    const rs = await asyncResponses(h.server.url, requestId);
    expect(rs.map((r) => `${r.kind} ${r.responseCode}`)).toContain('response I0');
    for (const r of rs) await validateWithTool(r.xml);
    expect(ZAZ1_MPAN).toBe('1312345678333');
    expect(ZAZ1_SUPPLIER).toBe('90B3D51F30010000');
  });

  it('FUTURE_DATED is held by the meter until 2030; CANCELLATION (3000-12-31) withdraws it', async () => {
    const ESME = '00DB1234567890A0';
    const post = async (name: string, counter: bigint) => {
      const a = await postRaw(h.server.url, 'serviceS', await signWithTool(rtdsTemplate(name, counter)));
      expect(a.code, `${name}: ${a.reason}`).toBe('I99');
      return (await asyncResponses(h.server.url, checkDuisAnswer(h.world, a.body, 'I99').requestId!.text)).map((r) => `${r.kind} ${r.responseCode}`);
    };
    expect(await post('CS02bSupplierByTransCoS_6.23_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML', 4002n)).toContain('response I0');
    expect(deviceState(h.world, ESME).pending).toBe(1);
    expect(await post('CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_REQUEST_DUIS.XML', 4003n)).toContain('response I0');
    expect(deviceState(h.world, ESME).pending).toBe(0);
  });
});
