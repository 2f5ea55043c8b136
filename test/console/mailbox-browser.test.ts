import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';
import { dashedEui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice, retrieveXml, signAs } from '../helpers/gateway-requests.ts';
import { Receiver } from '../resilience/kit.ts';

// A party's mailbox in the console, in Debian's Chromium: from the party list to its mailbox, a
// response kept there for want of a Receive Response Service URL, its decoded DUIS in the request
// inspector, and the URL set from the page delivering it.


let h: Harness;
let browser: Browser;
let page: Page;
const receiver = new Receiver();
const consoleErrors: string[] = [];

beforeAll(async () => {
  h = await startHarness({ workers: 0 });
  await receiver.start();
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await receiver.stop();
});

describe('mailboxes in the console', () => {
  it("opens a party's mailbox, sees a response kept without a URL, inspects it, and sets the URL to deliver it", async () => {
    const d = pickDevice(h.world, 'ESME', (dev, reg) => dev.status === 'Commissioned' && reg.supplier !== null);
    const supplier = h.world.store.getParty(d.supplier)!;
    h.world.store.setResponseUrl(d.supplier, null);
    const answer = await h.post('serviceS', signAs(h.world, d.supplier, retrieveXml(d.supplier, d.eui, h.nextCounter())));
    expect(answer.code).toBe('I99');
    const requestId = answer.response.requestId!.text;

    await page.goto(`${h.server.url}/#mailboxes`);
    await page.waitForSelector('body[data-ready="true"]');
    const row = page.locator(`#parties-table tbody tr[data-eui="${dashedEui(d.supplier)}"]`);
    await row.getByText('not set').waitFor();
    await row.getByRole('link', { name: supplier.name }).click();

    await page.locator('#mailbox-heading', { hasText: supplier.name }).waitFor();
    const entry = page.locator('#mailbox-table tbody tr', { hasText: requestId });
    await entry.getByText('kept: no URL').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'mailbox.png') });

    // the request inspector decodes the response it answers
    await entry.getByRole('button', { name: 'DUIS and GBCS' }).click();
    const dialog = page.locator('#dialog');
    await dialog.getByText(requestId).first().waitFor();
    await dialog.locator('h4', { hasText: /^DUIS asynchronous response .*not yet delivered/ }).waitFor();
    await page.locator('#dialog-close').click();

    // set the URL from the page: what waited is delivered
    await page.getByLabel('Receive Response Service URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#mb-url-status', { hasText: 'Saved' }).waitFor();
    await expect.poll(() => receiver.accepted.length, { timeout: 5_000 }).toBe(1);
    await page.locator('#mailbox-table tbody tr', { hasText: requestId }).getByText('delivered').waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
