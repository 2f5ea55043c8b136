/**
 * 6.6 Update Device Configuration (Gas Conversion): the supplier sets the GSME's conversion factor and calorific
 * value (GCS23, critical): Publish Conversion Factor and Publish Calorific Value on the Price cluster, effective
 * now; 6.2.8 reads them back.
 */
import { ZclCluster, zigbeeTime } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, readScaledDecimal, scaledDecimalText, zclCommands } from './configuration-commands.ts';

const { Sequence, checkAttributes, textEl } = bodyKit;

/** Calorific value in tenths of MJ/m³, conversion factor in 1/100000. */
interface Body { kind: 'UpdateDeviceConfigurationGasConversion'; calorificValue: number; conversionFactor: number }

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationGasConversion',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const calorificValue = readScaledDecimal(s.required('CalorificValue'), `${path}/sr:CalorificValue`, 1, 0xffffffff);
    const conversionFactor = readScaledDecimal(s.required('ConversionFactor'), `${path}/sr:ConversionFactor`, 5, 0xffffffff);
    s.end();
    return { kind: 'UpdateDeviceConfigurationGasConversion', calorificValue, conversionFactor };
  },
  write: (b) => textEl('CalorificValue', scaledDecimalText(b.calorificValue, 1)) + textEl('ConversionFactor', scaledDecimalText(b.conversionFactor, 5)),
};

/** issuer event id (the time of issue) ‖ start time 0 (now) ‖ value (uint32) */
function publish(now: Date, value: number, tail: number[]): Buffer {
  const p = Buffer.alloc(12);
  p.writeUInt32LE(zigbeeTime(now), 0);
  p.writeUInt32LE(value, 8);
  return Buffer.concat([p, Buffer.from(tail)]);
}

export const [updateGasConversion, updateGasConversionSigned] = criticalDeviceCommandService({
  variant: '6.6',
  displayName: 'Update Device Configuration (Gas Conversion)',
  body,
  sender: 'supplier',
  command: byDeviceType('the gas conversion', {
    GSME: (b, { now }) => ({
      useCase: 'GCS23', messageCode: 0x007c,
      payload: zclCommands([
        // Publish Conversion Factor ‖ trailing digit 5 (in the high nibble); Publish Calorific Value ‖ unit 1 (MJ/m³) ‖ trailing digit 1
        [ZclCluster.price, 0x09, 0x02, publish(now, b.conversionFactor, [0x50])],
        [ZclCluster.price, 0x09, 0x03, publish(now, b.calorificValue, [0x01, 0x10])],
      ]),
    }),
  }),
  example: { name: 'gas-conversion', body: () => ({ kind: 'UpdateDeviceConfigurationGasConversion' as const, calorificValue: 400, conversionFactor: 102264 }) },
  describe: (b) => [{ label: 'CalorificValue', value: scaledDecimalText(b.calorificValue, 1) }, { label: 'ConversionFactor', value: scaledDecimalText(b.conversionFactor, 5) }],
});
