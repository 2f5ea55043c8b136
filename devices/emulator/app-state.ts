/**
 * A device's application state: what commands changed in it beyond its trust-anchor cells (DLMS attribute
 * values and ZCL attributes set, HAN joins, device logs, supply and prepayment state, firmware). Plain JSON,
 * persisted per device only once a command changes it (lazily materialised: a never-commanded meter has
 * none, and its reads come from the meter model and the clock). Each use-case family owns a named section.
 */

export interface DeviceAppState {
  /** DLMS attribute values commands set: 'class/OBIS/attribute' → the A-XDR Data as hex */
  dlms?: Record<string, string>;
  /** ZCL attribute values commands set: 'cluster/attribute' (hex ids) → 'type:value hex' */
  zcl?: Record<string, string>;
  /** further sections, one per family (e.g. 'han', 'chfDeviceLog', 'supply', 'prepayment', 'firmware') */
  [section: string]: unknown;
}

/** The section `name` of the state, created with `init` when absent (the draft is the caller's copy). */
export function appSection<T>(app: DeviceAppState, name: string, init: () => T): T {
  if (app[name] === undefined) app[name] = init();
  return app[name] as T;
}

export function cloneAppState(app: DeviceAppState): DeviceAppState {
  return structuredClone(app);
}
