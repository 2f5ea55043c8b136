import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashedEui, RemotePartyRole } from '../../pki/index.ts';
import { ComplianceStore, type CellColumnName, type DeviceRecord } from '../../db/index.ts';
import { World } from '../../src/world/world.ts';
import { DCC, DNOS, dnoEui, GAS_TRANSPORTERS } from '../../src/world/catalogue.ts';
import { SimulatedClock } from '../../src/world/clock.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { complianceDevices, deviceCompliance, postCommissioningReport, type PostCommissioningReport } from '../../src/compliance/index.ts';
import { expectOk, runCli, runCliAsync } from '../helpers/world-cli.ts';
import { seedTemplate, type WorldTemplate } from './worlds.ts';

// The post-commissioning report on real seeded worlds: every classification rule with its
// boundaries, the totals, the SQL against an independent per-device reading of the rules, and the
// CLI and HTTP faces of it.

const AT = new Date('2026-11-01T00:00:00Z');
const ACB = DCC.accessControlBroker;
const gt = (key: string) => GAS_TRANSPORTERS.find((g) => g.key === key)!.eui;
const CADENT = gt('CADENT');
const NGGD = gt('NGGD');

let template: WorldTemplate;
beforeAll(() => {
  template = seedTemplate({ premises: 1200, seed: 'compliance-report', at: AT });
});
afterAll(() => template?.cleanup());

function orgCert(w: World, eui: string, role: number, usage: 'DS' | 'KA'): number {
  const c = w.store.searchCertificates({ eui, role, keyUsage: usage, kind: 'organisation' }).find((x) => x.revokedAt === null);
  if (!c) throw new Error(`no ${usage} certificate of role ${role} for ${eui}`);
  return c.id;
}

function setCells(w: World, eui: string, cells: Partial<Record<CellColumnName, number>>): void {
  const s = w.store.getDeviceSecurity(eui)!;
  w.store.updateDeviceSecurity({ ...s, cells: { ...s.cells, ...cells } });
}

function noCellsOf(w: World, holder: string): Partial<Record<CellColumnName, number>> {
  const role = holder === ACB ? RemotePartyRole.AccessControlBroker : RemotePartyRole.NetworkOperator;
  return { networkOperatorDS: orgCert(w, holder, role, 'DS'), networkOperatorKA: orgCert(w, holder, role, 'KA') };
}

function commissionedAt(w: World, eui: string, iso: string): void {
  new ComplianceStore(w.store.db).markCommissioned(eui, iso);
}

function commissioned(w: World, type: 'ESME' | 'GPF', pred: (d: DeviceRecord) => boolean = () => true): DeviceRecord[] {
  return w.store.listDevices({ type, status: 'Commissioned', limit: 100_000 }).devices.filter(pred);
}

const registeredNo = (w: World, d: DeviceRecord) => w.store.getSupplyPoint(d.mpxn!)!.networkOperatorEui;

