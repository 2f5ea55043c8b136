import { createHash } from 'node:crypto';
import { dashedEui, describeCertificate, roleName } from '../../pki/index.ts';
import { annotateGbcs, decodeGbcsMessage, type GbcsAnnotation } from '../../devices/index.ts';
import { parseDuisRequest, parseDuisResponse, serviceFor, type DuisRequest, type DuisResponse } from '../../service-requests/index.ts';
import type { OutboxRecord, RequestLogRecord } from '../../db/index.ts';
import type { World } from '../world/index.ts';
import { isFailureCode } from '../dcc/index.ts';

// One logged request, taken apart for the console: the DUIS request and response as fields and
// XML, every GBCS message they carry (and the device's, in the asynchronous responses) as hex with
// field annotations.

export interface Field {
  label: string;
  value: string;
  /** a certificate of the SMKI repository the value names */
  certificateId?: number;
}

export interface GbcsView {
  source: string;
  hex: string;
  length: number;
  summary: string;
  annotations: GbcsAnnotation[];
}

export interface DuisView {
  title: string;
  xml: string;
  fields: Field[];
  error?: string;
}

export interface RequestDetail {
  id: number;
  receivedAt: string;
  endpoint: string;
  requestId: string | null;
  originator: { eui: string; name: string | null } | null;
  device: { eui: string; type: string | null } | null;
  serviceReferenceVariant: string | null;
  commandVariant: number | null;
  responseCode: string;
  accepted: boolean;
  reason: string | null;
  failedStep: string | null;
  finalResponseCode: string;
  finalReason: string | null;
  deviceAlertCode: string | null;
  succeeded: boolean;
  steps: unknown[];
  changedCells: unknown[];
  duis: DuisView[];
  gbcs: GbcsView[];
}

function partyName(world: World, eui: string): string | null {
  return world.store.getParty(eui)?.name ?? null;
}

function certificateFields(world: World, label: string, der: Buffer | undefined): Field[] {
  if (!der) return [];
  try {
    const f = describeCertificate(der);
    const known = world.store.getCertificateByFingerprint(createHash('sha256').update(der).digest('hex'));
    const who = f.subjectEui ? `${partyName(world, f.subjectEui) ?? 'unknown party'} (${dashedEui(f.subjectEui)})` : f.subjectDn;
    const role = f.role === null ? '' : `, ${roleName(f.role)}`;
    return [{ label, value: `${who}${role}, ${f.keyUsage}, serial ${f.serialHex}`, ...(known ? { certificateId: known.id } : {}) }];
  } catch (e) {
    return [{ label, value: `not a certificate: ${(e as Error).message}` }];
  }
}

function gbcsSummary(bytes: Buffer): string {
  try {
    const m = decodeGbcsMessage(bytes);
    const a = m.apdu;
    const parts = [`${m.mac ? 'general-ciphering (ACB MAC) around ' : ''}general-signing APDU`, `message code 0x${a.messageCode.toString(16).toUpperCase().padStart(4, '0')}`, a.cra];
    parts.push(`from ${dashedEui(a.originator)} to ${dashedEui(a.target)}`);
    parts.push(`${m.body.kind}`);
    return parts.join(', ');
  } catch (e) {
    return `undecodable: ${(e as Error).message}`;
  }
}

function gbcsView(source: string, bytes: Buffer): GbcsView {
  return { source, hex: bytes.toString('hex').toUpperCase(), length: bytes.length, summary: gbcsSummary(bytes), annotations: annotateGbcs(bytes) };
}

/** what a pruned request-log row shows instead of its XML (src/dcc/retention.ts) */
const PRUNED = 'not kept: the request log keeps the DUIS XML of the most recent requests only (serve --request-log-keep)';

function requestView(world: World, xml: string, gbcs: GbcsView[]): DuisView {
  if (xml === '') return { title: 'DUIS request', xml, fields: [], error: PRUNED };
  let r: DuisRequest;
  try {
    r = parseDuisRequest(xml);
  } catch (e) {
    return { title: 'DUIS request', xml, fields: [], error: `not parseable as a DUIS request: ${(e as Error).message}` };
  }
  const fields: Field[] = [
    { label: 'RequestID', value: r.requestId.text },
    { label: 'Originator', value: `${partyName(world, r.requestId.originator) ?? 'unknown party'} (${dashedEui(r.requestId.originator)})` },
    { label: 'CommandVariant', value: String(r.commandVariant) },
    { label: 'ServiceReferenceVariant', value: r.serviceReferenceVariant },
    { label: 'Service', value: r.body.kind },
  ];
  const service = serviceFor(r.body.kind, r.serviceReferenceVariant);
  for (const f of service?.describe?.(r.body as never) ?? []) {
    if ('gbcs' in f) {
      gbcs.push(gbcsView(f.title, f.gbcs));
      fields.push({ label: f.label, value: `${f.gbcs.length} bytes, see GBCS below` });
    } else if ('certificate' in f) {
      fields.push(...certificateFields(world, f.label, f.certificate));
    } else {
      fields.push(f);
    }
  }
  if (r.signer) fields.push({ label: 'Signed by', value: `${r.signer.issuerName} serial ${r.signer.serialDecimal}` });
  else fields.push({ label: 'Signed by', value: 'no signature' });
  return { title: 'DUIS request', xml, fields };
}

