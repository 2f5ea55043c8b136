/**
 * The GBCS of auxiliary loads (DUIS 7.5-7.15), shared by those services: the ESME's auxiliary load control
 * switches (ALCS/HCALCS) and auxiliary proportional controllers (APC), run through the auxiliary script table
 * 0-0:10.0.103.255, their boost-button membership, randomised offset and descriptive objects (catalogue.md §3.1).
 *
 * Script ids, as the RTDS vectors show them: an ALCS operation is (switch << 8) | 0x11 activate, 0x12 deactivate
 * or 0x20 reset, its duration in 0-0:94.44.(116 + switch).(1 activate | 2 deactivate); an auxiliary controller's
 * commanded level is ((0x10 | n, or 0x20 | n with input from the controlled load) << 8) | level, between the
 * date-times in 0-0:94.44.(116 + n).1 and .2.
 */
import type { Element } from '@xmldom/xmldom';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { dlms, encodeAccessRequest, encodeDlmsDateTime, invokeIdFor, obis, type AccessSpec, type DlmsData } from '../../devices/index.ts';

export const AUXILIARY_SCRIPT_TABLE = obis('0-0:10.0.103.255');

export type AlcsOperation = 'activate' | 'deactivate' | 'reset';
const OPERATION: Record<AlcsOperation, number> = { activate: 0x11, deactivate: 0x12, reset: 0x20 };

/** 0-0:94.44.(116 + n).f: the ALCS durations and the auxiliary controllers' period objects. */
export function auxiliaryObject(n: number, f: 1 | 2): string {
  return obis(`0-0:94.44.${116 + n}.${f}`);
}

function request(counter: bigint, items: [AccessSpec, DlmsData][]): Buffer {
  return encodeAccessRequest({ invokeId: invokeIdFor(counter), specs: items.map(([s]) => s), data: items.map(([, d]) => d) });
}

const get = (classId: number, o: string, id = 2): [AccessSpec, DlmsData] => [{ kind: 'get', classId, obis: o, id }, dlms.null()];

/** ECS47Activate/Deactivate/Reset: a timed override of switch `index` (minutes), or back to its schedule. */
export function alcsOperation(counter: bigint, index: number, op: AlcsOperation, durationMinutes?: number): Buffer {
  const items: [AccessSpec, DlmsData][] = [];
  if (op !== 'reset') items.push([{ kind: 'set', classId: 1, obis: auxiliaryObject(index, op === 'activate' ? 1 : 2), id: 2 }, dlms.longUnsigned(durationMinutes ?? 0)]);
  items.push([{ kind: 'action', classId: 9, obis: AUXILIARY_SCRIPT_TABLE, id: 1 }, dlms.longUnsigned((index << 8) | OPERATION[op])]);
  return request(counter, items);
}

/** ECS62: each listed switch's boost-button membership (0-0:94.44.6.n). */
export function boostMembership(counter: bigint, entries: readonly (readonly [number, boolean])[]): Buffer {
  return request(counter, entries.map(([n, member]) => [{ kind: 'set', classId: 1, obis: obis(`0-0:94.44.6.${n}`), id: 2 }, dlms.boolean(member)]));
}

const SECONDS_2000 = Date.UTC(2000, 0, 1);
const seconds = (d: Date) => Math.floor((d.getTime() - SECONDS_2000) / 1000);

/** ECS61c: the boost button's state, its log between two times, and the five switches' membership. */
export function readBoostButton(counter: bigint, from: Date, to: Date): Buffer {
  const range = dlms.structure(
    dlms.structure(dlms.longUnsigned(1), dlms.octets(obis('0-0:94.44.100.255')), dlms.integer(2), dlms.longUnsigned(0)),
    dlms.dlu(seconds(from)),
    dlms.dlu(seconds(to)),
    dlms.array([]),
  );
  return request(counter, [
    get(1, obis('0-0:94.44.7.255')),
    [{ kind: 'get-with-selection', classId: 7, obis: obis('0-0:99.98.20.255'), id: 2, selector: 1, parameters: range }, dlms.null()],
    ...[1, 2, 3, 4, 5].map((n) => get(1, obis(`0-0:94.44.6.${n}`))),
  ]);
}

/** ECS38: the randomised offset limit (seconds). */
export function randomisedOffsetLimit(counter: bigint, limit: number): Buffer {
  return request(counter, [[{ kind: 'set', classId: 1, obis: obis('0-0:94.44.0.1'), id: 2 }, dlms.longUnsigned(limit)]]);
}

/** ECS47a (supplier, script table 0-0:10.0.103.255): an auxiliary controller's commanded level over a period. */
export function auxiliaryControllerLevel(counter: bigint, n: number, start: Date, end: Date, level: number, input: boolean, table = AUXILIARY_SCRIPT_TABLE): Buffer {
  return request(counter, [
    [{ kind: 'set', classId: 1, obis: auxiliaryObject(n, 1), id: 2 }, dlms.octets(encodeDlmsDateTime(start))],
    [{ kind: 'set', classId: 1, obis: auxiliaryObject(n, 2), id: 2 }, dlms.octets(encodeDlmsDateTime(end))],
    [{ kind: 'action', classId: 9, obis: table, id: 1 }, dlms.longUnsigned((((input ? 0x20 : 0x10) | n) << 8) | level)],
  ]);
}

/** ECS47e's script table (the load controller's, 7.16): its limits' periods are in 0-0:94.44.(116 + n).3 and .4. */
export const APC_LIMIT_SCRIPT_TABLE = obis('0-0:10.0.107.255');

