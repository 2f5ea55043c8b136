import { dashedEui } from '../../pki/index.ts';
import {
  ComplianceStore,
  NON_COMPLIANCE_REASONS,
  type ComplianceCountRow,
  type ComplianceScope,
  type ComplianceState,
  type DeviceComplianceRow,
  type NonComplianceReason,
  type Party,
} from '../../db/index.ts';
import { SimulatedClock, World, WorldError } from '../world/index.ts';

// The DCC's post-commissioning report (SEC Appendix AC 5.3 as MP128B amends it): for every
// commissioned ESME and GPF, are its network operator cells what registration data says they
// should be, and how many days since commissioning. Counting is SQL (db/compliance-store.ts);
// here are the rules' words, the totals per party and the printable forms.

/** Suppliers place the network operator's certificates within seven days of commissioning (IEDP 5.3). */
export const WINDOW_DAYS = 7;

export const REASON_TEXT: Record<NonComplianceReason, string> = {
  'other-network-operator': "another network operator's certificate (not the one registration data names)",
  'acb-in-esme': 'the ACB certificate still in an ESME (only a GPF may keep it, MP128B)',
  'gno-not-dcc-user': 'the certificate of a GNO that is not a DCC User (MP128)',
  'revoked-certificate': "the registered network operator's certificate, revoked in the SMKI repository",
  'wrong-role': 'a certificate of neither the network operator nor the ACB role',
  'empty-cell': 'no certificate in a network operator cell',
  'no-registration': 'no registration data for the MPxN',
};

export const REPORT_RULES: readonly string[] = [
  `compliant: the network operator cells hold the registered network operator's certificates; a GPF may instead hold the ACB's (MP128B), and a GNO's certificate counts only while that GNO is a DCC User and the certificate is unrevoked (MP128)`,
  `pending: not compliant yet, but within ${WINDOW_DAYS} days of commissioning (calendar days, UTC: a device commissioned on day 0 is pending to the end of day ${WINDOW_DAYS})`,
  `non-compliant: not compliant after day ${WINDOW_DAYS}, with the reason`,
  'the window is counted to the report time; cells, registration data, DCC User status and revocations are as they are now',
];

export interface ComplianceTotals {
  devices: number;
  compliant: number;
  pending: number;
  nonCompliant: number;
  /** percentages of devices, one decimal */
  compliantPct: number;
  pendingPct: number;
  nonCompliantPct: number;
}

export interface PartyTotals extends ComplianceTotals {
  /** dashed EUI (as DUIS writes it) */
  eui: string | null;
  name: string | null;
  byType: Partial<Record<'ESME' | 'GPF', ComplianceTotals>>;
}

export interface ReasonTotals {
  reason: NonComplianceReason;
  description: string;
  nonCompliant: number;
  /** devices still in the window with this open item */
  pending: number;
}

/** A classified device as the report shows it: EUIs dashed (as DUIS writes them), names beside them. */
export interface DeviceComplianceView extends DeviceComplianceRow {
  networkOperatorName: string | null;
  supplierName: string | null;
  dsHolderName: string | null;
  reasonText: string | null;
}

export interface PostCommissioningReport {
  at: string;
  windowDays: number;
  rules: readonly string[];
  scope: { type?: 'ESME' | 'GPF'; networkOperator?: string; supplier?: string };
  totals: ComplianceTotals;
  byType: Record<'ESME' | 'GPF', ComplianceTotals>;
  byReason: ReasonTotals[];
  byNetworkOperator: PartyTotals[];
  bySupplier: PartyTotals[];
  /** a page of the classified devices, when asked for */
  devices?: DeviceComplianceView[];
  devicesQuery?: { state?: ComplianceState; reason?: NonComplianceReason; limit: number; offset: number };
}

export interface ReportOptions {
  /** default: the world's simulated clock */
  at?: Date;
  type?: 'ESME' | 'GPF';
  networkOperatorEui?: string;
  supplierEui?: string;
  /** include a page of devices */
  devices?: { state?: ComplianceState; reason?: NonComplianceReason; limit?: number; offset?: number };
}

const STATES: readonly ComplianceState[] = ['compliant', 'pending', 'non-compliant'];

export function isComplianceState(s: string): s is ComplianceState {
  return (STATES as readonly string[]).includes(s);
}

