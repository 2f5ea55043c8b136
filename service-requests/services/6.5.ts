/**
 * 6.5 Update Device Configuration (Voltage): the network operator sets the ESME's RMS voltage thresholds and
 * periods and its average RMS voltage settings, one phase (ECS29a; ECS29c keeping the counters) or three
 * (ECS29b; ECS29d keeping the counters). Unless RMSVoltageCountersNotReset, the over/under counters are reset.
 * The spec order of each use case is the RTDS vectors'.
 */
import { dlms } from '../../devices/index.ts';
import type { Element } from '@xmldom/xmldom';
import { bodyKit, type BodyCodec } from '../duis/index.ts';
import { deviceCommandService } from './device-command.ts';
import { byDeviceType, dlmsAccess, notHeldByTheDcc, readExecution, type Access } from './configuration-commands.ts';
import { RMS_MONITORS, averageOver, averagePeriod, averageUnder, counterResets } from './voltage-objects.ts';

const { Sequence, checkAttributes, readUnsigned, el, textEl, emptyEl, writeExecution } = bodyKit;

const RMS_FIELDS = [
  'RMSExtremeOverVoltageMeasurementPeriod', 'RMSExtremeOverVoltageThreshold', 'RMSExtremeUnderVoltageMeasurementPeriod', 'RMSExtremeUnderVoltageThreshold',
  'RMSVoltageSagMeasurementPeriod', 'RMSVoltageSagThreshold', 'RMSVoltageSwellMeasurementPeriod', 'RMSVoltageSwellThreshold',
] as const;

export interface AverageRmsSettings { over: number; under: number; period: number }

interface Body {
  kind: 'UpdateDeviceConfigurationVoltage';
  executionDateTime?: Date;
  /** [period, threshold] of extreme over, extreme under, sag and swell */
  rms: readonly [number, number][];
  /** one (single phase) or three (phases 1-3, in order) */
  phases: AverageRmsSettings[];
  countersNotReset: boolean;
}

const U32 = 0xffffffff;

function readAverage(item: Element, path: string): AverageRmsSettings {
  const s = new Sequence(item, path);
  const over = readUnsigned(s.required('AverageRMSOverVoltageThreshold'), `${path}/sr:AverageRMSOverVoltageThreshold`, U32, 'unsignedInt');
  const under = readUnsigned(s.required('AverageRMSUnderVoltageThreshold'), `${path}/sr:AverageRMSUnderVoltageThreshold`, U32, 'unsignedInt');
  const period = readUnsigned(s.required('AverageRMSVoltageMeasurementPeriod'), `${path}/sr:AverageRMSVoltageMeasurementPeriod`, U32, 'unsignedInt');
  s.end();
  return { over, under, period };
}

const writeAverage = (a: AverageRmsSettings) =>
  textEl('AverageRMSOverVoltageThreshold', String(a.over)) + textEl('AverageRMSUnderVoltageThreshold', String(a.under)) + textEl('AverageRMSVoltageMeasurementPeriod', String(a.period));