/** ECS47e (load controller): a limit on auxiliary proportional controller n's level over a period. */
export function apcLevelLimit(counter: bigint, n: number, start: Date, end: Date, level: number, input: boolean): Buffer {
  return request(counter, [
    [{ kind: 'set', classId: 1, obis: obis(`0-0:94.44.${116 + n}.3`), id: 2 }, dlms.octets(encodeDlmsDateTime(start))],
    [{ kind: 'set', classId: 1, obis: obis(`0-0:94.44.${116 + n}.4`), id: 2 }, dlms.octets(encodeDlmsDateTime(end))],
    [{ kind: 'action', classId: 9, obis: APC_LIMIT_SCRIPT_TABLE, id: 1 }, dlms.longUnsigned((((input ? 0x20 : 0x10) | n) << 8) | level)],
  ]);
}

const FIVE = [1, 2, 3, 4, 5];
/** descriptions 0-0:94.44.0.1n, identities 0-0:94.44.0.2n, operational data 0-0:94.44.0.3n */
const auxiliaryData = (tens: number, n: number) => obis(`0-0:94.44.0.${tens * 10 + n}`);

/** ECS61a: the switches' descriptions and identities, the auxiliary special days and schedule, and each switch's output state. */
export function readAlcsData(counter: bigint): Buffer {
  return request(counter, [
    ...FIVE.map((n) => get(1, auxiliaryData(1, n))),
    ...FIVE.map((n) => get(1, auxiliaryData(2, n))),
    get(11, obis('0-0:11.0.3.255')),
    get(10, obis('0-0:12.0.2.255')),
    ...FIVE.map((n) => get(70, obis(`0-${n}:96.3.10.255`))),
  ]);
}

/** ECS61e: the auxiliary controllers' identities and operational data. */
export function readAuxiliaryOperationalData(counter: bigint): Buffer {
  return request(counter, [...FIVE.map((n) => get(1, auxiliaryData(2, n))), ...FIVE.map((n) => get(1, auxiliaryData(3, n)))]);
}

/** ECS61d: the auxiliary controllers' descriptions, special days and schedule. */
export function readAuxiliaryConfiguration(counter: bigint): Buffer {
  return request(counter, [...FIVE.map((n) => get(1, auxiliaryData(1, n))), get(11, obis('0-0:11.0.3.255')), get(10, obis('0-0:12.0.2.255'))]);
}

// ---------------------------------------------------------------- body helpers of these services


/** An auxiliary controller commanded (7.13) or limited (7.16) to a level between two times. */
export interface ControllerLevelBody<K extends string> {
  kind: K;
  /** the controller, 1-5 */
  controller: number;
  start: Date;
  end: Date;
  /** 0-100 */
  level: number;
  /** an APC measuring the controlled load's input rather than its output */
  inputFromControlledLoad: boolean;
}

/** The body 7.13 and 7.16 share: auxiliaryControllerN, StartDateTime, EndDateTime, CommandedStateLevel, InputFromControlledLoad. */
export function controllerLevelBody<const K extends string>(element: K): BodyCodec<ControllerLevelBody<K>> {
  const { Sequence, StructureError, checkAttributes, readDateTime, readUnsigned, emptyEl, textEl } = bodyKit;
  return {
    element,
    read(item, path) {
      checkAttributes(item, path, ['auxiliaryControllerN']);
      const controller = readOneToFive(item, path, 'auxiliaryControllerN');
      const s = new Sequence(item, path);
      const start = readDateTime(s.required('StartDateTime'), `${path}/sr:StartDateTime`);
      const end = readDateTime(s.required('EndDateTime'), `${path}/sr:EndDateTime`);
      const level = readUnsigned(s.required('CommandedStateLevel'), `${path}/sr:CommandedStateLevel`, 100, '0..100');
      const input = s.optional('InputFromControlledLoad');
      if (input) new Sequence(input, `${path}/sr:InputFromControlledLoad`).end();
      s.end();
      if (end < start) throw new StructureError(`${path}: EndDateTime is before StartDateTime`);
      return { kind: element, controller, start, end, level, inputFromControlledLoad: input !== undefined };
    },
    attributes: (b) => ({ auxiliaryControllerN: String(b.controller) }),
    write: (b) => textEl('StartDateTime', b.start.toISOString()) + textEl('EndDateTime', b.end.toISOString())
      + textEl('CommandedStateLevel', String(b.level)) + (b.inputFromControlledLoad ? emptyEl('InputFromControlledLoad') : ''),
  };
}

/** An sr:range_1_5 attribute (index, auxiliaryControllerN). */
export function readOneToFive(e: Element, path: string, name: string): number {
  const raw = e.getAttribute(name);
  if (raw === null || !/^\s*0*[1-5]\s*$/.test(raw)) throw new bodyKit.StructureError(`${path}: attribute ${name} must be 1..5, found ${raw === null ? 'none' : JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * The optional sr:ExecutionDateTime of a DSP-future-datable read: the DCC would hold the request until then,
 * which dcc-sim does not do yet, so one that names a time is refused rather than carried out early.
 */
export function noDspFutureDating(s: InstanceType<typeof bodyKit.Sequence>, path: string): void {
  if (s.optional('ExecutionDateTime')) throw new bodyKit.StructureError(`${path}/sr:ExecutionDateTime: dcc-sim does not hold DSP future-dated requests; send it without one`);
}

/** An xs:boolean simple content whose element also carries attributes (the value readers allow none). */
export function readBooleanContent(e: Element, path: string): boolean {
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) throw new bodyKit.StructureError(`${path}: holds an element where a boolean belongs`);
  const v = (e.textContent ?? '').trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new bodyKit.StructureError(`${path}: ${JSON.stringify(v)} is not an xs:boolean (true, false, 1 or 0)`);
}
