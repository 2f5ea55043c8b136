/** 6.30 Read CHF Sub GHz Configuration: the dual-band comms hub's sub-GHz configuration (DBCH03‡), as 6.28 set it. */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsGets } from './configuration-commands.ts';

export const readChfSubGhzConfiguration = deviceCommandService({
  variant: '6.30',
  displayName: 'Read CHF Sub GHz Configuration',
  body: emptyBody('ReadCHFSubGHzConfiguration'),
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('the sub-GHz configuration', {
    CHF: (_b, { counter }) => ({ useCase: 'DBCH03', messageCode: 0x010c, viaAcb: true, payload: dlmsGets(counter, [[1, '00005E2C0A00', 2]]) }),
  }),
  example: { name: 'read-sub-ghz', body: () => ({ kind: 'ReadCHFSubGHzConfiguration' as const }) },
});
