/** 6.31 Read CHF Sub GHz Channel: the sub-GHz channel the dual-band comms hub operates on (DBCH01‡). */
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsGets } from './configuration-commands.ts';

export const readChfSubGhzChannel = deviceCommandService({
  variant: '6.31',
  displayName: 'Read CHF Sub GHz Channel',
  body: emptyBody('ReadCHFSubGHzChannel'),
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('the sub-GHz channel', {
    CHF: (_b, { counter }) => ({ useCase: 'DBCH01', messageCode: 0x010a, viaAcb: true, payload: dlmsGets(counter, [[1, '00005E2C0A02', 2]]) }),
  }),
  example: { name: 'read-sub-ghz-channel', body: () => ({ kind: 'ReadCHFSubGHzChannel' as const }) },
});
