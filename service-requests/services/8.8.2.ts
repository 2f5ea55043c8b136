/**
 * 8.8.2 Unjoin Service (Non-Critical): the supplier has a GSME leave its GPF (CS04B, MAC only), or a PPMID
 * leave a device (CS04AC, sent and signed by the DCC's ACB), or an ESME leave a Type 2 device, an IHD or CAD
 * (CS04B, as its join was CS03B). The device answers 1 when it is not joined.
 */
import { dashedEui, isType2 } from '../../pki/index.ts';
import { encodeUnjoinCommand } from '../../devices/index.ts';
import type { RequestBody } from '../duis/index.ts';
import { Codes } from '../codes.ts';
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
  steps: [{
    name: 'unjoin',
    run(ctx) {
      // An ESME's other unjoins are critical (8.8.1): only a Type 2 device leaves it by CS04B.
      if (ctx.device?.type !== 'ESME') return null;
      const b = ctx.request.body as RequestBody & { otherDeviceId: string };
      const other = ctx.ports.device(b.otherDeviceId);
      if (!other || !isType2(other.type)) {
        return ctx.reject(Codes.deviceType, `an ESME leaves only a Type 2 device (IHD, CAD) by a non-critical unjoin; ${dashedEui(b.otherDeviceId)} is ${other ? `${other.type === 'ESME' ? 'an' : 'a'} ${other.type}: use 8.8.1` : 'not in the inventory'}`);
      }
      return `CS04B: the ${other.type} ${dashedEui(b.otherDeviceId)} leaves the ESME`;
    },
  }],
  command(b, type) {
    if (type === 'ESME' || type === 'GSME') return { useCase: 'CS04B', messageCode: 0x0010, payload: encodeUnjoinCommand(b.otherDeviceId) };
    if (type === 'PPMID') return { useCase: 'CS04AC', messageCode: 0x000f, payload: encodeUnjoinCommand(b.otherDeviceId), acbSigned: true };
    return `a non-critical unjoin is sent to an ESME, a GSME or a PPMID, not a ${type}`;
  },
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
