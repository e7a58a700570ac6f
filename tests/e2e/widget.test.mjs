// The widget in headless Chromium against the real server (no mocks). Host
// pages are served on the server's own origin through page.route, so the
// server's same-origin rule admits the visitor; every API call goes to the
// real `lantern serve`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startLantern } from './support.mjs';
import {
  SHOTS, W, env, useWidgetEnv, newHost, launcher, panel, input, openPanel,
  waitForConversation, send, ask, shadowActive, ownSite, stored, messagePosted,
} from './widget-support.mjs';

useWidgetEnv();

test('the loader is small, loads no app until opened, and the click opens an interactive panel', async () => {
  const res = await fetch(`${env.server.base}/widget/loader.js`);
  assert.equal(res.status, 200);
  const gz = gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
  assert.ok(gz <= 2048, `loader.js is ${gz} bytes gzipped (budget 2048)`);

  const { context, page, problems } = await newHost();
  // Keep the app's wasm memory in view, for the memory figure below.
  await page.evaluate(() => {
    const keep = (p) => p.then((r) => { window.__lanternMemory = (r.instance ?? r).exports.memory; return r; });
    const [s, i] = [WebAssembly.instantiateStreaming, WebAssembly.instantiate];
    WebAssembly.instantiateStreaming = (...a) => keep(s.apply(WebAssembly, a));
    WebAssembly.instantiate = (...a) => keep(i.apply(WebAssembly, a));
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const heap = async () => (await cdp.send('Performance.getMetrics')).metrics
    .find((m) => m.name === 'JSHeapUsedSize').value;
  await cdp.send('HeapProfiler.collectGarbage');
  const heapBefore = await heap();
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
  await page.waitForTimeout(500);
  assert.deepEqual(wasm, [], 'no WASM is fetched before the visitor opens the chat');
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Open chat');
  assert.equal(await launcher(page).getAttribute('aria-expanded'), 'false');

  // Time from click to a visible, focused message box, measured in the page.
  await page.evaluate(() => {
    const root = document.getElementById('lantern-widget').shadowRoot;
    root.querySelector('.lantern-launcher').addEventListener('click', () => {
      const t0 = performance.now();
      (function poll() {
        const ta = root.querySelector('textarea');
        if (ta && ta.offsetParent !== null && root.activeElement === ta) window.__lanternTti = performance.now() - t0;
        else requestAnimationFrame(poll);
      })();
    }, { once: true });
  });
  await launcher(page).click();
  await page.waitForFunction(() => window.__lanternTti !== undefined, null, { timeout: 20_000 });
  const tti = await page.evaluate(() => window.__lanternTti);
  console.log(`# click to interactive panel: ${tti.toFixed(0)} ms (Chromium, cold cache, loopback)`);
  await waitForConversation(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const js = (await heap()) - heapBefore;
  const linear = await page.evaluate(() => window.__lanternMemory?.buffer.byteLength ?? 0);
  console.log(`# memory of the open widget: JS heap +${(js / 1024).toFixed(0)} KiB, wasm linear memory ${(linear / 1024).toFixed(0)} KiB`);
  assert.ok(wasm.length === 1, 'the WASM app is fetched once on open');
  assert.equal(await panel(page).getAttribute('data-lantern-app'), 'demo');
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Close chat');
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('the demo page embeds the widget and opening it mounts the app', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${env.server.base}/`);
  await openPanel(page);
  assert.equal(await panel(page).getAttribute('data-lantern-app'), 'demo');
  await page.locator(`${W} .log .msg.assistant`).first().waitFor({ timeout: 15_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('open, send, see the answer; reload keeps the conversation and the open panel', async () => {
  const { context, page, problems } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  const posted = messagePosted(page);
  const answer = await ask(page, 'What is Lantern?');
  assert.ok(answer.length > 0, 'the assistant answered');
  assert.match((await posted).headers()['content-type'], /^text\/event-stream/, 'the reply was streamed');

  await page.reload();
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
  await page.locator(`${W} .log .msg.user`, { hasText: 'What is Lantern?' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(`${W} .log .msg.user`).count(), 1, 'history is not duplicated');
  assert.ok(await page.locator(`${W} .log .msg.assistant .html`).count() >= 2, 'welcome and reply restored');
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('an Arabic page lays the widget out right to left', async () => {
  const { context, page, problems } = await newHost({ lang: 'ar', dir: 'rtl' });
  const box = await launcher(page).boundingBox();
  const vw = page.viewportSize().width;
  assert.ok(box.x < vw / 2, 'the launcher sits on the left for RTL');
  assert.equal(await launcher(page).getAttribute('aria-label'), 'فتح المحادثة');
  await openPanel(page);
  assert.equal(await panel(page).getAttribute('dir'), 'rtl');
  assert.equal(await panel(page).evaluate((el) => getComputedStyle(el).direction), 'rtl');
  const pbox = await panel(page).boundingBox();
  assert.ok(pbox.x < vw / 2, 'the panel opens on the left');
  assert.equal(await input(page).getAttribute('aria-label'), 'رسالتك');
  // Each message takes its own direction: English text in an RTL panel stays LTR.
  // The log may redraw once the conversation arrives; a node read while it is
  // being replaced is detached and has no computed direction, so settle first.
  await waitForConversation(page);
  const welcome = page.locator(`${W} .log .msg.assistant [dir=auto]`).first();
  let direction = '';
  for (let i = 0; i < 20 && direction === ''; i++) {
    direction = await welcome.evaluate((el) => el.isConnected ? getComputedStyle(el).direction : '');
    if (direction === '') await page.waitForTimeout(50);
  }
  assert.equal(direction, 'ltr');
  await page.screenshot({ path: join(SHOTS, 'rtl.png') });
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('XSS payloads sent as messages never execute or inject nodes', async () => {
  const payloads = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '<script>window.__xss=1;alert(1)</script>',
    '<svg onload="window.__xss=1;alert(1)"></svg>',
    '[click me](javascript:window.__xss=1;alert(1))',
    '"><iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a> **bold** <details open ontoggle=alert(1)>',
    '![x](x" onerror="alert(1))',
    '<style>*{display:none}</style><math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  ];
  const { context, page, problems } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  for (const p of payloads) {
    await ask(page, p);
    const shown = await page.locator(`${W} .log .msg.user .text`).last().textContent();
    assert.equal(shown, p, 'the visitor\'s message is shown as plain text');
  }
  await page.waitForTimeout(500);
  const injected = await page.evaluate(() => {
    const root = document.getElementById('lantern-widget').shadowRoot;
    const bad = root.querySelectorAll('.log script, .log iframe, .log img[onerror], .log svg[onload], .log [ontoggle], .log details, .log math, .log style');
    const jsLinks = [...root.querySelectorAll('.log a')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? ''));
    return { bad: [...bad].map((n) => n.outerHTML), jsLinks: jsLinks.map((a) => a.outerHTML), xss: window.__xss ?? null };
  });
  assert.deepEqual(injected, { bad: [], jsLinks: [], xss: null });
  assert.deepEqual(problems.dialogs, [], 'no dialog opened');
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('host CSS with !important does not change the widget', async () => {
  const colours = async (page) => page.evaluate(() => {
    const root = document.getElementById('lantern-widget').shadowRoot;
    const pick = (sel) => {
      const s = getComputedStyle(root.querySelector(sel));
      return [s.color, s.backgroundColor, s.fontFamily];
    };
    return { launcher: pick('.lantern-launcher'), panel: pick('.panel'), title: pick('h2'), input: pick('textarea') };
  });
  const plain = await newHost();
  await openPanel(plain.page);
  const expected = await colours(plain.page);
  await plain.context.close();

  const hostile = '* { color: red !important; background: yellow !important; font-family: serif !important; } div { all: unset !important; }';
  const { context, page } = await newHost({ css: hostile });
  await openPanel(page);
  const got = await colours(page);
  assert.deepEqual(got, expected);
  assert.notEqual(got.panel[0], 'rgb(255, 0, 0)');
  assert.notEqual(got.panel[1], 'rgb(255, 255, 0)');
  // And the widget's CSS does not leak out.
  const h1 = await page.locator('h1').evaluate((el) => getComputedStyle(el).color);
  assert.equal(h1, 'rgb(255, 0, 0)');
  await context.close();
});

test('keyboard only: Tab to launcher, Enter opens, Enter sends, Escape closes and focus returns', async () => {
  const { context, page, problems } = await newHost({ body: '<p>No links here.</p>' });
  await page.keyboard.press('Tab');
  assert.deepEqual(await shadowActive(page), { hostFocused: true, tag: 'BUTTON', cls: 'lantern-launcher' });
  await page.keyboard.press('Enter');
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForFunction(() =>
    document.getElementById('lantern-widget').shadowRoot.activeElement?.tagName === 'TEXTAREA');
  await waitForConversation(page);
  await page.keyboard.type('Hello from the keyboard');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await page.locator(`${W} .log .msg.user`, { hasText: 'second line' }).waitFor({ timeout: 15_000 });
  assert.equal(
    await page.locator(`${W} .log .msg.user .text`).last().textContent(),
    'Hello from the keyboard\nsecond line');
  // Every control in the panel has an accessible name.
  const unnamed = await page.evaluate(() => [...document.getElementById('lantern-widget').shadowRoot
    .querySelectorAll('button, textarea, [role=log]')]
    .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim())).map((el) => el.outerHTML));
  assert.deepEqual(unnamed, []);
  assert.equal(await page.locator(`${W} [role=log]`).getAttribute('aria-live'), 'polite');
  await page.keyboard.press('Escape');
  await panel(page).waitFor({ state: 'hidden' });
  assert.deepEqual(await shadowActive(page), { hostFocused: true, tag: 'BUTTON', cls: 'lantern-launcher' });
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('a slow network shows the typing indicator until the answer', async () => {
  const { context, page } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await send(page, 'How do I install it?');
  await page.locator(`${W} .typing`).waitFor({ state: 'visible', timeout: 1000 });
  assert.equal(await page.locator(`${W} .composer button.send`).isDisabled(), true, 'sending is blocked meanwhile');
  await page.locator(`${W} .typing`).waitFor({ state: 'detached', timeout: 20_000 });
  assert.ok(await page.locator(`${W} .log .msg.assistant .html`).count() >= 2);
  await context.close();
});

test('a reply arriving while closed raises the unread badge; opening clears it', async () => {
  const { context, page } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 800));
    await route.continue();
  });
  await send(page, 'Tell me about pricing');
  await page.keyboard.press('Escape');
  const badge = page.locator(`${W} .lantern-badge`);
  await badge.waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await badge.textContent(), '1');
  assert.match(await launcher(page).getAttribute('aria-label'), /\(1\)$/);
  await launcher(page).click();
  await badge.waitFor({ state: 'hidden' });
  await context.close();
});

test('thumbs up on a reply and talk to a human', async () => {
  const { context, page, problems } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await ask(page, 'What is Lantern?');
  const up = page.locator(`${W} .log .msg.assistant .rate button`).first();
  await up.click();
  assert.equal(await up.getAttribute('aria-pressed'), 'true');
  await page.waitForTimeout(500);
  assert.equal(await up.getAttribute('aria-pressed'), 'true', 'the server accepted the rating');
  assert.equal(await page.locator(`${W} .notice`).count(), 0);
  await page.locator(`${W} button[aria-label="Talk to a human"]`).click();
  await page.locator(`${W} .note`).waitFor({ timeout: 10_000 });
  assert.match(await page.locator(`${W} .note`).innerText(), /person from our team/);
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('screenshots: desktop, mobile (full screen), dark', async () => {
  const desk = await newHost({}, { viewport: { width: 1280, height: 800 } });
  await openPanel(desk.page);
  await waitForConversation(desk.page);
  // A real exchange, so the picture shows a reply with its sources and thumbs.
  await ask(desk.page, 'How do I embed the widget?');
  await desk.page.screenshot({ path: join(SHOTS, 'desktop.png') });
  const dbox = await panel(desk.page).boundingBox();
  assert.ok(dbox.width < 400 && dbox.x > 640, 'a corner panel on desktop');
  await desk.context.close();

  const mobile = await newHost({}, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  await openPanel(mobile.page);
  await mobile.page.locator(`${W} .log .msg, ${W} .notice`).first().waitFor({ timeout: 15_000 });
  await mobile.page.screenshot({ path: join(SHOTS, 'mobile.png') });
  const mbox = await panel(mobile.page).boundingBox();
  assert.deepEqual([mbox.x, mbox.y, mbox.width, mbox.height], [0, 0, 375, 740], 'full screen under 640 px');
  await mobile.context.close();

  const dark = await newHost({}, { colorScheme: 'dark' });
  await openPanel(dark.page);
  await waitForConversation(dark.page);
  await ask(dark.page, 'Does Lantern support dark mode?');
  await dark.page.screenshot({ path: join(SHOTS, 'dark.png') });
  assert.equal(await panel(dark.page).evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(17, 24, 39)');
  await dark.context.close();
});

test('an agent reply arrives live through the events stream, raising the badge while closed', async () => {
  const own = await ownSite('Live');
  const { srv, site, key } = own;
  try {

    const { context, page, problems } = await newHost({ site }, {}, srv);
    await openPanel(page);
    await page.waitForFunction((s) => !!localStorage.getItem(`lantern:${s}:conv`), site, { timeout: 15_000 });
    const conv = await stored(page, site, 'conv');
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    await page.waitForTimeout(300); // the stream is connected by now

    const res = await fetch(`${srv.base}/api/v1/conversations/${conv}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Hello, this is **Sam** from support.', role: 'agent' }),
    });
    assert.equal(res.status, 201, await res.text());

    const badge = page.locator(`${W} .lantern-badge`);
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await badge.textContent(), '1');
    await launcher(page).click();
    const agent = page.locator(`${W} .log .msg.agent .html`);
    await agent.waitFor({ timeout: 5_000 });
    assert.match(await agent.innerText(), /Sam/);
    assert.equal(await agent.locator('strong').count(), 1, 'rendered from the server\'s html');
    assert.equal(await agent.count(), 1, 'shown once');
    assert.deepEqual(problems.errors, []);
    await context.close();
  } finally {
    await own.stop();
  }
});

