/**
 * The ESME and CHF as DLMS COSEM objects: an ACCESS request is carried out spec by spec against a table of
 * object behaviours (families/*.ts give them), answered with one Data and one result per spec, in order.
 *
 * An object without a behaviour for an attribute still acts as a meter's would for data it merely holds: a set
 * stores the value in the application state and a later get returns it. A get of an attribute nobody set and no
 * behaviour computes is answered object-undefined; an action with no behaviour succeeds (its effect is in the
 * attributes that other specs of the same command set).
 */
import { DataAccessResult, decodeDlmsData, encodeDlmsData, obisText, type AccessRequest, type AccessResponse, type AccessSpec, type DlmsData } from '../gbcs/dlms.ts';
import type { DeviceAppState } from './app-state.ts';
import type { CommandContext } from './app-use-case.ts';

/** What a behaviour answers: a value (get), or a data-access/action result code, with optional data. */
export type CosemAnswer = DlmsData | { result: number; data?: DlmsData };

export interface CosemObject {
  classId: number;
  /** 12 hex digits, upper case (use obis('0-0:96.3.10.255')) */
  obis: string;
  /** what GBCS calls it, for logs and the console */
  name: string;
  /** computes attribute values (live registers, state); undefined: fall back to the stored value */
  get?(attribute: number, ctx: CommandContext, spec: AccessSpec): CosemAnswer | undefined;
  /** undefined: the value is stored as is */
  set?(attribute: number, value: DlmsData, ctx: CommandContext): CosemAnswer | undefined;
  /** undefined: success */
  action?(method: number, parameter: DlmsData, ctx: CommandContext): CosemAnswer | undefined;
}

export type CosemTable = ReadonlyMap<string, CosemObject>;

export function objectKey(classId: number, obisHex: string): string {
  return `${classId}/${obisHex}`;
}

/** Throws when two behaviours claim one object: the device could not know which one answers. */
export function cosemTable(objects: readonly CosemObject[]): CosemTable {
  const table = new Map<string, CosemObject>();
  for (const o of objects) {
    const key = objectKey(o.classId, o.obis);
    const other = table.get(key);
    if (other) throw new Error(`COSEM object class ${o.classId} ${obisText(o.obis)} is claimed by both '${other.name}' and '${o.name}'`);
    table.set(key, o);
  }
  return table;
}

function attributeKey(classId: number, obisHex: string, attribute: number): string {
  return `${classId}/${obisHex}/${attribute}`;
}

/** The value a command set on this attribute (application state), if any. */
export function storedAttribute(app: DeviceAppState, classId: number, obisHex: string, attribute: number): DlmsData | undefined {
  const hex = app.dlms?.[attributeKey(classId, obisHex, attribute)];
  return hex === undefined ? undefined : decodeDlmsData(Buffer.from(hex, 'hex'));
}

export function storeAttribute(app: DeviceAppState, classId: number, obisHex: string, attribute: number, value: DlmsData): void {
  app.dlms ??= {};
  app.dlms[attributeKey(classId, obisHex, attribute)] = encodeDlmsData(value).toString('hex');
}

function isResult(a: CosemAnswer): a is { result: number; data?: DlmsData } {
  return 'result' in a && !('type' in a);
}

const NULL: DlmsData = { type: 'null' };

/** Carries out every spec of the request in order; the response echoes the invoke id. */
export function runAccess(request: AccessRequest, ctx: CommandContext, table: CosemTable): AccessResponse {
  const data: DlmsData[] = [];
  const results: AccessResponse['results'] = [];
  request.specs.forEach((spec, i) => {
    const object = table.get(objectKey(spec.classId, spec.obis));
    const given = request.data[i] ?? NULL;
    let answer: CosemAnswer | undefined;
    switch (spec.kind) {
      case 'get':
      case 'get-with-selection':
        answer = object?.get?.(spec.id, ctx, spec) ?? storedAttribute(ctx.app, spec.classId, spec.obis, spec.id) ?? { result: DataAccessResult.objectUndefined };
        break;
      case 'set':
      case 'set-with-selection':
        answer = object?.set?.(spec.id, given, ctx);
        if (answer === undefined) {
          storeAttribute(ctx.app, spec.classId, spec.obis, spec.id, given);
          answer = { result: DataAccessResult.success };
        }
        break;
      case 'action':
        answer = object?.action?.(spec.id, given, ctx) ?? { result: DataAccessResult.success };
        break;
    }
    // A with-selection access is answered as the plain one (RTDS: a get-with-selection's result is tagged get).
    const kind = spec.kind === 'get-with-selection' ? 'get' : spec.kind === 'set-with-selection' ? 'set' : spec.kind;
    if (isResult(answer)) {
      data.push(answer.data ?? NULL);
      results.push({ kind, result: answer.result });
    } else {
      data.push(answer);
      results.push({ kind, result: DataAccessResult.success });
    }
  });
  return { invokeId: request.invokeId, data, results };
}
