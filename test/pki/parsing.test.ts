import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProfile, describeCertificate, PkiError, validatePath } from '../../pki/index.ts';
import { makeTestPki, NOW } from './fixtures.ts';

const pki = makeTestPki();
const samples = [pki.noDs, pki.deviceDs, pki.oca.certificate];

/** Runs f; anything thrown must be a PkiError with a code and a non-empty message. */
function onlyPkiErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PkiError);
    expect((e as PkiError).code).toBe('not-a-certificate');
    expect((e as PkiError).message.length).toBeGreaterThan(20);
  }
}

describe('parsing untrusted certificate bytes', () => {
  it('random byte edits and truncations either parse or fail with a PkiError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (der, edits, cut) => {
          const bytes = Buffer.from(der);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          onlyPkiErrors(() => describeCertificate(input));
          // the validators report instead of throwing, and any edit breaks the path (signature or structure)
          expect(Array.isArray(checkProfile(input, { kind: 'organisation' }))).toBe(true);
          const r = validatePath(input, [pki.oca.certificate, pki.dca.certificate], [pki.root.certificate], { at: NOW });
          expect(r.ok).toBe(input.equals(der));
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
  });

  it('arbitrary bytes fail with a PkiError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyPkiErrors(() => describeCertificate(bytes));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('rejects non-DER encodings a lenient BER parser would accept', () => {
    const der = Buffer.from(pki.noDs);
    // indefinite length on the outer SEQUENCE
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(4), Buffer.from([0, 0])]);
    expect(() => describeCertificate(indefinite)).toThrow(/indefinite length is not DER/);
    // trailing garbage after the certificate
    expect(() => describeCertificate(Buffer.concat([der, Buffer.from([0])]))).toThrow(/1 trailing byte\(s\)/);
    // an explicit critical FALSE in an extension
    const withFalse = Buffer.from(der.toString('hex').replace('0603551d0f0101ff', '0603551d0f010100'), 'hex');
    expect(() => describeCertificate(withFalse)).toThrow(/critical FALSE must be omitted in DER/);
  });
});
