/** 3.5 Disable Privacy PIN: the consumer's display no longer asks for the PIN, on an ESME (ECS14) or a GSME (GCS11). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { esmeDisablePrivacyPin, gsmeDisablePrivacyPin } from './display-commands.ts';

export const disablePrivacyPin = deviceCommandService({
  variant: '3.5',
  displayName: 'Disable Privacy PIN',
  body: emptyBody('DisablePrivacyPIN'),
  sender: 'supplier',
  command(_b, type, { counter, now }) {
    if (type === 'ESME') return { useCase: 'ECS14', messageCode: 0x0023, payload: esmeDisablePrivacyPin(counter) };
    if (type === 'GSME') return { useCase: 'GCS11', messageCode: 0x0073, payload: gsmeDisablePrivacyPin(now) };
    return `a privacy PIN is disabled on an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'disable-privacy-pin', body: () => ({ kind: 'DisablePrivacyPIN' as const }) },
});
