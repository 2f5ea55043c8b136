/** 6.2.7 Read Device Configuration (MPxN): the ESME's import and export MPANs (ECS40) or the GSME's MPRN (GCS46, Metering site id). */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets, zclReads } from './configuration-commands.ts';

export const readDeviceConfigurationMpxn = deviceCommandService({
  variant: '6.2.7',
  displayName: 'Read Device Configuration (MPxN)',
  body: emptyBody('ReadDeviceConfigurationMPxN'),
  sender: 'supplier',
  command: byDeviceType('the MPxN read', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS40', messageCode: 0x004e, payload: dlmsGets(counter, [[1, '00005E2C220B', 2], [1, '0100000002FF', 2]]) }),
    GSME: () => ({ useCase: 'GCS46', messageCode: 0x0089, payload: zclReads([[ZclCluster.metering, [0x0307]]]) }),
  }),
  example: { name: 'read-mpxn', body: () => ({ kind: 'ReadDeviceConfigurationMPxN' as const }) },
});