test('offline: the send fails with a clear message, Retry delivers it once', async () => {
  const { context, page } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await context.setOffline(true);
  await send(page, 'Are you there?');
  const notice = page.locator(`${W} .notice`);
  await notice.waitFor({ timeout: 10_000 });
  assert.match(await notice.innerText(), /offline/i);
  await page.locator(`${W} .msg.user.failed`).waitFor();
  await context.setOffline(false);
  await notice.getByRole('button', { name: 'Retry' }).click();
  await notice.waitFor({ state: 'detached', timeout: 10_000 });
  await page.locator(`${W} .typing`).waitFor({ state: 'detached', timeout: 20_000 });
  assert.equal(await page.locator(`${W} .msg.user`, { hasText: 'Are you there?' }).count(), 1);
  // The server stored it once, too.
  await page.reload();
  await page.locator(`${W} .msg.user`, { hasText: 'Are you there?' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(`${W} .msg.user`, { hasText: 'Are you there?' }).count(), 1);
  await context.close();
});

test('rate limited: the wait from Retry-After is shown (fault injected on one response)', async () => {
  const { context, page } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  // One 429 in the server's own envelope, injected on the way; the next
  // attempt goes to the real server.
  let injected = false;
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() === 'POST' && !injected) {
      injected = true;
      return route.fulfill({
        status: 429,
        headers: { 'retry-after': '7', 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'rate_limited', message: 'slow down', details: [], request_id: 'x', timestamp: '2026-01-01T00:00:00Z' }),
      });
    }
    return route.continue();
  });
  await send(page, 'Quick question');
  const notice = page.locator(`${W} .notice`);
  await notice.waitFor({ timeout: 10_000 });
  assert.match(await notice.innerText(), /wait 7 s/);
  await notice.getByRole('button', { name: 'Retry' }).click();
  await page.locator(`${W} .msg.user:not(.failed)`, { hasText: 'Quick question' }).waitFor({ timeout: 15_000 });
  await notice.waitFor({ state: 'detached' });
  await context.close();
});