const body: BodyCodec<Body> = {
  element: 'UpdateDeviceConfigurationVoltage',
  read(item, path) {
    checkAttributes(item, path);
    const s = new Sequence(item, path);
    const exec = readExecution(s, path);
    const rmsEl = s.required('RMSVoltageSettings');
    const r = new Sequence(rmsEl, `${path}/sr:RMSVoltageSettings`);
    const values = RMS_FIELDS.map((f) => readUnsigned(r.required(f), `${path}/sr:RMSVoltageSettings/sr:${f}`, U32, 'unsignedInt'));
    r.end();
    const rms = [0, 2, 4, 6].map((i): [number, number] => [values[i]!, values[i + 1]!]);
    let phases: AverageRmsSettings[];
    const single = s.optional('SinglePhaseVoltageSettings');
    if (single) phases = [readAverage(single, `${path}/sr:SinglePhaseVoltageSettings`)];
    else {
      const poly = s.repeated('PolyPhaseVoltageSettings', 3, 3).map((p, i) => {
        const pp = `${path}/sr:PolyPhaseVoltageSettings[${i + 1}]`;
        const q = new Sequence(p, pp);
        const phase = readUnsigned(q.required('Phase'), `${pp}/sr:Phase`, 3, 'Phase 1-3');
        const settings = readAverage(q.required('PhaseVoltageSettings'), `${pp}/sr:PhaseVoltageSettings`);
        q.end();
        return { phase, settings };
      });
      if (poly.map((p) => p.phase).join() !== '1,2,3') throw new bodyKit.StructureError(`${path}: PolyPhaseVoltageSettings must give phases 1, 2 and 3, in that order`);
      phases = poly.map((p) => p.settings);
    }
    const countersNotReset = s.optional('RMSVoltageCountersNotReset') !== undefined;
    s.end();
    return { kind: 'UpdateDeviceConfigurationVoltage', ...exec, rms, phases, countersNotReset };
  },
  write(b) {
    const rms = el('RMSVoltageSettings', b.rms.map(([period, threshold], i) => textEl(RMS_FIELDS[i * 2]!, String(period)) + textEl(RMS_FIELDS[i * 2 + 1]!, String(threshold))).join(''));
    const phases = b.phases.length === 1
      ? el('SinglePhaseVoltageSettings', writeAverage(b.phases[0]!))
      : b.phases.map((p, i) => el('PolyPhaseVoltageSettings', textEl('Phase', String(i + 1)) + el('PhaseVoltageSettings', writeAverage(p)))).join('');
    return writeExecution(b.executionDateTime) + rms + phases + (b.countersNotReset ? emptyEl('RMSVoltageCountersNotReset') : '');
  },
};

const dlu = dlms.dlu;

function voltageCommand(b: Body, counter: bigint) {
  const poly = b.phases.length === 3;
  const n = b.phases.length;
  const monitors: Access[] = RMS_MONITORS.flatMap((o, i): Access[] => [['set', 71, o, 4, dlu(b.rms[i]![1])], ['set', 71, o, 6, dlu(b.rms[i]![0])]]);
  const periods: Access[] = b.phases.map((p, i): Access => ['set', 7, averagePeriod(i + 1), 4, dlu(p.period)]);
  const over = (i: number): Access => ['set', 1, averageOver(i + 1), 2, dlu(b.phases[i]!.over)];
  const under = (i: number): Access => ['set', 1, averageUnder(i + 1), 2, dlu(b.phases[i]!.under)];
  if (b.countersNotReset) {
    const thresholds = b.phases.flatMap((_p, i) => [under(i), over(i)]);
    return { useCase: poly ? 'ECS29d' : 'ECS29c', messageCode: poly ? 0x00d2 : 0x00d1, payload: dlmsAccess(counter, [...thresholds, ...periods, ...monitors]) };
  }
  // as RTDS orders them: phase 1 over then under, further phases under then over
  const thresholds = b.phases.flatMap((_p, i) => (i === 0 ? [over(i), under(i)] : [under(i), over(i)]));
  const resets = counterResets(n).map(([c, o, m]): Access => ['action', c, o, m, dlms.integer(0)]);
  return { useCase: poly ? 'ECS29b' : 'ECS29a', messageCode: poly ? 0x00ae : 0x0045, payload: dlmsAccess(counter, [...periods, ...monitors, ...thresholds, ...resets]) };
}

export const updateDeviceConfigurationVoltage = deviceCommandService({
  variant: '6.5',
  displayName: 'Update Device Configuration (Voltage)',
  body,
  sender: 'networkOperator',
  steps: [notHeldByTheDcc],
  command: byDeviceType('the voltage configuration', { ESME: (b, { counter }) => voltageCommand(b, counter) }),
  example: {
    name: 'update-voltage',
    body: () => ({ kind: 'UpdateDeviceConfigurationVoltage' as const, rms: [[30, 287], [30, 180], [30, 216], [30, 253]] as [number, number][], phases: [{ over: 264, under: 200, period: 30 }], countersNotReset: false }),
  },
  describe: (b) => [{ label: 'Phases', value: String(b.phases.length) }, { label: 'Counters reset', value: b.countersNotReset ? 'no' : 'yes' }],
});
