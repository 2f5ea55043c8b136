import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui } from '../../pki/index.ts';
import { ComplianceStore } from '../../db/index.ts';
import { World } from '../../src/world/world.ts';
import { DCC, dnoEui, GAS_TRANSPORTERS } from '../../src/world/catalogue.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import {
  CeaseRefused,
  ceaseDccUser,
  postCommissioningReport,
  strandedDevices,
  transferNetwork,
  deviceCompliance,
  type PostCommissioningReport,
  type TransferResult,
} from '../../src/compliance/index.ts';
import { DuisDriver, httpTransport, remedyAll } from '../../src/scenarios/index.ts';
import { expectOk, runCli, runCliAsync } from '../helpers/world-cli.ts';
import { seedTemplate, type WorldTemplate } from './worlds.ts';

// A change of network operator (MP128A) on a real world behind a real DCC on 127.0.0.1: the
// registration moves, the devices keep the outgoing operator's certificates and the incoming one
// cannot reach them; the outgoing operator may not cease to be a DCC User; the remedy, as signed
// DUIS that really changes the devices' cells, brings the report back to compliant.

const AT = new Date('2026-11-01T00:00:00Z');
const ACB = DCC.accessControlBroker;
const gt = (key: string) => GAS_TRANSPORTERS.find((g) => g.key === key)!.eui;
const NGN = gt('NGN');
const CADENT = gt('CADENT');
const NGGD = gt('NGGD');

let template: WorldTemplate;
beforeAll(() => {
  template = seedTemplate({ premises: 500, seed: 'network-transfer', at: AT });
});
afterAll(() => template?.cleanup());

const holderOf = (w: World, eui: string, cell: 'networkOperatorDS' | 'networkOperatorKA') => {
  const id = w.store.getDeviceSecurity(eui)?.cells[cell];
  return id === undefined ? null : w.certificate(id).subjectEui;
};
const partyTotals = (r: PostCommissioningReport, eui: string) => r.byNetworkOperator.find((p) => p.eui === dashedEui(eui));

