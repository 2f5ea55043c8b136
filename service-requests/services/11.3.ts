/**
 * 11.3 Activate Firmware: the supplier tells a meter to run the image with this hash (CS06, critical), at once
 * or at ExecutionDateTime (the meter answers "accepted" and later raises 0x00CA 8F66 or 8F67); 3000-12-31
 * cancels a held activation. The meter activates only an image it holds (11.1 distributed it) with that hash.
 */
import { CANCELLATION_DATE_TIME, encodeActivateFirmwareCommand } from '../../devices/index.ts';
import { bodyKit } from '../duis/index.ts';
import type { Element } from '@xmldom/xmldom';
import { criticalDeviceCommandService } from './device-command.ts';
import { imageHash } from './firmware-commands.ts';
import { EXAMPLE_FIRMWARE_IMAGE } from './firmware-distribution.ts';

const { Sequence, StructureError, checkAttributes, readDateTime, readString, textEl, writeExecution } = bodyKit;

interface Body {
  kind: 'ActivateFirmware';
  executionDateTime?: Date;
  firmwareHash: Buffer;
}

function readHash(el: Element, path: string): Buffer {
  const s = readString(el, path, 64, 64).trim();
  if (!/^[0-9A-Fa-f]{64}$/.test(s)) throw new StructureError(`${path}: '${s}' is not 32 octets of xs:hexBinary`);
  return Buffer.from(s, 'hex');
}

export const [activateFirmware, activateFirmwareSigned] = criticalDeviceCommandService<Body>({
  variant: '11.3',
  displayName: 'Activate Firmware',
  body: {
    element: 'ActivateFirmware',
    read(item, path) {
      checkAttributes(item, path);
      const s = new Sequence(item, path);
      const exec = s.optional('ExecutionDateTime');
      const firmwareHash = readHash(s.required('FirmwareHash'), `${path}/sr:FirmwareHash`);
      s.end();
      return { kind: 'ActivateFirmware', firmwareHash, ...(exec ? { executionDateTime: readDateTime(exec, `${path}/sr:ExecutionDateTime`) } : {}) };
    },
    write: (b) => writeExecution(b.executionDateTime) + textEl('FirmwareHash', b.firmwareHash.toString('hex').toUpperCase()),
  },
  sender: 'supplier',
  messageCodes: [0x0012],
  // the image 11.1's example distributes: the meter activates what it holds
  example: { name: 'activate-firmware', body: () => ({ kind: 'ActivateFirmware' as const, firmwareHash: imageHash(EXAMPLE_FIRMWARE_IMAGE) }) },
  command(b, type, { counter }) {
    if (type !== 'ESME' && type !== 'GSME') return `dcc-sim activates firmware on an ESME or a GSME, not a ${type}`;
    const exec = b.executionDateTime;
    // DUIS cancels a future-dated request with 3000-12-31; GBCS with 9999-12-31T23:59:59Z.
    const executionDateTime = exec && exec.getUTCFullYear() >= 3000 ? CANCELLATION_DATE_TIME : exec;
    return { useCase: 'CS06', messageCode: 0x0012, payload: encodeActivateFirmwareCommand({ imageHash: b.firmwareHash, counter, ...(executionDateTime ? { executionDateTime } : {}) }) };
  },
  describe: (b) => [
    { label: 'FirmwareHash', value: b.firmwareHash.toString('hex').toUpperCase() },
    ...(b.executionDateTime ? [{ label: 'ExecutionDateTime', value: b.executionDateTime.toISOString() }] : []),
  ],
});
