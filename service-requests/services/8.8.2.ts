/**
 * 8.8.2 Unjoin Service (Non-Critical): the supplier has a GSME leave its GPF (CS04B, MAC only). The GSME
 * answers 1 when the device is not joined to it.
 */
import { dashedEui } from '../../pki/index.ts';
import { encodeUnjoinCommand } from '../../devices/index.ts';
import { deviceCommandService } from './device-command.ts';
import { otherDeviceBody } from './han-commands.ts';

export const unjoinServiceNonCritical = deviceCommandService({
  variant: '8.8.2',
  displayName: 'Unjoin Service (Non-Critical)',
  body: otherDeviceBody('UnjoinServiceNonCritical'),
  sender: 'supplier',
  command: (b, type) => (type === 'GSME'
    ? { useCase: 'CS04B', messageCode: 0x0010, payload: encodeUnjoinCommand(b.otherDeviceId) }
    : `a non-critical unjoin is sent to a GSME, not a ${type}`),
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
