// The request timeline as a file: every request a filter matches (not only the page on screen), as
// CSV for a spreadsheet or JSON for a script. One row per request log entry, newest first, with the
// acknowledgement and the final outcome side by side (a command the device discarded is a failure).
import type { RequestDetail } from './inspect.ts';

/** What the export needs of a timeline entry (GET /api/console/requests gives the same shape). */
export type ExportedRequest = Pick<
  RequestDetail,
  'id' | 'receivedAt' | 'endpoint' | 'requestId' | 'serviceReferenceVariant' | 'commandVariant' | 'originator' | 'device'
  | 'responseCode' | 'reason' | 'failedStep' | 'finalResponseCode' | 'finalReason' | 'deviceAlertCode' | 'succeeded' | 'changedCells'
>;

const COLUMNS = [
  'id', 'received_at', 'endpoint', 'request_id', 'service_reference_variant', 'command_variant',
  'originator_eui', 'originator', 'device_eui', 'device_type',
  'response_code', 'reason', 'failed_step', 'final_response_code', 'final_reason', 'device_alert_code', 'outcome', 'changed_cells',
] as const;

function cell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function timelineCsvHeader(): string {
  return COLUMNS.join(',') + '\n';
}

export function timelineCsvRow(e: ExportedRequest): string {
  return [
    e.id, e.receivedAt, e.endpoint, e.requestId, e.serviceReferenceVariant, e.commandVariant,
    e.originator?.eui, e.originator?.name, e.device?.eui, e.device?.type,
    e.responseCode, e.reason, e.failedStep, e.finalResponseCode, e.finalReason, e.deviceAlertCode,
    e.succeeded ? 'success' : 'failure', e.changedCells.join(' '),
  ].map(cell).join(',') + '\n';
}
