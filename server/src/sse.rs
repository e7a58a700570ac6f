//! Server-sent events on the wire, written as bytes. A live event goes to every stream
//! watching its conversation: its frame is encoded once (see
//! [`crate::events::LiveEvent::frame`]) and each stream sends a reference to
//! the same bytes, where axum's `Event` would build a buffer per stream.

use std::{convert::Infallible, future::ready, time::Duration};

use axum::{body::Body, response::Response};
use bytes::{BufMut, Bytes, BytesMut};
use futures::{Stream, StreamExt, stream};
use http::{HeaderValue, header};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::IntervalStream;

/// A comment line every this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One event's frame: `event:`, `data:` (a line each for multi-line data),
/// `id:` when it has one, and the blank line that ends it.
pub fn frame(kind: &str, id: Option<i64>, data: &str) -> Bytes {
    write(kind, id, data.len(), |b| {
        for line in data.split('\n') {
            b.put_slice(b"data: ");
            b.put_slice(line.trim_end_matches('\r').as_bytes());
            b.put_u8(b'\n');
        }
    })
}

/// A frame whose data is `data` as JSON, serialised straight into the
/// frame (compact JSON escapes line breaks: it is one `data:` line).
pub fn json_frame(kind: &str, id: Option<i64>, data: &Value) -> Bytes {
    write(kind, id, 128, |b| {
        b.put_slice(b"data: ");
        // A `Value` always serialises, and writing to memory cannot fail.
        let _ = serde_json::to_writer((&mut *b).writer(), data);
        b.put_u8(b'\n');
    })
}

fn write(kind: &str, id: Option<i64>, data_len: usize, data: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut b = BytesMut::with_capacity(kind.len() + data_len + 32);
    b.put_slice(b"event: ");
    b.put_slice(kind.as_bytes());
    b.put_u8(b'\n');
    data(&mut b);
    if let Some(id) = id {
        b.put_slice(b"id: ");
        b.put_slice(id.to_string().as_bytes());
        b.put_u8(b'\n');
    }
    b.put_u8(b'\n');
    b.freeze()
}

/// A `text/event-stream` response sending `frames`, with a keep-alive
/// comment (`:`) every 15 s so that proxies keep a quiet stream open; it ends
/// when `frames` ends.
pub fn response<S>(frames: S) -> Response
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    let mut ticks = tokio::time::interval_at(Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ticks = IntervalStream::new(ticks).map(|_| Some(Bytes::from_static(b":\n\n")));
    // `None` marks the end of the frames; the ticks never end by themselves.
    let frames = frames.map(Some).chain(stream::once(ready(None)));
    let body = stream::select(frames, ticks)
        .take_while(|f| ready(f.is_some()))
        .map(|f| Ok::<_, Infallible>(f.unwrap_or_default()));
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_kind_data_and_id() {
        assert_eq!(
            frame("message.created", Some(7), r#"{"a":1}"#),
            Bytes::from_static(b"event: message.created\ndata: {\"a\":1}\nid: 7\n\n")
        );
        assert_eq!(
            frame("done", None, "{}"),
            Bytes::from_static(b"event: done\ndata: {}\n\n")
        );
    }

    #[test]
    fn json_frames_are_the_json_on_one_data_line() {
        let data = serde_json::json!({"text": "two\nlines", "n": 1});
        assert_eq!(
            json_frame("answer.delta", Some(3), &data),
            frame("answer.delta", Some(3), &data.to_string())
        );
        assert_eq!(
            json_frame("done", None, &serde_json::json!({})),
            Bytes::from_static(b"event: done\ndata: {}\n\n")
        );
    }

    #[test]
    fn multi_line_data_is_a_data_line_each() {
        assert_eq!(
            frame("x", None, "one\r\ntwo"),
            Bytes::from_static(b"event: x\ndata: one\ndata: two\n\n")
        );
    }
}
