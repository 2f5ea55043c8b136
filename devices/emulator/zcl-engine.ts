/**
 * The GSME and GPF as ZCL clusters: a GBZ command is carried out component by component against a table of
 * attribute and command behaviours (families/*.ts give them), each answered with one response component.
 *
 * Read Attributes answers each attribute from its behaviour, else from the value a command stored, else
 * Unsupported Attribute. A cluster-specific command without a behaviour is acknowledged with a Default
 * Response (success), as a meter that merely records it would.
 */
import {
  ZclStatus, decodeReadAttributes, encodeDefaultResponse, encodeReadAttributesResponse, encodeZclValue, readZclValue,
  type GbzComponent, type GbzPayload, type ReadAttributeRecord, type ZclValue,
} from '../gbcs/gbz.ts';
import type { DeviceAppState } from './app-state.ts';
import type { CommandContext } from './app-use-case.ts';

export interface ZclAttribute {
  clusterId: number;
  id: number;
  name: string;
  /** computes the value (live registers, state); undefined: the stored value; a number: a ZCL status */
  get?(ctx: CommandContext): ZclValue | number | undefined;
}

export interface ZclCommand {
  clusterId: number;
  commandId: number;
  name: string;
  /** the response components for this command component */
  run(component: GbzComponent, ctx: CommandContext): GbzComponent[];
}

export interface ZclTable {
  attributes: ReadonlyMap<string, ZclAttribute>;
  commands: ReadonlyMap<string, ZclCommand>;
}

const key = (cluster: number, id: number) => `${cluster.toString(16).padStart(4, '0')}/${id.toString(16).padStart(4, '0')}`;

export function zclTable(attributes: readonly ZclAttribute[], commands: readonly ZclCommand[]): ZclTable {
  const a = new Map<string, ZclAttribute>();
  for (const x of attributes) {
    const k = key(x.clusterId, x.id);
    if (a.has(k)) throw new Error(`ZCL attribute ${k} is claimed by both '${a.get(k)!.name}' and '${x.name}'`);
    a.set(k, x);
  }
  const c = new Map<string, ZclCommand>();
  for (const x of commands) {
    const k = key(x.clusterId, x.commandId);
    if (c.has(k)) throw new Error(`ZCL command ${k} is claimed by both '${c.get(k)!.name}' and '${x.name}'`);
    c.set(k, x);
  }
  return { attributes: a, commands: c };
}

export function storedZclAttribute(app: DeviceAppState, clusterId: number, id: number): ZclValue | undefined {
  const text = app.zcl?.[key(clusterId, id)];
  if (text === undefined) return undefined;
  const [type, hex] = text.split(':') as [string, string];
  return readZclValue(Buffer.from(hex, 'hex'), 0, Number(type)).value;
}

export function storeZclAttribute(app: DeviceAppState, clusterId: number, id: number, value: ZclValue): void {
  app.zcl ??= {};
  app.zcl[key(clusterId, id)] = `${value.type}:${encodeZclValue(value).toString('hex')}`;
}

/** A response component answering `c` (server to client, the request's sequence number). */
export function responseComponent(c: GbzComponent, frameControl: number, commandId: number, payload: Buffer): GbzComponent {
  return { control: 0, clusterId: c.clusterId, frameControl, sequence: c.sequence, commandId, payload };
}

export const ZclFrame = {
  /** profile-wide, server to client (Read Attributes Response, Default Response) */
  profileResponse: 0x08,
  /** cluster-specific, server to client, default response disabled */
  clusterResponse: 0x19,
  clusterResponseWithDefault: 0x09,
} as const;

export function defaultResponse(c: GbzComponent, status: number = ZclStatus.success): GbzComponent {
  return responseComponent(c, ZclFrame.profileResponse, 0x0b, encodeDefaultResponse(c.commandId, status));
}

function readAttributes(c: GbzComponent, ctx: CommandContext, table: ZclTable): GbzComponent {
  const records: ReadAttributeRecord[] = decodeReadAttributes(c.payload).map((id) => {
    const got = table.attributes.get(key(c.clusterId, id))?.get?.(ctx) ?? storedZclAttribute(ctx.app, c.clusterId, id);
    if (got === undefined) return { id, status: ZclStatus.unsupportedAttribute };
    if (typeof got === 'number') return { id, status: got };
    return { id, status: ZclStatus.success, value: got };
  });
  return responseComponent(c, ZclFrame.profileResponse, 0x01, encodeReadAttributesResponse(records));
}

/** Carries out every component in order. */
export function runGbz(gbz: GbzPayload, ctx: CommandContext, table: ZclTable): GbzPayload {
  const out: GbzComponent[] = [];
  for (const c of gbz.components) {
    const clusterSpecific = (c.frameControl & 0x03) === 0x01;
    if (!clusterSpecific && c.commandId === 0x00) {
      out.push(readAttributes(c, ctx, table));
      continue;
    }
    const command = clusterSpecific ? table.commands.get(key(c.clusterId, c.commandId)) : undefined;
    out.push(...(command ? command.run(c, ctx) : [defaultResponse(c)]));
  }
  return { components: out };
}
