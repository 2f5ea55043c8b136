/**
 * The ESME's voltage-quality objects (6.2.1 reads them, 6.5 sets them, 6.27 resets their counters), as the
 * RTDS ECS26b/ECS29a vectors address them: [class, OBIS, attribute].
 */
export type Attribute = readonly [number, string, number];

/** RMS extreme over/under voltage, sag and swell (register monitors 0-0:17.0.1..4: threshold a4, period a6) and the average RMS over/under thresholds. */
export const VOLTAGE_SINGLE_PHASE: readonly Attribute[] = [
  [71, '0000110001FF', 4], [71, '0000110001FF', 6],
  [71, '0000110002FF', 4], [71, '0000110002FF', 6],
  [71, '0000110003FF', 4], [71, '0000110003FF', 6],
  [71, '0000110004FF', 4], [71, '0000110004FF', 6],
  [1, '010020230004', 2], [1, '0100201F0004', 2],
];
