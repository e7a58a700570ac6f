// Streamed answers in the widget: deltas appear as an outside LLM (a
// stand-in speaking OpenAI's wire format) writes them, and a stream cut by a
// network blip carries on through the live events stream without losing or
// repeating text. Real server, real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLantern } from './support.mjs';
import { startCountingProxy } from './counting-proxy.mjs';
import {
  W, useWidgetEnv, newHost, input, openPanel, waitForConversation, send, ownSite, standInLlm, stored,
} from './widget-support.mjs';

useWidgetEnv();

const PIECES = ['Lantern ', 'streams ', 'answers ', '**as they** ', 'are written.'];

test('an LLM answer streams in piece by piece, then becomes the stored reply', async () => {
  const llm = await standInLlm(PIECES);
  const srv = await startLantern(llm.env);
  try {
    const { context, page, problems } = await newHost({}, {}, srv);
    await openPanel(page);
    await waitForConversation(page);
    await send(page, 'How does Lantern answer?');
    // The draft bubble (plain text, before the stored html) grows.
    const draft = page.locator(`${W} .log .msg.assistant p.text`, { hasText: 'Lantern streams' });
    await draft.waitFor({ timeout: 15_000 });
    const early = await draft.textContent();
    assert.ok(!early.includes('are written.'), `seen before the end: ${early}`);
    const reply = page.locator(`${W} .log .msg.assistant .html`, { hasText: 'are written.' });
    await reply.waitFor({ timeout: 15_000 });
    assert.equal(await reply.locator('strong').count(), 1, 'the stored reply is the server\'s html');
    await draft.waitFor({ state: 'detached' });
    assert.equal(await page.locator(`${W} .log .msg.assistant`, { hasText: 'are written.' }).count(), 1, 'no duplicate text');
    assert.deepEqual(problems.errors, []);
    await context.close();
  } finally {
    await srv.stop();
    llm.close();
  }
});

/**
 * A site with knowledge and a stand-in LLM, behind a proxy that can cut
 * streamed POSTs; the page and every API call go through the proxy (the
 * site allows its origin). Runs `body` with the opened page, then cleans up.
 */
async function behindProxy(body) {
  const llm = await standInLlm(PIECES, 400);
  const own = await ownSite('Blip', llm.env);
  const proxy = await startCountingProxy(own.srv.base);
  try {
    const admin = { authorization: `Bearer ${own.key}`, 'content-type': 'application/json' };
    const patched = await fetch(`${own.srv.base}/api/v1/sites/${own.site}`, {
      method: 'PATCH', headers: admin, body: JSON.stringify({ allowed_origins: [proxy.base] }),
    });
    assert.equal(patched.status, 200, await patched.text());
    // Something to answer from: without knowledge the engine does not ask
    // the LLM (it will not guess).
    const doc = await fetch(`${own.srv.base}/api/v1/knowledge/documents`, {
      method: 'POST', headers: admin,
      body: JSON.stringify({ title: 'Streaming', body: 'Lantern streams every answer to the visitor as it is written.' }),
    });
    assert.equal(doc.status, 201, await doc.text());

    const { context, page, problems } = await newHost({ site: own.site }, {}, { base: proxy.base });
    await openPanel(page);
    await waitForConversation(page, own.site);
    await body(page, proxy, own);
    assert.deepEqual(problems.errors, []);
    await context.close();
  } finally {
    await proxy.stop();
    await own.stop();
    llm.close();
  }
}

/** The reply is shown exactly once and the question once, with no notice. */
async function answeredOnce(page) {
  const reply = page.locator(`${W} .log .msg.assistant .html`, { hasText: 'are written.' });
  await reply.waitFor({ timeout: 20_000 });
  assert.equal(await reply.innerText(), 'Lantern streams answers as they are written.');
  assert.equal(await page.locator(`${W} .log .msg.assistant`, { hasText: 'Lantern streams' }).count(), 1,
    'one reply: no second copy from the resumed stream, no leftover draft');
  assert.equal(await page.locator(`${W} .log .msg.user`).count(), 1, 'the question is shown once');
  await page.locator(`${W} .notice`).waitFor({ state: 'detached', timeout: 5_000 });
  assert.equal(await input(page).isEnabled(), true);
}

test('a streamed answer cut by a network blip finishes through the events stream, once', async () => {
  await behindProxy(async (page, proxy) => {
    proxy.cutNextStream();
    await send(page, 'How are answers streamed?');
    await answeredOnce(page);
    assert.equal(proxy.cuts(), 1, 'the stream was cut mid-answer');
  });
});

test('a send cut before any answer still ends with the reply once and the message stored once', async () => {
  await behindProxy(async (page, proxy, own) => {
    proxy.cutNextStream({ beforeAnything: true });
    await send(page, 'How are answers streamed?');
    // The widget cannot tell whether the server got the message; depending
    // on timing it shows a failure notice until the stored message arrives
    // live (or Chromium resends the POST, which the client message id makes
    // harmless). Either way it ends in the same place:
    await answeredOnce(page);
    assert.equal(proxy.cuts(), 1);
    const conv = await stored(page, own.site, 'conv');
    const res = await fetch(`${own.srv.base}/api/v1/conversations/${conv}/messages`, {
      headers: { authorization: `Bearer ${own.key}` },
    });
    const { items } = await res.json();
    assert.deepEqual(items.filter((m) => m.role === 'user').map((m) => m.content),
      ['How are answers streamed?'], 'stored once');
  });
});
