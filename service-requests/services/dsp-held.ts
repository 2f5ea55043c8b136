/**
 * DSP future-dated requests (the service matrix's "DSP" future-dated response): a read with an
 * ExecutionDateTime still to come is held by the DCC, which sends it when the simulated clock reaches that time
 * and delivers the device's response as the answer to the original request. The DCC keeps a held request in
 * its schedules table as a one-off (migration 13); 5.2 and 5.3 do not show or touch it.
 */
import type { RequestBody } from '../duis/index.ts';

interface Held {
  held: { requestId: string; body: RequestBody };
}

/** The held request as the schedules table keeps it: dates and bytes survive the JSON. */
export function heldDetails(requestId: string, body: RequestBody): string {
  return JSON.stringify({ held: { requestId, body } }, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (Buffer.isBuffer(raw)) return { $base64: raw.toString('base64') };
    return value;
  });
}

/** The held request of a schedules-table row, or undefined for a DCC schedule (5.1). */
export function heldRequestOf(details: string): { requestId: string; body: RequestBody } | undefined {
  const o = JSON.parse(details, (_key, value) => {
    if (value && typeof value === 'object' && typeof value.$date === 'string') return new Date(value.$date);
    if (value && typeof value === 'object' && typeof value.$base64 === 'string') return Buffer.from(value.$base64, 'base64');
    return value;
  }) as Partial<Held>;
  return o.held;
}

export const isHeld = (details: string): boolean => heldRequestOf(details) !== undefined;
