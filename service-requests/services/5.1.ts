/**
 * 5.1 Create Schedule: a User asks the DCC to send one of the schedulable reads to a device on a calendar
 * (daily … yearly, from a start date, optionally to an end date). Non-device: the DCC keeps the schedule and
 * answers I0 with its DSPScheduleID; as the simulated clock passes each occurrence it sends the read on the
 * User's behalf and delivers the device's response as a DSPScheduledMessage (dcc-schedules.ts).
 */
import { DCC_EUI, dashedEui, type DeviceType } from '../../pki/index.ts';
import { serviceFacts } from '../duis/index.ts';
import { Codes } from '../codes.ts';
import { refuse } from '../pipeline/step.ts';
import { serviceByVariant } from '../registry.ts';
import type { ServiceModule } from '../service.ts';
import { createScheduleBody, describeSchedule, nextOccurrence, scheduledRead, scheduleToJson, type CreateScheduleBody } from './dcc-schedules.ts';

/** dcc-sim's assignment of the E0501xx codes the 5.4 XSD defines (the normative table was not available). */
export const Codes0501 = {
  unknownDevice: 'E050101', // the device is not in the smart metering inventory
  notSchedulable: 'E050102', // the scheduled service is not one dcc-sim reads on a schedule, or its variant and read do not agree
  roleNotAllowed: 'E050103', // the sender holds no user role the scheduled service allows
  ended: 'E050105', // the schedule has no occurrence from now on (end date passed)
} as const;

export const createSchedule: ServiceModule<CreateScheduleBody> = {
  ...serviceFacts('5.1'),
  displayName: 'Create Schedule',
  body: createScheduleBody,
  commandVariants: [8],
  endpoints: { 8: 'serviceD' },
  example: {
    name: 'schedule-daily-read',
    build: (ctx) => ({
      originator: ctx.supplyPoint?.supplierEui ?? ctx.fail('no-registration', `no supplier is registered for ${dashedEui(ctx.eui)}`),
      target: DCC_EUI,
      commandVariant: 8,
      body: {
        kind: 'CreateSchedule', frequency: 'Daily', startDate: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
        serviceReference: '4.6', serviceReferenceVariant: '4.6.1', deviceId: ctx.eui,
        read: { element: 'RetrieveImportDailyReadLog', period: { startDateOffset: -1, startTime: '00:00:00', endDateOffset: 0, endTime: '00:00:00' } },
      },
    }),
  },
  describe: describeSchedule,
  needs: (v) => ({ inventoryDevices: [v.request.body.deviceId], schedules: { newId: true } }),
  handle(v, state, dcc) {
    const b = v.request.body;
    const fail = (code: string, reason: string): never => refuse(v, code, 'schedule', reason);
    const device = state.inventoryDevices!.get(b.deviceId) ?? fail(Codes0501.unknownDevice, `device ${dashedEui(b.deviceId)} is not in the smart metering inventory`);
    const service = serviceByVariant(b.serviceReferenceVariant);
    if (!service?.gbcs || service.body.element !== b.read.element || service.reference !== b.serviceReference) {
      fail(Codes0501.notSchedulable, `${b.serviceReference} / ${b.serviceReferenceVariant} with sr:DSP${b.read.element} is not a read dcc-sim sends on a schedule`);
    }
    const scheduled = service!;
    if (!v.sender.userRoles.some((r) => scheduled.userRoles.includes(r))) {
      fail(Codes0501.roleNotAllowed, `${v.sender.name} holds ${v.sender.userRoles.join('/')}; ${scheduled.variant} may be sent by ${scheduled.userRoles.join('/')}`);
    }
    const probe = scheduledRead(scheduleToJson(b), dcc.now).body as never;
    const suits = scheduled.device?.suits(probe, device.type as DeviceType) ?? true;
    if (suits !== true) fail(Codes.deviceType, suits);
    const details = scheduleToJson(b);
    const first = nextOccurrence(details, dcc.now, true) ?? fail(Codes0501.ended, `the schedule ends ${b.endDate}, before now`);
    const id = state.schedules!.newId!;
    return {
      step: { name: 'schedule', detail: `schedule ${id}: ${scheduled.variant} to ${device.type} ${dashedEui(b.deviceId)} ${b.frequency}, first ${first.toISOString()}` },
      answer: { responseCode: Codes.success, content: { dspScheduleId: id } },
      advanceCounter: true,
      schedules: [{ kind: 'add', schedule: { id, originatorEui: v.request.requestId.originator, deviceEui: b.deviceId, serviceVariant: scheduled.variant, details, nextRunAt: first.toISOString() } }],
    };
  },
};
