//! The listening socket, with a light path for live event streams.
//!
//! hyper gives every HTTP/1.1 connection a read buffer of 16 KiB and a write
//! buffer of 8 KiB for as long as it is open (neither can be set below
//! 8 KiB), so an `EventSource` on its own connection cost ~44 KiB (heaptrack
//! and the fan-out benchmark, `tests/bench/results.md`). A stream sends for
//! hours and reads nothing after its request, so it needs neither buffer.
//!
//! Each new connection is therefore looked at before hyper sees it: when its
//! first request is complete in what has arrived and is a plain HTTP/1.1 GET
//! asking for `text/event-stream`, the request is taken off the socket and
//! answered by [`bare`], which writes the router's response straight to the
//! socket and closes the connection when it ends. Everything else (other
//! requests, h2c, a head split over several packets) reaches hyper untouched
//! through [`Handoff`]: the look is a `peek`, which leaves the bytes queued.
//! Both paths run the same router, so authentication, caps and errors are
//! one code.

mod bare;

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::ConnectInfo};
use http::{HeaderName, HeaderValue, Method, Request, Uri, Version, header};
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
    sync::{mpsc, watch},
};

/// Room for the first request's head; a longer one goes to hyper.
const HEAD_ROOM: usize = 4096;
/// Headers a stream's request may carry (a browser's are about fifteen).
const MAX_HEADERS: usize = 48;

/// The connections hyper should serve, as an axum listener.
pub struct Handoff {
    queue: mpsc::Receiver<(TcpStream, SocketAddr)>,
    local: SocketAddr,
}

impl axum::serve::Listener for Handoff {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        match self.queue.recv().await {
            Some(conn) => conn,
            // The acceptor has stopped: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// The open light streams: each holds a receiver, so `closed()` resolves
/// once the last one has ended (for a graceful shutdown). A connection still
/// being looked at holds none, so an idle one cannot hold up a shutdown.
pub type Open = Arc<watch::Sender<()>>;

/// Accepts on `listener`, answers stream requests itself and hands the
/// rest of the connections to the returned [`Handoff`]. Accepting stops
/// when the `Handoff` is dropped.
pub fn split(listener: TcpListener, app: Router) -> io::Result<(Handoff, Open)> {
    let local = listener.local_addr()?;
    let (tx, queue) = mpsc::channel(64);
    let open = Arc::new(watch::Sender::new(()));
    let counter = open.clone();
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(triage(stream, peer, tx.clone(), app.clone(), counter.clone()));
                }
                // Out of file descriptors or a connection reset before it
                // was accepted: wait a little rather than spin (as axum does).
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
    Ok((Handoff { queue, local }, open))
}

async fn triage(
    mut stream: TcpStream,
    peer: SocketAddr,
    hyper: mpsc::Sender<(TcpStream, SocketAddr)>,
    app: Router,
    open: Open,
) {
    // The buffer only once bytes have come: an idle connection holds none.
    let _ = stream.readable().await;
    let mut head = vec![0u8; HEAD_ROOM];
    let seen = stream.peek(&mut head).await.unwrap_or(0);
    let Some((mut request, len)) = stream_request(&head[..seen]) else {
        drop(head);
        let _ = hyper.send((stream, peer)).await;
        return;
    };
    // Take the head off the socket: `peek` left it there.
    if stream.read_exact(&mut head[..len]).await.is_err() {
        return;
    }
    drop(head);
    let counted = (open.subscribe(), crate::stats::StreamGuard::light());
    drop(open);
    request.extensions_mut().insert(ConnectInfo(peer));
    // Frames are small and should leave at once, not wait for an ACK.
    let _ = stream.set_nodelay(true);
    bare::answer(stream, request, app).await;
    drop(counted);
}

/// The request in `bytes` when it is exactly one complete HTTP/1.1 GET for
/// an event stream with no body, and its length; else `None` (hyper's).
fn stream_request(bytes: &[u8]) -> Option<(Request<Body>, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(len) = parsed.parse(bytes).ok()? else {
        return None;
    };
    // Bytes after the head would be a pipelined request: hyper's to read.
    if len != bytes.len() || parsed.method? != "GET" || parsed.version? != 1 {
        return None;
    }
    let wants_stream = parsed.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("accept")
            && std::str::from_utf8(h.value).is_ok_and(|v| v.contains("text/event-stream"))
    });
    let plain = parsed.headers.iter().all(|h| {
        !(h.name.eq_ignore_ascii_case("upgrade")
            || h.name.eq_ignore_ascii_case("expect")
            || h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0"))
    });
    if !wants_stream || !plain {
        return None;
    }
    let mut request = Request::new(Body::empty());
    *request.method_mut() = Method::GET;
    *request.version_mut() = Version::HTTP_11;
    *request.uri_mut() = Uri::try_from(parsed.path?).ok()?;
    let map = request.headers_mut();
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        map.append(name, HeaderValue::from_bytes(h.value).ok()?);
    }
    // HTTP/1.1 requires a Host; hyper refuses a request without one.
    map.contains_key(header::HOST).then_some((request, len))
}

#[cfg(test)]
mod tests {
    use super::stream_request;

    const STREAM: &str = "GET /api/v1/conversations/c1/events?after=3 HTTP/1.1\r\n\
        Host: example.test\r\nAccept: text/event-stream\r\nCookie: a=b\r\n\r\n";

    #[test]
    fn a_browser_stream_request_is_taken() {
        let (request, len) = stream_request(STREAM.as_bytes()).expect("a stream request");
        assert_eq!(len, STREAM.len());
        assert_eq!(request.uri().path(), "/api/v1/conversations/c1/events");
        assert_eq!(request.uri().query(), Some("after=3"));
        assert_eq!(request.headers()["cookie"], "a=b");
    }

    #[test]
    fn everything_else_goes_to_hyper() {
        let cases = [
            // Half a head, as when it spans two packets.
            &STREAM[..40],
            // Not asking for a stream.
            "GET /api/v1/config HTTP/1.1\r\nHost: x\r\n\r\n",
            // Another method, another version, a body, an upgrade, no Host.
            "POST /e HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
            "GET /e HTTP/1.0\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
            "GET /e HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Length: 4\r\n\r\n",
            "GET /e HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nUpgrade: websocket\r\n\r\n",
            "GET /e HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n",
            // The h2c preface.
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        ];
        for case in cases {
            assert!(stream_request(case.as_bytes()).is_none(), "{case:?}");
        }
        // A second request pipelined behind the first.
        let two = format!("{STREAM}{STREAM}");
        assert!(stream_request(two.as_bytes()).is_none());
    }
}
