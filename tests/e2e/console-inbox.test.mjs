// The operator inbox in headless Chromium, two browser contexts against the
// real server: a visitor on the demo page asks for a human → the request
// appears in the agent's inbox without a reload → the agent claims it and
// types (the visitor sees the typing indicator) and replies → the visitor
// sees the reply and answers → the agent sees it → the agent closes. Then
// the same with the visitor and the agent on two instances sharing Postgres
// and Redis (when TEST_DATABASE_URL and TEST_REDIS_URL are set).
// Also: the visitor panel (who the visitor is, browser and OS, local time,
// an earlier conversation, notes), the draft preview and snoozing.
// Screenshots: test-artifacts/screenshots/console-inbox*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOTS, createUser, startLantern, launchBrowser } from './support.mjs';

const W = '#lantern-widget';
const PASSWORD = 'an inbox test passphrase';
const env = { browser: null };

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
});

/** `lantern user create` on the database of `dbEnv`. */
function createAgent(dbEnv, email, name, role = 'agent') {
  createUser(dbEnv, { email, name, role, password: PASSWORD });
}

async function open(options = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** The agent signs in through the console's form and lands in the inbox. */
async function agentInbox(base, email) {
  const agent = await open();
  await agent.page.goto(`${base}/console/`);
  await agent.page.getByLabel('Email', { exact: true }).fill(email);
  await agent.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await agent.page.getByRole('button', { name: 'Sign in' }).click();
  // Owners land on Settings, agents on the inbox: both have the tab.
  await agent.page.locator('nav.tabs button', { hasText: 'Inbox' }).click();
  await agent.page.getByRole('heading', { name: 'Inbox' }).waitFor();
  return agent;
}

/** The visitor opens the widget on the demo page and asks for a human. */
async function visitorAsksForHuman(base) {
  const visitor = await open();
  const { page } = visitor;
  await page.goto(`${base}/`);
  await page.locator(`${W} .lantern-launcher`).click();
  await page.locator(`${W} .log .msg.assistant`).first().waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => !!localStorage.getItem('lantern:demo:conv'), null, { timeout: 15_000 });
  await page.locator(`${W} textarea`).fill('My order never arrived');
  await page.locator(`${W} textarea`).press('Enter');
  await page.locator(`${W} .log .msg.user`, { hasText: 'My order never arrived' }).waitFor();
  await page.locator(`${W} button[aria-label="Talk to a human"]`).click();
  await page.locator(`${W} .note`).waitFor({ timeout: 10_000 });
  return visitor;
}

/** The whole hand-over, the agent on `agentBase`, the visitor on `visitorBase`. */
async function handOver(agentBase, visitorBase, email, name, shot) {
  const agent = await agentInbox(agentBase, email);
  const { page: a } = agent;
  const waitingRows = a.locator('.rows li');
  // The inbox is empty before the visitor asks.
  const before = await waitingRows.filter({ hasText: 'handoff' }).count();

  const visitor = await visitorAsksForHuman(visitorBase);
  const { page: v } = visitor;
  const t0 = Date.now();
  // Appears without a reload, in "Needs a human", with its waiting time.
  const row = a.locator('.rows li', { hasText: 'handoff' }).first();
  await row.waitFor({ timeout: 10_000 });
  console.log(`# inbox: the hand-over reached the agent's inbox in ${Date.now() - t0} ms`);
  assert.equal(await waitingRows.filter({ hasText: 'handoff' }).count(), before + 1);
  assert.match(await row.innerText(), /waiting/);
  assert.match(await a.locator('.list-tab[aria-current=true]').innerText(), /Needs a human\s+1/);
  assert.match(await a.title(), /^\(\d+\) Inbox/, 'the tab title counts the unread');
  if (shot !== null) await a.screenshot({ path: join(SHOTS, `console-inbox${shot}.png`), fullPage: true });

  // Keyboard: j highlights the first row, Enter opens it.
  await a.locator('body').click({ position: { x: 5, y: 5 } });
  await a.keyboard.press('j');
  await a.keyboard.press('Enter');
  await a.locator('.transcript .bubble.user', { hasText: 'My order never arrived' }).waitFor();
  await a.getByRole('button', { name: 'Assign to me' }).click();
  await v.locator(`${W} .log .msg.system`, { hasText: `${name} joined the conversation` })
    .waitFor({ timeout: 10_000 });

  // A private note: the visitor never sees it.
  await a.keyboard.press('n');
  await a.locator('#composer').fill('Order 4417, carrier lost it');
  await a.locator('#composer').press('Enter');
  await a.locator('.transcript .bubble.note', { hasText: 'carrier lost it' }).waitFor();

  // The agent types: the visitor sees the indicator; then the reply.
  await a.getByRole('button', { name: 'Reply', exact: true }).click();
  await a.locator('#composer').pressSequentially('Sorry about that', { delay: 20 });
  await v.locator(`${W} .typing`).waitFor({ timeout: 10_000 });
  if (shot !== null) await v.screenshot({ path: join(SHOTS, `console-inbox${shot}-visitor-typing.png`) });
  await a.locator('#composer').pressSequentially(', I am sending a new parcel today.');
  await a.locator('#composer').press('Enter');
  const reply = v.locator(`${W} .log .msg.agent`, { hasText: 'I am sending a new parcel today' });
  await reply.waitFor({ timeout: 10_000 });
  assert.match(await reply.innerText(), new RegExp(name));
  await v.locator(`${W} .typing`).waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await v.locator(`${W} .log`, { hasText: 'carrier lost it' }).count(), 0, 'no note in the widget');

  // The visitor answers; the agent sees it live.
  await v.locator(`${W} textarea`).fill('Thank you!');
  await v.locator(`${W} textarea`).press('Enter');
  await a.locator('.transcript .bubble.user', { hasText: 'Thank you!' }).waitFor({ timeout: 10_000 });
  if (shot !== null) await a.screenshot({ path: join(SHOTS, `console-inbox${shot}-thread.png`), fullPage: true });

  // Close: the list moves it to Closed.
  await a.getByRole('button', { name: 'Close', exact: true }).click();
  await a.locator('.thread-head h2', { hasText: 'closed' }).waitFor({ timeout: 10_000 });
  await a.locator('.list-tab', { hasText: 'Closed' }).click();
  await a.locator('.rows li', { hasText: 'closed' }).first().waitFor();
  assert.deepEqual(agent.errors, []);
  assert.deepEqual(visitor.errors, []);
  await agent.context.close();
  await visitor.context.close();
}

