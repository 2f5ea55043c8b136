import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dashedEui } from '../../pki/index.ts';
import { DCC, DNOS, dnoEui } from '../../src/world/catalogue.ts';
import { demoWorldFile, findDevice, startHarness, type Harness } from '../helpers/gateway.ts';

// The web console in a real browser (Debian's Chromium, headless): find a device, hand it over to
// its supplier and watch the cells change, see a misissued network operator certificate refused
// with its reason. Screenshots go to test-artifacts/console/ for a person to look at.

const CHROMIUM = process.env.DCC_SIM_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts/console');

let h: Harness;
let browser: Browser;
let page: Page;
let baseUrl = '';
const consoleErrors: string[] = [];
const external: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) or point DCC_SIM_CHROMIUM at a Chromium`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  // 400 premises: a few DCC-controlled ESMEs, for the live check, the scenario and the form
  h = await startHarness({ file: demoWorldFile(400) });
  baseUrl = h.server.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB' });
  // the console must not need the network: anything not from the simulator is refused
  await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
    external.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('web console in Chromium', () => {
  it('finds a device, hands it over to its supplier and shows the cells change live; refuses a misissued NO certificate with its reason', async () => {
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
    const sp = h.world.store.getSupplyPoint(esme.mpxn!)!;
    const supplierName = h.world.store.getParty(sp.supplierEui!)!.name;
    const eui = dashedEui(esme.eui);

    // --- Devices: search by EUI prefix and type, open the device --------------------------------
    await page.goto(`${baseUrl}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByLabel('Type').selectOption('ESME');
    await page.getByRole('textbox', { name: 'EUI' }).fill(eui.slice(0, 20));
    const row = page.locator(`#results tbody tr[data-eui="${eui}"]`);
    await row.waitFor();
    await expect.poll(() => page.locator('#results tbody tr').count()).toBeGreaterThan(0);
    // keyboard only: the result's link, Enter, and focus lands on the device's heading
    await row.getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.locator('#device-heading', { hasText: eui }).waitFor();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('device-heading');
    // every control on the page has a name a screen reader can say
    // (browser code as a string: the test's TypeScript has no DOM types)
    const unnamed = await page.evaluate(`[...document.querySelectorAll('input, select, textarea, button, a[href]')]
      .filter((e) => e.offsetParent !== null)
      .filter((e) => !((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.textContent.trim()))
      .map((e) => e.outerHTML.slice(0, 100))`);
    expect(unnamed).toEqual([]);
    const supplierSlot = page.locator('#device .slot[data-cell="supplierDS"]');
    await expect.poll(() => supplierSlot.getAttribute('data-match')).toBe('interim');
    expect(await supplierSlot.locator('[data-role="holder"]').textContent()).toContain('Access Control Broker');
    expect(await supplierSlot.textContent()).toMatch(/Interim.*awaiting|DCC controlled/);
    await shot('01-device-before-handover');

    // --- a 6.21 arrives from outside the browser: the open device view follows it live (SSE) ----
    const res = await fetch(`${baseUrl}/api/console/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: '6.21', device: eui, role: 'Supplier' }),
    });
    expect(((await res.json()) as { accepted: boolean }).accepted).toBe(true);
    await expect.poll(() => supplierSlot.getAttribute('data-match')).toBe('expected');
    expect(await supplierSlot.locator('[data-role="holder"]').textContent()).toBe(supplierName);
    expect(await supplierSlot.locator('.changed-tag').textContent()).toBe('Changed');
    const entry = page.locator(`#timeline li[data-device="${eui}"][data-code="I99"]`).first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('supplierDS');
    await shot('02-device-after-handover-live');

    // --- the request taken apart: decoded DUIS and annotated GBCS --------------------------------
    await entry.getByRole('button', { name: /DUIS and GBCS/ }).click();
    const dialog = page.locator('#dialog');
    await dialog.getByRole('heading', { name: /6\.21 Request Handover/ }).waitFor();
    await dialog.getByText('RemotePartyRole').first().waitFor();
    const gbcs = dialog.locator('section.gbcs', { hasText: 'device response' }).first();
    await gbcs.getByRole('button', { name: /general-signing tag/ }).first().click();
    expect(await gbcs.locator('.hex span.b.hl').count()).toBeGreaterThan(0);
    await shot('03-request-detail');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // --- Training: the handover scenario, a step at a time, with narration ---------------------
    await page.goto(`${baseUrl}/#training`);
    await page.getByLabel('Scenario', { exact: true }).selectOption('commission-esme');
    await page.getByRole('button', { name: 'Start' }).click();
    const narration = page.locator('#sc-narration');
    await narration.waitFor();
    expect(await narration.textContent()).toContain('Step 1: An ESME is installed, still DCC controlled');
    for (let n = 1; n <= 6; n++) {
      await page.getByRole('button', { name: `Run step ${n}` }).click();
      await page.locator('#sc-result-h', { hasText: `Step ${n}:` }).waitFor();
      expect(await page.locator('#sc-result-h').textContent(), `step ${n}`).toContain('done');
      if (n === 2) {
        // the supplier handover: the picked ESME's supplier cells change under the trainee's eyes
        await page.locator('#training-device .slot[data-cell="supplierDS"] .changed-tag').waitFor();
        await shot('04-scenario-supplier-handover');
      }
    }
    await page.locator('#sc-done', { hasText: 'Scenario passed' }).waitFor();
    expect(await page.locator('.checks li', { hasText: 'failed' }).count()).toBe(0);
    const scenarioEui = (await page.locator('#training-device-heading').textContent())!.replace(/^ESME /, '').trim();
    const scenarioView = (await (await fetch(`${baseUrl}/api/console/devices/${scenarioEui}`)).json()) as { registeredNetworkOperator: { name: string } };
    await expect
      .poll(() => page.locator('#training-device .slot[data-cell="networkOperatorDS"] [data-role="holder"]').textContent())
      .toBe(scenarioView.registeredNetworkOperator.name);
    expect(await page.locator('#training-device .slot[data-cell="networkOperatorDS"]').getAttribute('data-match')).toBe('expected');
    await shot('05-scenario-passed');

    // --- Training: a misissued NO certificate in a 6.21 is refused, and the reason shown -------
    const otherDno = DNOS.map((d) => dnoEui(d.distributorId)).find((e) => e !== sp.networkOperatorEui)!;
    await page.goto(`${baseUrl}/#training/${eui}`);
    await page.locator('#training-device-heading', { hasText: eui }).waitFor();
    await page.getByLabel('6.21 Request Handover of DCC Controlled Device', { exact: true }).check();
    await page.getByLabel('Remote party role', { exact: true }).selectOption('NetworkOperator');
    await page.getByLabel('Certificates of', { exact: true }).selectOption(dashedEui(otherDno));
    await page.getByRole('button', { name: 'Sign and send' }).click();
    const outcome = page.locator('#send-result .outcome');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-accepted')).toBe('false');
    expect(await outcome.getAttribute('data-code')).toBe('E062105');
    const text = await outcome.textContent();
    expect(text).toContain('Refused');
    expect(text).toMatch(/belongs to .* but registration data names .* for MPAN \d{13}/);
    const refused = page.locator(`#timeline li[data-code="E062105"]`).first();
    await refused.waitFor();
    expect(await refused.locator('.reason').textContent()).toContain('registration data names');
    // the network operator cells did not move
    expect(await page.locator('#training-device .slot[data-cell="networkOperatorDS"] [data-role="holder"]').textContent()).toContain('Access Control Broker');
    await shot('06-form-refused-no');

    // --- the form again, right this time: the registered NO's certificates go in -------------------
    await page.getByLabel('Certificates of', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await expect.poll(() => outcome.getAttribute('data-accepted')).toBe('true');
    const noSlot = page.locator('#training-device .slot[data-cell="networkOperatorDS"]');
    await expect.poll(() => noSlot.getAttribute('data-match')).toBe('expected');
    expect(await noSlot.locator('[data-role="holder"]').textContent()).toBe(h.world.store.getParty(sp.networkOperatorEui)!.name);
    await shot('07-form-no-handover');

    // --- Reports: the post-commissioning report as a table and a chart per network operator --------
    const world = (await (await fetch(`${baseUrl}/api/console/world`)).json()) as { features: Record<string, boolean> };
    if (world.features.postCommissioningReport) {
      await page.goto(`${baseUrl}/#reports`);
      const table = page.locator('#report-table');
      await table.waitFor();
      expect(await table.locator('tbody tr').count()).toBeGreaterThan(1);
      expect(await page.locator('#report svg[role="img"] rect').count()).toBeGreaterThan(2);
      const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download this table as CSV' }).click()]);
      expect(csv.suggestedFilename()).toMatch(/^post-commissioning-by-network-operator-.*\.csv$/);
      await shot('08-report');
    }

    // --- the API's own documentation, rendered from its OpenAPI document -------------------------
    await page.goto(`${baseUrl}/docs`);
    await page.getByRole('heading', { name: /dcc-sim JSON API/ }).waitFor();
    await page.getByText('/api/console/send').first().waitFor();
    await shot('09-docs');

    expect(consoleErrors).toEqual([]);
    expect(external, 'requests that left the simulator').toEqual([]);
  }, 60_000);

  it('shows a handover the device discards as a failure: red timeline card and dialog with the device reason, and the send form says so', async () => {
    // The README's first request sent twice: the second is acknowledged (I99), then the meter discards
    // it because its supplier cells no longer hold the ACB. Its final outcome is the failure.
    const esme = findDevice(h.world, 'ESME', (d, holders) => d.status === 'InstalledNotCommissioned' && holders.supplierDS === DCC.accessControlBroker);
    const eui = dashedEui(esme.eui);
    const handover = async () =>
      (await (await fetch(`${baseUrl}/api/console/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: '6.21', device: eui, role: 'Supplier' }) })).json()) as {
        accepted: boolean;
        succeeded: boolean;
        legs: { requestLogId: number }[];
      };
    expect(await handover()).toMatchObject({ accepted: true, succeeded: true });
    const second = await handover();
    expect(second).toMatchObject({ accepted: true, succeeded: false });
    const id = second.legs[0]!.requestLogId;

    await page.goto(`${baseUrl}/`);
    await page.waitForSelector('body[data-ready="true"]');
    const card = page.locator(`#timeline li[data-id="${id}"]`);
    await card.waitFor();
    expect(await card.getAttribute('data-outcome')).toBe('failure');
    expect(await card.getAttribute('class')).toContain('refused');
    expect(await card.locator('.tl-head .state').textContent()).toBe('✗ I99 accepted, then E21 refused by the device');
    const reason = await card.locator('.reason').textContent();
    expect(reason).toMatch(/^E21: device discarded the command: originator [0-9A-F]{16} is not [0-9A-F]{16}/);
    // the first one, for contrast, stays a success
    const firstCard = page.locator(`#timeline li[data-id="${id - 1}"]`);
    expect(await firstCard.getAttribute('data-outcome')).toBe('success');
    expect(await firstCard.locator('.tl-head .state').textContent()).toBe('✓ I99 accepted, I0 carried out');
    await shot('10-timeline-device-refused');

    await card.getByRole('button', { name: /DUIS and GBCS/ }).click();
    const dialog = page.locator('#dialog');
    const outcome = dialog.locator('dd[data-outcome]');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-outcome')).toBe('failure');
    expect(await outcome.textContent()).toBe('✗ I99 accepted, then E21 refused by the device');
    expect(await dialog.locator('dd.error').first().textContent()).toMatch(/^device discarded the command: originator [0-9A-F]{16} is not/);
    await dialog.getByText(/DUIS asynchronous response E21: the final outcome of this request/).waitFor();
    await shot('11-dialog-device-refused');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // the console's own send form, third time: refused by the device, in red, with the reason
    await page.goto(`${baseUrl}/#training/${eui}`);
    await page.locator('#training-device-heading', { hasText: eui }).waitFor();
    await page.getByLabel('6.21 Request Handover of DCC Controlled Device', { exact: true }).check();
    await page.getByLabel('Remote party role', { exact: true }).selectOption('Supplier');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    const result = page.locator('#send-result .outcome');
    await result.waitFor();
    expect(await result.getAttribute('data-outcome')).toBe('failure');
    expect(await result.getAttribute('class')).toContain('bad');
    expect(await result.locator('.headline').textContent()).toContain('Refused by the device I99 then E21');
    expect(await result.locator('.reason').textContent()).toMatch(/^Why: device discarded the command: originator/);
    await shot('12-form-device-refused');

    expect(consoleErrors).toEqual([]);
  }, 60_000);
  it("the console's own state-changing actions carry this start's CSRF token; the same page's fetch without it is refused", async () => {
    const now = async () => Date.parse(((await (await fetch(`${baseUrl}/api/clock`)).json()) as { now: string }).now);
    await page.goto(`${baseUrl}/`);
    await page.waitForSelector('body[data-ready="true"]');
    // the clock form (js/api.js's post): +7 days, then back to real time
    await page.getByLabel('Advance the clock by').selectOption('7d');
    await page.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(now).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    // moving the clock back asks first
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.getByRole('button', { name: 'Real time' }).click();
    await expect.poll(async () => Math.abs((await now()) - Date.now())).toBeLessThan(60_000);
    expect(asked).toEqual([expect.stringMatching(/^Real time moves the simulated clock back from .* to .*\. Move it back\?$/)]);
    expect(consoleErrors).toEqual([]);

    // a script in the page (or another tab of this origin) posting without the token: 403, clock unmoved
    const refused = (await page.evaluate(`fetch('/api/clock', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: '30d' }) })
      .then(async (r) => ({ status: r.status, body: await r.json() }))`)) as { status: number; body: { error: string } };
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/^CSRF token missing: it carries the console's cookie but has no X-DCC-Sim-CSRF header/);
    expect(Math.abs((await now()) - Date.now())).toBeLessThan(60_000);
  }, 30_000);
});