function responseView(title: string, xml: string, gbcs: GbcsView[], source: string): DuisView {
  if (xml === '') return { title, xml, fields: [], error: PRUNED };
  let r: DuisResponse;
  try {
    r = parseDuisResponse(xml);
  } catch (e) {
    return { title, xml, fields: [], error: `not parseable as a DUIS response: ${(e as Error).message}` };
  }
  const fields: Field[] = [
    { label: 'ResponseCode', value: r.responseCode },
    ...(r.requestId ? [{ label: 'RequestID', value: r.requestId.text }] : []),
    ...(r.responseId ? [{ label: 'ResponseID', value: r.responseId.text }] : []),
    { label: 'ResponseDateTime', value: r.responseDateTime.toISOString() },
    { label: 'Body', value: r.body.kind },
  ];
  const b = r.body;
  if (b.kind === 'ResponseMessage') {
    fields.push({ label: 'ServiceReferenceVariant', value: b.serviceReferenceVariant });
    const c = b.content;
    if (c && 'preCommand' in c) {
      gbcs.push(gbcsView(`pre-command (${source})`, c.preCommand.gbcsPayload));
      fields.push({ label: 'PreCommand', value: `GBCS ${c.preCommand.gbcsVersion}, ${c.preCommand.gbcsPayload.length} bytes, see GBCS below` });
    } else if (c && 'gbcsPayload' in c) {
      gbcs.push(gbcsView(`device response (${source})`, c.gbcsPayload));
      fields.push({ label: 'GBCSPayload', value: `${c.gbcsPayload.length} bytes, see GBCS below` });
    } else if (c && 'futureDatedDeviceAlert' in c) {
      gbcs.push(gbcsView(`future-dated alert ${c.futureDatedDeviceAlert.alertCode} (${source})`, c.futureDatedDeviceAlert.gbcsPayload));
      fields.push({ label: 'FutureDatedDeviceAlert', value: c.futureDatedDeviceAlert.alertCode });
    } else if (c && 'dspInventory' in c) {
      fields.push({ label: 'DSPInventory', value: `${c.dspInventory.length} device(s)` });
    } else if (c && 'dspWanMatrix' in c) {
      const regions = c.dspWanMatrix.regions.map((x) => `${x.cspRegion} ${x.coverage ? (x.coverage.available ? `covered (${x.coverage.likelihood})` : `from ${x.coverage.anticipatedDate ?? '?'}`) : x.responseCode}`);
      fields.push({ label: 'DSPWANMatrix', value: regions.join('; ') });
    }
  } else if (b.kind === 'DeviceAlertMessage') {
    gbcs.push(gbcsView(`device alert ${b.alertCode} (${source})`, b.gbcsPayload));
    fields.push({ label: 'AlertCode', value: b.alertCode });
  }
  if (r.signer) fields.push({ label: 'Signed by', value: `${r.signer.issuerName} serial ${r.signer.serialDecimal}` });
  return { title, xml, fields };
}

export function requestDetail(world: World, log: RequestLogRecord, outbox: OutboxRecord[]): RequestDetail {
  const gbcs: GbcsView[] = [];
  const duis: DuisView[] = [requestView(world, log.requestXml.toString('utf8'), gbcs)];
  if (log.responseXml) duis.push(responseView('DUIS synchronous response', log.responseXml, gbcs, 'synchronous response'));
  // What the DCC actually sent the device (MAC'd, signed), decoded field by field beside the device's answer.
  if (log.gbcsCommand) gbcs.push(gbcsView('command the DCC sent to the device', log.gbcsCommand));
  for (const o of outbox) {
    const delivery = `to ${dashedEui(o.partyEui)}${o.deliveredAt ? ', delivered' : ', not yet delivered'}`;
    // The device's alert about this very command (it carries the RequestID): say so, not just "an alert".
    const title =
      o.kind === 'device-alert' && log.deviceAlertCode !== null && o.responseCode === log.deviceAlertCode
        ? `DUIS device alert ${o.responseCode}: the device discarded this request's command (RequestID ${o.requestId}), ${delivery}`
        : o.kind === 'response' && o.responseCode === log.finalResponseCode && isFailureCode(o.responseCode)
          ? `DUIS asynchronous response ${o.responseCode}: the final outcome of this request (RequestID ${o.requestId}), ${delivery}`
          : `DUIS asynchronous ${o.kind} ${o.responseCode} ${delivery}`;
    duis.push(responseView(title, o.body, gbcs, `asynchronous ${o.kind}`));
  }
  const target = log.targetEui ? world.store.getDevice(log.targetEui) : undefined;
  return {
    id: log.id,
    receivedAt: log.receivedAt,
    endpoint: log.path,
    requestId: log.requestId,
    originator: log.originatorEui ? { eui: dashedEui(log.originatorEui), name: partyName(world, log.originatorEui) } : null,
    device: log.targetEui ? { eui: dashedEui(log.targetEui), type: target?.type ?? null } : null,
    serviceReferenceVariant: log.serviceVariant,
    commandVariant: log.commandVariant,
    responseCode: log.responseCode,
    accepted: log.failedStep === null,
    reason: log.reason,
    failedStep: log.failedStep,
    finalResponseCode: log.finalResponseCode,
    finalReason: log.finalReason,
    deviceAlertCode: log.deviceAlertCode,
    succeeded: !isFailureCode(log.finalResponseCode),
    steps: log.steps ?? [],
    changedCells: log.changedCells ?? [],
    duis,
    gbcs,
  };
}
