/**
 * 6.14.3 Update Device Configuration (Auxiliary Controller Scheduler): the supplier sets when the ESME's
 * auxiliary controllers (switches, or proportional controllers at a level) change state (ECS46d, critical,
 * future-datable on the device like 6.14.2). Each entry runs script (1 output, or 2 input from the controlled
 * load) ‖ controller ‖ 0x80 + level, as the RTDS ECS46d vectors show.
 */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { calendarSets, indexOf, readDateSpec, readDays, readPeriodAndTime, writeDateSpec, writeDays, writePeriodAndTime, type CalendarEntry, type DateSpec } from './alc-schedule.ts';
import { byDeviceType, dlmsAccess, dlmsActivation, readExecution, type Access } from './configuration-commands.ts';

const { Sequence, checkAttributes, readUnsigned, writeExecution } = bodyKit;

interface ControllerEntry extends Omit<CalendarEntry, 'script'> { controller: number; level: number; input: boolean }

interface Body {
  kind: 'UpdateDeviceConfigurationAuxiliaryControllerScheduler';
  executionDateTime?: Date;
  entries: ControllerEntry[];
  specialDays: { index: number; date: DateSpec }[];
}

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationAuxiliaryControllerScheduler',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const entries = s.repeated('AuxiliaryControllerSchedule', 1, 120).map((e, i): ControllerEntry => {
      const p = `${path}/sr:AuxiliaryControllerSchedule[${i + 1}]`;
      const q = new Sequence(e, p);
      const a = q.required('AuxiliaryControllerAction');
      const ap = `${p}/sr:AuxiliaryControllerAction`;
      const controller = indexOf(a, ap, 5, 'auxiliaryControllerN');
      const r = new Sequence(a, ap);
      const level = readUnsigned(r.required('CommandedStateLevel'), `${ap}/sr:CommandedStateLevel`, 100, 'level 0-100');
      const input = r.optional('InputFromControlledLoad') !== undefined;
      r.end();
      const specialDays = q.repeated('SpecialDaysApplicability', 0, 20).map((d, j) => indexOf(d, `${p}/sr:SpecialDaysApplicability[${j + 1}]`, 20, 'identifier'));
      const days = readDays(q, p);
      const when = readPeriodAndTime(q.required('AuxiliaryControllerSchedulePeriodAndTime'), `${p}/sr:AuxiliaryControllerSchedulePeriodAndTime`);
      q.end();
      return { controller, level, input, specialDays, days, ...when };
    });
    const sp = `${path}/sr:AuxiliaryControllerSpecialDayDefinitions`;
    const specialDays = new Sequence(s.required('AuxiliaryControllerSpecialDayDefinitions'), sp).repeated('AuxiliaryControllerSpecialDayDefinition', 0, 20)
      .map((d, i) => {
        const p = `${sp}/sr:AuxiliaryControllerSpecialDayDefinition[${i + 1}]`;
        return { index: indexOf(d, p, 20, 'identifier'), date: readDateSpec(d, p) };
      });
    s.end();
    return { kind: 'UpdateDeviceConfigurationAuxiliaryControllerScheduler', ...exec, entries, specialDays };
  },
  write: (b) => writeExecution(b.executionDateTime)
    + b.entries.map((e) => `<sr:AuxiliaryControllerSchedule><sr:AuxiliaryControllerAction auxiliaryControllerN="${e.controller}"><sr:CommandedStateLevel>${e.level}</sr:CommandedStateLevel>${e.input ? '<sr:InputFromControlledLoad/>' : ''}</sr:AuxiliaryControllerAction>`
      + e.specialDays.map((i) => `<sr:SpecialDaysApplicability identifier="${i}"/>`).join('') + writeDays(e.days)
      + writePeriodAndTime('AuxiliaryControllerSchedulePeriodAndTime', e) + '</sr:AuxiliaryControllerSchedule>').join('')
    + `<sr:AuxiliaryControllerSpecialDayDefinitions>${b.specialDays.map((d) => `<sr:AuxiliaryControllerSpecialDayDefinition identifier="${d.index}">${writeDateSpec(d.date)}</sr:AuxiliaryControllerSpecialDayDefinition>`).join('')}</sr:AuxiliaryControllerSpecialDayDefinitions>`,
};

export const [updateAuxiliaryControllerScheduler, updateAuxiliaryControllerSchedulerSigned] = criticalDeviceCommandService({
  variant: '6.14.3',
  displayName: 'Update Device Configuration (Auxiliary Controller Scheduler)',
  body,
  sender: 'supplier',
  messageCodes: [0x011a],
  // auxiliary controller 1 to half power at 18:00 and off at 22:00 on weekdays, from now on
  example: {
    name: 'aux-controller-scheduler',
    body: () => ({
      kind: 'UpdateDeviceConfigurationAuxiliaryControllerScheduler' as const,
      entries: [50, 0].map((level) => ({ controller: 1, level, input: false, specialDays: [], days: [0, 1, 2, 3, 4], time: (level ? 18 : 22) * 3600, start: {}, end: {} })),
      specialDays: [],
    }),
  },
  command: byDeviceType('the auxiliary controller calendar', {
    ESME: (b, { counter }) => {
      const activation = dlms.octets(dlmsActivation(b.executionDateTime));
      const entries = b.entries.map((e): CalendarEntry => ({ ...e, script: ((e.input ? 2 : 1) << 12) | (e.controller << 8) | 0x80 | e.level }));
      const specs: Access[] = [
        ...calendarSets(b.specialDays, entries).map(([c, o, a, d]): Access => ['set', c, o, a, d]),
        ['set', 9000, '00005E2C801A', 6, activation],
        ['set', 9000, '00005E2C8023', 6, activation],
      ];
      return { useCase: 'ECS46d', messageCode: 0x011a, payload: dlmsAccess(counter, specs) };
    },
  }),
  describe: (b) => [{ label: 'Schedule entries', value: String(b.entries.length) }, { label: 'Special days', value: String(b.specialDays.length) }],
});
