import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';
import { dashedEui } from '../../pki/index.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// A meter on its device page, in Debian's Chromium: the Meter panel shows the emulated ESME's registers,
// today's half-hour profile as a chart with a text alternative, and the import register grows when the
// simulated clock is advanced a day from the console's clock form.


let h: Harness;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** The count column of a register row: '12,345 Wh' → 12345. */
const count = (text: string | null) => Number((text ?? '').replace(/[^0-9]/g, ''));

describe('the meter on its device page', () => {
  it("shows an ESME's registers and today's profile, and the import register grows when the clock moves on a day", async () => {
    const esme = findDevice(h.world, 'ESME', (d) => d.status === 'Commissioned');
    const eui = dashedEui(esme.eui);
    await page.goto(`${h.server.url}/#devices/${eui}`);
    await page.waitForSelector('body[data-ready="true"]');

    const panel = page.getByRole('region', { name: 'Meter' });
    await panel.getByRole('heading', { name: 'Meter', level: 3 }).waitFor();
    const registers = panel.getByRole('table', { name: 'Registers' });
    const importRow = registers.getByRole('row', { name: /Active import/ });
    await importRow.waitFor();
    const before = count(await importRow.locator('td.mono').textContent());
    expect(before).toBeGreaterThan(0);
    await expect.poll(async () => (await importRow.locator('td').first().textContent()) ?? '').toMatch(/kWh$/);

    // the API agrees with the page (read a moment later by a clock that runs: at most a few Wh more)
    const api = (await (await fetch(`${h.server.url}/api/console/devices/${eui}/meter`)).json()) as { registers: { quantity: string; value: number }[]; profile: { slots: unknown[] } };
    const apiImport = api.registers.find((r) => r.quantity === 'activeImport')!.value;
    expect(apiImport).toBeGreaterThanOrEqual(before);
    expect(apiImport - before).toBeLessThan(50);

    // the profile chart has a text alternative
    const chart = panel.getByRole('img', { name: /Half-hour profile for \d{4}-\d{2}-\d{2} \(UTC\), active import in Wh/ });
    await chart.waitFor();
    expect(await chart.locator('rect').count()).toBe(api.profile.slots.length);
    expect(await panel.locator('#meter-facts').textContent()).toContain('Firmware version');
    await page.screenshot({ path: path.join(ARTIFACTS, 'meter.png'), fullPage: true });

    // a day on, by the console's clock form
    await page.getByLabel('Advance the clock by').selectOption('1d');
    await page.getByRole('button', { name: 'Advance', exact: true }).click();
    await expect.poll(async () => count(await page.getByRole('table', { name: 'Registers' }).getByRole('row', { name: /Active import/ }).locator('td.mono').textContent()))
      .toBeGreaterThan(before);
    const after = count(await page.getByRole('table', { name: 'Registers' }).getByRole('row', { name: /Active import/ }).locator('td.mono').textContent());
    // a household's day: more than a few hundred Wh, less than 200 kWh
    expect(after - before).toBeGreaterThan(300);
    expect(after - before).toBeLessThan(200_000);
    expect(consoleErrors).toEqual([]);
  });

  it('answers for a GSME (gas volume, valve, credit) and a GPF (its mirror of the paired GSME: gas volume, credit); a comms hub has no meter', async () => {
    const meter = async (type: 'GSME' | 'GPF' | 'CHF') => {
      const d = findDevice(h.world, type, () => true);
      return fetch(`${h.server.url}/api/console/devices/${dashedEui(d.eui)}/meter`);
    };
    const gsme = (await (await meter('GSME')).json()) as Record<string, any>;
    expect(gsme.fuel).toBe('gas');
    expect(gsme.registers.map((r: { quantity: string; unit: string }) => `${r.quantity} ${r.unit}`)).toEqual(['gasVolume dm3']);
    expect(gsme.registers[0].value).toBeGreaterThan(0);
    expect(gsme.supply.state).toBe('connected');
    expect(gsme.prepayment.paymentMode).toMatch(/^(credit|prepayment)$/);
    const gpf = (await (await meter('GPF')).json()) as Record<string, any>;
    expect([gpf.fuel, gpf.supply, gpf.registers[0].quantity]).toEqual(['gas', null, 'gasVolume']);
    // the GSME in its comms hub's HAN, whose meter and credit its reads return
    const paired = h.world.store.inventory.pairedGsme(findDevice(h.world, 'GPF', () => true).eui);
    expect(gpf.mirrorOf).toBe(paired ? dashedEui(paired) : null);
    expect(gpf.prepayment === null).toBe(!paired);
    expect((await meter('CHF')).status).toBe(404);
  });
});
