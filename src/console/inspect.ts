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
  /** for a command sent to a device: what the device answered, in words (also when it sent nothing) */
  deviceAnswer: string | null;
  gbcs: GbcsView[];
}

function partyName(world: World, eui: string): string | null {
  return world.store.getParty(eui)?.name ?? null;
}

function certificateFields(world: World, label: string, der: Buffer | undefined): Field[] {
  if (!der) return [];
  try {
    const f = describeCertificate(der);
    const known = world.store.getCertificateByFingerprint(f.fingerprint);
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

/**
 * The pre-command inside a command the DCC sent: the general-signing APDU as the DCC built it from
 * the DUIS request, before any signature and the ACB's MAC. A signature covers exactly these octets
 * (after DF, to the end of the payload), so they are recovered whole: DF, them, and an empty signature.
 */
function preCommandOf(command: Buffer): Buffer | undefined {
  try {
    const { apdu } = decodeGbcsMessage(command);
    return Buffer.concat([Buffer.from([0xdf]), apdu.signedData, Buffer.from([0x00])]);
  } catch {
    return undefined; // undecodable: the command's own view says why
  }
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
    } else if (c && 'localCommand' in c) {
      // CV 2: the DCC hands the command to the User, who delivers it to the device over the HAN
      gbcs.push(gbcsView(`command for local delivery (${source})`, c.localCommand.gbcsPayload));
      fields.push({ label: 'LocalCommand', value: `${c.localCommand.gbcsPayload.length} bytes, for the User to deliver to the device; see GBCS below` });
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

/** A command the DCC originated on its own (src/dcc/recovery.ts): its order, the GBCS it sent and the device's answer. */
function recoveryViews(log: RequestLogRecord, gbcs: GbcsView[]): DuisView[] {
  const text = log.requestXml.toString('utf8');
  if (text === '') return [{ title: 'DCC order', xml: '', fields: [], error: PRUNED }];
  let order: { event?: string; requestedBy?: string; reason?: string; gbcsCommand?: string };
  try {
    order = JSON.parse(text) as typeof order;
  } catch (e) {
    return [{ title: 'DCC order', xml: text, fields: [], error: `not the DCC's order: ${(e as Error).message}` }];
  }
  const { gbcsCommand, ...shown } = order;
  if (gbcsCommand) gbcs.push(gbcsView(`the DCC's ${order.event ?? ''} command (no DUIS request)`, Buffer.from(gbcsCommand, 'hex')));
  if (log.responseXml && /^[0-9a-f]+$/i.test(log.responseXml)) gbcs.push(gbcsView('the device\'s response', Buffer.from(log.responseXml, 'hex')));
  const fields: Field[] = [
    { label: 'Event', value: String(order.event) },
    { label: 'Ordered by', value: String(order.requestedBy) },
    { label: 'Reason', value: String(order.reason) },
  ];
  return [{ title: 'DCC order (no DUIS request: the DCC originates the command)', xml: JSON.stringify(shown, null, 2), fields }];
}

/** What the device made of the command, in words: its GBCS answer is among the views, or it sent none. */
function deviceAnswer(log: RequestLogRecord, gbcs: GbcsView[]): string {
  const answered = gbcs.filter((g) => /^(device response|device alert|future-dated alert)/.test(g.source));
  if (log.deviceAlertCode !== null && answered.length) {
    return `the device discarded the command and raised ${answered.map((g) => g.source).join('; ')} (see GBCS below): ${log.finalReason ?? 'no reason given'}. The DCC told the requester ${log.finalResponseCode}.`;
  }
  if (log.deviceAlertCode !== null) {
    return `none: the device discarded the command and sent no GBCS response (alert code ${log.deviceAlertCode}): ${log.finalReason ?? 'no reason given'}. The DCC told the requester ${log.finalResponseCode}.`;
  }
  if (answered.length) return `${answered.map((g) => g.source).join('; ')}: see GBCS below`;
  if (isFailureCode(log.finalResponseCode)) return `none: ${log.finalReason ?? 'the device did not answer'} (${log.finalResponseCode})`;
  return log.finalResponseCode === log.responseCode ? 'not yet: the device holds the command (future-dated) or its answer is still queued' : `answered ${log.finalResponseCode}`;
}

export function requestDetail(world: World, log: RequestLogRecord, outbox: OutboxRecord[]): RequestDetail {
  const gbcs: GbcsView[] = [];
  const recovery = log.path === 'recovery';
  const duis: DuisView[] = recovery ? recoveryViews(log, gbcs) : [requestView(world, log.requestXml.toString('utf8'), gbcs)];
  if (log.responseXml && !recovery) duis.push(responseView('DUIS synchronous response', log.responseXml, gbcs, 'synchronous response'));
  // What the DCC built (the pre-command) and what it actually sent the device (signed, MAC'd), each
  // decoded field by field, beside the device's answer.
  if (log.gbcsCommand && !recovery) {
    const pre = preCommandOf(log.gbcsCommand);
    if (pre) gbcs.push(gbcsView('pre-command the DCC built (before signing and the ACB MAC)', pre));
    gbcs.push(gbcsView('command the DCC sent to the device', log.gbcsCommand));
  }
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
    deviceAnswer: log.gbcsCommand && !recovery ? deviceAnswer(log, gbcs) : null,
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
