/**
 * 6.2.3 Read Device Configuration (Billing Calendar): the ESME's billing single-action schedule (ECS26l) or the
 * GSME's billing period (GCS21k, Price cluster Get Billing Period). ECS26d and GCS21d are the same commands under
 * their earlier message codes; dcc-sim sends the current ones.
 */
import { ZclCluster } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets, zclCommands } from './configuration-commands.ts';

/** Get Billing Period: earliest start time 0 (now), minimum issuer event id FFFFFFFF, one period, tariff type 0. */
const GET_BILLING_PERIOD = Buffer.from('00000000ffffffff0100', 'hex');

export const readDeviceConfigurationBillingCalendar = deviceCommandService({
  variant: '6.2.3',
  displayName: 'Read Device Configuration (Billing Calendar)',
  body: emptyBody('ReadDeviceConfigurationBillingCalendar'),
  sender: 'supplier',
  command: byDeviceType('the billing calendar', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS26l', messageCode: 0x00d9, payload: dlmsGets(counter, [[22, '00000F0000FF', 4]]) }),
    GSME: () => ({ useCase: 'GCS21k', messageCode: 0x00da, payload: zclCommands([[ZclCluster.price, 0x01, 0x0b, GET_BILLING_PERIOD]]) }),
  }),
  example: { name: 'read-billing-calendar', body: () => ({ kind: 'ReadDeviceConfigurationBillingCalendar' as const }) },
});
