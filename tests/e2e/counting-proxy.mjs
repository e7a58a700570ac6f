// A tiny HTTP proxy on loopback in front of the origin: it counts what
// reaches the origin, can hold an SSE stream back after its first
// `answer.delta` chunk (to prove the edge worker does not buffer), and can
// cut a streamed POST there, as a network blip would.
import { createServer, request } from 'node:http';

export async function startCountingProxy(targetBase) {
  const target = new URL(targetBase);
  const seen = [];
  let holdStreams = false;
  const held = [];
  let cutNext = false;
  let cuts = 0;

  const server = createServer((req, res) => {
    seen.push({ method: req.method, path: req.url, headers: req.headers });
    const up = request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      const isSse = String(upRes.headers['content-type'] ?? '').includes('text/event-stream');
      if (isSse && cutNext && req.method === 'POST') {
        // Passes the stream on up to its first delta (or nothing of it),
        // then drops both connections: the browser sees the body end early.
        const upToDelta = cutNext === 'after-delta';
        cutNext = false;
        let cut = false;
        upRes.on('data', (chunk) => {
          if (cut) return;
          if (upToDelta && !String(chunk).includes('answer.delta')) return res.write(chunk);
          cut = true;
          cuts += 1;
          upRes.destroy();
          // Ends the connection once what is passed on has reached the socket.
          if (upToDelta) res.write(chunk, () => res.socket?.end());
          else res.socket?.end();
        });
        return;
      }
      if (!isSse || !holdStreams) {
        upRes.pipe(res);
        return;
      }
      let released = false;
      let firstDeltaSent = false;
      const pending = [];
      const release = () => {
        released = true;
        for (const c of pending) res.write(c);
        pending.length = 0;
        if (upRes.complete) res.end();
      };
      upRes.on('data', (chunk) => {
        if (released) return res.write(chunk);
        if (!firstDeltaSent) {
          res.write(chunk);
          if (String(chunk).includes('answer.delta')) {
            firstDeltaSent = true;
            held.push(release);
          }
          return;
        }
        pending.push(chunk);
      });
      upRes.on('end', () => { if (released || !firstDeltaSent) res.end(); });
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    /** Requests that reached the origin with this method and path prefix. */
    count: (method, pathPrefix) =>
      seen.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length,
    seen,
    /** From now on, SSE responses pause after their first delta chunk. */
    holdStreams(on = true) { holdStreams = on; },
    /**
     * The next streamed POST is cut: after its first delta, or with
     * `{ beforeAnything: true }` before any of its events gets through.
     */
    cutNextStream({ beforeAnything = false } = {}) { cutNext = beforeAnything ? 'at-once' : 'after-delta'; },
    /** How many streams were cut. */
    cuts: () => cuts,
    /** Streams currently held back. */
    heldCount: () => held.length,
    releaseAll() { while (held.length) held.shift()(); },
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
