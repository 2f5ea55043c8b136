import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dashedEui } from '../../pki/index.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// The cockpit in Debian's Chromium (issue 18 item 6 and the reports): a request's pipeline steps read
// with the keyboard alone, the filtered timeline downloaded whole, and the post-commissioning report
// per supplier opening the Devices tab on exactly the devices a count stands for.

let h: Harness;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

let refusedId = 0;
let acceptedId = 0;

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  // the README's handover twice: accepted, then discarded by the device
  const eui = dashedEui(findDevice(h.world, 'ESME', (d, holders) => holders.supplierDS === DCC.accessControlBroker).eui);
  const handover = async () =>
    (await (await fetch(`${h.server.url}/api/console/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: '6.21', device: eui, role: 'Supplier' }) })).json()) as {
      succeeded: boolean;
      legs: { requestLogId: number }[];
    };
  const first = await handover();
  const second = await handover();
  expect([first.succeeded, second.succeeded]).toEqual([true, false]);
  acceptedId = first.legs[0]!.requestLogId;
  refusedId = second.legs[0]!.requestLogId;
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the cockpit in Chromium', () => {
  it('reads pipeline steps by keyboard, exports the filtered timeline, and clicks through the supplier report to its devices', async () => {
    await page.goto(`${h.server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    const refused = page.locator(`#timeline > li[data-id="${refusedId}"]`);
    const accepted = page.locator(`#timeline > li[data-id="${acceptedId}"]`);
    await refused.waitFor();

    // --- step details without a mouse: Tab onto the steps, the detail shows; arrows move ---------
    await page.locator('#timeline-export-json').focus();
    await page.keyboard.press('Tab'); // into the newest card: its one step stop is the failed step
    const refusedDetail = refused.locator('.step-detail');
    await expect.poll(() => refusedDetail.isVisible()).toBe(true);
    expect(await refusedDetail.textContent()).toMatch(/^device: device discarded the command: originator [0-9A-F]{16} is not [0-9A-F]{16}/);
    expect(await page.evaluate('document.activeElement.getAttribute("aria-expanded")')).toBe('true');
    await page.keyboard.press('Home');
    expect(await refusedDetail.textContent()).toMatch(/^\S+: /);
    expect(await refusedDetail.textContent()).not.toMatch(/^device:/);
    // the next card down is reached with Tab too (past this card's Details button), starting at its first step
    await refused.getByRole('button', { name: /DUIS and GBCS/ }).focus();
    await page.keyboard.press('Tab');
    const acceptedDetail = accepted.locator('.step-detail');
    await expect.poll(() => acceptedDetail.isVisible()).toBe(true);
    const firstStep = await acceptedDetail.textContent();
    await page.keyboard.press('ArrowRight');
    expect(await acceptedDetail.textContent()).not.toBe(firstStep);
    await shot('cockpit-01-step-details-by-keyboard');

    // --- the request inspector: the pre-command, the command sent and the device's answer -------
    await refused.getByRole('button', { name: /DUIS and GBCS/ }).click();
    const dialog = page.locator('#dialog');
    await dialog.locator('.device-answer').waitFor();
    expect(await dialog.locator('.device-answer').textContent()).toMatch(/^The device's answer: none: the device discarded the command/);
    await dialog.getByText('pre-command the DCC built (before signing and the ACB MAC)').first().waitFor();
    await dialog.getByText('command the DCC sent to the device').first().waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // --- export: the failures, all of them, as CSV ---------------------------------------------
    await page.getByLabel('Filter by final outcome').selectOption('failure');
    expect(await page.locator('#timeline-export-csv').getAttribute('href')).toBe('/api/console/requests/export?format=csv&outcome=failure');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the filtered requests as CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^dcc-sim-requests-.*\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^id,received_at,endpoint,request_id,/);
    const failures = h.server.dcc.gateway.listRequests({ outcome: 'failure', limit: 100_000 });
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(failures.map((r) => r.id));
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toContain(refusedId);
    expect(lines.slice(1).every((l) => l.includes(',failure,'))).toBe(true);

    // --- the report per supplier, and a count's click-through to its devices ---------------------
    await page.goto(`${h.server.url}/#reports`);
    await page.locator('#report-table').waitFor();
    await page.getByLabel('Report per', { exact: true }).selectOption('supplier');
    const table = page.locator('#report-table[data-per="supplier"]');
    await table.waitFor();
    await page.getByText('Per supplier: the commissioned ESMEs and GPFs at the supply points registered to it.').waitFor();
    const row = table.locator('tbody tr', { has: page.locator('a[data-compliance="non-compliant"]') }).first();
    const link = row.locator('a[data-compliance="non-compliant"]');
    const count = Number((await link.textContent())!.replace(/,/g, ''));
    const supplierEui = (await row.getAttribute('data-eui'))!;
    const supplierName = h.world.store.getParty(supplierEui.replace(/-/g, ''))!.name;
    expect(count).toBeGreaterThan(0);
    await shot('cockpit-02-report-per-supplier');
    await link.click();
    await page.locator('#tab-devices:not([hidden])').waitFor();
    const status = page.locator('#results-status');
    await expect.poll(() => status.textContent()).toMatch(new RegExp(`^${count} devices? match`));
    expect(await page.getByLabel('Supplier', { exact: true }).inputValue()).toBe(supplierEui);
    expect(await page.getByLabel('Compliance', { exact: true }).inputValue()).toBe('non-compliant');
    const rows = page.locator('#results tbody tr');
    expect(await rows.count()).toBe(Math.min(count, 25));
    for (const row of await rows.all()) {
      expect(await row.locator('td').nth(4).textContent()).toBe(supplierName);
      expect(await row.locator('td').nth(6).textContent()).toMatch(/^✗ Non-compliant/);
    }
    await shot('cockpit-03-report-click-through');

    // --- and DCC controlled as a search filter --------------------------------------------------
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('DCC controlled', { exact: true }).check();
    await expect.poll(() => status.textContent()).toMatch(/devices? match/);
    const controlled = await (await fetch(`${h.server.url}/api/console/devices?dccControlled=true&limit=500`)).json() as { total: number };
    await expect.poll(() => status.textContent()).toMatch(new RegExp(`^${controlled.total} devices? match`));

    expect(consoleErrors).toEqual([]);
  }, 90_000);
});