export function isNonComplianceReason(s: string): s is NonComplianceReason {
  return (NON_COMPLIANCE_REASONS as readonly string[]).includes(s);
}

function emptyTotals(): ComplianceTotals {
  return { devices: 0, compliant: 0, pending: 0, nonCompliant: 0, compliantPct: 0, pendingPct: 0, nonCompliantPct: 0 };
}

function add(t: ComplianceTotals, state: ComplianceState, n: number): void {
  t.devices += n;
  if (state === 'compliant') t.compliant += n;
  else if (state === 'pending') t.pending += n;
  else t.nonCompliant += n;
}

function finish<T extends ComplianceTotals>(t: T): T {
  const pct = (n: number) => (t.devices === 0 ? 0 : Math.round((n / t.devices) * 1000) / 10);
  t.compliantPct = pct(t.compliant);
  t.pendingPct = pct(t.pending);
  t.nonCompliantPct = pct(t.nonCompliant);
  return t;
}

function scopeOf(o: ReportOptions, at: Date): ComplianceScope {
  return { at: at.toISOString(), windowDays: WINDOW_DAYS, type: o.type, networkOperatorEui: o.networkOperatorEui, supplierEui: o.supplierEui };
}

/** The report time: the given one, or the world's simulated clock. */
export function reportTime(world: World, at?: Date): Date {
  if (at !== undefined) {
    if (Number.isNaN(at.getTime())) throw new WorldError('bad-argument', 'the report time is not a valid date-time');
    return at;
  }
  return new SimulatedClock(world.store).now();
}

export function postCommissioningReport(world: World, o: ReportOptions = {}): PostCommissioningReport {
  const at = reportTime(world, o.at);
  const store = new ComplianceStore(world.store.db);
  const scope = scopeOf(o, at);
  const rows = store.postCommissioningCounts(scope);
  const parties = new Map(world.store.listParties().map((p) => [p.eui, p]));

  const totals = emptyTotals();
  const byType: Record<'ESME' | 'GPF', ComplianceTotals> = { ESME: emptyTotals(), GPF: emptyTotals() };
  const reasons = new Map<NonComplianceReason, ReasonTotals>();
  const byNo = new Map<string | null, PartyTotals>();
  const bySupplier = new Map<string | null, PartyTotals>();
  const partyTotals = (map: Map<string | null, PartyTotals>, eui: string | null): PartyTotals => {
    let t = map.get(eui);
    if (!t) {
      t = { eui: eui ? dashedEui(eui) : null, name: eui ? (parties.get(eui)?.name ?? null) : null, byType: {}, ...emptyTotals() };
      map.set(eui, t);
    }
    return t;
  };
  for (const r of rows) {
    add(totals, r.state, r.devices);
    add(byType[r.type], r.state, r.devices);
    for (const [map, eui] of [
      [byNo, r.networkOperatorEui],
      [bySupplier, r.supplierEui],
    ] as const) {
      const t = partyTotals(map, eui);
      add(t, r.state, r.devices);
      add((t.byType[r.type] ??= emptyTotals()), r.state, r.devices);
    }
    if (r.reason && r.state !== 'compliant') {
      let rt = reasons.get(r.reason);
      if (!rt) reasons.set(r.reason, (rt = { reason: r.reason, description: REASON_TEXT[r.reason], nonCompliant: 0, pending: 0 }));
      if (r.state === 'pending') rt.pending += r.devices;
      else rt.nonCompliant += r.devices;
    }
  }
  const ordered = (map: Map<string | null, PartyTotals>) =>
    [...map.values()]
      .map((t) => {
        for (const k of Object.keys(t.byType) as ('ESME' | 'GPF')[]) finish(t.byType[k]!);
        return finish(t);
      })
      .sort((a, b) => (a.eui ?? '~').localeCompare(b.eui ?? '~'));

  const report: PostCommissioningReport = {
    at: at.toISOString(),
    windowDays: WINDOW_DAYS,
    rules: REPORT_RULES,
    scope: {
      ...(o.type ? { type: o.type } : {}),
      ...(o.networkOperatorEui ? { networkOperator: dashedEui(o.networkOperatorEui) } : {}),
      ...(o.supplierEui ? { supplier: dashedEui(o.supplierEui) } : {}),
    },
    totals: finish(totals),
    byType: { ESME: finish(byType.ESME), GPF: finish(byType.GPF) },
    byReason: NON_COMPLIANCE_REASONS.filter((r) => reasons.has(r)).map((r) => reasons.get(r)!),
    byNetworkOperator: ordered(byNo),
    bySupplier: ordered(bySupplier),
  };
  if (o.devices) {
    const q = { state: o.devices.state, reason: o.devices.reason, limit: o.devices.limit ?? 100, offset: o.devices.offset ?? 0 };
    report.devices = store.postCommissioningDevices({ ...scope, ...q }).map((d) => deviceView(d, parties));
    report.devicesQuery = q;
  }
  return report;
}

