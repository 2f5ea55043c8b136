// MPAN cores and MPRNs: the keys of registration data.

const MPAN_WEIGHTS = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43] as const;

export class MpxnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MpxnError';
  }
}

/** The MPAN check digit over the first 12 digits of the core (sum of weighted digits mod 11 mod 10). */
export function mpanCheckDigit(first12: string): number {
  if (!/^[0-9]{12}$/.test(first12)) throw new MpxnError(`an MPAN check digit needs 12 digits, got '${first12}'`);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * MPAN_WEIGHTS[i]!;
  return (sum % 11) % 10;
}

/** Validates a 13-digit MPAN core and returns it; throws MpxnError saying what is wrong. */
export function parseMpanCore(text: string): string {
  const core = text.replace(/\s+/g, '');
  if (!/^[0-9]{13}$/.test(core)) throw new MpxnError(`MPAN core '${text}' must be exactly 13 digits`);
  const expected = mpanCheckDigit(core.slice(0, 12));
  if (Number(core[12]) !== expected) {
    throw new MpxnError(`MPAN core ${core} has check digit ${core[12]}, expected ${expected}`);
  }
  return core;
}

export function makeMpanCore(distributorId: string, uniqueTen: string): string {
  const first12 = distributorId + uniqueTen;
  return first12 + String(mpanCheckDigit(first12));
}

export function distributorIdOf(mpanCore: string): string {
  return mpanCore.slice(0, 2);
}

/**
 * MPRN check digits (unofficial, not confirmed by Xoserve): the last two digits are
 * sum(digit x weight) mod 11, weights n..1 over the n leading digits, zero-padded.
 */
export function mprnCheckDigits(leading: string): string {
  if (!/^[0-9]{4,9}$/.test(leading)) throw new MpxnError(`MPRN leading digits '${leading}' must be 4 to 9 digits`);
  let sum = 0;
  const n = leading.length;
  for (let i = 0; i < n; i++) sum += Number(leading[i]) * (n - i);
  return String(sum % 11).padStart(2, '0');
}

export function makeMprn(leading: string): string {
  return leading + mprnCheckDigits(leading);
}

/** MPRNs are 6 to 10 digits in DUIS (string of 1-10); the check-digit rule is applied to simulator-made ones only. */
export function parseMprn(text: string): string {
  const mprn = text.trim();
  if (!/^[0-9]{6,10}$/.test(mprn)) throw new MpxnError(`MPRN '${text}' must be 6 to 10 digits`);
  return mprn;
}

export function isMpanCore(text: string): boolean {
  return /^[0-9]{13}$/.test(text);
}
