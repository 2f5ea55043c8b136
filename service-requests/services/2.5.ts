/** 2.5 Activate Emergency Credit: the supplier gives a prepayment customer the meter's emergency credit (ECS09, GCS06). Critical. */
import { criticalDeviceCommandService, emptyBody } from './device-command.ts';
import { invokeEmergencyCredit, selectEmergencyCredit } from './prepayment-commands.ts';

export const [activateEmergencyCredit, activateEmergencyCreditSigned] = criticalDeviceCommandService({
  variant: '2.5',
  displayName: 'Activate Emergency Credit',
  body: emptyBody('ActivateEmergencyCredit'),
  sender: 'supplier',
  command(_b, type, { counter }) {
    if (type === 'ESME') return { useCase: 'ECS09', messageCode: 0x0020, payload: invokeEmergencyCredit(counter) };
    if (type === 'GSME') return { useCase: 'GCS06', messageCode: 0x0070, payload: selectEmergencyCredit() };
    return `emergency credit is on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'emergency-credit', body: () => ({ kind: 'ActivateEmergencyCredit' as const }) },
});
