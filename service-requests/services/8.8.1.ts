/**
 * 8.8.1 Unjoin Service (Critical): the supplier has a meter leave a HAN device (CS04AC). The meter answers 1
 * when the device is not joined to it, which the User reads in the response.
 */
import { dashedEui } from '../../pki/index.ts';
import { encodeUnjoinCommand } from '../../devices/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { hanDeviceOf, otherDeviceBody } from './han-commands.ts';

export const [unjoinServiceCritical, unjoinServiceCriticalSigned] = criticalDeviceCommandService({
  variant: '8.8.1',
  displayName: 'Unjoin Service (Critical)',
  body: otherDeviceBody('UnjoinServiceCritical'),
  sender: 'supplier',
  // a meter leaves the PPMID (or HCALCS) on its comms hub: one 8.7.1 joined, or an installation left joined
  example: {
    name: 'unjoin-ppmid',
    prefers: 'hanDevice',
    body: (ctx) => ({ kind: 'UnjoinServiceCritical' as const, otherDeviceId: hanDeviceOf(ctx) }),
  },
  command: (b, type) => (type === 'ESME' || type === 'GSME'
    ? { useCase: 'CS04AC', messageCode: 0x000f, payload: encodeUnjoinCommand(b.otherDeviceId) }
    : `a critical unjoin is sent to an ESME or a GSME, not a ${type}`),
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
