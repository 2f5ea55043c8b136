// Debian's Chromium, headless, on the web console: one page whose console errors the test collects.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DCC_SIM_CHROMIUM ?? '/usr/bin/chromium';
/** Where the browser tests leave their screenshots. */
export const ARTIFACTS = path.resolve('test-artifacts/console');

/** A browser and a 1440×900 en-GB page; every console error and page error goes into `consoleErrors`. */
export async function openConsolePage(consoleErrors: string[]): Promise<{ browser: Browser; page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium or point DCC_SIM_CHROMIUM at a Chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return { browser, page };
}
