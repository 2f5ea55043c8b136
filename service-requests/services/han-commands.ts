/**
 * What the HAN services share (8.7 join, 8.8 unjoin, 8.9 read device log, 8.11 update the comms hub's device
 * log): the HAN device-type integers, the bodies with an OtherDeviceID, the DCC's checks that a join may be
 * made, and the comms hub's DLMS object (class 104 ZigBee network control 0-0:30.3.0.255; catalogue.md §2.4).
 */
import { dashedEui, isType2, type Eui } from '../../pki/index.ts';
import { HAN_DEVICE_TYPE, decodeGbcsMessage, dlms, encodeAccessRequest, encodeJoinCommand, invokeIdFor, obis, type DeviceType } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import type { Step } from '../pipeline/step.ts';
import type { RequestBody } from '../duis/index.ts';
import type { ExampleContext } from '../service.ts';

const { Sequence, checkAttributes, readEui, textEl, writeEui } = bodyKit;

/** The HAN device-type integer of an inventory device type (undefined: the HAN does not know it). */
export function hanType(type: string): number | undefined {
  // IHD and CAD are one HAN type, "Type 2" (catalogue.md §0.2).
  if (isType2(type)) return HAN_DEVICE_TYPE.Type2;
  return (HAN_DEVICE_TYPE as Record<string, number>)[type];
}

export interface OtherDeviceBody<K extends string> {
  kind: K;
  otherDeviceId: Eui;
}

/** sr:JoinOrUnjoinDevice: the type of the four join and unjoin bodies. */
export function otherDeviceBody<const K extends string>(element: K): BodyCodec<OtherDeviceBody<K>> {
  return {
    element,
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const otherDeviceId = readEui(s.required('OtherDeviceID'), `${path}/sr:OtherDeviceID`);
      s.end();
      return { kind: element, otherDeviceId };
    },
    write: (b) => textEl('OtherDeviceID', writeEui(b.otherDeviceId, 'body.otherDeviceId')),
  };
}

/**
 * The joins GBCS defines, by the target's and the other device's types: the use case, its message code,
 * the join method, and whether it is critical (8.7.1) or not (8.7.2). An HCALCS joins its ESME by method A,
 * a GPF its GSME by method B, a PPMID a meter by method C (with the PPMID's certificate).
 */
export const JOINS: readonly { target: DeviceType | string; other: string; useCase: string; messageCode: number; method: number; critical: boolean }[] = [
  // Method C: the meter takes the PPMID's key-agreement certificate (and the PPMID the meter's), from the SMKI repository.
  { target: 'ESME', other: 'PPMID', useCase: 'CS03C', messageCode: 0x00af, method: 3, critical: true },
  { target: 'GSME', other: 'PPMID', useCase: 'CS03C', messageCode: 0x00af, method: 3, critical: true },
  { target: 'PPMID', other: 'GSME', useCase: 'CS03C', messageCode: 0x00af, method: 3, critical: false },
  { target: 'ESME', other: 'HCALCS', useCase: 'CS03A1', messageCode: 0x000d, method: 0, critical: true },
  { target: 'GSME', other: 'GPF', useCase: 'CS03B', messageCode: 0x000e, method: 2, critical: false },
  { target: 'HCALCS', other: 'ESME', useCase: 'CS03A2', messageCode: 0x00ab, method: 1, critical: true },
  // A PPMID joins its ESME by method A too, sent and signed by the ACB for the supplier (RTDS 8.7.2 CS03A2NonCritical).
  { target: 'PPMID', other: 'ESME', useCase: 'CS03A2', messageCode: 0x00ab, method: 1, critical: false },
  // A Type 2 device (IHD, CAD) joins a meter by method B, MAC only (CS03B: RTDS 8.7.2); the meter holds the join.
  ...(['ESME', 'GSME'] as const).flatMap((target) => (['IHD', 'CAD'] as const).map((other) => ({ target, other, useCase: 'CS03B', messageCode: 0x000e, method: 2, critical: false }))),
];

/** The join command for a body on a target, or why there is none (`certificate`: the other device's, for method C). */
export function joinCommand(join: (typeof JOINS)[number], otherDeviceId: Eui, certificate: Buffer | undefined, acbSigned: boolean) {
  const method = join.method;
  return {
    useCase: join.useCase, messageCode: join.messageCode, acbSigned,
    payload: encodeJoinCommand({ method, otherEui: otherDeviceId, otherType: hanType(join.other)!, ...(method === 3 ? { certificate: certificate ?? Buffer.from([0x30, 0x00]) } : {}) }),
  };
}

