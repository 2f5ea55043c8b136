/**
 * 6.2.10 Read Device Configuration (Event And Alert Behaviours): which events the device logs and which alerts it
 * sends. ESME: the supplier's (ECS25r1: alerts, HAN alerts, alarms, logging 0-30:97.98.15..18) or the network
 * operator's (ECS25r2: 0-33:97.98.15 and .18) behaviour bit-strings; GSME: Get Event Configuration for every
 * event (GCS20r, Device Management cluster).
 */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets, zclCommands } from './configuration-commands.ts';

/** Get Event Configuration: event id 0x81FF, "all events" */
const ALL_EVENTS = Buffer.from('ff81', 'hex');

export const readEventAndAlertBehaviours = deviceCommandService({
  variant: '6.2.10',
  displayName: 'Read Device Configuration (Event And Alert Behaviours)',
  body: emptyBody('ReadDeviceConfigurationEventAndAlertBehaviours'),
  sender: 'supplierOrNetworkOperator',
  command: byDeviceType('the event and alert behaviours', {
    ESME: (_b, { counter, sender }) => (sender === 'networkOperator'
      ? { useCase: 'ECS25r2', messageCode: 0x00ef, payload: dlmsGets(counter, [[1, '002161620FFF', 2], [1, '0021616212FF', 2]]) }
      : { useCase: 'ECS25r1', messageCode: 0x00ee, payload: dlmsGets(counter, [[1, '001E61620FFF', 2], [1, '001E616210FF', 2], [1, '001E616211FF', 2], [1, '001E616212FF', 2]]) }),
    GSME: (_b, { sender }) => (sender === 'networkOperator'
      ? 'a GSME\'s event configuration is read by its supplier'
      : { useCase: 'GCS20r', messageCode: 0x00f1, payload: zclCommands([[ZclCluster.deviceManagement, 0x09, 0x05, ALL_EVENTS]]) }),
  }),
  example: { name: 'read-alert-behaviours', body: () => ({ kind: 'ReadDeviceConfigurationEventAndAlertBehaviours' as const }) },
});
