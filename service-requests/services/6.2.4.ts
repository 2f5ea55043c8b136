/**
 * 6.2.4 Read Device Configuration (Identity Exc MPxN): the device's identity (ECS26m ESME, ECS26n‡ comms hub via
 * the ACB, GCS21m GSME). ECS26e, ECS26i and GCS21e are the earlier use cases, which also read the device's EUI
 * (and the GSME's power source); dcc-sim sends the current ones.
 */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsGets, zclReads } from './configuration-commands.ts';

export const readDeviceConfigurationIdentity = deviceCommandService({
  variant: '6.2.4',
  displayName: 'Read Device Configuration (Identity Exc MPxN)',
  body: emptyBody('ReadDeviceConfigurationIdentityExcMPxN'),
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('the identity read', {
    // device type, model, firmware version, tamper lock
    ESME: (_b, { counter }) => ({ useCase: 'ECS26m', messageCode: 0x00f9, payload: dlmsGets(counter, [[1, '0000600102FF', 2], [1, '0000600104FF', 2], [1, '0000600106FF', 2], [1, '00005E2C0004', 2]]) }),
    CHF: (_b, { counter }) => ({ useCase: 'ECS26n', messageCode: 0x00fa, viaAcb: true, payload: dlmsGets(counter, [[1, '0000600104FF', 2], [1, '0000600106FF', 2]]) }),
    // Basic: model identifier 0x0004, manufacturer 0x0005 (sic, as RTDS reads them); Metering: 0x0608, 0x0607
    GSME: () => ({ useCase: 'GCS21m', messageCode: 0x00fb, payload: zclReads([[ZclCluster.basic, [0x0004, 0x0005]], [ZclCluster.metering, [0x0608, 0x0607]]]) }),
  }),
  example: { name: 'read-identity', body: () => ({ kind: 'ReadDeviceConfigurationIdentityExcMPxN' as const }) },
});
