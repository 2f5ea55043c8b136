/**
 * Deterministic noise for the meter model: 32-bit integer hashing (FNV-1a for text, the murmur3 finaliser to mix
 * numbers), so the same EUI, day and slot always give the same value on every platform.
 */

/** FNV-1a, 32 bits, of a string's UTF-16 code units. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a seed and up to two integers (days, slots, minutes: any safe integer). */
export function mix(seed: number, a: number, b = 0): number {
  let h = fmix(seed ^ Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(Math.floor(a / 0x1_0000_0000) | 0, 0x27d4eb2f));
  h = fmix(h ^ Math.imul(b | 0, 0x85ebca77) ^ 0x165667b1);
  return h;
}

/** Uniform in [0, 1). */
export function unit(seed: number, a: number, b = 0): number {
  return mix(seed, a, b) / 0x1_0000_0000;
}

/** Uniform in [-1, 1). */
export function signed(seed: number, a: number, b = 0): number {
  return unit(seed, a, b) * 2 - 1;
}

/**
 * `signed` of a day number or any integer in [0, 2^31) and a small integer: the same value, without the
 * high-word term (zero there) and the division it takes, so that a loop over days inlines it whole.
 */
export function signedOfDay(seed: number, a: number, b: number): number {
  let h = seed ^ Math.imul(a, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h = (h >>> 0) ^ Math.imul(b, 0x85ebca77) ^ 0x165667b1;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 0x1_0000_0000) * 2 - 1;
}
