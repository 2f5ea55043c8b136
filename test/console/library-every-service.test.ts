import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { expectOk, runCliAsync } from '../helpers/world-cli.ts';

// Issue 18's request library, every service of the registry over a real server in the demo world
// (`npm start`'s, as the console shows it): its example filled in for a device the library picks
// itself, signed as the party the example names and sent through the library's send route; the
// final outcome, with its code and reason, is what a user sees in the library.

/**
 * Services the library's example does not carry out in the demo world, each with why: removing a line
 * is how a fix shows; a service not listed here that is not carried out fails the test.
 */
const NOT_CARRIED_OUT: Record<string, { why: string; says: RegExp }> = {
};

/** Services whose module has no example yet, each with what an example would need: the library lists them, disabled. */
const NO_EXAMPLE: Record<string, string> = {
};

let h: Harness;
const post = async (p: string, body: unknown) => {
  const res = await fetch(`${h.server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

interface Row { variant: string; example: string | null; device?: string; code: string; reason: string | null; succeeded: boolean }

describe('the request library, every service', () => {
  it('fills in each service\'s example for a device it picks, signs and sends it, and shows the final outcome', { timeout: 300_000 }, async () => {
    const entries = (await (await fetch(`${h.server.url}/api/console/library`)).json()) as { variant: string; example: string | null }[];
    expect(entries.length).toBe(129);
    const rows: Row[] = [];
    for (const e of entries) {
      if (!e.example) {
        rows.push({ variant: e.variant, example: null, code: '-', reason: 'no example', succeeded: false });
        continue;
      }
      const ex = await post('/api/console/library/example', { example: e.example });
      if (ex.status !== 200) {
        rows.push({ variant: e.variant, example: e.example, code: 'no device', reason: ex.body.error, succeeded: false });
        continue;
      }
      const sent = await post('/api/console/library/send', { xml: ex.body.xml });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      rows.push({ variant: e.variant, example: e.example, device: ex.body.device, code: sent.body.finalResponseCode, reason: sent.body.finalReason, succeeded: sent.body.succeeded });
    }
    console.log(['library sweep:', ...rows.map((r) => `${r.succeeded ? 'ok ' : 'NO '} ${r.variant.padEnd(7)} ${(r.example ?? '-').padEnd(28)} ${r.device ?? ''} ${r.code}${r.reason ? `: ${r.reason}` : ''}`)].join('\n'));
    // every final outcome names a code, and a refusal says why
    for (const r of rows.filter((r) => r.example)) {
      expect(r.code, r.variant).toMatch(/^(I0|I99|E\d+|W\d+|no device)$/);
      if (!r.succeeded) expect(r.reason, `${r.variant} refused without a reason`).toBeTruthy();
    }
    expect(rows.filter((r) => !r.example).map((r) => r.variant)).toEqual(Object.keys(NO_EXAMPLE));
    expect(rows.filter((r) => r.example && !r.succeeded && !NOT_CARRIED_OUT[r.variant]).map((r) => `${r.variant}: ${r.code} ${r.reason}`)).toEqual([]);
    // and each says why, in words a user can act on
    for (const r of rows.filter((r) => NOT_CARRIED_OUT[r.variant])) expect(r.reason, r.variant).toMatch(NOT_CARRIED_OUT[r.variant]!.says);
    // a listed service that is now carried out must leave the list (it would hide a later regression)
    expect(rows.filter((r) => r.succeeded && NOT_CARRIED_OUT[r.variant]).map((r) => r.variant)).toEqual([]);
  });

  it('`dcc-sim example SERVICE` with no --device picks the same kind of device (the CLI twin)', { timeout: 60_000 }, async () => {
    // 6.6 Update Device Configuration (Gas Conversion) reaches a gas meter only
    const r = expectOk(await runCliAsync(['example', '6.6', '--db', h.file]));
    expect(r.stderr).toMatch(/^for GSME [0-9A-F-]{23}, a device the service suits/);
    const gsme = /^for GSME ([0-9A-F-]{23})/.exec(r.stderr)![1]!;
    expect(r.stdout).toContain(`:${gsme}:`);
    expect(r.stdout).toContain('<sr:UpdateDeviceConfigurationGasConversion>');
  });
});