describe('classification of one device', () => {
  let w: World;
  let esmes: DeviceRecord[];
  let cadentGpfs: DeviceRecord[];
  beforeAll(() => {
    w = World.open(template.copy());
    esmes = commissioned(w, 'ESME');
    cadentGpfs = commissioned(w, 'GPF', (d) => registeredNo(w, d) === CADENT);
    expect(esmes.length).toBeGreaterThan(20);
    expect(cadentGpfs.length).toBeGreaterThan(10);
  });
  afterAll(() => w?.close());

  const at = (iso: string) => new Date(iso);

  it("an ESME with its registered DNO's certificates is compliant", () => {
    const d = esmes[0]!;
    setCells(w, d.eui, noCellsOf(w, registeredNo(w, d)));
    commissionedAt(w, d.eui, '2026-06-01T09:00:00.000Z');
    const c = deviceCompliance(w, d.eui, AT)!;
    expect(c).toMatchObject({ state: 'compliant', reason: null, daysSinceCommissioning: 153, dsHolderEui: dashedEui(registeredNo(w, d)) });
  });

  it("an ESME with another DNO's certificate: pending up to day 7, non-compliant from day 8, and the reason says so", () => {
    const d = esmes[1]!;
    const other = dnoEui(DNOS.find((x) => dnoEui(x.distributorId) !== registeredNo(w, d))!.distributorId);
    setCells(w, d.eui, noCellsOf(w, other));
    commissionedAt(w, d.eui, '2026-10-01T10:00:00.000Z');
    expect(deviceCompliance(w, d.eui, at('2026-10-03T12:00:00Z'))).toMatchObject({ state: 'pending', reason: 'other-network-operator', daysSinceCommissioning: 2 });
    expect(deviceCompliance(w, d.eui, at('2026-10-20T12:00:00Z'))).toMatchObject({ state: 'non-compliant', reason: 'other-network-operator', dsHolderEui: dashedEui(other) });
  });

  it("the ACB's certificate in an ESME: day 7 is still pending, day 8 is non-compliant (acb-in-esme)", () => {
    const d = esmes[2]!;
    setCells(w, d.eui, noCellsOf(w, ACB));
    commissionedAt(w, d.eui, '2026-10-01T10:00:00.000Z');
    expect(deviceCompliance(w, d.eui, at('2026-10-01T10:00:00Z'))).toMatchObject({ state: 'pending', reason: 'acb-in-esme', daysSinceCommissioning: 0, dueBy: '2026-10-08' });
    expect(deviceCompliance(w, d.eui, at('2026-10-08T23:59:59Z'))).toMatchObject({ state: 'pending', reason: 'acb-in-esme', daysSinceCommissioning: 7 });
    expect(deviceCompliance(w, d.eui, at('2026-10-09T00:00:00Z'))).toMatchObject({ state: 'non-compliant', reason: 'acb-in-esme', daysSinceCommissioning: 8 });
  });

  it("the ACB's certificate in a GPF is compliant on day 0, day 8 and day 800 (MP128B)", () => {
    const d = cadentGpfs[0]!;
    setCells(w, d.eui, noCellsOf(w, ACB));
    commissionedAt(w, d.eui, '2026-10-01T10:00:00.000Z');
    for (const t of ['2026-10-01T10:00:00Z', '2026-10-09T00:00:00Z', '2028-12-10T00:00:00Z']) {
      expect(deviceCompliance(w, d.eui, at(t))).toMatchObject({ state: 'compliant', reason: null });
    }
  });

  it("a GPF with its GNO's certificate is compliant only while the GNO is a DCC User (MP128)", () => {
    const d = cadentGpfs[1]!;
    setCells(w, d.eui, noCellsOf(w, CADENT));
    commissionedAt(w, d.eui, '2026-01-01T00:00:00.000Z');
    expect(deviceCompliance(w, d.eui, AT)).toMatchObject({ state: 'compliant', reason: null });
    w.store.setDccUser(CADENT, false);
    try {
      expect(deviceCompliance(w, d.eui, AT)).toMatchObject({ state: 'non-compliant', reason: 'gno-not-dcc-user' });
      // within the window the same cell is only pending
      expect(deviceCompliance(w, d.eui, at('2026-01-05T00:00:00Z'))).toMatchObject({ state: 'pending', reason: 'gno-not-dcc-user' });
    } finally {
      w.store.setDccUser(CADENT, true);
    }
  });

  it("National Grid's certificate on a Cadent GPF is another network operator's certificate", () => {
    const d = cadentGpfs[2]!;
    setCells(w, d.eui, noCellsOf(w, NGGD));
    commissionedAt(w, d.eui, '2025-05-01T00:00:00.000Z');
    expect(deviceCompliance(w, d.eui, AT)).toMatchObject({ state: 'non-compliant', reason: 'other-network-operator', dsHolderName: 'National Grid Gas Distribution' });
  });

  it('the key agreement cell counts too: the right DS certificate with a wrong KA one is non-compliant', () => {
    const d = esmes[3]!;
    const no = registeredNo(w, d);
    const other = dnoEui(DNOS.find((x) => dnoEui(x.distributorId) !== no)!.distributorId);
    setCells(w, d.eui, { networkOperatorDS: orgCert(w, no, 3, 'DS'), networkOperatorKA: orgCert(w, other, 3, 'KA') });
    commissionedAt(w, d.eui, '2025-05-01T00:00:00.000Z');
    expect(deviceCompliance(w, d.eui, AT)).toMatchObject({ state: 'non-compliant', reason: 'other-network-operator', kaHolderEui: dashedEui(other) });
  });

  it('devices not commissioned by the report time, and other device types, are not in the report', () => {
    const d = esmes[4]!;
    commissionedAt(w, d.eui, '2026-12-01T00:00:00.000Z');
    expect(deviceCompliance(w, d.eui, AT)).toBeUndefined();
    expect(deviceCompliance(w, d.eui, at('2026-12-02T00:00:00Z'))).toBeDefined();
    const waiting = w.store.listDevices({ type: 'ESME', status: 'InstalledNotCommissioned', limit: 1 }).devices[0]!;
    expect(deviceCompliance(w, waiting.eui, AT)).toBeUndefined();
    const gsme = w.store.listDevices({ type: 'GSME', status: 'Commissioned', limit: 1 }).devices[0]!;
    expect(deviceCompliance(w, gsme.eui, AT)).toBeUndefined();
  });

  it("a revoked certificate of the registered GNO is non-compliant (revoked-certificate)", () => {
    // last: the revocation stays in this world
    const d = cadentGpfs[3]!;
    const cells = noCellsOf(w, CADENT);
    setCells(w, d.eui, cells);
    commissionedAt(w, d.eui, '2025-05-01T00:00:00.000Z');
    expect(deviceCompliance(w, d.eui, AT)!.state).toBe('compliant');
    w.store.revokeCertificate(cells.networkOperatorDS!, '2026-10-15T00:00:00.000Z', 'keyCompromise');
    expect(deviceCompliance(w, d.eui, AT)).toMatchObject({ state: 'non-compliant', reason: 'revoked-certificate' });
  });
});

