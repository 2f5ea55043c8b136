/** 11.2 Read Firmware Version: the meter's running version (ECS52 on an ESME, GCS38 on a GSME). */
import { bodyKit } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { readFirmwareDlms, readFirmwareGbz } from './firmware-commands.ts';

const { Sequence, StructureError, checkAttributes } = bodyKit;

export const readFirmwareVersion = deviceCommandService<{ kind: 'ReadFirmwareVersion' }>({
  variant: '11.2',
  displayName: 'Read Firmware Version',
  body: {
    element: 'ReadFirmwareVersion',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      if (s.optional('ExecutionDateTime')) throw new StructureError(`${path}/sr:ExecutionDateTime: dcc-sim does not hold DSP future-dated Read Firmware Version requests; send it when it is due`);
      s.end();
      return { kind: 'ReadFirmwareVersion' };
    },
    write: () => '',
  },
  sender: 'supplier',
  command(_b, type, { counter }) {
    if (type === 'ESME') return { useCase: 'ECS52', messageCode: 0x0059, payload: readFirmwareDlms(counter) };
    if (type === 'GSME') return { useCase: 'GCS38', messageCode: 0x0084, payload: readFirmwareGbz() };
    return `dcc-sim reads the firmware version of an ESME or a GSME, not a ${type}`;
  },
  example: { name: 'read-firmware', body: () => ({ kind: 'ReadFirmwareVersion' as const }) },
});
