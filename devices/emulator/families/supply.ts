/**
 * Supply control (DUIS 7.1-7.4): the ESME load switch through its disconnect-control object and the script
 * table that drives it (script 51 enable, 52 disable, 54 arm; catalogue.md §2.4), and the GSME valve through
 * the metering cluster's Change Supply command and Supply Status attribute (§2.5). The state lives in the
 * application state's 'supply' section, with the intervals supply was off (the meter model accrues nothing in
 * them).
 */
import { RemotePartyRole } from '../../../pki/index.ts';
import { dlms, obis, DataAccessResult } from '../../gbcs/dlms.ts';
import { ZclCluster, ZclStatus, ZclType } from '../../gbcs/gbz.ts';
import { appSection, type DeviceAppState } from '../app-state.ts';
import type { CosemObject } from '../cosem.ts';
import { responseComponent, ZclFrame, type ZclAttribute, type ZclCommand } from '../zcl-engine.ts';
import { dlmsUseCase, gbzUseCase, type UseCaseFamily } from './kit.ts';

export type SupplyState = 'connected' | 'disconnected' | 'armed';

export interface SupplySection {
  state: SupplyState;
  /** when the state last changed (ISO) */
  since?: string;
  /** intervals supply was off, ISO; the last may be open (no `to`) */
  off: { from: string; to?: string }[];
}

export function supplyOf(app: DeviceAppState): SupplySection {
  return appSection<SupplySection>(app, 'supply', () => ({ state: 'connected', off: [] }));
}

/** Moves the supply to `next` at `now`, keeping the off intervals (armed counts as off until enabled). */
export function changeSupply(app: DeviceAppState, next: SupplyState, now: Date): void {
  const s = supplyOf(app);
  if (s.state === next) return;
  const wasOn = s.state === 'connected';
  const isOn = next === 'connected';
  if (wasOn && !isOn) s.off.push({ from: now.toISOString() });
  if (!wasOn && isOn) {
    const open = s.off[s.off.length - 1];
    if (open && !open.to) open.to = now.toISOString();
  }
  s.state = next;
  s.since = now.toISOString();
}

/** DLMS disconnect control (class 70) control_state: 0 disconnected, 1 connected, 2 ready for reconnection. */
const CONTROL_STATE: Record<SupplyState, number> = { disconnected: 0, connected: 1, armed: 2 };
const SCRIPTS: Record<number, SupplyState> = { 51: 'connected', 52: 'disconnected', 54: 'armed' };

const DISCONNECT_CONTROL = obis('0-0:96.3.10.255');
const SUPPLY_SCRIPT_TABLE = obis('0-0:10.0.106.255');

const cosem: CosemObject[] = [
  {
    classId: 70,
    obis: DISCONNECT_CONTROL,
    name: 'disconnect control',
    get(attribute, ctx) {
      // attribute 2 output_state (boolean), 3 control_state (enum)
      const state = (ctx.app.supply as SupplySection | undefined)?.state ?? 'connected';
      if (attribute === 2) return dlms.boolean(state === 'connected');
      if (attribute === 3) return dlms.enum(CONTROL_STATE[state]);
      return undefined;
    },
  },
  {
    classId: 9,
    obis: SUPPLY_SCRIPT_TABLE,
    name: 'supply control script table',
    action(method, parameter, ctx) {
      if (method !== 1 || parameter.type !== 'long-unsigned') return { result: DataAccessResult.otherReason };
      const next = SCRIPTS[parameter.value];
      if (!next) return { result: DataAccessResult.otherReason };
      changeSupply(ctx.app, next, ctx.now);
      return { result: DataAccessResult.success };
    },
  },
];

/** GSME Supply Status (metering 0x0014): 0 off, 1 off and armed, 2 on. */
const ZCL_SUPPLY_STATUS: Record<SupplyState, number> = { disconnected: 0, armed: 1, connected: 2 };
const SUPPLY_BY_PROPOSED: Record<number, SupplyState> = { 0: 'disconnected', 1: 'armed', 2: 'connected' };

const BATTERY_END = Date.UTC(2035, 0, 1);

const zclAttributes: ZclAttribute[] = [
  {
    clusterId: ZclCluster.metering,
    id: 0x0014,
    name: 'supply status',
    get: (ctx) => ({ type: ZclType.enum8, value: ZCL_SUPPLY_STATUS[(ctx.app.supply as SupplySection | undefined)?.state ?? 'connected'] }),
  },
  {
    clusterId: ZclCluster.metering,
    id: 0x0205,
    name: 'remaining battery life in days',
    // A gas meter's battery is sized to last to the end of its 15-year life; dcc-sim's fleet ends theirs in 2035.
    get: (ctx) => ({ type: ZclType.uint16, value: Math.max(0, Math.min(0xffff, Math.floor((BATTERY_END - ctx.now.getTime()) / 86_400_000))) }),
  },
];

const zclCommands: ZclCommand[] = [
  {
    clusterId: ZclCluster.metering,
    commandId: 0x0b,
    name: 'Change Supply',
    run(c, ctx) {
      // provider id(4) ‖ issuer event id(4) ‖ request time(4) ‖ implementation time(4) ‖ proposed status(1) ‖ control bits(1)
      const p = c.payload;
      const proposed = p.length >= 18 ? SUPPLY_BY_PROPOSED[p[16]!] : undefined;
      // A valve is disabled or armed remotely; opening it takes the consumer's button (GBCS: "armed" then local).
      if (proposed === undefined || proposed === 'connected') {
        return [responseComponent(c, ZclFrame.profileResponse, 0x0b, Buffer.from([c.commandId, ZclStatus.invalidValue]))];
      }
      changeSupply(ctx.app, proposed, ctx.now);
      // Supply Status Response: provider id ‖ issuer event id ‖ implementation time ‖ supply status
      const out = Buffer.concat([p.subarray(0, 8), p.subarray(12, 16), Buffer.from([ZCL_SUPPLY_STATUS[proposed]])]);
      return [responseComponent(c, ZclFrame.clusterResponseWithDefault, 0x0c, out)];
    },
  },
];

const SUPPLIER = [RemotePartyRole.Supplier];

export const SUPPLY: UseCaseFamily = {
  name: 'supply',
  cosem,
  zclAttributes,
  zclCommands,
  useCases: [
    dlmsUseCase({ name: 'ECS42', messageCodes: [0x004f], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true }),
    dlmsUseCase({ name: 'ECS43', messageCodes: [0x0050], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true }),
    dlmsUseCase({ name: 'ECS44', messageCodes: [0x0051], deviceTypes: ['ESME'], roles: SUPPLIER, critical: true }),
    dlmsUseCase({ name: 'ECS45', messageCodes: [0x0052], deviceTypes: ['ESME'], roles: SUPPLIER, critical: false }),
    gbzUseCase({ name: 'GCS32', messageCodes: [0x0081], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true }),
    gbzUseCase({ name: 'GCS39', messageCodes: [0x0085], deviceTypes: ['GSME'], roles: SUPPLIER, critical: true }),
    gbzUseCase({ name: 'GCS33', messageCodes: [0x0082], deviceTypes: ['GSME'], roles: SUPPLIER, critical: false }),
  ],
};
