import { dashedEui, roleName } from '../../pki/index.ts';
import { CELL_IDS, cellsOf, type CellName } from '../../devices/index.ts';
import type { DeviceComplianceState, DeviceRecord, Party, SupplyPoint } from '../../db/index.ts';
import { DCC, summariseCertificate, type CertificateSummary, META, type World } from '../world/index.ts';

// The console's device view: the device type's trust-anchor cells as slots, each with its holder and
// the party registration data expects there, and the post-commissioning state of the NO cells.

/** Days after commissioning by which the network operator cells must hold the registered NO's certificate. */
export const POST_COMMISSIONING_DAYS = 7;
const DAY = 86_400_000;

export type SlotMatch = 'expected' | 'interim' | 'unexpected' | 'empty';

export interface PartyRef {
  eui: string; // dashed
  name: string | null;
}

export interface SlotView {
  cell: CellName;
  label: string;
  remotePartyRole: string;
  keyUsage: string;
  cellUsage: 'management' | 'prepaymentTopUp';
  certificate: (CertificateSummary & { holderEui: string | null }) | null;
  expected: PartyRef | null;
  expectedText: string;
  match: SlotMatch;
  /** one sentence a trainee can read: why the slot is (not) what registration data expects */
  note: string;
}

export interface ComplianceView {
  state: DeviceComplianceState;
  note: string;
}

export const SLOT_LABELS: Record<CellName, string> = {
  root: 'Root',
  recovery: 'Recovery',
  supplierDS: 'Supplier DS',
  supplierKA: 'Supplier KA',
  supplierTopUpKA: 'Supplier top-up KA',
  networkOperatorDS: 'Network operator DS',
  networkOperatorKA: 'Network operator KA',
  acbDS: 'ACB DS',
  acbKA: 'ACB KA',
  transitionalCoSDS: 'Transitional CoS DS',
  wanProviderDS: 'WAN provider DS',
  loadControllerDS: 'Load controller DS',
  loadControllerKA: 'Load controller KA',
};

function partyRef(world: World, eui: string | null | undefined, parties?: Map<string, Party>): PartyRef | null {
  if (!eui) return null;
  const p = parties?.get(eui) ?? world.store.getParty(eui);
  return { eui: dashedEui(eui), name: p?.name ?? null };
}

const nameOf = (r: PartyRef | null) => (r ? `${r.name ?? 'unknown party'} (${r.eui})` : 'nobody');

/** The party whose certificates a GPF's NO cells should carry under MP128B (World's one rule). */
const gnoMayBePlaced = (world: World, eui: string | null): boolean => world.mayHoldGpfNetworkOperatorCells(eui);

export const REASON_TEXT: Record<string, string> = {
  'other-network-operator': "holds another network operator's certificate",
  'acb-in-esme': "still holds the ACB's certificate (allowed only in a GPF, MP128B)",
  'gno-not-dcc-user': 'holds the certificate of a gas network operator that is not a DCC User (MP128)',
  'revoked-certificate': "holds the registered operator's certificate, revoked in the SMKI repository",
  'wrong-role': 'holds a certificate of neither the network operator nor the ACB role',
  'empty-cell': 'a network operator cell is empty',
  'no-registration': "the device's MPxN is not in registration data",
};

/**
 * Post-commissioning state of a device's NO cells: the report's classification, read through the
 * same SQL as the device search (WorldStore.searchDevices), so list, view and report agree.
 */
export function complianceOf(world: World, d: DeviceRecord, now: Date): ComplianceView & { reason: string | null } {
  const row = world.store.searchDevices({ euiPrefix: d.eui, at: now.toISOString(), windowDays: POST_COMMISSIONING_DAYS, limit: 1, countCap: 1 }).devices[0];
  const state = row?.compliance ?? 'not-applicable';
  const reason = row?.complianceReason ?? null;
  const days = d.commissionedAt ? Math.floor((now.getTime() - Date.parse(d.commissionedAt)) / DAY) : null;
  let note: string;
  if (state === 'not-applicable') {
    note = d.type === 'ESME' || d.type === 'GPF' ? `${d.status}: the 7-day rule applies from commissioning` : `a ${d.type} has no network operator cells`;
  } else if (state === 'compliant') {
    note = row?.networkOperatorCellHolder === DCC.accessControlBroker ? "holds the ACB's certificate, which MP128B accepts in a GPF" : "holds the registered network operator's certificates";
  } else {
    const why = reason ? (REASON_TEXT[reason] ?? reason) : 'is not as registration data expects';
    note = state === 'pending' ? `${why}; ${days} day(s) since commissioning, due within ${POST_COMMISSIONING_DAYS}` : `${why}, ${days} days after commissioning`;
  }
  return { state, reason, note };
}