test('new conversation starts afresh; a closed widget with a conversation loads at once', async () => {
  const { context, page } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await ask(page, 'First conversation');
  const first = await stored(page, 'demo', 'conv');
  await page.locator(`${W} button[aria-label="New conversation"]`).click();
  await page.waitForFunction((f) => {
    const c = localStorage.getItem('lantern:demo:conv');
    return c && c !== f;
  }, first, { timeout: 15_000 });
  await page.locator(`${W} .log .msg.assistant`).first().waitFor();
  assert.equal(await page.locator(`${W} .log .msg.user`).count(), 0);

  await page.keyboard.press('Escape');
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
  await page.reload();
  await launcher(page).waitFor();
  await page.waitForFunction(() =>
    document.getElementById('lantern-widget').shadowRoot.querySelector('section.panel'), null, { timeout: 15_000 });
  assert.equal(wasm.length, 1, 'the app loads without a click when a conversation is open');
  assert.equal(await panel(page).isHidden(), true, 'but stays closed');
  await context.close();
});

test('rate limited by the real server: the visitor is told how long to wait', async () => {
  // Two messages-or-conversations per minute: the conversation and one
  // message pass, the next message gets the server's 429.
  const srv = await startLantern({ LANTERN_RATE_LIMIT_VISITOR: '2' });
  try {
    const { context, page } = await newHost({}, {}, srv);
    await openPanel(page);
    await waitForConversation(page);
    await ask(page, 'First question');
    const limited = page.waitForResponse((r) => r.status() === 429);
    await send(page, 'Second question');
    const res = await limited;
    const wait = Number(res.headers()['retry-after']);
    assert.ok(wait > 0, 'the server sent Retry-After');
    const notice = page.locator(`${W} .notice`);
    await notice.waitFor({ timeout: 10_000 });
    assert.match(await notice.innerText(), new RegExp(`wait ${wait} s`));
    await page.locator(`${W} .msg.user.failed`, { hasText: 'Second question' }).waitFor();
    await context.close();
  } finally {
    await srv.stop();
  }
});

