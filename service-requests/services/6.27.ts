/** 6.27 Update Device Configuration (RMS Voltage Counter Reset): the network operator resets the ESME's average RMS over/under-voltage counters (ECS29e, single phase). */
import { dlms } from '../../devices/index.ts';
import { deviceCommandService, executionOnlyBody } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc } from './configuration-commands.ts';
import { counterResets } from './voltage-objects.ts';

export const updateRmsVoltageCounterReset = deviceCommandService({
  variant: '6.27',
  displayName: 'Update Device Configuration (RMS Voltage Counter Reset)',
  body: executionOnlyBody('UpdateDeviceConfigurationRMSVoltageCounterReset'),
  sender: 'networkOperator',
  steps: [notHeldByTheDcc],
  // ECS29f resets three phases' counters; the inventory does not say whether an ESME is polyphase, so phase 1's are reset.
  command: byDeviceType('the RMS voltage counter reset', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS29e', messageCode: 0x00d3, payload: dlmsAccess(counter, counterResets(1).map(([c, o, m]) => ['action', c, o, m, dlms.integer(0)] as const)) }),
  }),
  example: { name: 'reset-voltage-counters', body: () => ({ kind: 'UpdateDeviceConfigurationRMSVoltageCounterReset' as const }) },
});
