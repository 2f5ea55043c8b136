import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dashedEui } from '../../pki/index.ts';
import { DCC } from '../../src/world/catalogue.ts';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';
import { dumpDeviceTables } from '../helpers/gateway-checks.ts';
import { findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// The DCC operations panel in Debian's Chromium (issue 15 item 2): a user orders the SMKI Recovery
// Event for one device from its page, confirms it, and sees the cells change, the audit row in the
// timeline and its annotated GBCS; a contingency order; and refusals, by a device and by the DCC,
// shown with their reasons, the latter changing nothing.

let h: Harness;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const ACB = dashedEui(DCC.accessControlBroker);
let formerHolder = '';
let registeredNo = '';

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Opens a device's page and the DCC operations form on it. */
async function openPanel(eui: string): Promise<void> {
  await page.goto(`${h.server.url}/#devices/${eui}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#dcc-operations summary').click();
}

async function recoveryRows(): Promise<number> {
  const rows = (await (await fetch(`${h.server.url}/api/requests?limit=500`)).json()) as { endpoint: string }[];
  return rows.filter((r) => r.endpoint === 'recovery').length;
}

describe('DCC operations in Chromium', () => {
  it('orders the SMKI Recovery Event for one device: confirmed, its cells change on its page, the audit row shows in the timeline with its GBCS', async () => {
    // a GPF: MP128B lets the ACB's certificates stand in its network operator cells (an ESME refuses them)
    const gpf = findDevice(h.world, 'GPF', (_d, holders) => holders.networkOperatorDS !== DCC.accessControlBroker && holders.networkOperatorDS !== null);
    const eui = dashedEui(gpf.eui);
    registeredNo = ((await (await fetch(`${h.server.url}/api/console/devices/${eui}`)).json()) as { registeredNetworkOperator: { eui: string } }).registeredNetworkOperator.eui;
    formerHolder = dashedEui(h.world.certificate(h.world.store.getDeviceSecurity(gpf.eui)!.cells.networkOperatorDS!).subjectEui!);
    await openPanel(eui);
    expect(await page.locator('#dcc-op-devices').inputValue()).toBe(eui);
    await page.locator('#dcc-op-cells-networkOperator').check();
    await page.locator('#dcc-op-of-networkOperator').selectOption(ACB);
    await page.locator('#dcc-op-reason').fill("the network operator's keys are compromised");
    await page.locator('#dcc-op-by').fill('Ada at the DCC');
    await page.getByRole('button', { name: 'Review the order…' }).click();
    // nothing is sent before the user confirms
    const review = page.getByRole('region', { name: 'Confirm the order' });
    await review.waitFor();
    expect(await review.textContent()).toContain('ordered by Ada at the DCC (console): the network operator\'s keys are compromised');
    expect(await recoveryRows()).toBe(0);
    await shot('recovery-01-confirm');
    await page.locator('#dcc-op-confirm').click();

    const row = page.locator(`.dcc-op-result tr[data-device="${eui}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-outcome'), (await row.textContent()) ?? '').toBe('carried-out');
    expect(await row.textContent()).toContain('networkOperatorDS, networkOperatorKA');
    // the device's page shows the ACB in its network operator cells, marked changed, and the outcome stays
    const slot = page.locator('li.slot[data-cell="networkOperatorDS"]');
    await expect.poll(async () => (await slot.textContent()) ?? '').toMatch(/Changed[\s\S]*90-?B3-?D5-?1F-?30-?00-?00-?02/);
    await expect.poll(() => page.locator('.dcc-op-result tr[data-outcome="carried-out"]').count()).toBe(1);

    // the audit row in the live timeline: who ordered it and why
    const card = page.locator(`#timeline > li[data-device="${eui}"]`).filter({ hasText: 'DCC recovery command' });
    await card.waitFor();
    expect(await card.getAttribute('data-outcome')).toBe('success');
    await card.locator('.step').first().focus();
    expect(await card.locator('.step-detail').textContent()).toBe("order: recovery ordered by Ada at the DCC (console): the network operator's keys are compromised");
    await shot('recovery-02-carried-out');
    await page.locator('#dcc-operations').screenshot({ path: path.join(ARTIFACTS, 'recovery-02b-outcome.png') });

    // the result's link opens the row's order and annotated GBCS in the request dialog
    await row.getByRole('link', { name: /the order and its annotated GBCS/ }).click();
    const dialog = page.locator('#dialog');
    await dialog.getByText("the DCC's recovery command (no DUIS request)").first().waitFor();
    await dialog.getByText("the device's response").first().waitFor();
    expect(await dialog.textContent()).toContain('Ada at the DCC (console)');
    await page.keyboard.press('Escape');
  });

  it('orders a contingency event; a second one for the device is refused by the DCC with its reason', async () => {
    const eui = dashedEui(findDevice(h.world, 'GSME', (_d, holders) => holders.supplierDS !== null && holders.supplierDS !== DCC.accessControlBroker).eui);
    await openPanel(eui);
    await page.locator('#dcc-op-event').selectOption('contingency');
    await page.locator('#dcc-op-cells-supplier').check();
    await page.locator('#dcc-op-reason').fill('the root is lost');
    await page.locator('#dcc-op-by').fill('SMKI PMA');
    await page.getByRole('button', { name: 'Review the order…' }).click();
    await page.locator('#dcc-op-confirm').click();
    const row = page.locator(`.dcc-op-result tr[data-device="${eui}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('carried-out');
    expect(await row.textContent()).toMatch(/root, supplierDS, supplierKA/);
    await page.locator('#timeline > li').filter({ hasText: 'DCC contingency command' }).first().waitFor();

    // the device has spent its contingency key: refused, with the DCC's reason, nothing changed
    const before = dumpDeviceTables(h.world);
    await page.getByRole('button', { name: 'Review the order…' }).click();
    await page.locator('#dcc-op-confirm').click();
    await expect.poll(() => page.locator('.dcc-op-result tr[data-outcome="refused"]').count()).toBe(1);
    expect(await page.locator('.dcc-op-result tr[data-outcome="refused"]').textContent()).toMatch(/E4 refused.*has spent its root contingency key/);
    expect(dumpDeviceTables(h.world)).toBe(before);
    await shot('recovery-03-contingency-refused');
  });

  it('an order for every device a network operator strands says how many before it is confirmed; Cancel sends nothing', async () => {
    const stranded = (await (await fetch(`${h.server.url}/api/network-operators/${formerHolder}/stranded?limit=1&registeredTo=${registeredNo}`)).json()) as { total: number };
    expect(stranded.total).toBeGreaterThan(0);
    const eui = dashedEui(findDevice(h.world, 'GPF', () => true).eui);
    await openPanel(eui);
    await page.locator('#dcc-op-devices').fill('');
    await page.locator('#dcc-op-holding').selectOption(formerHolder);
    await page.locator('#dcc-op-registered-to').selectOption(registeredNo);
    await page.locator('#dcc-op-cells-networkOperator').check();
    await page.locator('#dcc-op-of-networkOperator').selectOption(ACB);
    await page.locator('#dcc-op-reason').fill('MP128: stranded certificates');
    await page.locator('#dcc-op-by').fill('Ada at the DCC');
    const rows = await recoveryRows();
    await page.getByRole('button', { name: 'Review the order…' }).click();
    const review = page.getByRole('region', { name: 'Confirm the order' });
    await review.waitFor();
    expect(await review.textContent()).toMatch(new RegExp(`to ${stranded.total} device\\(s\\) whose network operator cells hold .+ is now registered`));
    await review.getByRole('button', { name: 'Cancel' }).click();
    expect(await review.isVisible()).toBe(false);
    expect(await recoveryRows()).toBe(rows);
  });

  it('an order the DCC cannot take at all is shown as a readable error and nothing is done', async () => {
    const eui = dashedEui(findDevice(h.world, 'ESME', () => true).eui);
    await openPanel(eui);
    await page.locator('#dcc-op-devices').fill(`${eui}\nnot-a-device`);
    await page.locator('#dcc-op-cells-supplier').check();
    await page.locator('#dcc-op-reason').fill('typo');
    await page.locator('#dcc-op-by').fill('Ada at the DCC');
    const rows = await recoveryRows();
    const before = dumpDeviceTables(h.world);
    await page.getByRole('button', { name: 'Review the order…' }).click();
    await page.locator('#dcc-op-confirm').click();
    const status = page.locator('#dcc-operations > p.status');
    await expect.poll(async () => (await status.textContent()) ?? '').toMatch(/^The DCC refused the order, nothing was done: devices\[1\] 'not-a-device' is not an EUI-64/);
    expect(await status.getAttribute('class')).toContain('error');
    expect(await recoveryRows()).toBe(rows);
    expect(dumpDeviceTables(h.world)).toBe(before);
    // a form missing its reason is not sent at all
    await page.locator('#dcc-op-reason').fill('');
    await page.getByRole('button', { name: 'Review the order…' }).click();
    await expect.poll(async () => (await status.textContent()) ?? '').toMatch(/Give a reason/);
    expect(await page.locator('#dcc-op-confirm').isVisible()).toBe(false);
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