/** The rules read independently, device by device, from the world's cells, registration and parties. */
function expectedState(w: World, d: DeviceRecord, at: Date): { state: string; reason: string | null } {
  const sp = d.mpxn ? w.store.getSupplyPoint(d.mpxn) : undefined;
  const cells = w.store.getDeviceSecurity(d.eui)!.cells;
  const problem = (id: number | undefined): string | null => {
    if (!sp) return 'no-registration';
    if (id === undefined) return 'empty-cell';
    const c = w.certificate(id);
    if (c.role === 4) return d.type === 'GPF' ? null : 'acb-in-esme';
    if (c.role !== 3) return 'wrong-role';
    if (c.subjectEui !== sp.networkOperatorEui) return 'other-network-operator';
    if (c.revokedAt) return 'revoked-certificate';
    if (d.type === 'GPF' && !w.store.getParty(c.subjectEui!)?.dccUser) return 'gno-not-dcc-user';
    return null;
  };
  const reason = problem(cells.networkOperatorDS) ?? problem(cells.networkOperatorKA);
  const day = (t: Date) => Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  const days = (day(at) - day(new Date(d.commissionedAt!))) / 86_400_000;
  return { state: reason === null ? 'compliant' : days <= 7 ? 'pending' : 'non-compliant', reason };
}

