import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server.ts';
import { scratchWorld, type RequestSummary, type StepResult } from '../../src/scenarios/index.ts';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';

// The install, change-of-supplier, SMKI recovery and prepayment scenarios run a step at a time in the
// console's Training view (Debian's Chromium), each once, one after the other, each in a sandbox of one world: every step
// passes, lists the requests it sent, and each request opens as its DUIS and the annotated GBCS it carried
// (the command the DCC sent the device and the device's answer); the DCC's own recovery commands, which
// have no DUIS request, open from the step's request log entries.

/** The DCC's own EUI: a request to it is a non-device service, answered by the DCC with no GBCS. */
const DCC_TARGET = '90B3D51F30000002';

let server: RunningServer;
let cleanup: () => void;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  // the world `dcc-sim scenario run` makes when given none: the scenarios pass on it from the CLI
  const w = scratchWorld();
  cleanup = w.cleanup;
  server = await startServer({ db: w.file, host: '127.0.0.1', port: 0, logger: false });
  ({ browser, page } = await openConsolePage(consoleErrors));
  // which address a failed load was (the console message does not say)
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  cleanup?.();
});

const dialog = () => page.locator('#dialog');

async function closeDialog(): Promise<void> {
  await page.keyboard.press('Escape');
  await dialog().waitFor({ state: 'hidden' });
}

/** The annotated GBCS sections of the open dialog whose title starts so, each with its field annotations. */
async function annotatedGbcs(title: string): Promise<number> {
  const sections = dialog().locator(`section.gbcs[aria-label^="GBCS ${title}"]`);
  const n = await sections.count();
  for (let i = 0; i < n; i++) {
    expect(await sections.nth(i).locator('.hex span.b').count(), `${title}: hex bytes`).toBeGreaterThan(0);
    expect(await sections.nth(i).locator('.ann tbody tr').count(), `${title}: field annotations`).toBeGreaterThan(0);
  }
  return n;
}

/** Opens each leg of a request from its line in the step result, and checks its DUIS and GBCS. */
async function inspect(item: Locator, q: RequestSummary): Promise<void> {
  const buttons = item.getByRole('button', { name: /^DUIS and GBCS/ });
  expect(await buttons.count(), `${q.description}: one button per leg`).toBe(q.legs.length);
  for (const [i, leg] of q.legs.entries()) {
    await buttons.nth(i).click();
    const what = `${q.description} CV${leg.commandVariant}`;
    await expect.poll(() => page.locator('#dialog-title').textContent()).toMatch(new RegExp(`^${q.service.replace(/\./g, '\\.')} `));
    // the DUIS request, decoded field by field
    const duis = dialog().locator('section.gbcs[aria-label="DUIS request"]');
    await duis.waitFor();
    expect(await duis.locator('dl.fields dt').count(), `${what}: DUIS fields`).toBeGreaterThan(0);
    expect(await dialog().locator('#dialog-body').textContent()).toContain(q.requestId.split(':').at(-1)!);
    const refusedByDcc = !q.succeeded && q.finalResponseCode === leg.responseCode && leg.responseCode.startsWith('E');
    if (refusedByDcc) {
      // refused by the DCC, with its reason: nothing went to the device
      await dialog().locator('dd.error').first().waitFor();
      expect(await dialog().locator('dd.error').first().textContent()).toContain(leg.reason ?? '');
      expect(await annotatedGbcs('command the DCC sent to the device'), `${what}: no command`).toBe(0);
    } else if (leg.commandVariant === 2) {
      // for local delivery: the DCC answers with the command for the User to carry to the device
      expect(await annotatedGbcs('command for local delivery'), `${what}: the local command`).toBe(1);
      if (!q.succeeded) expect(await dialog().locator('#dialog-body').textContent()).toContain(q.finalReason ?? '');
    } else if (q.target === DCC_TARGET) {
      // a non-device service: the DCC answers it, no GBCS
      await dialog().getByText('No GBCS message in this exchange.').waitFor();
    } else if (leg.commandVariant === 4) {
      // the first leg of a critical request: the pre-command the DCC returns for the supplier to sign
      expect(await annotatedGbcs('pre-command'), `${what}: the pre-command`).toBe(1);
    } else {
      expect(await annotatedGbcs('command the DCC sent to the device'), `${what}: the command`).toBe(1);
      if (q.finalResponseCode === 'I0') expect(await annotatedGbcs('device response'), `${what}: the device's answer`).toBeGreaterThan(0);
    }
    await closeDialog();
  }
}

