// The owner console in headless Chromium against the real server: the first
// owner signs in with the one-time link the server printed, sets a password,
// changes the bubble colour and watches the real widget in the preview
// change, creates and revokes an admin key, invites an agent who signs in in
// a second browser context, creates a second site, and signs out. Screenshots of every page in
// test-artifacts/screenshots/console-*.png (desktop, mobile, dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SHOTS, startLantern, launchBrowser } from './support.mjs';

const env = { server: null, browser: null, link: null };
const PASSWORD = 'a console test passphrase';

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  env.server = await startLantern();
  env.browser = await launchBrowser();
  // The link is printed once, on the first start of an empty database.
  const deadline = Date.now() + 10_000;
  while (!env.link && Date.now() < deadline) {
    env.link = env.server.output().match(/http:\/\/\S+\/console\/#link=ll_[A-Za-z0-9_-]+/)?.[0];
    if (!env.link) await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

/** A page that records script errors; its context is closed by the caller. */
async function open(options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

const tab = (page, name) => page.getByRole('button', { name, exact: true });

async function shoot(page, name) {
  await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
}

test('the server printed a one-time sign-in link, and no password', () => {
  assert.ok(env.link, `no link in the output:\n${env.server.output()}`);
  assert.ok(env.link.startsWith(`${env.server.base}/console/#link=`), env.link);
  assert.doesNotMatch(env.server.output(), /password:/i);
});

test('owner: link sign-in, password, colour with live preview, keys, invite, agent, sign-out', async () => {
  const owner = await open();
  const { page } = owner;
  const bytes = [];
  page.on('response', async (r) => {
    if (r.url().includes('/console/') && !r.url().includes('preview')) {
      try { bytes.push(gzipSync(await r.body(), { level: 9 }).length); } catch { /* redirects */ }
    }
  });
  const t0 = Date.now();
  await page.goto(env.link);
  // First sign-in lands on the account page: no password yet.
  await page.getByText('You signed in with a one-time link').waitFor();
  console.log(`# console: ${bytes.reduce((a, b) => a + b, 0)} bytes gzip to the first interactive page, ${Date.now() - t0} ms`);
  assert.ok(!page.url().includes('#link='), 'the token is removed from the address');
  // The link works only once.
  const again = await fetch(`${env.server.base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-lantern-request': '1' },
    body: JSON.stringify({ link_token: env.link.split('#link=')[1] }),
  });
  assert.equal(again.status, 401);
  await shoot(page, 'account');

  await page.getByLabel('Email', { exact: true }).fill('owner@example.com');
  await page.getByLabel('New password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: '12 characters' }).waitFor();
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

  // Settings: the preview is the real widget; its bubble follows the colour.
  await tab(page, 'Settings').click();
  const frame = page.frameLocator('iframe[title="Widget preview"]');
  const bubble = frame.locator('#lantern-widget .lantern-launcher');
  await bubble.waitFor();
  const colour = () => bubble.evaluate((b) => getComputedStyle(b).backgroundColor);
  await page.getByLabel('Bot name', { exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelector('input[name=theme_color_hex]')?.value === '#2563eb');
  assert.equal(await colour(), 'rgb(37, 99, 235)');
  await page.locator('input[name=theme_color_hex]').fill('#e11d48');
  await bubble.waitFor();
  await page.waitForFunction(async () => {
    const f = document.querySelector('iframe[title="Widget preview"]');
    const b = f?.contentDocument?.getElementById('lantern-widget')?.shadowRoot?.querySelector('.lantern-launcher');
    return b && getComputedStyle(b).backgroundColor === 'rgb(225, 29, 72)';
  }, null, { timeout: 10_000 });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const config = await (await fetch(`${env.server.base}/api/v1/sites/demo/config`)).json();
  assert.equal(config.theme.color, '#e11d48');
  await shoot(page, 'settings');

  await tab(page, 'Install').click();
  await page.getByText('data-site="demo"').waitFor();
  await shoot(page, 'install');

  // Keys: create (shown once), use, revoke.
  await tab(page, 'API keys').click();
  await page.getByLabel('Label', { exact: true }).fill('CI');
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.locator('.new-key').innerText()).trim();
  assert.match(key, /^lk_/);
  const withKey = () => fetch(`${env.server.base}/api/v1/sites/demo`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal((await withKey()).status, 200);
  await shoot(page, 'keys');
  await page.getByRole('button', { name: 'Revoke CI' }).click();
  await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor();
  assert.equal((await withKey()).status, 401);

  // Team: invite an agent; they accept in another browser context.
  await tab(page, 'Team').click();
  await page.getByLabel('Email', { exact: true }).fill('agent@example.com');
  await page.getByRole('button', { name: 'Create invite link' }).click();
  const invite = (await page.locator('.invite-url').innerText()).trim();
  assert.ok(invite.startsWith(`${env.server.base}/console/#invite=`), invite);
  await shoot(page, 'team');

  const agent = await open();
  await agent.page.goto(invite);
  await agent.page.getByLabel('Your name', { exact: true }).fill('Ada Agent');
  await agent.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await agent.page.getByRole('button', { name: 'Accept the invite' }).click();
  await agent.page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(await tab(agent.page, 'Settings').count(), 0, 'agents see no owner pages');
  const agentTry = await agent.page.evaluate(async () => (await fetch('/api/v1/sites/demo')).status);
  assert.equal(agentTry, 403, 'and the server refuses them');
  await agent.context.close();

  await page.reload();
  await tab(page, 'Team').click();
  await page.getByText('Ada Agent').waitFor();

  await tab(page, 'Webhooks').click();
  await page.getByLabel('Endpoint URL', { exact: true }).waitFor();
  await shoot(page, 'webhooks');

  // A new site: its owner is the person who made it; the switcher lists it.
  await tab(page, 'New site').click();
  await page.getByLabel('Site name', { exact: true }).fill('Second shop');
  await page.getByRole('button', { name: 'Create site' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('input')].some((i) => i.value === 'Second shop'));
  await page.locator('.switcher select option', { hasText: 'Second shop (owner)' }).waitFor({ state: 'attached' });
  await page.locator('.switcher select').selectOption('demo');
  await page.waitForFunction(() => [...document.querySelectorAll('input')].some((i) => i.value === 'Lantern demo'));

  // Sign out: back to the sign-in form, and the cookie no longer works.
  await tab(page, 'Account').click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in to Lantern' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  assert.equal(me, 401);
  await shoot(page, 'signin');

  // Password sign-in works after the link is spent.
  await page.getByLabel('Email', { exact: true }).fill('owner@example.com');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await tab(page, 'Settings').waitFor();
  assert.deepEqual(owner.errors, []);
  await owner.context.close();
});

test('screenshots: mobile (360 px) and dark', async () => {
  for (const [name, options] of [
    ['mobile', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }],
    ['dark', { colorScheme: 'dark' }],
  ]) {
    const { context, page, errors } = await open(options);
    await page.goto(`${env.server.base}/console/`);
    await page.getByLabel('Email', { exact: true }).fill('owner@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await tab(page, 'Settings').waitFor();
    await page.getByLabel('Bot name', { exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (name === 'mobile') assert.ok(overflow <= 0, `no sideways scrolling at 360 px (${overflow} px too wide)`);
    await shoot(page, `settings-${name}`);
    for (const t of ['API keys', 'Team']) {
      await tab(page, t).click();
      await page.getByRole('heading', { name: t }).waitFor();
      await shoot(page, `${t === 'API keys' ? 'keys' : 'team'}-${name}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }
});