test('one instance: visitor asks for a human, the agent answers live, closes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-inbox-'));
  // LANTERN_DEMO: the demo site and page (needed once the demo is opt-in).
  const dbEnv = { DATABASE_URL: `sqlite://${join(dir, 'inbox.db')}`, LANTERN_DEMO: '1' };
  const server = await startLantern(dbEnv);
  try {
    createAgent(dbEnv, 'ada@example.com', 'Ada Agent');
    await handOver(server.base, server.base, 'ada@example.com', 'Ada Agent', '');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nobody online: the widget asks for an email, the agent finds it as a note', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-inbox-'));
  const dbEnv = { DATABASE_URL: `sqlite://${join(dir, 'inbox.db')}`, LANTERN_DEMO: '1' };
  const server = await startLantern(dbEnv);
  try {
    createAgent(dbEnv, 'ada@example.com', 'Ada Agent');
    const visitor = await visitorAsksForHuman(server.base);
    const { page: v } = visitor;
    const form = v.locator(`${W} form.away`);
    await form.waitFor({ timeout: 10_000 });
    assert.match(await form.innerText(), /Nobody from our team is online/);
    await form.getByLabel('Your email').fill('vi@example.com');
    await form.getByRole('button', { name: 'Send' }).click();
    await v.locator(`${W} .note`, { hasText: 'we will reply by email' }).waitFor({ timeout: 10_000 });
    await v.screenshot({ path: join(SHOTS, 'console-inbox-offline-visitor.png') });

    const agent = await agentInbox(server.base, 'ada@example.com');
    const { page: a } = agent;
    await a.locator('.rows li', { hasText: 'handoff' }).first().click();
    await a.locator('.transcript .bubble.note', { hasText: 'vi@example.com' }).waitFor({ timeout: 10_000 });
    assert.equal(await v.locator(`${W} .log`, { hasText: 'vi@example.com' }).count(), 0);
    assert.deepEqual(visitor.errors, []);
    assert.deepEqual(agent.errors, []);
    await visitor.context.close();
    await agent.context.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two instances sharing Postgres and Redis: visitor on one, agent on the other', async (t) => {
  const pg = process.env.TEST_DATABASE_URL;
  const redis = process.env.TEST_REDIS_URL;
  if (!pg || !redis) {
    t.skip('TEST_DATABASE_URL and TEST_REDIS_URL are needed');
    return;
  }
  const name = `lantern_e2e_inbox_${process.pid}_${Date.now()}`;
  execFileSync('psql', [pg, '-qc', `CREATE DATABASE ${name}`]);
  const url = new URL(pg);
  url.pathname = `/${name}`;
  const shared = {
    DATABASE_URL: url.toString(),
    REDIS_URL: redis,
    LANTERN_REDIS_PREFIX: `e2e-${name}`,
    LANTERN_DEMO: '1',
  };
  const a = await startLantern(shared);
  const b = await startLantern(shared);
  try {
    createAgent(shared, 'ben@example.com', 'Ben Agent');
    await handOver(a.base, b.base, 'ben@example.com', 'Ben Agent', '-two-instances');
  } finally {
    await a.stop();
    await b.stop();
    try { execFileSync('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); } catch { /* left for the next run's sweep */ }
  }
});

/** A console call from the signed-in member's page (cookie, CSRF header). */
function consoleCall(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const res = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', 'x-lantern-request': '1', 'x-lantern-site': 'demo' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
  }, { method, path, body });
}