/**
 * Runs a scenario in the Training view a step at a time; for each step, that it passed, that its requests are
 * listed, and the DUIS and GBCS of its first request to a device (or its first request). Returns the results.
 */
async function runInTraining(name: string, o: { onStep?: (r: StepResult) => Promise<void>; samePage?: boolean } = {}): Promise<StepResult[]> {
  const { onStep } = o;
  if (!o.samePage || !page.url().includes('#training')) {
    // a fresh page (a query string: a new hash alone would not reload it)
    await page.goto(`${server.url}/?scenario=${name}#training`);
    await page.waitForSelector('body[data-ready="true"]');
  }
  await page.getByLabel('Scenario', { exact: true }).selectOption(name);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.locator('#sc-narration').waitFor();
  const total = await page.locator('ol.scenario-steps > li').count();
  const results: StepResult[] = [];
  for (let n = 1; n <= total; n++) {
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/scenarios\/runs\/[^/]+\/next$/.test(r.url()));
    await page.getByRole('button', { name: `Run step ${n}`, exact: true }).click();
    const r = (await (await answer).json()) as StepResult;
    results.push(r);
    await page.locator('#sc-result-h', { hasText: `Step ${n}:` }).waitFor();
    const failed = r.assertions.filter((a) => !a.ok).map((a) => a.message);
    expect({ step: r.id, error: r.error, failed }).toEqual({ step: r.id, error: null, failed: [] });
    expect(await page.locator('#sc-result-h').textContent(), `${name} step ${n}`).toContain('done');
    expect(await page.locator('.scenario-result .checks li', { hasText: 'failed' }).count()).toBe(0);
    const items = page.locator('.scenario-result ul.sc-requests > li');
    expect(await items.count(), `${name} step ${n}: its requests are listed`).toBe(r.requests.length);
    const q = r.requests.find((x) => x.target !== DCC_TARGET) ?? r.requests[0];
    if (q) await inspect(page.locator(`.scenario-result ul.sc-requests > li[data-request-id="${q.requestId}"]`), q);
    await onStep?.(r);
  }
  await page.locator('#sc-done', { hasText: 'Scenario passed' }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, `training-${name}.png`) });
  expect(consoleErrors.splice(0), `${name}: errors in the page`).toEqual([]);
  return results;
}

const byId = (results: StepResult[], id: string): StepResult => {
  const r = results.find((x) => x.id === id);
  if (!r) throw new Error(`no step ${id}`);
  return r;
};

