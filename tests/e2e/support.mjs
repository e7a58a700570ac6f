// Helpers for the end-to-end tests: the real `lantern` binary on a fresh
// SQLite file, the edge worker under `wrangler dev` (workerd), and Debian's
// Chromium driven by playwright-core. Every process is on loopback and is
// stopped by the test that started it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SHOTS = join(ROOT, 'test-artifacts', 'screenshots');
export const BIN = process.env.LANTERN_BIN ?? join(ROOT, 'target', 'debug', 'lantern');

/** `lantern user create` on the database of `dbEnv`: a member of the demo site. */
export function createUser(dbEnv, { email, name, password, role = 'agent' }) {
  execFileSync(BIN, ['user', 'create', '--email', email, '--site', 'demo', '--role', role,
    '--name', name, '--password-stdin'],
  { input: `${password}\n`, env: { ...process.env, ...dbEnv, LANTERN_LOG: 'warn' } });
}

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Polls `url` until it answers (any status) or the deadline passes. */
export async function waitForHttp(url, { timeoutMs = 60_000, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) {
      throw new Error(`process exited (${proc.exitCode}) before ${url} answered:\n${proc.output()}`);
    }
    try {
      return await fetch(url);
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${lastError}\n${proc ? proc.output() : ''}`);
}

function track(child) {
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  // A logged error with a backtrace runs to thousands of characters: its
  // first lines (the message) come first, then the tail.
  child.output = () => {
    const errors = [...out.matchAll(/(ERROR|WARN|panicked)/g)].slice(-5)
      .map((m) => out.slice(m.index, m.index + 1200));
    return `${errors.join('\n…\n')}\n… last output:\n${out.slice(-2500)}`;
  };
  return child;
}

function stop(child) {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    // Negative pid: the whole process group (wrangler starts workerd).
    try { process.kill(-child.pid, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
    setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
  });
}

/** Starts `lantern serve` on a fresh SQLite database. */
export async function startLantern(env = {}) {
  const bin = BIN;
  const dir = mkdtempSync(join(tmpdir(), 'lantern-e2e-'));
  const port = await freePort();
  const child = track(spawn(bin, ['serve'], {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      LANTERN_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${join(dir, 'lantern.db')}`,
      LANTERN_WIDGET_DIR: join(ROOT, 'widget', 'dist'),
      LANTERN_LOG: 'warn',
      LANTERN_DEMO: '1',
      // Every page of every test is one client address (127.0.0.1); the
      // limits themselves are tested in the API tests.
      LANTERN_RATE_LIMIT_NEW_VISITORS_IP: '1000000',
      LANTERN_RATE_LIMIT_IP: '1000000',
      ...env,
    },
  }));
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health/live`, { proc: child });
  return {
    base,
    port,
    /** The last 4000 characters the server printed (stdout and stderr). */
    output: () => child.output(),
    async stop() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the edge worker in workerd via `wrangler dev`, in front of
 * `originUrl`; `vars` are extra wrangler vars (e.g. `EDGE_READY_TTL_SECS`).
 * Its Cache API state lives in a fresh directory, so runs never share it.
 */
export async function startWorker(originUrl, vars = {}) {
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'lantern-edge-state-'));
  const varArgs = Object.entries({ ORIGIN_URL: originUrl, ...vars })
    .flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const child = track(spawn(join(ROOT, 'node_modules', '.bin', 'wrangler'), [
    'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    ...varArgs, '--persist-to', state, '--log-level', 'warn', '--show-interactive-dev-session=false',
  ], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  }));
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health/live`, { proc: child, timeoutMs: 180_000 });
  return {
    base,
    port,
    output: () => child.output(),
    async stop() {
      await stop(child);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Launches headless Debian Chromium through playwright-core. */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
