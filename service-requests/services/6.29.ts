/** 6.29 Request CHF Sub GHz Channel Scan: the supplier asks the dual-band comms hub to rescan its sub-GHz channels (DBCH05‡: set the scan request 0-0:94.44.10.1). */
import { dlms } from '../../devices/index.ts';
import { deviceCommandService, emptyBody } from './device-command.ts';
import { byDeviceType, chfWithoutRegistration, dlmsAccess } from './configuration-commands.ts';

export const requestChfSubGhzChannelScan = deviceCommandService({
  variant: '6.29',
  displayName: 'Request CHF Sub GHz Channel Scan',
  body: emptyBody('RequestCHFSubGHzChannelScan'),
  sender: 'supplier',
  withoutRegistration: chfWithoutRegistration,
  command: byDeviceType('a sub-GHz channel scan', {
    CHF: (_b, { counter }) => ({ useCase: 'DBCH05', messageCode: 0x010e, viaAcb: true, payload: dlmsAccess(counter, [['set', 1, '00005E2C0A01', 2, dlms.unsigned(0)]]) }),
  }),
  example: { name: 'scan-sub-ghz', body: () => ({ kind: 'RequestCHFSubGHzChannelScan' as const }) },
});
