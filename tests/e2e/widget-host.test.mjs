// The widget as a guest in someone else's page: it runs under a strict
// Content-Security-Policy with Trusted Types enforced, never throws into the
// host page when its server is down, blocked or slow (the bubble says what
// is going on), and gives the page a small API: `Lantern.on`, `open`,
// `close`, `setLanguage`, `hide`, `show`. Real server, real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  W, env, useWidgetEnv, hostHtml, newHost, launcher, panel, input, openPanel,
  waitForConversation, ask, ownSite,
} from './widget-support.mjs';

useWidgetEnv();

/** A page of `srv`'s origin served with `csp`; collects what goes wrong. */
async function cspHost(csp, srv = env.server) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const problems = { errors: [], violations: [] };
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  page.on('console', (m) => { if (/Content.Security.Policy|Trusted ?Type/i.test(m.text())) problems.violations.push(m.text()); });
  await page.route(`${srv.base}/strict`, (r) => r.fulfill({
    contentType: 'text/html; charset=utf-8',
    headers: { 'content-security-policy': csp },
    // No inline <style>: the page itself keeps to its policy.
    body: hostHtml({ srv }).replace('<style></style>', ''),
  }));
  await page.goto(`${srv.base}/strict`);
  await launcher(page).waitFor({ state: 'visible' });
  return { context, page, problems };
}

const STRICT = (base, wasm = " 'wasm-unsafe-eval'") =>
  `default-src 'self'; script-src 'self' ${base}${wasm}; style-src 'self'; ` +
  "object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'";

test('under a strict CSP with Trusted Types the widget runs: panel, replies with markup, icons', async () => {
  const { context, page, problems } = await cspHost(STRICT(env.server.base));
  await openPanel(page);
  await waitForConversation(page);
  const answer = await ask(page, 'What is Lantern?');
  assert.ok(answer.length > 0, 'the reply is shown');
  // The reply's markup and the icons went in through the `lantern` policy.
  assert.ok(await page.locator(`${W} .log .msg.assistant .html p`).count() >= 1, 'reply html rendered');
  assert.ok(await page.locator(`${W} .head button svg`).count() === 3, 'header icons drawn');
  // The panel is styled although `style-src` has no 'unsafe-inline'.
  const radius = await panel(page).evaluate((el) => getComputedStyle(el).borderRadius);
  assert.equal(radius, '14px');
  assert.deepEqual(problems.violations, []);
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('a CSP that refuses WebAssembly: the bubble says the chat is unavailable, nothing thrown', async () => {
  const { context, page, problems } = await cspHost(STRICT(env.server.base, ''));
  await launcher(page).click();
  await page.locator(`${W} .lantern-launcher[data-error]`).waitFor({ timeout: 20_000 });
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Chat unavailable');
  assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator(`${W} .lantern-badge`).textContent(), '!');
  assert.deepEqual(problems.errors, [], 'nothing thrown into the host page');
  await context.close();
});

test('server down after the page loaded: an honest bubble, no errors; slow: busy, then open', async () => {
  const own = await ownSite('Down');
  const { context, page, problems } = await newHost({ site: own.site }, {}, own.srv);
  await own.stop();
  await page.evaluate(() => window.Lantern.open());
  await page.locator(`${W} .lantern-launcher[data-error]`).waitFor({ timeout: 20_000 });
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Chat unavailable');
  assert.deepEqual(problems.errors, [], 'nothing thrown into the host page');
  await context.close();

  // A slow server: the bubble is busy while the app is on its way, and the
  // panel opens once it arrives.
  const slow = await newHost();
  let release;
  const held = new Promise((r) => { release = r; });
  let seen;
  const requested = new Promise((r) => { seen = r; });
  await slow.page.route(/\/widget\/lantern-widget-[0-9a-f]+\.js$/, async (r) => { seen(); await held; await r.continue(); });
  await launcher(slow.page).click();
  await requested;
  assert.equal(await launcher(slow.page).getAttribute('aria-busy'), 'true');
  release();
  await input(slow.page).waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await launcher(slow.page).getAttribute('aria-busy'), null);
  assert.deepEqual(slow.problems.errors, []);
  await slow.context.close();
});