describe('the whole report', () => {
  let w: World;
  let report: PostCommissioningReport;
  beforeAll(() => {
    w = World.open(template.copy());
    // Exercise every reason across the fleet: a GNO leaves DCC User status, a DNO certificate is revoked.
    w.store.setDccUser(gt('GTC'), false);
    const revoked = orgCert(w, dnoEui('23'), 3, 'DS');
    w.store.revokeCertificate(revoked, '2026-10-01T00:00:00.000Z', 'keyCompromise');
    report = postCommissioningReport(w, { at: AT });
  });
  afterAll(() => w?.close());

  it('classifies every commissioned ESME and GPF exactly as the rules say', () => {
    const listed = new Map(complianceDevices(w, { at: AT, limit: 1_000_000 }).map((d) => [d.eui, d]));
    const all = [...commissioned(w, 'ESME'), ...commissioned(w, 'GPF')].filter((d) => d.commissionedAt! <= AT.toISOString());
    expect(listed.size).toBe(all.length);
    const seen = new Set<string>();
    for (const d of all) {
      const got = listed.get(dashedEui(d.eui));
      const want = expectedState(w, d, AT);
      expect({ eui: d.eui, state: got?.state, reason: got?.reason }).toEqual({ eui: d.eui, ...want });
      seen.add(`${want.state}/${want.reason}`);
    }
    // the fleet shows every state and the main reasons, so the comparison above covered them
    for (const k of ['compliant/null', 'pending/acb-in-esme', 'non-compliant/other-network-operator', 'non-compliant/revoked-certificate', 'non-compliant/gno-not-dcc-user']) {
      expect(seen, k).toContain(k);
    }
  });

  it('totals add up by type, by network operator and by supplier, with percentages', () => {
    const t = report.totals;
    expect(t.devices).toBe(t.compliant + t.pending + t.nonCompliant);
    expect(report.byType.ESME.devices + report.byType.GPF.devices).toBe(t.devices);
    for (const key of ['devices', 'compliant', 'pending', 'nonCompliant'] as const) {
      expect(report.byNetworkOperator.reduce((n, p) => n + p[key], 0), key).toBe(t[key]);
      expect(report.bySupplier.reduce((n, p) => n + p[key], 0), key).toBe(t[key]);
    }
    expect(t.nonCompliantPct).toBeCloseTo((100 * t.nonCompliant) / t.devices, 1);
    const reasons = report.byReason.reduce((n, r) => n + r.nonCompliant, 0);
    expect(reasons).toBe(t.nonCompliant);
    const yorkshire = report.byNetworkOperator.find((p) => p.eui === dashedEui(dnoEui('23')))!;
    expect(yorkshire.name).toBe('Northern Powergrid (Yorkshire)');
    expect(yorkshire.nonCompliantPct).toBeGreaterThan(80); // its revoked certificate is in most of its meters
  });

  it('the demo world shows roughly the 10% of ESMEs with another network operator certificate (SECMP0063)', () => {
    const fresh = World.open(template.copy());
    try {
      const r = postCommissioningReport(fresh, { at: AT, type: 'ESME', devices: { reason: 'other-network-operator', limit: 1_000_000 } });
      const share = r.devices!.length / r.totals.devices;
      expect(share).toBeGreaterThan(0.07);
      expect(share).toBeLessThan(0.13);
      expect(r.byReason.map((x) => x.reason)).toEqual(['other-network-operator', 'acb-in-esme']);
      expect(r.byReason[1]!.nonCompliant).toBe(0); // at the seed's time the ACB is only in ESMEs commissioned this week
      expect(r.totals.pending).toBeGreaterThan(0);
    } finally {
      fresh.close();
    }
  });

  it('filters by network operator and supplier narrow the whole report', () => {
    const cadent = postCommissioningReport(w, { at: AT, networkOperatorEui: CADENT });
    expect(cadent.byNetworkOperator.map((p) => p.eui)).toEqual([dashedEui(CADENT)]);
    expect(cadent.totals).toMatchObject({ devices: report.byNetworkOperator.find((p) => p.eui === dashedEui(CADENT))!.devices });
    expect(cadent.byType.ESME.devices).toBe(0);
    const supplier = report.bySupplier[0]!;
    const bySupplier = postCommissioningReport(w, { at: AT, supplierEui: supplier.eui!.replace(/-/g, '') });
    expect(bySupplier.totals.nonCompliant).toBe(supplier.nonCompliant);
  });
});

