import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  distributorIdOf,
  isMpanCore,
  makeMpanCore,
  makeMprn,
  mpanCheckDigit,
  mprnCheckDigits,
  MpxnError,
  parseMpanCore,
  parseMprn,
} from '../../src/world/mpxn.ts';

// MPAN core check digit: weights 3,5,7,13,17,19,23,29,31,37,41,43 over the first 12 digits,
// sum mod 11 mod 10 (rules-and-data.md §2.1; worked example 1900033146143 -> 762 -> 3).
// MPRN: last two digits = sum(digit x weight n..1) mod 11, zero-padded (3938424403 -> 179 -> 03).

describe('MPAN core', () => {
  it('accepts the known-good core 1900033146143 and computes its check digit 3', () => {
    expect(mpanCheckDigit('190003314614')).toBe(3);
    expect(parseMpanCore('1900033146143')).toBe('1900033146143');
    expect(makeMpanCore('19', '0003314614')).toBe('1900033146143');
    expect(distributorIdOf('1900033146143')).toBe('19');
  });

  it('tolerates whitespace the way people write MPANs', () => {
    expect(parseMpanCore('19 0003 3146 143')).toBe('1900033146143');
  });

  it('rejects every wrong check digit, naming the expected digit', () => {
    for (let d = 0; d <= 9; d++) {
      if (d === 3) continue;
      const bad = `190003314614${d}`;
      expect(() => parseMpanCore(bad)).toThrow(MpxnError);
      expect(() => parseMpanCore(bad)).toThrow(/expected 3\b/);
      expect(() => parseMpanCore(bad)).toThrow(new RegExp(`check digit ${d}\\b`));
    }
  });

  it('rejects wrong lengths and non-digits', () => {
    for (const bad of ['190003314614', '19000331461430', '', 'abcdefghijklm', '19000331461X3', '-900033146143']) {
      expect(() => parseMpanCore(bad), bad).toThrow(MpxnError);
      expect(() => parseMpanCore(bad), bad).toThrow(/13 digits/);
    }
    expect(isMpanCore('1900033146143')).toBe(true);
    expect(isMpanCore('190003314614')).toBe(false);
    expect(() => mpanCheckDigit('12345')).toThrow(MpxnError);
  });

  it('check digit is the weighted sum mod 11 mod 10 (independent re-implementation)', () => {
    const weights = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43];
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{12}$/), (first12) => {
        const sum = [...first12].reduce((s, c, i) => s + Number(c) * weights[i]!, 0);
        expect(mpanCheckDigit(first12)).toBe((sum % 11) % 10);
        const core = first12 + String((sum % 11) % 10);
        expect(parseMpanCore(core)).toBe(core);
      }),
      { numRuns: 500 },
    );
  });

  it('cores made by makeMpanCore always validate; the same core with any other check digit never does', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{2}$/), fc.stringMatching(/^[0-9]{10}$/), fc.integer({ min: 1, max: 9 }), (id, ten, delta) => {
        const core = makeMpanCore(id, ten);
        expect(parseMpanCore(core)).toBe(core);
        const wrong = core.slice(0, 12) + String((Number(core[12]) + delta) % 10);
        expect(() => parseMpanCore(wrong)).toThrow(MpxnError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MPRN', () => {
  it('computes the check digits of the known-good 3938424403', () => {
    expect(mprnCheckDigits('39384244')).toBe('03');
    expect(makeMprn('39384244')).toBe('3938424403');
    expect(parseMprn('3938424403')).toBe('3938424403');
  });

  it('check digits are sum(digit x weight n..1) mod 11, zero-padded (independent re-implementation)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4,9}$/), (leading) => {
        const n = leading.length;
        const sum = [...leading].reduce((s, c, i) => s + Number(c) * (n - i), 0);
        expect(mprnCheckDigits(leading)).toBe(String(sum % 11).padStart(2, '0'));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects MPRNs of the wrong length or with non-digits', () => {
    for (const bad of ['12345', '12345678901', 'abcdef', '12345a7890', '']) {
      expect(() => parseMprn(bad), bad).toThrow(MpxnError);
    }
    expect(() => mprnCheckDigits('123')).toThrow(MpxnError);
    expect(() => mprnCheckDigits('1234567890')).toThrow(MpxnError);
  });
});
