import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, openConsolePage } from '../helpers/console-browser.ts';
import { dashedEui } from '../../pki/index.ts';
import { startHarness, type Harness } from '../helpers/gateway.ts';
import { pickDevice } from '../helpers/gateway-requests.ts';

// The request library in Debian's Chromium: a service's example filled in for a device, edited, signed
// as its originator and sent; the final outcome and the request inspector (the command the DCC sent and
// the device's answer); and a signed copy as curl that, posted as it stands, the gateway accepts.


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

describe('the request library in the console', () => {
  it('fills in an example, sends it signed, shows the final outcome and inspects both directions; copies a signed request as curl', async () => {
    const esme = pickDevice(h.world, 'ESME', (d, reg, holders) => d.status === 'Commissioned' && reg.supplier !== null && holders.supplierDS === reg.supplier);
    await page.goto(`${h.server.url}/#library/${dashedEui(esme.eui)}`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByLabel('Service', { exact: true }).selectOption('read-supply');
    await page.getByRole('button', { name: 'Fill in' }).click();
    await expect.poll(() => page.locator('#library-xml').inputValue()).toContain('<sr:ReadSupplyStatus');

    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✓ I0' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'library.png') });
    await page.locator('#library-legs button', { hasText: 'serviceS CV 1: I99' }).click();
    const dialog = page.locator('#dialog');
    await dialog.getByText('command the DCC sent to the device').first().waitFor();
    await dialog.getByText(/device response/).first().waitFor();
    await page.locator('#dialog-close').click();

    // an edited request the device cannot take is refused with its reason, not shown as a success
    const xml = await page.locator('#library-xml').inputValue();
    await page.locator('#library-xml').fill(xml.replace('<sr:ReadSupplyStatus/>', '<sr:EnableSupply/>').replace(/<sr:ServiceReference>7\.4</, '<sr:ServiceReference>7.1<').replace(/<sr:ServiceReferenceVariant>7\.4</, '<sr:ServiceReferenceVariant>7.1<'));
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✗' }).waitFor();

    // copy as curl: the signed request, posted as it stands, is accepted once
    await page.locator('#library-xml').fill(xml);
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await page.locator('#library-curl-text').textContent();
    expect(curl).toMatch(/^curl -sS -X POST '.*\/api\/v1\/serviceS'/);
    const signed = /<<'DUIS'\n([\s\S]*)\nDUIS$/.exec(curl!)![1]!;
    expect(signed).toContain('<ds:Signature');
    const res = await fetch(`${h.server.url}/api/v1/serviceS`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: signed });
    expect(res.headers.get('x-dcc-sim-response-code')).toBe('I99');
    expect(consoleErrors).toEqual([]);
  });

  it('injects a fault from the device page, sees the request fail with its reason, and clears it in one click', async () => {
    const esme = pickDevice(h.world, 'ESME', (d, reg, holders) => d.status === 'Commissioned' && reg.supplier !== null && holders.supplierDS === reg.supplier);
    await page.goto(`${h.server.url}/#devices/${dashedEui(esme.eui)}`);
    await page.locator('#device-faults').waitFor();
    await page.locator('#fault-list', { hasText: 'No fault injected' }).waitFor();
    await page.getByLabel('Fault', { exact: true }).selectOption('device-offline');
    await page.locator('#fault-inject').click();
    await page.locator('#fault-list li', { hasText: 'device-offline' }).waitFor();

    await page.goto(`${h.server.url}/#library/${dashedEui(esme.eui)}`);
    await page.getByLabel('Service', { exact: true }).selectOption('read-supply');
    await page.getByRole('button', { name: 'Fill in' }).click();
    await expect.poll(() => page.locator('#library-xml').inputValue()).toContain('<sr:ReadSupplyStatus');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✗ E21: the device does not answer (injected fault: device offline)' }).waitFor();

    await page.goto(`${h.server.url}/#devices/${dashedEui(esme.eui)}`);
    await page.locator('#fault-list li', { hasText: 'device-offline' }).getByRole('button', { name: 'Clear' }).click();
    await page.locator('#fault-list', { hasText: 'No fault injected' }).waitFor();
    expect(h.world.store.faults.all()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('8.13 where no device has answered a command delivered locally: Fill in says the library had a read delivered first, and the answer it returns is taken', async () => {
    await page.goto(`${h.server.url}/#library`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.getByLabel('Service', { exact: true }).selectOption('return-local-response');
    await page.locator('#library-device').fill('');
    await page.getByRole('button', { name: 'Fill in' }).click();
    await page.locator('#library-status', { hasText: /^No device had answered a command delivered locally: .* obtained 4\.1\.1 for local delivery \(CV 2\)/ }).waitFor();
    await expect.poll(() => page.locator('#library-xml').inputValue()).toContain('<sr:ReturnLocalCommandResponse');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.locator('#library-outcome', { hasText: '✓ I0' }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
