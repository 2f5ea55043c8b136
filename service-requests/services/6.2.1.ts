/** 6.2.1 Read Device Configuration (Voltage): the ESME's RMS voltage thresholds and periods (ECS26b, single phase). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets } from './configuration-commands.ts';
import { VOLTAGE_SINGLE_PHASE } from './voltage-objects.ts';

export const readDeviceConfigurationVoltage = deviceCommandService({
  variant: '6.2.1',
  displayName: 'Read Device Configuration (Voltage)',
  body: emptyBody('ReadDeviceConfigurationVoltage'),
  sender: 'supplier',
  // ECS26k reads the polyphase set as well; the inventory does not say whether an ESME is polyphase, so the single-phase read is sent.
  command: byDeviceType('the voltage configuration', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS26b', messageCode: 0x003c, payload: dlmsGets(counter, VOLTAGE_SINGLE_PHASE.map(([c, o, a]) => [c, o, a] as const)) }),
  }),
  example: { name: 'read-voltage-configuration', body: () => ({ kind: 'ReadDeviceConfigurationVoltage' as const }) },
});
