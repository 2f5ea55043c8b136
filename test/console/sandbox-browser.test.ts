import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server.ts';
import { sendRequest } from '../../src/client.ts';
import { loadExamples } from '../../src/world/index.ts';
import { seedTemplate, type WorldTemplate } from '../compliance/worlds.ts';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';

// Training sandboxes in the console, in Chromium: make one, see a head-end's request to it arrive
// live, move its clock (asked before going back), reset it, and follow a scenario into its own.

let template: WorldTemplate;
let server: RunningServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  template = seedTemplate({ premises: 60, seed: 'sandboxes', at: new Date() });
  server = await startServer({ db: template.copy(), host: '127.0.0.1', port: 0, logger: false });
  ({ browser, page } = await openConsolePage(consoleErrors));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  template?.cleanup();
});

const sharedNow = async () => Date.parse(((await (await fetch(`${server.url}/api/clock`)).json()) as { now: string }).now);
const shownNow = async () => Date.parse((await page.locator('#clock-now').getAttribute('datetime')) ?? '');

describe('sandboxes in the console', () => {
  it('creates a sandbox, shows a request sent to it live, keeps its clock apart, asks before going back, and resets it', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('body').getAttribute('data-world')).toBe('shared');
    await page.getByLabel('New sandbox name').fill('trainee 1');
    await page.getByRole('button', { name: 'New sandbox' }).click();
    await page.waitForURL(/\/\?sandbox=[0-9a-f]{8}/);
    await page.waitForSelector('body[data-ready="true"]');
    const id = new URL(page.url()).searchParams.get('sandbox')!;
    await page.locator('#world-banner', { hasText: 'Sandbox “trainee 1”' }).waitFor();
    expect(await page.locator('body').getAttribute('data-world')).toBe('sandbox');
    expect(await page.locator('#timeline li').count()).toBe(0);

    // a head-end pointed at the sandbox: its request shows in the sandbox's live timeline
    const list = (await (await fetch(`${server.url}/sandboxes/${id}/api/console/devices?type=ESME&status=InstalledNotCommissioned&limit=1`)).json()) as { devices: { eui: string }[] };
    const eui = list.devices[0]!.eui;
    const { exampleRequest } = await loadExamples();
    const legs = await sendRequest(server.world, { xml: exampleRequest(server.world, 'handover', { device: eui.replace(/-/g, '') as never }), baseUrl: `${server.url}/sandboxes/${id}` });
    expect(legs.map((l) => l.responseCode)).toEqual(['I99']);
    await page.locator('#timeline li', { hasText: '6.21' }).first().waitFor();

    // its clock moves; the shared world's does not
    await page.getByLabel('Advance the clock by').selectOption('7d');
    await page.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(shownNow).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(Math.abs((await sharedNow()) - Date.now())).toBeLessThan(60_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox.png') });

    // "Real time" asks before moving the clock back: said no, it stays
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Real time' }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/^Real time moves the simulated clock back/);
    const inSandbox = Date.parse(((await (await fetch(`${server.url}/sandboxes/${id}/api/clock`)).json()) as { now: string }).now);
    expect(inSandbox).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    // reset: back to the copy made at creation, request and clock gone
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(async () => Math.abs((await shownNow()) - Date.now())).toBeLessThan(60_000);
    await expect.poll(() => page.locator('#timeline li').count()).toBe(0);
    expect(await page.locator('#world-pick').inputValue()).toBe(id);

    await page.getByRole('button', { name: 'Back to shared world' }).click();
    await page.waitForURL((u) => !u.search.includes('sandbox'));
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('body').getAttribute('data-world')).toBe('shared');
    expect(await page.locator('#timeline li').count()).toBe(0); // nothing reached the shared world
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it('a scenario started in the Training view runs in a sandbox of its own, and the page follows it there', async () => {
    await page.goto(`${server.url}/#training`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#sc-pick').selectOption('misissued-certificate');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/\?sandbox=[0-9a-f]{8}#training/);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#world-banner', { hasText: 'scenario: misissued-certificate' }).waitFor();
    await page.getByRole('button', { name: 'Run step 1' }).click();
    await page.getByRole('button', { name: 'Run step 2' }).click();
    await page.locator('#timeline li').first().waitFor(); // the step's request, in the sandbox's timeline
    expect((await (await fetch(`${server.url}/api/requests`)).json()) as unknown[]).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 90_000);
});
