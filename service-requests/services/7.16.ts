/**
 * 7.16 Limit APC Level: a Load Controller limits an ESME's auxiliary proportional controller (APC) to a level
 * between two times (ECS47e, message code 0x011F, script table 0-0:10.0.107.255). Critical: the load controller
 * signs the pre-command with its own digital-signing key, which the ESME holds in its load controller DS cell
 * (remote party role 8).
 *
 * Who may send it: the DUIS service matrix lists no eligible user role for 7.16. RTDS sends it from the ZAZ1
 * Load Controller (90-B3-D5-1F-30-01-00-08), a DCC User in the Other User role, so dcc-sim accepts OU
 * (`assumedUserRoles`); the device then accepts it only from the party its load controller cells name. The
 * sender need not be registered for the meter.
 */
import { apcLevelLimit, controllerLevelBody, type ControllerLevelBody } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

export type LimitApcLevelBody = ControllerLevelBody<'LimitAPCLevel'>;

export const [limitApcLevel, limitApcLevelSigned] = criticalDeviceCommandService<LimitApcLevelBody>({
  variant: '7.16',
  displayName: 'Limit APC Level',
  body: controllerLevelBody('LimitAPCLevel'),
  sender: 'loadController',
  assumedUserRoles: ['OU'],
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47e', messageCode: 0x011f, payload: apcLevelLimit(counter, b.controller, b.start, b.end, b.level, b.inputFromControlledLoad) }
    : `auxiliary proportional controllers are an ESME's, not a ${type}'s`),
  example: {
    name: 'limit-apc',
    body: () => ({ kind: 'LimitAPCLevel' as const, controller: 1, start: new Date(), end: new Date(Date.now() + 3_600_000), level: 50, inputFromControlledLoad: false }),
  },
  describe: (b) => [
    { label: 'Controller', value: String(b.controller) },
    { label: 'From', value: b.start.toISOString() },
    { label: 'To', value: b.end.toISOString() },
    { label: 'Limit', value: `${b.level}${b.inputFromControlledLoad ? ' (input from the controlled load)' : ''}` },
  ],
});
