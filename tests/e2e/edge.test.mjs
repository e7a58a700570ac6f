// The edge worker, built from server/ for wasm32, running in workerd via
// `wrangler dev`, in front of a real Lantern origin. A counting proxy sits
// between the two (all on loopback) so the tests see what reached the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLantern, startWorker } from './support.mjs';
import { startCountingProxy } from './counting-proxy.mjs';

const ALLOWED = 'http://127.0.0.1:8080'; // an allowed origin of the demo site
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let origin;
let proxy;
let worker;

before(async () => {
  origin = await startLantern();
  proxy = await startCountingProxy(origin.base);
  worker = await startWorker(proxy.base, { EDGE_READY_TTL_SECS: '3' });
});

after(async () => {
  await worker?.stop();
  await proxy?.stop();
  await origin?.stop();
});

test('the worker answers /health/live itself', async () => {
  const res = await fetch(`${worker.base}/health/live`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.service, 'edge', 'the edge, not the origin, must answer');
});

test('a repeated cacheable GET reaches the origin once (query normalised)', async () => {
  const first = await fetch(`${worker.base}/api/v1/sites/demo/config?b=2&a=1`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-lantern-cache'), 'miss');
  const config = await first.json();
  assert.equal(config.site_id, 'demo');
  await sleep(300); // the cache put runs after the response (waitUntil)

  const second = await fetch(`${worker.base}/api/v1/sites/demo/config?a=1&b=2&empty=`);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-lantern-cache'), 'hit');
  assert.deepEqual(await second.json(), config);
  assert.equal(proxy.count('GET', '/api/v1/sites/demo/config?'), 1, 'the origin saw it once');
});

test('knowledge search is cached at the edge', async () => {
  const url = `${worker.base}/api/v1/sites/demo/knowledge/search?q=install&limit=3`;
  const first = await fetch(url);
  assert.equal(first.status, 200, await first.clone().text());
  assert.equal(first.headers.get('x-lantern-cache'), 'miss');
  const body = await first.json();
  assert.ok(Array.isArray(body.results));
  await sleep(300);
  const second = await fetch(`${worker.base}/api/v1/sites/demo/knowledge/search?limit=3&q=install`);
  assert.equal(second.headers.get('x-lantern-cache'), 'hit');
  assert.deepEqual(await second.json(), body);
  assert.equal(proxy.count('GET', '/api/v1/sites/demo/knowledge/search'), 1);
});

test('authorised requests are never cached', async () => {
  const before = proxy.count('GET', '/api/v1/sites/demo/config?x=1');
  for (let i = 0; i < 2; i += 1) {
    const res = await fetch(`${worker.base}/api/v1/sites/demo/config?x=1`, {
      headers: { authorization: 'Bearer some-token' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-lantern-cache'), 'bypass');
    await res.arrayBuffer();
    await sleep(200);
  }
  // An anonymous request afterwards must not find an authorised answer cached.
  const anon = await fetch(`${worker.base}/api/v1/sites/demo/config?x=1`);
  assert.equal(anon.headers.get('x-lantern-cache'), 'miss');
  await anon.arrayBuffer();
  assert.equal(proxy.count('GET', '/api/v1/sites/demo/config?x=1') - before, 3);
});

test('a disallowed origin is refused at the edge and never reaches the origin', async () => {
  const res = await fetch(`${worker.base}/api/v1/sites/demo/visitors`, {
    method: 'POST',
    headers: { origin: 'http://evil.test', 'content-type': 'application/json', 'x-request-id': 'req-evil-1' },
    body: '{}',
  });
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.equal(body.error, 'forbidden');
  assert.equal(body.request_id, 'req-evil-1');
  assert.ok(body.timestamp);

  const preflight = await fetch(`${worker.base}/api/v1/sites/demo/visitors`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 403);
  await preflight.arrayBuffer();

  assert.equal(proxy.count('POST', '/api/v1/sites/demo/visitors'), 0);
  assert.equal(proxy.count('OPTIONS', '/api/v1/sites/demo/visitors'), 0);

  // An allowed origin gets through to the origin.
  const ok = await fetch(`${worker.base}/api/v1/sites/demo/visitors`, {
    method: 'POST',
    headers: { origin: ALLOWED, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(ok.status, 201, await ok.clone().text());
  assert.ok((await ok.json()).token);
  assert.equal(proxy.count('POST', '/api/v1/sites/demo/visitors'), 1);
  const forwarded = proxy.seen.find((r) => r.method === 'POST' && r.path === '/api/v1/sites/demo/visitors');
  assert.ok(forwarded.headers['x-forwarded-proto'], 'forwarding headers are added');
});

test("a streamed answer's first delta arrives through the worker before the answer ends", async () => {
  const json = { 'content-type': 'application/json', origin: ALLOWED };
  const visitor = await (await fetch(`${worker.base}/api/v1/sites/demo/visitors`, {
    method: 'POST', headers: json, body: '{}',
  })).json();
  const auth = { ...json, authorization: `Bearer ${visitor.token}` };
  const convRes = await fetch(`${worker.base}/api/v1/conversations`, {
    method: 'POST', headers: auth, body: '{}',
  });
  assert.equal(convRes.status, 201, await convRes.clone().text());
  const conv = await convRes.json();

  proxy.holdStreams(true);
  try {
    const res = await fetch(`${worker.base}/api/v1/conversations/${conv.id}/messages`, {
      method: 'POST',
      headers: { ...auth, accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'How do I install Lantern?' }),
    });
    assert.equal(res.status, 201);
    assert.match(res.headers.get('content-type'), /text\/event-stream/);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 20_000;
    while (!text.includes('answer.delta')) {
      assert.ok(Date.now() < deadline, `no delta yet: ${text}`);
      const { value, done } = await reader.read();
      assert.ok(!done, `stream ended before a delta: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    // The rest of the answer is still held back by the proxy: the delta
    // came through the worker while the origin's stream was unfinished.
    assert.equal(proxy.heldCount(), 1, 'the origin stream is held after its first delta');
    assert.ok(!text.includes('event: done'), 'the answer must not have ended yet');
    proxy.releaseAll();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.ok(text.includes('event: done'), `the answer ends with done: ${text.slice(-300)}`);
  } finally {
    proxy.holdStreams(false);
    proxy.releaseAll();
  }
});

test('readiness at the edge is cached briefly', async () => {
  await sleep(3500); // let any earlier probe expire
  const before = proxy.count('GET', '/health/ready');
  const first = await fetch(`${worker.base}/health/ready`);
  assert.equal(first.status, 200);
  const body = await first.json();
  assert.equal(body.service, 'edge');
  assert.equal(body.origin.status, 200);
  await sleep(200);
  const second = await fetch(`${worker.base}/health/ready`);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-lantern-cache'), 'hit');
  await second.arrayBuffer();
  assert.equal(proxy.count('GET', '/health/ready') - before, 1);
});

test('with the origin stopped the worker stays live and reports the origin down', async () => {
  await origin.stop();
  await proxy.stop();
  origin = undefined;
  proxy = undefined;

  const live = await fetch(`${worker.base}/health/live`);
  assert.equal(live.status, 200);
  assert.equal((await live.json()).service, 'edge');

  const deadline = Date.now() + 15_000;
  let res;
  for (;;) {
    res = await fetch(`${worker.base}/health/ready`, { headers: { 'x-request-id': 'probe-1' } });
    if (res.status === 503 || Date.now() > deadline) break;
    await res.arrayBuffer();
    await sleep(500);
  }
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.error, 'unavailable');
  assert.equal(body.request_id, 'probe-1');
  assert.match(body.message, /unreachable/);

  const passthrough = await fetch(`${worker.base}/api/v1/conversations`);
  assert.equal(passthrough.status, 503);
  const err = await passthrough.json();
  assert.equal(err.error, 'unavailable');
  assert.ok(err.request_id);
});