export interface ConsoleDeviceView {
  device: DeviceRecord & { euiDashed: string };
  supplyPoint: SupplyPoint | null;
  registeredSupplier: PartyRef | null;
  registeredNetworkOperator: PartyRef | null;
  commsHub: string | null;
  compliance: ComplianceView & { reason: string | null };
  slots: SlotView[];
  seqNumbers: Record<string, string>;
  pendingCommands: { originator: PartyRef | null; counter: string; executeAt: string }[];
}

export function consoleDeviceView(world: World, d: DeviceRecord, now: Date): ConsoleDeviceView {
  const security = world.store.getDeviceSecurity(d.eui);
  const sp = d.mpxn ? (world.store.getSupplyPoint(d.mpxn) ?? null) : null;
  const parties = new Map(world.store.listParties().map((p) => [p.eui, p]));
  const regSupplier = sp?.supplierEui ?? null;
  const regNo = sp?.networkOperatorEui ?? null;
  const rootId = Number(world.store.getMeta(META.rootCertificateId) ?? NaN);
  const commissioned = d.status === 'Commissioned';
  const acbRef = partyRef(world, DCC.accessControlBroker, parties);
  const compliance = complianceOf(world, d, now);
  const daysSince = d.commissionedAt ? Math.floor((now.getTime() - Date.parse(d.commissionedAt)) / DAY) : 0;

  // An ESME's load controller cells are shown once a load controller is appointed (6.15.1 LoadController).
  const shown = cellsOf(d.type).filter((cell) => !cell.startsWith('loadController') || security?.cells[cell] !== undefined);
  const slots: SlotView[] = shown.map((cell) => {
    const id = CELL_IDS[cell];
    const certId = security?.cells[cell];
    const cert = certId === undefined ? null : world.certificate(certId);
    const summary = cert
      ? (() => {
          const c = summariseCertificate(world, cert, parties);
          // CA certificates name no party: show what they are
          return { ...c, holder: c.holder ?? cert.label ?? cert.subjectDn, holderEui: cert.subjectEui ? dashedEui(cert.subjectEui) : null };
        })()
      : null;
    const base = {
      cell,
      label: SLOT_LABELS[cell],
      remotePartyRole: roleName(id.role),
      keyUsage: id.keyUsage,
      cellUsage: id.cellUsage === 1 ? ('prepaymentTopUp' as const) : ('management' as const),
      certificate: summary,
    };
    const holder = cert?.subjectEui ?? null;
    const dccParty = (eui: string, what: string): Omit<SlotView, keyof typeof base> => {
      const expected = partyRef(world, eui, parties);
      if (!cert) return { expected, expectedText: what, match: 'empty', note: `empty; ${what} is expected` };
      return holder === eui
        ? { expected, expectedText: what, match: 'expected', note: `${what}, as expected` }
        : { expected, expectedText: what, match: 'unexpected', note: `holds ${nameOf(partyRef(world, holder, parties))}; ${what} is expected` };
    };
    switch (cell) {
      case 'root': {
        const what = 'the SMKI root';
        if (!cert) return { ...base, expected: null, expectedText: what, match: 'empty', note: `empty; ${what} is expected` };
        return cert.id === rootId
          ? { ...base, expected: null, expectedText: what, match: 'expected', note: `${cert.subjectDn}, the world's root anchor` }
          : { ...base, expected: null, expectedText: what, match: 'unexpected', note: `${cert.subjectDn} is not the world's root anchor` };
      }
      case 'recovery':
        return { ...base, ...dccParty(DCC.recovery, 'DCC (SMKI Recovery)') };
      case 'acbDS':
      case 'acbKA':
        return { ...base, ...dccParty(DCC.accessControlBroker, 'DCC (Access Control Broker)') };
      case 'transitionalCoSDS':
        return { ...base, ...dccParty(DCC.transitionalCoS, 'DCC (Transitional CoS)') };
      case 'wanProviderDS':
        return { ...base, ...dccParty(DCC.wanProvider, 'DCC (WAN Provider)') };
      case 'loadControllerDS':
      case 'loadControllerKA': {
        // Registration data names no load controller: the supplier appoints one with 6.15.1 (CS02g).
        const expectedText = 'a load controller the supplier appoints (6.15.1 LoadController)';
        if (!cert) return { ...base, expected: null, expectedText, match: 'empty', note: 'empty: no load controller appointed' };
        return { ...base, expected: partyRef(world, holder, parties), expectedText, match: 'expected', note: `${nameOf(partyRef(world, holder, parties))}, placed by the supplier` };
      }
      case 'supplierDS':
      case 'supplierKA':
      case 'supplierTopUpKA': {
        const expected = partyRef(world, regSupplier, parties);
        const expectedText = expected ? `registered supplier ${nameOf(expected)}` : 'the registered supplier (none registered)';
        if (!cert) return { ...base, expected, expectedText, match: 'empty', note: `empty; ${expectedText} is expected` };
        if (holder === regSupplier) return { ...base, expected, expectedText, match: 'expected', note: `the registered supplier, as registration data expects` };
        if (holder === DCC.accessControlBroker && !commissioned) {
          return { ...base, expected, expectedText, match: 'interim', note: `DCC controlled: the ACB holds it until a 6.21 handover to ${nameOf(expected)}` };
        }
        return { ...base, expected, expectedText, match: 'unexpected', note: `holds ${nameOf(partyRef(world, holder, parties))}; registration data names ${nameOf(expected)}` };
      }
      case 'networkOperatorDS':
      case 'networkOperatorKA': {
        const expected = partyRef(world, regNo, parties);
        const expectedText = expected ? `registered network operator ${nameOf(expected)}` : 'the registered network operator (none registered)';
        if (!cert) return { ...base, expected, expectedText, match: 'empty', note: `empty; ${expectedText} is expected` };
        if (holder === regNo) {
          if (cert.revokedAt) return { ...base, expected, expectedText, match: 'unexpected', note: "the registered network operator's, but revoked" };
          if (d.type === 'GPF' && !gnoMayBePlaced(world, regNo)) {
            return { ...base, expected: acbRef, expectedText: `the ACB (MP128B: ${nameOf(expected)} is not a DCC User)`, match: 'unexpected', note: `${nameOf(expected)} is not a DCC User: MP128 wants the ACB's certificate here` };
          }
          return { ...base, expected, expectedText, match: 'expected', note: 'the registered network operator, as registration data expects' };
        }
        if (holder === DCC.accessControlBroker) {
          if (d.type === 'GPF') {
            return gnoMayBePlaced(world, regNo)
              ? { ...base, expected, expectedText, match: 'interim', note: `the ACB's, which MP128B accepts in a GPF; ${nameOf(expected)} may be placed` }
              : { ...base, expected: acbRef, expectedText: `the ACB (MP128B: ${nameOf(expected)} is not a DCC User)`, match: 'expected', note: "the ACB's, as MP128B requires" };
          }
          const note =
            compliance.state === 'not-applicable'
              ? `DCC controlled: the ACB holds it until ${nameOf(expected)}'s certificates are placed; the ${POST_COMMISSIONING_DAYS} days start at commissioning`
              : compliance.state === 'non-compliant'
                ? `the ACB's, still ${daysSince} days after commissioning: ${nameOf(expected)} was due within ${POST_COMMISSIONING_DAYS} days`
                : `the ACB's, ${daysSince} day(s) after commissioning: ${nameOf(expected)} is due within ${POST_COMMISSIONING_DAYS} days`;
          return { ...base, expected, expectedText, match: compliance.state === 'non-compliant' ? 'unexpected' : 'interim', note };
        }
        return { ...base, expected, expectedText, match: 'unexpected', note: `holds ${nameOf(partyRef(world, holder, parties))}; registration data names ${nameOf(expected)}` };
      }
    }
  });

  const seqNumbers: Record<string, string> = {};
  if (security) {
    for (const [role, v] of Object.entries(security.seqNumbers)) seqNumbers[roleName(Number(role))] = v.toString();
    seqNumbers['prepaymentTopUp'] = security.topUpSeqNumber.toString();
  }
  return {
    device: { ...d, euiDashed: dashedEui(d.eui) },
    supplyPoint: sp,
    registeredSupplier: partyRef(world, regSupplier, parties),
    registeredNetworkOperator: partyRef(world, regNo, parties),
    commsHub: d.commsHubEui ? dashedEui(d.commsHubEui) : null,
    compliance,
    slots,
    seqNumbers,
    pendingCommands: world.store.pendingCommands(d.eui).map((p) => ({ originator: partyRef(world, p.originator, parties), counter: p.counter.toString(), executeAt: p.executeAt })),
  };
}
