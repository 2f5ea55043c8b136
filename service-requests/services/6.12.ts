/** 6.12 Update Device Configuration (Instantaneous Power Threshold): the ESME's low/medium and medium/high power thresholds (ECS34); 6.2.5 reads them back. */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution } from './configuration-commands.ts';

const { Sequence, checkAttributes, readUnsigned, textEl, writeExecution } = bodyKit;

interface Body { kind: 'UpdateDeviceConfigurationInstantaneousPowerThreshold'; executionDateTime?: Date; lowMedium: number; mediumHigh: number }

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationInstantaneousPowerThreshold',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const lowMedium = readUnsigned(s.required('LowMediumPowerThreshold'), `${path}/sr:LowMediumPowerThreshold`, 0xffffffff, 'unsignedInt');
    const mediumHigh = readUnsigned(s.required('MediumHighPowerThreshold'), `${path}/sr:MediumHighPowerThreshold`, 0xffffffff, 'unsignedInt');
    s.end();
    return { kind: 'UpdateDeviceConfigurationInstantaneousPowerThreshold', ...exec, lowMedium, mediumHigh };
  },
  write: (b) => writeExecution(b.executionDateTime) + textEl('LowMediumPowerThreshold', String(b.lowMedium)) + textEl('MediumHighPowerThreshold', String(b.mediumHigh)),
};

export const updateDeviceConfigurationPowerThreshold = deviceCommandService({
  variant: '6.12',
  displayName: 'Update Device Configuration (Instantaneous Power Threshold)',
  body,
  sender: 'supplier',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the power thresholds', {
    // the register activation's thresholds (class 21 0-0:16.0.0.255 attribute 2)
    ESME: (b, { counter }) => ({ useCase: 'ECS34', messageCode: 0x0047, payload: dlmsAccess(counter, [['set', 21, '0000100000FF', 2, dlms.array([dlms.dlu(b.lowMedium), dlms.dlu(b.mediumHigh)])]]) }),
  }),
  example: { name: 'update-power-thresholds', body: () => ({ kind: 'UpdateDeviceConfigurationInstantaneousPowerThreshold' as const, lowMedium: 2300, mediumHigh: 4600 }) },
  describe: (b) => [{ label: 'LowMediumPowerThreshold', value: String(b.lowMedium) }, { label: 'MediumHighPowerThreshold', value: String(b.mediumHigh) }],
});
