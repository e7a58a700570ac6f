//! Answering one request on a bare HTTP/1.1 connection: the router's
//! response is written straight to the socket, its body in chunked
//! encoding, and the connection closes when the body ends. While the body is
//! quiet the socket is watched, so a stream whose client has gone is dropped
//! at once (its subscription and its place under the stream caps with it).

use std::io::Write;

use axum::{Router, body::Body};
use bytes::{Buf, Bytes};
use futures::StreamExt;
use http::{Request, Response, header};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tower::ServiceExt;

pub(super) async fn answer(mut stream: TcpStream, request: Request<Body>, app: Router) {
    let Ok(response) = app.oneshot(request).await;
    let (head, body) = head(response);
    let (mut from_client, mut to_client) = stream.split();
    if to_client.write_all(&head).await.is_err() {
        return;
    }
    drop(head);
    if let Some(body) = body {
        let mut data = body.into_data_stream();
        // A client says nothing after its request; reading only tells when
        // it has gone (end of file or an error). Stray bytes are ignored.
        let mut probe = [0u8; 16];
        loop {
            tokio::select! {
                next = data.next() => match next {
                    Some(Ok(bytes)) if bytes.is_empty() => {}
                    Some(Ok(bytes)) => {
                        if to_client.write_all_buf(&mut chunk(bytes)).await.is_err() {
                            return;
                        }
                    }
                    // The body failed: end without the last chunk, so that
                    // the client sees a cut response, not a complete one.
                    Some(Err(_)) => return,
                    None => break,
                },
                read = from_client.read(&mut probe) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        return;
                    }
                }
            }
        }
        if to_client.write_all(b"0\r\n\r\n").await.is_err() {
            return;
        }
    }
    let _ = to_client.shutdown().await;
}

/// The status line and headers, and the body unless the status has none.
/// Framing is this writer's: chunked, and the connection closes after.
fn head(response: Response<Body>) -> (Vec<u8>, Option<Body>) {
    let (parts, body) = response.into_parts();
    let status = parts.status;
    let mut head = Vec::with_capacity(256);
    // Writing to a `Vec` cannot fail.
    let _ = write!(
        head,
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &parts.headers {
        if name == header::CONNECTION || name == header::TRANSFER_ENCODING || name == header::CONTENT_LENGTH {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    let bodyless = status.is_informational() || status == 204 || status == 304;
    if bodyless {
        head.extend_from_slice(b"content-length: 0\r\n");
    } else {
        head.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    (head, (!bodyless).then_some(body))
}

/// `bytes` as one chunk: its size in hex, the bytes, a line end; written
/// with one vectored write, without copying the frame.
fn chunk(bytes: Bytes) -> impl Buf {
    let size = Bytes::from(format!("{:x}\r\n", bytes.len()));
    size.chain(bytes).chain(&b"\r\n"[..])
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use bytes::Buf;
    use http::{Response, StatusCode};

    #[test]
    fn the_head_frames_the_body_itself() {
        let response = Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .header("retry-after", "5")
            .header("content-length", "12")
            .body(Body::from("{\"error\":{}}"))
            .expect("a response");
        let (head, body) = super::head(response);
        let head = String::from_utf8(head).expect("text");
        assert!(head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"), "{head}");
        assert!(head.contains("retry-after: 5\r\n"));
        assert!(!head.contains("content-length"), "the body is chunked: {head}");
        assert!(head.ends_with("transfer-encoding: chunked\r\nconnection: close\r\n\r\n"));
        assert!(body.is_some());

        let (head, body) = super::head(Response::builder().status(204).body(Body::empty()).expect("a response"));
        assert!(String::from_utf8(head).expect("text").contains("content-length: 0\r\n"));
        assert!(body.is_none());
    }

    #[test]
    fn a_chunk_is_size_data_line_end() {
        let mut chunk = super::chunk(bytes::Bytes::from_static(b"event: x\ndata: {}\n\n"));
        let written = chunk.copy_to_bytes(chunk.remaining());
        assert_eq!(&written[..], b"13\r\nevent: x\ndata: {}\n\n\r\n");
    }
}
