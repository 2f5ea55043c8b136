/**
 * 8.7.2 Join Service (Non-Critical): the supplier has a GSME join its GPF (CS03B, method B; MAC only), or a
 * PPMID join its ESME (CS03A2, sent and signed by the DCC's ACB). The DCC first checks that the other device
 * is known and in the device log of the target's comms hub (E0807xx).
 */
import { dashedEui } from '../../pki/index.ts';
import { deviceCommandService } from './device-command.ts';
import { JOINS, byAcbForPpmid, joinCheck, joinCommand, otherDeviceBody } from './han-commands.ts';

export const joinServiceNonCritical = deviceCommandService({
  variant: '8.7.2',
  displayName: 'Join Service (Non-Critical)',
  body: otherDeviceBody('JoinServiceNonCritical'),
  sender: 'supplier',
  // Joined while it is being installed: from the moment it is in its hub's device log.
  statuses: ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned'],
  originator: byAcbForPpmid,
  // a gas meter and its GPF (CS03B), both behind the same comms hub
  example: {
    name: 'join-gpf',
    body: (ctx) => ({
      kind: 'JoinServiceNonCritical' as const,
      otherDeviceId: (ctx.device?.type === 'GSME' ? ctx.sameHub('GPF') : undefined) ?? ctx.fail('bad-argument', `the example joins a GSME and the GPF of its comms hub; ${dashedEui(ctx.eui)} is not such a GSME`),
    }),
  },
  needs: (b) => ({ inventoryDevices: [b.otherDeviceId], deviceCertificateOf: b.otherDeviceId }),
  steps: [joinCheck(false)],
  command(b, type, { state }) {
    const other = state.inventoryDevices?.get(b.otherDeviceId);
    const join = JOINS.find((j) => !j.critical && j.target === type && (!other || j.other === other.type));
    if (!join) return `a ${type} takes no non-critical join`;
    return joinCommand(join, b.otherDeviceId, state.deviceCertificate, type === 'PPMID');
  },
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
