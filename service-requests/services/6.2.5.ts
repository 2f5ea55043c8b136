/** 6.2.5 Read Device Configuration (Instantaneous Power Thresholds): the ESME's low/medium and medium/high thresholds (ECS26f). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets } from './configuration-commands.ts';

export const readDeviceConfigurationPowerThresholds = deviceCommandService({
  variant: '6.2.5',
  displayName: 'Read Device Configuration (Instantaneous Power Thresholds)',
  body: emptyBody('ReadDeviceConfigurationInstantaneousPowerThresholds'),
  sender: 'supplier',
  command: byDeviceType('the power thresholds', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS26f', messageCode: 0x0040, payload: dlmsGets(counter, [[21, '0000100000FF', 2]]) }),
  }),
  example: { name: 'read-power-thresholds', body: () => ({ kind: 'ReadDeviceConfigurationInstantaneousPowerThresholds' as const }) },
});