describe('guided scenarios in the Training view, step by step, in Chromium', () => {
  it('install-dual-fuel: every step a DUIS request whose GBCS opens annotated; the GPF commissioned with its hub, the ESME by its 8.1.1', async () => {
    // the 8.1.1's second leg, opened while its step's result is shown: the clock command the DCC sent the ESME, and the ESME's answer
    const openCommission = async (r: StepResult) => {
      if (r.id !== 'commission') return;
      const item = page.locator(`.scenario-result ul.sc-requests > li[data-service="8.1.1"]`).first();
      await item.getByRole('button', { name: /signed pre-command, the device's answer/ }).click();
      await dialog().locator('section.gbcs[aria-label^="GBCS device response"]').first().waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, 'training-install-8.1.1.png') });
      await closeDialog();
    };
    const results = await runInTraining('install-dual-fuel', { onStep: openCommission });
    expect(byId(results, 'pre-notify').requests.map((q) => q.service)).toEqual(['12.2', '12.2', '12.2', '12.2', '12.2', '12.2', '8.4', '8.4', '8.4', '8.4']);
    // the hub's 8.14.1 commissions its GPF; the PPMID's joins; both devices counted compliant
    expect(byId(results, 'hub-installed').requests.map((q) => [q.service, q.finalResponseCode])).toEqual([['8.14.1', 'I0']]);
    expect(byId(results, 'in-home').requests.map((q) => [q.service, q.finalResponseCode])).toEqual([['8.7.1', 'I0'], ['8.7.2', 'I0'], ['8.7.2', 'I0'], ['8.7.2', 'I0'], ['8.9', 'I0']]);
    expect(byId(results, 'report').happened.join('\n').match(/is compliant/g)).toHaveLength(2);
    const commission = byId(results, 'commission');
    expect(commission.requests[0]).toMatchObject({ service: '8.1.1', finalResponseCode: 'I0' });
    expect(commission.requests[0]!.legs.map((l) => l.commandVariant)).toEqual([4, 5]);
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it("change-of-supplier: the losing supplier refused by the DCC, the gaining supplier's 6.23 swaps the cells, the losing supplier's local command refused by the meter with its reason, each request opened", async () => {
    // picked on the page where install-dual-fuel has just passed: Start starts the one picked
    const results = await runInTraining('change-of-supplier', { samePage: true });
    expect(results[0]!.scenario).toBe('change-of-supplier');
    expect(byId(results, 'losing-supplier-refused').requests[0]).toMatchObject({ finalResponseCode: 'E4', succeeded: false });
    expect(byId(results, 'cos').requests[0]).toMatchObject({ service: '6.23', finalResponseCode: 'I0' });
    expect(byId(results, 'cos').cellsChanged.map((c) => c.cell)).toEqual(['supplierDS', 'supplierKA', 'supplierTopUpKA']);
    // the losing supplier's command for local delivery, refused by the meter after the switch: a failure with the meter's reason
    const byMeter = byId(results, 'losing-supplier-refused-by-meter').requests[0]!;
    expect(byMeter).toMatchObject({ service: '4.1.1', finalResponseCode: 'E21', succeeded: false });
    expect(byMeter.finalReason).toMatch(/holds no cell/);
  }, 60_000);

  it("smki-recovery: the DCC's recovery commands open from the step's request log entries with their annotated GBCS", async () => {
    let opened = 0;
    const results = await runInTraining('smki-recovery', { onStep: async (r) => {
      if (r.id !== 'recovery') return;
      // no DUIS request: the step names the request log entries of the DCC's own commands, each a link
      expect(r.requests).toEqual([]);
      const first = Number(/request log #(\d+)/.exec(r.happened[0] ?? '')?.[1]);
      expect(first).toBeGreaterThan(0);
      await page.locator('.scenario-result ul.happened').getByRole('button', { name: `#${first}`, exact: true }).click();
      await dialog().locator('section.gbcs[aria-label^="DCC order"]').waitFor();
      expect(await annotatedGbcs("the DCC's recovery command"), 'the recovery command').toBe(1);
      expect(await annotatedGbcs("the device's response"), "the GPF's answer").toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS, 'training-smki-recovery-command.png') });
      await closeDialog();
      opened++;
    } });
    expect(opened).toBe(1);
    expect(byId(results, 'compromise').requests[0]).toMatchObject({ service: '6.15.1', succeeded: false });
  }, 60_000);

  it('prepayment: top-up, drain, emergency credit, disconnection and reconnection, each step with its requests opened', async () => {
    const results = await runInTraining('prepayment');
    expect(byId(results, 'emergency-credit').requests.map((q) => q.service)).toEqual(['2.5']);
    expect(byId(results, 'reconnected').requests.map((q) => q.service)).toContain('7.1');
  }, 90_000);
});
