/**
 * 6.26 Update Device Configuration (Daily Resetting of Tariff Block Counter Matrix): whether the ESME resets its
 * block counters every day at midnight (ECS48, critical): the single-action schedule 0-0:15.1.0.255 runs daily
 * (time 00:00, any date) or never (no time).
 */
import { dlms } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess } from './configuration-commands.ts';

const { Sequence, checkAttributes, readBoolean, textEl, writeBoolean } = bodyKit;

interface Body { kind: 'UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix'; daily: boolean }

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const daily = readBoolean(s.required('DailyTariffBlockCounterMatrixReset'), `${path}/sr:DailyTariffBlockCounterMatrixReset`);
    s.end();
    return { kind: 'UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix', daily };
  },
  write: (b) => textEl('DailyTariffBlockCounterMatrixReset', writeBoolean(b.daily, 'body.daily')),
};

export const [updateDailyBlockCounterReset, updateDailyBlockCounterResetSigned] = criticalDeviceCommandService({
  variant: '6.26',
  displayName: 'Update Device Configuration (Daily Resetting of Tariff Block Counter Matrix)',
  body,
  sender: 'supplier',
  command: byDeviceType('the daily block counter reset', {
    ESME: (b, { counter }) => ({
      useCase: 'ECS48', messageCode: 0x00db,
      // execution time 00:00:00.00 every day, or none (FF: not specified) to stop
      payload: dlmsAccess(counter, [['set', 22, '00000F0100FF', 4, dlms.array([dlms.structure(dlms.octets(b.daily ? '00000000' : 'ffffffff'), dlms.octets('ffffffffff'))])]]),
    }),
  }),
  example: { name: 'daily-block-counter-reset', body: () => ({ kind: 'UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix' as const, daily: true }) },
  describe: (b) => [{ label: 'DailyTariffBlockCounterMatrixReset', value: String(b.daily) }],
});
