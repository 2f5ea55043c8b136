/** 6.4.2 Update Device Configuration (Load Limiting Counter Reset): the supplier resets the ESME's load-limit counter (ECS28b: method 1 of the register 0-0:94.44.42.255). */
import { dlms } from '../../devices/index.ts';
import { deviceCommandService, executionOnlyBody } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc } from './configuration-commands.ts';

export const updateLoadLimitingCounterReset = deviceCommandService({
  variant: '6.4.2',
  displayName: 'Update Device Configuration (Load Limiting Counter Reset)',
  body: executionOnlyBody('UpdateDeviceConfigurationLoadLimitingCounterReset'),
  sender: 'supplier',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the load limiting counter reset', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS28b', messageCode: 0x0044, payload: dlmsAccess(counter, [['action', 3, '00005E2C2AFF', 1, dlms.integer(0)]]) }),
  }),
  example: { name: 'reset-load-limit-counter', body: () => ({ kind: 'UpdateDeviceConfigurationLoadLimitingCounterReset' as const }) },
});
