/** 6.11 Synchronise Clock: the supplier sets an ESME's (ECS70) or GSME's (GCS28) clock (critical). */
import { setClockCommand, clockBody } from './clock-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

export const [synchroniseClock, synchroniseClockSigned] = criticalDeviceCommandService({
  variant: '6.11',
  displayName: 'Synchronise Clock',
  body: clockBody('SynchroniseClock'),
  sender: 'supplier',
  command: (b, type, { counter }) => setClockCommand(b, type, counter, false),
  example: {
    name: 'synchronise-clock',
    // The time the example is made: it is to be sent within the hour.
    body: () => ({ kind: 'SynchroniseClock' as const, currentDateTime: new Date(), tolerancePeriod: 3600 }),
  },
  describe: (b) => [{ label: 'CurrentDateTime', value: b.currentDateTime.toISOString() }, { label: 'TolerancePeriod', value: `${b.tolerancePeriod} s` }],
});
