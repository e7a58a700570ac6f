// One live connection per visitor, not one per tab: the tabs of a site share
// one events stream (held by one tab, handed over when it closes) and stay
// in step — messages, unread count, open/closed panel. Real server, real
// Chromium; the server's own gauge counts the open streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  W, env, useWidgetEnv, hostHtml, newHost, launcher, panel, input, openPanel,
  waitForConversation, ask, ownSite, stored,
} from './widget-support.mjs';

useWidgetEnv();

/** The server's count of open events streams (`/metrics`). */
async function streamsOpen(srv) {
  const text = await (await fetch(`${srv.base}/metrics`)).text();
  const m = text.match(/^lantern_sse_streams_open\s+(\S+)/m);
  return m ? Number(m[1]) : 0;
}

/** Polls `cond` until it holds; fails (naming `what`) if it never does. */
async function until(cond, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const untilStreams = (srv, n) => until(async () => (await streamsOpen(srv)) === n, `${n} open stream(s)`)
  .catch(async (e) => { throw new Error(`${e.message} (the server counts ${await streamsOpen(srv)})`); });

/** Another tab of the same visitor (same context: storage, locks, channels). */
async function secondTab(context, srv, site) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const streams = [];
  page.on('request', (r) => { if (/\/events(\?|$)/.test(r.url())) streams.push(r.url()); });
  await page.route(`${srv.base}/host`, (r) =>
    r.fulfill({ contentType: 'text/html; charset=utf-8', body: hostHtml({ srv, site }) }));
  await page.goto(`${srv.base}/host`);
  await launcher(page).waitFor({ state: 'visible' });
  return { page, errors, streams };
}

test('two tabs share one events stream and stay in step; the stream moves when its tab closes', async () => {
  const own = await ownSite('Tabs');
  const { srv, site, key } = own;
  try {
    const { context, page: a, problems } = await newHost({ site, srv }, {}, srv);
    const aStreams = [];
    a.on('request', (r) => { if (/\/events(\?|$)/.test(r.url())) aStreams.push(r.url()); });
    await openPanel(a);
    await waitForConversation(a, site);
    await untilStreams(srv, 1);
    const conv = await stored(a, site, 'conv');

    // The second tab opens with the panel open (the visitor left it open)
    // and the same conversation, without a stream of its own.
    const b = await secondTab(context, srv, site);
    await input(b.page).waitFor({ state: 'visible', timeout: 20_000 });
    await b.page.locator(`${W} .log .msg.assistant`).first().waitFor({ timeout: 15_000 });

    // A message sent in B shows in A (relayed from A's stream), and back.
    await ask(b.page, 'Hello from tab B');
    await a.locator(`${W} .log .msg.user`, { hasText: 'Hello from tab B' }).waitFor({ timeout: 15_000 });
    await ask(a, 'Hello from tab A');
    await b.page.locator(`${W} .log .msg.user`, { hasText: 'Hello from tab A' }).waitFor({ timeout: 15_000 });
    assert.equal(await streamsOpen(srv), 1, 'one events stream for the two tabs');
    assert.deepEqual(b.streams, [], 'the second tab never opened a stream');
    assert.equal(await a.locator(`${W} .log .msg.user`).count(), 2, 'each message shown once in A');
    assert.equal(await b.page.locator(`${W} .log .msg.user`).count(), 2, 'each message shown once in B');

    // Closing the panel in A closes it in B.
    await launcher(a).click();
    await panel(b.page).waitFor({ state: 'hidden' });
    assert.equal(await launcher(b.page).getAttribute('aria-expanded'), 'false');

    // An agent's reply while closed: both tabs count it as unread.
    const agent = async (content) => {
      const res = await fetch(`${srv.base}/api/v1/conversations/${conv}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, role: 'agent' }),
      });
      assert.equal(res.status, 201, await res.text());
    };
    await agent('An agent writes while both tabs are closed');
    for (const p of [a, b.page]) {
      await p.waitForFunction((sel) => document.querySelector(sel).shadowRoot
        .querySelector('.lantern-launcher').getAttribute('aria-label').endsWith('(1)'), W, { timeout: 15_000 });
    }

    // Tab A (the stream's holder) goes away: B takes the stream over.
    assert.ok(aStreams.length >= 1, 'tab A held the stream');
    await a.close();
    await until(() => b.streams.length > 0, 'tab B opens the stream');
    await agent('And again after tab A closed');
    // The server notices A's stream is gone when it writes the event to it.
    await untilStreams(srv, 1);
    await b.page.waitForFunction((sel) => document.querySelector(sel).shadowRoot
      .querySelector('.lantern-launcher').getAttribute('aria-label').endsWith('(2)'), W, { timeout: 15_000 });
    await openPanel(b.page);
    await b.page.locator(`${W} .log .msg.agent`, { hasText: 'And again after tab A closed' }).waitFor({ timeout: 15_000 });
    assert.equal(await b.page.locator(`${W} .log .msg.agent`).count(), 2);
    assert.deepEqual(problems.errors, []);
    assert.deepEqual(b.errors, []);
    await context.close();
  } finally {
    await own.stop();
  }
});
