/**
 * 7.13 Set Auxiliary Controller State: the supplier commands an ESME's auxiliary controller (ALCS, HCALCS or APC)
 * to a level between two times; an APC takes it as a percentage, a switch is on only at 100 (ECS47a). Critical.
 */
import { auxiliaryControllerLevel, controllerLevelBody, type ControllerLevelBody } from './auxiliary-commands.ts';
import { criticalDeviceCommandService } from './device-command.ts';

export type SetAuxiliaryControllerStateBody = ControllerLevelBody<'SetAuxiliaryControllerState'>;

export const [setAuxiliaryControllerState, setAuxiliaryControllerStateSigned] = criticalDeviceCommandService<SetAuxiliaryControllerStateBody>({
  variant: '7.13',
  displayName: 'Set Auxiliary Controller State',
  body: controllerLevelBody('SetAuxiliaryControllerState'),
  sender: 'supplier',
  command: (b, type, { counter }) => (type === 'ESME'
    ? { useCase: 'ECS47a', messageCode: 0x011e, payload: auxiliaryControllerLevel(counter, b.controller, b.start, b.end, b.level, b.inputFromControlledLoad) }
    : `auxiliary controllers are an ESME's, not a ${type}'s`),
  example: {
    name: 'aux-controller',
    body: () => ({ kind: 'SetAuxiliaryControllerState' as const, controller: 1, start: new Date(), end: new Date(Date.now() + 3_600_000), level: 100, inputFromControlledLoad: false }),
  },
  describe: (b) => [
    { label: 'Controller', value: String(b.controller) },
    { label: 'From', value: b.start.toISOString() },
    { label: 'To', value: b.end.toISOString() },
    { label: 'Level', value: `${b.level}${b.inputFromControlledLoad ? ' (input from the controlled load)' : ''}` },
  ],
});
