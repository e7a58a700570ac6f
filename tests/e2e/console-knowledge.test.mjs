// The owner's knowledge loop in headless Chromium against the real server:
// upload a file and watch it become ready, ask it in the playground, open
// insights (chart and table), turn an unanswered question into a curated
// answer and see the bot give it; the conversation log filtered to
// unanswered conversations, with the decision behind each answer. Screenshots
// in test-artifacts/screenshots/console-knowledge*.png, console-insights*.png
// and console-log*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, startLantern, launchBrowser } from './support.mjs';

const env = { server: null, browser: null, link: null };
const UNKNOWN = 'Is there a cloakroom for coats?';
const ANSWER = 'Yes: the cloakroom is next to the main entrance.';

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  env.server = await startLantern();
  env.browser = await launchBrowser();
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

const tab = (page, name) => page.getByRole('button', { name, exact: true });

/** A visitor's question through the API, from the demo page's origin; the reply. */
async function ask(page, question) {
  return page.evaluate(async (q) => {
    const who = await fetch('/api/v1/sites/demo/visitors', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    const { token } = await who.json();
    const conv = await fetch('/api/v1/conversations', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ initial_message: q }),
    });
    const body = await conv.json();
    // The reply is the last message (the site's welcome comes first).
    const last = body.messages[body.messages.length - 1];
    return last?.role === 'assistant' ? last.content : '';
  }, question);
}

test('owner: upload, see it ready, try it, insights, write the missing answer', async () => {
  assert.ok(env.link, `no sign-in link in:\n${env.server.output()}`);
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    // A question nobody has answered yet, asked before the owner looks.
    await page.goto(`${env.server.base}/`);
    const before = await ask(page, UNKNOWN);
    assert.doesNotMatch(before, /main entrance/);

    await page.goto(env.link);
    await page.getByText('You signed in with a one-time link').waitFor();

    // Knowledge: upload two files at once; both become ready.
    await tab(page, 'Knowledge').click();
    await page.locator('input[name=files]').setInputFiles([
      { name: 'parking.md', mimeType: 'text/markdown', buffer: Buffer.from('# Parking\n\nVisitors park free in the blue garage on level two.\n') },
      { name: 'notes.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') },
    ]);
    await page.getByRole('alert').filter({ hasText: 'notes.exe' }).waitFor();
    const row = page.locator('table.documents tr', { hasText: 'Parking' });
    await row.locator('td.state', { hasText: 'ready' }).waitFor();
    assert.match(await row.innerText(), /upload/);
    // Its passages.
    await row.getByRole('button', { name: 'Passages' }).click();
    await page.locator('.passages li', { hasText: 'blue garage' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-knowledge.png'), fullPage: true });

    // Try it: the new document answers.
    await tab(page, 'Try it').click();
    await page.getByLabel('Question', { exact: true }).fill('Where can visitors park?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('.tried .answer', { hasText: 'blue garage' }).waitFor();
    assert.match(await page.locator('table.results').innerText(), /Parking/);
    assert.match(await page.locator('.decision').innerText(), /answered/);
    await page.screenshot({ path: join(SHOTS, 'console-knowledge-try.png'), fullPage: true });

    // Insights: the chart, its table, the unanswered question.
    await tab(page, 'Insights').click();
    await page.locator('.chart svg rect.bar').first().waitFor({ state: 'attached' });
    assert.ok(await page.locator('.chart svg g.day').count() >= 28);
    await page.getByText('The figures as a table').click();
    await page.locator('table.figures tr.total').waitFor();
    const question = page.locator('.unanswered .question', { hasText: UNKNOWN });
    await question.waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-insights.png'), fullPage: true });
    await question.getByRole('button', { name: /Open conversation/ }).first().click();
    await page.locator('.transcript', { hasText: UNKNOWN }).waitFor();
    await question.getByRole('button', { name: 'Write the answer' }).click();
    await question.getByLabel('Answer (markdown)').fill(ANSWER);
    await question.getByRole('button', { name: 'Save the answer' }).click();
    await page.getByRole('status').filter({ hasText: 'Answer saved' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-insights-answered.png'), fullPage: true });

    // The conversation log: only conversations with an unanswered reply,
    // and the transcript says why each answer was given.
    await tab(page, 'Conversations').click();
    await page.locator('table.log tbody tr').first().waitFor();
    await page.getByLabel('Answers').selectOption('true');
    await page.getByRole('button', { name: 'Filter' }).click();
    const missed = page.locator('table.log tbody tr', { hasText: UNKNOWN });
    await missed.waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('table.log tbody tr')]
      .every((tr) => tr.dataset.unanswered === 'true'));
    await page.screenshot({ path: join(SHOTS, 'console-log.png'), fullPage: true });
    await missed.getByRole('button', { name: 'Open' }).click();
    const shown = page.locator('.transcript', { hasText: UNKNOWN });
    await shown.locator('.decision', { hasText: 'not answered' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-log-transcript.png'), fullPage: true });

    // The bot now gives it, and the log shows it was the curated answer.
    await page.goto(`${env.server.base}/`);
    assert.match(await ask(page, UNKNOWN), /main entrance/);
    await page.goto(`${env.server.base}/console/`);
    await tab(page, 'Conversations').click();
    await page.locator('table.log tbody tr').first().getByRole('button', { name: 'Open' }).click();
    await page.locator('.transcript .decision', { hasText: 'curated answer' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-log-curated.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
