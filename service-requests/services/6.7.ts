/**
 * 6.7 Update Device Configuration (Gas Flow): the supplier sets the GSME's uncontrolled-flow threshold and
 * periods (Metering Set Uncontrolled Flow Threshold) and its supply depletion and tamper states (Set Supply
 * Status) (critical): GCS24 with a whole threshold, GCS24a with a decimal one (divisor 10000); 6.2.8 reads them.
 */
import { ZclCluster, zigbeeTime } from '../../devices/index.ts';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { criticalDeviceCommandService } from './device-command.ts';
import { byDeviceType, readScaledDecimal, scaledDecimalText, zclCommands } from './configuration-commands.ts';

const { Sequence, checkAttributes, readUnsigned, readStringEnum, textEl } = bodyKit;

type State = 'Unchanged' | 'Locked';

interface Body {
  kind: 'UpdateDeviceConfigurationGasFlow';
  /** whole units (GCS24), or ten-thousandths when `decimal` (GCS24a) */
  rate: number;
  decimal: boolean;
  depletion: State;
  tamper: State;
  stabilisationPeriod: number;
  measurementPeriod: number;
}

const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationGasFlow',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const whole = s.optional('UncontrolledGasFlowRate');
    const rate = whole
      ? readUnsigned(whole, `${path}/sr:UncontrolledGasFlowRate`, 0xffff, 'unsignedShort')
      : readScaledDecimal(s.required('UncontrolledGasFlowRateDecimal'), `${path}/sr:UncontrolledGasFlowRateDecimal`, 4, 0xffff);
    const depletion = readStringEnum(s.required('SupplyDepletionState'), `${path}/sr:SupplyDepletionState`, ['Unchanged', 'Locked'], 'SupplyDepletionState') as State;
    const tamper = readStringEnum(s.required('SupplyTamperState'), `${path}/sr:SupplyTamperState`, ['Unchanged', 'Locked'], 'SupplyTamperState') as State;
    const stabilisationPeriod = readUnsigned(s.required('StabilisationPeriod'), `${path}/sr:StabilisationPeriod`, 255, '1-255');
    const measurementPeriod = readUnsigned(s.required('MeasurementPeriod'), `${path}/sr:MeasurementPeriod`, 65535, '1-65535');
    if (stabilisationPeriod < 1 || measurementPeriod < 1) throw new bodyKit.StructureError(`${path}: the periods are positive integers`);
    s.end();
    return { kind: 'UpdateDeviceConfigurationGasFlow', rate, decimal: !whole, depletion, tamper, stabilisationPeriod, measurementPeriod };
  },
  write: (b) => (b.decimal ? textEl('UncontrolledGasFlowRateDecimal', scaledDecimalText(b.rate, 4)) : textEl('UncontrolledGasFlowRate', String(b.rate)))
    + textEl('SupplyDepletionState', b.depletion) + textEl('SupplyTamperState', b.tamper)
    + textEl('StabilisationPeriod', String(b.stabilisationPeriod)) + textEl('MeasurementPeriod', String(b.measurementPeriod)),
};

/** ZCL supply states: 0x03 unchanged; a lock closes the valve (0x00 supply off) [inferred: RTDS shows only Unchanged]. */
const SUPPLY: Record<State, number> = { Unchanged: 0x03, Locked: 0x00 };

function gasFlow(b: Body, now: Date): Buffer {
  // Set Uncontrolled Flow Threshold: provider id 0 ‖ issuer event id ‖ threshold ‖ unit (m³) ‖ multiplier 1 ‖ divisor ‖ stabilisation ‖ measurement period
  const t = Buffer.alloc(18);
  t.writeUInt32LE(zigbeeTime(now), 4);
  t.writeUInt16LE(b.rate, 8);
  t[10] = 0x01;
  t.writeUInt16LE(1, 11);
  t.writeUInt16LE(b.decimal ? 10000 : 1, 13);
  t[15] = b.stabilisationPeriod;
  t.writeUInt16LE(b.measurementPeriod, 16);
  // Set Supply Status: issuer event id ‖ tamper ‖ depletion ‖ uncontrolled flow (0, as RTDS) ‖ load limit (unchanged)
  const st = Buffer.alloc(8);
  st.writeUInt32LE(zigbeeTime(now), 0);
  st[4] = SUPPLY[b.tamper];
  st[5] = SUPPLY[b.depletion];
  st[6] = 0x00;
  st[7] = 0x03;
  return zclCommands([[ZclCluster.metering, 0x01, 0x0e, t], [ZclCluster.metering, 0x01, 0x0d, st]]);
}

export const [updateGasFlow, updateGasFlowSigned] = criticalDeviceCommandService({
  variant: '6.7',
  displayName: 'Update Device Configuration (Gas Flow)',
  body,
  sender: 'supplier',
  command: byDeviceType('the gas flow settings', {
    GSME: (b, { now }) => (b.decimal
      ? { useCase: 'GCS24a', messageCode: 0x00fc, payload: gasFlow(b, now) }
      : { useCase: 'GCS24', messageCode: 0x007d, payload: gasFlow(b, now) }),
  }),
  example: { name: 'gas-flow', body: () => ({ kind: 'UpdateDeviceConfigurationGasFlow' as const, rate: 61680, decimal: false, depletion: 'Unchanged' as const, tamper: 'Unchanged' as const, stabilisationPeriod: 60, measurementPeriod: 300 }) },
  describe: (b) => [{ label: 'UncontrolledGasFlowRate', value: b.decimal ? scaledDecimalText(b.rate, 4) : String(b.rate) }, { label: 'StabilisationPeriod', value: String(b.stabilisationPeriod) }, { label: 'MeasurementPeriod', value: String(b.measurementPeriod) }],
});
