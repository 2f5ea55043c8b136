/** 11.2 Read Firmware Version: the running version (ECS52 on an ESME, GCS38 on a GSME, CS08 on a PPMID or HCALCS, which the DCC may also ask for itself). */
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
  // A PPMID's or HCALCS's version is read by the DCC's ACB for the User (CS08, as RTDS).
  originator: (type) => (type === 'PPMID' || type === 'HCALCS' ? 'acb' : 'user'),
  // RTDS's CS08 template comes from the DCC itself (its ACB EUI): the DCC reads a PPMID's or HCALCS's version for
  // its own purposes, as it reads any device's credentials (6.24.1). A meter's version is the supplier's to read.
  dccOriginates: ['PPMID', 'HCALCS'],
  command(_b, type, { counter }) {
    if (type === 'ESME') return { useCase: 'ECS52', messageCode: 0x0059, payload: readFirmwareDlms(counter) };
    if (type === 'GSME') return { useCase: 'GCS38', messageCode: 0x0084, payload: readFirmwareGbz() };
    if (type === 'PPMID' || type === 'HCALCS') return { useCase: 'CS08', messageCode: 0x0129, payload: Buffer.from([0x05, 0x00]) };
    return `dcc-sim reads the firmware version of a meter, a PPMID or an HCALCS, not a ${type}`;
  },
  example: { name: 'read-firmware', body: () => ({ kind: 'ReadFirmwareVersion' as const }) },
});
