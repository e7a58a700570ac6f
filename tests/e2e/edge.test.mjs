// The edge worker, built from server/ for wasm32, running in workerd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLantern, startWorker } from './support.mjs';

let origin;
let worker;

before(async () => {
  origin = await startLantern();
  worker = await startWorker(origin.base);
});

after(async () => {
  await worker?.stop();
  await origin?.stop();
});

test('the worker answers /health/live itself', async () => {
  const res = await fetch(`${worker.base}/health/live`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.service, 'edge', 'the edge, not the origin, must answer');
});
