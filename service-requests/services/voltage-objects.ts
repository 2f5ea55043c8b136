/**
 * The ESME's voltage-quality objects (6.2.1 reads them, 6.5 sets them, 6.27 resets their counters), as the
 * RTDS ECS26b and ECS29a-f vectors address them: [class, OBIS hex, attribute]. Phase n's objects have OBIS
 * C = 32, 52 or 72 (L1, L2, L3).
 */
export type Attribute = readonly [number, string, number];

const PHASE_C = ['20', '34', '48'] as const;

/** RMS extreme over/under voltage, sag and swell: register monitors 0-0:17.0.1..4, threshold a4 and period a6. */
export const RMS_MONITORS = ['0000110001FF', '0000110002FF', '0000110003FF', '0000110004FF'] as const;

/** Average RMS over- and under-voltage thresholds of a phase (1-3). */
export const averageOver = (phase: number): string => `0100${PHASE_C[phase - 1]}230004`;
export const averageUnder = (phase: number): string => `0100${PHASE_C[phase - 1]}1F0004`;
/** The average RMS voltage profile of a phase, whose capture period (a4) is the measurement period. */
export const averagePeriod = (phase: number): string => `0100${PHASE_C[phase - 1]}1800FF`;
/** The average RMS over- and under-voltage event counters of a phase (class 3, reset by method 1). */
export const overCounter = (phase: number): string => `0100${PHASE_C[phase - 1]}200004`;
export const underCounter = (phase: number): string => `0100${PHASE_C[phase - 1]}240004`;

export const VOLTAGE_SINGLE_PHASE: readonly Attribute[] = [
  ...RMS_MONITORS.flatMap((o): Attribute[] => [[71, o, 4], [71, o, 6]]),
  [1, averageOver(1), 2], [1, averageUnder(1), 2],
];

/** The counters' reset (6.27, and 6.5 unless RMSVoltageCountersNotReset): phases 1..n, over then under. */
export const counterResets = (phases: number): Attribute[] =>
  [1, 2, 3].slice(0, phases).flatMap((p): Attribute[] => [[3, overCounter(p), 1], [3, underCounter(p), 1]]);
