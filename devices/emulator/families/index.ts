/**
 * The use-case families the emulators run beyond CS02: one file each (its use cases and the COSEM and ZCL
 * behaviours they act on), one line here. The emulator registry lists their use cases by message code.
 */
import { cosemTable, objectKey, storedAttribute, type CosemObject, type CosemTable } from '../cosem.ts';
import { storedZclAttribute, zclTable, type ZclAttribute, type ZclTable } from '../zcl-engine.ts';
import type { DlmsDefault, UseCaseFamily, ZclDefault } from './kit.ts';
import { SUPPLY } from './supply.ts';
import { TARIFFS } from './tariffs.ts';
import { PREPAYMENT } from './prepayment.ts';
import { AUXILIARY_LOADS } from './auxiliary-loads.ts';
import { CONFIGURATION } from './configuration.ts';
import { EVENT_LOGS } from './event-logs.ts';
import { ESME_READS } from './esme-reads.ts';
import { GSME_READS } from './gsme-reads.ts';
import { DISPLAYS } from './displays.ts';
import { HAN } from './han.ts';
import { FIRMWARE } from './firmware.ts';
import { ALERT_BEHAVIOUR } from './alert-behaviour.ts';

export const FAMILIES: readonly UseCaseFamily[] = [
  SUPPLY,
  TARIFFS,
  PREPAYMENT,
  AUXILIARY_LOADS,
  CONFIGURATION,
  EVENT_LOGS,
  ESME_READS,
  GSME_READS,
  DISPLAYS,
  HAN,
  FIRMWARE,
  ALERT_BEHAVIOUR,
];

let cosem: CosemTable | undefined;
let zcl: ZclTable | undefined;

/** Every family's COSEM behaviours (built on first use: families import this module). */
export function cosemObjects(): CosemTable {
  return (cosem ??= cosemTable(withDlmsDefaults(FAMILIES.flatMap((f) => f.cosem ?? []), FAMILIES.flatMap((f) => f.dlmsDefaults ?? []))));
}

export function zclBehaviours(): ZclTable {
  return (zcl ??= zclTable(withZclDefaults(FAMILIES.flatMap((f) => f.zclAttributes ?? []), FAMILIES.flatMap((f) => f.zclDefaults ?? [])), FAMILIES.flatMap((f) => f.zclCommands ?? [])));
}

/**
 * Factory values answer a get after the object's behaviour and what commands stored: an object with defaults
 * but no behaviour gets one that reads them; an object with both reads its behaviour first.
 */
function withDlmsDefaults(objects: readonly CosemObject[], defaults: readonly DlmsDefault[]): CosemObject[] {
  if (defaults.length === 0) return [...objects];
  const byObject = new Map<string, Map<number, DlmsDefault>>();
  for (const d of defaults) {
    const k = objectKey(d.classId, d.obis);
    const m = byObject.get(k) ?? new Map<number, DlmsDefault>();
    if (m.has(d.attribute)) throw new Error(`two factory values for class ${d.classId} ${d.obis} attribute ${d.attribute}`);
    m.set(d.attribute, d);
    byObject.set(k, m);
  }
  const out = objects.map((o): CosemObject => {
    const m = byObject.get(objectKey(o.classId, o.obis));
    if (!m) return o;
    byObject.delete(objectKey(o.classId, o.obis));
    return { ...o, get: (a, ctx, spec) => o.get?.(a, ctx, spec) ?? storedAttribute(ctx.app, o.classId, o.obis, a) ?? factory(m.get(a), ctx) };
  });
  for (const m of byObject.values()) {
    const first = m.values().next().value!;
    out.push({
      classId: first.classId, obis: first.obis, name: `factory values of class ${first.classId} ${first.obis}`,
      get: (a, ctx) => storedAttribute(ctx.app, first.classId, first.obis, a) ?? factory(m.get(a), ctx),
    });
  }
  return out;
}

function factory<V>(d: { value: V | ((ctx: never) => V) } | undefined, ctx: unknown): V | undefined {
  if (!d) return undefined;
  return typeof d.value === 'function' ? (d.value as (c: unknown) => V)(ctx) : d.value;
}

function withZclDefaults(attributes: readonly ZclAttribute[], defaults: readonly ZclDefault[]): ZclAttribute[] {
  const byKey = new Map(defaults.map((d) => [`${d.clusterId}/${d.id}`, d]));
  if (byKey.size !== defaults.length) throw new Error('two factory values for one ZCL attribute');
  const out = attributes.map((a): ZclAttribute => {
    const d = byKey.get(`${a.clusterId}/${a.id}`);
    if (!d) return a;
    byKey.delete(`${a.clusterId}/${a.id}`);
    return { ...a, get: (ctx) => a.get?.(ctx) ?? storedZclAttribute(ctx.app, a.clusterId, a.id) ?? factory(d, ctx) };
  });
  for (const d of byKey.values()) {
    out.push({ clusterId: d.clusterId, id: d.id, name: `factory value of 0x${d.clusterId.toString(16)}/0x${d.id.toString(16)}`, get: (ctx) => storedZclAttribute(ctx.app, d.clusterId, d.id) ?? factory(d, ctx) });
  }
  return out;
}
// An ESME's prepayment credit drains between commands (caught up as each command arrives).
import '../credit.ts';
