#!/usr/bin/env node
// Added latency of the edge worker: N sequential GETs of a passed-through
// route straight to the origin and through the worker (`wrangler dev`,
// workerd), printing p50/p95 of each. Starts both itself, on loopback.
// Usage: cargo build --bin lantern && bash scripts/build-worker.sh &&
//        node scripts/edge-latency.mjs [N] [path]
import { startLantern, startWorker } from '../tests/e2e/support.mjs';

const n = Number(process.argv[2] ?? 200);
const path = process.argv[3] ?? '/health';

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(base) {
  for (let i = 0; i < 20; i += 1) await (await fetch(base + path)).arrayBuffer(); // warm-up
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const t = performance.now();
    const res = await fetch(base + path);
    await res.arrayBuffer();
    if (res.status >= 500) throw new Error(`${base}${path}: ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p95: pct(times, 95) };
}

const origin = await startLantern();
const worker = await startWorker(origin.base);
try {
  const direct = await measure(origin.base);
  const edge = await measure(worker.base);
  const f = (x) => `${x.toFixed(2)} ms`;
  console.log(`GET ${path}, ${n} sequential requests each way`);
  console.log(`direct to origin: p50 ${f(direct.p50)}  p95 ${f(direct.p95)}`);
  console.log(`through worker:   p50 ${f(edge.p50)}  p95 ${f(edge.p95)}`);
  console.log(`added:            p50 ${f(edge.p50 - direct.p50)}  p95 ${f(edge.p95 - direct.p95)}`);
} finally {
  await worker.stop();
  await origin.stop();
}
