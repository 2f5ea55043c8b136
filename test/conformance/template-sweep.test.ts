/**
 * Every RTDS DUIS request template (npm @smartdcc/duis-templates), each in a fresh ZAZ1 world, signed as
 * its originator, both legs for critical ones: a template of a service dcc-sim carries out must end in I0
 * (at once, or from the device). What happened to each is printed per section (bench/template-sweep.md
 * keeps the figures).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sweeper, sweepTable, templateNames, type SweepRow } from '../helpers/template-sweep.ts';

/**
 * Templates of registered services not carried out as sent, each with why: removing a line
 * is how a fix shows; a template not listed here that fails, fails the test.
 */
const KNOWN_GAPS: Record<string, string> = {
  'CS02bACBByACB_8.5_SUCCESS_REQUEST_DUIS.XML': 'the template\'s KeyAgreementCertificate is the ACB\'s digital-signing certificate (SKI 4A208EB7060CD12C); RTDS\'s own CS02b command places the ACB\'s key-agreement one (4897771D34FCB0C6), so RTDS did not place it either: refused E080501 rather than put a DS key in the ACB KA cell (carried out with the KA certificate: test/gateway/security-credentials-krp.test.ts)',
  'CS02d_6.15.2_SUCCESS_REQUEST_DUIS.XML': 'its certificate is RTDS ESME …A0\'s own, issued by the RTDS device CA CN=E357 (key id 47D40AF3412904A0), whose certificate is published nowhere (not in rtds-keystore, the ZAZ1 keystore or a template): its path cannot be checked, so refused E061505 as DUIS requires; the ZAZ1 devices hold certificates of the world\'s own device CA for keys the world has',
};

const s = sweeper();
afterAll(() => s.close());

describe('the RTDS template sweep', () => {
  it('carries out every template of every registered service', { timeout: 600_000 }, () => {
    const rows: SweepRow[] = templateNames().map((name) => s.sweep(name));
    console.log(['RTDS template sweep:', ...sweepTable(rows)].join('\n'));
    expect(rows.length).toBe(297);
    expect(rows.filter((r) => r.verdict === 'refused' && !KNOWN_GAPS[r.name]).map((r) => `${r.name} (${r.srv}): ${r.detail}`)).toEqual([]);
    expect(rows.filter((r) => r.verdict === 'not carried out').map((r) => `${r.name} (${r.srv})`)).toEqual([]);
    // A known gap that is now carried out must leave the list (it would hide a later regression).
    expect(rows.filter((r) => KNOWN_GAPS[r.name] && r.verdict === 'carried out').map((r) => r.name)).toEqual([]);
  });
});