test('the tag\'s options: data-position, data-color, data-lang and data-open', async () => {
  const { context, page, problems } = await newHost({
    attrs: 'data-position="left" data-color="rgb(225, 29, 72)" data-lang="fr" data-open',
  });
  // data-open: the panel opens on load, without a click.
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
  const box = await launcher(page).boundingBox();
  assert.ok(box.x < 100, `launcher on the left (x = ${box.x})`);
  const pbox = await panel(page).boundingBox();
  assert.ok(pbox.x < 100, `panel on the left (x = ${pbox.x})`);
  assert.equal(await launcher(page).getAttribute('aria-label'), 'Fermer le chat');
  assert.equal(await panel(page).getAttribute('lang'), 'fr');
  assert.equal(await input(page).getAttribute('placeholder'), 'Posez une question…');
  const colours = await page.evaluate(() => {
    const root = document.getElementById('lantern-widget').shadowRoot;
    const bg = (sel) => getComputedStyle(root.querySelector(sel)).backgroundColor;
    return [bg('.lantern-launcher'), bg('.head')];
  });
  assert.deepEqual(colours, ['rgb(225, 29, 72)', 'rgb(225, 29, 72)'], 'data-color beats the site\'s colour');
  assert.deepEqual(problems.errors, []);
  await context.close();
});
