// Compliance: the DCC's post-commissioning report on network operator certificates (IEDP 5.3,
// SECMP0063, MP128B) and changes of network operator (MP128A). The door of src/compliance/.
export {
  WINDOW_DAYS,
  REASON_TEXT,
  REPORT_RULES,
  postCommissioningReport,
  complianceDevices,
  deviceCompliance,
  reportTime,
  isComplianceState,
  isNonComplianceReason,
  formatReportTable,
  formatPartyReport,
  devicesTable,
  csvHeader,
  csvRows,
  writeCsv,
} from './report.ts';
export type { ReportParty, ComplianceTotals, PartyTotals, ReasonTotals, DeviceComplianceView, PostCommissioningReport, ReportOptions } from './report.ts';
export {
  transferNetwork,
  strandedDevices,
  allStrandedDevices,
  remedyFor,
  ceaseDccUser,
  CeaseRefused,
  partySummary,
  hasNetworkOperatorCertificates,
  devicesToRecover,
} from './network-change.ts';
export type { PartySummary, StrandedDevice, StrandedList, RemedyStep, TransferResult, CeaseRefusal, CeaseResult } from './network-change.ts';
