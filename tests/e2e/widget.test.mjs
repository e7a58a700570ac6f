// The demo page and the widget, in headless Chromium against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLantern, launchBrowser } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await startLantern();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the demo page embeds the widget and opening it mounts the WASM app', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.base}/`);

  const launcher = page.locator('#lantern-widget').locator('button.lantern-launcher');
  await launcher.waitFor({ state: 'visible' });
  assert.equal(await launcher.getAttribute('aria-label'), 'Open chat');

  await launcher.click();
  const app = page.locator('#lantern-widget').locator('[data-lantern-app="demo"]');
  await app.waitFor({ state: 'attached', timeout: 20_000 });
  assert.match(await app.innerText(), /Lantern/);
  assert.deepEqual(errors, []);
  await page.close();
});
