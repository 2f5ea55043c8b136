/**
 * The GBCS of supply control (7.1-7.4), shared by those four services: the ESME's supply script table and
 * disconnect-control object, the GSME's Change Supply command and supply attributes (catalogue.md §2.4, §2.5).
 */
import { ZclCluster, dlms, encodeAccessRequest, encodeGbz, encodeReadAttributes, invokeIdFor, obis, zigbeeTime } from '../../devices/index.ts';

const SUPPLY_SCRIPT_TABLE = obis('0-0:10.0.106.255');

/** ECS42/43/44: run script 51 (enable), 52 (disable) or 54 (arm) of the supply script table. */
export function supplyScript(counter: bigint, scriptId: 51 | 52 | 54): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{ kind: 'action', classId: 9, obis: SUPPLY_SCRIPT_TABLE, id: 1 }],
    data: [dlms.longUnsigned(scriptId)],
  });
}

/** GCS32/GCS39: Change Supply, effective now, to proposed status 0 (off) or 1 (armed). */
export function changeSupply(proposed: 0 | 1, now: Date): Buffer {
  const p = Buffer.alloc(18);
  // provider id 0; issuer event id: the time of issue (ZigBee seconds), as RTDS; request and implementation time 0 = now
  p.writeUInt32LE(zigbeeTime(now), 4);
  p[16] = proposed;
  p[17] = 0x01; // supply control bits: acknowledge required
  return encodeGbz({ components: [{ control: 0, clusterId: ZclCluster.metering, frameControl: 0x01, sequence: 0, commandId: 0x0b, payload: p }] });
}

/** ECS45: get the disconnect control's control_state. */
export function readLoadSwitch(counter: bigint): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [{ kind: 'get', classId: 70, obis: obis('0-0:96.3.10.255'), id: 3 }],
    data: [dlms.null()],
  });
}

/** GCS33: read remaining battery days and supply status. */
export function readValve(): Buffer {
  return encodeGbz({ components: [{ control: 0, clusterId: ZclCluster.metering, frameControl: 0x00, sequence: 0, commandId: 0x00, payload: encodeReadAttributes([0x0205, 0x0014]) }] });
}