/** The classified devices of a scope, a page at a time (for the CSV export and the API). */
export function complianceDevices(
  world: World,
  o: Omit<ReportOptions, 'devices'> & { state?: ComplianceState; reason?: NonComplianceReason; limit?: number; offset?: number },
): DeviceComplianceView[] {
  const at = reportTime(world, o.at);
  const parties = new Map(world.store.listParties().map((p) => [p.eui, p]));
  return new ComplianceStore(world.store.db)
    .postCommissioningDevices({ ...scopeOf(o, at), state: o.state, reason: o.reason, limit: o.limit ?? 100, offset: o.offset ?? 0 })
    .map((d) => deviceView(d, parties));
}

/** The classification of one device at a time (default: the simulated clock); undefined if it is not a commissioned ESME/GPF. */
export function deviceCompliance(world: World, eui: string, at?: Date): DeviceComplianceView | undefined {
  const parties = new Map(world.store.listParties().map((p) => [p.eui, p]));
  const [row] = new ComplianceStore(world.store.db).postCommissioningDevices({ at: reportTime(world, at).toISOString(), windowDays: WINDOW_DAYS, eui, limit: 1 });
  return row ? deviceView(row, parties) : undefined;
}

/** EUIs from the store are 16 upper-case hex digits: the dashed form by slicing (exports run this per device). */
function dashed(eui: string | null): string | null {
  if (eui === null) return null;
  if (eui.length !== 16) return dashedEui(eui);
  return `${eui.slice(0, 2)}-${eui.slice(2, 4)}-${eui.slice(4, 6)}-${eui.slice(6, 8)}-${eui.slice(8, 10)}-${eui.slice(10, 12)}-${eui.slice(12, 14)}-${eui.slice(14, 16)}`;
}

function deviceView(d: DeviceComplianceRow, parties: Map<string, Party>): DeviceComplianceView {
  const name = (eui: string | null) => (eui === null ? null : (parties.get(eui)?.name ?? null));
  return {
    eui: dashed(d.eui)!,
    type: d.type,
    mpxn: d.mpxn,
    commissionedAt: d.commissionedAt,
    daysSinceCommissioning: d.daysSinceCommissioning,
    dueBy: d.dueBy,
    networkOperatorEui: dashed(d.networkOperatorEui),
    supplierEui: dashed(d.supplierEui),
    dsHolderEui: dashed(d.dsHolderEui),
    dsHolderRole: d.dsHolderRole,
    kaHolderEui: dashed(d.kaHolderEui),
    kaHolderRole: d.kaHolderRole,
    state: d.state,
    reason: d.reason,
    networkOperatorName: name(d.networkOperatorEui),
    supplierName: name(d.supplierEui),
    dsHolderName: name(d.dsHolderEui),
    reasonText: d.reason ? REASON_TEXT[d.reason] : null,
  };
}

// --- printable forms ------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i > 0 && /^[\d.,%]+$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const num = (n: number) => n.toLocaleString('en-GB');
const pct = (n: number) => `${n.toFixed(1)}%`;
const eui = (e: string | null) => e ?? '-';

function totalsRow(label: string[], t: ComplianceTotals): string[] {
  return [...label, num(t.devices), num(t.compliant), num(t.pending), num(t.nonCompliant), pct(t.compliantPct), pct(t.nonCompliantPct)];
}

const TOTALS_HEAD = ['DEVICES', 'COMPLIANT', 'PENDING', 'NON-COMPLIANT', '% COMPLIANT', '% NON-COMPLIANT'];

