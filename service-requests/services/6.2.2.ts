/** 6.2.2 Read Device Configuration (Randomisation): the ESME's randomisation offsets (ECS26c). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, dlmsGets } from './configuration-commands.ts';

export const readDeviceConfigurationRandomisation = deviceCommandService({
  variant: '6.2.2',
  displayName: 'Read Device Configuration (Randomisation)',
  body: emptyBody('ReadDeviceConfigurationRandomisation'),
  sender: 'supplier',
  command: byDeviceType('the randomisation configuration', {
    ESME: (_b, { counter }) => ({ useCase: 'ECS26c', messageCode: 0x003d, payload: dlmsGets(counter, [[1, '00005E2C0000', 2], [1, '00005E2C0002', 2], [1, '00005E2C0001', 2]]) }),
  }),
  example: { name: 'read-randomisation', body: () => ({ kind: 'ReadDeviceConfigurationRandomisation' as const }) },
});
