/**
 * 6.14.2 Update Device Configuration (Auxiliary Load Control Scheduler): the supplier sets when the ESME's
 * auxiliary load control switches turn on and off (ECS46c, critical, future-datable on the device: the calendar
 * and special days take the activation time, 0-0:94.44.128.26 and .35; a date in the year 3000 cancels).
 */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { alcCalendarSets, readAlcCalendar, writeAlcCalendar, type AlcCalendar } from './alc-schedule.ts';
import { byDeviceType, dlmsAccess, dlmsActivation, readExecution, type Access } from './configuration-commands.ts';

const { Sequence, checkAttributes, writeExecution } = bodyKit;

interface Body extends AlcCalendar { kind: 'UpdateDeviceConfigurationALCScheduler'; executionDateTime?: Date }

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationALCScheduler',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const calendar = readAlcCalendar(s, path);
    s.end();
    return { kind: 'UpdateDeviceConfigurationALCScheduler', ...exec, ...calendar };
  },
  write: (b) => writeExecution(b.executionDateTime) + writeAlcCalendar(b),
};

export const [updateAlcScheduler, updateAlcSchedulerSigned] = criticalDeviceCommandService({
  variant: '6.14.2',
  displayName: 'Update Device Configuration (Auxiliary Load Control Scheduler)',
  body,
  sender: 'supplier',
  messageCodes: [0x0054],
  // the ESME's own switch 1 on at 18:00 and off at 22:00 on weekdays, from now on
  example: {
    name: 'alc-scheduler',
    body: () => ({
      kind: 'UpdateDeviceConfigurationALCScheduler' as const,
      schedule: [true, false].map((activate) => ({ switch: 1, activate, specialDays: [], days: [0, 1, 2, 3, 4], time: (activate ? 18 : 22) * 3600, start: {}, end: {} })),
      specialDays: [],
      switches: [{ index: 1, hcalcs: null }],
    }),
  },
  command: byDeviceType('the auxiliary load control calendar', {
    ESME: (b, { counter }) => {
      const activation = dlms.octets(dlmsActivation(b.executionDateTime));
      const specs: Access[] = [
        ...alcCalendarSets(b).map(([c, o, a, d]): Access => ['set', c, o, a, d]),
        ['set', 9000, '00005E2C801A', 6, activation],
        ['set', 9000, '00005E2C8023', 6, activation],
      ];
      return { useCase: 'ECS46c', messageCode: 0x0054, payload: dlmsAccess(counter, specs) };
    },
  }),
  describe: (b) => [{ label: 'Switching times', value: String(b.schedule.length) }, { label: 'Special days', value: String(b.specialDays.length) }],
});