export function formatReportTable(r: PostCommissioningReport): string {
  const out: string[] = [];
  const scope = Object.entries(r.scope).map(([k, v]) => `${k} ${v}`);
  out.push(`Post-commissioning report at ${r.at} (network operator certificates, ${r.windowDays}-day window${scope.length ? '; ' + scope.join(', ') : ''})`);
  out.push(
    `commissioned ESMEs and GPFs: ${num(r.totals.devices)}  compliant ${num(r.totals.compliant)} (${pct(r.totals.compliantPct)})  ` +
      `pending ${num(r.totals.pending)} (${pct(r.totals.pendingPct)})  non-compliant ${num(r.totals.nonCompliant)} (${pct(r.totals.nonCompliantPct)})`,
  );
  out.push('', table([['TYPE', ...TOTALS_HEAD], ...(['ESME', 'GPF'] as const).map((t) => totalsRow([t], r.byType[t]))]));
  if (r.byReason.length) {
    out.push('', 'NON-COMPLIANT AND PENDING BY REASON');
    out.push(table([['REASON', 'NON-COMPLIANT', 'PENDING', 'MEANING'], ...r.byReason.map((x) => [x.reason, num(x.nonCompliant), num(x.pending), x.description])]));
  }
  out.push('', 'BY NETWORK OPERATOR (registration data)');
  out.push(table([['EUI', 'NETWORK OPERATOR', ...TOTALS_HEAD], ...r.byNetworkOperator.map((t) => totalsRow([eui(t.eui), t.name ?? '-'], t))]));
  out.push('', 'BY SUPPLIER (registration data)');
  out.push(table([['EUI', 'SUPPLIER', ...TOTALS_HEAD], ...r.bySupplier.map((t) => totalsRow([eui(t.eui), t.name ?? '-'], t))]));
  if (r.devices) {
    const q = r.devicesQuery!;
    out.push('', `DEVICES${q.state ? ' ' + q.state : ''}${q.reason ? ' ' + q.reason : ''} (${r.devices.length}${r.devices.length === q.limit ? '+' : ''} shown from ${q.offset})`);
    out.push(devicesTable(r.devices));
  }
  out.push('', ...r.rules.map((x) => `- ${x}`));
  return out.join('\n');
}

/** Whose report a party-scoped report is: a supplier's or a network operator's. */
export type ReportParty = 'supplier' | 'network-operator';

/**
 * One party's own report (the report scoped to a supplier or a network operator): what it answers for,
 * in the rule's words, its devices overdue (non-compliant, with the reason) and those still due (pending,
 * soonest due date first), and its totals against the other kind of party. `r` carries the page of
 * non-compliant devices; `due`, a page of the pending ones.
 */
export function formatPartyReport(r: PostCommissioningReport, due: DeviceComplianceView[], party: ReportParty): string {
  const own = party === 'supplier' ? r.bySupplier : r.byNetworkOperator;
  const who = own[0] ? `${own[0].name ?? 'unknown party'} (${eui(own[0].eui)})` : (party === 'supplier' ? r.scope.supplier : r.scope.networkOperator) ?? '?';
  const out: string[] = [];
  out.push(
    party === 'supplier'
      ? `Post-commissioning report for supplier ${who} at ${r.at}: the commissioned ESMEs and GPFs at the supply points registered to it. ` +
          `The supplier places the registered network operator's certificates in their network operator cells within ${r.windowDays} days of commissioning (IEDP 5.3; a GPF may keep the ACB's, MP128B).`
      : `Post-commissioning report for network operator ${who} at ${r.at}: the commissioned ESMEs and GPFs at the supply points registered to it, ` +
          `whose network operator cells should hold its certificates within ${r.windowDays} days of commissioning (the ACB's may stay in a GPF, MP128B).`,
  );
  out.push(
    `${num(r.totals.devices)} devices: compliant ${num(r.totals.compliant)} (${pct(r.totals.compliantPct)})  due ${num(r.totals.pending)} (${pct(r.totals.pendingPct)})  ` +
      `overdue ${num(r.totals.nonCompliant)} (${pct(r.totals.nonCompliantPct)})`,
  );
  const overdue = r.devices ?? [];
  out.push('', `OVERDUE: non-compliant after day ${r.windowDays} (${num(r.totals.nonCompliant)}${overdue.length < r.totals.nonCompliant ? `, ${overdue.length} shown` : ''})`);
  out.push(overdue.length ? devicesTable(overdue) : '(none)');
  const soonest = [...due].sort((a, b) => a.dueBy.localeCompare(b.dueBy) || a.eui.localeCompare(b.eui));
  out.push('', `DUE: not compliant yet, still within the window, soonest first (${num(r.totals.pending)}${soonest.length < r.totals.pending ? `, ${soonest.length} shown` : ''})`);
  out.push(
    soonest.length
      ? table([
          ['DUE BY', 'EUI', 'TYPE', 'MPxN', 'COMMISSIONED', 'OPEN ITEM', 'NO CELL HOLDS', 'REGISTERED NO'],
          ...soonest.map((d) => [d.dueBy, d.eui, d.type, d.mpxn ?? '-', d.commissionedAt.slice(0, 10), d.reason ?? '-', d.dsHolderName ?? eui(d.dsHolderEui), d.networkOperatorName ?? eui(d.networkOperatorEui)]),
        ])
      : '(none)',
  );
  const others = party === 'supplier' ? r.byNetworkOperator : r.bySupplier;
  out.push('', party === 'supplier' ? 'BY NETWORK OPERATOR (registration data)' : 'BY SUPPLIER (registration data)');
  out.push(table([['EUI', party === 'supplier' ? 'NETWORK OPERATOR' : 'SUPPLIER', ...TOTALS_HEAD], ...others.map((t) => totalsRow([eui(t.eui), t.name ?? '-'], t))]));
  out.push('', ...r.rules.map((x) => `- ${x}`));
  return out.join('\n');
}