describe('Northern Gas Networks sells its network to Cadent', () => {
  let server: RunningServer;
  let w: World;
  let driver: DuisDriver;
  let store: ComplianceStore;
  let before: PostCommissioningReport;
  let ngnSupplyPoints: number;
  let ngnHeldAtHome: number;
  let ngnHeldAtCadent: number;
  let transfer: TransferResult;

  beforeAll(async () => {
    server = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false });
    w = server.world;
    server.dcc.clock.set(AT);
    driver = new DuisDriver(w, httpTransport(server.url));
    store = new ComplianceStore(w.store.db);
    before = postCommissioningReport(w, { at: AT });
    ngnSupplyPoints = store.countSupplyPoints(NGN);
    ngnHeldAtHome = store.devicesHoldingCertificatesOf(NGN, { registeredTo: NGN }).total;
    ngnHeldAtCadent = store.devicesHoldingCertificatesOf(NGN, { registeredTo: CADENT }).total;
    expect(ngnHeldAtHome).toBeGreaterThan(5);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('moves the supply points in registration data and lists the devices still holding NGN certificates', () => {
    transfer = transferNetwork(w, { from: NGN, to: CADENT, limit: 1000 });
    expect(transfer.moved).toBe(ngnSupplyPoints);
    expect(store.countSupplyPoints(NGN)).toBe(0);
    expect(transfer.stranded.total).toBe(ngnHeldAtHome + ngnHeldAtCadent);
    for (const d of transfer.stranded.devices) {
      expect(d.type).toBe('GPF');
      expect(d.registeredNetworkOperatorEui).toBe(CADENT);
      expect(holderOf(w, d.eui, 'networkOperatorDS')).toBe(NGN);
      // MP128A remedy: NGN puts the ACB's certificates back, then the supplier places Cadent's
      expect(d.remedy.map((r) => [r.service, r.sender, r.certificatesOf])).toEqual([
        ['6.15.1', NGN, ACB],
        ['6.21', d.supplierEui, CADENT],
      ]);
    }
    const after = postCommissioningReport(w, { at: AT });
    expect(partyTotals(after, NGN)).toBeUndefined();
    expect(partyTotals(after, CADENT)!.nonCompliant).toBe(partyTotals(before, CADENT)!.nonCompliant + ngnHeldAtHome);
    expect(deviceCompliance(w, transfer.stranded.devices[0]!.eui, AT)).toMatchObject({ state: 'non-compliant', reason: 'other-network-operator' });
  });

  it("Cadent's own 6.15.1 is accepted by the DCC but discarded by the GPF: it cannot reach it", async () => {
    const d = transfer.stranded.devices[0]!;
    const r = await driver.updateCredentials({ sender: CADENT, device: d.eui, role: 'NetworkOperator', certificatesOf: CADENT });
    expect(r.legs.map((l) => l.responseCode)).toEqual(['I0', 'I99']);
    expect(r.outcome).toBe('E21');
    expect(r.deviceDetail).toMatch(/not 90B3D51F41000002, the holder of the networkOperator DS cell/);
    expect(r.cellsChanged).toEqual([]);
    expect(holderOf(w, d.eui, 'networkOperatorDS')).toBe(NGN);
  });

  it('NGN may not cease to be a DCC User while devices hold its certificates (function, API and CLI)', async () => {
    const held = store.devicesHoldingCertificatesOf(NGN).total;
    expect(() => ceaseDccUser(w, NGN)).toThrow(CeaseRefused);
    try {
      ceaseDccUser(w, NGN);
    } catch (err) {
      expect((err as CeaseRefused).refusal.devicesHoldingCertificates).toBe(held);
      expect((err as Error).message).toMatch(/may not cease to be a DCC User: \d+ device\(s\) still hold its certificates/);
    }
    const res = await fetch(`${server.url}/api/parties/${dashedEui(NGN)}/cease-dcc-user`, { method: 'POST' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; devicesHoldingCertificates: number; sample: { eui: string }[] };
    expect(body.devicesHoldingCertificates).toBe(held);
    expect(body.sample.length).toBeGreaterThan(0);
    const cli = runCli(['parties', 'cease-dcc-user', dashedEui(NGN), '--db', server.world.store.db.name]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('Northern Gas Networks (90-B3-D5-1F-41-00-00-02) may not cease to be a DCC User');
    expect(cli.stderr).toMatch(/GPF 00-DB-5A-0F-/);
    expect(w.store.getParty(NGN)!.dccUser).toBe(true);
  });

  it("the remedy as signed DUIS: NGN's 6.15.1 with the ACB's certificates, then the suppliers' 6.21 with Cadent's; the report is back", async () => {
    const sum = await remedyAll(w, driver, NGN, { registeredTo: CADENT });
    expect(sum.devices).toBe(transfer.stranded.total);
    expect(sum.outcomes.filter((o) => !o.ok).map((o) => o.problem)).toEqual([]);
    for (const o of sum.outcomes) {
      const [acb, handover] = o.sent;
      expect(acb!.legs.map((l) => [l.endpoint, l.responseCode])).toEqual([
        ['serviceT', 'I0'],
        ['serviceS', 'I99'],
      ]);
      expect(acb!.outcome).toBe('I0');
      expect(acb!.cellsChanged.map((c) => [c.cell, c.before?.eui, c.after?.eui])).toEqual([
        ['networkOperatorDS', NGN, ACB],
        ['networkOperatorKA', NGN, ACB],
      ]);
      expect(handover!.responseCode).toBe('I99');
      expect(handover!.outcome).toBe('I0');
      expect(handover!.cellsChanged.map((c) => [c.cell, c.before?.eui, c.after?.eui])).toEqual([
        ['networkOperatorDS', ACB, CADENT],
        ['networkOperatorKA', ACB, CADENT],
      ]);
      expect(holderOf(w, o.device.eui, 'networkOperatorDS')).toBe(CADENT);
      expect(holderOf(w, o.device.eui, 'networkOperatorKA')).toBe(CADENT);
      expect(deviceCompliance(w, o.device.eui, AT)).toMatchObject({ state: 'compliant', reason: null });
    }
    const after = postCommissioningReport(w, { at: AT });
    // Cadent's non-compliance is what it was before the sale, less the NGN certificates that sat on its GPFs already
    expect(partyTotals(after, CADENT)!.nonCompliant).toBe(partyTotals(before, CADENT)!.nonCompliant - ngnHeldAtCadent);
    expect(strandedDevices(w, NGN, { registeredTo: CADENT }).total).toBe(0);
    // and Cadent now reaches them
    const r = await driver.updateCredentials({ sender: CADENT, device: sum.outcomes[0]!.device.eui, role: 'NetworkOperator', certificatesOf: CADENT });
    expect(r.outcome).toBe('I0');
  });

  it('once no device holds its certificates NGN ceases to be a DCC User; its certificates are revoked and its DUIS refused', async () => {
    // NGN certificates misplaced on GPFs of other networks (SECMP0063-style errors) must go too
    const elsewhere = strandedDevices(w, NGN, { limit: 1000 });
    const sum = await remedyAll(w, driver, NGN);
    expect(sum.devices).toBe(elsewhere.total);
    expect(sum.failed).toBe(0);
    expect(store.devicesHoldingCertificatesOf(NGN).total).toBe(0);
    const someone = elsewhere.devices[0];
    const res = await fetch(`${server.url}/api/parties/${dashedEui(NGN)}/cease-dcc-user`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { party: { dccUser: boolean; smkiSubscriber: boolean }; revokedCertificates: { kind: string }[] };
    expect(body.party).toMatchObject({ dccUser: false, smkiSubscriber: false });
    expect(body.revokedCertificates.map((c) => c.kind).sort()).toEqual(['organisation', 'organisation', 'xml-signing']);
    expect(w.store.searchCertificates({ eui: NGN }).every((c) => c.revokedAt !== null)).toBe(true);
    if (someone) {
      const r = await driver.updateCredentials({ sender: NGN, device: someone.eui, role: 'NetworkOperator', certificatesOf: ACB });
      expect(r.responseCode).toBe('E1');
      expect(r.reason).toMatch(/revoked/);
    }
  });
});

describe('electricity: a DNO transfer for some MPANs', () => {
  it("moves only the MPANs with the prefix; the outgoing DNO puts the incoming DNO's certificates in its ESMEs (6.15.1)", async () => {
    const server = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false });
    try {
      const w = server.world;
      server.dcc.clock.set(AT);
      const from = dnoEui('15');
      const to = dnoEui('23');
      const prefix = '1510000000';
      const store = new ComplianceStore(w.store.db);
      const inPrefix = store.countSupplyPoints(from, prefix);
      const total = store.countSupplyPoints(from);
      expect(inPrefix).toBeGreaterThan(0);
      const t = transferNetwork(w, { from, to, mpxnPrefix: prefix });
      expect(t.moved).toBe(inPrefix);
      expect(store.countSupplyPoints(from)).toBe(total - inPrefix);
      expect(t.stranded.total).toBeGreaterThan(0);
      for (const d of t.stranded.devices) {
        expect(d.mpxn!.startsWith(prefix)).toBe(true);
        expect(d.remedy.map((r) => [r.service, r.sender, r.certificatesOf])).toEqual([['6.15.1', from, to]]);
      }
      const sum = await remedyAll(w, new DuisDriver(w, httpTransport(server.url)), from, { registeredTo: to, mpxnPrefix: prefix });
      expect(sum.remedied).toBe(t.stranded.total);
      for (const o of sum.outcomes) {
        expect(holderOf(w, o.device.eui, 'networkOperatorDS')).toBe(to);
        expect(deviceCompliance(w, o.device.eui, AT)!.state).toBe('compliant');
      }
    } finally {
      await server.close();
    }
  });

  it('refuses transfers that make no sense', () => {
    const w = World.open(template.copy());
    try {
      expect(() => transferNetwork(w, { from: NGN, to: dnoEui('10') })).toThrow(/gas network party and .* an electricity one/);
      expect(() => transferNetwork(w, { from: NGN, to: NGN })).toThrow(/are the same party/);
      expect(() => transferNetwork(w, { from: NGN, to: CADENT, mpxnPrefix: '12ab' })).toThrow(/must be 1 to 13 digits/);
      expect(() => transferNetwork(w, { from: '90B3D51F42000001', to: CADENT })).toThrow(/is not a network party/);
      expect(new ComplianceStore(w.store.db).countSupplyPoints(NGN)).toBeGreaterThan(0);
    } finally {
      w.close();
    }
  });
});

describe('the HTTP routes, and an incoming GNO that is no DCC User (MP128 requirement 5)', () => {
  it("a transfer to SGN (no DCC User, no SMKI Subscriber): the remedy is the ACB's certificates only, and that is compliant", async () => {
    const server = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false });
    try {
      const SGN = gt('SGN');
      expect(server.world.store.getParty(SGN)).toMatchObject({ dccUser: false, smkiSubscriber: false });
      const res = await fetch(`${server.url}/api/network-operators/transfer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: dashedEui(NGN), to: dashedEui(SGN), limit: 1000 }),
      });
      expect(res.status).toBe(200);
      const t = (await res.json()) as { moved: number; stranded: { total: number; devices: { eui: string; remedy: { service: string; sender: string; certificatesOf: string }[] }[] } };
      expect(t.moved).toBeGreaterThan(0);
      expect(t.stranded.total).toBeGreaterThan(0);
      for (const d of t.stranded.devices) expect(d.remedy).toEqual([expect.objectContaining({ service: '6.15.1', sender: dashedEui(NGN), certificatesOf: dashedEui(ACB) })]);
      const listed = (await (await fetch(`${server.url}/api/network-operators/${dashedEui(NGN)}/stranded?registeredTo=${dashedEui(SGN)}&limit=5`)).json()) as { total: number; devices: unknown[] };
      expect(listed.total).toBe(t.stranded.total);
      expect(listed.devices).toHaveLength(Math.min(5, t.stranded.total));
      const w = server.world;
      const sum = await remedyAll(w, new DuisDriver(w, httpTransport(server.url)), NGN, { registeredTo: SGN });
      expect(sum.remedied).toBe(t.stranded.total);
      for (const o of sum.outcomes) {
        expect(o.sent.map((r) => r.service)).toEqual(['6.15.1']);
        expect(holderOf(w, o.device.eui, 'networkOperatorDS')).toBe(ACB);
        expect(deviceCompliance(w, o.device.eui, AT)!.state).toBe('compliant');
      }
      const bad = await fetch(`${server.url}/api/network-operators/transfer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: dashedEui(NGN), to: 'nobody' }) });
      expect(bad.status).toBe(400);
      const unknown = await fetch(`${server.url}/api/parties/${dashedEui('0011223344556677')}/cease-dcc-user`, { method: 'POST' });
      expect(unknown.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('`dcc-sim scenario transfer-network` (National Grid -> Cadent)', () => {
  it('lists the GPFs still holding National Grid certificates, then remedies them and lets it cease (--remedy --cease)', async () => {
    const file = template.copy();
    const held = (() => {
      const w = World.open(file);
      try {
        return new ComplianceStore(w.store.db).devicesHoldingCertificatesOf(NGGD).total;
      } finally {
        w.close();
      }
    })();
    expect(held).toBeGreaterThan(3);
    const list = expectOk(await runCliAsync(['scenario', 'transfer-network', '--db', file, '--from', dashedEui(NGGD), '--to', dashedEui(CADENT)]));
    expect(list.stdout).toContain('registration data: 0 supply point(s) moved from National Grid Gas Distribution');
    expect(list.stdout).toContain(`${held} device(s) at Cadent Gas's supply points still hold National Grid Gas Distribution's certificates`);
    expect(list.stdout).toContain("6.15.1 by National Grid Gas Distribution with DCC (Access Control Broker)'s certificates, then 6.21 by");
    expect(list.stdout).toContain('Run again with --remedy');

    const run = await runCliAsync(['scenario', 'transfer-network', '--db', file, '--from', dashedEui(NGGD), '--to', dashedEui(CADENT), '--remedy', '--cease', '--json']);
    const r = JSON.parse(expectOk(run).stdout) as {
      remedy: { devices: number; remedied: number; failed: number };
      complianceAfter: { devices: number; compliant: number };
      cease: { party: { dccUser: boolean } };
    };
    expect(r.remedy).toMatchObject({ devices: held, remedied: held, failed: 0 });
    expect(r.complianceAfter).toEqual({ devices: held, compliant: held });
    expect(r.cease.party.dccUser).toBe(false);
    const w = World.open(file);
    try {
      expect(new ComplianceStore(w.store.db).devicesHoldingCertificatesOf(NGGD).total).toBe(0);
      expect(w.store.getParty(NGGD)!.dccUser).toBe(false);
      const rep = postCommissioningReport(w, { at: AT, networkOperatorEui: CADENT, devices: { reason: 'other-network-operator', limit: 10_000 } });
      expect(rep.devices!.some((d) => d.dsHolderEui === dashedEui(NGGD))).toBe(false);
    } finally {
      w.close();
    }
  });
});
