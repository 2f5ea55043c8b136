/**
 * 8.1.1 Commission Device: the supplier sets the meter's clock (ECS70 on an ESME, GCS28 on a GSME; critical),
 * and the DCC records the meter Commissioned when the meter answers that it took the time. A device already
 * Commissioned is refused (E5): it is commissioned once.
 */
import { setClockCommand, clockBody, clockWasSet } from './clock-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

export const [commissionDevice, commissionDeviceSigned] = criticalDeviceCommandService({
  variant: '8.1.1',
  displayName: 'Commission Device',
  body: clockBody('CommissionDeviceSynchroniseClock'),
  sender: 'supplier',
  // Installed and joined to its comms hub (Whitelisted: in the hub's device log), not yet commissioned.
  statuses: ['Whitelisted', 'InstalledNotCommissioned'],
  command: (b, type, { counter }) => setClockCommand(b, type, counter, true),
  afterResponse: (device, _body, now) => ({
    inventory: [{ kind: 'update', eui: device.eui, set: { status: 'Commissioned', commissionedAt: now.toISOString() } }],
    succeeded: clockWasSet,
    detail: `the ${device.type} took the time: Commissioned in the smart metering inventory`,
  }),
  example: {
    name: 'commission',
    // The time the example is made: it is to be sent within the hour.
    body: () => ({ kind: 'CommissionDeviceSynchroniseClock' as const, currentDateTime: new Date(), tolerancePeriod: 3600 }),
  },
  describe: (b) => [{ label: 'CurrentDateTime', value: b.currentDateTime.toISOString() }, { label: 'TolerancePeriod', value: `${b.tolerancePeriod} s` }],
});