test('a blocked app: unavailable, and the next click tries again', async () => {
  const { context, page, problems } = await newHost();
  await page.route(/\/widget\/lantern-widget-[0-9a-f]+\.js$/, (r) => r.abort('blockedbyclient'));
  await launcher(page).click();
  await page.locator(`${W} .lantern-launcher[data-error]`).waitFor({ timeout: 20_000 });
  await page.unroute(/\/widget\/lantern-widget-[0-9a-f]+\.js$/);
  await openPanel(page);
  assert.equal(await launcher(page).getAttribute('data-error'), null);
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Close chat');
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('Lantern.on, setLanguage, hide and show', async () => {
  const { context, page, problems } = await newHost();
  await page.evaluate(() => {
    window.__seen = [];
    const L = window.Lantern;
    L.on('open', () => window.__seen.push('open'));
    L.on('close', () => window.__seen.push('close'));
    L.on('message', (m) => window.__seen.push(`message:${m.role}:${m.content}`));
    // A listener that throws stops neither the widget nor the others.
    L.on('open', () => { throw new Error('the host page\'s own bug'); });
  });
  await page.evaluate(() => window.Lantern.open());
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
  await waitForConversation(page);
  await ask(page, 'What is Lantern?');
  await page.waitForFunction(() => window.__seen.some((e) => e.startsWith('message:assistant:')));
  await page.evaluate(() => window.Lantern.close());
  await panel(page).waitFor({ state: 'hidden' });
  const seen = await page.evaluate(() => window.__seen);
  assert.deepEqual(seen.filter((e) => !e.startsWith('message:')), ['open', 'close']);
  const messages = seen.filter((e) => e.startsWith('message:'));
  assert.equal(messages[0], 'message:user:What is Lantern?');
  assert.ok(messages[1].startsWith('message:assistant:'), messages.join(' | '));
  assert.equal(messages.length, 2, 'the history and the welcome are not announced');
  assert.deepEqual(problems.errors.filter((e) => !e.includes('the host page\'s own bug')), []);

  // Language: the launcher at once, the panel when it is shown.
  await page.evaluate(() => window.Lantern.setLanguage('fr'));
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Ouvrir le chat');
  await openPanel(page);
  assert.equal(await input(page).getAttribute('aria-label'), 'Votre message');
  assert.equal(await panel(page).getAttribute('lang'), 'fr');
  assert.ok(await page.locator(`${W} .log .msg.user`, { hasText: 'What is Lantern?' }).count() === 1, 'the conversation stays');
  await page.evaluate(() => window.Lantern.setLanguage('ar'));
  assert.equal(await panel(page).getAttribute('dir'), 'rtl');
  assert.equal(await input(page).getAttribute('aria-label'), 'رسالتك');

  // hide / show: launcher and panel go, and come back as they were.
  await page.evaluate(() => window.Lantern.hide());
  await launcher(page).waitFor({ state: 'hidden' });
  await panel(page).waitFor({ state: 'hidden' });
  await page.evaluate(() => window.Lantern.show());
  await launcher(page).waitFor({ state: 'visible' });
  await panel(page).waitFor({ state: 'visible' });
  await context.close();
});

test('the app is served precompressed (brotli, gzip) and cached immutably; the loader briefly; a pinned loader has its SRI hash', async () => {
  const base = `${env.server.base}/widget`;
  const loader = await fetch(`${base}/loader.js`);
  assert.match(loader.headers.get('cache-control'), /max-age=300\b/);
  const id = (await loader.text()).match(/lantern-widget-[0-9a-f]{16}/)[0];
  for (const file of [`${id}.js`, `${id}_bg.wasm`]) {
    for (const enc of ['br', 'gzip']) {
      const res = await fetch(`${base}/${file}`, { headers: { 'accept-encoding': enc } });
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-encoding'), enc, `${file} as ${enc}`);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, s-maxage=31536000, immutable');
      await res.arrayBuffer();
    }
  }
  const embed = await (await fetch(`${base}/embed.json`)).json();
  const pinned = Buffer.from(await (await fetch(`${env.server.base}${embed.loader}`)).arrayBuffer());
  const { createHash } = await import('node:crypto');
  assert.equal(embed.integrity, `sha384-${createHash('sha384').update(pinned).digest('base64')}`);
  const docs = await (await fetch(`${env.server.base}/docs`)).text();
  assert.ok(docs.includes(embed.integrity), 'the docs page shows the pinned loader\'s hash');
  assert.ok(docs.includes("'wasm-unsafe-eval'"), 'the docs page gives the CSP line');
});
