/**
 * 8.7.1 Join Service (Critical): the supplier has a meter join a HAN device, by the join GBCS defines for the
 * pair (han-commands.ts JOINS: CS03A1 for an HCALCS to its ESME). The DCC first checks that the other device
 * is known, fits, and is in the device log of the meter's comms hub (E0807xx, nothing sent otherwise).
 */
import { dashedEui } from '../../pki/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { JOINS, hanDeviceOf, joinCheck, joinCommand, otherDeviceBody } from './han-commands.ts';

export const [joinServiceCritical, joinServiceCriticalSigned] = criticalDeviceCommandService({
  variant: '8.7.1',
  displayName: 'Join Service (Critical)',
  body: otherDeviceBody('JoinServiceCritical'),
  sender: 'supplier',
  // Joined while it is being installed: from the moment it is in its hub's device log.
  statuses: ['Whitelisted', 'InstalledNotCommissioned', 'Commissioned'],
  // a meter and the PPMID (or, for an ESME, the HCALCS) in its comms hub's device log
  example: {
    name: 'join-ppmid',
    prefers: 'hanDevice',
    body: (ctx) => ({ kind: 'JoinServiceCritical' as const, otherDeviceId: hanDeviceOf(ctx) }),
  },
  needs: (b) => ({ inventoryDevices: [b.otherDeviceId], deviceCertificateOf: b.otherDeviceId }),
  steps: [joinCheck(true)],
  command(b, type, { state }) {
    const other = state.inventoryDevices?.get(b.otherDeviceId);
    const join = JOINS.find((j) => j.critical && j.target === type && (!other || j.other === other.type));
    if (!join) return `a ${type} takes no critical join`;
    return joinCommand(join, b.otherDeviceId, state.deviceCertificate, false);
  },
  describe: (b) => [{ label: 'OtherDeviceID', value: dashedEui(b.otherDeviceId) }],
});
