// Who the visitor is, across time and sign-ins: a token close to expiry is
// renewed without losing the conversation, and `Lantern.identify` switches
// to a verified user's own visitor (refusing a wrong hash), bringing the
// anonymous conversation along and greeting the user by name. Real server,
// real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  W, env, useWidgetEnv, newHost, input, openPanel, waitForConversation, ask, ownSite, stored,
} from './widget-support.mjs';

useWidgetEnv();

test('a token close to expiry is renewed: same visitor, same conversation', async () => {
  const { context, page, problems } = await newHost();
  await openPanel(page);
  await waitForConversation(page);
  await ask(page, 'Remember this question');
  const conv = await stored(page, 'demo', 'conv');
  const oldToken = await stored(page, 'demo', 'token');
  // Two days left of its thirty: inside the widget's renewal window.
  await page.evaluate(() => localStorage.setItem('lantern:demo:token_expires',
    new Date(Date.now() + 2 * 86_400_000).toISOString()));

  const calls = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/visitors(\/refresh)?$/.test(r.url())) calls.push(new URL(r.url()).pathname);
  });
  await page.reload();
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
  await page.locator(`${W} .log .msg.user`, { hasText: 'Remember this question' }).waitFor({ timeout: 15_000 });
  await page.waitForFunction((t) => localStorage.getItem('lantern:demo:token') !== t, oldToken, { timeout: 10_000 });

  assert.deepEqual(calls, ['/api/v1/visitors/refresh'], 'renewed once, no new visitor');
  assert.equal(await stored(page, 'demo', 'conv'), conv, 'the conversation is kept');
  const expires = Date.parse(await stored(page, 'demo', 'token_expires'));
  assert.ok(expires - Date.now() > 20 * 86_400_000, `the new token runs for weeks (${new Date(expires).toISOString()})`);
  // The renewed token is the same visitor's: it can read the conversation.
  const token = await stored(page, 'demo', 'token');
  const res = await fetch(`${env.server.base}/api/v1/conversations/${conv}`, {
    headers: { authorization: `Bearer ${token}`, origin: env.server.base },
  });
  assert.equal(res.status, 200, await res.text());
  // And the next message goes through with it.
  assert.ok((await ask(page, 'Still there?')).length > 0);
  assert.deepEqual(problems.errors, []);
  await context.close();
});

test('Lantern.identify: a wrong hash changes nothing; the right one brings the anonymous conversation to the user, on every device, greeted by name', async () => {
  const own = await ownSite('Identity');
  const { srv, site, key } = own;
  try {
    const issued = await fetch(`${srv.base}/api/v1/sites/${site}/identity-secret`, {
      method: 'POST', headers: { authorization: `Bearer ${key}` },
    });
    const body = await issued.text();
    assert.equal(issued.status, 201, body);
    const { secret } = JSON.parse(body);
    const hash = createHmac('sha256', secret).update('user-42').digest('hex');

    const { context, page, problems } = await newHost({ site }, {}, srv);
    await openPanel(page);
    await waitForConversation(page, site);
    await ask(page, 'Asked before signing in');
    const anonymous = await stored(page, site, 'conv');
    const anonymousToken = await stored(page, site, 'token');

    await page.evaluate(() => window.Lantern.identify({ user_id: 'user-42', user_hash: 'ab'.repeat(32) }));
    await page.locator(`${W} .notice[role="alert"]`).waitFor({ timeout: 10_000 });
    assert.equal(await stored(page, site, 'conv'), anonymous, 'a refused identity keeps the conversation');
    assert.equal(await stored(page, site, 'token'), anonymousToken, 'and the token');

    await page.evaluate((h) => window.Lantern.identify({
      user_id: 'user-42', user_hash: h, name: 'Ann Example', email: 'ann@example.com', attributes: { plan: 'pro' },
    }), hash);
    await page.waitForFunction((s) => localStorage.getItem(`lantern:${s}:user`) === 'user-42', site, { timeout: 15_000 });
    await page.locator(`${W} .notice`).waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await stored(page, site, 'conv'), anonymous, 'the conversation follows the user');
    await page.locator(`${W} .log .msg.user`, { hasText: 'Asked before signing in' }).waitFor({ timeout: 10_000 });
    await ask(page, 'Signed in now');
    const gone = await fetch(`${srv.base}/api/v1/conversations/${anonymous}`, {
      headers: { authorization: `Bearer ${anonymousToken}`, origin: srv.base },
    });
    assert.equal(gone.status, 401, 'the anonymous token is dead');

    // The profile the page gave, verified, is on the visitor.
    const token = await stored(page, site, 'token');
    const conv = await (await fetch(`${srv.base}/api/v1/conversations/${anonymous}`, {
      headers: { authorization: `Bearer ${token}`, origin: srv.base },
    })).json();
    const profile = await (await fetch(`${srv.base}/api/v1/visitors/${conv.visitor_id}`, {
      headers: { authorization: `Bearer ${key}` },
    })).json();
    assert.equal(profile.name, 'Ann Example');
    assert.equal(profile.email, 'ann@example.com');
    assert.deepEqual(profile.attributes, { plan: 'pro' });

    // Another device, the same signed-in user: the same visitor, greeted by
    // name, whose token reads the conversation begun anonymously.
    const other = await newHost({ site }, {}, srv);
    await other.page.evaluate((h) => window.Lantern.identify({ user_id: 'user-42', user_hash: h }), hash);
    await openPanel(other.page);
    await other.page.locator(`${W} .log .msg.assistant`, { hasText: 'Ann Example' }).first()
      .waitFor({ timeout: 15_000 });
    const otherToken = await stored(other.page, site, 'token');
    const res = await fetch(`${srv.base}/api/v1/conversations/${anonymous}`, {
      headers: { authorization: `Bearer ${otherToken}`, origin: srv.base },
    });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual([...problems.errors, ...other.problems.errors], []);
    await other.context.close();
    await context.close();
  } finally {
    await own.stop();
  }
});

test('a page left open renews its token in the background: same visitor, same conversation, no reload', async () => {
  const { context, page, problems } = await newHost();
  // The page's clock, so that six hours can pass in a moment.
  await page.clock.install();
  await page.clock.resume();
  await page.reload();
  await openPanel(page);
  await waitForConversation(page);
  const conv = await stored(page, 'demo', 'conv');
  const oldToken = await stored(page, 'demo', 'token');
  // Watch before the expiry moves: any call the widget makes from then on
  // may renew the token (seen once as a renewal missed by a late listener).
  const calls = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/visitors(\/refresh)?$/.test(r.url())) calls.push(new URL(r.url()).pathname);
  });
  await page.evaluate(() => localStorage.setItem('lantern:demo:token_expires',
    new Date(Date.now() + 2 * 86_400_000).toISOString()));
  await page.clock.fastForward('06:00:01');
  await page.waitForFunction((t) => localStorage.getItem('lantern:demo:token') !== t, oldToken, { timeout: 15_000 });
  assert.deepEqual(calls, ['/api/v1/visitors/refresh'], 'renewed once, no new visitor');
  assert.equal(await stored(page, 'demo', 'conv'), conv, 'the conversation is kept');
  assert.ok(await page.locator(`${W} .log .msg.assistant`).count() >= 1, 'still showing it');
  assert.deepEqual(problems.errors, []);
  await context.close();
});