/** The examples' other device for a meter's critical join or unjoin: the PPMID on its comms hub, or an ESME's HCALCS. */
export function hanDeviceOf(ctx: ExampleContext): Eui {
  const type = ctx.device?.type;
  const other = type === 'ESME' || type === 'GSME' ? (ctx.sameHub('PPMID') ?? (type === 'ESME' ? ctx.sameHub('HCALCS') : undefined)) : undefined;
  return other ?? ctx.fail('bad-argument', `the example is for a meter whose comms hub serves a PPMID${type === 'GSME' ? '' : ' or an HCALCS'}; ${type ?? 'device'} ${dashedEui(ctx.eui)} is not one`);
}

/** Commands to a PPMID go from the DCC's ACB, which signs them, the supplier its supplementary remote party (RTDS). */
export const byAcbForPpmid = (type: DeviceType): 'acb' | 'user' => (type === 'PPMID' ? 'acb' : 'user');

/** dcc-sim's assignment of the E0807xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0807 = {
  otherUnknown: 'E080702', // the OtherDeviceID is not in the smart metering inventory
  incompatible: 'E080721', // the two device types do not join (or not by this variant: critical or not)
  notInDeviceLog: 'E080722', // the other device is not in the device log of the target's comms hub
  otherStatus: 'E080723', // the other device's status does not allow it to join (decommissioned, withdrawn, suspended)
} as const;

const JOINABLE_STATUSES = ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned'];

/** The DCC's checks before a join: the other device is known, fits the target, and is in the same hub's device log. */
export function joinCheck(critical: boolean): Step {
  return {
    name: 'join',
    run(ctx) {
      const b = ctx.request.body as RequestBody & { otherDeviceId: Eui };
      const target = ctx.device!;
      const other = ctx.ports.device(b.otherDeviceId);
      if (!other) return ctx.reject(Codes0807.otherUnknown, `the other device ${b.otherDeviceId} is not in the smart metering inventory`);
      const join = JOINS.find((j) => j.target === target.type && j.other === other.type);
      if (!join) return ctx.reject(Codes0807.incompatible, `a ${other.type} does not join a ${target.type} (joins: ${JOINS.map((j) => `${j.other} to ${j.target}`).join(', ')})`);
      if (join.critical !== critical) {
        return ctx.reject(Codes0807.incompatible, `a ${other.type} joins a ${target.type} by ${join.useCase}, which is ${join.critical ? 'critical: Join Service (Critical), 8.7.1' : 'not critical: Join Service (Non-Critical), 8.7.2'}`);
      }
      // Pending: pre-notified and in no hub's device log yet.
      if (other.status !== 'Pending' && !JOINABLE_STATUSES.includes(other.status)) return ctx.reject(Codes0807.otherStatus, `the other device ${b.otherDeviceId} is ${other.status}`);
      if (other.status === 'Pending' || !target.commsHubEui || other.commsHubEui !== target.commsHubEui) {
        return ctx.reject(Codes0807.notInDeviceLog, `the other device ${b.otherDeviceId} is not in the device log of ${target.type} ${target.eui}'s comms hub (${target.commsHubEui ?? 'none'})` +
          (other.commsHubEui ? `; it is in ${other.commsHubEui}'s` : '; add it with Update HAN Device Log (8.11)'));
      }
      return `${join.useCase}: the ${other.type} ${b.otherDeviceId} is in the device log of comms hub ${target.commsHubEui}`;
    },
  };
}

export const ZIGBEE_NETWORK = obis('0-0:30.3.0.255');

/** A DLMS ACCESS request on the hub's network objects. */
export function hubAccess(counter: bigint, specs: { kind: 'get' | 'set' | 'action'; id: number; obis?: string }[], data: ReturnType<typeof dlms.null>[]): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: specs.map((s) => ({ kind: s.kind, classId: 104, obis: s.obis ?? ZIGBEE_NETWORK, id: s.id })),
    data,
  });
}

/** A device's DLMS response whose every result is success. */
export function allSucceeded(response: Buffer): boolean {
  const b = decodeGbcsMessage(response).body;
  return b.kind === 'dlms-response' && b.response.results.every((r) => r.result === 0);
}