test('visitor panel: who the visitor is, browser, local time, an earlier conversation, notes; draft preview; snooze', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-inbox-'));
  const dbEnv = { DATABASE_URL: `sqlite://${join(dir, 'inbox.db')}`, LANTERN_DEMO: '1' };
  const server = await startLantern(dbEnv);
  try {
    createAgent(dbEnv, 'olive@example.com', 'Olive Owner', 'owner');
    const agent = await agentInbox(server.base, 'olive@example.com');
    const { page: a } = agent;
    // The owner sets up identity verification and turns the draft preview on.
    const issued = await consoleCall(a, 'POST', '/api/v1/sites/demo/identity-secret', {});
    assert.equal(issued.status, 201, issued.body);
    const hash = createHmac('sha256', JSON.parse(issued.body).secret).update('user-7').digest('hex');
    const patched = await consoleCall(a, 'PATCH', '/api/v1/sites/demo', { typing_preview: true });
    assert.equal(patched.status, 200, patched.body);

    // The visitor, in Tokyo: an earlier conversation as the signed-in user
    // (the site's page identifies them with name and email), then a new
    // one through the widget after Lantern.identify.
    const visitor = await open({ timezoneId: 'Asia/Tokyo' });
    const { page: v } = visitor;
    await v.goto(`${server.base}/`);
    const earlier = await v.evaluate(async (h) => {
      const who = await fetch('/api/v1/sites/demo/visitors', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: 'user-7', user_hash: h, name: 'Grace Hopper', email: 'grace@example.com' }),
      });
      const { token } = await who.json();
      const conv = await fetch('/api/v1/conversations', {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ initial_message: 'An earlier question about invoices' }),
      });
      return conv.status;
    }, hash);
    assert.equal(earlier, 201);
    await v.evaluate((h) => window.Lantern.identify({ user_id: 'user-7', user_hash: h }), hash);
    await v.locator(`${W} .lantern-launcher`).click();
    await v.locator(`${W} .log .msg.assistant`).first().waitFor({ timeout: 20_000 });
    await v.waitForFunction(() => !!localStorage.getItem('lantern:demo:conv'), null, { timeout: 15_000 });
    await v.locator(`${W} textarea`).fill('Where is my parcel?');
    await v.locator(`${W} textarea`).press('Enter');
    await v.locator(`${W} .log .msg.user`, { hasText: 'Where is my parcel?' }).waitFor();
    await v.locator(`${W} button[aria-label="Talk to a human"]`).click();
    await v.locator(`${W} .note`).waitFor({ timeout: 10_000 });

    // The agent opens it: the panel tells who, with what, when, and before.
    await a.locator('.rows li', { hasText: 'handoff' }).first().click();
    await a.locator('.transcript .bubble.user', { hasText: 'Where is my parcel?' }).waitFor({ timeout: 10_000 });
    const panel = a.locator('aside.visitor');
    await panel.getByRole('heading', { name: 'Grace Hopper' }).waitFor({ timeout: 10_000 });
    assert.equal(await panel.locator('.v-email').innerText(), 'grace@example.com');
    assert.equal(await panel.locator('.v-user').innerText(), 'user-7');
    assert.match(await panel.locator('.v-browser').innerText(), /Chrome \d+ on Linux/);
    assert.match(await panel.locator('.v-time').innerText(), /\d\d:\d\d.*Asia\/Tokyo/);
    const before = panel.locator('ul.earlier li');
    await before.first().waitFor({ timeout: 10_000 });
    assert.equal(await before.count(), 1);

    // A note on the visitor, kept with the visitor.
    await panel.getByLabel('Note on this visitor').fill('Ships to the Osaka office');
    await panel.getByRole('button', { name: 'Add note' }).click();
    await panel.locator('ul.notes li', { hasText: 'Ships to the Osaka office' }).waitFor({ timeout: 10_000 });

    // Draft preview: the visitor types, the agent reads the draft.
    await v.locator(`${W} textarea`).pressSequentially('Is anyone there', { delay: 20 });
    await a.locator('.typing .draft').waitFor({ timeout: 10_000 });
    assert.match(await a.locator('.typing .draft').innerText(), /^I/);
    await a.screenshot({ path: join(SHOTS, 'console-inbox-visitor-panel.png'), fullPage: true });

    // Snooze for an hour: the conversation says until when; wake it again.
    await a.locator('select[name=snooze]').selectOption('1h');
    await a.locator('.snoozed').waitFor({ timeout: 10_000 });
    await a.getByRole('button', { name: 'Wake now' }).click();
    await a.locator('.snoozed').waitFor({ state: 'detached', timeout: 10_000 });

    // The earlier conversation opens from the panel.
    await before.first().getByRole('button').click();
    await a.locator('.transcript .bubble.user', { hasText: 'An earlier question about invoices' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(agent.errors, []);
    assert.deepEqual(visitor.errors, []);
    await visitor.context.close();
    await agent.context.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
