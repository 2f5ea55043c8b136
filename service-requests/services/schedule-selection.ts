/** The body of 5.2 Read Schedule and 5.3 Delete Schedule: one schedule by its DSPScheduleID, or a device's. */
import { DCC_EUI, dashedEui, type Eui } from '../../pki/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import type { BodyField, ServiceModule } from '../service.ts';

const { Sequence, StructureError, checkAttributes, displayName, readEui, readInteger, textEl, writeEui } = bodyKit;

export type ScheduleSelection<K extends string> = { kind: K; scheduleId: number } | { kind: K; deviceId: Eui };

export function scheduleSelectionBody<const K extends string>(element: K): BodyCodec<ScheduleSelection<K>> {
  return {
    element,
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const c = s.peek();
      if (c?.localName === 'DSPScheduleID') {
        s.take();
        s.end();
        return { kind: element, scheduleId: Number(readInteger(c, `${path}/sr:DSPScheduleID`, 0n, 1_000_000_000_000n, 'scheduleID')) };
      }
      if (c?.localName === 'DeviceID') {
        s.take();
        s.end();
        return { kind: element, deviceId: readEui(c, `${path}/sr:DeviceID`) };
      }
      throw new StructureError(`${path}: expected sr:DSPScheduleID or sr:DeviceID, found ${c ? displayName(c) : 'nothing'}`);
    },
    write: (b) => ('scheduleId' in b ? textEl('DSPScheduleID', String(b.scheduleId)) : textEl('DeviceID', writeEui(b.deviceId, 'body.deviceId'))),
  };
}

export const describeSelection = (b: ScheduleSelection<string>): BodyField[] =>
  ['scheduleId' in b ? { label: 'DSPScheduleID', value: String(b.scheduleId) } : { label: 'DeviceID', value: dashedEui(b.deviceId) }];

export function selectionExample<K extends string>(kind: K, name: string): ServiceModule<ScheduleSelection<K>>['example'] {
  return {
    name,
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      body: { kind, deviceId: ctx.eui },
    }),
  };
}

export const selectionNeeds = (b: ScheduleSelection<string>) => ({ schedules: 'scheduleId' in b ? { id: b.scheduleId } : { deviceEui: b.deviceId } });
