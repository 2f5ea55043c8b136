/**
 * 6.4.1 Update Device Configuration (Load Limiting General Settings): the supplier sets the ESME's load limit
 * (power threshold, period, restoration period, and whether exceeding it disables supply) (ECS28a, critical,
 * future-datable on the device: each setting takes the activation time; a date in the year 3000 cancels).
 */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, dlmsActivation, readExecution, type Access } from './configuration-commands.ts';

const { Sequence, checkAttributes, readUnsigned, readStringEnum, textEl, writeExecution } = bodyKit;

interface Body {
  kind: 'UpdateDeviceConfigurationLoadLimitingGeneralSettings';
  executionDateTime?: Date;
  period: number;
  threshold: number;
  restorationPeriod: number;
  supplyState: 'Disable' | 'Unchanged';
}

const U32 = 0xffffffff;

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationLoadLimitingGeneralSettings',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const period = readUnsigned(s.required('LoadLimitPeriod'), `${path}/sr:LoadLimitPeriod`, U32, 'unsignedInt');
    const threshold = readUnsigned(s.required('LoadLimitPowerThreshold'), `${path}/sr:LoadLimitPowerThreshold`, U32, 'unsignedInt');
    const restorationPeriod = readUnsigned(s.required('LoadLimitRestorationPeriod'), `${path}/sr:LoadLimitRestorationPeriod`, U32, 'unsignedInt');
    const supplyState = readStringEnum(s.required('LoadLimitSupplyState'), `${path}/sr:LoadLimitSupplyState`, ['Disable', 'Unchanged'], 'LoadLimitSupplyState') as Body['supplyState'];
    s.end();
    return { kind: 'UpdateDeviceConfigurationLoadLimitingGeneralSettings', ...exec, period, threshold, restorationPeriod, supplyState };
  },
  write: (b) => writeExecution(b.executionDateTime) + textEl('LoadLimitPeriod', String(b.period)) + textEl('LoadLimitPowerThreshold', String(b.threshold))
    + textEl('LoadLimitRestorationPeriod', String(b.restorationPeriod)) + textEl('LoadLimitSupplyState', b.supplyState),
};

/** The load-limit settings (class 9000: value a4, activation time a6): disable supply on load limit, threshold, period, restoration period. */
const SETTINGS = ['00005E2C0003', '00005E2C8007', '00005E2C8006', '00005E2C8008'] as const;

export const [updateLoadLimitingGeneralSettings, updateLoadLimitingGeneralSettingsSigned] = criticalDeviceCommandService({
  variant: '6.4.1',
  displayName: 'Update Device Configuration (Load Limiting General Settings)',
  body,
  sender: 'supplier',
  messageCodes: [0x0043],
  command: byDeviceType('the load limiting settings', {
    ESME: (b, { counter }) => {
      const values = [dlms.boolean(b.supplyState === 'Disable'), dlms.dlu(b.threshold), dlms.dlu(b.period), dlms.dlu(b.restorationPeriod)];
      const activation = dlms.octets(dlmsActivation(b.executionDateTime));
      const specs: Access[] = [
        ...SETTINGS.map((o, i): Access => ['set', 9000, o, 4, values[i]!]),
        ...SETTINGS.map((o): Access => ['set', 9000, o, 6, activation]),
      ];
      return { useCase: 'ECS28a', messageCode: 0x0043, payload: dlmsAccess(counter, specs) };
    },
  }),
  example: { name: 'load-limit', body: () => ({ kind: 'UpdateDeviceConfigurationLoadLimitingGeneralSettings' as const, period: 300, threshold: 6900, restorationPeriod: 30, supplyState: 'Disable' as const }) },
  describe: (b) => [
    { label: 'LoadLimitPowerThreshold', value: String(b.threshold) }, { label: 'LoadLimitPeriod', value: String(b.period) },
    { label: 'LoadLimitRestorationPeriod', value: String(b.restorationPeriod) }, { label: 'LoadLimitSupplyState', value: b.supplyState },
    ...(b.executionDateTime ? [{ label: 'ExecutionDateTime', value: b.executionDateTime.toISOString() }] : []),
  ],
});
