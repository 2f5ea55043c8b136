/**
 * 6.20.1 Set Device Configuration (Import MPxN): the supplier writes the import MPAN(s) into the ESME (ECS39a;
 * a twin-element meter's two MPANs side by side) or the MPRN into the GSME (GCS41, Update SiteID); 6.2.7 reads
 * them back.
 */
import { ZclCluster, dlms, zigbeeTime } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution, zclCommands } from './configuration-commands.ts';

const { Sequence, checkAttributes, readString, el, textEl, writeExecution, writeString } = bodyKit;

type Body =
  | { kind: 'SetDeviceConfigurationImportMPxN'; executionDateTime?: Date; mpans: [string] | [string, string] }
  | { kind: 'SetDeviceConfigurationImportMPxN'; executionDateTime?: Date; mprn: string };

const body: BodyCodec<Body> = {
  element: 'SetDeviceConfigurationImportMPxN',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const mpans = s.optional('ImportMPANs');
    if (mpans) {
      const p = `${path}/sr:ImportMPANs`;
      const q = new Sequence(mpans, p);
      const first = readString(q.required('ImportMPAN'), `${p}/sr:ImportMPAN`, 13, 13);
      const second = q.optional('SecondaryImportMPAN');
      const list: [string] | [string, string] = second ? [first, readString(second, `${p}/sr:SecondaryImportMPAN`, 13, 13)] : [first];
      q.end();
      s.end();
      return { kind: 'SetDeviceConfigurationImportMPxN', ...exec, mpans: list };
    }
    const mprn = readString(s.required('ImportMPRN'), `${path}/sr:ImportMPRN`, 1, 10);
    s.end();
    return { kind: 'SetDeviceConfigurationImportMPxN', ...exec, mprn };
  },
  write(b) {
    if ('mprn' in b) return writeExecution(b.executionDateTime) + textEl('ImportMPRN', writeString(b.mprn, 'body.mprn', 1, 10));
    const [first, second] = b.mpans;
    return writeExecution(b.executionDateTime) + el('ImportMPANs', textEl('ImportMPAN', writeString(first, 'body.mpans[0]', 13, 13)) + (second ? textEl('SecondaryImportMPAN', writeString(second, 'body.mpans[1]', 13, 13)) : ''));
  },
};

/** Update SiteID: issuer event id (the time of issue) ‖ site id time (0: now) ‖ provider id ‖ the MPRN. */
function updateSiteId(mprn: string, now: Date): Buffer {
  const p = Buffer.alloc(12);
  p.writeUInt32LE(zigbeeTime(now), 0);
  return Buffer.concat([p, Buffer.from([mprn.length]), Buffer.from(mprn, 'latin1')]);
}

export const setDeviceConfigurationImportMpxn = deviceCommandService({
  variant: '6.20.1',
  displayName: 'Set Device Configuration (Import MPxN)',
  body,
  sender: 'supplier',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the import MPxN', {
    ESME: (b, { counter }) => ('mpans' in b
      ? { useCase: 'ECS39a', messageCode: 0x004c, payload: dlmsAccess(counter, [['set', 1, '00005E2C220B', 2, dlms.octets(Buffer.from(b.mpans.join(''), 'latin1'))]]) }
      : 'an ESME takes ImportMPANs, not an ImportMPRN'),
    GSME: (b, { now }) => ('mprn' in b
      ? { useCase: 'GCS41', messageCode: 0x0087, payload: zclCommands([[ZclCluster.deviceManagement, 0x09, 0x03, updateSiteId(b.mprn, now)]]) }
      : 'a GSME takes an ImportMPRN, not ImportMPANs'),
  }),
  example: { name: 'set-import-mpxn', body: (ctx) => (ctx.device?.type === 'GSME' ? { kind: 'SetDeviceConfigurationImportMPxN' as const, mprn: ctx.device.mpxn ?? '1234567890' } : { kind: 'SetDeviceConfigurationImportMPxN' as const, mpans: [ctx.device?.mpxn ?? '1312345678333'] as [string] }) },
  describe: (b) => ['mprn' in b ? { label: 'ImportMPRN', value: b.mprn } : { label: 'ImportMPANs', value: b.mpans.join(', ') }],
});
