/** 6.20.2 Set Device Configuration (Export MPAN): the export MPAN, written into the ESME by the DCC's ACB for the supplier (ECS39b‡); 6.2.7 reads it back. */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution } from './configuration-commands.ts';

const { Sequence, checkAttributes, readString, textEl, writeExecution, writeString } = bodyKit;

interface Body { kind: 'SetDeviceConfigurationExportMPAN'; executionDateTime?: Date; mpan: string }

const body: BodyCodec<Body> = {
  element: 'SetDeviceConfigurationExportMPAN',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const mpan = readString(s.required('ExportMPAN'), `${path}/sr:ExportMPAN`, 13, 13);
    s.end();
    return { kind: 'SetDeviceConfigurationExportMPAN', ...exec, mpan };
  },
  write: (b) => writeExecution(b.executionDateTime) + textEl('ExportMPAN', writeString(b.mpan, 'body.mpan', 13, 13)),
};

export const setDeviceConfigurationExportMpan = deviceCommandService({
  variant: '6.20.2',
  displayName: 'Set Device Configuration (Export MPAN)',
  body,
  sender: 'supplier',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the export MPAN', {
    ESME: (b, { counter }) => ({ useCase: 'ECS39b', messageCode: 0x004d, viaAcb: true, payload: dlmsAccess(counter, [['set', 1, '0100000002FF', 2, dlms.octets(Buffer.from(b.mpan, 'latin1'))]]) }),
  }),
  example: { name: 'set-export-mpan', body: (ctx) => ({ kind: 'SetDeviceConfigurationExportMPAN' as const, mpan: ctx.exportSupplyPoint?.mpxn ?? '1312345678333' }) },
  describe: (b) => [{ label: 'ExportMPAN', value: b.mpan }],
});
