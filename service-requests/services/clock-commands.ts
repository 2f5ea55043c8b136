/**
 * The GBCS of setting a meter's clock, shared by 6.11 Synchronise Clock and 8.1.1 Commission Device (the same
 * use cases, ECS70 on the ESME and GCS28 on the GSME; catalogue.md §3.1, §2.6): the meter is to take the
 * time only if the command reaches it between CurrentDateTime and CurrentDateTime + TolerancePeriod.
 */
import {
  decodeGbcsMessage, dlms, encodeAccessRequest, encodeDlmsDateTime, encodeSetTimeCommand, invokeIdFor, obis, type DeviceType,
} from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import type { GbcsCommand } from './device-command.ts';

const { Sequence, checkAttributes, readDateTime, readInteger, textEl, writeDateTime } = bodyKit;

export interface ClockBody<K extends string> {
  kind: K;
  currentDateTime: Date;
  /** seconds, 0..86400 (sr:tolerancePeriod) */
  tolerancePeriod: number;
}

/** sr:SynchroniseClock, the type of both CommissionDeviceSynchroniseClock and SynchroniseClock. */
export function clockBody<const K extends string>(element: K): BodyCodec<ClockBody<K>> {
  return {
    element,
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const currentDateTime = readDateTime(s.required('CurrentDateTime'), `${path}/sr:CurrentDateTime`);
      const tolerancePeriod = Number(readInteger(s.required('TolerancePeriod'), `${path}/sr:TolerancePeriod`, 0n, 86400n, 'tolerancePeriod: 0..86400 seconds'));
      s.end();
      return { kind: element, currentDateTime, tolerancePeriod };
    },
    write(b) {
      if (!Number.isInteger(b.tolerancePeriod) || b.tolerancePeriod < 0 || b.tolerancePeriod > 86400) throw new RangeError('body.tolerancePeriod: 0..86400 seconds');
      return textEl('CurrentDateTime', writeDateTime(b.currentDateTime, 'body.currentDateTime')) + textEl('TolerancePeriod', String(b.tolerancePeriod));
    },
  };
}

const CLOCK = obis('0-0:1.0.0.255');
/** A DLMS date-time with every field "not specified" (deviation 0x8000): the preset time is the device's own. */
const NOT_SPECIFIED = Buffer.from('ffffffffffffffffff8000ff', 'hex');

/** ECS70: clock base, preset the adjustment window, adjust to it, then read the time and the clock status. */
function ecs70(counter: bigint, from: Date, to: Date): Buffer {
  return encodeAccessRequest({
    invokeId: invokeIdFor(counter),
    specs: [
      { kind: 'set', classId: 8, obis: CLOCK, id: 9 },
      { kind: 'action', classId: 8, obis: CLOCK, id: 5 },
      { kind: 'action', classId: 8, obis: CLOCK, id: 4 },
      { kind: 'get', classId: 8, obis: CLOCK, id: 2 },
      { kind: 'get', classId: 8, obis: CLOCK, id: 4 },
    ],
    data: [
      dlms.enum(5), // clock_base: as RTDS sends it
      dlms.structure(dlms.octets(NOT_SPECIFIED), dlms.octets(encodeDlmsDateTime(from)), dlms.octets(encodeDlmsDateTime(to))),
      dlms.integer(0),
      dlms.null(),
      dlms.null(),
    ],
  });
}

export function setClockCommand(b: ClockBody<string>, type: DeviceType, counter: bigint, commissioning: boolean): GbcsCommand | string {
  const from = b.currentDateTime;
  const to = new Date(from.getTime() + b.tolerancePeriod * 1000);
  if (type === 'ESME') return { useCase: commissioning ? 'ECS70Commission' : 'ECS70', messageCode: 0x0062, payload: ecs70(counter, from, to) };
  if (type === 'GSME') return { useCase: commissioning ? 'GCS28Commission' : 'GCS28', messageCode: 0x007f, payload: encodeSetTimeCommand({ validityStart: from, validityEnd: to }) };
  return `a clock is set on an ESME or a GSME, not a ${type}`;
}

/** Whether the meter's response says it took the time: every DLMS result success, or GCS28 time status 0. */
export function clockWasSet(response: Buffer): boolean {
  const b = decodeGbcsMessage(response).body;
  if (b.kind === 'dlms-response') return b.response.results.every((r) => r.result === 0);
  if (b.kind === 'set-time-response') return b.response.timeStatus === 0;
  return false;
}
