/**
 * The GBCS of the device-configuration services (DUIS section 6, issue 15), shared by their modules: DLMS
 * ACCESS requests made of gets, sets and actions on COSEM objects (ESME, CHF), and GBZ read-attribute
 * components (GSME). Object lists follow the RTDS vectors of each use case (catalogue.md §2.4, §2.5).
 */
import {
  dlms, encodeAccessRequest, encodeDlmsDateTime, encodeGbz, encodeReadAttributes, invokeIdFor, obis,
  type AccessSpec, type DlmsData, type GbzComponent,
} from '../../devices/index.ts';
import type { DeviceType } from '../../pki/index.ts';
import { bodyKit } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import type { Step } from '../pipeline/step.ts';
import type { CommandTime, GbcsCommand } from './device-command.ts';

/** One spec of an ACCESS request with its data (null for a get): [kind, class, OBIS text, attribute or method, data]. */
export type Access = readonly [AccessSpec['kind'], number, string, number, DlmsData?];

export function dlmsAccess(counter: bigint, items: readonly Access[]): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: items.map(([kind, classId, o, id]) => ({ kind, classId, obis: obis(o), id })),
    data: items.map(([, , , , d]) => d ?? dlms.null()),
  });
}

/** Gets of attributes: [class, OBIS text, attribute]. */
export function dlmsGets(counter: bigint, gets: readonly (readonly [number, string, number])[]): Buffer {
  return dlmsAccess(counter, gets.map(([c, o, a]) => ['get', c, o, a] as const));
}

/** A profile-generic (class 7) buffer read between two times (catalogue.md §2.4: range on the clock 0-0:94.44.100.255). */
export function dlmsLogRead(counter: bigint, profile: string, from: Date, to: Date): Buffer {
  const seconds2000 = (d: Date) => Math.floor((d.getTime() - Date.UTC(2000, 0, 1)) / 1000);
  const restricting = dlms.structure(dlms.longUnsigned(1), dlms.octets(obis('0-0:94.44.100.255')), dlms.integer(2), dlms.longUnsigned(0));
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{
      kind: 'get-with-selection', classId: 7, obis: obis(profile), id: 2, selector: 1,
      parameters: dlms.structure(restricting, dlms.dlu(Math.max(0, seconds2000(from))), dlms.dlu(Math.max(0, seconds2000(to))), dlms.array([])),
    }],
    data: [dlms.null()],
  });
}

/** A GBZ of Read Attributes components: [cluster, attribute ids]. */
export function zclReads(reads: readonly (readonly [number, readonly number[]])[]): Buffer {
  return encodeGbz({ components: reads.map(([clusterId, ids], i) => readComponent(clusterId, ids, i)) });
}

/** Components are numbered in the ZCL sequence number from 0, as RTDS numbers them. */
function readComponent(clusterId: number, ids: readonly number[], sequence: number): GbzComponent {
  return { control: 0, clusterId, frameControl: 0x00, sequence, commandId: 0x00, payload: encodeReadAttributes(ids) };
}

/** A GBZ of cluster-specific commands, client to server: [cluster, frame control, command id, payload]. */
export function zclCommands(commands: readonly (readonly [number, number, number, Buffer])[]): Buffer {
  return encodeGbz({ components: commands.map(([clusterId, frameControl, commandId, payload], sequence) => ({ control: 0, clusterId, frameControl, sequence, commandId, payload })) });
}

/**
 * A service's command per device type; other types are refused E11 with what the service applies to. An entry
 * refuses (E11) a body its device type cannot take by returning the reason.
 */
export function byDeviceType<B>(what: string, table: Partial<Record<DeviceType, (body: B, at: CommandTime) => GbcsCommand | string>>) {
  return (body: B, type: DeviceType, at: CommandTime): GbcsCommand | string =>
    table[type]?.(body, at) ?? `${what} applies to ${Object.keys(table).join(' or ')}, not a ${type}`;
}

/** A comms hub is commanded through the ACB and has no registration data of its own. */
export const chfWithoutRegistration = (device: { type: string }): boolean => device.type === 'CHF';

/**
 * The section-6 settings services are DSP future-datable (the DCC would hold the request until its
 * ExecutionDateTime). dcc-sim does not hold requests: one dated later than now is refused, one dated now or
 * earlier is carried out at once.
 */
export const notHeldByTheDcc: Step = {
  name: 'execution',
  run(ctx) {
    const at = (ctx.request.body as { executionDateTime?: Date }).executionDateTime;
    if (!at) return null;
    if (at.getTime() > ctx.ports.now().getTime()) {
      ctx.reject(Codes.invalidRequest, `ExecutionDateTime ${at.toISOString()} is in the future: dcc-sim does not hold DSP future-dated requests; send it without one, or when it falls due`);
    }
    return `ExecutionDateTime ${at.toISOString()} has passed: carried out now`;
  },
};

/** Reads an optional leading sr:ExecutionDateTime (FutureDatedAbstractType). */
export function readExecution(s: InstanceType<typeof bodyKit.Sequence>, path: string): { executionDateTime?: Date } {
  const exec = s.optional('ExecutionDateTime');
  return exec ? { executionDateTime: bodyKit.readDateTime(exec, `${path}/sr:ExecutionDateTime`) } : {};
}

/** DLMS activation times (catalogue.md §2.8): NOW (all zero), NEVER (a cancellation: DUIS dates in the year 3000 and later) or the date. */
export const DLMS_NOW = Buffer.from('0000000000000000008000ff', 'hex');
export const DLMS_NEVER = Buffer.from('ffffffffffffffffff8000ff', 'hex');
export function dlmsActivation(at: Date | undefined): Buffer {
  if (!at) return DLMS_NOW;
  return at.getUTCFullYear() >= 3000 ? DLMS_NEVER : encodeDlmsDateTime(at);
}

/** An xs:decimal with at most `digits` fraction digits, as an integer scaled by 10^digits (e.g. 1.02264 at 5 → 102264). */
export function readScaledDecimal(item: { textContent: string | null }, path: string, digits: number, max: number): number {
  const text = (item.textContent ?? '').trim();
  const m = /^\+?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === '' && !m[2])) throw new bodyKit.StructureError(`${path}: '${text}' is not a non-negative xs:decimal`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) throw new bodyKit.StructureError(`${path}: ${text} has more than ${digits} fraction digits`);
  const v = Number(m[1] || '0') * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(v) || v > max) throw new bodyKit.StructureError(`${path}: ${text} is out of range`);
  return v;
}

export const scaledDecimalText = (v: number, digits: number): string => (digits ? (v / 10 ** digits).toFixed(digits) : String(v));