export function devicesTable(devices: DeviceComplianceView[]): string {
  return table([
    ['EUI', 'TYPE', 'MPxN', 'COMMISSIONED', 'DAYS', 'STATE', 'REASON', 'NO CELL HOLDS', 'REGISTERED NO'],
    ...devices.map((d) => [
      d.eui,
      d.type,
      d.mpxn ?? '-',
      d.commissionedAt.slice(0, 10),
      String(d.daysSinceCommissioning),
      d.state,
      d.reason ?? '-',
      d.dsHolderName ?? eui(d.dsHolderEui),
      d.networkOperatorName ?? eui(d.networkOperatorEui),
    ]),
  ]);
}

const CSV_HEAD = [
  'eui',
  'type',
  'mpxn',
  'commissioned_at',
  'days_since_commissioning',
  'due_by',
  'state',
  'reason',
  'network_operator_eui',
  'network_operator',
  'supplier_eui',
  'supplier',
  'ds_cell_holder_eui',
  'ds_cell_holder_role',
  'ka_cell_holder_eui',
  'ka_cell_holder_role',
];

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_HEAD.join(',') + '\n';
}

export function csvRows(devices: DeviceComplianceView[]): string {
  let out = '';
  for (const d of devices) {
    out +=
      [
        d.eui,
        d.type,
        d.mpxn,
        d.commissionedAt,
        d.daysSinceCommissioning,
        d.dueBy,
        d.state,
        d.reason,
        d.networkOperatorEui,
        d.networkOperatorName,
        d.supplierEui,
        d.supplierName,
        d.dsHolderEui,
        d.dsHolderRole,
        d.kaHolderEui,
        d.kaHolderRole,
      ]
        .map(csvCell)
        .join(',') + '\n';
  }
  return out;
}

/** Every classified device of the scope as CSV: one streamed query, written in chunks; returns the row count. */
export function writeCsv(
  world: World,
  o: Omit<ReportOptions, 'devices'> & { state?: ComplianceState; reason?: NonComplianceReason },
  write: (chunk: string) => void,
  chunkRows = 5_000,
): number {
  const at = reportTime(world, o.at);
  const parties = new Map(world.store.listParties().map((p) => [p.eui, p]));
  write(csvHeader());
  let n = 0;
  let chunk: DeviceComplianceView[] = [];
  for (const row of new ComplianceStore(world.store.db).iteratePostCommissioningDevices({ ...scopeOf(o, at), state: o.state, reason: o.reason })) {
    chunk.push(deviceView(row, parties));
    if (chunk.length === chunkRows) {
      write(csvRows(chunk));
      n += chunk.length;
      chunk = [];
    }
  }
  if (chunk.length) write(csvRows(chunk));
  return n + chunk.length;
}

export type { ComplianceCountRow };
