import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startHarness, type Harness } from '../helpers/gateway.ts';

// The web console behind the admin token, in a real browser: without credentials nothing of it
// loads; with the token given as the Basic password (what a browser asks for on the 401) the page,
// its scripts, its JSON API calls and the live timeline all work, none refused.

const CHROMIUM = process.env.DCC_SIM_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'console-admin-token-0123456789abcdef';

let h: Harness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does) or point DCC_SIM_CHROMIUM at a Chromium`);
  h = await startHarness({ adminToken: TOKEN });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('the console behind the admin token', () => {
  it('without credentials: the browser is asked for them (Basic) and gets no console', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // headless, nobody can answer the prompt: Chromium gives up on the Basic challenge
    const outcome = await page.goto(`${h.server.url}/`).then(
      (res) => `HTTP ${res?.status()}`,
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|HTTP 401/);
    // and the same request as a script would make it
    const api = await context.request.get(`${h.server.url}/api/console/world`);
    expect(api.status()).toBe(401);
    await context.close();
  });

  it('with the token as the Basic password: the page, its API calls and the live timeline work', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'tester', password: TOKEN } });
    await context.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
    const page = await context.newPage();
    const statuses: { url: string; status: number }[] = [];
    page.on('response', (r) => statuses.push({ url: r.url(), status: r.status() }));
    const res = await page.goto(`${h.server.url}/`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.locator('#results tbody tr').first().waitFor({ timeout: 15_000 });
    const api = statuses.filter((s) => s.url.includes('/api/'));
    expect(api.length, 'the console called its API').toBeGreaterThan(0);
    expect(statuses.filter((s) => s.status === 401), 'nothing refused').toEqual([]);
    expect(statuses.some((s) => s.url.includes('/api/console/events')), 'the live timeline connected').toBe(true);
    await context.close();
  }, 60_000);
});
