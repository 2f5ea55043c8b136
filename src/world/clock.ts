import type { WorldStore } from '../../db/index.ts';

// The world's simulated clock: real time shifted by an offset kept in the world file, so that
// certificate validity, future-dated commands and the 7-day rule can be played forward.

const KEY = 'clock_offset_ms';

/**
 * The simulated time stays within these, so that every time dcc-sim writes (DUIS xs:dateTime,
 * certificates, ISO strings) has a four-digit year and `Date` never becomes invalid.
 */
export const CLOCK_MIN = new Date('1970-01-01T00:00:00.000Z');
export const CLOCK_MAX = new Date('9999-12-31T23:59:59.999Z');

function outOfRange(t: number): string | undefined {
  if (!Number.isFinite(t) || t < CLOCK_MIN.getTime() || t > CLOCK_MAX.getTime()) {
    return `the simulated time must stay between ${CLOCK_MIN.toISOString()} and ${CLOCK_MAX.toISOString()}`;
  }
  return undefined;
}

export class SimulatedClock {
  private offsetMs = 0;
  /**
   * Set when the world file holds an offset out of range (written before the clock was bounded):
   * the clock follows real time instead, so that the world still starts, and says why.
   */
  problem: string | undefined;

  constructor(private readonly store: WorldStore) {
    this.reload();
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Sets the simulated time; real time keeps running from there. Throws a RangeError out of range (nothing changes). */
  set(to: Date): void {
    const bad = outOfRange(to.getTime());
    if (bad) throw new RangeError(`'${Number.isNaN(to.getTime()) ? 'Invalid Date' : to.toISOString()}' is out of range: ${bad}`);
    this.store.setMeta(KEY, String(to.getTime() - Date.now()));
    this.offsetMs = to.getTime() - Date.now();
    this.problem = undefined;
  }

  advance(ms: number): Date {
    if (Number.isNaN(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    // From the offset stored now, in one transaction: another process may have moved the clock too.
    return this.store.transaction(() => {
      this.reload();
      const bad = outOfRange(Date.now() + this.offsetMs + ms);
      if (bad) throw new RangeError(`advancing by ${ms} ms goes past ${CLOCK_MAX.toISOString()}: ${bad}`);
      // Persisted first: a failed write leaves the clock where the world file has it.
      this.store.setMeta(KEY, String(this.offsetMs + ms));
      this.offsetMs += ms;
      this.problem = undefined;
      return this.now();
    });
  }

  reset(): void {
    this.store.setMeta(KEY, '0');
    this.offsetMs = 0;
    this.problem = undefined;
  }

  /** Re-reads the offset (another process, e.g. the CLI or another server on the same world, may have moved the clock). */
  reload(): void {
    const stored = this.store.getMeta(KEY) ?? '0';
    const offset = Number(stored);
    const bad = outOfRange(Date.now() + offset);
    if (bad) {
      this.offsetMs = 0;
      this.problem = `the world file's clock offset (${stored} ms) is out of range, so the clock follows real time until it is set: ${bad}`;
    } else {
      this.offsetMs = offset;
      this.problem = undefined;
    }
  }
}

/** '7d', '36h', '90m', '30s', '1500ms' -> milliseconds; throws a RangeError saying what is accepted. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new RangeError(`'${text}' is not a duration: use a number with ms, s, m, h or d (e.g. 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * unit);
  if (!Number.isFinite(ms)) throw new RangeError(`'${text}' is too long a duration`);
  return ms;
}
