/**
 * The GBCS of DUIS sections 3, 9 and 14 (catalogue.md §1.3, §1.9, §1.14), shared by their modules: the ESME's
 * COSEM objects set or reset (ECS10, 12, 14, 15a/c, 16, 50) and the GSME's (or GPF's) messaging, device
 * management, events and metering cluster commands (GCS07, 09, 11, 31, 36, 44, CS11). Each equals its RTDS
 * SUCCESS COMMAND vector apart from the times and the CIN it carries.
 */
import { createHash } from 'node:crypto';
import { ZclCluster, dlms, encodeAccessRequest, invokeIdFor, obis, type DlmsData } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { NETWORK_MAX_SAMPLES, NETWORK_SAMPLE_SECONDS, clusterCommand, gbz, zclTime } from './gsme-reads.ts';

const { Sequence, checkAttributes, readDateTime, readString, readStringEnum, textEl, writeDateTime, writeExecution, writeString } = bodyKit;

// ------------------------------------------------------------------------------------------------ ESME

/** ESME objects of these services (OBIS as the RTDS vectors address them). */
export const ESME_OBJECTS = {
  /** the supplier message shown on the display (class 1) */
  supplierMessage: obis('0-2:96.13.1.255'),
  /** the date before which tenancy data is withheld (class 1) */
  tenancyRestriction: obis('0-0:94.44.3.2'),
  /** the privacy PIN (class 1) */
  privacyPin: obis('0-0:94.44.3.1'),
  /** the supplier's telephone number and name (class 9000) */
  supplierTelephone: obis('0-0:96.13.0.255'),
  supplierName: obis('0-0:96.13.1.255'),
  /** the customer identification number (class 1) */
  cin: obis('0-3:96.13.1.255'),
  /** the event logs (profile generic, class 7) */
  esmeEventLog: obis('0-0:99.98.0.255'),
  alcsEventLog: obis('0-17:99.98.2.255'),
} as const;

function set(counter: bigint, specs: { classId: number; obis: string }[], data: DlmsData[]): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: specs.map((s) => ({ kind: 'set', classId: s.classId, obis: s.obis, id: 2 })), data });
}

const text = (s: string) => dlms.octets(Buffer.from(s, 'latin1'));

/** ECS10: the supplier message. */
export const esmeDisplayMessage = (counter: bigint, message: string) => set(counter, [{ classId: 1, obis: ESME_OBJECTS.supplierMessage }], [text(message)]);

/** ECS12: the restriction date-time (a DLMS date-time, UTC, deviation and status "not specified"). */
export function esmeRestrictTenancy(counter: bigint, at: Date): Buffer {
  // an octet-string of 12 (09 0C), as RTDS carries it
  return set(counter, [{ classId: 1, obis: ESME_OBJECTS.tenancyRestriction }], [dlms.octets(dlmsDateTime(at))]);
}

function dlmsDateTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  return Buffer.from([y >> 8, y & 0xff, d.getUTCMonth() + 1, d.getUTCDate(), 0xff, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0x00, 0x80, 0x00, 0xff]);
}

/** ECS14: an empty privacy PIN disables it. */
export const esmeDisablePrivacyPin = (counter: bigint) => set(counter, [{ classId: 1, obis: ESME_OBJECTS.privacyPin }], [dlms.octets(Buffer.alloc(0))]);

/** ECS16: telephone number then name. */
export const esmeSupplierName = (counter: bigint, name: string, telephone: string) =>
  set(counter, [{ classId: 9000, obis: ESME_OBJECTS.supplierTelephone }, { classId: 9000, obis: ESME_OBJECTS.supplierName }], [text(telephone), text(name)]);

/** ECS15a/ECS15c: reset (method 1) of the ESME or ALCS event log. */
export function esmeClearEventLog(counter: bigint, log: 'ESME' | 'ALCS'): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{ kind: 'action', classId: 7, obis: log === 'ESME' ? ESME_OBJECTS.esmeEventLog : ESME_OBJECTS.alcsEventLog, id: 1 }],
    data: [dlms.integer(0)],
  });
}

/** ECS50: the CIN. */
export const esmeCin = (counter: bigint, cin: string) => set(counter, [{ classId: 1, obis: ESME_OBJECTS.cin }], [text(cin)]);

// ------------------------------------------------------------------------------------------------ GSME / GPF

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s, 'latin1')]), Buffer.from(s, 'latin1')]);
/** a server-to-client "publish" from the DCC's side (frame control 09, as RTDS) */
const publish = (clusterId: number, commandId: number, payload: Buffer) => ({ ...clusterCommand(clusterId, commandId, payload), frameControl: 0x09 });

/** GCS07 Display Message: message id (the time of issue), control 0, now, until changed (FFFF minutes). */
export const gsmeDisplayMessage = (now: Date, message: string) =>
  gbz([publish(ZclCluster.messaging, 0x00, Buffer.concat([le32(zclTime(now)), Buffer.from([0x00]), le32(0), Buffer.from([0xff, 0xff]), str(message)]))]);

/** GCS09 Publish Change of Tenancy: provider 0, issuer event (time of issue), tariff type 0, the restriction time, control. */
export const gpfRestrictTenancy = (now: Date, at: Date) =>
  gbz([publish(ZclCluster.deviceManagement, 0x00, Buffer.concat([le32(0), le32(zclTime(now)), Buffer.from([0x00]), le32(zclTime(at)), le32(0x00000200)]))]);

