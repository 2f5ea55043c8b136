/** 6.2.9 Read Device Configuration (Payment Mode): the ESME's payment mode and status (ECS26j) or the GSME's payment control configuration (GCS21j). */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets, zclReads } from './configuration-commands.ts';

export const readDeviceConfigurationPaymentMode = deviceCommandService({
  variant: '6.2.9',
  displayName: 'Read Device Configuration (Payment Mode)',
  body: emptyBody('ReadDeviceConfigurationPaymentMode'),
  sender: 'supplier',
  command: byDeviceType('the payment mode', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS26j', messageCode: 0x00be, payload: dlmsGets(counter, [[111, '0000130000FF', 2]]) }),
    GSME: () => ({ useCase: 'GCS21j', messageCode: 0x00bf, payload: zclReads([[ZclCluster.prepayment, [0x0000]]]) }),
  }),
  example: { name: 'read-payment-mode', body: () => ({ kind: 'ReadDeviceConfigurationPaymentMode' as const }) },
});
