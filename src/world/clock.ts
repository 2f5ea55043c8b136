import type { WorldStore } from '../../db/index.ts';

// The world's simulated clock: real time shifted by an offset kept in the world file, so that
// certificate validity, future-dated commands and the 7-day rule can be played forward.

const KEY = 'clock_offset_ms';

export class SimulatedClock {
  private offsetMs: number;

  constructor(private readonly store: WorldStore) {
    this.offsetMs = Number(store.getMeta(KEY) ?? '0');
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Sets the simulated time; real time keeps running from there. */
  set(to: Date): void {
    this.offsetMs = to.getTime() - Date.now();
    this.store.setMeta(KEY, String(this.offsetMs));
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    this.store.setMeta(KEY, String(this.offsetMs));
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
    this.store.setMeta(KEY, '0');
  }

  /** Re-reads the offset (another process, e.g. the CLI, may have moved the clock). */
  reload(): void {
    this.offsetMs = Number(this.store.getMeta(KEY) ?? '0');
  }
}

/** '7d', '36h', '90m', '30s', '1500ms' -> milliseconds; throws a RangeError saying what is accepted. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new RangeError(`'${text}' is not a duration: use a number with ms, s, m, h or d (e.g. 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
