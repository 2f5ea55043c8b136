/**
 * What a service module needs to read and write its own request body element: the schema-checking
 * cursor over child elements, the XSD value readers, and the value writers that check a typed field
 * against its XSD type (a RangeError naming the field when it does not fit).
 */
import type { Element } from '@xmldom/xmldom';
import { dashedEui, parseEui } from '../../pki/index.ts';
import { REMOTE_PARTY_ROLE_NAMES, type RemotePartyRoleName } from './model.ts';
import { FLOOR_MAX } from './values.ts';
import { assertXmlChars, el, textEl } from './xml-write.ts';
import { charLength, formatXsDateTime } from './xsd-types.ts';

export { Sequence, StructureError, checkAttributes, displayName } from './dom.ts';
export {
  formatRequestId, readBase64, readBoolean, readDateTime, readEui, readFloor, readInteger, readRequestId, readString, readStringEnum, readTokenEnum, readUprn, readUnsigned,
} from './values.ts';
export { el, textEl } from './xml-write.ts';
export { parseXsInteger, totalDigits } from './xsd-types.ts';

/** A request body as a service module reads it: `kind` is its element's local name. */
export interface RequestBody {
  kind: string;
}

export interface BodyReadContext {
  /** reads a base64 certificate and records it, so the envelope reader checks it is X.509 (content step) */
  certificate(el: Element, path: string): Buffer;
}

/** One request body element: how it is read from a checked tree, and written back (examples, tests, the console). */
export interface BodyCodec<B extends RequestBody> {
  element: B['kind'];
  /** reads `item` (already known to be sr:<element>); throws StructureError for schema problems */
  read(item: Element, path: string, ctx: BodyReadContext): B;
  /** the element's content (children), unsigned and compact */
  write(body: B): string;
  /** attributes of the element itself, for the few bodies that carry some (7.13 auxiliaryControllerN) */
  attributes?(body: B): Readonly<Record<string, string>>;
}

export function writeBase64(value: unknown, field: string): string {
  if (!(value instanceof Uint8Array)) throw new RangeError(`${field}: expected bytes (Buffer)`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

export function writeRole(value: string, field: string): RemotePartyRoleName {
  if (!(REMOTE_PARTY_ROLE_NAMES as readonly string[]).includes(value)) {
    throw new RangeError(`${field}: ${JSON.stringify(value)} is not one of ${REMOTE_PARTY_ROLE_NAMES.join(', ')}`);
  }
  return value as RemotePartyRoleName;
}

export function writeFloor(value: bigint, field: string): string {
  if (typeof value !== 'bigint' || value < 0n || value > FLOOR_MAX) throw new RangeError(`${field}: must be a bigint in 0..${FLOOR_MAX}`);
  return value.toString();
}

export function writeString(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new RangeError(`${field}: expected a string`);
  assertXmlChars(value, field);
  const n = charLength(value);
  if (n < min || n > max) throw new RangeError(`${field}: ${JSON.stringify(value)} has ${n} characters, expected ${min}..${max}`);
  return value;
}

export function writeEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) throw new RangeError(`${field}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

export function writeEui(value: string, field: string): string {
  try {
    return dashedEui(parseEui(value));
  } catch (e) {
    throw new RangeError(`${field}: ${(e as Error).message}`);
  }
}

/** sr:ExecutionDateTime, or nothing when absent. */
export function writeExecution(d: Date | undefined): string {
  return d === undefined ? '' : textEl('ExecutionDateTime', formatXsDateTime(d));
}

/** An element with no content (XSD empty complex types such as sr:DeleteDevice). */
export function emptyEl(name: string): string {
  return el(name, '');
}

/** An xs:dateTime value (UTC, Z). */
export function writeDateTime(d: Date, field: string): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${field}: expected a valid Date`);
  return formatXsDateTime(d);
}

export function writeBoolean(b: boolean, field: string): string {
  if (typeof b !== 'boolean') throw new RangeError(`${field}: expected a boolean`);
  return b ? 'true' : 'false';
}
