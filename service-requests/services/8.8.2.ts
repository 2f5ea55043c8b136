/**
 * 8.8.2 Unjoin Service (Non-Critical): the supplier has a GSME leave its GPF (CS04B, MAC only), or a PPMID
 * leave a device (CS04AC, sent and signed by the DCC's ACB). The device answers 1 when it is not joined.
 */
import { dashedEui } from '../../pki/index.ts';
import { encodeUnjoinCommand } from '../../devices/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byAcbForPpmid, otherDeviceBody } from './han-commands.ts';

export const unjoinServiceNonCritical = deviceCommandService({
  variant: '8.8.2',
  displayName: 'Unjoin Service (Non-Critical)',
  body: otherDeviceBody('UnjoinServiceNonCritical'),
  sender: 'supplier',
  originator: byAcbForPpmid,
  // a gas meter and its GPF (CS04B), both behind the same comms hub
  example: {
    name: 'unjoin-gpf',
    body: (ctx) => ({
      kind: 'UnjoinServiceNonCritical' as const,
      otherDeviceId: (ctx.device?.type === 'GSME' ? ctx.sameHub('GPF') : undefined) ?? ctx.fail('bad-argument', `the example unjoins a GSME and the GPF of its comms hub; ${dashedEui(ctx.eui)} is not such a GSME`),
    }),
  },
  command(b, type) {
    if (type === 'GSME') return { useCase: 'CS04B', messageCode: 0x0010, payload: encodeUnjoinCommand(b.otherDeviceId) };
    if (type === 'PPMID') return { useCase: 'CS04AC', messageCode: 0x000f, payload: encodeUnjoinCommand(b.otherDeviceId), acbSigned: true };
    return `a non-critical unjoin is sent to a GSME or a PPMID, not a ${type}`;
  },
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
