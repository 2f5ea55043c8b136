import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui, type Eui } from '../../pki/index.ts';
import { xmlSignerOf } from '../../src/client.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { META } from '../../src/world/world.ts';
import { issueOrganisationCertificateFor } from '../../src/world/smki.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';
import { runCliAsync } from '../helpers/world-cli.ts';

// Revocation of an organisation certificate is immediate for validation: the very next DUIS request
// that is signed by it or carries it is refused, with no restart — whether it was revoked through the
// JSON API or by `dcc-sim certs revoke` in another process.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ smkiPort: 0 });
});
afterAll(async () => h?.close());

async function revoke(id: number | string, reason?: string) {
  const res = await fetch(`${h.server.url}/api/certificates/${id}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reason === undefined ? {} : { reason }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function inventoryRequest(sender: Eui, mpxn: string): string {
  return h.signAs(
    sender,
    h.build({ requestId: { originator: sender, target: DCC.accessControlBroker, counter: h.nextCounter() }, commandVariant: 8, body: { kind: 'ReadInventory', by: { mpxn } } }),
  );
}

describe('revocation is immediate for validation', () => {
  it('a revoked XML-signing certificate: the very next request signed with it is E1', async () => {
    const esme = findDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
    const supplier = h.world.store.getSupplyPoint(esme.mpxn!)!.supplierEui!;
    const before = await h.post('serviceD', inventoryRequest(supplier, esme.mpxn!));
    expect(before.code, before.reason ?? '').toBe('I0');

    const signer = xmlSignerOf(h.world, supplier);
    const record = h.world.store.certificatesBySerial(signer.serialDecimal).find((c) => c.subjectEui === supplier)!;
    expect(record.kind).toBe('xml-signing');
    const r = await revoke(record.id, 'keyCompromise');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: record.id, serial: record.serialHex, revocationReason: 'keyCompromise', subjectEui: dashedEui(supplier) });
    expect(typeof r.body.revokedAt).toBe('string');

    const after = await h.post('serviceD', inventoryRequest(supplier, esme.mpxn!));
    expect(after.code).toBe('E1');
    expect(after.reason).toMatch(/revoked/);

    // the portal shows it revoked at once; revoking twice, or what is not there, is refused
    const portal = await fetch(`${h.server.smkiUrl}/api/certificates/${record.serialHex}`);
    expect(((await portal.json()) as { status: string }).status).toBe('R');
    expect((await revoke(record.id)).status).toBe(409);
    expect((await revoke(99_999_999)).status).toBe(404);
    expect((await revoke('abc')).status).toBe(400);
  });

  it('a revoked replacement certificate: the next 6.15.1 carrying it is E061506 (JSON API, then the CLI in another process)', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => {
      const sp = h.world.store.getSupplyPoint(d.mpxn!)!;
      return d.status === 'Commissioned' && holders.networkOperatorDS === sp.networkOperatorEui;
    });
    const no = h.world.store.getSupplyPoint(esme.mpxn!)!.networkOperatorEui;
    const oca = h.world.certificate(Number(h.world.meta(META.issuingCaId))).der;
    const update = (ds: number, ka: number) =>
      h.post(
        'serviceT',
        h.signAs(
          no,
          h.build({
            requestId: { originator: no, target: esme.eui, counter: h.nextCounter() },
            commandVariant: 4,
            body: {
              kind: 'UpdateSecurityCredentialsKRP',
              remotePartyRole: 'NetworkOperator',
              floorSeqNumber: 0n,
              digitalSigning: h.world.certificate(ds).der,
              keyAgreement: h.world.certificate(ka).der,
              certificationPath: [oca],
              applyTimeBasedCpvChecks: true,
            },
          }),
        ),
      );
    const ds = issueOrganisationCertificateFor(h.world, { eui: no, role: 3, usage: 'DS' });
    const ka = issueOrganisationCertificateFor(h.world, { eui: no, role: 3, usage: 'KA' });
    const ok = await update(ds, ka);
    expect(ok.code, ok.reason ?? '').toBe('I0');

    expect((await revoke(ds)).status).toBe(200);
    const refused = await update(ds, ka);
    expect(refused.code).toBe('E061506');
    expect(refused.reason).toContain(h.world.certificate(ds).serialHex);
    expect(refused.reason).toMatch(/revoked/);

    const ds2 = issueOrganisationCertificateFor(h.world, { eui: no, role: 3, usage: 'DS' });
    const ok2 = await update(ds2, ka);
    expect(ok2.code, ok2.reason ?? '').toBe('I0');
    const cli = await runCliAsync(['certs', 'revoke', `#${ka}`, '--db', h.file, '--reason', 'superseded']);
    expect(cli.code, cli.stderr).toBe(0);
    const refused2 = await update(ds2, ka);
    expect(refused2.code).toBe('E061506');
    expect(refused2.reason).toContain(h.world.certificate(ka).serialHex);
    expect(h.world.certificate(ka).revocationReason).toBe('superseded');
  });
});