/** GCS44 Publish Change of Supplier: provider, event, tariff type, proposed provider, now, control, name, contact. */
export const gsmeSupplierName = (now: Date, name: string, telephone: string) =>
  gbz([publish(ZclCluster.deviceManagement, 0x01, Buffer.concat([le32(0), le32(zclTime(now)), Buffer.from([0x00]), le32(0), le32(0), le32(0x00001800), str(name), str(telephone)]))]);

/** GCS11 Request New Password Response: event, now, no duration, password type 2 (the privacy PIN), empty: disabled. */
export const gsmeDisablePrivacyPin = (now: Date) =>
  gbz([publish(ZclCluster.deviceManagement, 0x02, Buffer.concat([le32(zclTime(now)), le32(0), Buffer.from([0x00, 0x00, 0x02, 0x00])]))]);

/** The events cluster (not in the codec's cluster list). */
export const EVENTS_CLUSTER = 0x0709;
/** CS11 Clear Event Log Request: log id 3, the general event log. */
export const gsmeClearEventLog = () => gbz([clusterCommand(EVENTS_CLUSTER, 0x01, Buffer.from([0x03]))]);

/** GCS36 Update CIN: event, now, provider 0, the CIN. */
export const gsmeCin = (now: Date, cin: string) =>
  gbz([publish(ZclCluster.deviceManagement, 0x06, Buffer.concat([le32(zclTime(now)), le32(0), le32(0), str(cin)]))]);

/** GCS31 Start Sampling: event, now, consumption, every 360 s, at most 41 samples (4 hours of network data). */
export function gsmeStartSampling(now: Date): Buffer {
  const p = Buffer.alloc(5);
  p.writeUInt16LE(NETWORK_SAMPLE_SECONDS, 1);
  p.writeUInt16LE(NETWORK_MAX_SAMPLES, 3);
  return gbz([clusterCommand(ZclCluster.metering, 0x07, Buffer.concat([le32(zclTime(now)), le32(0), p]))]);
}

/**
 * A Customer Identification Number: four digits the DCC draws for the request, from the request's counter and
 * time (the same request gives the same CIN; consecutive requests give unrelated ones).
 */
export function cinFor(counter: bigint, now: Date): string {
  const h = createHash('sha256').update(`${counter}:${now.toISOString()}`).digest();
  return String(h.readUInt32BE(0) % 10_000).padStart(4, '0');
}

// ------------------------------------------------------------------------------------------------ bodies

export interface FutureDated {
  executionDateTime?: Date;
}

/** Reads the FutureDatedAbstractType's optional ExecutionDateTime, then `rest`. */
export function futureDatedBody<const K extends string, T extends object>(
  element: K,
  rest: (s: InstanceType<typeof Sequence>, path: string) => T,
  write: (b: T) => string,
): BodyCodec<{ kind: K } & FutureDated & T> {
  return {
    element: element as ({ kind: K } & FutureDated & T)['kind'],
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      const fields = rest(s, path);
      s.end();
      return { kind: element, ...(exec ? { executionDateTime: readDateTime(exec, `${path}/sr:ExecutionDateTime`) } : {}), ...fields } as { kind: K } & FutureDated & T;
    },
    write: (b) => writeExecution(b.executionDateTime) + write(b),
  };
}

export const bodies = {
  displayMessage: futureDatedBody(
    'DisplayMessage',
    (s, path) => ({ message: readString(s.required('SupplierMessage'), `${path}/sr:SupplierMessage`, 1, 116) }),
    (b) => textEl('SupplierMessage', writeString(b.message, 'body.message', 1, 116)),
  ),
  restrictTenancy: futureDatedBody(
    'RestrictAccessForChangeOfTenancy',
    (s, path) => ({ restrictionDateTime: readDateTime(s.required('RestrictionDateTime'), `${path}/sr:RestrictionDateTime`) }),
    (b) => textEl('RestrictionDateTime', writeDateTime(b.restrictionDateTime, 'body.restrictionDateTime')),
  ),
  supplierName: futureDatedBody(
    'UpdateSupplierName',
    (s, path) => ({
      name: readString(s.required('SupplierName'), `${path}/sr:SupplierName`, 0, 15),
      telephone: readString(s.required('SupplierTelephoneNumber'), `${path}/sr:SupplierTelephoneNumber`, 0, 18),
    }),
    (b) => textEl('SupplierName', writeString(b.name, 'body.name', 0, 15)) + textEl('SupplierTelephoneNumber', writeString(b.telephone, 'body.telephone', 0, 18)),
  ),
  clearEventLog: {
    element: 'ClearEventLog',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const el = s.optional('ESMEEventLogType');
      s.end();
      return el ? { kind: 'ClearEventLog', log: readStringEnum(el, `${path}/sr:ESMEEventLogType`, ['ESME', 'ALCS'], 'ESME event log type') as 'ESME' | 'ALCS' } : { kind: 'ClearEventLog' };
    },
    write: (b) => (b.log ? textEl('ESMEEventLogType', b.log) : ''),
  } satisfies BodyCodec<{ kind: 'ClearEventLog'; log?: 'ESME' | 'ALCS' }> as BodyCodec<{ kind: 'ClearEventLog'; log?: 'ESME' | 'ALCS' }>,
};
