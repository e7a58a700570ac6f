// Attachments in the inbox, in headless Chromium against the real server: a
// visitor (over the API) sends a screenshot and asks for a human → the agent
// opens the conversation and sees the image inline (its thumbnail, loaded
// with the agent's session) → the agent attaches a file and replies → the
// visitor receives the message with the file, served as a download.
// Screenshot: test-artifacts/screenshots/console-attachments.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { SHOTS, createUser, startLantern, launchBrowser } from './support.mjs';

const PASSWORD = 'an attachments test passphrase';
const env = { browser: null };

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
});

/** CRC-32 of `bytes`, as PNG chunks carry it. */
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A `w` × `h` RGB PNG: a red and blue gradient, like a screenshot. */
function png(w, h) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([(x * 255) / w, 40, (y * 255) / h], 1 + x * 3);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a visitor sends a screenshot, the agent sees it and replies with a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lantern-files-'));
  const dbEnv = { DATABASE_URL: `sqlite://${join(dir, 'files.db')}`, LANTERN_DEMO: '1' };
  const server = await startLantern(dbEnv);
  const base = server.base;
  try {
    createUser(dbEnv, { email: 'ada@example.com', name: 'Ada Agent', password: PASSWORD });

    // The visitor, over the API as the widget would.
    const json = { 'content-type': 'application/json', origin: base };
    const minted = await (await fetch(`${base}/api/v1/sites/demo/visitors`,
      { method: 'POST', headers: json, body: '{}' })).json();
    const auth = { ...json, authorization: `Bearer ${minted.token}` };
    const conv = await (await fetch(`${base}/api/v1/conversations`,
      { method: 'POST', headers: auth, body: '{}' })).json();
    const form = new FormData();
    form.append('file', new Blob([png(480, 300)], { type: 'image/png' }), 'error-screen.png');
    const up = await fetch(`${base}/api/v1/conversations/${conv.id}/attachments`,
      { method: 'POST', headers: { authorization: auth.authorization, origin: base }, body: form });
    assert.equal(up.status, 201, await up.clone().text());
    const shot = await up.json();
    const sent = await fetch(`${base}/api/v1/conversations/${conv.id}/messages`, {
      method: 'POST', headers: auth,
      body: JSON.stringify({ content: 'This error appears at checkout', attachment_ids: [shot.id] }),
    });
    assert.equal(sent.status, 201);
    await fetch(`${base}/api/v1/conversations/${conv.id}/handoff`, { method: 'POST', headers: auth, body: '{}' });

    // The agent opens it: the screenshot is in the transcript, loaded.
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const a = await context.newPage();
    const errors = [];
    a.on('pageerror', (e) => errors.push(String(e)));
    await a.goto(`${base}/console/`);
    await a.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await a.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.locator('nav.tabs button', { hasText: 'Inbox' }).click();
    await a.locator('.rows li', { hasText: 'handoff' }).first().click();
    const img = a.locator('.transcript .bubble.user .files img');
    await img.waitFor({ timeout: 10_000 });
    await a.waitForFunction(() => {
      const i = document.querySelector('.transcript .files img');
      return i && i.complete && i.naturalWidth > 0;
    }, null, { timeout: 10_000 });
    assert.equal(await img.getAttribute('alt'), 'error-screen.png');
    assert.equal(await img.evaluate((i) => i.naturalWidth), 320, 'the thumbnail, not the original');

    // The agent attaches a file and replies.
    await a.locator('.composer input[type=file]').setInputFiles({
      name: 'steps.txt', mimeType: 'text/plain', buffer: Buffer.from('1. Clear the cart\n2. Try again\n'),
    });
    await a.locator('.composer .files.pending', { hasText: 'steps.txt' }).waitFor({ timeout: 10_000 });
    await a.locator('#composer').fill('Here is what to try');
    await a.locator('#composer').press('Enter');
    const link = a.locator('.transcript .bubble.agent .files a', { hasText: 'steps.txt' });
    await link.waitFor({ timeout: 10_000 });
    await a.screenshot({ path: join(SHOTS, 'console-attachments.png'), fullPage: true });
    assert.equal(await a.locator('.composer .files.pending').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();

    // The visitor has it, as a download.
    const page = await (await fetch(`${base}/api/v1/conversations/${conv.id}/messages?limit=100`,
      { headers: auth })).json();
    const reply = page.items.find((m) => m.role === 'agent' && m.content === 'Here is what to try');
    assert.ok(reply, JSON.stringify(page));
    assert.equal(reply.attachments[0].name, 'steps.txt');
    const file = await fetch(`${base}${reply.attachments[0].url}`, { headers: auth });
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-disposition'), /^attachment;/);
    assert.equal(await file.text(), '1. Clear the cart\n2. Try again\n');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