describe('command line and HTTP', () => {
  let file: string;
  let server: RunningServer | undefined;
  beforeAll(() => {
    file = template.copy();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("`report post-commissioning` reports at the world's simulated clock unless --at is given", async () => {
    const w = World.open(file);
    new SimulatedClock(w.store).set(new Date('2026-11-20T12:00:00Z'));
    w.close();
    const r = JSON.parse(expectOk(await runCliAsync(['report', 'post-commissioning', '--db', file, '--format', 'json'])).stdout) as PostCommissioningReport;
    expect(Math.abs(Date.parse(r.at) - Date.parse('2026-11-20T12:00:00Z'))).toBeLessThan(60_000);
    // three weeks on, the ESMEs commissioned in the seed's last week are overdue
    expect(r.totals.pending).toBe(0);
    expect(r.byReason.find((x) => x.reason === 'acb-in-esme')!.nonCompliant).toBeGreaterThan(0);
    const atSeed = JSON.parse(expectOk(await runCliAsync(['report', 'post-commissioning', '--db', file, '--format', 'json', '--at', AT.toISOString()])).stdout) as PostCommissioningReport;
    expect(atSeed.at).toBe(AT.toISOString());
    expect(atSeed.totals.pending).toBeGreaterThan(0);
    expect(atSeed.devices!.length).toBeGreaterThan(0);
  });

  it('prints a table with the totals per network operator and supplier, and CSV with one line per device', async () => {
    const [tableOut, csvOut] = await Promise.all([
      runCliAsync(['report', 'post-commissioning', '--db', file, '--at', AT.toISOString()]),
      runCliAsync(['report', 'post-commissioning', '--db', file, '--at', AT.toISOString(), '--format', 'csv']),
    ]);
    const text = expectOk(tableOut).stdout;
    expect(text).toMatch(/^Post-commissioning report at 2026-11-01T00:00:00.000Z/);
    expect(text).toContain('BY NETWORK OPERATOR (registration data)');
    expect(text).toContain('BY SUPPLIER (registration data)');
    expect(text).toMatch(/Cadent Gas\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d.]+%\s+[\d.]+%/);
    expect(text).toMatch(/other-network-operator\s+[\d,]+/);
    const lines = expectOk(csvOut).stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('eui,type,mpxn,commissioned_at,days_since_commissioning,due_by,state,reason,network_operator_eui,network_operator,supplier_eui,supplier,ds_cell_holder_eui,ds_cell_holder_role,ka_cell_holder_eui,ka_cell_holder_role');
    const w = World.open(file, { readonly: true });
    try {
      const r = postCommissioningReport(w, { at: AT });
      expect(lines.length - 1).toBe(r.totals.devices);
      const bad = complianceDevices(w, { at: AT, state: 'non-compliant', limit: 1 })[0]!;
      const row = lines.find((l) => l.startsWith(bad.eui + ','))!;
      expect(row.split(',').slice(6, 8)).toEqual(['non-compliant', bad.reason]);
    } finally {
      w.close();
    }
  });

  it('refuses a bad --at or --reason with a message and a non-zero exit', () => {
    const r1 = runCli(['report', 'post-commissioning', '--db', file, '--at', 'yesterday']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain("--at 'yesterday' is not a date-time");
    const r2 = runCli(['report', 'post-commissioning', '--db', file, '--reason', 'bad-luck']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("--reason 'bad-luck'");
  });

  it('GET /api/reports/post-commissioning answers the same report, a page of devices, and CSV', async () => {
    server = await startServer({ db: file, host: '127.0.0.1', port: 0, logger: false });
    const res = await fetch(`${server.url}/api/reports/post-commissioning?at=${AT.toISOString()}&state=non-compliant&limit=5`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as PostCommissioningReport;
    const direct = postCommissioningReport(server.world, { at: AT });
    expect(r.totals).toEqual(direct.totals);
    expect(r.byNetworkOperator).toEqual(direct.byNetworkOperator);
    expect(r.devices).toHaveLength(5);
    expect(r.devices!.every((d) => d.state === 'non-compliant')).toBe(true);
    const csv = await fetch(`${server.url}/api/reports/post-commissioning.csv?at=${AT.toISOString()}&type=GPF`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await csv.text()).trimEnd().split('\n').length - 1).toBe(direct.byType.GPF.devices);
    const bad = await fetch(`${server.url}/api/reports/post-commissioning?supplier=nonsense`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("supplier 'nonsense'");
  });
});
