import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openConsolePage } from '../helpers/console-browser.ts';
import { dashedEui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice } from '../helpers/gateway-requests.ts';
import { zaz1WorldFile } from '../helpers/gateway-zaz1.ts';

// The request library in Debian's Chromium, issue 18's "done when": an example sent, edited and sent
// again (the timeline shows both, each with its own outcome), filtered by party; and an RTDS template
// pasted as it is published, signed as the party its RequestID names and sent.

let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const requestTarget = (xml: string) => /<sr:RequestID>[^:<]+:([^:<]+):/.exec(xml)![1]!;

describe('the request library: edit and resend, party filter (demo world)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ workers: 0 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('sends an example for a device it picks, resends it edited for another supplier\'s meter, and the timeline shows both outcomes; the party filter narrows the timeline and its downloads', async () => {
    await page.goto(`${h.server.url}/#library`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByLabel('Service', { exact: true }).selectOption('read-supply');
    await page.getByRole('button', { name: 'Fill in' }).click();
    await page.locator('#library-status', { hasText: 'a device the service suits' }).waitFor();
    const xml = await page.locator('#library-xml').inputValue();
    const first = requestTarget(xml);
    const firstDevice = h.world.store.getDevice(first.replace(/-/g, ''))!;
    const supplier = h.world.store.getSupplyPoint(firstDevice.mpxn!)!.supplierEui!;
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✓ I0' }).waitFor();

    // edit the RequestID's target to a meter of another supplier and resend: refused, saying why
    const other = pickDevice(h.world, 'ESME', (d, reg) => d.status === 'Commissioned' && reg.supplier !== null && reg.supplier !== supplier);
    await page.locator('#library-xml').fill(xml.replace(`:${first}:`, `:${dashedEui(other.eui)}:`));
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✗ E4' }).waitFor();

    const card = (device: string) => page.locator(`#timeline li[data-service="7.4"][data-device="${device}"]`).first();
    await expect.poll(() => card(first).getAttribute('data-outcome')).toBe('success');
    await expect.poll(() => card(dashedEui(other.eui)).getAttribute('data-outcome')).toBe('failure');
    await card(dashedEui(other.eui)).locator('.reason', { hasText: 'is not the registered Import Supplier' }).waitFor();

    // the timeline by party: the sender's requests stay, another party's are hidden; the downloads follow
    const network = dashedEui(h.world.store.getSupplyPoint(firstDevice.mpxn!)!.networkOperatorEui);
    await page.getByLabel('Filter by sender (party)').selectOption(network);
    await expect.poll(() => card(first).isVisible()).toBe(false);
    expect(await page.locator('#timeline-export-csv').getAttribute('href')).toContain(`originator=${network}`);
    await page.getByLabel('Filter by sender (party)').selectOption(dashedEui(supplier));
    await expect.poll(() => card(first).isVisible()).toBe(true);
    const href = (await page.locator('#timeline-export-json').getAttribute('href'))!;
    expect(href).toContain(`originator=${dashedEui(supplier)}`);
    const exported = (await (await fetch(`${h.server.url}${href}`)).json()) as { originator: { eui: string } | null }[];
    expect(exported.length).toBeGreaterThanOrEqual(2);
    expect(exported.filter((r) => r.originator?.eui !== dashedEui(supplier))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe('the request library: a pasted RTDS template (ZAZ1 world)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ file: zaz1WorldFile(), workers: 0 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(path.dirname(h.file), { recursive: true, force: true });
  });

  it('signs a pasted RTDS template as the party its RequestID names, sends it and shows the device\'s answer', async () => {
    const templates = path.join(path.dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-templates/package.json')), 'templates');
    const pasted = readFileSync(path.join(templates, 'ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML'), 'utf8');
    await page.goto(`${h.server.url}/#library`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#library-xml').fill(pasted);
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✓ I0' }).waitFor();
    await page.locator('#library-legs button', { hasText: 'serviceS CV 1: I99' }).waitFor();
    await page.locator('#timeline li[data-service="4.1.1"][data-outcome="success"]').first().waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
