// Helpers shared by the widget's browser tests: host pages on the server's
// own origin (so its same-origin rule admits the visitor), the panel's
// controls, and a server with a site of the test's own.
import { before, after, afterEach } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, SHOTS, startLantern, launchBrowser } from './support.mjs';

export { SHOTS };
export const W = '#lantern-widget';

/** The server and browser of the current test file, set by `useWidgetEnv`. */
export const env = { server: null, browser: null };

/** Contexts `newHost` opened: closed after each test, passed or failed, so a
 * page left by a failed test cannot keep working against the shared server
 * while the next tests run. */
const contexts = new Set();

/** Registers the file's set-up: one `lantern serve` and one Chromium. */
export function useWidgetEnv() {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    env.server = await startLantern();
    env.browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    contexts.clear();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
}

/** A host page on the server's origin with the embed tag (and extras). */
export function hostHtml({ lang = 'en', dir = '', attrs = '', css = '', body = '<h1>Host page</h1>', site = 'demo', srv = env.server } = {}) {
  return `<!doctype html><html lang="${lang}"${dir ? ` dir="${dir}"` : ''}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${css}</style></head>
<body>${body}<script src="${srv.base}/widget/loader.js" data-site="${site}" ${attrs} async></script></body></html>`;
}

/** A fresh context (own localStorage) with a host page at `path`. */
export async function newHost(opts = {}, ctxOpts = {}, srv = env.server) {
  const context = await env.browser.newContext(ctxOpts);
  contexts.add(context);
  const page = await context.newPage();
  const problems = { errors: [], dialogs: [], http: [] };
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  // What the widget's calls met, for the message of a test that times out.
  page.on('response', (r) => {
    if (r.status() >= 400) problems.http.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (req) =>
    problems.http.push(`failed ${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  pageProblems.set(page, problems);
  page.on('dialog', (d) => { problems.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  const path = opts.path ?? '/host';
  await page.route(`${srv.base}${path}`, (r) =>
    r.fulfill({ contentType: 'text/html; charset=utf-8', body: hostHtml({ ...opts, srv }) }));
  await page.goto(`${srv.base}${path}`);
  await page.locator(`${W} .lantern-launcher`).waitFor({ state: 'visible' });
  return { context, page, problems };
}

export const launcher = (page) => page.locator(`${W} .lantern-launcher`);
export const panel = (page) => page.locator(`${W} section.panel`);
export const input = (page) => page.locator(`${W} textarea`);

export async function openPanel(page) {
  await launcher(page).click();
  await input(page).waitFor({ state: 'visible', timeout: 20_000 });
}

/** The widget's stored value `name` for `site` (its localStorage key). */
export const stored = (page, site, name) =>
  page.evaluate(([s, n]) => localStorage.getItem(`lantern:${s}:${n}`), [site, name]);

/** The `problems` of each page `newHost` opened (failed calls, errors). */
const pageProblems = new WeakMap();

/**
 * Waits until the conversation is there (the welcome message is its first).
 * On a timeout the error says what the widget showed, what it stored, which
 * calls failed and what the server printed: a rare failure in CI can then
 * be read from the log alone.
 */
export async function waitForConversation(page, site = 'demo') {
  try {
    await page.locator(`${W} .log .msg.assistant`).first().waitFor({ timeout: 15_000 });
    await page.waitForFunction((s) =>
      !!localStorage.getItem(`lantern:${s}:conv`), site, { timeout: 15_000 });
  } catch (e) {
    const seen = await page.evaluate(() => {
      const root = document.getElementById('lantern-widget')?.shadowRoot;
      let stored;
      try { stored = Object.keys(localStorage); } catch (err) { stored = String(err); }
      return {
        notice: root?.querySelector('.notice')?.textContent ?? null,
        messages: root?.querySelectorAll('.log .msg').length ?? null,
        stored,
      };
    }).catch((err) => String(err));
    e.message += `\nwidget: ${JSON.stringify(seen)}` +
      `\ncalls: ${JSON.stringify(pageProblems.get(page)?.http ?? [])}` +
      `\nserver output:\n${env.server?.output() ?? ''}`;
    throw e;
  }
}

/**
 * The response to the next message posted from `page` (widget or console):
 * resolves at its head, so a streamed reply counts once it starts.
 */
export const messagePosted = (page, timeout = 30_000) => page.waitForResponse((r) =>
  r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/messages'), { timeout });

export async function send(page, text) {
  await input(page).fill(text);
  await input(page).press('Enter');
}

/** Sends `text` and waits for the reply after it (a new assistant message). */
export async function ask(page, text) {
  const replies = page.locator(`${W} .log .msg.assistant .html`);
  const before = await replies.count();
  await send(page, text);
  await page.locator(`${W} .log .msg.user`, { hasText: text.slice(0, 20) }).first().waitFor();
  await replies.nth(before).waitFor({ timeout: 20_000 });
  await page.locator(`${W} .typing`).waitFor({ state: 'detached', timeout: 20_000 });
  return (await replies.nth(before).innerText()).trim();
}

export const shadowActive = (page) => page.evaluate(() => {
  const host = document.getElementById('lantern-widget');
  const a = host.shadowRoot.activeElement;
  return { hostFocused: document.activeElement === host, tag: a?.tagName ?? null, cls: a?.className ?? null };
});

/**
 * A server (with `extraEnv`) on a database of its own with a site created by
 * the CLI (which needs the same database): `{ srv, site, key, stop }`, `key`
 * being the site's admin key.
 */
export async function ownSite(name, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-widget-'));
  const dbEnv = { DATABASE_URL: `sqlite://${join(dir, 'own.db')}` };
  const srv = await startLantern({ ...dbEnv, ...extraEnv });
  const bin = BIN;
  const out = execFileSync(bin, ['site', 'create', '--name', name, '--origin', srv.base, '--json'],
    { env: { ...process.env, ...dbEnv, LANTERN_LOG: 'warn' } }).toString();
  const { site_id: site, admin_key: key } = JSON.parse(out.trim().split('\n').pop());
  return {
    srv, site, key,
    async stop() {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A stand-in for an OpenAI-compatible provider on loopback (the outside
 * LLM, not Lantern) that writes `pieces` as chat.completion.chunk events,
 * `gapMs` apart. `env` points a Lantern server at it.
 */
export async function standInLlm(pieces, gapMs = 250) {
  const { createServer } = await import('node:http');
  const llm = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const p of pieces) {
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      res.write(`data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((ok) => llm.listen(0, '127.0.0.1', ok));
  return {
    env: {
      LANTERN_LLM_PROVIDER: 'openai',
      LANTERN_LLM_BASE_URL: `http://127.0.0.1:${llm.address().port}/v1`,
      LANTERN_LLM_API_KEY: 'test',
      LANTERN_LLM_MODEL: 'stand-in',
    },
    close: () => llm.close(),
  };
}
