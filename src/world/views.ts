import { dashedEui, roleName } from '../../pki/index.ts';
import type { CellColumnName, CertificateRecord, DeviceRecord, Party, SupplyPoint } from '../../db/index.ts';
import type { World } from './world.ts';

// Read models shared by the CLI, the JSON API and the console: what a person wants to see.

export interface CertificateSummary {
  id: number;
  serial: string; // hex
  serialDecimal: string;
  kind: string;
  subjectEui: string | null;
  holder: string | null; // party name (or device) the certificate identifies
  role: string | null;
  roleCode: number | null;
  keyUsage: string;
  ski: string;
  notBefore: string;
  notAfter: string;
  revoked: boolean;
  label: string | null;
}

export interface CellView {
  cell: CellColumnName;
  certificate: CertificateSummary | null;
}

export interface DeviceView {
  device: DeviceRecord;
  supplyPoint: SupplyPoint | null;
  registeredSupplier: string | null;
  registeredNetworkOperator: string | null;
  cells: CellView[];
  seqNumbers: Record<string, string>;
}

export function summariseCertificate(world: World, c: CertificateRecord, parties?: Map<string, Party>): CertificateSummary {
  const holderParty = c.subjectEui ? (parties?.get(c.subjectEui) ?? world.store.getParty(c.subjectEui)) : undefined;
  return {
    id: c.id,
    serial: c.serialHex,
    serialDecimal: c.serialDecimal,
    kind: c.kind,
    subjectEui: c.subjectEui,
    holder: holderParty?.name ?? (c.kind === 'device' && c.subjectEui ? `device ${dashedEui(c.subjectEui)}` : null),
    role: c.role === null ? null : roleName(c.role),
    roleCode: c.role,
    keyUsage: c.keyUsage,
    ski: c.ski,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    revoked: c.revokedAt !== null,
    label: c.label,
  };
}

export function deviceView(world: World, device: DeviceRecord): DeviceView {
  const security = world.store.getDeviceSecurity(device.eui);
  const supplyPoint = device.mpxn ? (world.store.getSupplyPoint(device.mpxn) ?? null) : null;
  const cells: CellView[] = [];
  if (security) {
    for (const [cell, id] of Object.entries(security.cells) as [CellColumnName, number][]) {
      cells.push({ cell, certificate: summariseCertificate(world, world.certificate(id)) });
    }
  }
  const seqNumbers: Record<string, string> = {};
  if (security) {
    for (const [role, v] of Object.entries(security.seqNumbers)) seqNumbers[roleName(Number(role))] = v.toString();
    seqNumbers['prepaymentTopUp'] = security.topUpSeqNumber.toString();
  }
  return {
    device,
    supplyPoint,
    registeredSupplier: supplyPoint?.supplierEui ?? null,
    registeredNetworkOperator: supplyPoint?.networkOperatorEui ?? null,
    cells,
    seqNumbers,
  };
}
