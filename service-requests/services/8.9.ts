/**
 * 8.9 Read Device Log: the devices in a comms hub's device log with their link statistics (CCS05/CCS04, sent
 * by the DCC's ACB for the User), or its PAN backup with the hashed link keys when ReadSecurityDetails is
 * asked (CCS07); on a meter or GPF, the devices joined to it (CS07, from the User). dcc-sim's hubs are
 * single-band, so CCS06 (the dual-band hub's read) is not used.
 */

import { dlms } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { hubAccess } from './han-commands.ts';

const { Sequence, StructureError, checkAttributes, el } = bodyKit;

interface Body {
  kind: 'ReadDeviceLog';
  readSecurityDetails: boolean;
}

const SECOND_NETWORK = '00001E0301FF';

export const readDeviceLog = deviceCommandService<Body>({
  variant: '8.9',
  displayName: 'Read Device Log',
  body: {
    element: 'ReadDeviceLog',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      if (s.optional('ExecutionDateTime')) throw new StructureError(`${path}/sr:ExecutionDateTime: dcc-sim does not hold DSP future-dated Read Device Log requests; send it when it is due`);
      const sec = s.optional('ReadSecurityDetails');
      s.end();
      if (sec) checkAttributes(sec, `${path}/sr:ReadSecurityDetails`);
      return { kind: 'ReadDeviceLog', readSecurityDetails: !!sec };
    },
    write: (b) => (b.readSecurityDetails ? el('ReadSecurityDetails', '') : ''),
  },
  sender: 'supplier',
  originator: (type) => (type === 'CHF' ? 'acb' : 'user'),
  withoutRegistration: (d) => d.type === 'CHF',
  command(b, type, { counter }) {
    if (type === 'CHF') {
      if (b.readSecurityDetails) {
        // back up both networks' PANs
        return { useCase: 'CCS07', messageCode: 0x00fe, payload: hubAccess(counter, [{ kind: 'action', id: 4 }, { kind: 'action', id: 4, obis: SECOND_NETWORK }], [dlms.null(), dlms.null()]) };
      }
      return { useCase: 'CCS05/CCS04', messageCode: 0x0004, payload: hubAccess(counter, [{ kind: 'get', id: 4 }], [dlms.null()]) };
    }
    if (b.readSecurityDetails) return 'ReadSecurityDetails reads a comms hub\'s device log, not a meter\'s';
    if (type === 'ESME' || type === 'GSME' || type === 'GPF') return { useCase: 'CS07', messageCode: 0x0013, payload: Buffer.from([0x05, 0x00]) };
    return `a device log is read from a comms hub, a meter or a GPF, not a ${type}`;
  },
  example: { name: 'read-device-log', body: () => ({ kind: 'ReadDeviceLog' as const, readSecurityDetails: false }) },
  describe: (b) => [{ label: 'ReadSecurityDetails', value: b.readSecurityDetails ? 'yes' : 'no' }],
});
